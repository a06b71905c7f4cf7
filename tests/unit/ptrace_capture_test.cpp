// Cores captured under ptrace (triage/run/ptrace_capture.h) and the core
// writer behind them (triage/run/core_writer.h). The corpus programs the
// build makes (BUILD/corpus-samples/crashes, listed in crashes/manifest.json)
// run traced; their captured cores must analyse to what the manifest says and
// to what the kernel's core of the same program gives (BUILD/corpus-cores,
// made by corpus-samples/make-cores.sh, when present), while being smaller.
// Programs that handle their signal, exit, or hang give no core.
#include <catch2/catch.hpp>

#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>


#include "support/corpus_manifest.h"
#include "support/test_files.h"
#include "triage/analyze/core_analyzer.h"
#include "triage/analyze/rules.h"
#include "triage/core/elf_core.h"
#include "triage/run/core_writer.h"
#include "triage/run/ptrace_capture.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using triage_test::TempDir;

using Program = triage_test::CorpusProgram;
using triage_test::crash_line_of;

fs::path crashes_build_dir() { return fs::path(TRIAGE_BUILD_DIR) / "corpus-samples" / "crashes"; }

const std::vector<Program>& manifest() { return triage_test::corpus_programs(); }

std::vector<std::string> manifest_names() {
  std::vector<std::string> names;
  for (const Program& p : manifest()) names.push_back(p.name);
  return names;
}

const Program& program_named(const std::string& name) {
  for (const Program& p : manifest())
    if (p.name == name) return p;
  FAIL("no corpus program " << name);
  throw std::logic_error("unreachable");
}

struct TracedRun {
  triage::TraceOutcome outcome;
  std::string stderr_text;
  double seconds = 0;
};

// No Catch2 assertions in here: tests call it from several threads.
// Runs argv[0] (an absolute path) under the tracer in `work`, as the leader of
// its own process group, with stdin from /dev/null, stdout and stderr to
// files in `work`, an 8 MiB stack like make-cores.sh, and RLIMIT_CORE 1 so
// the kernel writes no core of its own (1, not 0: a core_pattern pipe ignores
// a 0 limit but not the 1 it uses against recursive dumps).
TracedRun run_traced(const std::vector<std::string>& argv, const fs::path& work, const std::string& core_path,
                     std::chrono::milliseconds timeout, const triage::TraceLimits& limits = {},
                     const std::vector<std::string>& extra_env = {}) {
  std::vector<std::string> env_strings(extra_env);
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env_strings) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const std::string dir = work.string();
  const std::string out_path = (work / "stdout").string();
  const std::string err_path = (work / "stderr").string();

  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid < 0) {
    TracedRun failed;
    failed.outcome.problem = std::string("fork: ") + std::strerror(errno);
    return failed;
  }
  if (pid == 0) {
    setpgid(0, 0);
    if (chdir(dir.c_str()) != 0) _exit(125);
    rlimit core{1, 1};
    setrlimit(RLIMIT_CORE, &core);
    rlimit stack{};
    if (getrlimit(RLIMIT_STACK, &stack) == 0) {
      stack.rlim_cur = stack.rlim_max == RLIM_INFINITY || stack.rlim_max > (8u << 20) ? (8u << 20) : stack.rlim_max;
      setrlimit(RLIMIT_STACK, &stack);
    }
    int in = open("/dev/null", O_RDONLY);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0) _exit(125);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    if (triage::prepare_traced_child() != 0) _exit(126);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  setpgid(pid, pid);
  TracedRun run;
  run.outcome = triage::trace_until_exit(pid, core_path, start + timeout, limits);
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::ifstream err(err_path);
  std::stringstream text;
  text << err.rdbuf();
  run.stderr_text = text.str().substr(0, 4000);
  return run;
}

