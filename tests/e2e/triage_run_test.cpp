// End-to-end tests of triage-run on the sample fuzz campaign
// (corpus-samples/fuzz-target): real runs of the target, real cores, and
// clusters that must be exactly the bugs expected-bugs.tsv names. Also its
// ASan build, a stdin target, hangs, a memory limit, a baseline for CI, the
// command from fuzzer_stats, every crash's own report, and bad use.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/test_files.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using triage_test::describe_status;
using triage_test::exit_code;
using triage_test::ProcessResult;
using triage_test::run_process;
using triage_test::TempDir;

const fs::path kCampaign = fs::path(TRIAGE_CORPUS_DIR) / "fuzz-target";
const fs::path kInputs = kCampaign / "inputs";
const fs::path kCrashes = kInputs / "default/crashes";
const fs::path kTarget = fs::path(TRIAGE_BUILD_DIR) / "corpus-samples/fuzz-target/target";
const fs::path kAsanTarget = fs::path(TRIAGE_BUILD_DIR) / "corpus-samples/fuzz-target/target-asan";

ProcessResult triage_run(const std::vector<std::string>& args, const std::string& cwd = "") {
  std::vector<std::string> argv;
  if (!cwd.empty()) argv = {"env", "-C", cwd};
  argv.push_back(TRIAGE_RUN_TOOL);
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, {}, std::chrono::seconds(600));
}

json read_json(const fs::path& path) {
  std::ifstream in(path);
  json value = json::parse(in, nullptr, false);
  INFO(path);
  REQUIRE(!value.is_discarded());
  return value;
}

// Input file name -> bug id, from the campaign's ground truth.
std::map<std::string, std::string> expected_bugs() {
  std::map<std::string, std::string> bugs;
  std::ifstream in(kCampaign / "expected-bugs.tsv");
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::stringstream fields(line);
    std::string input, bug;
    std::getline(fields, input, '\t');
    std::getline(fields, bug, '\t');
    bugs[input] = bug;
  }
  REQUIRE(!bugs.empty());
  return bugs;
}

// Every crash input's cluster; each cluster must hold one bug, each bug one cluster.
void require_clusters_are_bugs(const json& summary, const std::set<std::string>& expected) {
  const auto bug_of = expected_bugs();
  std::map<int, std::set<std::string>> bugs_of_cluster;
  std::map<std::string, std::set<int>> clusters_of_bug;
  for (const json& input : summary["inputs"]) {
    if (input["status"] != "crash") continue;
    const std::string name = fs::path(input["input"].get<std::string>()).filename().string();
    INFO(name);
    REQUIRE(input["cluster"].is_number_integer());
    bugs_of_cluster[input["cluster"].get<int>()].insert(bug_of.at(name));
    clusters_of_bug[bug_of.at(name)].insert(input["cluster"].get<int>());
  }
  for (const auto& [id, bugs] : bugs_of_cluster) {
    INFO("cluster " << id << " holds " << bugs.size() << " bugs, the first " << *bugs.begin());
    CHECK(bugs.size() == 1);
  }
  for (const auto& [bug, clusters] : clusters_of_bug) {
    INFO("bug " << bug << " is in " << clusters.size() << " clusters");
    CHECK(clusters.size() == 1);
  }
  std::set<std::string> found;
  for (const auto& [bug, clusters] : clusters_of_bug) found.insert(bug);
  CHECK(found == expected);
  CHECK(summary["clusters"].size() == expected.size());
}

std::set<std::string> all_bugs() {
  std::set<std::string> bugs;
  for (const auto& [input, bug] : expected_bugs()) bugs.insert(bug);
  return bugs;
}

}  // namespace

