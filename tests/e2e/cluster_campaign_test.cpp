// End-to-end tests of triage-dedup and triage-cluster on the sample fuzz
// campaign: every crash input of corpus-samples/fuzz-target is run for a
// real kernel core (make-batch-cores.sh), triage-core writes the reports,
// and the clusters must be exactly the bugs expected-bugs.tsv names: as many
// clusters as bugs, none mixing two. Also --join, unreadable reports and bad
// use of the tools.
#include <sys/wait.h>

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
#include "support/sample_campaign.h"
#include "support/test_files.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using triage_test::describe_status;
using triage_test::exit_code;
using triage_test::ProcessResult;
using triage_test::run_process;
using triage_test::Campaign;
using triage_test::TempDir;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

json read_json(const fs::path& path) {
  json value = json::parse(read_text(path), nullptr, false);
  INFO(path);
  REQUIRE(!value.is_discarded());
  return value;
}

const Campaign& campaign() { return triage_test::sample_campaign(); }

ProcessResult run_tool(const char* tool, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {tool};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, {}, std::chrono::seconds(120));
}

// For every cluster of a summary: the bugs of its members.
std::map<int, std::set<std::string>> bugs_per_cluster(const json& summary, const Campaign& c) {
  std::map<int, std::set<std::string>> bugs;
  for (const json& cluster : summary["clusters"]) {
    for (const json& member : cluster["members"]) {
      std::string name = fs::path(member.get<std::string>()).filename().string();
      INFO("member " << member);
      REQUIRE(c.bug_of.count(name) == 1);
      bugs[cluster["id"].get<int>()].insert(c.bug_of.at(name));
    }
  }
  return bugs;
}

// Clusters must be the bugs: each cluster one bug, each bug one cluster.
void require_clusters_are_bugs(const json& summary, const Campaign& c) {
  const auto bugs = bugs_per_cluster(summary, c);
  std::map<std::string, int> cluster_of_bug;
  for (const auto& [id, cluster_bugs] : bugs) {
    INFO("cluster " << id << " holds " << cluster_bugs.size() << " bugs, the first " << *cluster_bugs.begin());
    CHECK(cluster_bugs.size() == 1);
    for (const std::string& bug : cluster_bugs) {
      auto [where, first] = cluster_of_bug.emplace(bug, id);
      INFO("bug " << bug << " is in clusters " << where->second << " and " << id);
      CHECK(first);
    }
  }
  CHECK(summary["clusters"].size() == c.bugs.size());
  CHECK(cluster_of_bug.size() == c.bugs.size());
}

}  // namespace

TEST_CASE("cluster: the sample campaign's clusters are exactly its bugs", "[cluster]") {
  const Campaign& c = campaign();
  TempDir dir("triage-cluster");
  const fs::path out = dir.path() / "out";
  ProcessResult r = run_tool(TRIAGE_CLUSTER_TOOL, {"-i", c.reports.string(), "-o", out.string(), "--estimate"});
  INFO(describe_status(r) << "\n" << r.out << r.err);
  REQUIRE(exit_code(r) == 0);
  const json summary = read_json(out / "summary.json");
  require_clusters_are_bugs(summary, c);

  size_t members = 0;
  int previous_rank = -1;
  for (const json& cluster : summary["clusters"]) {
    members += cluster["members"].size();
    CHECK(cluster["count"] == cluster["members"].size());
    // Numbered by severity first.
    const std::string type = cluster["type"];
    int rank = type == "EXPLOITABLE" ? 0 : type == "PROBABLY_EXPLOITABLE" ? 1 : 2;
    CHECK(rank >= previous_rank);
    previous_rank = rank;
    // One report per distinct stack in clN/, the representative among them.
    for (const json& report : cluster["reports"]) CHECK(fs::is_regular_file(out / report.get<std::string>()));
    CHECK(cluster["reports"][0] == cluster["representative"]);
    CHECK(cluster["representative"].get<std::string>().starts_with("cl" + std::to_string(cluster["id"].get<int>()) + "/"));
  }
  CHECK(members == c.bug_of.size());
  CHECK(summary["reports"] == c.bug_of.size());
  CHECK(summary["silhouette"].get<double>() > 0.9);
  CHECK(r.out.find("clustering quality (mean silhouette") != std::string::npos);
  CHECK(read_text(out / "summary.txt") == r.out);
}