std::string describe(const TracedRun& run) {
  std::ostringstream os;
  const int s = run.outcome.wait_status;
  if (WIFEXITED(s)) os << "exit " << WEXITSTATUS(s);
  else if (WIFSIGNALED(s)) os << "signal " << WTERMSIG(s);
  else os << "status " << s;
  os << (run.outcome.timed_out ? ", timed out" : "") << "; core signal " << run.outcome.core_signal << "; core "
     << run.outcome.core_path.value_or("none") << " (" << run.outcome.core_bytes << " bytes); problem: '"
     << run.outcome.problem << "'; notes:";
  for (const auto& note : run.outcome.notes) os << "\n  " << note;
  os << "\nstderr:\n" << run.stderr_text;
  return os.str();
}

const triage::Rules& rules() {
  static const triage::Rules loaded = [] {
    auto r = triage::load_rules(triage::default_rules_dir(), {});
    if (!r) throw std::runtime_error(r.error().message);
    return std::move(*r);
  }();
  return loaded;
}

triage::report::Report analyze(const std::string& core, const std::string& executable) {
  triage::AnalysisOptions options;
  options.executable = executable;
  triage::CoreAnalyzer analyzer(rules(), options);
  auto report = analyzer.analyze_file(core);
  INFO("analysing " << core);
  if (!report) FAIL(report.error().message);
  return *report;
}

std::vector<std::string> functions(const triage::report::Report& report) {
  std::vector<std::string> names;
  if (report.threads.empty()) return names;
  for (const auto& frame : report.threads.front().frames) names.push_back(frame.function);
  return names;
}

std::string joined(const std::vector<std::string>& names, size_t max = 12) {
  std::string text;
  for (size_t i = 0; i < names.size() && i < max; ++i) text += "\n  #" + std::to_string(i) + " " + names[i];
  if (names.size() > max) text += "\n  ... (" + std::to_string(names.size()) + " frames)";
  return text;
}

// Whether this machine lets a process trace its child (a container's seccomp
// profile or kernel.yama.ptrace_scope=3 forbid it): the child exits 126 when
// PTRACE_TRACEME fails.
bool ptrace_usable() {
  static const bool usable = [] {
    const fs::path dir = fs::temp_directory_path();
    TracedRun probe = run_traced({"/bin/true"}, dir, (dir / "never.core").string(), std::chrono::seconds(20));
    return !(WIFEXITED(probe.outcome.wait_status) && WEXITSTATUS(probe.outcome.wait_status) == 126);
  }();
  return usable;
}

#define SKIP_WITHOUT_PTRACE()                                                           \
  do {                                                                                  \
    if (!ptrace_usable()) {                                                             \
      WARN("PTRACE_TRACEME is not permitted here (seccomp or yama ptrace_scope); skipped"); \
      return;                                                                           \
    }                                                                                   \
  } while (false)

bool table_wanted() { return std::getenv("TRIAGE_PTRACE_TABLE") != nullptr; }

}  // namespace

