// The capture path. Order matters: stdio first, then the process pinned by
// its /proc directory (opened once; every later read is relative to it, so a
// reused pid can't change what is read), then the checks, then the spool.
#include "triage/online/handler.h"

#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <sstream>

#include "triage/util/core_stream.h"

namespace triage::online {
namespace {

constexpr const char* kCoreFile = "core.zst";
constexpr const char* kPlainCoreFile = "core";

std::optional<std::string> read_at(int dir_fd, const char* name, size_t max_bytes) {
  int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() >= max_bytes) {
      text.resize(max_bytes);
      break;
    }
  }
  close(fd);
  return text;
}

// Field 22 of /proc/PID/stat (start time in clock ticks since boot), counted
// after the last ')': the command name may hold spaces and parentheses.
std::optional<unsigned long long> start_time(const std::string& stat) {
  size_t close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return std::nullopt;
  std::istringstream in(stat.substr(close_paren + 1));
  std::string field;
  for (int index = 3; in >> field; ++index)
    if (index == 22) return std::strtoull(field.c_str(), nullptr, 10);
  return std::nullopt;
}

// "Uid:\treal\teffective\tsaved\tfs" -> {real, effective}.
std::optional<std::pair<long long, long long>> id_pair(const std::string& status, const std::string& key) {
  std::istringstream in(status);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with(key + ":")) continue;
    std::istringstream fields(line.substr(key.size() + 1));
    long long real = -1, effective = -1;
    if (fields >> real >> effective) return std::make_pair(real, effective);
  }
  return std::nullopt;
}

// AT_SECURE from /proc/PID/auxv (native word size: the handler and the
// initial namespace run the kernel's native ABI; a 32-bit process's auxv is
// given in its own word size, so both are tried).
std::optional<uint64_t> at_secure(const std::string& auxv) {
  for (size_t word : {sizeof(uint64_t), sizeof(uint32_t)}) {
    if (word == 4 && sizeof(void*) == 4) break;
    for (size_t at = 0; at + 2 * word <= auxv.size(); at += 2 * word) {
      uint64_t key = 0, value = 0;
      std::memcpy(&key, auxv.data() + at, word);
      std::memcpy(&value, auxv.data() + at + word, word);
      if (key == AT_NULL) {
        if (at + 2 * word == auxv.size()) break;  // the real end: not this word size's mistake
        return std::nullopt;
      }
      if (key == AT_SECURE) return value;
    }
  }
  return std::nullopt;
}

struct FreeFloor {
  const Spool* spool;
  uint64_t floor;
};

bool above_floor(uint64_t, void* context) {
  auto* f = static_cast<FreeFloor*>(context);
  return f->spool->free_bytes() >= f->floor;
}

std::string human_bytes(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return text;
}

// Who the process is, read through its pinned /proc directory.
struct Identity {
  long long euid = -1, egid = -1;
  bool secure = true;
  std::string command_line;
};

// Checks the process against the specifiers; returns why it is rejected, or "".
std::string check_process(int proc_fd, const KernelArgs& args, Identity* identity) {
  auto stat = read_at(proc_fd, "stat", 4096);
  auto self_stat = read_at(AT_FDCWD, "/proc/self/stat", 4096);
  auto started = stat ? start_time(*stat) : std::nullopt;
  auto self_started = self_stat ? start_time(*self_stat) : std::nullopt;
  if (!started || !self_started) return "can't read the start time of the process";
  // A process that started after us is not the one that crashed: its pid was reused.
  if (*started > *self_started) return "the process started after the handler (its pid was reused)";
  auto status = read_at(proc_fd, "status", 16384);
  auto uids = status ? id_pair(*status, "Uid") : std::nullopt;
  auto gids = status ? id_pair(*status, "Gid") : std::nullopt;
  if (!uids || !gids) return "can't read the process's user and group";
  if (uids->first != args.uid || gids->first != args.gid)
    return "the process's uid/gid (" + std::to_string(uids->first) + "/" + std::to_string(gids->first) +
           ") are not the kernel's (" + std::to_string(args.uid) + "/" + std::to_string(args.gid) + ")";
  if (args.pidfd >= 0) {
    // The kernel's own handle on the process: its pid must be %P.
    auto info = read_at(AT_FDCWD, ("/proc/self/fdinfo/" + std::to_string(args.pidfd)).c_str(), 4096);
    std::string pid_line = "\nPid:\t" + std::to_string(args.pid) + "\n";
    if (!info || ("\n" + *info).find(pid_line) == std::string::npos)
      return "the pidfd (-F " + std::to_string(args.pidfd) + ") is not a pidfd of process " + std::to_string(args.pid);
  }
  identity->euid = uids->second;
  identity->egid = gids->second;
  auto auxv = read_at(proc_fd, "auxv", 8192);
  auto secure = auxv ? at_secure(*auxv) : std::nullopt;
  identity->secure = !secure || *secure != 0;  // unknown counts as secure
  if (auto cmdline = read_at(proc_fd, "cmdline", 4096)) {
    std::replace(cmdline->begin(), cmdline->end(), '\0', ' ');
    while (!cmdline->empty() && cmdline->back() == ' ') cmdline->pop_back();
    identity->command_line = *cmdline;
  }
  return "";
}