TEST_CASE("cluster: the bugs of the campaign stay apart for the reasons they should", "[cluster]") {
  const Campaign& c = campaign();
  TempDir dir("triage-cluster");
  ProcessResult r = run_tool(TRIAGE_CLUSTER_TOOL, {"-i", c.reports.string(), "-o", dir.file("out")});
  REQUIRE(exit_code(r) == 0);
  const json summary = read_json(dir.path() / "out/summary.json");
  std::map<std::string, json> cluster_of_bug;
  for (const json& cluster : summary["clusters"]) {
    std::string name = fs::path(cluster["members"][0].get<std::string>()).filename().string();
    cluster_of_bug[c.bug_of.at(name)] = cluster;
  }
  // Three bugs in one function (add_sprite), on different lines.
  REQUIRE(cluster_of_bug.count("sprite-zero-frames") == 1);
  REQUIRE(cluster_of_bug.count("sprite-null-layer") == 1);
  REQUIRE(cluster_of_bug.count("sprite-null-anchor") == 1);
  CHECK(cluster_of_bug["sprite-zero-frames"]["class"] == "FPE");
  CHECK(cluster_of_bug["sprite-null-anchor"]["crash_line"] != cluster_of_bug["sprite-null-layer"]["crash_line"]);
  // One bug through three callers: one cluster, three distinct stacks.
  CHECK(cluster_of_bug["font-null"]["unique"] == 3);
  // A wild call whose target changes per input: one cluster whatever the
  // class variant (SegFaultOnPc, its NearNull form, CallAv).
  std::set<std::string> classes;
  for (const auto& [name, count] : cluster_of_bug["wild-event-handler"]["classes"].items()) classes.insert(name);
  CHECK(classes.size() >= 2);
  CHECK(cluster_of_bug["wild-event-handler"]["type"] == "EXPLOITABLE");
  // Recursion at depths 1 to 1000 folds into one stack; 20000 and 50000
  // (cut at the frame limit) into another, in the same cluster.
  CHECK(cluster_of_bug["chain-walk"]["unique"] == 2);
  // The stack overflow faults on different lines of the recursion.
  CHECK(cluster_of_bug["group-recursion"]["class"] == "StackOverflow");
  CHECK(cluster_of_bug["group-recursion"]["count"] == 4);
}

TEST_CASE("dedup: one report per signature, every report mapped", "[dedup]") {
  const Campaign& c = campaign();
  TempDir dir("triage-dedup");
  const fs::path out = dir.path() / "out";
  ProcessResult r = run_tool(TRIAGE_DEDUP_TOOL, {"-i", c.reports.string(), "-o", out.string()});
  INFO(describe_status(r) << "\n" << r.out << r.err);
  REQUIRE(exit_code(r) == 0);
  const json dedup = read_json(out / "dedup.json");
  REQUIRE(dedup["mapping"].size() == c.bug_of.size());
  std::map<std::string, std::set<std::string>> bugs_of_kept;
  for (const auto& [input, kept] : dedup["mapping"].items()) {
    CHECK(fs::is_regular_file(out / kept.get<std::string>()));
    bugs_of_kept[kept].insert(c.bug_of.at(fs::path(input).filename().string()));
  }
  for (const auto& [kept, bugs] : bugs_of_kept) {
    INFO(kept);
    CHECK(bugs.size() == 1);
  }
  CHECK(dedup["unique"] == bugs_of_kept.size());
  CHECK(bugs_of_kept.size() >= c.bugs.size());
  CHECK(bugs_of_kept.size() < c.bug_of.size());
  // Deterministic: a second run writes the same mapping.
  ProcessResult again = run_tool(TRIAGE_DEDUP_TOOL, {"-i", c.reports.string(), "-o", dir.file("again"), "-j", "1"});
  REQUIRE(exit_code(again) == 0);
  CHECK(read_json(dir.path() / "again/dedup.json")["mapping"] == dedup["mapping"]);
}

TEST_CASE("cluster --join: earlier clusters keep their numbers, new reports join them", "[cluster]") {
  const Campaign& c = campaign();
  TempDir dir("triage-join");
  // First half of the reports, without one bug; then the rest joins.
  const std::string held_back = "palette-check";
  fs::create_directories(dir.path() / "first");
  fs::create_directories(dir.path() / "second");
  size_t index = 0;
  for (const auto& [name, bug] : c.bug_of) {
    bool first = bug != held_back && index++ % 2 == 0;
    fs::copy_file(c.reports / name, dir.path() / (first ? "first" : "second") / name);
  }
  const std::string out = dir.file("out");
  ProcessResult r1 = run_tool(TRIAGE_CLUSTER_TOOL, {"-i", dir.file("first"), "-o", out});
  REQUIRE(exit_code(r1) == 0);
  const json before = read_json(fs::path(out) / "summary.json");
  ProcessResult r2 = run_tool(TRIAGE_CLUSTER_TOOL, {"-i", dir.file("second"), "-o", out, "--join", out});
  INFO(describe_status(r2) << "\n" << r2.out << r2.err);
  REQUIRE(exit_code(r2) == 0);
  const json after = read_json(fs::path(out) / "summary.json");
  require_clusters_are_bugs(after, c);

  std::map<int, json> after_by_id;
  for (const json& cluster : after["clusters"]) after_by_id[cluster["id"].get<int>()] = cluster;
  for (const json& old : before["clusters"]) {
    const json& now = after_by_id.at(old["id"].get<int>());
    CHECK(now["representative"] == old["representative"]);
    CHECK(now["new"] == false);
    for (const json& member : old["members"]) {
      CHECK(std::find(now["members"].begin(), now["members"].end(), member) != now["members"].end());
    }
  }
  // The held-back bug is a new cluster, numbered after the earlier ones.
  std::vector<int> fresh;
  for (const auto& [id, cluster] : after_by_id) {
    if (cluster["new"] == true) fresh.push_back(id);
  }
  REQUIRE(fresh.size() == 1);
  CHECK(fresh[0] == static_cast<int>(before["clusters"].size()) + 1);
  CHECK(after["reports"] == c.bug_of.size());
}