TEST_CASE("ptrace: a captured core of each corpus program reads like the kernel's", "[ptrace]") {
  SKIP_WITHOUT_PTRACE();
  const std::string name = GENERATE(from_range(manifest_names()));
  const Program& p = program_named(name);
  const fs::path exe = crashes_build_dir() / p.name;
  INFO("program: " << p.name << " (" << p.arch << ")");
  if (!fs::exists(exe)) {
    if (p.arch != "x86_64") {
      WARN(p.name << ": not built here (no " << p.arch << " compiler); skipped");
      return;
    }
    FAIL(exe << " is not built (ninja corpus)");
  }
  TempDir work("triage-ptrace");
  const std::string core = work.file("captured.core");
  std::vector<std::string> argv{exe.string()};
  argv.insert(argv.end(), p.args.begin(), p.args.end());
  const TracedRun run = run_traced(argv, work.path(), core, std::chrono::seconds(30));
  INFO(describe(run));

  // It died of its signal, after we wrote the core.
  REQUIRE(!run.outcome.timed_out);
  REQUIRE(WIFSIGNALED(run.outcome.wait_status));
  CHECK(WTERMSIG(run.outcome.wait_status) == p.signal);
  CHECK(run.outcome.core_signal == p.signal);
  CHECK(run.outcome.problem.empty());
  REQUIRE(run.outcome.core_path == core);
  REQUIRE(fs::exists(core));
  CHECK(fs::file_size(core) == run.outcome.core_bytes);
  CHECK((fs::status(core).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
  // No kernel core next to it, and no temporary file left behind.
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(work.path())) files += entry.path().filename() != "stdout" &&
                                                                         entry.path().filename() != "stderr";
  CHECK(files == 1);

  // The core as the library reads it.
  auto snapshot = triage::load_elf_core(core);
  REQUIRE(snapshot.ok());
  CHECK(snapshot->arch->name == p.arch);
  CHECK(snapshot->signal.number == p.signal);
  CHECK(snapshot->signal.from_siginfo);
  CHECK(snapshot->threads.front().tid == run.outcome.crashing_tid);
  CHECK(snapshot->threads.front().current_signal == p.signal);
  // (deep-recursion runs itself again through /proc/self/exe: its comm is "exe".)
  CHECK((snapshot->process.command_name == exe.filename().string().substr(0, 15) ||
         snapshot->process.command_name == "exe"));
  CHECK((snapshot->process.pid == run.outcome.crashing_tid) == !(p.crashing_thread == "other"));
  CHECK(snapshot->process.arguments.rfind(exe.string().substr(0, 79), 0) == 0);
  CHECK(!snapshot->auxv.empty());
  CHECK(snapshot->executable_path == exe.string());
  CHECK(!snapshot->file_mappings.empty());
  CHECK(snapshot->warnings.empty());

  // The analysis: what the manifest says.
  const triage::report::Report report = analyze(core, exe.string());
  INFO("class " << report.severity.short_description << " at " << report.crash_line << "; crashing thread:"
                << joined(functions(report)));
  CHECK(report.severity.short_description == p.expected_class);
  CHECK(report.severity.type == p.expected_type);
  const std::regex line_form("(^|/)" + std::regex_replace(p.source, std::regex(R"([.+])"), R"(\$&)") + ":" +
                             std::to_string(crash_line_of(p)) + "(:[0-9]+)?$");
  CHECK(std::regex_search(report.crash_line, line_form));
  REQUIRE(report.signal.has_value());
  CHECK(report.signal->number == p.signal);
  bool has_function = false;
  for (const auto& f : functions(report)) has_function |= f.rfind(p.crash_function, 0) == 0;
  CHECK(has_function);
  REQUIRE(!report.threads.empty());
  CHECK(report.threads.front().crashed);
  if ((p.crashing_thread == "other")) {
    CHECK(report.threads.size() >= 2);
    CHECK(report.threads.front().tid != report.pid);
  } else {
    CHECK(report.threads.front().tid == report.pid);
  }

  // The kernel's core of the same program, when make-cores.sh made one: the
  // same class, crash line, signal, abort message and crashing-thread
  // functions, from a bigger file.
  const fs::path kernel_core = fs::path(TRIAGE_BUILD_DIR) / "corpus-cores" / (p.name + ".core");
  std::string kernel_summary = "-";
  if (fs::exists(kernel_core) && fs::last_write_time(kernel_core) > fs::last_write_time(exe)) {
    const triage::report::Report kernel = analyze(kernel_core.string(), exe.string());
    INFO("kernel core: class " << kernel.severity.short_description << " at " << kernel.crash_line
                               << "; crashing thread:" << joined(functions(kernel)));
    CHECK(report.severity.short_description == kernel.severity.short_description);
    CHECK(report.severity.type == kernel.severity.type);
    CHECK(report.crash_line == kernel.crash_line);
    REQUIRE(kernel.signal.has_value());
    CHECK(report.signal->number == kernel.signal->number);
    CHECK(report.signal->code == kernel.signal->code);
    CHECK(report.signal->fault_address.has_value() == kernel.signal->fault_address.has_value());
    if (report.signal->fault_address && kernel.signal->fault_address && *kernel.signal->fault_address < 0x10000)
      CHECK(*report.signal->fault_address == *kernel.signal->fault_address);  // not moved by ASLR
    CHECK(report.abort_message == kernel.abort_message);
    CHECK(functions(report) == functions(kernel));
    CHECK(report.threads.size() == kernel.threads.size());
    CHECK(report.registers.size() == kernel.registers.size());
    CHECK(fs::file_size(core) < fs::file_size(kernel_core));
    kernel_summary = kernel.severity.short_description + " " + std::to_string(fs::file_size(kernel_core));
  } else {
    WARN(p.name << ": no kernel core newer than the program in " << kernel_core.parent_path()
                << " (corpus-samples/make-cores.sh makes them); not compared");
  }
  if (table_wanted()) {
    struct stat st {};
    stat(core.c_str(), &st);
    std::cout << "| " << p.name << " | " << kernel_summary << " | " << report.severity.short_description << " "
              << fs::file_size(core) << " (" << st.st_blocks / 2 << " KiB on disk) | " << report.crash_line << " | "
              << run.seconds << " s |\n";
  }
}

TEST_CASE("ptrace: a multi-threaded crash's core is much smaller than the kernel's", "[ptrace]") {
  SKIP_WITHOUT_PTRACE();
  const Program& p = program_named("thread-crash");
  const fs::path exe = crashes_build_dir() / p.name;
  const fs::path kernel_core = fs::path(TRIAGE_BUILD_DIR) / "corpus-cores" / (p.name + ".core");
  REQUIRE(fs::exists(exe));
  TempDir work("triage-ptrace");
  const std::string core = work.file("captured.core");
  const TracedRun run = run_traced({exe.string()}, work.path(), core, std::chrono::seconds(30));
  INFO(describe(run));
  REQUIRE(run.outcome.core_path);
  // The kernel writes each thread's whole 8 MiB stack; we write from sp up.
  CHECK(run.outcome.core_bytes < (1u << 20));
  if (fs::exists(kernel_core)) CHECK(run.outcome.core_bytes * 10 < fs::file_size(kernel_core));
  auto snapshot = triage::load_elf_core(core);
  REQUIRE(snapshot.ok());
  CHECK(snapshot->threads.size() == 2);
}

TEST_CASE("ptrace: the size limits cut stacks and mappings but keep the crash", "[ptrace]") {
  SKIP_WITHOUT_PTRACE();
  TempDir work("triage-ptrace");
  const std::string core = work.file("captured.core");

  SECTION("a stack bigger than max_mapping_bytes keeps the part at sp") {
    const Program& p = program_named("stack-overflow-recursion");
    const fs::path exe = crashes_build_dir() / p.name;
    triage::TraceLimits limits;
    limits.max_mapping_bytes = 256 << 10;
    const TracedRun run = run_traced({exe.string()}, work.path(), core, std::chrono::seconds(30), limits);
    INFO(describe(run));
    REQUIRE(run.outcome.core_path);
    CHECK(run.outcome.core_bytes < (1u << 20));
    bool said = false;
    for (const auto& note : run.outcome.notes) said |= note.find("max_mapping_bytes") != std::string::npos;
    CHECK(said);
    const auto report = analyze(core, exe.string());
    INFO("crashing thread:" << joined(functions(report)));
    CHECK(report.severity.short_description == p.expected_class);
    REQUIRE(!functions(report).empty());
    CHECK(functions(report).front().rfind(p.crash_function, 0) == 0);
  }
  SECTION("max_core_bytes bounds the file; the crashing thread's stack comes first") {
    const Program& p = program_named("deep-recursion");
    const fs::path exe = crashes_build_dir() / p.name;
    triage::TraceLimits limits;
    limits.max_core_bytes = 512 << 10;
    const TracedRun run = run_traced({exe.string()}, work.path(), core, std::chrono::seconds(30), limits);
    INFO(describe(run));
    REQUIRE(run.outcome.core_path);
    CHECK(run.outcome.core_bytes <= limits.max_core_bytes);
    bool said = false;
    for (const auto& note : run.outcome.notes) said |= note.find("max_core_bytes") != std::string::npos;
    CHECK(said);
    const auto report = analyze(core, exe.string());
    INFO("crashing thread:" << joined(functions(report)));
    REQUIRE(!functions(report).empty());
    CHECK(report.crash_line.find(p.source) != std::string::npos);
    CHECK(functions(report).front().rfind(p.crash_function, 0) == 0);
  }
}

TEST_CASE("ptrace: signals the program handles are passed on and give no core", "[ptrace]") {
  SKIP_WITHOUT_PTRACE();
  TempDir work("triage-ptrace");
  const std::string core = work.file("captured.core");

  SECTION("SIGSEGV with a handler that exits 0") {
    // bash installs a handler for a trapped signal; the trap exits 0.
    const TracedRun run = run_traced({"/bin/bash", "-c", "trap 'exit 0' SEGV; kill -SEGV $$; sleep 5; exit 9"},
                                     work.path(), core, std::chrono::seconds(20));
    INFO(describe(run));
    CHECK(!run.outcome.timed_out);
    REQUIRE(WIFEXITED(run.outcome.wait_status));
    CHECK(WEXITSTATUS(run.outcome.wait_status) == 0);
    CHECK(!run.outcome.core_path);
    CHECK(run.outcome.core_signal == 0);
    CHECK(!fs::exists(core));
  }
  SECTION("an ordinary signal reaches the handler unchanged") {
    const TracedRun run = run_traced({"/bin/bash", "-c", "trap 'exit 7' USR1; kill -USR1 $$; sleep 5; exit 9"},
                                     work.path(), core, std::chrono::seconds(20));
    INFO(describe(run));
    REQUIRE(WIFEXITED(run.outcome.wait_status));
    CHECK(WEXITSTATUS(run.outcome.wait_status) == 7);
    CHECK(!run.outcome.core_path);
  }
  SECTION("a signal that kills without a core kills it the same way") {
    const TracedRun run =
        run_traced({"/bin/bash", "-c", "kill -TERM $$; sleep 5"}, work.path(), core, std::chrono::seconds(20));
    INFO(describe(run));
    REQUIRE(WIFSIGNALED(run.outcome.wait_status));
    CHECK(WTERMSIG(run.outcome.wait_status) == SIGTERM);
    CHECK(!run.outcome.core_path);
    CHECK(run.outcome.problem.empty());
  }
  SECTION("a forked child's crash is not ours") {
    // The child (not traced) dies of SIGSEGV; the shell goes on and exits 4.
    const TracedRun run = run_traced({"/bin/bash", "-c", "bash -c 'kill -SEGV $$'; exit 4"}, work.path(), core,
                                     std::chrono::seconds(20));
    INFO(describe(run));
    REQUIRE(WIFEXITED(run.outcome.wait_status));
    CHECK(WEXITSTATUS(run.outcome.wait_status) == 4);
    CHECK(!run.outcome.core_path);
  }
}

TEST_CASE("ptrace: tracers in parallel threads leave each other's children and other children alone",
          "[ptrace]") {
  SKIP_WITHOUT_PTRACE();
  // A child of this process that no tracer knows: it must still be ours to reap.
  const pid_t bystander = fork();
  REQUIRE(bystander >= 0);
  if (bystander == 0) {
    usleep(200 * 1000);
    _exit(9);
  }
  TempDir work_a("triage-ptrace"), work_b("triage-ptrace"), work_c("triage-ptrace");
  const std::string exe = (crashes_build_dir() / "thread-crash").string();
  TracedRun a, b, c;
  std::thread ta([&] { a = run_traced({exe}, work_a.path(), work_a.file("core"), std::chrono::seconds(30)); });
  std::thread tb([&] {
    b = run_traced({"/bin/sh", "-c", "sleep 0.4; exit 5"}, work_b.path(), work_b.file("core"), std::chrono::seconds(30));
  });
  std::thread tc([&] {
    c = run_traced({(crashes_build_dir() / "abort-signal").string(), "2"}, work_c.path(), work_c.file("core"),
                   std::chrono::seconds(30));
  });
  ta.join();
  tb.join();
  tc.join();
  INFO("a: " << describe(a) << "\nb: " << describe(b) << "\nc: " << describe(c));
  CHECK(a.outcome.core_signal == SIGSEGV);
  CHECK(a.outcome.core_path);
  CHECK((WIFSIGNALED(a.outcome.wait_status) && WTERMSIG(a.outcome.wait_status) == SIGSEGV));
  CHECK((WIFEXITED(b.outcome.wait_status) && WEXITSTATUS(b.outcome.wait_status) == 5));
  CHECK(!b.outcome.core_path);
  CHECK(c.outcome.core_signal == SIGABRT);
  CHECK(c.outcome.core_path);
  int status = 0;
  REQUIRE(waitpid(bystander, &status, 0) == bystander);
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 9));
  if (a.outcome.core_path) {
    auto snapshot = triage::load_elf_core(*a.outcome.core_path);
    REQUIRE(snapshot.ok());
    CHECK(snapshot->threads.size() == 2);
  }
}

