// Prologue analysis: how a function set up its frame, read from its first
// instructions, as gdb does when it has nothing better. For code with no
// unwind tables at all: glibc's abort is noreturn and has neither an FDE
// (RISC-V) nor an EHABI entry (ARM: first in the cross libc's .text, it
// precedes the .ARM.exidx table's first function).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace triage::unwind_detail {

struct Prologue {
  uint32_t frame_size = 0;  // bytes sp moved down between the entry and pc
  // Where each register (ARM r0-r15, RISC-V x0-x31) was stored, as an
  // offset below the entry sp.
  std::array<std::optional<uint32_t>, 32> saved{};
};

// Reads the instructions in `code` (little-endian halfwords, the function's
// first bytes: code[0] is its entry) up to `pc_offset` bytes in, or up to
// the first branch or stack change it does not understand, whichever comes
// first: a prologue ends before its function's first branch. Null when the
// code can't be decoded as Thumb at all (an odd size).
std::optional<Prologue> analyze_thumb_prologue(std::span<const uint8_t> code, uint32_t pc_offset);

// The same for RISC-V (RV32/RV64 with C): addi/c.addi/c.addi16sp on sp and
// sw/sd/c.swsp/c.sdsp of registers to the stack, up to the first jump,
// branch or other write of sp.
std::optional<Prologue> analyze_riscv_prologue(std::span<const uint8_t> code, uint32_t pc_offset, bool rv64);

}  // namespace triage::unwind_detail
