// The report of one run of a target: the core's analysis when there is a
// core, with the sanitizer's class and report when the target printed one
// (the sanitizer's class wins, as in CASR); without a core, a report from
// the sanitizer's stack (symbolized here, from the same files) or, failing
// that, from the exit signal alone, saying why there is no core.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "triage/analyze/core_analyzer.h"
#include "triage/classify/sanitizer_report.h"

namespace triage {

struct RunEvidence {
  std::optional<std::string> core_path;
  std::string core_problem;  // why there is no core
  std::string executable;    // absolute
  std::vector<std::string> command;  // as run, the input's path in place of @@
  int signal = 0;            // the fatal signal, 0 if it exited
  int exit_code = -1;
  std::string stderr_text;   // kept in the report as Stderr (already bounded by the runner)
  std::optional<SanitizerReport> sanitizer;
};

// kMalformed etc. only when the core exists but can't be read; a crash
// without a core always gets a report.
Result<report::Report> report_of_run(const CoreAnalyzer& analyzer, const Rules& rules, const RunEvidence& run);

}  // namespace triage
