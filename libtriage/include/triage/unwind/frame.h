// A frame of a thread's stack as unwinding finds it and symbolization
// completes it. Every frame says how it was found, so a reader knows how far
// to trust it (Breakpad's frame trust).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace triage {

enum class FrameTrust {
  kContext,       // the thread's own registers: frame 0
  kCfi,           // unwound with DWARF call frame information
  kExidx,         // unwound with ARM EHABI tables (.ARM.exidx/.ARM.extab)
  kPrologue,      // read the function's prologue (ARM code with no unwind tables)
  kFramePointer,  // followed the frame pointer / link register
  kScan,          // a return address found by scanning the stack: may be spurious
};

const char* to_string(FrameTrust trust);  // "context", "cfi", "exidx", "prologue", "fp", "scan"

// A function name without its parameter list and what follows it
// ("ns::Parser::parse(char const*) const" -> "ns::Parser::parse"); names
// without parameters (C, Rust, Go) come back unchanged. Used wherever a rule
// or a gdb-style line names a function.
std::string function_without_parameters(std::string_view function);

struct Frame {
  uint64_t pc = 0;          // the address as unwound (a return address for callers)
  FrameTrust trust = FrameTrust::kContext;
  // Filled in by symbolization. An inlined call becomes a frame of its own
  // with the same pc and inlined = true, listed before the function it is inlined into.
  std::string module;       // path of the mapped file, empty if none
  uint64_t module_offset = 0;  // pc - module load base
  std::string function;     // demangled, with parameters for C++; empty if unknown
  uint64_t function_offset = 0;
  std::string file;
  int line = 0;
  int column = 0;
  bool inlined = false;
  bool module_mismatch = false;  // the module on disk differs from the one in the core
};

struct ThreadStack {
  int tid = 0;
  std::vector<Frame> frames;
  bool truncated = false;  // stopped at the frame limit
  std::string stop_reason;  // why unwinding ended, when not at the outermost frame
};

}  // namespace triage
