// Shared by the per-architecture analyzers (instruction_semantics_*.cpp).
#pragma once

#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "triage/arch/instruction_semantics.h"

namespace triage {

Result<std::unique_ptr<InstructionAnalyzer>> make_x86_analyzer(const ArchInfo& arch);
Result<std::unique_ptr<InstructionAnalyzer>> make_arm_analyzer(const ArchInfo& arch,
                                                               InstructionMode mode);
Result<std::unique_ptr<InstructionAnalyzer>> make_aarch64_analyzer(const ArchInfo& arch);
Result<std::unique_ptr<InstructionAnalyzer>> make_riscv_analyzer(const ArchInfo& arch);

namespace semantics_detail {

// Adds `name` unless empty or already there.
void add_unique(std::vector<std::string_view>& set, std::string_view name);

// An instruction that did not decode: one byte of it, kind kInvalid.
InstructionSemantics& mark_invalid(InstructionSemantics& s, std::span<const uint8_t> bytes);

// kLoad/kStore/kLoadStore/kOther from the directions of the memory operands.
InstructionKind kind_from_accesses(const InstructionSemantics& s);

}  // namespace semantics_detail
}  // namespace triage
