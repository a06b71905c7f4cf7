// triage-core -m online, the core_pattern handler, invoked directly as the
// kernel would (never through this machine's core_pattern): a real kernel
// core of a corpus program on stdin, kernel-like specifiers for a live
// stopped process, a private spool. Checks what is stored, what is refused,
// the limits, concurrency, the journal and --resume, and the quota.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/test_files.h"
#include "triage/util/core_stream.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using triage_test::TempDir;

fs::path program(const std::string& name) { return fs::path(TRIAGE_BUILD_DIR) / "corpus-samples" / "crashes" / name; }

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A fresh kernel core of a corpus program, made once per test process in a
// private folder with RLIMIT_CORE unlimited (core_pattern must be a plain
// name, as make-cores.sh also needs).
const std::string& kernel_core(const std::string& name) {
  static std::mutex mutex;
  static std::map<std::string, std::string> made;
  static TempDir dir("triage-online-cores");
  std::lock_guard lock(mutex);
  if (auto it = made.find(name); it != made.end()) return it->second;
  const std::string pattern = read_file("/proc/sys/kernel/core_pattern");
  INFO("core_pattern is '" << pattern << "'; these tests need a plain file name such as 'core' "
                           "(sysctl -w kernel.core_pattern=core)");
  REQUIRE(!pattern.empty());
  REQUIRE(pattern[0] != '|');
  const fs::path work = dir.path() / name;
  fs::create_directories(work);
  const std::string exe = program(name).string();
  REQUIRE(fs::exists(exe));
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(work.c_str()) != 0) _exit(125);
    rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
    setrlimit(RLIMIT_CORE, &unlimited);
    int null_fd = open("/dev/null", O_RDWR);
    dup2(null_fd, 0);
    dup2(null_fd, 1);
    dup2(null_fd, 2);
    execl(exe.c_str(), exe.c_str(), nullptr);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WCOREDUMP(status));
  std::optional<fs::path> core;
  for (const auto& entry : fs::directory_iterator(work))
    if (entry.path().filename().string().starts_with("core")) core = entry.path();
  REQUIRE(core);
  return made[name] = core->string();
}

// A live process stopped by SIGSTOP, running as uid/gid; killed at the end.
class StoppedProcess {
 public:
  explicit StoppedProcess(uid_t uid = 0, gid_t gid = 0) {
    pid_ = fork();
    if (pid_ == 0) {
      if (gid != 0 && (setgroups(0, nullptr) != 0 || setgid(gid) != 0)) _exit(1);
      if (uid != 0 && setuid(uid) != 0) _exit(1);
      raise(SIGSTOP);
      _exit(0);
    }
    int status = 0;
    REQUIRE(waitpid(pid_, &status, WUNTRACED) == pid_);
    REQUIRE(WIFSTOPPED(status));
  }
  ~StoppedProcess() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_;
};

struct HandlerRun {
  int status = -1;
  pid_t pid = 0;
};

// The kernel's command line for a crash of `process`.
std::vector<std::string> kernel_args(pid_t pid, uid_t uid, gid_t gid, int64_t time, const std::string& exe,
                                     const std::string& dump_mode = "1", const std::string& core_limit =
                                                                              "18446744073709551615") {
  std::string bang = exe;
  std::replace(bang.begin(), bang.end(), '/', '!');
  return {"-m", "online", "-P", std::to_string(pid), "-p", std::to_string(pid), "-u", std::to_string(uid),
          "-g", std::to_string(gid), "-s", "11", "-c", core_limit, "-d", dump_mode, "-t", std::to_string(time),
          "--", bang};
}

// Starts triage-core with `stdin_path` on stdin (as the kernel's pipe would
// give it), in `cwd`, with no stdout or stderr.
pid_t start_handler(const std::vector<std::string>& args, const std::string& stdin_path, const std::string& cwd) {
  std::vector<std::string> argv{TRIAGE_CORE_TOOL};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> pointers;
  for (auto& a : argv) pointers.push_back(a.data());
  pointers.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    int in = open(stdin_path.c_str(), O_RDONLY);
    if (in < 0 || chdir(cwd.c_str()) != 0) _exit(125);
    dup2(in, 0);
    close(1);
    close(2);
    execv(pointers[0], pointers.data());
    _exit(127);
  }
  return pid;
}

