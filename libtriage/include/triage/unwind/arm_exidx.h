// ARM EHABI unwinding (.ARM.exidx / .ARM.extab): what ARM code has instead of
// .eh_frame. 32-bit ARM libraries built by GCC (glibc among them) carry only
// these tables, so without them unwinding stops in the first libc frame.
// Reference: "Exception Handling ABI for the ARM Architecture" (IHI 0038),
// sections 6 (index table), 7 (compact models) and 10.3 (unwind opcodes).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

namespace triage::unwind_detail {

// r0-r15 (r13 = sp, r14 = lr, r15 = pc) and which of them are known.
struct ArmRegisters {
  std::array<uint32_t, 16> r{};
  std::array<bool, 16> known{};
};

enum class ExidxStatus {
  kOk,
  kNoEntry,      // no table, or the address is before its first function
  kCantUnwind,   // EXIDX_CANTUNWIND: the function says it is outermost
  kRefused,      // the "refuse to unwind" opcode
  kUnsupported,  // a spare/reserved opcode or a table we can't read
  kMemory,       // a stack word could not be read
};

using ReadWord = std::function<std::optional<uint32_t>(uint32_t address)>;

// Runs unwind opcodes (one byte each, in table order) on `regs`: the virtual
// stack pointer starts at r13 and ends there. After kOk, r15 holds the
// caller's pc if it was popped; otherwise the caller's pc is r14.
// `pc_popped` says which.
ExidxStatus execute_exidx_opcodes(std::span<const uint8_t> opcodes, ArmRegisters& regs, const ReadWord& read,
                                  bool* pc_popped = nullptr);

// A module's index table, read from its ELF file (section headers survive
// stripping). Addresses are the file's own (sh_addr space).
class ExidxTable {
 public:
  // Null when the file is not little-endian ELF32 or has no SHT_ARM_EXIDX.
  static std::optional<ExidxTable> from_elf(std::span<const std::byte> file);

  // The opcodes for the function holding `address`: kOk, kNoEntry,
  // kCantUnwind or kUnsupported (a malformed entry).
  ExidxStatus opcodes_for(uint32_t address, std::vector<uint8_t>& opcodes) const;

 private:
  struct Section {
    uint32_t addr, offset, size;
  };
  std::optional<uint32_t> word_at(uint32_t address) const;  // by file address, through the sections

  std::span<const std::byte> file_;
  std::vector<Section> sections_;  // SHF_ALLOC sections with file contents
  uint32_t exidx_addr_ = 0;
  uint32_t exidx_entries_ = 0;
};

}  // namespace triage::unwind_detail
