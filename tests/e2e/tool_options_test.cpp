// triage-core's options on real cores made here: the executable found from
// the core, a rebuilt executable (build-id mismatch), separate debug files,
// a sysroot, and batch mode.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

namespace fs = std::filesystem;

namespace {

struct Run {
  int status = -1;
  std::string output;
};

Run run(const std::string& command) {
  Run result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  int status = pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

bool core_pattern_is_plain() {
  std::ifstream in("/proc/sys/kernel/core_pattern");
  std::string pattern;
  std::getline(in, pattern);
  return !pattern.empty() && pattern[0] != '|' && pattern.find('/') == std::string::npos;
}

// A folder with a small program built from `source` (C), and its core.
struct CrashFixture {
  fs::path dir;
  fs::path exe;
  fs::path core;

  explicit CrashFixture(const std::string& name, const std::string& source, const std::string& flags = "-g -O0",
                        const std::string& compiler = "cc") {
    dir = fs::temp_directory_path() / ("triage-e2e-" + name + "-" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / (name + ".c")) << source;
    exe = dir / name;
    Run build = run(compiler + " " + flags + " -o " + exe.string() + " " + (dir / (name + ".c")).string());
    REQUIRE(build.status == 0);
    core = make_core(exe);
  }
  ~CrashFixture() { fs::remove_all(dir); }

  fs::path make_core(const fs::path& program) const {
    fs::path work = dir / "run";
    fs::remove_all(work);
    fs::create_directories(work);
    run("cd " + work.string() + " && ulimit -c unlimited && " + program.string());
    for (const auto& entry : fs::directory_iterator(work)) {
      fs::path target = dir / (program.filename().string() + ".core");
      fs::rename(entry.path(), target);
      return target;
    }
    return {};
  }
};

const char* kCrash = R"(
#include <stdlib.h>
__attribute__((noinline)) void store(int *p) { *p = 7; }
int main(void) { store(NULL); return 0; }
)";

// "…/NAME.c:LINE" with an optional ":COLUMN".
bool is_crash_line(const nlohmann::json& value, const std::string& file, int line) {
  return std::regex_search(value.get<std::string>(), std::regex("/" + file + ":" + std::to_string(line) + "(:[0-9]+)?$"));
}

nlohmann::json analyse(const std::string& arguments, Run* run_out = nullptr) {
  Run result = run(std::string(TRIAGE_CORE_TOOL) + " " + arguments + " --stdout");
  if (run_out) *run_out = result;
  INFO(result.output);
  REQUIRE(result.status == 0);
  return nlohmann::json::parse(result.output);
}

}  // namespace

TEST_CASE("without -e the executable is found from the core's mappings", "[e2e][options]") {
  if (!core_pattern_is_plain()) {
    WARN("core_pattern is not a plain file name: set it with sysctl -w kernel.core_pattern=core");
    return;
  }
  CrashFixture crash("findexe", kCrash);
  REQUIRE(fs::exists(crash.core));
  auto report = analyse("-f " + crash.core.string());
  CHECK(report["ExecutablePath"] == crash.exe.string());
  CHECK(is_crash_line(report["CrashLine"], "findexe.c", 3));
  CHECK(report["Threads"][0]["Frames"][0]["Function"] == "store");
}

TEST_CASE("a rebuilt executable is used with a warning and its frames are marked", "[e2e][options]") {
  if (!core_pattern_is_plain()) return;
  CrashFixture crash("mismatch", kCrash);
  // Rebuild the same source with another build-id.
  Run rebuild = run("cc -g -O0 -Wl,--build-id=0x0123456789abcdef -o " + crash.exe.string() + ".new " +
                    (crash.dir / "mismatch.c").string());
  REQUIRE(rebuild.status == 0);
  auto report = analyse("-f " + crash.core.string() + " -e " + crash.exe.string() + ".new");
  bool warned = false;
  for (const auto& warning : report["Warnings"])
    warned |= warning.get<std::string>().find("build-id mismatch") != std::string::npos;
  CHECK(warned);
  CHECK(report["Threads"][0]["Frames"][0]["ModuleMismatch"] == true);
  bool module_marked = false;
  for (const auto& module : report["Modules"]) module_marked |= module["Mismatch"].get<bool>();
  CHECK(module_marked);
}