std::string validate(const KernelArgs& args) {
  if (args.pid <= 0) return "-P (%P) is missing or not a pid";
  if (args.uid < 0 || args.gid < 0) return "-u (%u) and -g (%g) are required";
  if (args.signal <= 0 || args.signal > 64) return "-s (%s) is missing or not a signal";
  if (args.dump_mode < 0 || args.dump_mode > 2) return "-d (%d) is missing or not 0, 1 or 2";
  if (args.time <= 0) return "-t (%t) is missing";
  if (args.executable.empty()) return "the executable (%E, after --) is missing";
  return "";
}

}  // namespace

int take_core_input() {
  int core = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd >= 0) {
    for (int fd = 0; fd <= 2; ++fd) dup2(null_fd, fd);  // dup2 clears O_CLOEXEC on 0-2
    if (null_fd > 2) close(null_fd);
  }
  return core;
}

std::string spool_folder(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & (S_IWGRP | S_IWOTH)))
    return path + "/triage-core";
  return path;
}

void log_handler_failure(const std::string& spool_path, const std::string& message) {
  auto spool = Spool::open(spool_folder(spool_path), true);
  if (spool) {
    spool->log(message);
    return;
  }
  openlog("triage-core", LOG_PID, LOG_DAEMON);
  syslog(LOG_ERR, "%s (spool: %s)", message.c_str(), spool.error().message.c_str());
  closelog();
}