TEST_CASE("ptrace: exits and hangs give no core", "[ptrace]") {
  SKIP_WITHOUT_PTRACE();
  TempDir work("triage-ptrace");
  const std::string core = work.file("captured.core");

  SECTION("exit 3") {
    const TracedRun run = run_traced({"/bin/sh", "-c", "exit 3"}, work.path(), core, std::chrono::seconds(20));
    INFO(describe(run));
    CHECK(!run.outcome.timed_out);
    REQUIRE(WIFEXITED(run.outcome.wait_status));
    CHECK(WEXITSTATUS(run.outcome.wait_status) == 3);
    CHECK(!run.outcome.core_path);
    CHECK(run.outcome.problem.empty());
    CHECK(!fs::exists(core));
  }
  SECTION("a program that sleeps forever is killed at the deadline, with its process group") {
    const TracedRun run = run_traced({"/bin/sh", "-c", "sleep 1000 & sleep 1000; wait"}, work.path(), core,
                                     std::chrono::milliseconds(500));
    INFO(describe(run));
    CHECK(run.outcome.timed_out);
    REQUIRE(WIFSIGNALED(run.outcome.wait_status));
    CHECK(WTERMSIG(run.outcome.wait_status) == SIGKILL);
    CHECK(run.seconds < 5);
    CHECK(!run.outcome.core_path);
  }
  SECTION("exec fails") {
    const TracedRun run =
        run_traced({(work.path() / "no-such-program").string()}, work.path(), core, std::chrono::seconds(20));
    INFO(describe(run));
    REQUIRE(WIFEXITED(run.outcome.wait_status));
    CHECK(WEXITSTATUS(run.outcome.wait_status) == 127);
    CHECK(!run.outcome.core_path);
  }
}

