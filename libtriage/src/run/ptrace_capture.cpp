// The tracer and the core it writes. Waiting: each traced thread id is polled
// with waitpid(tid, WNOHANG | __WALL) (never -1: other runs' children belong
// to other threads of this process), backing off to 2 ms when nothing
// happens (more for processes with many threads). Capture: the other threads get SIGSTOP and are waited for; their
// registers (PTRACE_GETREGSET), /proc/PID/{stat,status,cmdline,auxv,smaps}
// and /proc/PID/mem give the rest.
//
// What memory goes in: what the analysis reads and can't get from the mapped
// files. Stacks from a page below sp to their top (the part below sp is dead),
// the vDSO, the first page of each mapped ELF file (its build-id), writable
// mappings, read-only file mappings the process modified (RELRO, relocated
// data: smaps "Anonymous"), anonymous mappings; in that order of priority
// under the size limits (the crashing thread's stack first, then smaller
// mappings before bigger ones). Code and read-only data of mapped files get
// p_filesz 0, as in a kernel core with the default coredump_filter; so do
// MADV_DONTDUMP, I/O and PFN mappings ([vvar], ASan's shadow).
#include "triage/run/ptrace_capture.h"

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <set>
#include <span>
#include <sstream>
#include <thread>

#include "triage/arch/arch.h"
#include "triage/run/core_writer.h"
#include "triage/util/checked.h"

namespace triage {
namespace {

using Clock = std::chrono::steady_clock;

#ifndef NT_PRFPREG
constexpr int NT_PRFPREG = 2;
#endif

std::optional<std::string> read_text(const std::string& path, size_t max_bytes = 256u << 20) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buffer[1 << 16];
  bool failed = false;
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) failed = true;
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > max_bytes) break;
  }
  close(fd);
  if (failed && text.empty()) return std::nullopt;
  return text;
}

// "Key:\tvalue" of a /proc status file.
std::optional<std::string> status_field(const std::string& status, std::string_view key) {
  size_t at = 0;
  while (at < status.size()) {
    size_t end = status.find('\n', at);
    if (end == std::string::npos) end = status.size();
    std::string_view line(status.data() + at, end - at);
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ':') {
      line.remove_prefix(key.size() + 1);
      while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
      return std::string(line);
    }
    at = end + 1;
  }
  return std::nullopt;
}

uint64_t hex_field(const std::string& status, std::string_view key) {
  auto value = status_field(status, key);
  return value ? std::strtoull(value->c_str(), nullptr, 16) : 0;
}

// /proc/PID/stat fields after "(comm)": index 0 is the state (field 3).
std::vector<std::string> stat_fields(const std::string& stat) {
  std::vector<std::string> fields;
  size_t close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return fields;
  std::istringstream in(stat.substr(close_paren + 1));
  for (std::string field; in >> field;) fields.push_back(field);
  return fields;
}

uint64_t field_u64(const std::vector<std::string>& fields, size_t index) {
  return index < fields.size() ? std::strtoull(fields[index].c_str(), nullptr, 10) : 0;
}
int64_t field_i64(const std::vector<std::string>& fields, size_t index) {
  return index < fields.size() ? std::strtoll(fields[index].c_str(), nullptr, 10) : 0;
}

