// The analysis of stored crashes: each one's core is expanded and analysed by
// the CoreAnalyzer in a sandboxed child (online/sandbox.h) running as the
// crashing user, or as nobody when the dump was privileged or root's, so the
// files the core names are opened with that user's rights. The journal moves
// pending -> analysing -> analysed/failed; resume_crashes() finishes every
// crash a dead handler, a killed analysis or a reboot left behind.
#pragma once

#include <string>
#include <vector>

#include "triage/analyze/rules.h"
#include "triage/online/sandbox.h"
#include "triage/online/spool.h"

namespace triage::online {

struct AnalysisConfig {
  SandboxLimits limits;
  int max_attempts = 3;  // a core that kills the analysis this often is marked failed
  uid_t nobody_uid = 65534;
  gid_t nobody_gid = 65534;
  // For tests only: the child stops itself (SIGSTOP) before analysing, so a
  // test can kill the handler while the journal says "analysing".
  bool stop_before_analysis = false;
};

// Analyses one locked crash whose journal says pending or analysing; writes
// report.casrep beside the core and the outcome to meta.json. Returns the
// state it ends in.
CrashState analyse_crash(const Spool& spool, CrashDir& crash, const Rules& rules, const AnalysisConfig& config);

struct ResumeSummary {
  std::vector<std::string> analysed, failed, busy;
};

// Finishes the job for every crash not analysed yet: a capture the handler
// did not finish becomes a truncated core to analyse; pending and analysing
// ones are analysed (again). Crashes locked by a live handler are skipped.
ResumeSummary resume_crashes(const Spool& spool, const Rules& rules, const AnalysisConfig& config);

}  // namespace triage::online
