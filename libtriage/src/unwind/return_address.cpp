#include "triage/unwind/return_address.h"

namespace triage {
namespace {

// The little-endian unit of `size` bytes that ends `back` bytes before the
// return address.
uint32_t unit_before(std::span<const std::byte, 8> before, size_t back, size_t size) {
  uint32_t value = 0;
  for (size_t i = 0; i < size; ++i)
    value |= static_cast<uint32_t>(std::to_integer<uint8_t>(before[before.size() - back + i])) << (8 * i);
  return value;
}

bool arm_follows_call(uint64_t return_address, std::span<const std::byte, 8> before) {
  if (return_address & 1) {
    // Thumb: a 32-bit bl/blx <imm> (first halfword 11110..., second 11.1.... /
    // 11.0...0) or a 16-bit blx <reg> (0100 0111 1 rm 000).
    uint32_t first = unit_before(before, 4, 2), second = unit_before(before, 2, 2);
    if ((first & 0xf800) == 0xf000 && ((second & 0xd000) == 0xd000 || (second & 0xd001) == 0xc000)) return true;
    return (second & 0xff87) == 0x4780;
  }
  if (return_address & 3) return false;
  uint32_t insn = unit_before(before, 4, 4);
  uint32_t cond = insn >> 28;
  if (cond == 0xf) return (insn & 0xfe000000) == 0xfa000000;              // blx <imm>
  return (insn & 0x0f000000) == 0x0b000000 || (insn & 0x0ffffff0) == 0x012fff30;  // bl, blx <reg>
}

bool riscv_follows_call(bool rv32, std::span<const std::byte, 8> before) {
  // jal ra / jalr ra (rd = x1), 4 bytes before; an instruction ends there only
  // if its two low bits are 11, which the opcode checks imply.
  uint32_t insn = unit_before(before, 4, 4);
  unsigned rd = (insn >> 7) & 0x1f;
  if (rd == 1 && ((insn & 0x7f) == 0x6f || (insn & 0x707f) == 0x67)) return true;
  // c.jalr (1001 rs1 00000 10, rs1 != 0), and RV32's c.jal, 2 bytes before.
  uint32_t half = unit_before(before, 2, 2);
  if ((half & 0xf07f) == 0x9002 && ((half >> 7) & 0x1f) != 0) return true;
  return rv32 && (half & 0xe003) == 0x2001;
}

}  // namespace

uint64_t return_target(Arch arch, uint64_t return_address) {
  return arch == Arch::kArm ? return_address & ~uint64_t{1} : return_address;
}

bool follows_call(Arch arch, uint64_t return_address, std::span<const std::byte, 8> before) {
  switch (arch) {
    case Arch::kX86:
    case Arch::kX86_64: {
      if (std::to_integer<uint8_t>(before[3]) == 0xe8) return true;  // call rel32
      for (size_t length = 2; length <= 7; ++length) {                // call r/m: ff /2
        uint8_t opcode = std::to_integer<uint8_t>(before[8 - length]);
        uint8_t modrm = std::to_integer<uint8_t>(before[9 - length]);
        if (opcode == 0xff && ((modrm >> 3) & 7) == 2) return true;
      }
      return false;
    }
    case Arch::kAarch64: {
      uint32_t insn = unit_before(before, 4, 4);
      return (insn & 0xfc000000) == 0x94000000 || (insn & 0xfffffc1f) == 0xd63f0000;  // bl, blr
    }
    case Arch::kArm:
      return arm_follows_call(return_address, before);
    case Arch::kRiscv32:
    case Arch::kRiscv64:
      return riscv_follows_call(arch == Arch::kRiscv32, before);
  }
  return false;
}

}  // namespace triage
