// Files of the spool. Every path is relative to a directory descriptor and
// opened with O_NOFOLLOW: the spool is checked once (owner, mode) and never
// looked up by name again, so no rename or link swapped in later is followed.
#include "triage/online/spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>

namespace triage::online {
namespace {

constexpr const char* kMetaFile = "meta.json";
constexpr const char* kLogFile = "triage-core.log";
constexpr const char* kLockFile = ".lock";
constexpr off_t kMaxLogBytes = 4 << 20;

Error io_error(const std::string& what) { return make_error(ErrorKind::kIo, what + ": " + std::strerror(errno)); }

bool write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

std::optional<std::string> read_all(int fd, size_t max_bytes) {
  std::string text;
  char buffer[1 << 14];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > max_bytes) return std::nullopt;
  }
  return text;
}

// Removes a crash folder: its plain files (never following a link), then it.
void remove_crash(int spool_fd, const std::string& name) {
  int fd = openat(spool_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    if (DIR* dir = fdopendir(fd)) {
      std::vector<std::string> files;
      while (dirent* entry = readdir(dir))
        if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0)
          files.emplace_back(entry->d_name);
      for (const auto& file : files) unlinkat(dirfd(dir), file.c_str(), 0);
      closedir(dir);
    } else {
      close(fd);
    }
  }
  unlinkat(spool_fd, name.c_str(), AT_REMOVEDIR);
}

// A POSIX ACL in the kernel's xattr form (system.posix_acl_access): the
// owner keeps its bits, `uid` gets `perm`, group and others nothing.
std::string acl_granting(uid_t uid, unsigned owner_perm, unsigned perm) {
  struct Entry {
    uint16_t tag, perm;
    uint32_t id;
  };
  const uint32_t kVersion = 2, kUndefined = ~0u;
  const Entry entries[] = {{0x01, static_cast<uint16_t>(owner_perm), kUndefined},  // ACL_USER_OBJ
                           {0x02, static_cast<uint16_t>(perm), uid},               // ACL_USER
                           {0x04, 0, kUndefined},                                  // ACL_GROUP_OBJ
                           {0x10, static_cast<uint16_t>(perm), kUndefined},        // ACL_MASK
                           {0x20, 0, kUndefined}};                                 // ACL_OTHER
  std::string bytes(reinterpret_cast<const char*>(&kVersion), sizeof kVersion);
  bytes.append(reinterpret_cast<const char*>(entries), sizeof entries);
  return bytes;
}

// A listing of a directory we keep open: a dup shares the descriptor's
// position, so it starts from the top again.
DIR* open_listing(int fd) {
  int copy = dup(fd);
  if (copy < 0) return nullptr;
  DIR* dir = fdopendir(copy);
  if (!dir) {
    close(copy);
    return nullptr;
  }
  rewinddir(dir);
  return dir;
}

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

const char* to_string(CrashState state) {
  switch (state) {
    case CrashState::kCapturing: return "capturing";
    case CrashState::kPending: return "pending";
    case CrashState::kAnalysing: return "analysing";
    case CrashState::kAnalysed: return "analysed";
    case CrashState::kFailed: return "failed";
  }
  return "?";
}

std::optional<CrashState> crash_state_from(const std::string& text) {
  for (auto s : {CrashState::kCapturing, CrashState::kPending, CrashState::kAnalysing, CrashState::kAnalysed,
                 CrashState::kFailed})
    if (text == to_string(s)) return s;
  return std::nullopt;
}

nlohmann::json CrashMeta::to_json() const {
  return {{"state", to_string(state)}, {"time", time},
          {"pid", pid},                {"pid_in_namespace", pid_in_namespace},
          {"uid", uid},                {"gid", gid},
          {"euid", euid},              {"egid", egid},
          {"signal", signal},          {"dump_mode", dump_mode},
          {"privileged", privileged},  {"executable", executable},
          {"command_line", command_line}, {"core_file", core_file},
          {"core_bytes", core_bytes},  {"max_core_bytes", max_core_bytes},
          {"stored_bytes", stored_bytes},
          {"truncated", truncated},    {"truncated_why", truncated_why},
          {"attempts", attempts},      {"error", error},
          {"class", crash_class},      {"type", crash_type},
          {"crash_line", crash_line}};
}

