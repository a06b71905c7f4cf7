// Running untrusted work (parsing a core a crashing process wrote) in a
// forked child: privileges dropped to a given user before the work opens
// anything, RLIMIT_AS/RLIMIT_CPU/RLIMIT_NOFILE, no core of its own, no new
// privileges, killed at a wall-clock deadline or when the parent dies. The
// child's answer comes back as bytes through a pipe, bounded in size.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace triage::online {

struct SandboxLimits {
  uint64_t address_space_bytes = 4ull << 30;
  unsigned cpu_seconds = 60;
  std::chrono::seconds wall{120};
  uint64_t max_answer_bytes = 64ull << 20;
};

struct SandboxOutcome {
  bool ok = false;          // the child exited 0 and its answer was read whole
  std::string answer;       // what the child wrote
  std::string problem;      // why not ok: "killed by SIGKILL (the wall-clock limit)", ...
};

// Forks; in the child, keeps only `keep_fd` (besides the answer pipe and
// fds 0-2), drops to uid/gid (groups cleared) when running as root, sets
// the limits, then calls work(answer_fd) and exits with its return value.
// `work` must not return into the parent's stack: it runs in the child.
SandboxOutcome run_sandboxed(const std::function<int(int answer_fd)>& work, uid_t uid, gid_t gid,
                             const SandboxLimits& limits, int keep_fd = -1);

}  // namespace triage::online
