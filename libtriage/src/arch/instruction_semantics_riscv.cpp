// Instruction semantics for RV32/RV64 from our decoder (riscv_decoder.h):
// Capstone 4 has no RISC-V. The decoder already gives the kind, the memory
// access (base, offset, size), the branch target and the registers; this
// maps them onto InstructionSemantics.
#include <algorithm>
#include <string_view>

#include "instruction_semantics_internal.h"
#include "triage/arch/riscv_decoder.h"

namespace triage {
namespace {

using semantics_detail::add_unique;

// x1..x31 by their ABI names (those of the arch table), f registers by the
// decoder's names; x0 is the constant zero and no register.
std::string_view riscv_register(int number) {
  if (number <= 0) return {};
  return riscv::register_name(number);
}

class RiscvAnalyzer final : public InstructionAnalyzer {
 public:
  explicit RiscvAnalyzer(const ArchInfo& arch) : arch_(arch) {}

  const ArchInfo& arch() const override { return arch_; }
  size_t max_instruction_size() const override { return 4; }

  InstructionSemantics analyze(std::span<const uint8_t> bytes, uint64_t address) const override {
    InstructionSemantics s;
    const uint64_t mask = arch_.address_mask();
    s.instruction.address = address & mask;
    const riscv::Xlen xlen = arch_.is_64bit ? riscv::Xlen::k64 : riscv::Xlen::k32;
    const riscv::Decoded d = riscv::decode(bytes.data(), bytes.size(), address & mask, xlen);
    if (d.length == 0 || d.truncated || d.kind == riscv::Kind::kIllegal) {
      semantics_detail::mark_invalid(s, bytes);
      const size_t length = std::min<size_t>(bytes.size(), d.length == 0 ? 2 : d.length);
      s.instruction.bytes.assign(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(length));
      if (!d.mnemonic.empty()) {
        s.instruction.mnemonic = d.mnemonic;  // ".4byte 0x..."
        s.instruction.operands = d.operands;
      }
      return s;
    }
    s.instruction.bytes.assign(bytes.begin(), bytes.begin() + d.length);
    s.instruction.mnemonic = d.mnemonic;
    s.instruction.operands = d.operands;

    for (int source : d.source_registers) add_unique(s.registers_read, riscv_register(source));
    add_unique(s.registers_written, riscv_register(d.dest_register));
    if (d.link_register > 0) add_unique(s.registers_written, riscv_register(d.link_register));

    const auto memory = [&](bool read, bool write) {
      MemoryOperand m;
      // Base x0: an absolute address.
      m.base = riscv_register(d.base);
      m.displacement = d.offset;
      m.size = d.access_size;
      m.address_size = arch_.word_size;
      m.read = read;
      m.write = write;
      add_unique(s.registers_read, m.base);
      s.memory_operands.push_back(m);
    };
    const auto indirect = [&] {
      s.target_register = riscv_register(d.target_register);
      s.target_offset = d.offset;
      add_unique(s.registers_read, s.target_register);
    };

    switch (d.kind) {
      case riscv::Kind::kLoad:
        memory(true, false);
        s.kind = InstructionKind::kLoad;
        break;
      case riscv::Kind::kStore:
        memory(false, true);
        s.kind = InstructionKind::kStore;
        break;
      case riscv::Kind::kAtomic: {
        // lr reads, sc writes, amo* reads and writes.
        const std::string_view m = d.mnemonic;
        const bool lr = m.substr(0, 3) == "lr.";
        const bool sc = m.substr(0, 3) == "sc.";
        memory(!sc, !lr);
        s.kind = lr   ? InstructionKind::kLoad
                 : sc ? InstructionKind::kStore
                      : InstructionKind::kLoadStore;
        break;
      }
      case riscv::Kind::kBranch:
        s.kind = InstructionKind::kConditionalJump;
        s.direct_target = d.target;
        break;
      case riscv::Kind::kJump:
        s.kind = InstructionKind::kJump;
        s.direct_target = d.target;
        break;
      case riscv::Kind::kJumpRegister:
        s.kind = InstructionKind::kJump;
        indirect();
        break;
      case riscv::Kind::kCall:
        s.kind = InstructionKind::kCall;
        if (d.target)
          s.direct_target = d.target;
        else
          indirect();
        break;
      case riscv::Kind::kReturn:
        s.kind = InstructionKind::kReturn;
        indirect();
        break;
      case riscv::Kind::kSystem:
      case riscv::Kind::kOther:
      case riscv::Kind::kIllegal:
        s.kind = InstructionKind::kOther;
        break;
    }
    if (s.direct_target) *s.direct_target &= mask;

    if (s.registers_written.empty() || s.is_branch())
      s.flow = DataFlow::kNone;
    else if (s.registers_read.empty() && s.memory_operands.empty())
      s.flow = DataFlow::kClears;  // lui, li, auipc: nothing read
    else
      s.flow = DataFlow::kDerived;
    return s;
  }

 private:
  const ArchInfo& arch_;
};

}  // namespace

Result<std::unique_ptr<InstructionAnalyzer>> make_riscv_analyzer(const ArchInfo& arch) {
  return std::unique_ptr<InstructionAnalyzer>(new RiscvAnalyzer(arch));
}

}  // namespace triage
