// Finding the C++ exception that reached std::terminate, in a crashed
// process's memory (libstdc++'s exception ABI). Internal to classify/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "triage/arch/arch.h"
#include "triage/core/memory.h"

namespace triage::classify_detail {

struct ThrownException {
  uint64_t unwind_header = 0;  // address of the _Unwind_Exception
  uint64_t object = 0;         // address of the thrown object
  bool dependent = false;      // found through a dependent exception (rethrow_exception)
  std::string mangled_type;    // type_info::name(), without a leading '*'
  std::string type;            // demangled ("std::runtime_error"), else the mangled name
  // The message of a std::runtime_error / std::logic_error (or a class
  // derived from one), when it reads as printable text.
  std::optional<std::string> what;
};

// Scans pointer-sized words in [stack_pointer, stack_end) (at most 64 KiB)
// for a pointer to a live libstdc++ exception (its unwind header, its
// __cxa_exception header or the thrown object) and reads the thrown type.
std::optional<ThrownException> find_thrown_exception(const Memory& memory, const ArchInfo& arch,
                                                     uint64_t stack_pointer,
                                                     std::optional<uint64_t> stack_end);

// Demangles a type name ("St13runtime_error" -> "std::runtime_error"); the
// input unchanged when it does not demangle.
std::string demangle_type(const std::string& mangled);

}  // namespace triage::classify_detail
