// A report of a live process that goes on running (triage-core --pid): a
// core captured under ptrace (run/ptrace_capture.h) into a private temporary
// file, analysed like any core, with what only a live process has: its open
// files, and the memory around the registers of every thread.
#pragma once

#include <sys/types.h>

#include "triage/analyze/core_analyzer.h"
#include "triage/error.h"
#include "triage/report/report.h"

namespace triage::online {

Result<report::Report> report_live_process(pid_t pid, const CoreAnalyzer& analyzer);

}  // namespace triage::online