Result<CrashMeta> CrashMeta::from_json(const nlohmann::json& json) {
  CrashMeta meta;
  try {
    auto state = crash_state_from(json.at("state").get<std::string>());
    if (!state) return make_error(ErrorKind::kMalformed, "unknown state " + json.at("state").dump());
    meta.state = *state;
    meta.time = json.value("time", int64_t{0});
    meta.pid = json.value("pid", 0);
    meta.pid_in_namespace = json.value("pid_in_namespace", 0);
    meta.uid = json.value("uid", 0u);
    meta.gid = json.value("gid", 0u);
    meta.euid = json.value("euid", 0u);
    meta.egid = json.value("egid", 0u);
    meta.signal = json.value("signal", 0);
    meta.dump_mode = json.value("dump_mode", 0);
    meta.privileged = json.value("privileged", true);
    meta.executable = json.value("executable", "");
    meta.command_line = json.value("command_line", "");
    meta.core_file = json.value("core_file", "");
    meta.core_bytes = json.value("core_bytes", uint64_t{0});
    meta.max_core_bytes = json.value("max_core_bytes", uint64_t{0});
    meta.stored_bytes = json.value("stored_bytes", uint64_t{0});
    meta.truncated = json.value("truncated", false);
    meta.truncated_why = json.value("truncated_why", "");
    meta.attempts = json.value("attempts", 0);
    meta.error = json.value("error", "");
    meta.crash_class = json.value("class", "");
    meta.crash_type = json.value("type", "");
    meta.crash_line = json.value("crash_line", "");
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorKind::kMalformed, std::string("meta.json: ") + e.what());
  }
  return meta;
}

bool is_crash_name(const std::string& name) {
  if (!name.starts_with("crash-")) return false;
  return name.find_first_not_of("0123456789-.", 6) == std::string::npos;
}

CrashDir::~CrashDir() {
  if (fd_ >= 0) close(fd_);  // releases the flock
}

