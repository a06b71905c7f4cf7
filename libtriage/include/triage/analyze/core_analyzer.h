// The analysis of one core, end to end: read the core, resolve modules,
// unwind and symbolize every thread, classify, and build the Report. One
// CoreAnalyzer serves a whole batch: the ModuleCache it holds is shared by
// every core, so each module's symbols and CFI are loaded once. analyze()
// may be called from many threads at once.
#pragma once

#include <memory>
#include <string>

#include "triage/analyze/rules.h"
#include "triage/core/elf_core.h"
#include "triage/error.h"
#include "triage/report/report.h"
#include "triage/symbols/module_cache.h"
#include "triage/unwind/unwinder.h"

namespace triage {

struct AnalysisOptions {
  std::string executable;  // -e: the crashed program, when not where the core says
  ModuleSearch search;     // --sysroot, --debug-dir
  UnwindLimits unwind;     // for the crashing thread
  // The other threads matter less and a hostile core can hold thousands of
  // them: each gets at most this many frames, and all threads together at
  // most frame_budget; past it, a thread keeps only its registers' frame.
  size_t max_frames_other_threads = 256;
  size_t frame_budget = 20000;
  size_t disassembly_count = 16;
  int source_context = 5;  // lines shown each side of the crash line
  // Line tables and inlined frames for the runtime libraries the frame
  // filters skip (libc, libstdc++, ...) too. Off by default: their debug
  // files are large and their frames never make the crash line.
  bool system_sources = false;
};

// A frame as the report has it (FoundBy from its trust).
report::Frame to_report_frame(const Frame& frame);

class CoreAnalyzer {
 public:
  CoreAnalyzer(const Rules& rules, AnalysisOptions options);
  ~CoreAnalyzer();

  Result<report::Report> analyze_file(const std::string& core_path) const;
  report::Report analyze(const ProcessSnapshot& snapshot, const std::string& core_path) const;

  // The batch's modules; thread-safe, so analyses and their callers (a
  // sanitizer's raw frames) may load and query them at once.
  ModuleCache& module_cache() const { return *cache_; }

 private:
  const Rules& rules_;
  AnalysisOptions options_;
  std::unique_ptr<ModuleCache> cache_;
};

}  // namespace triage
