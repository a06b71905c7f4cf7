// Capturing a crashing process's core ourselves, when the kernel's
// core_pattern can't give it to us (a pipe to a helper we can't use, a
// container whose core_pattern is the host's) or when asked to: the target
// runs under ptrace; when a signal whose default action dumps core is about
// to kill it, every thread is stopped, its registers, maps and the memory the
// analysis needs are read, and a compact ELF core (run/core_writer.h) is
// written that load_elf_core() reads like a kernel's. This module owns the
// tracing (following threads, passing signals on, the deadline) and the
// choice of what memory goes into the core.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace triage {

// In the child, between fork and exec: makes it traceable by the thread that
// forked it (PTRACE_TRACEME); its exec then stops it. Async-signal-safe.
// Returns 0 or an errno value.
int prepare_traced_child();

struct TraceLimits {
  uint64_t max_core_bytes = 256ull << 20;    // the whole core file
  uint64_t max_mapping_bytes = 64ull << 20;  // the bytes written for any one mapping
  // How long to wait for the other threads to stop before writing the core
  // without those that did not.
  std::chrono::milliseconds stop_threads_timeout{2000};
};

struct TraceOutcome {
  int wait_status = 0;     // how the process ended, as waitpid reports it (killed by the fatal signal after capture)
  bool timed_out = false;  // the deadline passed: the process group (or the process) was killed with SIGKILL
  int core_signal = 0;     // the core-dumping signal that was about to kill it; 0 if none came
  pid_t crashing_tid = 0;  // the thread it was delivered to
  std::optional<std::string> core_path;  // written when a core-dumping signal arrived with its default action
  uint64_t core_bytes = 0;
  std::string problem;             // why there is no core although one was due (for the user: what to do)
  std::vector<std::string> notes;  // what the core leaves out: mappings cut by the limits, threads not stopped, ...
};

// The tracer. `child` was forked by the calling thread with
// prepare_traced_child() in the child, and has exec'd (it is, or will be,
// stopped at its exec). Follows every thread (PTRACE_O_TRACECLONE; waits with
// __WALL on the traced thread ids only, never waitpid(-1): other children of
// this process belong to other runs going on in parallel threads), passes
// other signals on unchanged, and when a core-dumping signal (SIGSEGV,
// SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS, SIGXCPU, SIGXFSZ, SIGQUIT)
// is about to be delivered and the process neither catches nor ignores it
// (/proc/PID/status SigCgt, SigIgn: with a handler, as ASan installs, the
// signal is delivered and tracing goes on), stops all threads, writes the
// core to core_path, then delivers the signal so the process dies of it. At
// the deadline it kills the child's process group if the child leads one,
// else the child. Forked (not cloned-thread) children are not traced.
// Must be called from the thread that forked `child`, for the whole trace
// (ptrace requests are per tracer thread); the tracee is killed if that
// thread exits (PTRACE_O_EXITKILL).
TraceOutcome trace_until_exit(pid_t child, const std::string& core_path,
                              std::chrono::steady_clock::time_point deadline, const TraceLimits& limits = {});

// A core of a running process that is not ours, which goes on running: every
// thread is seized (PTRACE_SEIZE) and stopped (PTRACE_INTERRUPT), the core is
// written as above without a signal, and every thread is detached. Needs
// the right to ptrace `pid`. core_signal is 0; problem says why there is no core.
TraceOutcome capture_live_process(pid_t pid, const std::string& core_path, const TraceLimits& limits = {});

}  // namespace triage
