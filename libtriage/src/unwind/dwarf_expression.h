// Evaluates the DWARF expressions libdw hands out for CFA and register rules.
// Internal to unwind/.
#pragma once

#include <elfutils/libdw.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "triage/core/memory.h"

namespace triage::unwind_detail {

struct ExpressionContext {
  // A register's value by DWARF number; nullopt if unknown.
  std::function<std::optional<uint64_t>(unsigned)> read_register;
  const Memory* memory = nullptr;
  std::optional<uint64_t> cfa;  // for DW_OP_call_frame_cfa
  unsigned address_size = 8;
};

// The value the expression computes. `is_location` is set when the result
// is an address holding the value (no trailing DW_OP_stack_value).
std::optional<uint64_t> evaluate(std::span<const Dwarf_Op> ops, const ExpressionContext& context,
                                 bool* is_location);

}  // namespace triage::unwind_detail
