// triage-core on bad input: empty, random, truncated real cores, programs
// instead of cores, folders, missing files, hostile sizes, bad options. Each
// run must end with the documented exit code (1 bad input, 2 bad options), one
// line on stderr that starts with "triage-core: " and names the file, no
// report written, and never a death by signal or a hang.
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../support/test_files.h"

namespace fs = std::filesystem;

// The minimal core has its program headers at offset 64: [0] PT_NOTE, [1] PT_LOAD.
using namespace triage_test;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitBadInput = 1;
constexpr int kExitUsage = 2;
constexpr int kTimeoutSeconds = 20;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Bytes read_bytes(const std::string& path) {
  std::string text = read_file(path);
  return Bytes(text.begin(), text.end());
}

struct Run {
  bool timed_out = false;
  bool signaled = false;
  int signal = 0;
  int exit_code = -1;
  std::string out, err;

  std::string describe() const {
    std::ostringstream text;
    if (timed_out) text << "timed out after " << kTimeoutSeconds << " s; ";
    if (signaled) text << "killed by signal " << signal << " (" << strsignal(signal) << "); ";
    else text << "exit " << exit_code << "; ";
    text << "stderr:\n" << err << "stdout (" << out.size() << " bytes):\n" << out.substr(0, 2000);
    return text.str();
  }
};

// Runs triage-core with `args` (fork/exec, no shell), stdout and stderr to
// files, killed after kTimeoutSeconds.
Run run_tool(const std::vector<std::string>& args, const TempDir& dir) {
  std::string out_path = dir.file(".stdout"), err_path = dir.file(".stderr");
  std::vector<std::string> argv_text = {TRIAGE_CORE_TOOL};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);

  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(126);
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, 0);
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);  // a crash shows as a signal, not as a core in our folder
    execv(argv[0], argv.data());
    _exit(127);
  }
  Run run;
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kTimeoutSeconds);
  for (;;) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) FAIL("waitpid: " << std::strerror(errno));
    if (std::chrono::steady_clock::now() > deadline) {
      run.timed_out = true;
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  run.signaled = WIFSIGNALED(status) && !run.timed_out;
  if (WIFSIGNALED(status)) run.signal = WTERMSIG(status);
  if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  run.out = read_file(out_path);
  run.err = read_file(err_path);
  fs::remove(out_path);
  fs::remove(err_path);
  return run;
}

// The run ended by itself with `exit_code` and exactly one stderr line that
// starts with "triage-core: " and contains each of `mentions`.
void require_clean_failure(const Run& run, int exit_code, const std::vector<std::string>& mentions) {
  INFO(run.describe());
  REQUIRE_FALSE(run.timed_out);
  REQUIRE_FALSE(run.signaled);
  CHECK(run.exit_code == exit_code);
  CHECK(run.err.rfind("triage-core: ", 0) == 0);
  CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
  CHECK((!run.err.empty() && run.err.back() == '\n'));
  for (const auto& text : mentions) CHECK_THAT(run.err, Catch::Contains(text));
  CHECK(run.out.empty());
}

void require_no_report(const std::string& report) {
  CHECK_FALSE(fs::exists(report));
  CHECK_FALSE(fs::exists(report + ".tmp"));
}

// A bad core given with -o and with --stdout: exit 1, one line naming the file, no report.
void require_rejected(const std::string& core, const TempDir& dir, const std::vector<std::string>& mentions = {}) {
  std::string report = dir.file("out.casrep");
  std::vector<std::string> expected = mentions;
  expected.push_back(core);
  {
    INFO("triage-core -f " << core << " -o " << report);
    require_clean_failure(run_tool({"-f", core, "-o", report}, dir), kExitBadInput, expected);
    require_no_report(report);
  }
  {
    INFO("triage-core -f " << core << " --stdout");
    require_clean_failure(run_tool({"-f", core, "--stdout"}, dir), kExitBadInput, expected);
  }
}

