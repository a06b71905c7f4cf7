// Running a target on one input: in a private working folder, as the leader
// of its own process group, with the core size limit raised (or under
// ptrace, which writes the core itself), stdout discarded and stderr kept
// (its head and tail), optionally without ASLR; at the timeout, or when its
// resident memory passes the limit, the whole process group is killed. Says
// what happened; what it means (crash, timeout, oom, ...) is the caller's to
// decide.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "triage/run/core_pattern.h"

namespace triage {

enum class CaptureMode { kKernel, kPtrace };

struct RunSettings {
  // The target's argv; "@@" in an argument becomes the input's absolute
  // path, and without "@@" the input is the target's stdin. argv[0] is
  // resolved against PATH and the current folder before the run.
  std::vector<std::string> command;
  std::vector<std::string> environment;  // "NAME=value"
  std::chrono::milliseconds timeout{10000};
  // Resident memory (MiB) the target may use, 0 for no limit. Watched, not
  // an rlimit: RLIMIT_AS breaks sanitizers (their shadow memory is
  // reserved address space) and makes malloc fail instead of stopping the run.
  uint64_t memory_limit_mb = 0;
  bool disable_aslr = false;
  CaptureMode capture = CaptureMode::kKernel;
  CorePattern core_pattern;             // kKernel: where the kernel puts cores
  size_t stderr_head_bytes = 16 << 10;  // stderr kept: its start and its end
  size_t stderr_tail_bytes = 48 << 10;
};

struct RunResult {
  bool started = false;   // false: the target could not be run (`error` says why)
  std::string error;
  bool timed_out = false;
  bool memory_exceeded = false;  // killed for passing the memory limit
  int wait_status = 0;    // as waitpid gives it
  std::string stderr_text;
  std::optional<std::string> core_path;
  std::string core_problem;  // why there is no core although the process dumped one (or should have)
  double seconds = 0;

  bool signaled() const;
  int signal() const;     // 0 if it exited
  int exit_code() const;  // -1 if killed by a signal
};

// The target's argv[0] made absolute (a bare name is searched in PATH);
// kNotFound / kInvalidArgument when it is missing or not executable.
Result<std::string> resolve_program(const std::string& program);

// Runs the target on `input` with `work_dir` (made fresh, then removed) as
// its working folder; a core goes to `core_destination`.
RunResult run_target(const RunSettings& settings, const std::string& input, const std::string& work_dir,
                     const std::string& core_destination);

}  // namespace triage