TEST_CASE("ptrace: a core path that is a symbolic link is refused", "[ptrace]") {
  SKIP_WITHOUT_PTRACE();
  TempDir work("triage-ptrace");
  const std::string victim = work.file("victim");
  { std::ofstream(victim) << "keep me"; }
  const std::string core = work.file("captured.core");
  fs::create_symlink(victim, core);
  const fs::path exe = crashes_build_dir() / "dest-av";
  const TracedRun run = run_traced({exe.string()}, work.path(), core, std::chrono::seconds(20));
  INFO(describe(run));
  REQUIRE(WIFSIGNALED(run.outcome.wait_status));
  CHECK(WTERMSIG(run.outcome.wait_status) == SIGSEGV);  // still dies of its signal
  CHECK(run.outcome.core_signal == SIGSEGV);
  CHECK(!run.outcome.core_path);
  CHECK(run.outcome.problem.find("symbolic link") != std::string::npos);
  CHECK(fs::is_symlink(core));
  std::ifstream in(victim);
  std::string content;
  std::getline(in, content);
  CHECK(content == "keep me");
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(work.path())) files += entry.path().filename().string()[0] == '.';
  CHECK(files == 0);  // no temporary file left
}

TEST_CASE("ptrace: an ASan target that handles SIGSEGV and aborts gives a core without the shadow", "[ptrace]") {
  SKIP_WITHOUT_PTRACE();
  const fs::path target = fs::path(TRIAGE_BUILD_DIR) / "corpus-samples" / "fuzz-target" / "target-asan";
  if (!fs::exists(target)) {
    WARN("no ASan build of the fuzz target here (needs clang); skipped");
    return;
  }
  // An input hitting the title-overflow bug, from expected-bugs.tsv.
  const fs::path inputs = fs::path(TRIAGE_CORPUS_DIR) / "fuzz-target" / "inputs";
  std::ifstream expected(fs::path(TRIAGE_CORPUS_DIR) / "fuzz-target" / "expected-bugs.tsv");
  std::string line, input;
  while (std::getline(expected, line))
    if (line.find("\tnull-palette\t") != std::string::npos) {
      input = line.substr(0, line.find('\t'));
      break;
    }
  REQUIRE(!input.empty());
  fs::path input_path;
  for (const auto& entry : fs::recursive_directory_iterator(inputs))
    if (entry.path().filename() == input) input_path = entry.path();
  REQUIRE(!input_path.empty());

  TempDir work("triage-ptrace");
  const std::string core = work.file("captured.core");
  const TracedRun run =
      run_traced({target.string(), input_path.string()}, work.path(), core, std::chrono::seconds(60), {},
                 {"ASAN_OPTIONS=abort_on_error=1:symbolize=0:disable_coredump=0:detect_leaks=0"});
  INFO(describe(run));
  CHECK(run.stderr_text.find("AddressSanitizer") != std::string::npos);
  REQUIRE(WIFSIGNALED(run.outcome.wait_status));
  CHECK(WTERMSIG(run.outcome.wait_status) == SIGABRT);  // ASan's handler ran, then abort()
  CHECK(run.outcome.core_signal == SIGABRT);
  REQUIRE(run.outcome.core_path);
  // ASan's terabytes of shadow are MADV_DONTDUMP: not in the core.
  CHECK(run.outcome.core_bytes < (64u << 20));
  const auto report = analyze(core, target.string());
  INFO("class " << report.severity.short_description << "; crashing thread:" << joined(functions(report), 30));
  // The stack goes through ASan's handler and its signal frame down to the
  // target's own code (this clang build's line tables are not read, so
  // functions are checked, not files).
  const auto names = functions(report);
  auto has = [&](const std::string& prefix) {
    return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return n.rfind(prefix, 0) == 0; });
  };
  CHECK(has("__asan::AsanOnDeadlySignal"));
  CHECK(has("main"));
  if (table_wanted())
    std::cout << "| target-asan (" << input << ") | - | " << report.severity.short_description << " "
              << run.outcome.core_bytes << " | " << report.crash_line << " | " << run.seconds << " s |\n";
}

