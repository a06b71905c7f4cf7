// The kernel's core_pattern handler (triage-core -m online): what the kernel
// says about the crash (its %-specifiers), the checks that the process is the
// one it says and still there, and the capture of the core from stdin into
// the spool, bounded and journaled, before any analysis. The rules it keeps
// and what each protects against are in docs/online.md.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "triage/online/analysis.h"
#include "triage/online/spool.h"

namespace triage::online {

// The core_pattern specifiers, as given on the command line.
struct KernelArgs {
  pid_t pid = 0;               // %P: in the initial pid namespace
  pid_t pid_in_namespace = 0;  // %p
  long long uid = -1;          // %u
  long long gid = -1;          // %g
  int signal = 0;              // %s
  uint64_t core_limit = UINT64_MAX;  // %c: the process's RLIMIT_CORE
  int dump_mode = -1;          // %d: 0, 1 (user) or 2 (root: suid_dumpable)
  int64_t time = 0;            // %t
  std::string executable;      // %E: the path with '/' as '!'
  int pidfd = -1;              // %F: a pidfd of the process, on kernels that have it
};

enum class AnalysisMode { kBackground, kForeground, kNone };

struct HandlerConfig {
  std::string spool = "/var/crash";
  QuotaLimits quota;
  uint64_t max_core_bytes = 2ull << 30;  // our cap, besides %c
  bool compress = true;
  AnalysisMode analysis = AnalysisMode::kBackground;
  AnalysisConfig analysis_config;
  std::string rules_dir;  // empty: default_rules_dir()
};

// Exit codes of the handler (also in the log).
inline constexpr int kHandlerStored = 0;
inline constexpr int kHandlerRejected = 1;   // bad specifiers, or the process is not who they say
inline constexpr int kHandlerNoSpool = 4;    // nothing could be stored

// Moves stdin (the core) away and points fds 0-2 at /dev/null; returns the
// core's descriptor. First thing the handler does: a library that writes to
// stderr must not write into a file or a socket someone else chose.
int take_core_input();

// The handler, after take_core_input(). Logs every decision in the spool's
// log and returns one of the codes above.
int run_handler(const KernelArgs& args, int core_fd, const HandlerConfig& config);

// For a bad command line in online mode: the message goes to the log of
// `spool` (or syslog when it can't be opened), as there is no stderr.
void log_handler_failure(const std::string& spool, const std::string& message);

// The spool to use under `path`: `path` itself, or its triage-core/
// subfolder when `path` is writable by others (as /var/crash is on systems
// with apport: mode 1777).
std::string spool_folder(const std::string& path);

}  // namespace triage::online
