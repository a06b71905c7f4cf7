// End-to-end tests of triage-core on the crash corpus: every program of
// corpus-samples/crashes/manifest.json is run for a fresh kernel core (by
// corpus-samples/make-cores.sh, once, into BUILD/corpus-cores), triage-core
// reads the core, and its .casrep JSON must give the class, severity type,
// crash line, crashing thread and frames the manifest and the sources' own
// `// CRASH-LINE` comments say.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <set>

#include "triage/analyze/batch.h"
#include "support/corpus_manifest.h"
#include "support/process.h"
#include "support/test_files.h"

namespace {

namespace fs = std::filesystem;
using triage_test::ProcessResult;
using triage_test::describe_status;
using triage_test::run_process;
using triage_test::CorpusProgram;
using triage_test::crash_line_of;
using nlohmann::json;

fs::path corpus_dir() { return fs::path(TRIAGE_CORPUS_DIR); }
fs::path build_dir() { return fs::path(TRIAGE_BUILD_DIR); }
fs::path cores_dir() { return build_dir() / "corpus-cores"; }
fs::path manifest_path() { return corpus_dir() / "crashes" / "manifest.json"; }
fs::path program_path(const CorpusProgram& p) { return build_dir() / "corpus-samples" / "crashes" / p.name; }
fs::path core_path(const CorpusProgram& p) { return cores_dir() / (p.name + ".core"); }

const std::vector<CorpusProgram>& corpus() { return triage_test::corpus_programs(); }


bool program_built(const CorpusProgram& p) { return fs::exists(program_path(p)); }

// Are the cores in BUILD/corpus-cores complete and newer than every program?
bool cores_up_to_date() {
  const fs::path complete = cores_dir() / ".complete";
  std::error_code ec;
  if (!fs::exists(complete, ec)) return false;
  const auto made = fs::last_write_time(complete, ec);
  if (ec) return false;
  if (fs::last_write_time(manifest_path(), ec) > made) return false;
  for (const auto& p : corpus()) {
    if (!program_built(p)) continue;
    if (!fs::exists(core_path(p), ec)) return false;
    if (fs::last_write_time(program_path(p), ec) > made) return false;
  }
  return true;
}

struct CoresState {
  bool ok = false;
  std::string log;
};

// Makes the cores once per process, under a lock shared with make-cores.sh
// so that parallel test processes don't run it twice at the same time. The
// lock is then kept, shared, until the process ends, so that a concurrent
// make-cores.sh (the CTest fixture) can't replace cores while they are read.
const CoresState& ensure_cores() {
  static std::mutex mutex;
  static std::optional<CoresState> state;
  std::lock_guard<std::mutex> guard(mutex);
  if (state) return *state;
  state.emplace();
  std::error_code ec;
  fs::create_directories(cores_dir(), ec);
  const int lock = open((cores_dir() / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0) {
    state->log = "can't open " + (cores_dir() / ".lock").string() + ": " + std::strerror(errno);
    return *state;
  }
  while (flock(lock, LOCK_EX) != 0 && errno == EINTR) {
  }
  if (cores_up_to_date()) {
    state->ok = true;
  } else {
    const ProcessResult r = run_process(
        {"bash", (corpus_dir() / "make-cores.sh").string(), build_dir().string(), cores_dir().string()},
        {"TRIAGE_CORES_LOCK_HELD=1"}, std::chrono::seconds(1200));
    state->ok = !r.timed_out && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0;
    state->log = "make-cores.sh: " + describe_status(r) + "\n" + r.out + r.err;
  }
  while (flock(lock, LOCK_SH) != 0 && errno == EINTR) {
  }
  return *state;
}

struct ToolRun {
  ProcessResult process;
  json report;  // discarded if stdout was not JSON
};

ToolRun run_triage_core(const CorpusProgram& p) {
  ToolRun run;
  run.process = run_process({TRIAGE_CORE_TOOL, "-f", core_path(p).string(), "-e", program_path(p).string(), "--stdout"},
                            {}, std::chrono::seconds(300));
  run.report = json::parse(run.process.out, nullptr, /*allow_exceptions=*/false);
  return run;
}

// j[path...] if every step exists, else nullptr.
const json* find_path(const json& j, std::initializer_list<const char*> path) {
  const json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

std::string string_at(const json& j, std::initializer_list<const char*> path) {
  const json* v = find_path(j, path);
  if (v == nullptr) return "<missing>";
  if (!v->is_string()) return "<not a string: " + v->dump() + ">";
  return v->get<std::string>();
}

std::string regex_escape(const std::string& s) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(s, special, R"(\$&)");
}

bool ends_with_path(const std::string& path, const std::string& file) {
  if (path == file) return true;
  return path.size() > file.size() && path.compare(path.size() - file.size(), file.size(), file) == 0 &&
         path[path.size() - file.size() - 1] == '/';
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

std::string head(const std::string& s, size_t n = 4000) { return s.size() <= n ? s : s.substr(0, n) + "\n[...]"; }

// A short listing of a thread's frames, for failure messages.
std::string frames_summary(const json& thread, size_t max_frames = 12) {
  std::ostringstream os;
  const json* frames = find_path(thread, {"Frames"});
  if (frames == nullptr || !frames->is_array()) return "<no Frames>";
  size_t i = 0;
  for (const json& f : *frames) {
    if (i == max_frames) {
      os << "  ... (" << frames->size() << " frames)\n";
      break;
    }
    os << "  #" << i++ << " " << f.value("Function", std::string("?")) << " at " << f.value("File", std::string("?"))
       << ":" << f.value("Line", 0) << (f.value("Inlined", false) ? " [inlined]" : "") << "\n";
  }
  return os.str();
}

// The report's main keys on one line, for failure messages.
std::string report_summary(const json& report) {
  std::ostringstream os;
  os << string_at(report, {"CrashSeverity", "ShortDescription"}) << " / " << string_at(report, {"CrashSeverity", "Type"})
     << " at " << string_at(report, {"CrashLine"});
  if (const json* signal = find_path(report, {"Signal"})) os << "; Signal " << signal->dump();
  return os.str();
}

}  // namespace

TEST_CASE("corpus: triage-core reports each crash program's core as its manifest says", "[corpus][e2e]") {
  const CorpusProgram program = GENERATE(from_range(corpus()));
  INFO("program: " << program.name << " (" << program.arch << ", " << program.source << ")");

  const CoresState& cores = ensure_cores();
  if (!cores.ok) FAIL("the corpus cores could not be made:\n" << head(cores.log));

  if (program.arch != "x86_64" && !program_built(program)) {
    WARN(program.name << ": not built here (no " << program.arch << " compiler); skipped");
    return;
  }
  REQUIRE(fs::exists(core_path(program)));
  const int crash_line = crash_line_of(program);
  REQUIRE(crash_line > 0);

  const ToolRun run = run_triage_core(program);
  INFO("triage-core " << describe_status(run.process) << "; stderr:\n" << head(run.process.err));
  REQUIRE(!run.process.timed_out);
  REQUIRE(WIFEXITED(run.process.status));
  REQUIRE(WEXITSTATUS(run.process.status) == 0);
  if (run.report.is_discarded()) FAIL("stdout is not JSON:\n" << head(run.process.out));
  const json& report = run.report;
  INFO("report: " << report_summary(report));

  // Class and severity.
  CHECK(string_at(report, {"CrashSeverity", "ShortDescription"}) == program.expected_class);
  CHECK(string_at(report, {"CrashSeverity", "Type"}) == program.expected_type);

  // CrashLine: ".../<source>:<line>" or ".../<source>:<line>:<column>".
  {
    const std::string crash_line_text = string_at(report, {"CrashLine"});
    const std::regex expected("(^|/)" + regex_escape(program.source) + ":" + std::to_string(crash_line) + "(:[0-9]+)?$");
    INFO("CrashLine: " << crash_line_text << "; expected to end with " << program.source << ":" << crash_line);
    CHECK(std::regex_search(crash_line_text, expected));
  }

  // Threads: the crashing one first, with the crash function's frame in the
  // program's source.
  const json* threads = find_path(report, {"Threads"});
  REQUIRE(threads != nullptr);
  REQUIRE(threads->is_array());
  REQUIRE(!threads->empty());
  const json& crashed = threads->front();
  INFO("crashing thread's frames:\n" << frames_summary(crashed));
  CHECK(crashed.value("Crashed", false));
  int crashed_count = 0;
  for (const json& t : *threads) crashed_count += t.value("Crashed", false) ? 1 : 0;
  CHECK(crashed_count == 1);
  {
    const json* frames = find_path(crashed, {"Frames"});
    REQUIRE(frames != nullptr);
    REQUIRE(frames->is_array());
    const json* frame = nullptr;
    for (const json& f : *frames) {
      if (f.contains("Function") && f["Function"].is_string() && starts_with(f["Function"].get<std::string>(), program.crash_function)) {
        frame = &f;
        break;
      }
    }
    INFO("looking for a frame whose Function starts with '" << program.crash_function << "'");
    REQUIRE(frame != nullptr);
    CHECK(ends_with_path(frame->value("File", std::string()), program.source));
    if (program.inlined) {
      // The crash is in an always_inline function: its frame must say so
      // and be the innermost one.
      CHECK(frame->value("Inlined", false));
      CHECK(frame == &frames->front());
    }
  }

  // Which thread crashed.
  {
    const json* pid = find_path(report, {"Pid"});
    REQUIRE(pid != nullptr);
    REQUIRE(pid->is_number_integer());
    const long long tid = crashed.value("Tid", -1LL);
    if (program.crashing_thread == "other") {
      CHECK(threads->size() >= 2);
      CHECK(tid != pid->get<long long>());
      bool main_thread_listed = false;
      for (const json& t : *threads) main_thread_listed |= t.value("Tid", -1LL) == pid->get<long long>();
      CHECK(main_thread_listed);
    } else {
      CHECK(tid == pid->get<long long>());
    }
  }

  // Stacktrace in gdb's `bt` form.
  {
    const json* stacktrace = find_path(report, {"Stacktrace"});
    REQUIRE(stacktrace != nullptr);
    REQUIRE(stacktrace->is_array());
    CHECK(!stacktrace->empty());
    static const std::regex line_form(R"(^#\d+ +0x[0-9a-f]+ in .+)");
    for (const json& line : *stacktrace) {
      INFO("Stacktrace line: " << line.dump());
      REQUIRE(line.is_string());
      CHECK(std::regex_search(line.get<std::string>(), line_form));
    }
  }

  // Registers and disassembly at the crash.
  {
    const json* registers = find_path(report, {"Registers"});
    REQUIRE(registers != nullptr);
    CHECK(registers->is_object());
    const char* pc = program.arch == "i386" ? "eip" : "rip";
    INFO("Registers: " << registers->dump());
    CHECK(registers->contains(pc));

    const json* disassembly = find_path(report, {"Disassembly"});
    REQUIRE(disassembly != nullptr);
    REQUIRE(disassembly->is_array());
    bool marked = false;
    for (const json& line : *disassembly) marked |= line.is_string() && starts_with(line.get<std::string>(), "==>");
    INFO("Disassembly: " << disassembly->dump());
    CHECK(marked);
  }
}

// Cores from another machine (CASR's test cores among them) come without
// the libc they ran with: glibc's functions have no names, no CFI, and
// __abort_msg no known address. The checks that end in abort must keep their
// class by the message glibc left in its own anonymous mapping, and the
// crash line must still be the program's call that ended in abort (libc's
// raise and abort don't move the frame pointer: following it from there
// would skip the caller).
TEST_CASE("corpus: aborts keep their class and crash line when the process's libc is not there",
          "[corpus][e2e][abort-message]") {
  const CoresState& cores = ensure_cores();
  if (!cores.ok) FAIL("the corpus cores could not be made:\n" << head(cores.log));
  triage_test::TempDir empty("triage-no-libc");  // a sysroot with no libraries in it

  int checked = 0;
  for (const CorpusProgram& program : corpus()) {
    const bool glibc_check = program.expected_class == "HeapError" || program.expected_class == "StackGuard" ||
                             program.expected_class == "SafeFunctionCheck";
    if (!glibc_check && program.expected_class != "AbortSignal") continue;
    if (!program_built(program)) continue;
    INFO("program: " << program.name << " (" << program.arch << ")");
    REQUIRE(fs::exists(core_path(program)));
    const ProcessResult r = run_process({TRIAGE_CORE_TOOL, "-f", core_path(program).string(), "-e",
                                         program_path(program).string(), "--sysroot", empty.path().string(),
                                         "--stdout"},
                                        {}, std::chrono::seconds(300));
    INFO("triage-core " << describe_status(r) << "; stderr:\n" << head(r.err));
    REQUIRE(!r.timed_out);
    REQUIRE(WIFEXITED(r.status));
    REQUIRE(WEXITSTATUS(r.status) == 0);
    const json report = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    if (report.is_discarded()) FAIL("stdout is not JSON:\n" << head(r.out));
    INFO("report: " << report_summary(report) << "; Warnings: " << report.value("Warnings", json()).dump());
    ++checked;

    // Without the library its functions have no names: the class comes
    // from the message alone.
    bool libc_named = false;
    for (const json& line : report.value("Stacktrace", json::array()))
      libc_named |= line.is_string() && (line.get<std::string>().find("__libc_message") != std::string::npos ||
                                         line.get<std::string>().find("malloc_printerr") != std::string::npos);
    CHECK_FALSE(libc_named);
    CHECK(string_at(report, {"CrashSeverity", "ShortDescription"}) == program.expected_class);
    CHECK(string_at(report, {"CrashSeverity", "Type"}) == program.expected_type);
    {
      const std::string crash_line_text = string_at(report, {"CrashLine"});
      const int crash_line = crash_line_of(program);
      const std::regex expected("(^|/)" + regex_escape(program.source) + ":" + std::to_string(crash_line) +
                                "(:[0-9]+)?$");
      INFO("CrashLine: " << crash_line_text << "; expected to end with " << program.source << ":" << crash_line);
      CHECK(std::regex_search(crash_line_text, expected));
    }
    if (!glibc_check) continue;
    CHECK_FALSE(report.value("AbortMessage", std::string()).empty());
    bool said_how = false;
    for (const json& warning : report.value("Warnings", json::array()))
      said_how |= warning.is_string() && warning.get<std::string>().find("anonymous memory") != std::string::npos;
    CHECK(said_how);
  }
  CHECK(checked >= 4);
}

TEST_CASE("corpus: a 100,000-frame stack is cut to at most 2000 frames per thread", "[corpus][e2e]") {
  const CoresState& cores = ensure_cores();
  if (!cores.ok) FAIL("the corpus cores could not be made:\n" << head(cores.log));

  int deep_programs = 0;
  for (const CorpusProgram& program : corpus()) {
    if (!program.deep_stack) continue;
    ++deep_programs;
    INFO("program: " << program.name);
    REQUIRE(fs::exists(core_path(program)));
    const ToolRun run = run_triage_core(program);
    INFO("triage-core " << describe_status(run.process) << "; stderr:\n" << head(run.process.err));
    REQUIRE(!run.process.timed_out);
    REQUIRE(WIFEXITED(run.process.status));
    REQUIRE(WEXITSTATUS(run.process.status) == 0);
    if (run.report.is_discarded()) FAIL("stdout is not JSON:\n" << head(run.process.out));

    const json* threads = find_path(run.report, {"Threads"});
    REQUIRE(threads != nullptr);
    REQUIRE(threads->is_array());
    REQUIRE(!threads->empty());
    for (const json& thread : *threads) {
      const json* frames = find_path(thread, {"Frames"});
      REQUIRE(frames != nullptr);
      REQUIRE(frames->is_array());
      INFO("thread " << thread.value("Tid", -1LL) << ": " << frames->size() << " frames");
      CHECK(!frames->empty());
      CHECK(frames->size() <= 2000);
    }
    const json& crashed = threads->front();
    CHECK(crashed.value("Crashed", false));
    CHECK(crashed.value("Truncated", false));

    const json* stacktrace = find_path(run.report, {"Stacktrace"});
    REQUIRE(stacktrace != nullptr);
    REQUIRE(stacktrace->is_array());
    CHECK(!stacktrace->empty());
    CHECK(stacktrace->size() <= 2000);
  }
  CHECK(deep_programs > 0);
}

TEST_CASE("a parallel batch loads each module once and matches single-core results", "[corpus][e2e][batch]") {
  const CoresState& cores = ensure_cores();
  INFO(cores.log);
  REQUIRE(cores.ok);
  auto rules = triage::load_rules(triage::default_rules_dir(), {});
  REQUIRE(rules.ok());
  triage::CoreAnalyzer analyzer(*rules, {});
  std::vector<std::string> paths;
  std::map<std::string, const CorpusProgram*> by_core;
  for (const CorpusProgram& p : corpus()) {
    // i386 programs are not built where the kernel can't run them (no IA-32 emulation).
    if (p.arch != "x86_64" && !program_built(p)) continue;
    // One executable per core: without -e each core names its own program.
    paths.push_back(core_path(p).string());
    by_core[paths.back()] = &p;
  }
  std::mutex mutex;
  std::map<std::string, triage::report::Report> reports;
  std::vector<std::string> failures;
  triage::analyze_in_parallel(analyzer, paths, 2, [&](const std::string& path, auto& result) {
    std::lock_guard lock(mutex);
    if (result) reports[path] = *result;
    else failures.push_back(path + ": " + result.error().message);
  });
  CHECK(failures.empty());
  REQUIRE(reports.size() == paths.size());
  std::set<std::string> files;
  for (const auto& [path, report] : reports) {
    const CorpusProgram& p = *by_core[path];
    INFO(p.name);
    CHECK(report.severity.short_description == p.expected_class);
    for (const auto& module : report.modules)
      if (!module.file_path.empty()) files.insert(module.file_build_id.empty() ? module.file_path : module.file_build_id);
  }
  // Each distinct module (by build-id) loaded once for the whole batch,
  // although every core maps libc, ld.so and the vDSO.
  CHECK(analyzer.module_cache().loaded_count() == files.size());
  CHECK(files.size() < reports.size() * 3);
}