// A process's memory through /proc/PID/mem (the tracee is stopped).
class ProcMemory final : public Memory {
 public:
  explicit ProcMemory(pid_t pid) : fd_(open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~ProcMemory() override {
    if (fd_ >= 0) close(fd_);
  }
  ProcMemory(const ProcMemory&) = delete;
  ProcMemory& operator=(const ProcMemory&) = delete;
  bool ok() const { return fd_ >= 0; }

  size_t read_up_to(uint64_t address, std::span<std::byte> out) const override {
    size_t done = 0;
    while (done < out.size()) {
      if (address + done > static_cast<uint64_t>(INT64_MAX)) break;
      ssize_t n = pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(address + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    return done;
  }

 private:
  int fd_;
};

struct Mapping {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t offset = 0;
  bool readable = false, writable = false, executable = false, shared = false;
  uint64_t inode = 0;
  std::string path;
  uint64_t anonymous_kb = 0;  // smaps: pages the process wrote (private copies)
  std::set<std::string> flags;  // smaps VmFlags

  bool anonymous() const { return inode == 0 && (path.empty() || path.front() == '['); }
  bool file_backed() const { return inode != 0 && !path.empty() && path.front() != '['; }
};

// /proc/PID/smaps (or maps): header lines, then "Key: value" lines.
std::vector<Mapping> parse_maps(const std::string& text) {
  std::vector<Mapping> mappings;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    char c = line.front();
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
      Mapping m;
      char perms[8] = {};
      unsigned major = 0, minor = 0;
      unsigned long long start = 0, end = 0, offset = 0, inode = 0;
      int consumed = 0;
      if (std::sscanf(line.c_str(), "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &offset, &major, &minor,
                      &inode, &consumed) < 7)
        continue;
      m.start = start;
      m.end = end;
      m.offset = offset;
      m.inode = inode;
      m.readable = perms[0] == 'r';
      m.writable = perms[1] == 'w';
      m.executable = perms[2] == 'x';
      m.shared = perms[3] == 's';
      if (consumed > 0 && static_cast<size_t>(consumed) <= line.size()) m.path = line.substr(consumed);
      mappings.push_back(std::move(m));
    } else if (!mappings.empty()) {
      Mapping& m = mappings.back();
      if (line.starts_with("Anonymous:")) {
        m.anonymous_kb = std::strtoull(line.c_str() + 10, nullptr, 10);
      } else if (line.starts_with("VmFlags:")) {
        std::istringstream flags(line.substr(8));
        for (std::string flag; flags >> flag;) m.flags.insert(flag);
      }
    }
  }
  return mappings;
}

bool dumps_core(int sig) {
  switch (sig) {
    case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: case SIGABRT:
    case SIGTRAP: case SIGSYS: case SIGXCPU: case SIGXFSZ: case SIGQUIT:
      return true;
    default:
      return false;
  }
}

std::string sigabbrev(int sig) {
  const char* name = sigabbrev_np(sig);
  return name ? std::string("SIG") + name : "signal " + std::to_string(sig);
}

std::string hex(uint64_t value) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%" PRIx64, value);
  return text;
}

std::string mib(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return text;
}

// A stopped thread, and the signal to resume it with if it must go on.
struct Stopped {
  pid_t tid;
  int resume_signal;
};

class Tracer {
 public:
  Tracer(pid_t child, const std::string& core_path, Clock::time_point deadline, const TraceLimits& limits)
      : child_(child), core_path_(core_path), deadline_(deadline), limits_(limits) {
    tids_.push_back(child);
  }

  TraceOutcome run() {
    int idle_us = 20;
    bool extras_killed = false;
    while (!tids_.empty()) {
      bool any = false;
      const std::vector<pid_t> round = tids_;
      for (pid_t tid : round) {
        if (!traced(tid)) continue;
        int status = 0;
        pid_t r = waitpid(tid, &status, WNOHANG | __WALL);
        if (r == 0) continue;
        any = true;
        if (r < 0) {
          if (errno != EINTR) forget(tid);  // ECHILD: gone, or never ours
          continue;
        }
        handle(tid, status);
      }
      if (leader_done_ && !tids_.empty() && !extras_killed) {
        // Clones that were separate processes outlive the leader: end them.
        for (pid_t tid : tids_) kill(tid, SIGKILL);
        extras_killed = true;
      }
      const auto now = Clock::now();
      if (!killed_ && now >= deadline_) {
        out_.timed_out = true;
        kill_all();
      }
      if (killed_ && now - kill_time_ > std::chrono::seconds(10)) {
        out_.notes.push_back("the traced process did not end within 10 s of SIGKILL; stopped waiting for it");
        break;
      }
      if (any) {
        idle_us = 20;
      } else {
        std::this_thread::sleep_for(std::chrono::microseconds(idle_us));
        // Each round costs a waitpid per thread: poll many threads less often.
        const int cap = static_cast<int>(std::min<size_t>(50000, 2000 * std::max<size_t>(1, tids_.size() / 16)));
        idle_us = std::min(idle_us * 2, cap);
      }
    }
    if (!leader_done_ && out_.problem.empty() && !seen_child_)
      out_.problem = "process " + std::to_string(child_) + " is not a traced child of this thread";
    if (leader_done_ && !captured_ && !out_.timed_out && WIFSIGNALED(out_.wait_status) &&
        dumps_core(WTERMSIG(out_.wait_status)))
      out_.problem = std::string("the process was killed by ") + sigabbrev(WTERMSIG(out_.wait_status)) +
                     " without the signal passing through the tracer (a seccomp SECCOMP_RET_KILL filter, or a "
                     "thread the tracer did not follow), so no core could be captured; run it with the kernel's "
                     "core dumps instead";
    return std::move(out_);
  }

