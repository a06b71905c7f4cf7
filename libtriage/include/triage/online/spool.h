// The crash spool of online mode: a root-owned folder with one folder per
// crash (the core, zstd-compressed, its journal meta.json and, once analysed,
// report.casrep) and the handler's log. This module owns every file made
// there: names, creation without following links (O_CREAT|O_EXCL|O_NOFOLLOW
// relative to the spool's descriptor), permissions and the crashing user's
// read access, the journal's states, the locks that keep concurrent handlers
// and --resume apart, and the quotas (oldest removed first).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "triage/error.h"

namespace triage::online {

// The journal: a crash moves capturing -> pending -> analysing -> analysed
// or failed. Each step is written to meta.json by rename, after fsync.
enum class CrashState { kCapturing, kPending, kAnalysing, kAnalysed, kFailed };
const char* to_string(CrashState state);
std::optional<CrashState> crash_state_from(const std::string& text);

// What the journal holds about one crash (meta.json).
struct CrashMeta {
  CrashState state = CrashState::kCapturing;
  int64_t time = 0;  // %t, seconds since the epoch
  pid_t pid = 0;     // %P, in the initial pid namespace
  pid_t pid_in_namespace = 0;  // %p
  uid_t uid = 0;               // %u
  gid_t gid = 0;               // %g
  uid_t euid = 0;              // from /proc, read through the pinned directory
  gid_t egid = 0;
  int signal = 0;     // %s
  int dump_mode = 0;  // %d: 1 user, 2 root (suid_dumpable)
  bool privileged = true;  // the crashing user may not read what is stored
  std::string executable;  // %E, '!' turned back into '/'
  std::string command_line;
  std::string core_file;        // "core.zst"; empty when no core was kept
  uint64_t core_bytes = 0;      // of the core as the kernel sent it (up to the cut)
  uint64_t max_core_bytes = 0;  // the limit the capture ran under
  uint64_t stored_bytes = 0;    // of everything in the crash's folder
  bool truncated = false;       // cut at a limit, or the capture did not finish
  std::string truncated_why;
  int attempts = 0;             // analyses started
  std::string error;            // why it failed
  // From the report, for --list.
  std::string crash_class, crash_type, crash_line;

  nlohmann::json to_json() const;
  static Result<CrashMeta> from_json(const nlohmann::json& json);
};

struct QuotaLimits {
  uint64_t max_total_bytes = 2ull << 30;   // everything stored
  size_t max_crashes_per_user = 32;
  size_t max_crashes = 512;
  uint64_t min_free_bytes = 1ull << 30;   // left free on the file system
};

// One crash's folder, locked (flock) while the object lives.
class CrashDir {
 public:
  CrashDir(int spool_fd, std::string name, int fd) : spool_fd_(spool_fd), name_(std::move(name)), fd_(fd) {}
  ~CrashDir();
  CrashDir(const CrashDir&) = delete;
  CrashDir& operator=(const CrashDir&) = delete;

  const std::string& name() const { return name_; }
  int fd() const { return fd_; }

  // A new file in the folder (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600; an
  // older one of that name, left by a run that died, is replaced).
  Result<int> create_file(const std::string& file);
  // Opens a file of the folder for reading, without following links.
  Result<int> open_file(const std::string& file) const;
  // Writes `text` to `file` atomically (temporary, fsync, rename, fsync dir).
  Result<bool> write_atomically(const std::string& file, const std::string& text);
  Result<CrashMeta> read_meta() const;
  Result<bool> write_meta(const CrashMeta& meta);
  // Gives `uid` read access to the folder and its files (POSIX ACL), for a
  // dump that was not privileged.
  Result<bool> grant_read(uid_t uid);
  uint64_t stored_bytes() const;

 private:
  int spool_fd_;
  std::string name_;
  int fd_;
};

class Spool {
 public:
  // Opens (creating it, mode 0755, if `create`) the spool. It must be a
  // directory owned by the effective user and not writable by group or
  // others: a folder others can write to lets them plant links and files.
  static Result<Spool> open(const std::string& path, bool create);
  Spool(Spool&& other) noexcept;
  Spool& operator=(Spool&&) = delete;
  ~Spool();

  const std::string& path() const { return path_; }
  int fd() const { return fd_; }

  // A fresh crash folder "crash-<time>-<pid>", or with ".1", ".2", ... when
  // that name is taken (a planted link or file is never followed: mkdirat
  // fails on it). Locked for the caller. `refused` gets the names skipped
  // that were not crash folders of ours (planted links, files).
  Result<std::unique_ptr<CrashDir>> create_crash(int64_t time, pid_t pid, std::vector<std::string>* refused);
  // An existing crash, locked; nullopt-like kIo error if another holds it.
  Result<std::unique_ptr<CrashDir>> open_crash(const std::string& name, bool wait) const;
  // The names of every crash folder, oldest first (by time, then name).
  std::vector<std::string> crash_names() const;

  // Removes the oldest crashes (never `keep`, nor one that is locked) until
  // the user has at most max_crashes_per_user (counting `keep`), the
  // total is within max_total_bytes and the free space is above the floor.
  // Returns the names removed. Takes the spool lock.
  std::vector<std::string> enforce_quota(const QuotaLimits& limits, std::optional<uid_t> uid,
                                         const std::string& keep);
  uint64_t free_bytes() const;

  // One line in <spool>/triage-core.log (the handler has no stderr).
  void log(const std::string& line) const;

 private:
  Spool(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_ = -1;
};

// "crash-<time>-<pid>[.n]" -> true.
bool is_crash_name(const std::string& name);

}  // namespace triage::online