TEST_CASE("triage-run: the sample campaign's crashes cluster into its bugs, hangs are timeouts", "[run]") {
  TempDir dir("triage-run");
  const fs::path out = dir.path() / "out";
  ProcessResult r = triage_run({"-i", kInputs.string(), "-o", out.string(), "-j", "2", "-t", "2", "--",
                                kTarget.string(), "@@"});
  INFO(describe_status(r) << "\n" << r.out << r.err);
  REQUIRE(exit_code(r) == 0);
  const json summary = read_json(out / "summary.json");
  require_clusters_are_bugs(summary, all_bugs());

  std::map<std::string, int> statuses;
  for (const json& input : summary["inputs"]) {
    statuses[input["status"]]++;
    if (input["status"] == "crash") {
      // Its report (its own or the one it duplicates) with the input beside it.
      const fs::path report = out / input["report"].get<std::string>();
      CHECK(fs::is_regular_file(report));
      CHECK(fs::is_regular_file(fs::path(report).replace_extension()));
    } else {
      CHECK(input["cluster"].is_null());
    }
  }
  const size_t crashes = expected_bugs().size();
  // Only the distinct crashes' reports, unless --all-reports.
  CHECK(!fs::exists(out / "reports"));
  for (const json& input : summary["inputs"]) CHECK(!input.contains("own_report"));
  CHECK(statuses["crash"] == static_cast<int>(crashes));
  CHECK(statuses["timeout"] == 2);  // AFL++'s hangs/
  CHECK(summary["inputs"].size() == crashes + 2);
  CHECK(std::distance(fs::directory_iterator(out / "timeout"), fs::directory_iterator()) == 2);
  CHECK(summary["campaign"]["crashes"] == crashes);
  // Cluster members are the inputs themselves.
  std::set<std::string> input_paths;
  for (const json& input : summary["inputs"]) input_paths.insert(input["input"].get<std::string>());
  for (const json& cluster : summary["clusters"]) {
    for (const json& member : cluster["members"]) CHECK(input_paths.count(member.get<std::string>()) == 1);
  }
  // The summary for people says the same.
  std::ifstream text(out / "summary.txt");
  std::string first_line;
  std::getline(text, first_line);
  CHECK(first_line.find(std::to_string(crashes) + " crashes, 2 timeouts") != std::string::npos);
  CHECK(r.out.find("cl1 ") != std::string::npos);
}

TEST_CASE("triage-run --all-reports: every crash keeps its own report", "[run]") {
  TempDir dir("triage-run-all-reports");
  const fs::path out = dir.path() / "out";
  ProcessResult r = triage_run({"-i", kCrashes.string(), "-o", out.string(), "-j", "2", "--all-reports", "--",
                                kTarget.string(), "@@"});
  INFO(describe_status(r) << "\n" << r.out << r.err);
  REQUIRE(exit_code(r) == 0);
  const json summary = read_json(out / "summary.json");
  require_clusters_are_bugs(summary, all_bugs());
  std::set<std::string> own;
  size_t representatives = 0;
  for (const json& input : summary["inputs"]) {
    REQUIRE(input["status"] == "crash");
    const std::string name = fs::path(input["input"].get<std::string>()).filename().string();
    INFO(name);
    REQUIRE(input.contains("own_report"));
    CHECK(input["own_report"] == "reports/" + name + ".casrep");
    own.insert(input["own_report"].get<std::string>());
    const json report = read_json(out / input["own_report"].get<std::string>());
    CHECK(!report["Stacktrace"].empty());
    // The input the cluster shows has the same report in both places.
    if (fs::path(input["report"].get<std::string>()).filename() == name + ".casrep") {
      ++representatives;
      CHECK(report == read_json(out / input["report"].get<std::string>()));
    }
  }
  CHECK(own.size() == summary["inputs"].size());
  CHECK(std::distance(fs::directory_iterator(out / "reports"), fs::directory_iterator()) ==
        static_cast<long>(own.size()));
  // Fewer distinct crashes than inputs: duplicates' own reports exist only in reports/.
  CHECK(representatives < own.size());
  CHECK(representatives == summary["unique"].get<size_t>());
}