 private:
  bool traced(pid_t tid) const { return std::find(tids_.begin(), tids_.end(), tid) != tids_.end(); }
  void add(pid_t tid) {
    if (!traced(tid)) tids_.push_back(tid);
  }
  void forget(pid_t tid) {
    tids_.erase(std::remove(tids_.begin(), tids_.end(), tid), tids_.end());
    fresh_.erase(tid);
    stop_sent_.erase(tid);
  }
  void resume(pid_t tid, int sig) { ptrace(PTRACE_CONT, tid, nullptr, reinterpret_cast<void*>(static_cast<intptr_t>(sig))); }

  void kill_all() {
    killed_ = true;
    kill_time_ = Clock::now();
    if (getpgid(child_) == child_) kill(-child_, SIGKILL);
    kill(child_, SIGKILL);
    for (pid_t tid : tids_)  // clones that are processes of their own
      if (tid != child_) kill(tid, SIGKILL);
  }

  void exited(pid_t tid, int status) {
    forget(tid);
    if (tid == child_) {
      out_.wait_status = status;
      leader_done_ = true;
    }
  }

  // A stop that is not a signal to pass on: returns true when it was
  // handled (the thread is left stopped; *resume_signal says how to go on).
  bool bookkeeping_stop(pid_t tid, int status, int* resume_signal) {
    const int sig = WSTOPSIG(status);
    const int event = status >> 16;
    *resume_signal = 0;
    if (event != 0) {
      if (event == PTRACE_EVENT_CLONE) {
        unsigned long new_tid = 0;
        if (ptrace(PTRACE_GETEVENTMSG, tid, nullptr, &new_tid) == 0 && new_tid != 0) {
          add(static_cast<pid_t>(new_tid));
          fresh_.insert(static_cast<pid_t>(new_tid));
        }
      }
      return true;
    }
    if (sig == SIGSTOP && (fresh_.erase(tid) || stop_sent_.erase(tid))) return true;
    return false;
  }

  void handle(pid_t tid, int status) {
    if (tid == child_) seen_child_ = true;
    if (WIFEXITED(status) || WIFSIGNALED(status)) return exited(tid, status);
    if (!WIFSTOPPED(status)) return;
    const int sig = WSTOPSIG(status);
    if (first_stop_ && tid == child_) {
      first_stop_ = false;
      long options = PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
      if (ptrace(PTRACE_SETOPTIONS, tid, nullptr, reinterpret_cast<void*>(options)) != 0)
        out_.notes.push_back(std::string("PTRACE_SETOPTIONS failed: ") + std::strerror(errno) +
                             "; threads are not followed");
      if (sig == SIGTRAP && (status >> 16) == 0) return resume(tid, 0);  // the stop after exec
    }
    int resume_signal = 0;
    if (bookkeeping_stop(tid, status, &resume_signal)) return resume(tid, resume_signal);
    siginfo_t info{};
    if (ptrace(PTRACE_GETSIGINFO, tid, nullptr, &info) != 0) {
      if (errno == EINVAL) resume(tid, 0);  // a group-stop: don't stay stopped
      return;                               // ESRCH: it is dying; its exit comes next
    }
    if (!captured_ && !killed_ && dumps_core(sig) && default_action(tid, sig)) {
      captured_ = true;
      std::vector<Stopped> others = capture(tid, sig, info);
      resume(tid, sig);  // it dies of it; the others are killed with it
      for (const Stopped& other : others) resume(other.tid, other.resume_signal);
      return;
    }
    resume(tid, sig);
  }

