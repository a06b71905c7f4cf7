// What one machine instruction does, as far as crash classification needs
// to know: its kind (load, store, call, ...), the memory it touches with the
// direction of each access and an effective address computable from a
// thread's registers, the target of an indirect call or jump, and the
// registers it reads and writes (for following a loaded value forward).
//
// One analyzer per architecture (instruction_semantics_<arch>.cpp): x86 and
// x86-64, 32-bit ARM (ARM and Thumb state) and AArch64 on Capstone's
// instruction detail, RV32/RV64 on our RISC-V decoder. Like a Disassembler,
// an analyzer may own a Capstone handle: one per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "triage/arch/arch.h"
#include "triage/arch/disassembler.h"
#include "triage/core/memory.h"
#include "triage/core/process_snapshot.h"
#include "triage/error.h"

namespace triage {

enum class InstructionKind {
  kInvalid,          // did not decode
  kOther,            // no memory access and no control transfer
  kLoad,             // reads memory
  kStore,            // writes memory
  kLoadStore,        // reads and writes memory (read-modify-write, movs, ...)
  kCall,
  kJump,             // unconditional
  kConditionalJump,  // jcc, loop, jrcxz, ...
  kReturn,
  kPush,
  kPop,
};

const char* to_string(InstructionKind kind);

// A memory access of an instruction: base + index * scale + displacement,
// plus a segment base where the architecture has one (x86-64 fs/gs).
// Register names are the architecture table's names (ArchInfo::register_names,
// "rax" for an operand written "eax" in 64-bit code); empty for none.
struct MemoryOperand {
  std::string_view segment;
  std::string_view base;
  std::string_view index;
  int scale = 1;  // negative for a subtracted index (ARM "[r1, -r2]")
  // Bits of the index register that count, 0 for all: AArch64's uxtw/sxtw
  // take the low 32 bits, zero- or sign-extended (index_signed).
  unsigned index_bits = 0;
  bool index_signed = false;
  int64_t displacement = 0;  // pc-relative operands are resolved into it
  unsigned size = 0;          // bytes accessed; 0 when unknown
  unsigned address_size = 8;  // bytes: the address wraps at this width
  bool read = false;
  bool write = false;
  // The stack slot of push/pop/call/ret/leave: not written in the operands.
  bool implicit = false;

  // base + index * scale + displacement (+ segment base), as the address the
  // access reaches (ArchInfo::data_address: AArch64's pointer tag dropped),
  // or nothing when a register it needs is not in `registers` (or the
  // segment base is unknown).
  std::optional<uint64_t> effective_address(const ArchInfo& arch,
                                            const Registers& registers) const;
  // True when `address` falls in [ea, ea + max(size, 1)).
  bool covers(uint64_t effective_address, uint64_t address) const;
};

// How the registers an instruction writes relate to the ones it reads.
enum class DataFlow {
  kNone,     // writes nothing of interest
  kDerived,  // every written register is computed from the read ones
  kClears,   // written registers get values unrelated to the read ones
};

struct InstructionSemantics {
  Instruction instruction;  // address, bytes and text
  InstructionKind kind = InstructionKind::kInvalid;
  std::vector<MemoryOperand> memory_operands;  // explicit ones first
  // For call/jump: exactly one of these is set for an indirect transfer
  // (target_memory indexes memory_operands); direct_target for a direct one.
  // A register target is the register's value plus target_offset (RISC-V
  // jalr's immediate); a memory target is the word at target_offset in its
  // operand (ARM ldm/pop with pc: the last word), else the operand's value.
  // Returns name the register or the memory they branch through where they
  // have one (ARM bx lr/pop {pc}, AArch64 x30, RISC-V ra).
  std::string_view target_register;
  int64_t target_offset = 0;
  std::optional<size_t> target_memory;
  std::optional<uint64_t> direct_target;
  // Registers by canonical name: the table's name for general registers
  // ("rax"), Capstone's for the others ("xmm0"). Flags, the program counter
  // and the stack pointer's implicit updates are left out. registers_read
  // includes the registers used to form memory addresses.
  std::vector<std::string_view> registers_read;
  std::vector<std::string_view> registers_written;
  DataFlow flow = DataFlow::kNone;

  bool is_branch() const {
    return kind == InstructionKind::kCall || kind == InstructionKind::kJump ||
           kind == InstructionKind::kConditionalJump || kind == InstructionKind::kReturn;
  }
  bool is_indirect_branch() const { return !target_register.empty() || target_memory.has_value(); }
  bool reads_memory() const;
  bool writes_memory() const;
};

class InstructionAnalyzer {
 public:
  // `mode` selects Thumb for 32-bit ARM (see instruction_mode()); the
  // other architectures ignore it.
  static Result<std::unique_ptr<InstructionAnalyzer>> create(
      const ArchInfo& arch, InstructionMode mode = InstructionMode::kDefault);
  virtual ~InstructionAnalyzer() = default;

  // The instruction at the start of `bytes`, placed at `address`. An
  // undecodable one comes back with kind kInvalid and instruction.valid false.
  virtual InstructionSemantics analyze(std::span<const uint8_t> bytes, uint64_t address) const = 0;

  // Up to `count` instructions from `address`, read through `memory`; stops
  // at unreadable memory or at the first instruction that does not decode
  // (which is included only when it is the first).
  std::vector<InstructionSemantics> analyze(const Memory& memory, uint64_t address,
                                            size_t count) const;

  virtual const ArchInfo& arch() const = 0;
  virtual size_t max_instruction_size() const = 0;
};

// The value of a register named as in ArchInfo::register_names, if present.
std::optional<uint64_t> register_value(const ArchInfo& arch, const Registers& registers,
                                       std::string_view name);

}  // namespace triage
