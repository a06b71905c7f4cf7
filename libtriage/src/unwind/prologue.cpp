#include "triage/unwind/prologue.h"

#include "triage/arch/riscv_decoder.h"

namespace triage::unwind_detail {
namespace {

constexpr int kSp = 13;
constexpr size_t kMaxInstructions = 64;

// ThumbExpandImm for the rotated-constant forms sp is adjusted with.
uint32_t thumb_expand_imm(uint32_t imm12) {
  uint32_t imm8 = imm12 & 0xff;
  if ((imm12 >> 10) == 0) {
    switch ((imm12 >> 8) & 3) {
      case 0: return imm8;
      case 1: return imm8 << 16 | imm8;
      case 2: return imm8 << 24 | imm8 << 8;
      default: return imm8 << 24 | imm8 << 16 | imm8 << 8 | imm8;
    }
  }
  uint32_t value = 0x80 | (imm12 & 0x7f);
  unsigned rotation = imm12 >> 7;
  return value >> rotation | value << (32 - rotation);
}

// Registers in `mask` go to consecutive words, the lowest register lowest.
void push(Prologue& prologue, uint32_t mask) {
  uint32_t count = static_cast<uint32_t>(__builtin_popcount(mask));
  prologue.frame_size += 4 * count;
  uint32_t slot = prologue.frame_size;
  for (int n = 0; n < 16; ++n)
    if (mask & (1u << n)) {
      if (!prologue.saved[n]) prologue.saved[n] = slot;  // the first save is the caller's value
      slot -= 4;
    }
}

}  // namespace

std::optional<Prologue> analyze_thumb_prologue(std::span<const uint8_t> code, uint32_t pc_offset) {
  if (code.size() % 2 != 0) return std::nullopt;
  Prologue prologue;
  auto half = [&](size_t at) { return static_cast<uint32_t>(code[at] | code[at + 1] << 8); };
  size_t at = 0;
  for (size_t count = 0; count < kMaxInstructions && at + 2 <= code.size() && at < pc_offset; ++count) {
    const uint32_t hw1 = half(at);
    const bool wide = (hw1 >> 11) >= 0x1d;
    if (!wide) {
      at += 2;
      if ((hw1 & 0xfe00) == 0xb400) {  // push {rlist, lr}
        push(prologue, (hw1 & 0xff) | ((hw1 & 0x100) << 6));
      } else if ((hw1 & 0xff80) == 0xb080) {  // sub sp, #imm7*4
        prologue.frame_size += (hw1 & 0x7f) * 4;
      } else if ((hw1 & 0xff80) == 0xb000 || (hw1 & 0xfe00) == 0xbc00) {  // add sp / pop: an epilogue
        break;
      } else if ((hw1 & 0xfc00) == 0x4400 && (((hw1 >> 4) & 8) | (hw1 & 7)) == kSp && (hw1 & 0xff00) != 0x4500) {
        break;  // add/mov sp, rm
      } else if ((hw1 & 0xff00) == 0x4700 || (hw1 & 0xf000) == 0xd000 || (hw1 & 0xf800) == 0xe000 ||
                 (hw1 & 0xf500) == 0xb100) {
        break;  // bx/blx, b<c>/svc/udf, b, cbz/cbnz
      }
      continue;
    }
    if (at + 4 > code.size()) break;
    const uint32_t hw2 = half(at + 2);
    at += 4;
    if (hw1 == 0xe92d && !(hw2 & 0xa000)) {  // push.w {rlist}
      push(prologue, hw2);
    } else if (hw1 == 0xf84d && (hw2 & 0x0fff) == 0x0d04) {  // str.w rt, [sp, #-4]!
      push(prologue, 1u << (hw2 >> 12));
    } else if ((hw1 & 0xfbef) == 0xf1ad && (hw2 & 0x8f00) == 0x0d00) {  // sub.w sp, sp, #const
      prologue.frame_size += thumb_expand_imm((hw1 & 0x400) << 1 | (hw2 & 0x7000) >> 4 | (hw2 & 0xff));
    } else if ((hw1 & 0xfbff) == 0xf2ad && (hw2 & 0x8f00) == 0x0d00) {  // subw sp, sp, #imm12
      prologue.frame_size += (hw1 & 0x400) << 1 | (hw2 & 0x7000) >> 4 | (hw2 & 0xff);
    } else if ((hw1 & 0xffbf) == 0xed2d && (hw2 & 0x0e00) == 0x0a00) {  // vpush: imm8 words
      prologue.frame_size += (hw2 & 0xff) * 4;
    } else if ((hw1 & 0xf800) == 0xf000 && (hw2 & 0x8000)) {
      break;  // b.w, b<c>.w, bl, blx
    } else {
      const bool data_processing = (hw1 & 0xfe00) == 0xea00 || ((hw1 & 0xf800) == 0xf000 && !(hw2 & 0x8000));
      if (hw1 == 0xe8bd || (data_processing && ((hw2 >> 8) & 0xf) == kSp))
        break;  // pop.w, or a data-processing instruction writing sp in a way not tracked
    }
  }
  return prologue;
}

std::optional<Prologue> analyze_riscv_prologue(std::span<const uint8_t> code, uint32_t pc_offset, bool rv64) {
  using riscv::Kind;
  constexpr int kRiscvSp = 2;
  Prologue prologue;
  const unsigned word = rv64 ? 8 : 4;
  int64_t sp_offset = 0;  // sp - entry sp
  size_t at = 0;
  for (size_t count = 0; count < kMaxInstructions && at < code.size() && at < pc_offset; ++count) {
    riscv::Decoded insn = riscv::decode(code.data() + at, code.size() - at, at, rv64 ? riscv::Xlen::k64 : riscv::Xlen::k32);
    if (insn.length == 0 || insn.truncated) break;
    at += insn.length;
    const uint32_t raw = insn.raw;
    if (insn.kind == Kind::kStore && insn.base == kRiscvSp && insn.access_size == word) {
      // sw/sd rs2, off(sp) and c.swsp/c.sdsp: rs2 sits in different bits.
      int rs2 = insn.length == 2 ? (raw >> 2) & 0x1f : (raw >> 20) & 0x1f;
      int64_t below = -(sp_offset + insn.offset);
      if (rs2 != kRiscvSp && below > 0 && !prologue.saved[rs2]) prologue.saved[rs2] = static_cast<uint32_t>(below);
      continue;
    }
    if (insn.kind != Kind::kOther && insn.kind != Kind::kLoad && insn.kind != Kind::kStore) break;
    if (insn.dest_register != kRiscvSp) continue;
    int64_t adjust;
    if (insn.length == 4 && (raw & 0xfffff) == 0x10113) {  // addi sp, sp, imm
      adjust = static_cast<int32_t>(raw) >> 20;
    } else if (insn.length == 2 && (raw & 0xef83) == 0x6101) {  // c.addi16sp
      uint32_t imm = ((raw >> 12) & 1) << 9 | ((raw >> 6) & 1) << 4 | ((raw >> 5) & 1) << 6 |
                     ((raw >> 3) & 3) << 7 | ((raw >> 2) & 1) << 5;
      adjust = imm & 0x200 ? static_cast<int64_t>(imm) - 0x400 : imm;
    } else if (insn.length == 2 && (raw & 0xef83) == 0x0101) {  // c.addi sp, imm
      uint32_t imm = ((raw >> 12) & 1) << 5 | ((raw >> 2) & 0x1f);
      adjust = imm & 0x20 ? static_cast<int64_t>(imm) - 0x40 : imm;
    } else {
      break;  // some other write of sp
    }
    if (adjust > 0) break;  // an epilogue
    sp_offset += adjust;
  }
  prologue.frame_size = static_cast<uint32_t>(-sp_offset);
  return prologue;
}

}  // namespace triage::unwind_detail
