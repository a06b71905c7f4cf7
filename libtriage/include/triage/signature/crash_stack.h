// A crash's stack as deduplication and clustering compare it. The crashing
// thread's frames (from our Threads, else CASR's Stacktrace lines, else the
// first stack of an AsanReport) become stable keys: the demangled function
// without parameters with file:line, else module+offset; frames of runtimes
// are filtered by the rules' frame filters; frames at a wild pc (no symbol,
// no module) are dropped; a repeated run of frames (recursion) is kept once.
// Nothing in a key depends on where things were loaded, so the same crash
// gives the same keys on every run.
#pragma once

#include <string>
#include <vector>

#include "triage/classify/class_table.h"
#include "triage/report/report.h"
#include "triage/signature/frame_filter.h"

namespace triage {

struct CrashStack {
  std::string type;        // CrashSeverity.Type
  std::string class_name;  // CrashSeverity.ShortDescription
  std::string family;      // the class's family (classes.json): clusters never mix two
  std::string crash_line;  // the report's CrashLine, for people
  // Normalised frames, the crash frame first: "function file.c:line",
  // "function module+0xoffset", "function" or "module+0xoffset".
  std::vector<std::string> frames;
  // Where the crash happened, which one cluster never mixes either: the crash
  // frame's key, or, for a stack overflow in a recursion, the recursion's
  // frames (where in the cycle the stack ran out varies by input). Empty
  // when the report has no usable frame.
  std::string crash_site;
  // The callers below the crash site, by function only (a caller reaches the
  // same crash from whichever line): what stack similarity compares.
  std::vector<std::string> callers;

  // Reports with equal signatures are duplicates: the class and every frame.
  std::string signature() const;
};

// Frames kept per stack after filtering and collapsing recursion: the top of
// a stack says where a bug is; an endless bottom only makes signatures unique.
inline constexpr size_t kMaxSignatureFrames = 64;

// What became of each frame of the crashing thread on the way to a
// CrashStack, for explaining a signature (triage-cluster --explain).
struct FrameFate {
  enum class Fate { kKept, kFiltered, kWild };
  std::string function;  // without its parameter list
  std::string file;
  int line = 0;
  std::string module;
  std::string key;  // its normalised key; empty for a wild pc
  Fate fate = Fate::kKept;
  FrameFilter::Match filter;  // kFiltered: the pattern that dropped it
};

struct StackTrace {
  std::vector<FrameFate> frames;  // in the report's order, the crash frame first
  bool all_runtime = false;       // every frame was filtered, so all were kept
  size_t kept = 0;                // frames kept by the filters
  size_t collapsed = 0;           // left after collapsing recursion
  size_t above_site = 0;          // a stack overflow's frames above its recursion, left out
};

// `trace`, when given, records what became of every frame.
CrashStack crash_stack_of(const report::Report& report, const ClassTable& classes,
                          const FrameFilter& filter, StackTrace* trace = nullptr);

// Collapses repeated runs of up to 16 frames to one run, in place:
// "a b b b c" -> "a b c", "f g f g f g h" -> "f g h". Returns, for each frame
// left, whether it stands for a repeated run.
std::vector<bool> collapse_recursion(std::vector<std::string>& frames);

}  // namespace triage