TEST_CASE("triage-run: the target's command comes from fuzzer_stats", "[run]") {
  TempDir dir("triage-run-stats");
  // An AFL++ -o folder beside the target, as afl-fuzz leaves it: "./target @@".
  const fs::path instance = dir.path() / "campaign/out/default";
  fs::create_directories(instance / "crashes");
  fs::copy_file(kInputs / "default/fuzzer_stats", instance / "fuzzer_stats");
  int copied = 0;
  for (const auto& entry : fs::directory_iterator(kCrashes)) {
    if (copied++ < 3) fs::copy_file(entry.path(), instance / "crashes" / entry.path().filename());
  }
  fs::copy_file(kTarget, dir.path() / "campaign/target");
  ProcessResult r = triage_run({"-i", (dir.path() / "campaign/out").string(), "-o", dir.file("triage")}, dir.path().string());
  INFO(describe_status(r) << "\n" << r.out << r.err);
  REQUIRE(exit_code(r) == 0);
  CHECK(r.err.find("the target command from fuzzer_stats") != std::string::npos);
  CHECK(read_json(dir.path() / "triage/summary.json")["campaign"]["crashes"] == 3);
}

TEST_CASE("triage-run: a stdin target, inputs that don't crash, a memory limit", "[run]") {
  TempDir dir("triage-run-stdin");
  const fs::path inputs = dir.path() / "inputs";
  fs::create_directories(inputs);
  const auto bug_of = expected_bugs();
  std::set<std::string> bugs_copied;
  for (const auto& [input, bug] : bug_of) {
    if (bugs_copied.insert(bug).second) fs::copy_file(kCrashes / input, inputs / input);
  }
  int queue = 0;
  for (const auto& entry : fs::directory_iterator(kInputs / "default/queue")) {
    fs::copy_file(entry.path(), inputs / ("queue-" + std::to_string(queue++)));
  }
  // No @@: the input is the target's stdin.
  ProcessResult r = triage_run({"-i", inputs.string(), "-o", dir.file("out"), "--", kTarget.string()});
  INFO(describe_status(r) << "\n" << r.out << r.err);
  REQUIRE(exit_code(r) == 0);
  const json summary = read_json(dir.path() / "out/summary.json");
  require_clusters_are_bugs(summary, all_bugs());
  int no_crash = 0;
  for (const json& input : summary["inputs"]) no_crash += input["status"] == "no-crash";
  CHECK(no_crash == queue);

  // A program that takes 512 MiB, under a 64 MiB limit: killed, status oom.
  const fs::path hog_source = dir.path() / "hog.c";
  std::ofstream(hog_source) << "#include <stdlib.h>\n#include <string.h>\n#include <unistd.h>\n"
                               "int main(void) { for (int i = 0; i < 64; i++) { char *p = malloc(8 << 20);"
                               " memset(p, 1, 8 << 20); usleep(10000); } return 0; }\n";
  REQUIRE(exit_code(run_process({"cc", "-O0", "-o", dir.file("hog"), hog_source.string()})) == 0);
  ProcessResult hog = triage_run({"-i", (inputs / "queue-0").string(), "-o", dir.file("hog-out"),
                                  "--memory-limit", "64", "--", dir.file("hog")});
  INFO(describe_status(hog) << "\n" << hog.out << hog.err);
  REQUIRE(exit_code(hog) == 0);
  const json hog_summary = read_json(dir.path() / "hog-out/summary.json");
  CHECK(hog_summary["inputs"][0]["status"] == "oom");
  CHECK(fs::is_regular_file(dir.path() / "hog-out/oom/queue-0"));
}

TEST_CASE("triage-run: an ASan-built target gets the sanitizer's classes", "[run][asan]") {
  if (!fs::exists(kAsanTarget)) {
    WARN("the ASan build of the sample target was not made (no clang): skipped");
    return;
  }
  TempDir dir("triage-run-asan");
  const fs::path out = dir.path() / "out";
  ProcessResult r = triage_run({"-i", kCrashes.string(), "-o", out.string(), "-j", "2", "--", kAsanTarget.string(), "@@"});
  INFO(describe_status(r) << "\n" << r.out << r.err);
  REQUIRE(exit_code(r) == 0);
  const json summary = read_json(out / "summary.json");
  require_clusters_are_bugs(summary, all_bugs());
  bool overflow_found = false;
  for (const json& cluster : summary["clusters"]) {
    // Source lines for clang's DWARF too.
    CHECK(cluster["crash_line"].get<std::string>().find("target.c:") != std::string::npos);
    if (cluster["class"] != "heap-buffer-overflow(write)") continue;
    overflow_found = true;
    CHECK(cluster["type"] == "EXPLOITABLE");
    const json report = read_json(out / cluster["representative"].get<std::string>());
    REQUIRE(report.contains("AsanReport"));
    CHECK(report["AsanReport"][0].get<std::string>().find("AddressSanitizer: heap-buffer-overflow") !=
          std::string::npos);
  }
  CHECK(overflow_found);
}

