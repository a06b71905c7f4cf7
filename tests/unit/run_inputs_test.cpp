// The parts of triage-run that need no target: finding inputs in fuzzer
// output folders, reading core_pattern and collecting a core from where it
// says, and merging sanitizer options with the user's.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "support/test_files.h"
#include "triage/run/core_pattern.h"
#include "triage/run/inputs.h"
#include "triage/run/sanitizer_options.h"

namespace fs = std::filesystem;
using namespace triage;
using triage_test::TempDir;

namespace {

void touch(const fs::path& path, const std::string& text = "x") {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

std::vector<std::string> names(const CampaignInputs& found) {
  std::vector<std::string> result;
  for (const CrashInput& input : found.inputs) {
    result.push_back(fs::path(input.path).parent_path().filename().string() + "/" +
                     fs::path(input.path).filename().string() + " " + input.source + " " + input.fuzzer_verdict);
  }
  return result;
}

}  // namespace

TEST_CASE("inputs: AFL++ instances, libFuzzer artifacts, honggfuzz files, plain folders", "[run][inputs]") {
  TempDir dir("triage-inputs");
  const fs::path afl = dir.path() / "afl-out";
  touch(afl / "main/fuzzer_stats", "start_time : 1\ncommand_line : afl-fuzz -i in -o out -M main -- ./prog --parse \"a b\" @@\n");
  touch(afl / "main/crashes/id:000000,sig:11");
  touch(afl / "main/crashes/README.txt");
  touch(afl / "main/hangs/id:000000");
  touch(afl / "main/queue/id:000000,orig:seed");
  touch(afl / "secondary01/crashes/id:000000,sig:06");
  const fs::path libfuzzer = dir.path() / "artifacts";
  for (const char* name : {"crash-1a2b", "leak-3c", "oom-4d", "timeout-5e", "slow-unit-6f", "notes.txt"}) {
    touch(libfuzzer / name);
  }
  touch(dir.path() / "hfuzz/SIGSEGV.PC.4141.STACK.1.CODE.1.ADDR.0.INSTR.mov.fuzz");
  touch(dir.path() / "hfuzz/HONGGFUZZ.REPORT.TXT");

  auto found = find_inputs({afl.string(), libfuzzer.string(), (dir.path() / "hfuzz").string()});
  REQUIRE(found);
  CHECK(names(*found) == std::vector<std::string>{
                             "crashes/id:000000,sig:11 afl++ crash",
                             "hangs/id:000000 afl++ hang",
                             "crashes/id:000000,sig:06 afl++ crash",
                             "artifacts/crash-1a2b libfuzzer crash",
                             "artifacts/leak-3c libfuzzer leak",
                             "artifacts/notes.txt file ",
                             "artifacts/oom-4d libfuzzer oom",
                             "artifacts/slow-unit-6f libfuzzer slow",
                             "artifacts/timeout-5e libfuzzer timeout",
                             "hfuzz/SIGSEGV.PC.4141.STACK.1.CODE.1.ADDR.0.INSTR.mov.fuzz honggfuzz crash",
                         });
  CHECK(found->fuzzer_command == std::vector<std::string>{"./prog", "--parse", "a b", "@@"});

  // The same input named twice is taken once; a missing path is an error.
  auto twice = find_inputs({(afl / "main/crashes/id:000000,sig:11").string(), (afl / "main").string()});
  REQUIRE(twice);
  CHECK(twice->inputs.size() == 2);
  auto missing = find_inputs({(dir.path() / "nope").string()});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("no such file or folder") != std::string::npos);
}

