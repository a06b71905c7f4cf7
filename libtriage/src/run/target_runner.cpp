// vfork/exec rather than Boost.Process: the child must become a process
// group leader, set resource limits and its personality, and (for capture)
// ask to be traced, all between fork and exec; and the parent must own the
// waitpid loop, which ptrace stops go through. Everything the child needs is
// prepared before the vfork, so the child only makes system calls.
#include "triage/run/target_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "triage/run/ptrace_capture.h"

namespace fs = std::filesystem;

namespace triage {
namespace {

bool is_core_signal(int signal) {
  switch (signal) {
    case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE:
    case SIGSEGV: case SIGSYS: case SIGXCPU: case SIGXFSZ:
      return true;
    default:
      return false;
  }
}

// The start and the end of a file, with a note of what was left out.
std::string read_head_and_tail(const std::string& path, size_t head, size_t tail) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  auto read_at = [&](off_t offset, size_t size) {
    std::string text(size, '\0');
    ssize_t got = pread(fd, text.data(), size, offset);
    text.resize(got > 0 ? static_cast<size_t>(got) : 0);
    return text;
  };
  struct stat info {};
  fstat(fd, &info);
  const size_t size = static_cast<size_t>(info.st_size);
  std::string text;
  if (size <= head + tail) {
    text = read_at(0, size);
  } else {
    text = read_at(0, head) + "\n[... " + std::to_string(size - head - tail) + " bytes of stderr left out ...]\n" +
           read_at(static_cast<off_t>(size - tail), tail);
  }
  close(fd);
  return text;
}

// The resident memory of a process, in bytes (0 if it can't be read).
uint64_t resident_bytes(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/statm", static_cast<int>(pid));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char text[128] = {};
  ssize_t got = read(fd, text, sizeof text - 1);
  close(fd);
  unsigned long long size = 0, resident = 0;
  if (got <= 0 || std::sscanf(text, "%llu %llu", &size, &resident) != 2) return 0;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

enum class WaitEnd { kExited, kDeadline, kMemory };

// Waits for `pid` until `deadline`, watching its resident memory when a
// limit is set.
WaitEnd wait_until(pid_t pid, std::chrono::steady_clock::time_point deadline, uint64_t memory_limit, int& status) {
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  const auto watch = memory_limit ? std::chrono::milliseconds(20) : std::chrono::milliseconds(1000);
  WaitEnd end = WaitEnd::kExited;
  for (auto pause = std::chrono::milliseconds(1);;) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) break;
    if (memory_limit && resident_bytes(pid) > memory_limit) {
      end = WaitEnd::kMemory;
      break;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      end = WaitEnd::kDeadline;
      break;
    }
    if (pidfd >= 0) {
      // Wakes when the process exits (Linux 5.3 and later).
      pollfd ready = {pidfd, POLLIN, 0};
      poll(&ready, 1, static_cast<int>(std::min(left, watch).count()));
    } else {
      std::this_thread::sleep_for(std::min({pause, left, watch}));
      pause = std::min(pause * 2, std::chrono::milliseconds(20));
    }
  }
  if (pidfd >= 0) close(pidfd);
  return end;
}

}  // namespace

bool RunResult::signaled() const {
  return started && !timed_out && !memory_exceeded && WIFSIGNALED(wait_status);
}
int RunResult::signal() const { return signaled() ? WTERMSIG(wait_status) : 0; }
int RunResult::exit_code() const { return started && WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1; }

Result<std::string> resolve_program(const std::string& program) {
  std::error_code error;
  std::vector<fs::path> candidates;
  if (program.find('/') != std::string::npos) {
    candidates.push_back(fs::absolute(program, error));
  } else if (const char* path = std::getenv("PATH")) {
    std::string dirs = path;
    for (size_t begin = 0; begin <= dirs.size();) {
      size_t end = dirs.find(':', begin);
      if (end == std::string::npos) end = dirs.size();
      candidates.push_back(fs::path(end > begin ? dirs.substr(begin, end - begin) : ".") / program);
      begin = end + 1;
    }
  }
  for (const fs::path& candidate : candidates) {
    if (!fs::is_regular_file(candidate, error)) continue;
    if (access(candidate.c_str(), X_OK) != 0) {
      return make_error(ErrorKind::kInvalidArgument, candidate.string() + " is not executable (chmod +x it?)");
    }
    return fs::absolute(candidate, error).string();
  }
  return make_error(ErrorKind::kNotFound, "the target " + program + " does not exist" +
                                              (program.find('/') == std::string::npos ? " in PATH" : ""));
}

