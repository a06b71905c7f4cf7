// Disassembly: with Capstone for x86, ARM/Thumb and AArch64, and with our
// own decoder (arch/riscv_decoder.h) for RISC-V, which Capstone 4 lacks.
// One Disassembler per thread (Capstone handles are not shared between
// threads).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "triage/arch/arch.h"
#include "triage/core/memory.h"
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
