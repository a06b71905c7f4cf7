// The child: close_range past the kept descriptors, setgroups/setresgid/
// setresuid (in that order: gid first, while still allowed), rlimits,
// PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG. The parent reads the pipe under
// poll until EOF or the deadline, then reaps the child.
#include "triage/online/sandbox.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace triage::online {
namespace {

// The process's mapped address space (/proc/self/statm's first field), read
// with plain system calls: this runs between fork and exit.
uint64_t mapped_bytes() {
  char text[128] = {};
  const int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  const ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return 0;
  return std::strtoull(text, nullptr, 10) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}


[[noreturn]] void child_fail(int fd, const char* what) {
  std::string text = std::string("sandbox: ") + what + ": " + std::strerror(errno);
  (void)!write(fd, text.data(), text.size());
  _exit(125);
}

void set_limit(int resource, uint64_t value) {
  rlimit limit{static_cast<rlim_t>(value), static_cast<rlim_t>(value)};
  setrlimit(resource, &limit);
}

}  // namespace

SandboxOutcome run_sandboxed(const std::function<int(int)>& work, uid_t uid, gid_t gid, const SandboxLimits& limits,
                             int keep_fd) {
  SandboxOutcome outcome;
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    outcome.problem = std::string("pipe: ") + std::strerror(errno);
    return outcome;
  }
  const pid_t parent = getpid();
  const pid_t child = fork();
  if (child < 0) {
    outcome.problem = std::string("fork: ") + std::strerror(errno);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return outcome;
  }
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);
    // Only fds 0-2 (/dev/null in the handler), the answer pipe (3) and the
    // kept file (4) stay open.
    int answer = fcntl(pipe_fds[1], F_DUPFD, 10);
    int kept = keep_fd >= 0 ? fcntl(keep_fd, F_DUPFD, 10) : -1;
    if (answer < 0 || dup2(answer, 3) < 0) _exit(125);
    if (kept >= 0 && dup2(kept, 4) < 0) child_fail(3, "dup2");
    syscall(SYS_close_range, kept >= 0 ? 5u : 4u, ~0u, 0u);
    set_limit(RLIMIT_CORE, 0);
    prctl(PR_SET_DUMPABLE, 0);  // no core of ours, not even through a core_pattern pipe
    if (geteuid() == 0) {
      if (setgroups(0, nullptr) != 0) child_fail(3, "setgroups");
      if (setresgid(gid, gid, gid) != 0) child_fail(3, "setresgid");
      if (setresuid(uid, uid, uid) != 0) child_fail(3, "setresuid");
      if (uid != 0 && setuid(0) == 0) child_fail(3, "privileges could be regained");
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) child_fail(3, "PR_SET_NO_NEW_PRIVS");
    // The budget comes on top of what is mapped already: a sanitizer build
    // reserves terabytes of shadow memory before main.
    set_limit(RLIMIT_AS, mapped_bytes() + limits.address_space_bytes);
    set_limit(RLIMIT_CPU, limits.cpu_seconds);
    set_limit(RLIMIT_NOFILE, 256);
    _exit(work(3));
  }
  close(pipe_fds[1]);
  const auto deadline = std::chrono::steady_clock::now() + limits.wall;
  bool killed = false, too_big = false;
  char buffer[1 << 16];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(child, SIGKILL);
      killed = true;
      break;
    }
    pollfd p{pipe_fds[0], POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    ssize_t n = read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (outcome.answer.size() + static_cast<size_t>(n) > limits.max_answer_bytes) {
      kill(child, SIGKILL);
      too_big = true;
      break;
    }
    outcome.answer.append(buffer, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (killed) {
    outcome.problem = "the analysis took longer than " + std::to_string(limits.wall.count()) + " s and was killed";
  } else if (too_big) {
    outcome.problem = "the analysis's answer passed " + std::to_string(limits.max_answer_bytes) + " bytes";
  } else if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    outcome.problem = std::string("the analysis was killed by ") + (sigabbrev_np(sig) ? "SIG" : "signal ") +
                      (sigabbrev_np(sig) ? sigabbrev_np(sig) : std::to_string(sig)) +
                      (sig == SIGXCPU || sig == SIGKILL ? " (a CPU or memory limit?)" : "");
  } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    outcome.problem = "the analysis failed (exit status " + std::to_string(WEXITSTATUS(status)) + ")";
  } else {
    outcome.ok = true;
  }
  return outcome;
}

}  // namespace triage::online