  // Neither caught nor ignored: delivering it runs the default action.
  bool default_action(pid_t tid, int sig) {
    auto status = read_text("/proc/" + std::to_string(tid) + "/status");
    if (!status) return true;
    const uint64_t bit = 1ull << (sig - 1);
    return (hex_field(*status, "SigCgt") & bit) == 0 && (hex_field(*status, "SigIgn") & bit) == 0;
  }

  // Stops every other thread of process `pid`; the crashing one first in
  // the result, then the others by thread id.
  std::vector<Stopped> stop_threads(pid_t pid, pid_t crashing) {
    std::vector<pid_t> members;
    if (DIR* dir = opendir(("/proc/" + std::to_string(pid) + "/task").c_str())) {
      while (dirent* entry = readdir(dir))
        if (entry->d_name[0] >= '0' && entry->d_name[0] <= '9') members.push_back(std::atoi(entry->d_name));
      closedir(dir);
    } else {
      members = tids_;
    }
    std::sort(members.begin(), members.end());
    std::vector<pid_t> pending;
    for (pid_t tid : members) {
      if (tid == crashing) continue;
      auto stat = read_text("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/stat");
      auto fields = stat ? stat_fields(*stat) : std::vector<std::string>{};
      if (!fields.empty() && (fields[0] == "Z" || fields[0] == "X")) continue;  // exited, not reaped yet
      if (!traced(tid)) {
        out_.notes.push_back("thread " + std::to_string(tid) + " is not traced; left out of the core");
        continue;
      }
      if (syscall(SYS_tgkill, pid, tid, SIGSTOP) == 0) {
        stop_sent_.insert(tid);
        pending.push_back(tid);
      }
    }
    std::vector<Stopped> stopped;
    const auto give_up = Clock::now() + limits_.stop_threads_timeout;
    int idle_us = 20;
    while (!pending.empty() && Clock::now() < give_up) {
      bool any = false;
      for (size_t i = 0; i < pending.size();) {
        const pid_t tid = pending[i];
        int status = 0;
        pid_t r = waitpid(tid, &status, WNOHANG | __WALL);
        if (r == 0 || (r < 0 && errno == EINTR)) {
          ++i;
          continue;
        }
        any = true;
        pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(i));
        if (r < 0) {
          forget(tid);
          continue;
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
          exited(tid, status);
          continue;
        }
        if (!WIFSTOPPED(status)) continue;
        const size_t known = tids_.size();
        int resume_signal = 0;
        if (!bookkeeping_stop(tid, status, &resume_signal)) {
          // Stopped on a signal of its own (another fault, ...): keep it to
          // pass on if the process survives. A group-stop passes nothing.
          siginfo_t info{};
          resume_signal = ptrace(PTRACE_GETSIGINFO, tid, nullptr, &info) == 0 ? WSTOPSIG(status) : 0;
        }
        for (size_t k = known; k < tids_.size(); ++k) pending.push_back(tids_[k]);  // a thread born meanwhile
        stopped.push_back({tid, resume_signal});
      }
      if (any) {
        idle_us = 20;
      } else {
        std::this_thread::sleep_for(std::chrono::microseconds(idle_us));
        idle_us = std::min(idle_us * 2, 2000);
      }
    }
    for (pid_t tid : pending)
      out_.notes.push_back("thread " + std::to_string(tid) + " did not stop within " +
                           std::to_string(limits_.stop_threads_timeout.count()) + " ms; left out of the core");
    std::sort(stopped.begin(), stopped.end(), [](const Stopped& a, const Stopped& b) { return a.tid < b.tid; });
    stopped.insert(stopped.begin(), Stopped{crashing, 0});
    return stopped;
  }

  std::vector<Stopped> capture(pid_t tid, int sig, const siginfo_t& info) {
    out_.core_signal = sig;
    out_.crashing_tid = tid;
    pid_t pid = child_;
    if (auto status = read_text("/proc/" + std::to_string(tid) + "/status"))
      if (auto tgid = status_field(*status, "Tgid")) pid = std::atoi(tgid->c_str());
    std::vector<Stopped> stopped = stop_threads(pid, tid);
    std::string problem = write_core(pid, stopped, sig, info);
    if (!problem.empty()) out_.problem = problem;
    stopped.erase(stopped.begin());
    return stopped;
  }

 public:
  // A live process: seizes and stops every thread (again, for threads born
  // meanwhile), writes the core, detaches.
  TraceOutcome capture_live() {
    std::set<pid_t> seized;
    std::vector<Stopped> stopped;
    const auto give_up = Clock::now() + limits_.stop_threads_timeout;
    for (bool more = true; more && Clock::now() < give_up;) {
      more = false;
      std::vector<pid_t> members;
      if (DIR* dir = opendir(("/proc/" + std::to_string(child_) + "/task").c_str())) {
        while (dirent* entry = readdir(dir))
          if (entry->d_name[0] >= '0' && entry->d_name[0] <= '9') members.push_back(std::atoi(entry->d_name));
        closedir(dir);
      }
      std::sort(members.begin(), members.end());
      for (pid_t tid : members) {
        if (seized.count(tid)) continue;
        seized.insert(tid);
        more = true;
        if (ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) {
          if (tid == child_) out_.problem = "can't attach to process " + std::to_string(child_) + ": " + std::strerror(errno);
          continue;
        }
        ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr);
        int status = 0;
        while (waitpid(tid, &status, __WALL) < 0 && errno == EINTR) {
        }
        if (WIFSTOPPED(status)) stopped.push_back({tid, 0});
      }
      if (!out_.problem.empty()) break;
    }
    if (out_.problem.empty()) {
      std::stable_partition(stopped.begin(), stopped.end(), [&](const Stopped& s) { return s.tid == child_; });
      if (stopped.empty() || stopped.front().tid != child_) {
        out_.problem = "process " + std::to_string(child_) + " did not stop";
      } else {
        siginfo_t none{};
        std::string problem = write_core(child_, stopped, 0, none);
        if (!problem.empty()) out_.problem = problem;
      }
    }
    for (const Stopped& s : stopped) ptrace(PTRACE_DETACH, s.tid, nullptr, nullptr);
    return std::move(out_);
  }

 private:

  // Gathers the stopped process's state and writes the core; returns what
  // went wrong, or "".
  std::string write_core(pid_t pid, const std::vector<Stopped>& stopped, int sig, const siginfo_t& info);

  pid_t child_;
  std::string core_path_;
  Clock::time_point deadline_;
  TraceLimits limits_;
  std::vector<pid_t> tids_;   // traced, not yet reaped
  std::set<pid_t> fresh_;     // new threads whose first (attach) SIGSTOP is still to come
  std::set<pid_t> stop_sent_; // threads sent SIGSTOP by us, not yet seen stopping on it
  bool first_stop_ = true;
  bool seen_child_ = false;
  bool captured_ = false;
  bool leader_done_ = false;
  bool killed_ = false;
  Clock::time_point kill_time_;
  TraceOutcome out_;
};