// A core that is damaged but still analysable: exit 0 and a report that
// carries a warning containing `warning`.
void require_analysed_with_warning(const std::string& core, const TempDir& dir, const std::string& warning) {
  std::string report = dir.file("ok.casrep");
  Run run = run_tool({"-f", core, "-o", report}, dir);
  INFO(run.describe());
  REQUIRE_FALSE(run.timed_out);
  REQUIRE_FALSE(run.signaled);
  REQUIRE(run.exit_code == kExitOk);
  REQUIRE(fs::exists(report));
  std::string text = read_file(report);
  CHECK_THAT(text, Catch::Contains("\"Warnings\""));
  CHECK_THAT(text, Catch::Contains(warning));
  fs::remove(report);
}

// A kernel core of /bin/sh killed by SIGSEGV, made in `dir`; nullopt (with a
// warning saying why) when this machine does not write cores there.
std::optional<std::string> make_real_core(const TempDir& dir) {
  std::string pattern = read_file("/proc/sys/kernel/core_pattern");
  while (!pattern.empty() && (pattern.back() == '\n' || pattern.back() == ' ')) pattern.pop_back();
  if (pattern.empty() || pattern[0] == '|' || pattern.find('/') != std::string::npos) {
    WARN("skipped: /proc/sys/kernel/core_pattern is '"
         << pattern << "', not a plain file name, so cores do not land in the current folder. "
         << "To run this test: echo core > /proc/sys/kernel/core_pattern (as root, outside a container)");
    return std::nullopt;
  }
  fs::path work = dir.path() / "sh-core";
  fs::create_directory(work);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (chdir(work.c_str()) != 0) _exit(126);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) dup2(null, 0), dup2(null, 1), dup2(null, 2);
    execl("/bin/sh", "sh", "-c", "ulimit -c unlimited; kill -SEGV $$", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  for (const auto& entry : fs::directory_iterator(work)) {
    if (entry.path().filename().string().rfind("core", 0) == 0 && entry.is_regular_file() && entry.file_size() > 0)
      return entry.path().string();
  }
  WARN("skipped: /bin/sh killed by SIGSEGV left no core in "
       << work << " (core_pattern '" << pattern << "', status " << status
       << "); is the hard RLIMIT_CORE 0 or are core dumps disabled for this container?");
  return std::nullopt;
}

}  // namespace

TEST_CASE("bad input: an empty file", "[e2e][bad-input]") {
  TempDir dir("triage-bad-input");
  require_rejected(dir.write("empty.core", {}), dir, {"empty"});
}

TEST_CASE("bad input: random bytes", "[e2e][bad-input]") {
  TempDir dir("triage-bad-input");
  for (uint32_t seed : {7u, 8u}) {
    INFO("seed " << seed);
    require_rejected(dir.write("random-" + std::to_string(seed) + ".core", random_bytes(seed, 3000)), dir,
                     {"not an ELF file"});
  }
}

