// Reading core_pattern and collecting the core a run left. Specifiers the
// kernel expands (%p, %e, %t, ...) are matched as wildcards except the pid,
// which is known, so a core in a shared folder is found by its pid.
#include "triage/run/core_pattern.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "triage/analyze/batch.h"

namespace fs = std::filesystem;

namespace triage {
namespace {

std::string read_first_line(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

bool program_exists(const char* name) {
  for (const char* dir : {"/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/", "/usr/local/bin/"}) {
    if (access((std::string(dir) + name).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// The kernel's name template as a shell glob for `pid`: %p and %P become
// the pid, every other specifier any text, "%%" a percent sign.
std::string glob_for(const std::string& name_template, pid_t pid, bool uses_pid) {
  std::string glob;
  bool has_pid = false;
  for (size_t i = 0; i < name_template.size(); ++i) {
    char c = name_template[i];
    if (c != '%' || i + 1 == name_template.size()) {
      if (c == '*' || c == '?' || c == '[' || c == '\\') glob += '\\';
      glob += c;
      continue;
    }
    char specifier = name_template[++i];
    if (specifier == '%') {
      glob += '%';
    } else if (specifier == 'p' || specifier == 'P') {
      glob += std::to_string(pid);
      has_pid = true;
    } else {
      glob += '*';
    }
  }
  if (uses_pid && !has_pid) glob += "." + std::to_string(pid);
  return glob;
}

// The newest file in `folder` matching `glob` that is an ELF core.
std::optional<fs::path> find_core(const fs::path& folder, const std::string& glob) {
  std::error_code error;
  std::optional<fs::path> best;
  fs::file_time_type best_time;
  for (const auto& entry : fs::directory_iterator(folder, error)) {
    if (!entry.is_regular_file(error)) continue;
    const std::string name = entry.path().filename().string();
    if (fnmatch(glob.c_str(), name.c_str(), 0) != 0) continue;
    if (!looks_like_core(entry.path().string())) continue;
    auto time = entry.last_write_time(error);
    if (!best || time > best_time) {
      best = entry.path();
      best_time = time;
    }
  }
  return best;
}

Result<bool> move_file(const fs::path& from, const fs::path& to) {
  std::error_code error;
  fs::rename(from, to, error);
  if (error) {  // another file system
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, error);
    if (!error) fs::remove(from, error);
  }
  if (error) return make_error(ErrorKind::kIo, "cannot move the core " + from.string() + ": " + error.message());
  return true;
}

// Runs a program found in PATH, output discarded; true if it exits 0.
bool run_quietly(std::vector<std::string> argv) {
  std::vector<char*> args;
  for (std::string& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t child = 0;
  int failed = posix_spawnp(&child, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (failed) return false;
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Helpers work after the process is gone; give them a moment.
template <class Try>
bool retry_for(std::chrono::milliseconds limit, Try attempt) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (auto pause = std::chrono::milliseconds(10);; pause = std::min(pause * 2, std::chrono::milliseconds(200))) {
    if (attempt()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(pause);
  }
}

}  // namespace

const char* to_string(CoreRoute route) {
  switch (route) {
    case CoreRoute::kFile: return "file";
    case CoreRoute::kSystemdCoredump: return "systemd-coredump";
    case CoreRoute::kApport: return "apport";
    case CoreRoute::kOtherPipe: return "pipe";
  }
  return "?";
}

CorePattern parse_core_pattern(const std::string& pattern, bool core_uses_pid) {
  CorePattern parsed;
  parsed.pattern = pattern;
  parsed.uses_pid = core_uses_pid;
  if (!pattern.empty() && pattern[0] == '|') {
    if (pattern.find("systemd-coredump") != std::string::npos) parsed.route = CoreRoute::kSystemdCoredump;
    else if (pattern.find("apport") != std::string::npos) parsed.route = CoreRoute::kApport;
    else parsed.route = CoreRoute::kOtherPipe;
    return parsed;
  }
  std::string file = pattern.empty() ? "core" : pattern;
  size_t slash = file.rfind('/');
  if (slash == std::string::npos) {
    parsed.name_template = file;
  } else {
    parsed.folder = slash == 0 ? "/" : file.substr(0, slash);
    parsed.name_template = file.substr(slash + 1);
  }
  return parsed;
}

CorePattern read_core_pattern() {
  return parse_core_pattern(read_first_line("/proc/sys/kernel/core_pattern"),
                            read_first_line("/proc/sys/kernel/core_uses_pid") == "1");
}

bool core_route_usable(const CorePattern& pattern, std::string* why) {
  switch (pattern.route) {
    case CoreRoute::kFile:
      if (pattern.folder.find('%') != std::string::npos) {
        *why = "core_pattern '" + pattern.pattern + "' names its folder with % specifiers";
        return false;
      }
      if (!pattern.folder.empty() && pattern.folder[0] == '/' && access(pattern.folder.c_str(), W_OK) != 0) {
        // Inside a container the folder is the host's.
        *why = "core_pattern '" + pattern.pattern + "' writes cores to " + pattern.folder + ", which is not here";
        return false;
      }
      return true;
    case CoreRoute::kSystemdCoredump:
      if (!program_exists("coredumpctl")) {
        *why = "core_pattern pipes cores to systemd-coredump, but coredumpctl is not installed here (a container?)";
        return false;
      }
      return true;
    case CoreRoute::kApport:
      if (!fs::is_directory("/var/lib/apport/coredump")) {
        *why = "core_pattern pipes cores to apport, which keeps no cores here (/var/lib/apport/coredump is missing)";
        return false;
      }
      return true;
    case CoreRoute::kOtherPipe:
      *why = "core_pattern pipes cores to '" + pattern.pattern.substr(1) + "', which can't give them back";
      return false;
  }
  return false;
}

Result<bool> collect_core(const CorePattern& pattern, pid_t pid, const std::string& work_dir,
                          const std::string& destination) {
  switch (pattern.route) {
    case CoreRoute::kFile: {
      fs::path folder = pattern.folder.empty() ? fs::path(work_dir)
                        : pattern.folder[0] == '/' ? fs::path(pattern.folder)
                                                   : fs::path(work_dir) / pattern.folder;
      std::string glob = glob_for(pattern.name_template, pid, pattern.uses_pid);
      auto core = find_core(folder, glob);
      // A private working folder holds only this process's files: any core there is its.
      if (!core && folder == fs::path(work_dir)) core = find_core(folder, "*");
      if (!core) {
        return make_error(ErrorKind::kNotFound, "the kernel wrote no core matching " + (folder / glob).string() +
                                                    " (a core size limit, or a process that is not dumpable?)");
      }
      return move_file(*core, destination);
    }
    case CoreRoute::kSystemdCoredump: {
      bool fetched = retry_for(std::chrono::seconds(5), [&] {
        return run_quietly({"coredumpctl", "--quiet", "--no-pager", "-o", destination, "dump", std::to_string(pid)}) &&
               looks_like_core(destination);
      });
      if (!fetched) return make_error(ErrorKind::kNotFound, "coredumpctl has no core of pid " + std::to_string(pid));
      return true;
    }
    case CoreRoute::kApport: {
      std::optional<fs::path> core;
      retry_for(std::chrono::seconds(5), [&] {
        core = find_core("/var/lib/apport/coredump", "core.*." + std::to_string(pid) + ".*");
        return core.has_value();
      });
      if (!core) return make_error(ErrorKind::kNotFound, "apport kept no core of pid " + std::to_string(pid));
      return move_file(*core, destination);
    }
    case CoreRoute::kOtherPipe:
      break;
  }
  return make_error(ErrorKind::kNotFound, core_pattern_advice(pattern));
}

std::string core_pattern_advice(const CorePattern& pattern) {
  std::string why;
  if (core_route_usable(pattern, &why)) return "cores are collected through " + std::string(to_string(pattern.route));
  return why + "; use --capture ptrace (triage-run captures the core itself), or as root set " +
         "kernel.core_pattern=core (sysctl -w kernel.core_pattern=core)";
}

}  // namespace triage