TEST_CASE("core_pattern: routes, and cores collected from a file pattern", "[run][core-pattern]") {
  CHECK(parse_core_pattern("core", false).route == CoreRoute::kFile);
  CHECK(parse_core_pattern("|/lib/systemd/systemd-coredump %P %u %g %s %t %c %h", false).route ==
        CoreRoute::kSystemdCoredump);
  CHECK(parse_core_pattern("|/usr/share/apport/apport -p%p -s%s -c%c -d%d -P%P -u%u -g%g -- %E", false).route ==
        CoreRoute::kApport);
  CHECK(parse_core_pattern("|/usr/bin/some-collector %p", false).route == CoreRoute::kOtherPipe);
  CorePattern absolute = parse_core_pattern("/var/cores/core.%e.%p", false);
  CHECK(absolute.folder == "/var/cores");
  CHECK(absolute.name_template == "core.%e.%p");
  std::string why;
  CHECK_FALSE(core_route_usable(parse_core_pattern("|/usr/bin/some-collector %p", false), &why));
  CHECK(core_pattern_advice(parse_core_pattern("|/usr/bin/x", false)).find("--capture ptrace") != std::string::npos);

  TempDir dir("triage-core-pattern");
  const auto core = triage_test::minimal_x86_64_core();
  // A template in a shared folder: the core is found by its pid.
  CorePattern shared = parse_core_pattern(dir.file("cores") + "/core.%e.%p.%t", false);
  REQUIRE(core_route_usable(shared, &why) == false);  // the folder does not exist yet
  fs::create_directories(dir.path() / "cores");
  CHECK(core_route_usable(shared, &why));
  dir.write("cores/core.prog.4242.1700000000", core);
  dir.write("cores/core.prog.777.1700000000", core);
  fs::create_directories(dir.path() / "work");
  REQUIRE(collect_core(shared, 4242, dir.file("work"), dir.file("got.core")));
  CHECK(fs::exists(dir.path() / "got.core"));
  CHECK_FALSE(fs::exists(dir.path() / "cores/core.prog.4242.1700000000"));
  CHECK(fs::exists(dir.path() / "cores/core.prog.777.1700000000"));  // another process's
  CHECK_FALSE(collect_core(shared, 4242, dir.file("work"), dir.file("again.core")));

  // "core" with core_uses_pid, in the working folder; a non-core file there is not taken.
  CorePattern plain = parse_core_pattern("core", true);
  dir.write("work/core.99", core);
  dir.write("work/core.txt", triage_test::Bytes{'n', 'o'});
  REQUIRE(collect_core(plain, 99, dir.file("work"), dir.file("plain.core")));
  CHECK(fs::exists(dir.path() / "plain.core"));
}

TEST_CASE("sanitizer options: ours are added, the user's win", "[run][sanitizer-options]") {
  CHECK(merge_sanitizer_options("", {{"abort_on_error", "1"}, {"symbolize", "0"}}) == "abort_on_error=1:symbolize=0");
  CHECK(merge_sanitizer_options("symbolize=1:detect_leaks=0", {{"abort_on_error", "1"}, {"symbolize", "0"}}) ==
        "symbolize=1:detect_leaks=0:abort_on_error=1");
  auto environment = target_environment({"PATH=/usr/bin", "ASAN_OPTIONS=detect_leaks=0", "HOME=/root"});
  CHECK(std::find(environment.begin(), environment.end(), "PATH=/usr/bin") != environment.end());
  auto asan = std::find_if(environment.begin(), environment.end(),
                           [](const std::string& entry) { return entry.rfind("ASAN_OPTIONS=", 0) == 0; });
  REQUIRE(asan != environment.end());
  CHECK(asan->find("detect_leaks=0") != std::string::npos);
  CHECK(asan->find("detect_leaks=1") == std::string::npos);
  CHECK(asan->find("abort_on_error=1") != std::string::npos);
  CHECK(asan->find("handle_segv=0") != std::string::npos);
  CHECK(std::count_if(environment.begin(), environment.end(), [](const std::string& entry) {
          return entry.rfind("UBSAN_OPTIONS=", 0) == 0;
        }) == 1);
  CHECK(with_libfuzzer_flags({"/f", "-handle_abrt=1", "@@"}) ==
        std::vector<std::string>{"/f", "-handle_segv=0", "-handle_bus=0", "-handle_ill=0", "-handle_fpe=0",
                                 "-handle_abrt=1", "@@"});
}
