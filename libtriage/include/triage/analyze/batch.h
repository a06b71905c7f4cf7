// Many cores at once: analyses run in parallel on a TBB arena of `jobs`
// threads, all sharing one CoreAnalyzer (and so one module cache).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "triage/analyze/core_analyzer.h"

namespace triage {

// Calls `done` once per core, from worker threads, in no fixed order.
void analyze_in_parallel(const CoreAnalyzer& analyzer, const std::vector<std::string>& core_paths, size_t jobs,
                         const std::function<void(const std::string& core_path, Result<report::Report>& result)>& done);

// True if `path` is a regular file that starts like an ELF core dump.
bool looks_like_core(const std::string& path);

}  // namespace triage