// --- The writer alone ---------------------------------------------------------

TEST_CASE("ptrace: the core writer's files load back with every note", "[ptrace][core_writer]") {
  const bool wide = GENERATE(true, false);
  INFO((wide ? "x86-64" : "i386"));
  triage::CoreDescription core;
  core.is_64bit = wide;
  core.machine = wide ? EM_X86_64 : EM_386;
  core.signal = SIGSEGV;
  siginfo_t info{};
  info.si_signo = SIGSEGV;
  info.si_code = SEGV_MAPERR;
  info.si_addr = reinterpret_cast<void*>(0x1238);
  core.siginfo = triage::siginfo_for_core(info, wide);
  CHECK(core.siginfo.size() == 128);
  const unsigned word = wide ? 8 : 4;
  const size_t nregs = wide ? 27 : 17;
  for (int t = 0; t < 2; ++t) {
    triage::CoreThreadState thread;
    thread.tid = 100 + t;
    thread.registers.resize(nregs * word);
    for (size_t r = 0; r < nregs; ++r) thread.registers[r * word] = static_cast<std::byte>(r + 10 * t);
    if (t == 0) thread.fp_registers.assign(wide ? 512 : 108, std::byte{0x5a});
    core.threads.push_back(thread);
  }
  core.process.pid = 100;
  core.process.ppid = 1;
  core.process.uid = 1000;
  core.process.gid = 1001;
  core.process.command_name = "a-rather-long-program-name";
  core.process.arguments = "/bin/prog --flag value";
  core.auxv = {{AT_PAGESZ, 4096}, {AT_ENTRY, 0x401000}};
  core.files = {{0x400000, 0x402000, 0, "/bin/prog"}, {0x402000, 0x403000, 0x2000, "/bin/prog"}};
  core.segments = {{0x400000, 0x402000, true, false, true, 0x1000},
                   {0x402000, 0x403000, true, true, false, 0x1000},
                   {0x7000000, 0x7003000, true, true, false, 0x3000}};
  // Memory: a page pattern, the last stack page unreadable.
  std::vector<std::byte> bytes(0x7003000 - 0x400000);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::byte>((i / 0x1000) + 1);
  const triage::BytesMemory all(std::span<const std::byte>(bytes).first(0x7002000 - 0x400000), 0x400000);

  TempDir dir("triage-core-writer");
  const std::string path = dir.file("out.core");
  auto stats = triage::write_core_file(core, all, path);
  REQUIRE(stats.ok());
  CHECK(stats->unreadable_pages == 1);
  CHECK(stats->memory_bytes == 0x5000);
  CHECK(fs::file_size(path) == stats->file_bytes);

  auto snapshot = triage::load_elf_core(path);
  REQUIRE(snapshot.ok());
  CHECK(snapshot->warnings.empty());
  CHECK(snapshot->arch->is_64bit == wide);
  REQUIRE(snapshot->threads.size() == 2);
  CHECK(snapshot->threads[0].tid == 100);
  CHECK(snapshot->threads[1].tid == 101);
  CHECK(snapshot->threads[0].current_signal == SIGSEGV);
  CHECK(snapshot->threads[1].registers[3] == 13);
  CHECK(snapshot->signal.number == SIGSEGV);
  CHECK(snapshot->signal.code == SEGV_MAPERR);
  CHECK(snapshot->signal.fault_address == 0x1238u);
  CHECK(snapshot->process.pid == 100);
  CHECK(snapshot->process.ppid == 1);
  CHECK(snapshot->process.uid == 1000);
  CHECK(snapshot->process.gid == 1001);
  CHECK(snapshot->process.command_name == "a-rather-long-p");
  CHECK(snapshot->process.arguments == "/bin/prog --flag value");
  CHECK(snapshot->auxv_value(AT_ENTRY) == 0x401000u);
  REQUIRE(snapshot->file_mappings.size() == 2);
  CHECK(snapshot->file_mappings[1].file_offset == 0x2000);
  CHECK(snapshot->file_mappings[1].path == "/bin/prog");
  CHECK(snapshot->executable_path == "/bin/prog");
  REQUIRE(snapshot->regions.size() == 3);
  CHECK(snapshot->regions[0].executable);
  CHECK(snapshot->regions[2].writable);
  CHECK(snapshot->memory->read_uint(0x400000, 1) == 1u);
  CHECK(snapshot->memory->read_uint(0x401000, 1) == std::nullopt);  // described only
  CHECK(snapshot->memory->read_uint(0x7001000, 1) == ((0x7001000 - 0x400000) / 0x1000 + 1) % 256);
  CHECK(snapshot->memory->read_uint(0x7002000, 1) == 0u);  // unreadable: zeros
}

TEST_CASE("ptrace: the core writer refuses a symlink destination", "[ptrace][core_writer]") {
  TempDir dir("triage-core-writer");
  triage::CoreDescription core;
  core.machine = EM_X86_64;
  triage::CoreThreadState thread;
  thread.tid = 1;
  thread.registers.resize(27 * 8);
  core.threads.push_back(thread);
  const std::string path = dir.file("link.core");
  fs::create_symlink(dir.file("elsewhere"), path);
  const triage::BytesMemory none({}, 0);
  auto result = triage::write_core_file(core, none, path);
  REQUIRE(!result.ok());
  CHECK(result.error().message.find("symbolic link") != std::string::npos);
  CHECK(!fs::exists(dir.file("elsewhere")));
}
