// The previous settings are kept in <spool>/.core_pattern.saved (JSON),
// written only when the current pattern is not already ours, so installing
// twice does not lose the original.
#include "triage/online/install.h"

#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "triage/online/handler.h"
#include "triage/online/spool.h"

namespace triage::online {
namespace {

constexpr size_t kMaxPattern = 127;  // CORENAME_MAX_SIZE less the NUL
constexpr const char* kSavedFile = ".core_pattern.saved";
constexpr const char* kPipeLimit = "64";  // crashes dumped at once that the kernel holds for us

Result<std::string> read_setting(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(ErrorKind::kIo, "cannot read " + path + ": " + std::strerror(errno));
  char buffer[512];
  ssize_t n = read(fd, buffer, sizeof buffer - 1);
  close(fd);
  if (n < 0) return make_error(ErrorKind::kIo, "cannot read " + path + ": " + std::strerror(errno));
  std::string text(buffer, static_cast<size_t>(n));
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

Result<bool> write_setting(const std::string& path, const std::string& value) {
  int fd = open(path.c_str(), O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return make_error(ErrorKind::kIo, "cannot write " + path + ": " + std::strerror(errno) +
                                          (errno == EACCES || errno == EPERM ? " (run as root)" : ""));
  std::string text = value + "\n";
  ssize_t n = write(fd, text.data(), text.size());
  int saved_errno = errno;
  close(fd);
  if (n != static_cast<ssize_t>(text.size()))
    return make_error(ErrorKind::kIo, "cannot write " + path + ": " + std::strerror(saved_errno));
  return true;
}

bool is_ours(const std::string& pattern) { return pattern.starts_with("|") && pattern.find(" -m online ") != std::string::npos; }

std::string spool_of(const InstallOptions& options) { return options.spool.empty() ? "/var/crash" : options.spool; }

}  // namespace

Result<std::string> core_pattern_line(const std::string& executable, const std::string& spool, bool with_pidfd) {
  if (executable.empty() || executable.front() != '/')
    return make_error(ErrorKind::kInvalidArgument, "the handler's path must be absolute: " + executable);
  // The kernel splits the line at spaces: a path with one would shift every argument.
  if (executable.find_first_of(" \t\n%") != std::string::npos || spool.find_first_of(" \t\n%") != std::string::npos)
    return make_error(ErrorKind::kInvalidArgument, "the handler's path and the spool may not hold spaces or '%'");
  std::string line = "|" + executable + " -m online";
  if (!spool.empty() && spool != "/var/crash") line += " --spool " + spool;
  line += " -P %P -p %p -u %u -g %g -s %s -c %c -d %d -t %t";
  if (with_pidfd) line += " -F %F";
  line += " -- %E";
  if (line.size() > kMaxPattern)
    return make_error(ErrorKind::kInvalidArgument, "the core_pattern line would be " + std::to_string(line.size()) +
                                                       " bytes; the kernel keeps " + std::to_string(kMaxPattern) +
                                                       " (install triage-core at a shorter path)");
  return line;
}

bool kernel_has_pidfd_specifier() {
  utsname name{};
  if (uname(&name) != 0) return false;
  int major = 0, minor = 0;
  if (std::sscanf(name.release, "%d.%d", &major, &minor) != 2) return false;
  return major > 6 || (major == 6 && minor >= 16);
}

Result<std::string> install_handler(const InstallOptions& options) {
  const std::string pattern_path = options.proc_sys + "/kernel/core_pattern";
  const std::string limit_path = options.proc_sys + "/kernel/core_pipe_limit";
  auto line = core_pattern_line(options.executable, options.spool, kernel_has_pidfd_specifier());
  if (!line) return line.error();
  auto current = read_setting(pattern_path);
  if (!current) return current.error();
  auto limit = read_setting(limit_path);
  if (!limit) return limit.error();
  const bool raise_limit = *limit == "0";
  std::string text = "kernel.core_pattern = " + *current + "\n    becomes " + *line + "\n";
  text += "kernel.core_pipe_limit = " + *limit + (raise_limit ? std::string("\n    becomes ") + kPipeLimit : " (kept)") + "\n";
  if (!options.apply) return text + "(nothing changed: add --apply, as root, to set it)\n";

  auto spool = Spool::open(spool_folder(spool_of(options)), true);
  if (!spool) return spool.error();
  if (!is_ours(*current)) {
    // The previous settings, for --uninstall; not replaced by a second install.
    nlohmann::json saved = {{"core_pattern", *current}, {"core_pipe_limit", *limit}};
    std::string bytes = saved.dump() + "\n";
    int fd = openat(spool->fd(), ".core_pattern.new", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()) || fsync(fd) != 0 ||
        renameat(spool->fd(), ".core_pattern.new", spool->fd(), kSavedFile) != 0) {
      if (fd >= 0) close(fd);
      return make_error(ErrorKind::kIo, "cannot save the previous settings in " + spool->path() + ": " + std::strerror(errno));
    }
    close(fd);
  }
  if (raise_limit)
    if (auto written = write_setting(limit_path, kPipeLimit); !written) return written.error();
  if (auto written = write_setting(pattern_path, *line); !written) return written.error();
  return text + "set; the previous settings are saved in " + spool->path() + "/" + kSavedFile + "\n";
}

Result<std::string> uninstall_handler(const InstallOptions& options) {
  const std::string pattern_path = options.proc_sys + "/kernel/core_pattern";
  const std::string limit_path = options.proc_sys + "/kernel/core_pipe_limit";
  auto current = read_setting(pattern_path);
  if (!current) return current.error();
  if (!is_ours(*current))
    return make_error(ErrorKind::kInvalidArgument, "kernel.core_pattern is not triage-core's (" + *current +
                                                       "); nothing to undo");
  auto spool = Spool::open(spool_folder(spool_of(options)), false);
  if (!spool) return spool.error();
  int fd = openat(spool->fd(), kSavedFile, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return make_error(ErrorKind::kNotFound, "no saved settings in " + spool->path() + " (set kernel.core_pattern by hand)");
  char buffer[2048];
  ssize_t n = read(fd, buffer, sizeof buffer);
  close(fd);
  auto saved = nlohmann::json::parse(std::string(buffer, n > 0 ? static_cast<size_t>(n) : 0), nullptr, false);
  if (saved.is_discarded() || !saved.contains("core_pattern") || !saved["core_pattern"].is_string() ||
      !saved.contains("core_pipe_limit") || !saved["core_pipe_limit"].is_string())
    return make_error(ErrorKind::kMalformed, spool->path() + "/" + kSavedFile + " is not what --install wrote");
  const std::string pattern = saved["core_pattern"], limit = saved["core_pipe_limit"];
  std::string text = "kernel.core_pattern = " + *current + "\n    becomes " + pattern + "\n" +
                     "kernel.core_pipe_limit becomes " + limit + "\n";
  if (!options.apply) return text + "(nothing changed: add --apply, as root, to restore it)\n";
  if (auto written = write_setting(pattern_path, pattern); !written) return written.error();
  if (auto written = write_setting(limit_path, limit); !written) return written.error();
  unlinkat(spool->fd(), kSavedFile, 0);
  return text + "restored\n";
}

}  // namespace triage::online