TEST_CASE("bad input: a truncated real core", "[e2e][bad-input]") {
  TempDir dir("triage-bad-input");
  auto core = make_real_core(dir);
  if (!core) return;
  Bytes bytes = read_bytes(*core);
  REQUIRE(bytes.size() > 4096);
  auto ehdr = get<Elf64_Ehdr>(bytes, 0);
  REQUIRE(ehdr.e_type == ET_CORE);
  size_t notes_offset = 0, notes_size = 0;
  for (size_t i = 0; i < ehdr.e_phnum; ++i) {
    auto phdr = get<Elf64_Phdr>(bytes, ehdr.e_phoff + i * sizeof(Elf64_Phdr));
    if (phdr.p_type == PT_NOTE) notes_offset = phdr.p_offset, notes_size = phdr.p_filesz;
  }
  REQUIRE(notes_size > 0);

  SECTION("the whole core is analysed (control)") {
    Run run = run_tool({"-f", *core, "--stdout"}, dir);
    INFO(run.describe());
    REQUIRE_FALSE(run.signaled);
    REQUIRE_FALSE(run.timed_out);
    CHECK(run.exit_code == kExitOk);
    CHECK_THAT(run.out, Catch::Contains("\"CrashSeverity\""));
  }
  SECTION("cut in the ELF header") {
    require_rejected(dir.write("cut-ehdr.core", Bytes(bytes.begin(), bytes.begin() + 40)), dir);
  }
  SECTION("cut in the program headers") {
    size_t cut = ehdr.e_phoff + sizeof(Elf64_Phdr) + 13;
    require_rejected(dir.write("cut-phdr.core", Bytes(bytes.begin(), bytes.begin() + cut)), dir);
  }
  SECTION("cut in the notes") {
    size_t cut = notes_offset + notes_size / 2;
    require_rejected(dir.write("cut-notes.core", Bytes(bytes.begin(), bytes.begin() + cut)), dir);
  }
  SECTION("cut in the memory: analysed, with a warning that the core is truncated") {
    size_t cut = bytes.size() / 2;
    require_analysed_with_warning(dir.write("cut-memory.core", Bytes(bytes.begin(), bytes.begin() + cut)), dir,
                                  "truncated");
  }
}

TEST_CASE("bad input: an executable instead of a core", "[e2e][bad-input]") {
  TempDir dir("triage-bad-input");
  require_rejected("/bin/true", dir, {"not a core"});
}

TEST_CASE("bad input: a directory instead of a core", "[e2e][bad-input]") {
  TempDir dir("triage-bad-input");
  fs::create_directory(dir.path() / "a-folder");
  require_rejected(dir.file("a-folder"), dir, {"directory"});
}

TEST_CASE("bad input: a FIFO instead of a core", "[e2e][bad-input]") {
  // Opening a FIFO for reading blocks until a writer comes: the tool must
  // not wait for one (nothing ever writes here; the run is killed after 20 s).
  TempDir dir("triage-bad-input");
  std::string fifo = dir.file("a-fifo");
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  require_rejected(fifo, dir);
}

TEST_CASE("bad input: a device instead of a core", "[e2e][bad-input]") {
  TempDir dir("triage-bad-input");
  require_rejected("/dev/zero", dir);
}

TEST_CASE("bad input: a missing file", "[e2e][bad-input]") {
  TempDir dir("triage-bad-input");
  require_rejected(dir.file("no-such.core"), dir, {"No such file"});
}

