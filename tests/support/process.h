// Running a command in tests: argv without a shell, extra environment,
// stdout and stderr captured, killed at a time limit.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace triage_test {

struct ProcessResult {
  int status = -1;  // as from waitpid
  bool timed_out = false;
  std::string out;
  std::string err;
};

// Runs argv (searched in PATH) with extra "NAME=value" environment variables,
// stdin from /dev/null, capturing stdout and stderr; killed after `limit`.
ProcessResult run_process(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                          std::chrono::seconds limit = std::chrono::seconds(300));

// The exit status, or -1 when it was killed by a signal or timed out.
int exit_code(const ProcessResult& r);

// "exit status 1", "killed by signal Segmentation fault", "timed out".
std::string describe_status(const ProcessResult& r);

}  // namespace triage_test