TEST_CASE("triage-run --baseline: a new cluster fails the run, known ones don't", "[run]") {
  TempDir dir("triage-run-baseline");
  const fs::path old_inputs = dir.path() / "old";
  fs::create_directories(old_inputs);
  for (const auto& [input, bug] : expected_bugs()) {
    if (bug != "palette-check") fs::copy_file(kCrashes / input, old_inputs / input);
  }
  ProcessResult first = triage_run({"-i", old_inputs.string(), "-o", dir.file("old-out"), "--", kTarget.string(), "@@"});
  INFO(describe_status(first) << "\n" << first.err);
  REQUIRE(exit_code(first) == 0);

  ProcessResult again = triage_run({"-i", old_inputs.string(), "-o", dir.file("same"), "--baseline", dir.file("old-out"),
                                    "--", kTarget.string(), "@@"});
  INFO(describe_status(again) << "\n" << again.out << again.err);
  CHECK(exit_code(again) == 0);
  CHECK(read_json(dir.path() / "same/summary.json")["campaign"]["new_clusters"] == 0);

  ProcessResult all = triage_run({"-i", kCrashes.string(), "-o", dir.file("all"), "--baseline", dir.file("old-out"),
                                  "--", kTarget.string(), "@@"});
  INFO(describe_status(all) << "\n" << all.out << all.err);
  CHECK(exit_code(all) == 5);
  const json summary = read_json(dir.path() / "all/summary.json");
  CHECK(summary["campaign"]["new_clusters"] == 1);
  for (const json& cluster : summary["clusters"]) {
    CHECK(cluster["new"] == (cluster["class"] == "AbortSignal"));  // palette-check is the only abort
  }
  CHECK(all.out.find("new since the baseline") != std::string::npos);
}

TEST_CASE("triage-run: bad use gets a clear error and a non-zero exit", "[run]") {
  TempDir dir("triage-run-usage");
  fs::create_directories(dir.path() / "empty");
  fs::create_directories(dir.path() / "full");
  std::ofstream(dir.path() / "full/x") << "x";
  std::ofstream(dir.path() / "not-executable") << "#!/bin/sh\n";
  fs::create_symlink(dir.path() / "loop", dir.path() / "loop");
  const std::string crash = (kCrashes / "id:000000,sig:11,src:000001,op:havoc,rep:2").string();
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"-i", dir.file("empty"), "-o", dir.file("o1"), "--", kTarget.string()}, 1, "no inputs found"},
      {{"-i", dir.file("missing"), "-o", dir.file("o2"), "--", kTarget.string()}, 1, "no such file or folder"},
      {{"-i", dir.file("loop"), "-o", dir.file("o3"), "--", kTarget.string()}, 1, "Too many levels of symbolic links"},
      {{"-i", crash, "-o", dir.file("o4"), "--", dir.file("no-such-target")}, 2, "does not exist"},
      {{"-i", crash, "-o", dir.file("o5"), "--", dir.file("not-executable")}, 2, "not executable"},
      {{"-i", crash, "-o", dir.file("o6")}, 2, "give the target after --"},
      {{"-i", crash, "--", kTarget.string()}, 2, "-o"},
      {{"-i", crash, "-o", dir.file("full"), "--", kTarget.string()}, 4, "not empty"},
      {{"-i", crash, "-o", dir.file("o7"), "-t", "0", "--", kTarget.string()}, 2, "-t"},
  };
  for (const Case& bad : cases) {
    ProcessResult r = triage_run(bad.args);
    INFO(bad.args[1] << ": " << describe_status(r) << "\n" << r.err);
    CHECK(exit_code(r) == bad.code);
    CHECK(r.err.find(bad.says) != std::string::npos);
  }
}