Result<int> CrashDir::create_file(const std::string& file) {
  int fd = openat(fd_, file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST) {
    // Left by a run that died: the folder is ours (locked, made by mkdirat).
    unlinkat(fd_, file.c_str(), 0);
    fd = openat(fd_, file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  }
  if (fd < 0) return io_error("cannot create " + name_ + "/" + file);
  // Mode and owner set on the descriptor, whatever the umask or a setgid spool did.
  if (fchmod(fd, 0600) != 0 || fchown(fd, geteuid(), getegid()) != 0) {
    Error error = io_error("cannot set the mode of " + name_ + "/" + file);
    close(fd);
    return error;
  }
  return fd;
}

Result<int> CrashDir::open_file(const std::string& file) const {
  int fd = openat(fd_, file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open " + name_ + "/" + file);
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return make_error(ErrorKind::kIo, name_ + "/" + file + ": not a regular file");
  }
  return fd;
}

Result<bool> CrashDir::write_atomically(const std::string& file, const std::string& text) {
  const std::string temporary = "." + file + ".new";
  auto fd = create_file(temporary);
  if (!fd) return fd.error();
  FdCloser closer{*fd};
  if (!write_all(*fd, text) || fsync(*fd) != 0) return io_error("cannot write " + name_ + "/" + temporary);
  if (renameat(fd_, temporary.c_str(), fd_, file.c_str()) != 0) return io_error("cannot rename " + name_ + "/" + file);
  fsync(fd_);
  return true;
}

Result<CrashMeta> CrashDir::read_meta() const {
  auto fd = open_file(kMetaFile);
  if (!fd) return fd.error();
  FdCloser closer{*fd};
  auto text = read_all(*fd, 1 << 20);
  if (!text) return make_error(ErrorKind::kIo, name_ + "/meta.json: unreadable or too big");
  auto json = nlohmann::json::parse(*text, nullptr, false);
  if (json.is_discarded()) return make_error(ErrorKind::kMalformed, name_ + "/meta.json: not JSON");
  return CrashMeta::from_json(json);
}

Result<bool> CrashDir::write_meta(const CrashMeta& meta) {
  return write_atomically(kMetaFile, meta.to_json().dump(2) + "\n");
}

Result<bool> CrashDir::grant_read(uid_t uid) {
  const std::string dir_acl = acl_granting(uid, 7, 5);
  if (fsetxattr(fd_, "system.posix_acl_access", dir_acl.data(), dir_acl.size(), 0) != 0)
    return io_error("cannot give uid " + std::to_string(uid) + " access to " + name_);
  const std::string file_acl = acl_granting(uid, 6, 4);
  if (DIR* dir = open_listing(fd_)) {
    while (dirent* entry = readdir(dir)) {
      if (entry->d_name[0] == '.') continue;
      int fd = openat(fd_, entry->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) continue;
      struct stat st {};
      if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        fsetxattr(fd, "system.posix_acl_access", file_acl.data(), file_acl.size(), 0);
      close(fd);
    }
    closedir(dir);
  }
  return true;
}

uint64_t CrashDir::stored_bytes() const {
  uint64_t total = 0;
  if (DIR* dir = open_listing(fd_)) {
    while (dirent* entry = readdir(dir)) {
      struct stat st {};
      if (entry->d_name[0] != '.' && fstatat(fd_, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        total += static_cast<uint64_t>(st.st_blocks) * 512;  // sparse files count what they use
    }
    closedir(dir);
  }
  return total;
}

Result<Spool> Spool::open(const std::string& path, bool create) {
  bool made = false;
  if (create) {
    made = mkdir(path.c_str(), 0755) == 0;
    if (!made && errno != EEXIST) return io_error("cannot create spool " + path);
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open spool " + path);
  if (made) fchmod(fd, 0755);  // whatever the umask: users must reach the crashes they may read
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    close(fd);
    return io_error("cannot stat spool " + path);
  }
  if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
    close(fd);
    return make_error(ErrorKind::kInvalidArgument,
                      "spool " + path + " must be owned by uid " + std::to_string(geteuid()) +
                          " and not writable by group or others (others could plant links in it)");
  }
  return Spool(path, fd);
}

Spool::Spool(Spool&& other) noexcept : path_(std::move(other.path_)), fd_(other.fd_) { other.fd_ = -1; }

Spool::~Spool() {
  if (fd_ >= 0) close(fd_);
}

Result<std::unique_ptr<CrashDir>> Spool::create_crash(int64_t time, pid_t pid, std::vector<std::string>* refused) {
  const std::string base = "crash-" + std::to_string(time) + "-" + std::to_string(pid);
  for (int n = 0; n < 1000; ++n) {
    const std::string name = n == 0 ? base : base + "." + std::to_string(n);
    if (mkdirat(fd_, name.c_str(), 0700) != 0) {
      if (errno != EEXIST) return io_error("cannot create " + path_ + "/" + name);
      // Another crash of that pid in that second is a folder of ours; a link
      // or anything else was planted, and is worth a line in the log.
      struct stat st {};
      const bool ours = fstatat(fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
                        st.st_uid == geteuid();
      if (refused && !ours) refused->push_back(name);
      continue;
    }
    int fd = openat(fd_, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return io_error("cannot open " + path_ + "/" + name);
    fchmod(fd, 0700);
    flock(fd, LOCK_EX);
    return std::make_unique<CrashDir>(fd_, name, fd);
  }
  return make_error(ErrorKind::kIo, "no free crash name for " + base);
}

Result<std::unique_ptr<CrashDir>> Spool::open_crash(const std::string& name, bool wait) const {
  if (!is_crash_name(name)) return make_error(ErrorKind::kInvalidArgument, name + ": not a crash name");
  int fd = openat(fd_, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open " + path_ + "/" + name);
  int r;
  while ((r = flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB)) != 0 && errno == EINTR) {
  }
  if (r != 0) {
    close(fd);
    return make_error(ErrorKind::kIo, name + ": in use by another triage-core");
  }
  return std::make_unique<CrashDir>(fd_, name, fd);
}

std::vector<std::string> Spool::crash_names() const {
  std::vector<std::pair<std::pair<int64_t, std::string>, std::string>> found;
  if (DIR* dir = open_listing(fd_)) {
    while (dirent* entry = readdir(dir)) {
      std::string name = entry->d_name;
      if (!is_crash_name(name)) continue;
      int64_t time = std::strtoll(name.c_str() + 6, nullptr, 10);
      found.push_back({{time, name}, name});
    }
    closedir(dir);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> names;
  for (auto& f : found) names.push_back(std::move(f.second));
  return names;
}

uint64_t Spool::free_bytes() const {
  struct statvfs vfs {};
  if (fstatvfs(fd_, &vfs) != 0) return 0;
  return static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
}

std::vector<std::string> Spool::enforce_quota(const QuotaLimits& limits, std::optional<uid_t> uid,
                                              const std::string& keep) {
  int lock = openat(fd_, kLockFile, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  FdCloser closer{lock};
  if (lock >= 0)
    while (flock(lock, LOCK_EX) != 0 && errno == EINTR) {
    }
  struct Entry {
    std::string name;
    uint64_t bytes = 0;
    std::optional<uid_t> uid;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  size_t user_count = 0;
  for (const auto& name : crash_names()) {
    Entry entry{name};
    int fd = openat(fd_, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    CrashDir dir(fd_, name, fd);  // not locked: only sizes and the owner are read
    entry.bytes = dir.stored_bytes();
    if (auto meta = dir.read_meta()) entry.uid = meta->uid;
    total += entry.bytes;
    if (uid && entry.uid == uid) ++user_count;
    entries.push_back(std::move(entry));
  }
  std::vector<std::string> removed;
  size_t count = entries.size();
  for (const Entry& entry : entries) {  // oldest first
    const bool user_over = uid && entry.uid == uid && user_count > limits.max_crashes_per_user;
    const bool over = total > limits.max_total_bytes || count > limits.max_crashes ||
                      free_bytes() < limits.min_free_bytes;
    if (entry.name == keep || (!user_over && !over)) continue;
    // A crash being captured or analysed is locked: leave it.
    int fd = openat(fd_, entry.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    FdCloser held{fd};
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) continue;
    remove_crash(fd_, entry.name);
    removed.push_back(entry.name);
    total -= entry.bytes;
    --count;
    if (uid && entry.uid == uid) --user_count;
  }
  return removed;
}

void Spool::log(const std::string& line) const {
  int fd = openat(fd_, kLogFile, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return;
  struct stat st {};
  if (fstat(fd, &st) == 0 && st.st_size > kMaxLogBytes) {
    // Bounded: the old half moves aside once.
    renameat(fd_, kLogFile, fd_, (std::string(kLogFile) + ".1").c_str());
    close(fd);
    fd = openat(fd_, kLogFile, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return;
  }
  char stamp[32];
  time_t now = ::time(nullptr);
  tm utc{};
  gmtime_r(&now, &utc);
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
  std::string text = std::string(stamp) + " [" + std::to_string(getpid()) + "] " + line + "\n";
  write_all(fd, text);  // one write with O_APPEND: lines of concurrent handlers don't mix
  close(fd);
}

}  // namespace triage::online