TEST_CASE("bad input: cores with hostile sizes", "[e2e][bad-input]") {
  TempDir dir("triage-bad-input");
  const Bytes minimal = triage_test::minimal_x86_64_core();
  const size_t phdrs = sizeof(Elf64_Ehdr);
  const size_t note_phdr = phdrs, load_phdr = phdrs + sizeof(Elf64_Phdr);

  SECTION("the generated core itself is analysed (control)") {
    Run run = run_tool({"-f", dir.write("minimal.core", minimal), "--stdout"}, dir);
    INFO(run.describe());
    REQUIRE_FALSE(run.signaled);
    REQUIRE_FALSE(run.timed_out);
    CHECK(run.exit_code == kExitOk);
    CHECK_THAT(run.out, Catch::Contains("\"CrashSeverity\""));
  }
  SECTION("PT_NOTE p_filesz 0xffffffffffffff00") {
    Bytes bytes = minimal;
    put<uint64_t>(bytes, note_phdr + offsetof(Elf64_Phdr, p_filesz), 0xffffffffffffff00ull);
    require_rejected(dir.write("note-filesz.core", bytes), dir, {"malformed"});
  }
  SECTION("PT_NOTE p_offset 0xffffffffffffff00") {
    Bytes bytes = minimal;
    put<uint64_t>(bytes, note_phdr + offsetof(Elf64_Phdr, p_offset), 0xffffffffffffff00ull);
    require_rejected(dir.write("note-offset.core", bytes), dir, {"malformed"});
  }
  SECTION("e_phnum 0xfff0") {
    Bytes bytes = minimal;
    put<uint16_t>(bytes, offsetof(Elf64_Ehdr, e_phnum), 0xfff0);
    require_rejected(dir.write("phnum.core", bytes), dir, {"malformed"});
  }
  SECTION("e_phoff past the end") {
    Bytes bytes = minimal;
    put<uint64_t>(bytes, offsetof(Elf64_Ehdr, e_phoff), 0xffffffffffffff00ull);
    require_rejected(dir.write("phoff.core", bytes), dir, {"malformed"});
  }
  SECTION("the first note's n_descsz 0xffffffff") {
    Bytes bytes = minimal;
    size_t notes = get<uint64_t>(bytes, note_phdr + offsetof(Elf64_Phdr, p_offset));
    put<uint32_t>(bytes, notes + 4, 0xffffffff);
    require_rejected(dir.write("descsz.core", bytes), dir, {"malformed"});
  }
  SECTION("NT_FILE count whose table size wraps around: analysed, with a warning") {
    Bytes bytes = minimal;
    const unsigned char type[] = {0x45, 0x4c, 0x49, 0x46, 'C', 'O', 'R', 'E'};  // NT_FILE, "CORE"
    auto at = std::search(bytes.begin(), bytes.end(), std::begin(type), std::end(type));
    REQUIRE(at != bytes.end());
    size_t desc = static_cast<size_t>(at - bytes.begin()) + 4 + 8;  // after n_type and "CORE\0" padded
    // count * 24 fits in 64 bits, count * 25 wraps to 9.
    put<uint64_t>(bytes, desc, 737869762948382065ull);
    require_analysed_with_warning(dir.write("nt-file-count.core", bytes), dir, "NT_FILE");
  }
  SECTION("PT_LOAD p_offset and p_filesz 0xffffffffffffff00: analysed, with a warning") {
    Bytes bytes = minimal;
    put<uint64_t>(bytes, load_phdr + offsetof(Elf64_Phdr, p_offset), 0xffffffffffffff00ull);
    put<uint64_t>(bytes, load_phdr + offsetof(Elf64_Phdr, p_filesz), 0xffffffffffffff00ull);
    require_analysed_with_warning(dir.write("load-sizes.core", bytes), dir, "truncated");
  }
}

TEST_CASE("bad input: -i on an empty folder", "[e2e][bad-input]") {
  TempDir dir("triage-bad-input");
  fs::create_directory(dir.path() / "no-cores");
  std::string out = dir.file("reports");
  require_clean_failure(run_tool({"-i", dir.file("no-cores"), "-o", out}, dir), kExitBadInput,
                        {dir.file("no-cores")});
  CHECK_FALSE(fs::exists(out));
  SECTION("a folder of files that are not cores") {
    dir.write("no-cores/a.txt", {'h', 'i', '\n'});
    dir.write("no-cores/b.core", random_bytes(3, 100));
    require_clean_failure(run_tool({"-i", dir.file("no-cores"), "-o", out}, dir), kExitBadInput,
                          {dir.file("no-cores")});
    CHECK_FALSE(fs::exists(out));
  }
  SECTION("a folder that does not exist") {
    require_clean_failure(run_tool({"-i", dir.file("missing"), "-o", out}, dir), kExitBadInput,
                          {dir.file("missing")});
    CHECK_FALSE(fs::exists(out));
  }
}

