// Disassembly: with Capstone for x86, ARM/Thumb and AArch64, and for RISC-V
// with Capstone's where the Capstone built against has it (version 5 and
// later), else with our own decoder (arch/riscv_decoder.h): Debian 12 ships
// Capstone 4. The classifier's RISC-V semantics always use our decoder.
// One Disassembler per thread (Capstone handles are not shared between
// threads).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "triage/arch/arch.h"
#include "triage/core/memory.h"
#include "triage/core/process_snapshot.h"
#include "triage/error.h"

namespace triage {

struct Instruction {
  uint64_t address = 0;
  std::vector<uint8_t> bytes;
  std::string mnemonic;
  std::string operands;
  bool valid = true;  // false: the bytes do not decode (shown as "(bad)")
  std::string text() const;  // "mnemonic operands"
};

enum class InstructionMode { kDefault, kThumb };

// The state a thread executes in: Thumb for 32-bit ARM with the CPSR T bit
// (bit 5) set, kDefault otherwise.
InstructionMode instruction_mode(const ArchInfo& arch, const Registers& registers);

class Disassembler {
 public:
  static Result<std::unique_ptr<Disassembler>> create(const ArchInfo& arch,
                                                      InstructionMode mode = InstructionMode::kDefault);
  virtual ~Disassembler() = default;

  // Up to `count` instructions from `address`, reading bytes through `memory`.
  // Stops early at unreadable memory; an undecodable first instruction is
  // returned with valid = false.
  virtual std::vector<Instruction> disassemble(const Memory& memory, uint64_t address,
                                               size_t count) const = 0;
};

// The RISC-V one (disassembler_riscv.cpp).
std::unique_ptr<Disassembler> make_riscv_disassembler(const ArchInfo& arch);

}  // namespace triage
