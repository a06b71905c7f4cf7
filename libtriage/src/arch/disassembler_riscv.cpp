// RISC-V disassembly with our decoder: instructions are 2 or 4 bytes, read
// one after the other from memory.
#include <algorithm>

#include "triage/arch/disassembler.h"
#include "triage/arch/riscv_decoder.h"

namespace triage {
namespace {

class RiscvDisassembler final : public Disassembler {
 public:
  explicit RiscvDisassembler(const ArchInfo& arch) : arch_(arch) {}

  std::vector<Instruction> disassemble(const Memory& memory, uint64_t address, size_t count) const override {
    std::vector<Instruction> result;
    count = std::min<size_t>(count, 4096);
    const uint64_t mask = arch_.address_mask();
    address &= mask;
    std::vector<std::byte> buffer(count * 4);
    const uint64_t room = mask - address + 1;
    if (room != 0 && room < buffer.size()) buffer.resize(static_cast<size_t>(room));
    const size_t got = memory.read_up_to(address, buffer);
    const auto xlen = arch_.is_64bit ? riscv::Xlen::k64 : riscv::Xlen::k32;
    size_t at = 0;
    while (result.size() < count && at < got) {
      const auto* bytes = reinterpret_cast<const uint8_t*>(buffer.data()) + at;
      riscv::Decoded decoded = riscv::decode(bytes, got - at, (address + at) & mask, xlen);
      if (decoded.truncated || decoded.length == 0) break;
      Instruction out;
      out.address = (address + at) & mask;
      out.bytes.assign(bytes, bytes + decoded.length);
      out.mnemonic = decoded.mnemonic;
      out.operands = decoded.operands;
      out.valid = decoded.kind != riscv::Kind::kIllegal;
      result.push_back(std::move(out));
      if (!result.back().valid && result.size() == 1) break;  // as with Capstone: stop at a bad first one
      at += decoded.length;
    }
    return result;
  }

 private:
  const ArchInfo& arch_;
};

}  // namespace

std::unique_ptr<Disassembler> make_riscv_disassembler(const ArchInfo& arch) {
  return std::make_unique<RiscvDisassembler>(arch);
}

}  // namespace triage
