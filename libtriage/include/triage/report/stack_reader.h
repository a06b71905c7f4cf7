// Reading a .casrep for its crash stack only: CrashSeverity, CrashLine, the
// crashing thread's first frames and, for reports without Threads (CASR's),
// Stacktrace, ProcMaps and AsanReport. Everything else is skipped unread,
// which makes a 1 MiB report of a deep stack about ten times quicker to read
// than parse_report does; the parts read are decoded and checked as
// parse_report would.
#pragma once

#include <cstddef>
#include <string_view>

#include "triage/error.h"
#include "triage/report/report.h"

namespace triage::report {

// The crashing thread (Crashed, else the first) keeps at most `max_frames`
// frames; other threads are left out.
Result<Report> parse_report_stack(std::string_view text, size_t max_frames);

}  // namespace triage::report