RunResult run_target(const RunSettings& settings, const std::string& input, const std::string& work_dir,
                     const std::string& core_destination) {
  RunResult result;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + settings.timeout;
  std::error_code error;
  fs::remove_all(work_dir, error);
  fs::create_directories(work_dir, error);
  if (error) {
    result.error = "cannot make the working folder " + work_dir + ": " + error.message();
    return result;
  }
  if (settings.command.empty()) {
    result.error = "no target command";
    return result;
  }

  // Everything the child needs, made before fork.
  const std::string input_path = fs::absolute(input, error).string();
  std::vector<std::string> args = settings.command;
  bool input_in_args = false;
  for (size_t i = 1; i < args.size(); ++i) {
    for (size_t at; (at = args[i].find("@@")) != std::string::npos;) {
      args[i].replace(at, 2, input_path);
      input_in_args = true;
    }
  }
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> environment = settings.environment;
  std::vector<char*> envp;
  for (std::string& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);
  const std::string stderr_path = (fs::path(work_dir) / ".stderr").string();

  int input_fd = open(input_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (input_fd < 0) {
    result.error = "cannot read the input " + input + ": " + std::strerror(errno);
    fs::remove_all(work_dir, error);
    return result;
  }
  int stdin_fd = input_in_args ? open("/dev/null", O_RDONLY | O_CLOEXEC) : input_fd;
  int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  int stderr_fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int exec_status[2] = {-1, -1};
  auto close_all = [&] {
    for (int fd : {input_fd, input_in_args ? stdin_fd : -1, null_fd, stderr_fd, exec_status[0], exec_status[1]}) {
      if (fd >= 0) close(fd);
    }
  };
  if (stdin_fd < 0 || null_fd < 0 || stderr_fd < 0 || pipe2(exec_status, O_CLOEXEC) != 0) {
    result.error = std::string("cannot set up the run: ") + std::strerror(errno);
    close_all();
    return result;
  }
  rlimit core_limit = {RLIM_INFINITY, RLIM_INFINITY};
  // Under ptrace we write the core ourselves. 1, not 0: with a pipe in
  // core_pattern the kernel ignores 0 but takes 1 as "don't dump".
  if (settings.capture == CaptureMode::kPtrace) core_limit = {1, 1};
  rlimit hard_core_limit {};
  getrlimit(RLIMIT_CORE, &hard_core_limit);
  if (settings.capture == CaptureMode::kKernel && hard_core_limit.rlim_max != RLIM_INFINITY && geteuid() != 0) {
    core_limit = {hard_core_limit.rlim_max, hard_core_limit.rlim_max};
  }

  // vfork: the child shares our memory until it execs, so a batch process
  // with a large module cache does not pay for copying its page tables on
  // every run. The child below only makes system calls and writes `failure`.
  const pid_t pid = vfork();
  if (pid < 0) {
    result.error = std::string("vfork: ") + std::strerror(errno);
    close_all();
    return result;
  }
  if (pid == 0) {
    int failure = 0;
    if (setpgid(0, 0) != 0 || chdir(work_dir.c_str()) != 0 || dup2(stdin_fd, 0) < 0 || dup2(null_fd, 1) < 0 ||
        dup2(stderr_fd, 2) < 0 || setrlimit(RLIMIT_CORE, &core_limit) != 0 ||
        (settings.disable_aslr && personality(ADDR_NO_RANDOMIZE) < 0)) {
      failure = errno;
    } else if (settings.capture == CaptureMode::kPtrace && (failure = prepare_traced_child()) != 0) {
    } else {
      execve(argv[0], argv.data(), envp.data());
      failure = errno;
    }
    (void)!write(exec_status[1], &failure, sizeof failure);
    _exit(127);
  }
  setpgid(pid, pid);  // also here, so that a kill at the timeout can't miss the group
  close(exec_status[1]);
  exec_status[1] = -1;
  int exec_errno = 0;
  ssize_t got;
  while ((got = read(exec_status[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {
  }
  result.started = got != static_cast<ssize_t>(sizeof exec_errno);
  if (!result.started) {
    waitpid(pid, &result.wait_status, 0);
    result.error = "cannot run " + settings.command[0] + ": " + std::strerror(exec_errno);
    close_all();
    fs::remove_all(work_dir, error);
    return result;
  }
  close_all();

  if (settings.capture == CaptureMode::kPtrace) {
    TraceOutcome outcome = trace_until_exit(pid, core_destination, deadline, TraceLimits{});
    result.wait_status = outcome.wait_status;
    result.timed_out = outcome.timed_out;
    result.core_path = outcome.core_path;
    result.core_problem = outcome.problem;
  } else if (WaitEnd end = wait_until(pid, deadline, settings.memory_limit_mb << 20, result.wait_status);
             end != WaitEnd::kExited) {
    kill(-pid, SIGKILL);
    while (waitpid(pid, &result.wait_status, 0) < 0 && errno == EINTR) {
    }
    result.timed_out = end == WaitEnd::kDeadline;
    result.memory_exceeded = end == WaitEnd::kMemory;
  }
  kill(-pid, SIGKILL);  // whatever the target left running in its group

  if (settings.capture == CaptureMode::kKernel && result.signaled()) {
    if (WCOREDUMP(result.wait_status)) {
      auto collected = collect_core(settings.core_pattern, pid, work_dir, core_destination);
      if (collected) result.core_path = core_destination;
      else result.core_problem = collected.error().message;
    } else if (is_core_signal(result.signal())) {
      result.core_problem = std::string("the target died of ") + strsignal(result.signal()) +
                            " without dumping a core (a core size limit, or the program is not dumpable)";
    }
  }
  result.stderr_text = read_head_and_tail(stderr_path, settings.stderr_head_bytes, settings.stderr_tail_bytes);
  fs::remove_all(work_dir, error);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace triage
