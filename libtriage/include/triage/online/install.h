// Setting triage-core up as the kernel's core_pattern handler and back:
// the line (flag-style specifiers, %E last, %F where the kernel has it),
// kernel.core_pipe_limit (non-zero, so the kernel keeps the crashed process
// until the handler is done with /proc/PID), and the previous values saved
// in the spool so --uninstall restores them.
#pragma once

#include <string>

#include "triage/error.h"

namespace triage::online {

struct InstallOptions {
  std::string executable;          // absolute path of triage-core
  std::string spool;               // "" or the default: no --spool in the line
  std::string proc_sys = "/proc/sys";  // tests point this at a folder of their own
  bool apply = false;              // write the files; else only say what would be written
};

// The core_pattern line; kInvalidArgument if it is longer than the kernel
// keeps (127 bytes) or the path can't be split safely.
Result<std::string> core_pattern_line(const std::string& executable, const std::string& spool, bool with_pidfd);

// Does the running kernel expand %F (a pidfd; Linux 6.16 and later)?
bool kernel_has_pidfd_specifier();

// What was and will be set, as text for people; with apply, writes it.
Result<std::string> install_handler(const InstallOptions& options);
Result<std::string> uninstall_handler(const InstallOptions& options);

}  // namespace triage::online
