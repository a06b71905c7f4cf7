// Disassembler over Capstone 4: x86 (32/64), ARM (ARM and Thumb), AArch64.
// RISC-V is not in Capstone 4 and is reported as unsupported.
#include <capstone/capstone.h>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "triage/arch/disassembler.h"

namespace triage {

std::string Instruction::text() const {
  if (operands.empty()) return mnemonic;
  return mnemonic + " " + operands;
}

InstructionMode instruction_mode(const ArchInfo& arch, const Registers& registers) {
  if (arch.arch != Arch::kArm) return InstructionMode::kDefault;
  const std::optional<int> cpsr = arch.register_index("cpsr");
  if (!cpsr || static_cast<size_t>(*cpsr) >= registers.size()) return InstructionMode::kDefault;
  return (registers[static_cast<size_t>(*cpsr)] & 0x20) != 0 ? InstructionMode::kThumb
                                                             : InstructionMode::kDefault;
}

namespace {

struct CapstoneMode {
  cs_arch arch;
  cs_mode mode;
  size_t max_size;  // longest instruction, bytes
  size_t min_size;  // bytes skipped for an undecodable instruction
};

std::optional<CapstoneMode> capstone_mode(Arch arch, InstructionMode mode) {
  switch (arch) {
    case Arch::kX86:
      return CapstoneMode{CS_ARCH_X86, CS_MODE_32, 15, 1};
    case Arch::kX86_64:
      return CapstoneMode{CS_ARCH_X86, CS_MODE_64, 15, 1};
    case Arch::kArm:
      if (mode == InstructionMode::kThumb) return CapstoneMode{CS_ARCH_ARM, CS_MODE_THUMB, 4, 2};
      return CapstoneMode{CS_ARCH_ARM, CS_MODE_ARM, 4, 4};
    case Arch::kAarch64:
      return CapstoneMode{CS_ARCH_ARM64, CS_MODE_ARM, 4, 4};
    case Arch::kRiscv32:
    case Arch::kRiscv64:
#if CS_API_MAJOR >= 5
      return CapstoneMode{CS_ARCH_RISCV,
                          static_cast<cs_mode>((arch == Arch::kRiscv64 ? CS_MODE_RISCV64 : CS_MODE_RISCV32) |
                                               CS_MODE_RISCVC),
                          4, 2};
#else
      return std::nullopt;
#endif
  }
  return std::nullopt;
}

// Capstone has RISC-V from version 5; chosen when this is compiled.
constexpr bool kCapstoneHasRiscv = CS_API_MAJOR >= 5;

class CapstoneDisassembler final : public Disassembler {
 public:
  CapstoneDisassembler(csh handle, const ArchInfo& arch, CapstoneMode mode)
      : handle_(handle), arch_(arch), mode_(mode) {}
  ~CapstoneDisassembler() override { cs_close(&handle_); }
  CapstoneDisassembler(const CapstoneDisassembler&) = delete;
  CapstoneDisassembler& operator=(const CapstoneDisassembler&) = delete;

  std::vector<Instruction> disassemble(const Memory& memory, uint64_t address,
                                       size_t count) const override {
    std::vector<Instruction> result;
    if (count == 0) return result;
    count = std::min<size_t>(count, 4096);
    const uint64_t mask = arch_.address_mask();
    address &= mask;

    std::vector<std::byte> buffer(count * mode_.max_size);
    // Do not wrap around the top of the address space.
    const uint64_t room = mask - address + 1;
    if (room != 0 && room < buffer.size()) buffer.resize(static_cast<size_t>(room));
    const size_t got = memory.read_up_to(address, buffer);
    if (got == 0) return result;

    cs_insn* insn = cs_malloc(handle_);
    if (insn == nullptr) return result;
    const auto* code = reinterpret_cast<const uint8_t*>(buffer.data());
    size_t remaining = got;
    uint64_t at = address;
    while (result.size() < count && remaining > 0) {
      if (!cs_disasm_iter(handle_, &code, &remaining, &at, insn)) {
        if (result.empty()) {
          Instruction bad;
          bad.address = at;
          const size_t n = std::min(remaining, mode_.min_size);
          bad.bytes.assign(code, code + n);
          bad.mnemonic = "(bad)";
          bad.valid = false;
          result.push_back(std::move(bad));
        }
        break;
      }
      Instruction out;
      out.address = insn->address & mask;
      out.bytes.assign(insn->bytes, insn->bytes + insn->size);
      out.mnemonic = insn->mnemonic;
      out.operands = insn->op_str;
      result.push_back(std::move(out));
    }
    cs_free(insn, 1);
    return result;
  }

 private:
  mutable csh handle_;
  const ArchInfo& arch_;
  CapstoneMode mode_;
};

}  // namespace

Result<std::unique_ptr<Disassembler>> Disassembler::create(const ArchInfo& arch,
                                                           InstructionMode mode) {
  // Capstone 4 (Debian 12's) has no RISC-V: our own decoder does it.
  if (!kCapstoneHasRiscv && (arch.arch == Arch::kRiscv32 || arch.arch == Arch::kRiscv64))
    return make_riscv_disassembler(arch);
  const std::optional<CapstoneMode> cs = capstone_mode(arch.arch, mode);
  if (!cs) return make_error(ErrorKind::kUnsupported, "no disassembler for " + std::string(arch.name));
  csh handle = 0;
  if (cs_open(cs->arch, cs->mode, &handle) != CS_ERR_OK)
    return make_error(ErrorKind::kUnsupported,
                      "Capstone cannot open " + std::string(arch.name));
  cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
  return std::unique_ptr<Disassembler>(new CapstoneDisassembler(handle, arch, *cs));
}

}  // namespace triage