// The process's ELF machine and class, from its executable's header.
std::optional<std::pair<uint16_t, bool>> process_machine(pid_t pid) {
  int fd = open(("/proc/" + std::to_string(pid) + "/exe").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  unsigned char header[20] = {};
  ssize_t n = pread(fd, header, sizeof header, 0);
  close(fd);
  if (n != static_cast<ssize_t>(sizeof header) || std::memcmp(header, ELFMAG, SELFMAG) != 0) return std::nullopt;
  const bool is_64bit = header[EI_CLASS] == ELFCLASS64;
  const uint16_t machine = static_cast<uint16_t>(header[18] | (header[19] << 8));
  return std::make_pair(machine, is_64bit);
}

// When the executable can't be read (mode --x): the tracee's register set
// size tells its architecture among those this host runs.
std::optional<std::pair<uint16_t, bool>> machine_from_registers(size_t size) {
#if defined(__x86_64__) || defined(__i386__)
  if (size == 27 * 8) return std::make_pair(uint16_t{EM_X86_64}, true);
  if (size == 17 * 4) return std::make_pair(uint16_t{EM_386}, false);
#elif defined(__aarch64__) || defined(__arm__)
  if (size == 34 * 8) return std::make_pair(uint16_t{EM_AARCH64}, true);
  if (size == 18 * 4) return std::make_pair(uint16_t{EM_ARM}, false);
#elif defined(__riscv)
  if (size == 32 * 8) return std::make_pair(uint16_t{EM_RISCV}, true);
#endif
  (void)size;
  return std::nullopt;
}

std::vector<std::byte> regset(pid_t tid, int type) {
  std::vector<std::byte> buffer(1 << 14);
  iovec iov{buffer.data(), buffer.size()};
  if (ptrace(PTRACE_GETREGSET, tid, reinterpret_cast<void*>(static_cast<intptr_t>(type)), &iov) != 0) return {};
  buffer.resize(iov.iov_len);
  return buffer;
}

// The plan for one mapping: write [window, window + bytes); the rest of the
// mapping is described only.
struct Want {
  size_t mapping;
  uint64_t window = 0;  // where the written part starts
  uint64_t want = 0;    // bytes wanted from window
  int priority = 0;     // lower first
  std::string what;     // for notes
  uint64_t granted = 0;
};

std::string Tracer::write_core(pid_t pid, const std::vector<Stopped>& stopped, int sig, const siginfo_t& info) {
  const std::string proc = "/proc/" + std::to_string(pid);
  auto machine = process_machine(pid);
  if (!machine) machine = machine_from_registers(regset(stopped.front().tid, NT_PRSTATUS).size());
  if (!machine) return "no core: can't tell the process's architecture (" + proc + "/exe unreadable)";
  const ArchInfo* arch = find_arch(machine->first, machine->second);
  if (!arch)
    return "no core: the target's architecture (ELF machine " + std::to_string(machine->first) + ") is not supported";
  const unsigned word = arch->word_size;
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  const double tick_us = 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));

  CoreDescription core;
  core.machine = machine->first;
  core.is_64bit = machine->second;
  core.signal = sig;
  core.page_size = page;
  if (sig != 0) core.siginfo = siginfo_for_core(info, core.is_64bit);  // a live capture has no signal

  // Threads: registers, FP registers, signal masks and times.
  std::vector<uint64_t> stack_pointers;
  for (size_t i = 0; i < stopped.size(); ++i) {
    const pid_t tid = stopped[i].tid;
    CoreThreadState thread;
    thread.tid = tid;
    thread.registers = regset(tid, NT_PRSTATUS);
    if (thread.registers.size() != arch->prstatus_regs_size()) {
      std::string why = thread.registers.empty() ? std::string(std::strerror(errno))
                                                 : std::to_string(thread.registers.size()) + " bytes of registers";
      if (i == 0) return "no core: can't read the crashing thread's registers (" + why + ")";
      out_.notes.push_back("thread " + std::to_string(tid) + " left out of the core: can't read its registers (" +
                           why + ")");
      continue;
    }
    thread.fp_registers = regset(tid, NT_PRFPREG);
    const std::string task = proc + "/task/" + std::to_string(tid);
    if (auto status = read_text(task + "/status")) {
      thread.pending_signals = hex_field(*status, "SigPnd");
      thread.blocked_signals = hex_field(*status, "SigBlk");
    }
    if (auto stat = read_text(task + "/stat")) {
      auto fields = stat_fields(*stat);
      thread.user_time_us = static_cast<uint64_t>(static_cast<double>(field_u64(fields, 11)) * tick_us);
      thread.system_time_us = static_cast<uint64_t>(static_cast<double>(field_u64(fields, 12)) * tick_us);
    }
    if (auto sp = load_le(thread.registers, static_cast<size_t>(arch->sp) * word, word)) stack_pointers.push_back(*sp);
    core.threads.push_back(std::move(thread));
  }

  // The process.
  CoreProcessState& process = core.process;
  process.pid = pid;
  if (auto stat = read_text(proc + "/stat")) {
    auto fields = stat_fields(*stat);
    process.ppid = static_cast<int>(field_i64(fields, 1));
    process.pgrp = static_cast<int>(field_i64(fields, 2));
    process.sid = static_cast<int>(field_i64(fields, 3));
    process.flags = field_u64(fields, 6);
    process.children_user_time_us = static_cast<uint64_t>(static_cast<double>(field_u64(fields, 13)) * tick_us);
    process.children_system_time_us = static_cast<uint64_t>(static_cast<double>(field_u64(fields, 14)) * tick_us);
    process.nice = static_cast<int>(field_i64(fields, 16));
  }
  if (auto status = read_text(proc + "/status")) {
    if (auto uid = status_field(*status, "Uid")) process.uid = static_cast<unsigned>(std::strtoul(uid->c_str(), nullptr, 10));
    if (auto gid = status_field(*status, "Gid")) process.gid = static_cast<unsigned>(std::strtoul(gid->c_str(), nullptr, 10));
  }
  if (auto comm = read_text(proc + "/comm")) {
    while (!comm->empty() && comm->back() == '\n') comm->pop_back();
    process.command_name = *comm;
  }
  if (auto cmdline = read_text(proc + "/cmdline", 4096)) {
    std::string arguments = cmdline->substr(0, 79);
    std::replace(arguments.begin(), arguments.end(), '\0', ' ');
    while (!arguments.empty() && arguments.back() == ' ') arguments.pop_back();
    process.arguments = arguments;
  }

  // Auxiliary vector, in the target's word size.
  if (auto auxv = read_text(proc + "/auxv")) {
    std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(auxv->data()), auxv->size());
    for (size_t at = 0; in_bounds(at, 2 * word, bytes.size()); at += 2 * word) {
      uint64_t key = *load_le(bytes, at, word);
      if (key == 0) break;
      core.auxv.emplace_back(key, *load_le(bytes, at + word, word));
    }
  }

  // Mappings.
  auto maps_text = read_text(proc + "/smaps");
  if (!maps_text || maps_text->empty()) maps_text = read_text(proc + "/maps");
  if (!maps_text) return "no core: can't read " + proc + "/maps: " + std::strerror(errno);
  std::vector<Mapping> mappings = parse_maps(*maps_text);
  for (const Mapping& m : mappings)
    if (m.file_backed()) core.files.push_back({m.start, m.end, m.offset, m.path});

  ProcMemory memory(pid);
  if (!memory.ok()) return "no core: can't open " + proc + "/mem: " + std::strerror(errno);
  auto readable_at = [&](uint64_t address) {
    std::byte probe[1];
    return memory.read_up_to(address, probe) == 1;
  };

  // What to write of each mapping.
  const uint64_t mask = arch->address_mask();
  std::vector<Want> wants;
  for (size_t i = 0; i < mappings.size(); ++i) {
    const Mapping& m = mappings[i];
    if (!m.readable || m.flags.count("dd") || m.flags.count("io") || m.flags.count("pf")) continue;
    if (m.path.starts_with("[vvar") || m.path == "[vsyscall]") continue;
    Want want{i, m.start, m.end - m.start, 6, m.path.empty() ? "anonymous mapping" : m.path};
    // The stack of a stopped thread: from a page below its sp up.
    std::optional<uint64_t> lowest_sp;
    bool crashing_stack = false;
    for (size_t t = 0; t < stack_pointers.size(); ++t) {
      const uint64_t sp = stack_pointers[t] & mask;
      if (sp >= m.start && sp < m.end) {
        lowest_sp = std::min(lowest_sp.value_or(sp), sp);
        crashing_stack |= t == 0;
      }
    }
    if (lowest_sp) {
      const uint64_t floor = *lowest_sp / page * page;
      want.window = floor >= m.start + page ? floor - page : m.start;
      want.want = m.end - want.window;
      want.priority = crashing_stack ? 0 : 1;
      want.what = "the stack of a thread";
      if (crashing_stack) want.what = "the crashing thread's stack";
    } else if (m.path == "[stack]") {
      // The main stack without a thread's sp in it (sp in the guard gap
      // after an overflow, or on a signal stack): all of it, its low end
      // (the innermost frames) first if it must be cut.
      want.priority = 1;
      want.what = "the main stack";
    } else if (m.path == "[vdso]") {
      want.priority = 2;
    } else if (m.writable) {
      want.priority = m.file_backed() ? 4 : m.path == "[heap]" ? 5 : 6;
    } else if (m.anonymous()) {
      want.priority = 6;
    } else if (m.file_backed() && !m.shared && m.anonymous_kb > 0) {
      want.priority = 4;  // modified private copy: RELRO, relocated data
    } else if (m.file_backed() && m.offset == 0) {
      // The ELF header page, for the build-id (as the kernel dumps it).
      std::byte magic[SELFMAG];
      if (memory.read_up_to(m.start, magic) != SELFMAG || std::memcmp(magic, ELFMAG, SELFMAG) != 0) continue;
      want.want = std::min(page, m.end - m.start);
      want.priority = 3;
    } else {
      continue;
    }
    if (want.want == 0 || !readable_at(want.window)) continue;
    wants.push_back(std::move(want));
  }

  // The size limits: notes and headers first, then by priority, smaller
  // mappings before bigger ones.
  const uint64_t overhead = build_core_notes(core).size() + (2 * mappings.size() + 2) * 64 + 2 * page;
  uint64_t room = limits_.max_core_bytes > overhead ? limits_.max_core_bytes - overhead : 0;
  std::vector<Want*> order;
  for (Want& w : wants) order.push_back(&w);
  std::stable_sort(order.begin(), order.end(), [](const Want* a, const Want* b) {
    return a->priority != b->priority ? a->priority < b->priority : a->want < b->want;
  });
  for (Want* w : order) {
    uint64_t granted = std::min({w->want, limits_.max_mapping_bytes, room}) / page * page;
    w->granted = granted;
    room -= granted;
    if (granted < w->want) {
      const Mapping& m = mappings[w->mapping];
      const uint64_t mapping_cap = std::min(w->want, limits_.max_mapping_bytes) / page * page;
      const char* limit = granted < mapping_cap ? "max_core_bytes" : "max_mapping_bytes";
      out_.notes.push_back(w->what + " at " + hex(m.start) + "-" + hex(m.end) + ": " + mib(granted) + " of " +
                           mib(w->want) + " written (limit " + limit + ")");
    }
  }

  // Segments in address order.
  std::vector<const Want*> by_mapping(mappings.size(), nullptr);
  for (const Want& w : wants) by_mapping[w.mapping] = &w;
  for (size_t i = 0; i < mappings.size(); ++i) {
    const Mapping& m = mappings[i];
    const Want* w = by_mapping[i];
    CoreSegment segment{m.start, m.end, m.readable, m.writable, m.executable, 0};
    if (w && w->granted > 0 && w->window > m.start) {
      CoreSegment below = segment;
      below.end = w->window;
      core.segments.push_back(below);
      segment.start = w->window;
    }
    if (w) segment.dump_bytes = w->granted;
    core.segments.push_back(segment);
  }

  auto written = write_core_file(core, memory, core_path_);
  if (!written) return "no core: " + written.error().message;
  out_.core_path = core_path_;
  out_.core_bytes = written->file_bytes;
  if (written->unreadable_pages > 0)
    out_.notes.push_back(std::to_string(written->unreadable_pages) +
                         " pages could not be read from the process and are zeros in the core");
  return "";
}

}  // namespace

int prepare_traced_child() {
  if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) return errno;
  return 0;
}

TraceOutcome trace_until_exit(pid_t child, const std::string& core_path, std::chrono::steady_clock::time_point deadline,
                              const TraceLimits& limits) {
  Tracer tracer(child, core_path, deadline, limits);
  return tracer.run();
}

TraceOutcome capture_live_process(pid_t pid, const std::string& core_path, const TraceLimits& limits) {
  Tracer tracer(pid, core_path, Clock::now(), limits);
  return tracer.capture_live();
}

}  // namespace triage