TEST_CASE("cluster: unreadable reports go to clerr with the reason, the rest is clustered", "[cluster]") {
  const Campaign& c = campaign();
  TempDir dir("triage-clerr");
  const fs::path in = dir.path() / "in";
  fs::create_directories(in / "nested");
  for (const auto& [name, bug] : c.bug_of) fs::copy_file(c.reports / name, in / "nested" / name);
  std::ofstream(in / "garbage.casrep") << "\x7f" "ELF not json at all";
  std::ofstream(in / "cut.casrep") << read_text(c.reports / c.bug_of.begin()->first).substr(0, 300);
  std::ofstream(in / "array.casrep") << "[1, 2, 3]";
  std::ofstream(in / "empty-object.casrep") << "{}";
  std::ofstream(in / "not-a-report.txt") << "ignored: not a .casrep";

  for (const char* tool : {TRIAGE_CLUSTER_TOOL, TRIAGE_DEDUP_TOOL}) {
    const fs::path out = dir.path() / fs::path(tool).filename();
    ProcessResult r = run_tool(tool, {"-i", in.string(), "-o", out.string()});
    INFO(tool << ": " << describe_status(r) << "\n" << r.out << r.err);
    CHECK(exit_code(r) == 1);
    for (const char* bad : {"garbage.casrep", "cut.casrep", "array.casrep", "empty-object.casrep"}) {
      INFO(bad);
      CHECK(fs::is_regular_file(out / "clerr" / bad));
      std::string reason = read_text(out / "clerr" / (std::string(bad) + ".error"));
      CHECK(reason.find(bad) != std::string::npos);
      CHECK(r.err.find(bad) != std::string::npos);
    }
    CHECK(!fs::exists(out / "clerr/not-a-report.txt"));
  }
  const json summary = read_json(dir.path() / "triage-cluster/summary.json");
  CHECK(summary["errors"].size() == 4);
  CHECK(summary["reports"] == c.bug_of.size() + 4);
  require_clusters_are_bugs(summary, c);
}

TEST_CASE("cluster tools: bad use gets a clear error and a non-zero exit", "[cluster]") {
  TempDir dir("triage-cluster-usage");
  fs::create_directories(dir.path() / "empty");
  fs::create_directories(dir.path() / "full");
  std::ofstream(dir.path() / "full/something") << "x";
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"-o", dir.file("o1")}, 2, "-i"},
      {{"-i", dir.file("empty")}, 2, "-o"},
      {{"-i", dir.file("empty"), "-o", dir.file("o2")}, 1, "no .casrep reports under"},
      {{"-i", dir.file("missing"), "-o", dir.file("o3")}, 1, "no such folder"},
      {{"-i", dir.file("empty"), "-o", dir.file("full")}, 4, "not empty"},
      {{"-i", dir.file("empty"), "-o", dir.file("o4"), "--bogus"}, 2, "bogus"},
  };
  for (const char* tool : {TRIAGE_CLUSTER_TOOL, TRIAGE_DEDUP_TOOL}) {
    for (const Case& bad : cases) {
      ProcessResult r = run_tool(tool, bad.args);
      INFO(tool << " " << bad.args.back() << ": " << describe_status(r) << "\n" << r.err);
      CHECK(exit_code(r) == bad.code);
      CHECK(r.err.find(bad.says) != std::string::npos);
    }
  }
  ProcessResult threshold = run_tool(TRIAGE_CLUSTER_TOOL, {"-i", dir.file("empty"), "-o", dir.file("o5"), "--threshold", "2"});
  CHECK(exit_code(threshold) == 2);
  ProcessResult join = run_tool(TRIAGE_CLUSTER_TOOL, {"-i", dir.file("empty"), "-o", dir.file("o6"), "--join", dir.file("full")});
  CHECK(exit_code(join) == 1);
  CHECK(join.err.find("--join needs the output folder of an earlier triage-cluster run") != std::string::npos);
}
