// Where the kernel puts a crashing process's core, and getting it from
// there: read /proc/sys/kernel/core_pattern; a file pattern puts cores in the
// process's working folder (or a fixed folder); a pipe hands them to
// systemd-coredump or apport, which store them where coredumpctl or apport's
// coredump folder can give them back; any other pipe (or a container, whose
// core_pattern is the host's) means we capture cores ourselves with ptrace.
#pragma once

#include <sys/types.h>

#include <string>

#include "triage/error.h"

namespace triage {

enum class CoreRoute {
  kFile,             // the kernel writes a file: folder + name template
  kSystemdCoredump,  // "|/lib/systemd/systemd-coredump ..."
  kApport,           // "|/usr/share/apport/apport ..."
  kOtherPipe,        // a helper we can't get cores back from
};

struct CorePattern {
  CoreRoute route = CoreRoute::kFile;
  std::string pattern;        // as the kernel has it
  // kFile: the folder (relative to the crashing process's working folder,
  // or absolute) and the file name template ("core", "core.%e.%p").
  std::string folder;
  std::string name_template;
  bool uses_pid = false;      // kernel.core_uses_pid: ".PID" is appended to a name without %p
};

CorePattern parse_core_pattern(const std::string& pattern, bool core_uses_pid);
// Reads the machine's pattern (kernel.core_pattern, kernel.core_uses_pid).
CorePattern read_core_pattern();
const char* to_string(CoreRoute route);

// Whether cores can be had this way here: the helper's tools or folders
// exist, an absolute folder is writable. If not, `why` says so.
bool core_route_usable(const CorePattern& pattern, std::string* why);

// After process `pid` died dumping core with `work_dir` as its working
// folder: moves (or fetches) its core to `destination`. kNotFound with the
// reason when there is none.
Result<bool> collect_core(const CorePattern& pattern, pid_t pid, const std::string& work_dir,
                          const std::string& destination);

// What to tell a user whose cores can't be collected, with the fix.
std::string core_pattern_advice(const CorePattern& pattern);

}  // namespace triage