TEST_CASE("source lines come from a separate debug file found with --debug-dir", "[e2e][options]") {
  if (!core_pattern_is_plain()) return;
  CrashFixture crash("debugdir", kCrash);
  fs::path debug_dir = crash.dir / "debug";
  fs::create_directories(debug_dir);
  fs::path debug_file = debug_dir / "debugdir.debug";
  REQUIRE(run("objcopy --only-keep-debug " + crash.exe.string() + " " + debug_file.string()).status == 0);
  REQUIRE(run("strip --strip-all " + crash.exe.string()).status == 0);
  REQUIRE(run("objcopy --add-gnu-debuglink=" + debug_file.string() + " " + crash.exe.string()).status == 0);

  // Stripped, nothing to find: no source line, the frame is module+offset.
  fs::path elsewhere = crash.dir / "elsewhere";
  fs::create_directories(elsewhere);
  fs::rename(debug_file, elsewhere / "debugdir.debug");
  auto bare = analyse("-f " + crash.core.string() + " -e " + crash.exe.string());
  CHECK(bare["Threads"][0]["Frames"][0]["File"] == "");
  CHECK(bare["CrashLine"].get<std::string>().find("debugdir+0x") != std::string::npos);

  auto report = analyse("-f " + crash.core.string() + " -e " + crash.exe.string() + " --debug-dir " +
                        elsewhere.string());
  CHECK(report["Threads"][0]["Frames"][0]["Function"] == "store");
  CHECK(is_crash_line(report["CrashLine"], "debugdir.c", 3));
}

TEST_CASE("libraries are taken from the --sysroot folder", "[e2e][options]") {
  if (!core_pattern_is_plain()) return;
  CrashFixture crash("withsysroot", kCrash);
  auto plain = analyse("-f " + crash.core.string() + " -e " + crash.exe.string());
  std::string libc;
  for (const auto& module : plain["Modules"])
    if (module["Path"].get<std::string>().find("libc.so") != std::string::npos) libc = module["Path"];
  REQUIRE(!libc.empty());
  fs::path sysroot = crash.dir / "root";
  fs::create_directories(sysroot / fs::path(libc).parent_path().relative_path());
  fs::copy_file(fs::canonical(libc), sysroot / fs::path(libc).relative_path());

  auto report = analyse("-f " + crash.core.string() + " -e " + crash.exe.string() + " --sysroot " + sysroot.string());
  bool found = false;
  for (const auto& module : report["Modules"])
    if (module["Path"] == libc) {
      CHECK(module["FilePath"] == (sysroot / fs::path(libc).relative_path()).string());
      CHECK(module["Mismatch"] == false);
      found = true;
    }
  CHECK(found);
  // A sysroot without the library: the frames lose their names, and the report says why.
  fs::path empty = crash.dir / "empty-sysroot";
  fs::create_directories(empty);
  auto missing = analyse("-f " + crash.core.string() + " -e " + crash.exe.string() + " --sysroot " + empty.string());
  bool warned = false;
  for (const auto& warning : missing["Warnings"])
    warned |= warning.get<std::string>().find("no symbols for " + libc) != std::string::npos;
  CHECK(warned);
}

TEST_CASE("a folder given with -i is analysed into OUTDIR, skipping other files", "[e2e][options]") {
  if (!core_pattern_is_plain()) return;
  CrashFixture crash("batch", kCrash);
  fs::path cores = crash.dir / "cores";
  fs::create_directories(cores);
  for (int i = 0; i < 6; ++i) fs::copy_file(crash.core, cores / ("core." + std::to_string(i)));
  std::ofstream(cores / "README") << "not a core";
  fs::path out = crash.dir / "reports";
  Run result = run(std::string(TRIAGE_CORE_TOOL) + " -i " + cores.string() + " -e " + crash.exe.string() + " -o " +
                   out.string() + " -j 2 --format text");
  INFO(result.output);
  REQUIRE(result.status == 0);
  CHECK(result.output.find("6 of 6 cores analysed") != std::string::npos);
  CHECK(result.output.find("1 files that are not cores skipped") != std::string::npos);
  for (int i = 0; i < 6; ++i) {
    fs::path report = out / ("core." + std::to_string(i) + ".casrep");
    REQUIRE(fs::exists(report));
    auto json = nlohmann::json::parse(std::ifstream(report));
    CHECK(json["CrashSeverity"]["ShortDescription"] == "DestAvNearNull");
    CHECK(fs::exists(out / ("core." + std::to_string(i) + ".txt")));
  }
}