TEST_CASE("bad input: bad options", "[e2e][bad-input]") {
  TempDir dir("triage-bad-input");
  std::string core = dir.write("some.core", triage_test::minimal_x86_64_core());
  std::string report = dir.file("out.casrep");
  fs::create_directory(dir.path() / "cores");
  struct Case {
    const char* what;
    std::vector<std::string> args;
    std::string mention;
  };
  const Case cases[] = {
      {"-f and -i together", {"-f", core, "-i", dir.file("cores"), "-o", report}, "-f"},
      {"--format xml", {"-f", core, "-o", report, "--format", "xml"}, "--format"},
      {"no output", {"-f", core}, "-o"},
      {"-o and --stdout together", {"-f", core, "-o", report, "--stdout"}, "-o"},
      {"neither -f nor -i", {"-o", report}, "-f"},
      {"an unknown option", {"-f", core, "-o", report, "--no-such-option"}, "no-such-option"},
      {"-f without its value", {"-o", report, "-f"}, "file"},
      {"--max-frames not a number", {"-f", core, "-o", report, "--max-frames", "many"}, "max-frames"},
      {"--max-frames 0", {"-f", core, "-o", report, "--max-frames", "0"}, "max-frames"},
      {"-e that does not exist", {"-f", core, "-o", report, "-e", dir.file("no-such-exe")}, "no-such-exe"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    require_clean_failure(run_tool(c.args, dir), kExitUsage, {c.mention});
    require_no_report(report);
  }
}

TEST_CASE("bad input: a core whose strings are not UTF-8", "[e2e][bad-input]") {
  // Command lines and file names are bytes, not UTF-8; the report must still
  // be written (JSON escapes or replaces them), never a crash.
  TempDir dir("triage-bad-input");
  Bytes bytes = triage_test::minimal_x86_64_core();
  const std::string args = "hostile-prog --crash";  // pr_psargs of the generated core
  auto at = std::search(bytes.begin(), bytes.end(), args.begin(), args.end());
  REQUIRE(at != bytes.end());
  const unsigned char latin1[] = {0xff, 0xfe, 0xc3, 0x28, 0xe9};
  std::copy(std::begin(latin1), std::end(latin1), at);
  std::string core = dir.write("latin1.core", bytes);
  for (const char* format : {"json", "text"}) {
    INFO("--format " << format);
    std::string report = dir.file(std::string("latin1.") + format);
    Run run = run_tool({"-f", core, "-o", report, "--format", format}, dir);
    INFO(run.describe());
    REQUIRE_FALSE(run.timed_out);
    REQUIRE_FALSE(run.signaled);
    CHECK(run.exit_code == kExitOk);
    CHECK(fs::exists(report));
  }
}

TEST_CASE("bad input: thousands of threads with deep stacks stay within a frame budget", "[e2e][bad-input]") {
  // 1,000 threads sharing one 2,100-frame frame-pointer chain: a 412 KiB core
  // that, unbounded, made a 632 MB report in 16 s and 3.9 GB of memory.
  TempDir dir("triage-bad-input");
  std::string core = dir.file("threads.core");
  std::string script = std::string(TRIAGE_TEST_DATA_DIR) + "/hostile/make-deep-threads-core.py";
  REQUIRE(std::system(("python3 " + script + " 1000 " + core).c_str()) == 0);
  std::string report_path = dir.file("threads.casrep");
  Run run = run_tool({"-f", core, "-o", report_path}, dir);
  INFO(run.describe());
  REQUIRE_FALSE(run.timed_out);
  REQUIRE_FALSE(run.signaled);
  REQUIRE(run.exit_code == kExitOk);
  REQUIRE(fs::file_size(report_path) < 16u << 20);
  auto report = nlohmann::json::parse(read_file(report_path));
  REQUIRE(report["Threads"].size() == 1000);
  size_t frames = 0;
  for (const auto& thread : report["Threads"]) frames += thread["Frames"].size();
  CHECK(frames <= 20000 + 1000);
  CHECK(report["Threads"][0]["Frames"].size() == 2000);  // the crashing thread keeps its full depth
  bool told = false;
  for (const auto& warning : report["Warnings"]) told |= warning.get<std::string>().find("frame budget") != std::string::npos;
  CHECK(told);
}
