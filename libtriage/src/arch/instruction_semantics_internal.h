// Shared by the per-architecture analyzers (instruction_semantics_*.cpp).
#pragma once

#include <capstone/capstone.h>

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
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

// The arch table's name of each Capstone register id, and its width in
// bytes, made once per architecture by `canonical` from Capstone's own name
// ("" for registers that are not tracked).
class CapstoneRegisterNames {
 public:
  using Canonical = std::function<std::pair<std::string, unsigned>(std::string capstone_name)>;
  CapstoneRegisterNames(cs_arch arch, cs_mode mode, unsigned count, const Canonical& canonical);

  std::string_view name(unsigned id) const {
    return id < names_.size() ? std::string_view(names_[id]) : std::string_view();
  }
  unsigned width(unsigned id) const { return id < widths_.size() ? widths_[id] : 0; }

 private:
  std::vector<std::string> names_;
  std::vector<unsigned> widths_;
};

}  // namespace semantics_detail
}  // namespace triage