int wait_handler(pid_t pid) {
  int status = 0;
  for (int i = 0; i < 3000; ++i) {  // a bound, not a timing: 300 s
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(-pid, SIGKILL);
  waitpid(pid, &status, 0);
  FAIL("the handler did not finish within 300 s");
  return -1;
}

int run_handler(const std::vector<std::string>& args, const std::string& stdin_path, const std::string& cwd) {
  return wait_handler(start_handler(args, stdin_path, cwd));
}

std::vector<std::string> with(std::vector<std::string> args, std::initializer_list<std::string> more) {
  args.insert(args.begin() + 2, more);  // after "-m online", before "--"
  return args;
}

std::vector<std::string> crash_dirs(const fs::path& spool) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(spool))
    if (entry.path().filename().string().starts_with("crash-")) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

json meta_of(const fs::path& crash) { return json::parse(read_file(crash / "meta.json")); }

std::string expand(const fs::path& stored) {
  TempDir out("triage-online-expand");
  int in = open(stored.c_str(), O_RDONLY);
  int fd = open(out.file("core").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  auto expanded = triage::expand_core(in, fd, true, UINT64_MAX);
  close(in);
  close(fd);
  REQUIRE(expanded);
  return read_file(out.file("core"));
}

// Can uid 65534 open `path` for reading? Asked of a real process of that uid.
bool nobody_can_read(const fs::path& path) {
  pid_t pid = fork();
  if (pid == 0) {
    if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
    _exit(open(path.c_str(), O_RDONLY) >= 0 ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) != 2);
  return WEXITSTATUS(status) == 0;
}

}  // namespace

