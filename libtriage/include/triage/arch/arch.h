// Architectures as run-time values: one table per architecture says how its
// registers are laid out in a core (NT_PRSTATUS), how DWARF numbers them and
// which ones are pc, sp, frame pointer and link register. One binary reads
// cores of every architecture; nothing here is chosen with #if.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace triage {

enum class Arch { kX86, kX86_64, kArm, kAarch64, kRiscv32, kRiscv64 };

struct ArchInfo {
  Arch arch;
  std::string_view name;  // as printed in reports: "x86_64", "i386", ...
  uint16_t elf_machine;   // EM_*
  bool is_64bit;
  unsigned word_size;  // bytes in a pointer
  // Offset of pr_reg inside struct elf_prstatus, and the registers stored
  // there, in order. Every Registers vector of this arch uses this order.
  size_t prstatus_regs_offset;
  std::span<const std::string_view> register_names;
  int pc;  // indexes into register_names
  int sp;
  int fp;
  int lr;  // -1 where the return address lives on the stack (x86)
  // DWARF register number -> index into register_names, -1 for none.
  std::span<const int> dwarf_to_register;
  int return_address_column;  // DWARF column holding the caller's pc

  uint64_t address_mask() const { return is_64bit ? ~0ull : 0xffffffffull; }
  // The address a data access through `pointer` reaches. Linux runs AArch64
  // user space with Top Byte Ignore: bits 56..63 are a tag the MMU ignores,
  // and the kernel reports faults at the untagged address (bit 55 extended,
  // its untagged_addr()). Elsewhere the pointer within address_mask().
  uint64_t data_address(uint64_t pointer) const;
  size_t prstatus_regs_size() const { return register_names.size() * word_size; }
  std::optional<int> register_index(std::string_view name) const;
};

// The table for an ELF e_machine and class (ELFCLASS32/64), or null.
const ArchInfo* find_arch(uint16_t elf_machine, bool is_64bit);
const ArchInfo& arch_info(Arch arch);

}  // namespace triage
