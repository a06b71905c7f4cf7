// A fuzzing campaign triaged end to end, as triage-run does it: every input
// is run against the target (run/), each result analysed (analyze/) while
// other runs go on (a TBB pipeline, -j wide, one module cache for all),
// the crashes deduplicated and clustered (cluster/), and the output folder
// written: OUT/clN/ with a report and its input per distinct crash,
// OUT/timeout/ and OUT/oom/ with those inputs, OUT/summary.txt, and
// OUT/summary.json with every cluster and every input; on request also
// OUT/reports/ with every crash's own report, duplicates included.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "triage/analyze/core_analyzer.h"
#include "triage/classify/sanitizer_report.h"
#include "triage/cluster/clustering.h"
#include "triage/cluster/user_rules.h"
#include "triage/run/inputs.h"
#include "triage/run/target_runner.h"

namespace triage {

class Progress;

enum class InputStatus { kCrash, kTimeout, kOom, kNoCrash, kError };
const char* to_string(InputStatus status);  // "crash", "timeout", "oom", "no-crash", "error"

// What a run means: killed at the timeout (or libFuzzer's own timeout
// report) is kTimeout; killed at the memory limit, a sanitizer's
// out-of-memory report, or a SIGKILL we did not send (the kernel's OOM
// killer), kOom; any other fatal signal or
// sanitizer report kCrash; a normal exit kNoCrash; a run that could not
// start kError.
InputStatus status_of(const RunResult& run, const std::optional<SanitizerReport>& sanitizer);

struct CampaignSettings {
  std::vector<CrashInput> inputs;
  RunSettings run;          // command[0] resolved
  std::string output_dir;   // prepared (new or empty)
  std::string baseline_dir; // --baseline: an earlier triage-run output, or empty
  size_t jobs = 0;          // 0: one per CPU
  bool all_reports = false; // --all-reports: every crash's own report in OUT/reports/
  ClusterParameters clustering;
  ClusterRules cluster_rules;  // the user's merge and split rules and depth
  nlohmann::ordered_json rules_record;  // summary.json's "rules" (cluster/rules_record.h), if any
};

struct InputOutcome {
  InputStatus status = InputStatus::kError;
  std::string detail;    // "killed by SIGSEGV", "exit status 0", why it failed, ...
  std::string problem;   // for kCrash: why there is no core, if there is none
  double seconds = 0;
  std::optional<int> cluster;  // for kCrash
  std::string report;          // its report in OUT ("clN/name.casrep"), its own or the one it duplicates
  std::string own_report;      // with all_reports: its own report in OUT ("reports/name.casrep")
};

struct CampaignResult {
  std::vector<InputOutcome> outcomes;  // one per input, in input order
  size_t clusters = 0;
  size_t new_clusters = 0;  // against the baseline
  std::string summary_text;
};

// Runs everything; an Error only when the output can't be written or the
// baseline can't be read. Inputs that fail are kError outcomes.
Result<CampaignResult> run_campaign(const CampaignSettings& settings, const Rules& rules,
                                    const CoreAnalyzer& analyzer, Progress* progress);

}  // namespace triage