TEST_CASE("without CFI, callers are found by the frame pointer, else by scanning the stack", "[e2e][unwind]") {
  if (!core_pattern_is_plain()) return;
  const char* source = R"(
#include <stdlib.h>
__attribute__((noinline)) void store(volatile int *p) { *p = 7; }
__attribute__((noinline)) void middle(volatile int *p) { store(p); store(p + 1); }
int main(int argc, char **argv) { middle((volatile int *)(long)(argc - 1)); return 0; }
)";
  auto frames_of = [](const nlohmann::json& report) {
    std::vector<std::pair<std::string, std::string>> frames;  // function, found by
    for (const auto& frame : report["Threads"][0]["Frames"]) frames.emplace_back(frame["Function"], frame["FoundBy"]);
    return frames;
  };
  auto position = [](const auto& frames, const std::string& function) {
    for (size_t i = 0; i < frames.size(); ++i)
      if (frames[i].first == function) return static_cast<int>(i);
    return -1;
  };
  SECTION("frame pointers") {
    CrashFixture crash("nocfi-fp", source, "-g0 -O0 -fno-asynchronous-unwind-tables -fno-unwind-tables -fno-omit-frame-pointer");
    auto frames = frames_of(analyse("-f " + crash.core.string() + " -e " + crash.exe.string()));
    INFO(frames.size());
    REQUIRE(position(frames, "store") == 0);
    REQUIRE(position(frames, "middle") == 1);
    REQUIRE(position(frames, "main") == 2);
    CHECK(frames[1].second == "fp");
    CHECK(frames[2].second == "fp");
  }
  SECTION("no frame pointers either: a scan for return addresses") {
    CrashFixture crash("nocfi-scan", source, "-g0 -O1 -fno-asynchronous-unwind-tables -fno-unwind-tables -fomit-frame-pointer");
    auto frames = frames_of(analyse("-f " + crash.core.string() + " -e " + crash.exe.string()));
    REQUIRE(position(frames, "store") == 0);
    int middle = position(frames, "middle");
    int main_at = position(frames, "main");
    REQUIRE(middle > 0);
    REQUIRE(main_at > middle);
    CHECK(frames[middle].second == "scan");
  }
}

TEST_CASE("a clang-built program (no .debug_aranges) gets its source lines and inlined frames", "[e2e][options]") {
  if (run("command -v clang").status != 0) {
    WARN("clang is not installed: skipped");
    return;
  }
  const char* source = R"(
#include <stdlib.h>
static inline void store(int *p, int v) { *p = v; }
__attribute__((noinline)) void fill(int *p) { store(p, 7); }
int main(void) { fill(NULL); return 0; }
)";
  CrashFixture crash("clang-lines", source, "-g -O1", "clang");
  REQUIRE(!crash.core.empty());
  Run r = run(std::string(TRIAGE_CORE_TOOL) + " -f " + crash.core.string() + " -e " + crash.exe.string() + " --stdout");
  REQUIRE(r.status == 0);
  auto report = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  CHECK(report["CrashLine"].get<std::string>().find("clang-lines.c:3:") != std::string::npos);
  const auto& frames = report["Threads"][0]["Frames"];
  REQUIRE(frames.size() >= 3);
  CHECK(frames[0]["Function"] == "store");
  CHECK(frames[0]["Inlined"] == true);
  CHECK(frames[1]["Function"] == "fill");
  CHECK(frames[1]["Line"] == 4);
}