TEST_CASE("triage-run --capture ptrace: cores written by triage-run itself give the same clusters", "[run][ptrace]") {
  TempDir dir("triage-run-ptrace");
  const fs::path out = dir.path() / "out";
  ProcessResult r = triage_run({"-i", kCrashes.string(), "-o", out.string(), "-j", "2", "--capture", "ptrace", "--",
                                kTarget.string(), "@@"});
  INFO(describe_status(r) << "\n" << r.out << r.err);
  if (exit_code(r) != 0 && r.err.find("ptrace") != std::string::npos) {
    WARN("ptrace is not allowed here: skipped");
    return;
  }
  REQUIRE(exit_code(r) == 0);
  const json summary = read_json(out / "summary.json");
  CHECK(summary["campaign"]["capture"] == "ptrace");
  require_clusters_are_bugs(summary, all_bugs());
  for (const json& input : summary["inputs"]) {
    CHECK(!input.contains("problem"));  // every crash had its core
  }
}

TEST_CASE("triage-run: a crash without a core still gets a report, which says why", "[run]") {
  TempDir dir("triage-run-nocore");
  // A program that makes itself not dumpable, then crashes: the kernel writes no core.
  const fs::path source = dir.path() / "undumpable.c";
  std::ofstream(source) << "#include <stdio.h>\n#include <sys/prctl.h>\n"
                           "int main(void) { prctl(PR_SET_DUMPABLE, 0); fprintf(stderr, \"about to crash\\n\");"
                           " *(volatile int *)0 = 1; return 0; }\n";
  REQUIRE(exit_code(run_process({"cc", "-g", "-o", dir.file("undumpable"), source.string()})) == 0);
  std::ofstream(dir.path() / "input") << "x";
  ProcessResult r = triage_run({"-i", dir.file("input"), "-o", dir.file("out"), "--capture", "kernel", "--",
                                dir.file("undumpable")});
  INFO(describe_status(r) << "\n" << r.out << r.err);
  REQUIRE(exit_code(r) == 0);
  const json summary = read_json(dir.path() / "out/summary.json");
  const json& input = summary["inputs"][0];
  CHECK(input["status"] == "crash");
  CHECK(input["detail"] == "killed by SIGSEGV");
  CHECK(input["problem"].get<std::string>().find("without dumping a core") != std::string::npos);
  const json report = read_json(dir.path() / "out" / input["report"].get<std::string>());
  CHECK(report["CrashSeverity"]["ShortDescription"] == "AccessViolation");
  CHECK(report["Signal"]["Name"] == "SIGSEGV");
  CHECK(report["Stderr"][0] == "about to crash");
  bool says_why = false;
  for (const json& warning : report["Warnings"]) says_why |= warning.get<std::string>().find("no core") == 0;
  CHECK(says_why);
}

TEST_CASE("triage-run --no-aslr: the same input crashes at the same addresses", "[run]") {
  TempDir dir("triage-run-aslr");
  const fs::path input = kCrashes / "id:000000,sig:11,src:000001,op:havoc,rep:2";
  auto crash_address = [&](const std::string& out, bool no_aslr) {
    std::vector<std::string> args = {"-i", input.string(), "-o", dir.file(out)};
    if (no_aslr) args.push_back("--no-aslr");
    args.insert(args.end(), {"--", kTarget.string(), "@@"});
    ProcessResult r = triage_run(args);
    REQUIRE(exit_code(r) == 0);
    const json summary = read_json(dir.path() / out / "summary.json");
    const json report = read_json(dir.path() / out / summary["inputs"][0]["report"].get<std::string>());
    return report["Threads"][0]["Frames"][0]["Address"].get<uint64_t>();
  };
  CHECK(crash_address("a", true) == crash_address("b", true));
  CHECK(crash_address("c", false) != crash_address("d", false));
}
