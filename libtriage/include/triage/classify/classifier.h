// Classification: from the signal, the siginfo, the faulting instruction's
// semantics, the registers, the memory map and the crashing thread's stack,
// to a crash class of the ClassTable.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "triage/classify/class_table.h"
#include "triage/core/memory.h"
#include "triage/core/process_snapshot.h"
#include "triage/unwind/frame.h"

namespace triage {

struct ClassificationInput {
  const ProcessSnapshot& snapshot;
  // The process's memory with module files layered under the core, so code
  // that the kernel did not dump can still be read.
  const Memory& memory;
  // The crashing thread's frames, symbolized, innermost first.
  std::span<const Frame> crashing_stack;
  // What the C library said before aborting, if anything (glibc's __abort_msg).
  std::string_view abort_message = {};
};

struct Classification {
  std::string class_name;  // a name of the ClassTable
  // Replaces the class name as ShortDescription where set (the type of an
  // uncaught C++ exception, e.g. "std::runtime_error").
  std::string short_description;
  std::optional<uint64_t> fault_address;  // derived when siginfo had none
  bool fault_address_derived = false;
  std::vector<std::string> notes;  // what is uncertain, for the report's warnings
};

Classification classify(const ClassificationInput& input, const ClassTable& classes);

}  // namespace triage