int run_handler(const KernelArgs& args, int core_fd, const HandlerConfig& config) {
  // Our own crash must not come back to us: no core at all (the kernel skips
  // non-dumpable processes, even with a core_pattern pipe).
  prctl(PR_SET_DUMPABLE, 0);
  umask(077);
  auto opened = Spool::open(spool_folder(config.spool), true);
  if (!opened) {
    log_handler_failure(config.spool, "cannot store the crash of pid " + std::to_string(args.pid) + ": " +
                                          opened.error().message);
    return kHandlerNoSpool;
  }
  Spool& spool = *opened;
  if (core_fd < 0) {
    spool.log("no core on stdin");
    return kHandlerRejected;
  }
  if (std::string bad = validate(args); !bad.empty()) {
    spool.log("rejected: " + bad);
    return kHandlerRejected;
  }
  const std::string who = "pid " + std::to_string(args.pid) + " (" + args.executable + ")";

  // Pinned once: every read about the process goes through this descriptor.
  const std::string proc_path = "/proc/" + std::to_string(args.pid);
  int proc_fd = open(proc_path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (proc_fd < 0) {
    spool.log("rejected " + who + ": " + proc_path + ": " + std::strerror(errno));
    return kHandlerRejected;
  }
  Identity identity;
  std::string rejected = check_process(proc_fd, args, &identity);
  close(proc_fd);
  if (!rejected.empty()) {
    spool.log("rejected " + who + ": " + rejected);
    return kHandlerRejected;
  }

  CrashMeta meta;
  meta.time = args.time;
  meta.pid = args.pid;
  meta.pid_in_namespace = args.pid_in_namespace;
  meta.uid = static_cast<uid_t>(args.uid);
  meta.gid = static_cast<gid_t>(args.gid);
  meta.euid = static_cast<uid_t>(identity.euid);
  meta.egid = static_cast<gid_t>(identity.egid);
  meta.signal = args.signal;
  meta.dump_mode = args.dump_mode;
  // The user may read what the kernel would have let them read: a plain
  // dump of their own, not of a setuid or otherwise privileged process.
  meta.privileged = !(args.dump_mode == 1 && !identity.secure && identity.euid == args.uid &&
                      identity.egid == args.gid);
  meta.executable = args.executable;
  meta.command_line = identity.command_line;
  meta.max_core_bytes = std::min(args.core_limit, config.max_core_bytes);

  std::vector<std::string> refused;
  auto created = spool.create_crash(args.time, args.pid, &refused);
  for (const auto& name : refused) spool.log("refused " + name + " for " + who + ": it exists (not followed)");
  if (!created) {
    spool.log("cannot store the crash of " + who + ": " + created.error().message);
    return kHandlerNoSpool;
  }
  CrashDir& crash = **created;
  for (const auto& removed : spool.enforce_quota(config.quota, meta.uid, crash.name()))
    spool.log("removed " + removed + " (quota)");
  if (auto written = crash.write_meta(meta); !written) {
    spool.log(crash.name() + ": " + written.error().message);
    return kHandlerNoSpool;
  }

  // The core, unless a limit forbids it; the journal is kept either way.
  std::string no_core;
  if (meta.max_core_bytes == 0)
    no_core = args.core_limit == 0 ? "no core kept: the process's RLIMIT_CORE (%c) is 0" : "no core kept: --max-core-size is 0";
  else if (spool.free_bytes() < config.quota.min_free_bytes)
    no_core = "no core kept: less than " + human_bytes(config.quota.min_free_bytes) + " free in the spool";
  if (no_core.empty()) {
    const std::string file = config.compress ? kCoreFile : kPlainCoreFile;
    auto out = crash.create_file(file);
    if (!out) {
      no_core = out.error().message;
    } else {
      meta.core_file = file;
      (void)crash.write_meta(meta);
      FreeFloor floor{&spool, config.quota.min_free_bytes};
      CopyLimits limits;
      limits.max_bytes = meta.max_core_bytes;
      limits.compress = config.compress;
      limits.keep_going = above_floor;
      limits.context = &floor;
      auto copied = store_core(core_fd, *out, limits);
      close(*out);
      if (!copied) {
        meta.truncated = true;
        meta.truncated_why = copied.error().message;
      } else {
        meta.core_bytes = copied->read_bytes;
        if (copied->cut) {
          meta.truncated = true;
          meta.truncated_why = "cut at " + std::to_string(meta.max_core_bytes) + " bytes (" +
                               (args.core_limit <= config.max_core_bytes ? "the process's RLIMIT_CORE, %c"
                                                                         : "--max-core-size") + ")";
        } else if (copied->stopped) {
          meta.truncated = true;
          meta.truncated_why = "cut at " + std::to_string(copied->read_bytes) + " bytes: the spool's free space fell below " +
                               human_bytes(config.quota.min_free_bytes);
        } else if (copied->read_error) {
          meta.truncated = true;
          meta.truncated_why = "reading the core failed after " + std::to_string(copied->read_bytes) + " bytes";
        }
        if (copied->read_bytes == 0) no_core = "the kernel sent an empty core";
      }
    }
  }
  close(core_fd);  // the kernel may let the process go now
  if (!no_core.empty()) {
    meta.error = no_core;
    meta.state = CrashState::kFailed;
  } else {
    meta.state = CrashState::kPending;
  }
  meta.stored_bytes = crash.stored_bytes();
  if (auto written = crash.write_meta(meta); !written) spool.log(crash.name() + ": " + written.error().message);
  if (!meta.privileged && meta.uid != 0) {  // root reads it anyway
    if (auto granted = crash.grant_read(meta.uid); !granted) spool.log(crash.name() + ": " + granted.error().message);
  }
  spool.log("stored " + who + " signal " + std::to_string(args.signal) + " uid " + std::to_string(args.uid) + " in " +
            crash.name() + ": " + std::to_string(meta.core_bytes) + " bytes of core" +
            (meta.truncated ? " (truncated: " + meta.truncated_why + ")" : "") +
            (no_core.empty() ? "" : " (" + no_core + ")") + (meta.privileged || meta.uid == 0 ? "" : "; readable by its user"));
  for (const auto& removed : spool.enforce_quota(config.quota, meta.uid, crash.name()))
    spool.log("removed " + removed + " (quota)");

  if (meta.state != CrashState::kPending || config.analysis == AnalysisMode::kNone) return kHandlerStored;
  if (config.analysis == AnalysisMode::kBackground) {
    // The kernel waits for us to exit (core_pipe_limit): the analysis goes on
    // in a child of its own session; the crash's lock goes with it.
    pid_t child = fork();
    if (child != 0) return kHandlerStored;  // (a failed fork leaves it pending for --resume)
    setsid();
  }
  auto rules = load_rules(config.rules_dir.empty() ? default_rules_dir() : config.rules_dir, {});
  if (!rules) {
    spool.log(crash.name() + ": left pending: " + rules.error().message);
    if (config.analysis == AnalysisMode::kBackground) _exit(0);
    return kHandlerStored;
  }
  analyse_crash(spool, crash, *rules, config.analysis_config);
  if (config.analysis == AnalysisMode::kBackground) _exit(0);
  return kHandlerStored;
}

}  // namespace triage::online