TEST_CASE("online: a real core of a live stopped process is stored compressed, journaled and analysed",
          "[online][e2e]") {
  const std::string& core = kernel_core("dest-av");
  TempDir spool("triage-spool"), cwd("triage-cwd");
  StoppedProcess process;
  const int64_t time = 1700000000;
  auto args = with(kernel_args(process.pid(), 0, 0, time, program("dest-av").string()),
                   {"--spool", spool.path().string(), "--foreground"});
  REQUIRE(run_handler(args, core, cwd.path().string()) == 0);

  const std::string name = "crash-" + std::to_string(time) + "-" + std::to_string(process.pid());
  REQUIRE(crash_dirs(spool.path()) == std::vector<std::string>{name});
  const fs::path crash = spool.path() / name;
  json meta = meta_of(crash);
  INFO(meta.dump(2) << "\nlog:\n" << read_file(spool.path() / "triage-core.log"));
  CHECK(meta["state"] == "analysed");
  CHECK(meta["pid"] == process.pid());
  CHECK(meta["uid"] == 0);
  CHECK(meta["signal"] == 11);
  CHECK(meta["executable"] == program("dest-av").string());
  CHECK(meta["truncated"] == false);
  CHECK(meta["core_bytes"] == fs::file_size(core));
  CHECK(meta["class"] == "DestAv");
  CHECK(meta["type"] == "EXPLOITABLE");
  CHECK(meta["crash_line"].get<std::string>().find("dest-av.c:") != std::string::npos);
  // Root's own dump (mode 1, uid = euid): not privileged, but there is no
  // one to give read access to, so the files stay root's alone.
  CHECK(meta["privileged"] == false);

  // The core is stored zstd-compressed, smaller, and expands to the kernel's bytes.
  const fs::path stored = crash / "core.zst";
  REQUIRE(fs::exists(stored));
  CHECK(fs::file_size(stored) < fs::file_size(core));
  CHECK(expand(stored) == read_file(core));
  json report = json::parse(read_file(crash / "report.casrep"));
  CHECK(report["CrashSeverity"]["ShortDescription"] == "DestAv");
  CHECK(report["CrashLine"] == meta["crash_line"]);
  // And for people, beside it.
  CHECK(read_file(crash / "report.txt").find("DestAv") != std::string::npos);

  // Root-owned, private, nothing outside the spool.
  struct stat st {};
  REQUIRE(stat(crash.c_str(), &st) == 0);
  CHECK(st.st_uid == 0);
  CHECK((st.st_mode & 0777) == 0700);
  for (const char* file : {"core.zst", "meta.json", "report.casrep", "report.txt"}) {
    REQUIRE(stat((crash / file).c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }
  CHECK(fs::is_empty(cwd.path()));
  CHECK(read_file(spool.path() / "triage-core.log").find("stored pid " + std::to_string(process.pid())) !=
        std::string::npos);
}

TEST_CASE("online: the handler exits after the capture and a child of it does the analysis", "[online][e2e]") {
  const std::string& core = kernel_core("dest-av");
  TempDir spool("triage-spool"), cwd("triage-cwd");
  StoppedProcess process;
  auto args = with(kernel_args(process.pid(), 0, 0, 1700000009, "/bin/x"), {"--spool", spool.path().string()});
  REQUIRE(run_handler(args, core, cwd.path().string()) == 0);
  const fs::path crash = spool.path() / ("crash-1700000009-" + std::to_string(process.pid()));
  REQUIRE(fs::exists(crash / "core.zst"));
  std::string state;
  for (int i = 0; i < 600 && state != "analysed" && state != "failed"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    state = meta_of(crash)["state"];
  }
  CHECK(state == "analysed");
  // The analysis child let go of the crash's lock: --resume finds nothing to do.
  for (int i = 0; i < 100; ++i) {
    auto resumed = triage_test::run_process({TRIAGE_CORE_TOOL, "--resume", "--spool", spool.path().string()});
    if (resumed.out.find("0 in use") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

TEST_CASE("online: a process that is not who the kernel says is rejected", "[online][e2e]") {
  const std::string& core = kernel_core("dest-av");
  TempDir spool("triage-spool"), cwd("triage-cwd");
  StoppedProcess nobody(65534, 65534);
  SECTION("uid and gid that don't match") {
    auto args = with(kernel_args(nobody.pid(), 0, 0, 1700000001, "/bin/x"), {"--spool", spool.path().string()});
    CHECK(run_handler(args, core, cwd.path().string()) == 1);
    CHECK(read_file(spool.path() / "triage-core.log").find("are not the kernel's") != std::string::npos);
  }
  SECTION("a pid that no longer exists") {
    pid_t gone = fork();
    if (gone == 0) _exit(0);
    waitpid(gone, nullptr, 0);
    auto args = with(kernel_args(gone, 0, 0, 1700000001, "/bin/x"), {"--spool", spool.path().string()});
    CHECK(run_handler(args, core, cwd.path().string()) == 1);
    CHECK(read_file(spool.path() / "triage-core.log").find("rejected pid " + std::to_string(gone)) !=
          std::string::npos);
  }
  SECTION("a pidfd of another process") {
    auto args = with(kernel_args(nobody.pid(), 65534, 65534, 1700000001, "/bin/x"),
                     {"--spool", spool.path().string(), "-F", "0"});
    CHECK(run_handler(args, core, cwd.path().string()) == 1);
    CHECK(read_file(spool.path() / "triage-core.log").find("not a pidfd") != std::string::npos);
  }
  CHECK(crash_dirs(spool.path()).empty());
}

TEST_CASE("online: the crashing user may read its crash only when the dump was not privileged", "[online][e2e]") {
  const std::string& core = kernel_core("dest-av");
  TempDir spool("triage-spool"), cwd("triage-cwd");
  fs::permissions(spool.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                    fs::perms::others_read | fs::perms::others_exec);
  StoppedProcess nobody(65534, 65534);
  const std::string mode = GENERATE("1", "2");
  auto args = with(kernel_args(nobody.pid(), 65534, 65534, 1700000002, "/bin/x", mode),
                   {"--spool", spool.path().string(), "--foreground"});
  REQUIRE(run_handler(args, core, cwd.path().string()) == 0);
  auto names = crash_dirs(spool.path());
  REQUIRE(names.size() == 1);
  const fs::path crash = spool.path() / names[0];
  json meta = meta_of(crash);
  INFO("dump mode " << mode << "\n" << meta.dump(2));
  CHECK(meta["privileged"] == (mode == "2"));
  CHECK(nobody_can_read(crash / "core.zst") == (mode == "1"));
  CHECK(nobody_can_read(crash / "meta.json") == (mode == "1"));
  // Analysed as nobody either way (the crashing uid is 65534).
  CHECK(meta["state"] == "analysed");
}

TEST_CASE("online: a link planted where the crash would go is refused, not followed", "[online][e2e]") {
  const std::string& core = kernel_core("dest-av");
  TempDir spool("triage-spool"), cwd("triage-cwd"), elsewhere("triage-elsewhere");
  StoppedProcess process;
  const int64_t time = 1700000003;
  const std::string name = "crash-" + std::to_string(time) + "-" + std::to_string(process.pid());
  fs::create_directory_symlink(elsewhere.path(), spool.path() / name);
  const std::string victim = elsewhere.file("victim");
  { std::ofstream(victim) << "untouched"; }
  fs::create_symlink(victim, spool.path() / "triage-core.log.1");
  auto args = with(kernel_args(process.pid(), 0, 0, time, "/bin/x"), {"--spool", spool.path().string(), "--foreground"});
  REQUIRE(run_handler(args, core, cwd.path().string()) == 0);
  // Nothing went through the link; the crash is kept under the next name.
  CHECK(fs::is_symlink(spool.path() / name));
  CHECK(read_file(victim) == "untouched");
  std::vector<std::string> inside;
  for (const auto& entry : fs::directory_iterator(elsewhere.path())) inside.push_back(entry.path().filename());
  CHECK(inside == std::vector<std::string>{"victim"});
  CHECK(fs::exists(spool.path() / (name + ".1") / "core.zst"));
  CHECK(read_file(spool.path() / "triage-core.log").find("refused " + name) != std::string::npos);
}

TEST_CASE("online: a core larger than the cap is cut there and says so", "[online][e2e]") {
  const std::string& core = kernel_core("dest-av");
  TempDir spool("triage-spool"), cwd("triage-cwd");
  StoppedProcess process;
  SECTION("our cap") {
    auto args = with(kernel_args(process.pid(), 0, 0, 1700000004, "/bin/x"),
                     {"--spool", spool.path().string(), "--max-core-size", "65536", "--foreground"});
    REQUIRE(run_handler(args, core, cwd.path().string()) == 0);
    auto names = crash_dirs(spool.path());
    REQUIRE(names.size() == 1);
    json meta = meta_of(spool.path() / names[0]);
    INFO(meta.dump(2));
    CHECK(meta["core_bytes"] == 65536);
    CHECK(meta["truncated"] == true);
    CHECK(meta["truncated_why"].get<std::string>().find("--max-core-size") != std::string::npos);
    CHECK(expand(spool.path() / names[0] / "core.zst") == read_file(core).substr(0, 65536));
    // Whatever the analysis made of it, it finished and said so in the journal.
    CHECK((meta["state"] == "analysed" || meta["state"] == "failed"));
    CHECK(read_file(spool.path() / "triage-core.log").find("truncated: cut at 65536 bytes") != std::string::npos);
  }
  SECTION("the process's RLIMIT_CORE (%c)") {
    auto args = with(kernel_args(process.pid(), 0, 0, 1700000004, "/bin/x", "1", "8192"),
                     {"--spool", spool.path().string(), "--foreground"});
    REQUIRE(run_handler(args, core, cwd.path().string()) == 0);
    auto names = crash_dirs(spool.path());
    REQUIRE(names.size() == 1);
    json meta = meta_of(spool.path() / names[0]);
    CHECK(meta["core_bytes"] == 8192);
    CHECK(meta["truncated_why"].get<std::string>().find("%c") != std::string::npos);
  }
}

TEST_CASE("online: garbage on stdin is logged, stored in the spool only, and fails its analysis", "[online][e2e]") {
  TempDir spool("triage-spool"), cwd("triage-cwd"), input("triage-input");
  auto bytes = triage_test::random_bytes(6, 100000);
  const std::string garbage = input.write("garbage", bytes);
  StoppedProcess process;
  auto args = with(kernel_args(process.pid(), 0, 0, 1700000005, "/bin/x"),
                   {"--spool", spool.path().string(), "--foreground"});
  REQUIRE(run_handler(args, garbage, cwd.path().string()) == 0);
  auto names = crash_dirs(spool.path());
  REQUIRE(names.size() == 1);
  json meta = meta_of(spool.path() / names[0]);
  INFO(meta.dump(2));
  CHECK(meta["state"] == "failed");
  CHECK(meta["error"].get<std::string>().find("not an ELF") != std::string::npos);
  CHECK(read_file(spool.path() / "triage-core.log").find(names[0] + ": failed") != std::string::npos);
  CHECK(fs::is_empty(cwd.path()));
  std::set<std::string> top;
  for (const auto& entry : fs::directory_iterator(spool.path())) top.insert(entry.path().filename());
  CHECK(top == std::set<std::string>{names[0], "triage-core.log", ".lock"});

  SECTION("and bad specifiers are logged with a non-zero exit") {
    std::vector<std::string> bad{"-m", "online", "--spool", spool.path().string(), "-P", "notapid", "--", "x"};
    CHECK(run_handler(bad, garbage, cwd.path().string()) == 2);
    std::vector<std::string> missing{"-m", "online", "--spool", spool.path().string(), "-P", "1", "--", "x"};
    CHECK(run_handler(missing, garbage, cwd.path().string()) == 1);
    const std::string log = read_file(spool.path() / "triage-core.log");
    CHECK(log.find("notapid") != std::string::npos);
    CHECK(log.find("rejected: -u (%u) and -g (%g) are required") != std::string::npos);
  }
}

TEST_CASE("online: 20 handlers at once all store their crash", "[online][e2e]") {
  const std::string& core = kernel_core("dest-av");
  TempDir spool("triage-spool"), cwd("triage-cwd");
  std::vector<std::unique_ptr<StoppedProcess>> processes;
  for (int i = 0; i < 10; ++i) processes.push_back(std::make_unique<StoppedProcess>());
  std::vector<pid_t> handlers;
  // Two crashes for each pid, all at the same second: names must not collide.
  for (int i = 0; i < 20; ++i) {
    auto args = with(kernel_args(processes[i % 10]->pid(), 0, 0, 1700000006, "/bin/x"),
                     {"--spool", spool.path().string(), "--foreground"});
    handlers.push_back(start_handler(args, core, cwd.path().string()));
  }
  for (pid_t h : handlers) CHECK(wait_handler(h) == 0);
  auto names = crash_dirs(spool.path());
  INFO(read_file(spool.path() / "triage-core.log"));
  REQUIRE(names.size() == 20);
  const std::string kernel_bytes = read_file(core);
  for (const auto& name : names) {
    json meta = meta_of(spool.path() / name);
    CHECK(meta["state"] == "analysed");
    CHECK(meta["class"] == "DestAv");
    CHECK(expand(spool.path() / name / "core.zst") == kernel_bytes);
  }
}

TEST_CASE("online: an analysis killed half-way is finished by --resume", "[online][e2e]") {
  const std::string& core = kernel_core("dest-av");
  TempDir spool("triage-spool"), cwd("triage-cwd");
  StoppedProcess process;
  auto args = with(kernel_args(process.pid(), 0, 0, 1700000007, "/bin/x"),
                   {"--spool", spool.path().string(), "--foreground", "--test-stop-before-analysis"});
  pid_t handler = start_handler(args, core, cwd.path().string());
  const fs::path crash = spool.path() / ("crash-1700000007-" + std::to_string(process.pid()));
  // The journal says "analysing" once the sandboxed child has started.
  bool analysing = false;
  for (int i = 0; i < 600 && !analysing; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::error_code ec;
    if (fs::exists(crash / "meta.json", ec)) analysing = meta_of(crash)["state"] == "analysing";
  }
  REQUIRE(analysing);
  kill(handler, SIGKILL);  // as a reboot or the OOM killer would
  int status = 0;
  waitpid(handler, &status, 0);
  CHECK(WIFSIGNALED(status));
  CHECK_FALSE(fs::exists(crash / "report.casrep"));

  // The stopped analysis child dies with its parent (PR_SET_PDEATHSIG): the lock is free.
  auto resumed = triage_test::run_process({TRIAGE_CORE_TOOL, "--resume", "--spool", spool.path().string()});
  INFO(resumed.out << resumed.err << read_file(spool.path() / "triage-core.log"));
  CHECK(triage_test::exit_code(resumed) == 0);
  CHECK(resumed.out.find("1 analysed, 0 failed") != std::string::npos);
  json meta = meta_of(crash);
  CHECK(meta["state"] == "analysed");
  CHECK(meta["attempts"] == 2);
  CHECK(meta["class"] == "DestAv");
  CHECK(fs::exists(crash / "report.casrep"));

  // Nothing left to do the second time.
  auto again = triage_test::run_process({TRIAGE_CORE_TOOL, "--resume", "--spool", spool.path().string()});
  CHECK(again.out.find("0 analysed, 0 failed") != std::string::npos);
}

TEST_CASE("online: a capture cut short by the handler's death is kept and analysed by --resume", "[online][e2e]") {
  // The journal says "capturing" and the core stops mid-stream: what is
  // there is analysed as a truncated core.
  const std::string& core = kernel_core("dest-av");
  TempDir spool("triage-spool"), cwd("triage-cwd");
  StoppedProcess process;
  auto args = with(kernel_args(process.pid(), 0, 0, 1700000008, "/bin/x"), {"--spool", spool.path().string()});
  // A FIFO kept open stands in for a kernel still writing.
  TempDir fifo_dir("triage-fifo");
  const std::string bytes = read_file(core);
  const std::string fifo_path = fifo_dir.file("fifo");
  REQUIRE(mkfifo(fifo_path.c_str(), 0600) == 0);
  pid_t handler = start_handler(args, fifo_path, cwd.path().string());
  int writer = open(fifo_path.c_str(), O_WRONLY);
  REQUIRE(writer >= 0);
  const size_t half = bytes.size() / 2;
  REQUIRE(write(writer, bytes.data(), half) == static_cast<ssize_t>(half));
  const fs::path crash = spool.path() / ("crash-1700000008-" + std::to_string(process.pid()));
  bool capturing = false;
  for (int i = 0; i < 600 && !capturing; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::error_code ec;
    capturing = fs::exists(crash / "core.zst", ec) && meta_of(crash)["state"] == "capturing";
  }
  REQUIRE(capturing);
  kill(handler, SIGKILL);
  waitpid(handler, nullptr, 0);
  close(writer);

  auto resumed = triage_test::run_process({TRIAGE_CORE_TOOL, "--resume", "--spool", spool.path().string()});
  INFO(resumed.out << resumed.err << read_file(spool.path() / "triage-core.log"));
  json meta = meta_of(crash);
  CHECK(meta["truncated"] == true);
  CHECK(meta["truncated_why"] == "the capture did not finish (the handler died)");
  CHECK((meta["state"] == "analysed" || meta["state"] == "failed"));
  CHECK(meta["attempts"] == 1);
}

TEST_CASE("online: the quota removes the oldest crashes first", "[online][e2e]") {
  const std::string& core = kernel_core("dest-av");
  TempDir spool("triage-spool"), cwd("triage-cwd");
  StoppedProcess process;
  SECTION("per user") {
    for (int64_t t = 1700000100; t < 1700000105; ++t) {
      auto args = with(kernel_args(process.pid(), 0, 0, t, "/bin/x"),
                       {"--spool", spool.path().string(), "--max-per-user", "3", "--foreground"});
      REQUIRE(run_handler(args, core, cwd.path().string()) == 0);
    }
    const std::string p = std::to_string(process.pid());
    CHECK(crash_dirs(spool.path()) == std::vector<std::string>{"crash-1700000102-" + p, "crash-1700000103-" + p,
                                                              "crash-1700000104-" + p});
    CHECK(read_file(spool.path() / "triage-core.log").find("removed crash-1700000100-" + p + " (quota)") !=
          std::string::npos);
  }
  SECTION("in bytes") {
    // Each stored crash takes some KiB: a 1 MiB quota keeps the newest few.
    for (int64_t t = 1700000200; t < 1700000210; ++t) {
      auto args = with(kernel_args(process.pid(), 0, 0, t, "/bin/x"),
                       {"--spool", spool.path().string(), "--max-spool-size", "1", "--no-compress", "--foreground"});
      REQUIRE(run_handler(args, core, cwd.path().string()) == 0);
    }
    auto names = crash_dirs(spool.path());
    REQUIRE(!names.empty());
    CHECK(names.size() < 10);
    CHECK(names.back() == "crash-1700000209-" + std::to_string(process.pid()));
    // The oldest went: what is left is a run of the newest.
    const int64_t first_kept = std::stoll(names.front().substr(6, 10));
    CHECK(first_kept + static_cast<int64_t>(names.size()) == 1700000210);
  }
}

TEST_CASE("online: --list shows each stored crash and filters by executable and time", "[online][e2e]") {
  const std::string& core = kernel_core("dest-av");
  TempDir spool("triage-spool"), cwd("triage-cwd"), input("triage-input");
  const std::string garbage = input.write("garbage", triage_test::random_bytes(7, 5000));
  StoppedProcess process;
  const std::string s = spool.path().string();
  REQUIRE(run_handler(with(kernel_args(process.pid(), 0, 0, 1700000300, "/usr/bin/alpha"), {"--spool", s, "--foreground"}),
                      core, cwd.path().string()) == 0);
  REQUIRE(run_handler(with(kernel_args(process.pid(), 0, 0, 1700003900, "/usr/bin/beta two"), {"--spool", s, "--foreground"}),
                      garbage, cwd.path().string()) == 0);
  REQUIRE(run_handler(with(kernel_args(process.pid(), 0, 0, 1700090000, "/usr/bin/alpha"), {"--spool", s, "--foreground"}),
                      core, cwd.path().string()) == 0);
  auto list = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv{TRIAGE_CORE_TOOL, "--list", "--spool", s};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return triage_test::run_process(argv);
  };
  auto lines = [](const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  };
  auto all = list({});
  INFO(all.out << all.err);
  REQUIRE(triage_test::exit_code(all) == 0);
  auto rows = lines(all.out);
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].find("TIME (UTC)") == 0);
  const std::string pid = std::to_string(process.pid());
  CHECK(rows[1].find("2023-11-14 22:18:20") == 0);  // %t 1700000300
  CHECK(rows[1].find(pid) != std::string::npos);
  CHECK(rows[1].find("SIGSEGV") != std::string::npos);
  CHECK(rows[1].find("analysed") != std::string::npos);
  CHECK(rows[1].find("DestAv") != std::string::npos);
  CHECK(rows[1].find("/usr/bin/alpha") != std::string::npos);
  CHECK(rows[1].find("dest-av.c:") != std::string::npos);
  CHECK(rows[2].find("failed") != std::string::npos);
  CHECK(rows[2].find("/usr/bin/beta two") != std::string::npos);

  auto alpha = lines(list({"--exe", "alpha"}).out);
  CHECK(alpha.size() == 3);
  auto beta = lines(list({"--exe", "beta"}).out);
  REQUIRE(beta.size() == 2);
  CHECK(beta[1].find("beta two") != std::string::npos);
  auto window = lines(list({"--since", "1700003900", "--until", "2023-11-15T22:00"}).out);
  REQUIRE(window.size() == 2);
  CHECK(window[1].find("beta") != std::string::npos);
  auto recent = lines(list({"--since", "1d"}).out);  // the crashes are from 2023
  CHECK(recent.size() == 1);
  auto bad = list({"--since", "yesterday"});
  CHECK(triage_test::exit_code(bad) == 2);
  CHECK(bad.err.find("'yesterday' is not a time") != std::string::npos);
}

TEST_CASE("online: --install prints, applies and --uninstall restores core_pattern (in a private /proc/sys)",
          "[online][e2e]") {
  TempDir proc_sys("triage-procsys"), spool("ts"), bin("tc");
  fs::create_directories(proc_sys.path() / "kernel");
  const fs::path pattern = proc_sys.path() / "kernel" / "core_pattern";
  const fs::path limit = proc_sys.path() / "kernel" / "core_pipe_limit";
  { std::ofstream(pattern) << "core\n"; }
  { std::ofstream(limit) << "0\n"; }
  const std::string s = spool.path().string(), p = proc_sys.path().string();

  // The kernel keeps 127 bytes of the line: the build tree's path with a
  // spool is longer, and is refused.
  auto too_long = triage_test::run_process(
      {TRIAGE_CORE_TOOL, "--install", "--spool", s + "/a/folder/with/a/long/name", "--proc-sys", p});
  CHECK(triage_test::exit_code(too_long) == 2);
  CHECK(too_long.err.find("the kernel keeps 127") != std::string::npos);
  // Installed at a short path, as docs/online.md says.
  const std::string tool = bin.file("t");
  fs::copy_file(TRIAGE_CORE_TOOL, tool);
  fs::permissions(tool, fs::perms::owner_all);

  auto shown = triage_test::run_process({tool, "--install", "--spool", s, "--proc-sys", p});
  INFO(shown.out << shown.err);
  REQUIRE(triage_test::exit_code(shown) == 0);
  CHECK(shown.out.find("becomes |" + tool + " -m online --spool " + s + " -P %P -p %p -u %u -g %g -s %s -c %c -d %d -t %t") !=
        std::string::npos);
  CHECK(shown.out.find("nothing changed") != std::string::npos);
  CHECK(read_file(pattern) == "core\n");

  auto applied = triage_test::run_process({tool, "--install", "--apply", "--spool", s, "--proc-sys", p});
  REQUIRE(triage_test::exit_code(applied) == 0);
  std::string line = read_file(pattern);
  CHECK(line.starts_with("|" + tool + " -m online"));
  CHECK(line.ends_with(" -- %E\n"));
  CHECK(line.size() <= 128);
  CHECK(read_file(limit) == "64\n");
  // Installing again keeps the first saved values.
  REQUIRE(triage_test::exit_code(
              triage_test::run_process({tool, "--install", "--apply", "--spool", s, "--proc-sys", p})) == 0);

  SECTION("the line works as the kernel would run it") {
    // Expand the specifiers as the kernel does and split at spaces.
    const std::string& core = kernel_core("dest-av");
    StoppedProcess process;
    std::string expanded = line.substr(1, line.size() - 2);
    const std::map<std::string, std::string> values{
        {"%P", std::to_string(process.pid())}, {"%p", std::to_string(process.pid())}, {"%u", "0"}, {"%g", "0"},
        {"%s", "11"}, {"%c", "18446744073709551615"}, {"%d", "1"}, {"%t", "1700000400"},
        {"%F", "99"}, {"%E", "!usr!bin!with space"}};
    for (const auto& [key, value] : values)
      for (size_t at; (at = expanded.find(key)) != std::string::npos;) expanded.replace(at, 2, value);
    std::vector<std::string> words;
    std::istringstream in(expanded);
    for (std::string word; in >> word;) words.push_back(word);
    REQUIRE(words.front() == tool);
    words.erase(words.begin());
    // -F 99 is no pidfd here: drop it (the pidfd check has its own test).
    if (auto f = std::find(words.begin(), words.end(), "-F"); f != words.end()) words.erase(f, f + 2);
    words.insert(words.begin(), "--foreground");  // done before the folders go
    TempDir cwd("triage-cwd");
    REQUIRE(run_handler(words, core, cwd.path().string()) == 0);
    auto names = crash_dirs(spool.path());
    REQUIRE(names.size() == 1);
    CHECK(meta_of(spool.path() / names[0])["executable"] == "/usr/bin/with space");
  }

  auto restored = triage_test::run_process({tool, "--uninstall", "--apply", "--spool", s, "--proc-sys", p});
  INFO(restored.out << restored.err);
  REQUIRE(triage_test::exit_code(restored) == 0);
  CHECK(read_file(pattern) == "core\n");
  CHECK(read_file(limit) == "0\n");
  auto again = triage_test::run_process({tool, "--uninstall", "--spool", s, "--proc-sys", p});
  CHECK(triage_test::exit_code(again) == 2);
  CHECK(again.err.find("is not triage-core's") != std::string::npos);
}

TEST_CASE("online: --pid reports on a live process and leaves it running", "[online][e2e]") {
  pid_t pid = fork();
  if (pid == 0) {
    int null_fd = open("/dev/null", O_RDWR);
    dup2(null_fd, 0);
    dup2(null_fd, 1);
    execl("/bin/sleep", "sleep", "300", nullptr);
    _exit(127);
  }
  struct Reap {
    pid_t pid;
    ~Reap() {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  } reap{pid};
  // Wait until it is sleep (not our fork) before capturing.
  for (int i = 0; i < 100 && read_file("/proc/" + std::to_string(pid) + "/comm") != "sleep\n"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto run = triage_test::run_process({TRIAGE_CORE_TOOL, "--pid", std::to_string(pid), "--stdout"});
  INFO(run.err);
  REQUIRE(triage_test::exit_code(run) == 0);
  json report = json::parse(run.out);
  CHECK(report["Pid"] == pid);
  CHECK(report["CrashSeverity"]["ShortDescription"] == "LiveProcess");
  CHECK(!report["Stacktrace"].empty());
  CHECK(report["Stacktrace"].dump().find("nanosleep") != std::string::npos);
  CHECK(!report["Registers"].empty());
  bool has_null = false;
  for (const auto& file : report["OpenFiles"]) has_null |= file["Fd"] == 0 && file["Target"] == "/dev/null";
  CHECK(has_null);
  CHECK(!report["MemoryAroundRegisters"].empty());
  // Still running, not stopped, not traced.
  CHECK(waitpid(pid, nullptr, WNOHANG) == 0);
  const std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
  CHECK(status.find("TracerPid:\t0\n") != std::string::npos);
  CHECK(status.find("State:\tS") != std::string::npos);

  SECTION("every thread of a threaded process, which goes on") {
    int ready[2];
    REQUIRE(pipe(ready) == 0);
    pid_t threaded = fork();
    if (threaded == 0) {
      std::vector<std::thread> threads;
      for (int i = 0; i < 3; ++i) threads.emplace_back([] { pause(); });
      (void)!write(ready[1], "x", 1);
      pause();
      _exit(0);
    }
    Reap reap_threaded{threaded};
    char byte;
    REQUIRE(read(ready[0], &byte, 1) == 1);
    auto threads_run = triage_test::run_process({TRIAGE_CORE_TOOL, "--pid", std::to_string(threaded), "--stdout"});
    INFO(threads_run.err);
    REQUIRE(triage_test::exit_code(threads_run) == 0);
    CHECK(json::parse(threads_run.out)["Threads"].size() == 4);
    CHECK(waitpid(threaded, nullptr, WNOHANG) == 0);
    CHECK(read_file("/proc/" + std::to_string(threaded) + "/status").find("TracerPid:\t0\n") != std::string::npos);
  }

  auto gone = triage_test::run_process({TRIAGE_CORE_TOOL, "--pid", "999999999", "--stdout"});
  CHECK(triage_test::exit_code(gone) == 1);
  CHECK(gone.err.find("no process 999999999") != std::string::npos);
}
