// End-to-end tests of steering the grouping on the sample campaign's real
// reports (support/sample_campaign.h): triage-cluster --explain on pairs in
// one cluster and in different ones, merge and split rules and the stack
// depth from a --rules file, the rules kept in OUT and applied again by
// --join and by triage-run --baseline, and hostile rules files.
#include <catch2/catch.hpp>
#include <cmath>
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
using triage_test::Campaign;
using triage_test::describe_status;
using triage_test::exit_code;
using triage_test::ProcessResult;
using triage_test::run_process;
using triage_test::sample_campaign;
using triage_test::TempDir;

const fs::path kCrashes = fs::path(TRIAGE_CORPUS_DIR) / "fuzz-target/inputs/default/crashes";
const fs::path kTarget = fs::path(TRIAGE_BUILD_DIR) / "corpus-samples/fuzz-target/target";

// Two bugs in add_sprite that differ in family (a write through a NULL
// layer, a read through a NULL anchor), made one.
const char* kMergeRules = R"({
  // the sprite's two NULL pointers: one bug for this project
  "clustering": { "merge": [ { "name": "sprite pointers",
      "match": [ { "site": "^add_sprite ", "family": ["^DestAv$", "^SourceAv$"] } ] } ] } })";
// One bug through three callers, made three.
const char* kSplitRules = R"({ "clustering": { "split": [ { "name": "text_width by caller",
      "where": { "site": "^text_width " }, "by": { "callers": 1 } } ] } })";

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

std::string write(const TempDir& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir.path() / name) << text;
  return dir.file(name);
}

ProcessResult run_tool(const char* tool, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {tool};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, {}, std::chrono::seconds(300));
}

ProcessResult cluster(const std::vector<std::string>& args) { return run_tool(TRIAGE_CLUSTER_TOOL, args); }

json explain(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"--explain"};
  all.insert(all.end(), args.begin(), args.end());
  all.insert(all.end(), {"--format", "json"});
  ProcessResult r = cluster(all);
  INFO(describe_status(r) << "\n" << r.out << r.err);
  REQUIRE(exit_code(r) == 0);
  json value = json::parse(r.out, nullptr, false);
  REQUIRE(!value.is_discarded());
  return value;
}

// Bug id -> the clusters holding it, from a triage-cluster summary.
std::map<std::string, std::set<int>> clusters_of_bugs(const json& summary, const Campaign& c) {
  std::map<std::string, std::set<int>> clusters;
  for (const json& entry : summary["clusters"]) {
    for (const json& member : entry["members"]) {
      const std::string name = fs::path(member.get<std::string>()).filename().string();
      INFO(member);
      REQUIRE(c.bug_of.count(name) == 1);
      clusters[c.bug_of.at(name)].insert(entry["id"].get<int>());
    }
  }
  return clusters;
}

// The sample campaign clustered without rules, once per test binary run.
struct Clustered {
  json summary;
  fs::path out;
  std::map<std::string, json> cluster_of_bug;  // a bug's (only) cluster
};

const Clustered& plain_clusters() {
  static TempDir dir("triage-steer-plain");
  static const Clustered made = [] {
    const Campaign& c = sample_campaign();
    Clustered result;
    result.out = dir.path() / "out";
    ProcessResult r = cluster({"-i", c.reports.string(), "-o", result.out.string()});
    INFO(describe_status(r) << "\n" << r.err);
    REQUIRE(exit_code(r) == 0);
    result.summary = read_json(result.out / "summary.json");
    for (const json& entry : result.summary["clusters"]) {
      const std::string name = fs::path(entry["members"][0].get<std::string>()).filename().string();
      result.cluster_of_bug[c.bug_of.at(name)] = entry;
    }
    return result;
  }();
  return made;
}

// A report of the bug, by its path in the plain output (its k-th distinct stack).
std::string report_of(const std::string& bug, size_t k = 0) {
  const Clustered& plain = plain_clusters();
  const json& entry = plain.cluster_of_bug.at(bug);
  REQUIRE(entry["reports"].size() > k);
  return (plain.out / entry["reports"][k].get<std::string>()).string();
}

}  // namespace

TEST_CASE("cluster --explain: a pair in one cluster, with the callers it matched", "[cluster][explain]") {
  // font-null: one bug reached from draw_text, draw_button and draw_hint.
  REQUIRE(plain_clusters().cluster_of_bug.at("font-null")["unique"] == 3);
  const json e = explain({report_of("font-null", 0), report_of("font-null", 1)});
  CHECK(e["verdict"] == "same-cluster");
  CHECK(e["together"] == true);
  CHECK(e["rule"].is_null());
  CHECK(e["a"]["crash_site"] == e["b"]["crash_site"]);
  CHECK(e["a"]["crash_site"].get<std::string>().starts_with("text_width "));
  CHECK(e["a"]["family"] == "SourceAv");
  CHECK(e["a"]["signature"] != e["b"]["signature"]);
  // The immediate callers differ; parse and main below them match.
  CHECK(e["a"]["callers"][0] != e["b"]["callers"][0]);
  const json& similarity = e["similarity"];
  CHECK(similarity["value"].get<double>() >= similarity["threshold"].get<double>());
  CHECK(similarity["threshold"] == 0.3);
  std::set<std::string> matched;
  double score = 0;
  for (const json& match : similarity["matches"]) {
    const size_t i = match["i"], j = match["j"];
    matched.insert(match["frame"].get<std::string>());
    CHECK(e["a"]["callers"][i] == match["frame"]);
    CHECK(e["b"]["callers"][j] == match["frame"]);
    const double expected = std::exp(-0.2 * static_cast<double>(std::min(i, j)) -
                                     0.5 * std::abs(static_cast<double>(i) - static_cast<double>(j)));
    CHECK(match["weight"].get<double>() == Approx(expected));
    score += match["weight"].get<double>();
  }
  CHECK(matched.count("parse") == 1);
  CHECK(matched.count("main") == 1);
  CHECK(score == Approx(similarity["score"].get<double>()));
  CHECK(score / similarity["perfect"].get<double>() == Approx(similarity["value"].get<double>()));
  // The C library's frames under main were dropped by a named filter.
  bool filtered = false;
  for (const json& frame : e["a"]["stack"]) {
    if (frame["fate"] != "filtered") continue;
    filtered = true;
    CHECK(frame["filter"]["origin"].get<std::string>().ends_with("frame_filters.json"));
    CHECK(!frame["filter"]["pattern"].get<std::string>().empty());
  }
  CHECK(filtered);

  // The same in text, for a person.
  ProcessResult text = cluster({"--explain", report_of("font-null", 0), report_of("font-null", 1)});
  INFO(text.err);
  REQUIRE(exit_code(text) == 0);
  CHECK(text.out.find("verdict: same-cluster") != std::string::npos);
  CHECK(text.out.find("matched callers (i in A, j in B):") != std::string::npos);
  CHECK(text.out.find("dropped: ") != std::string::npos);
}

TEST_CASE("cluster --explain: pairs in different clusters, and duplicates", "[cluster][explain]") {
  // Two bugs in add_sprite: a write and a read.
  const json family = explain({report_of("sprite-null-layer"), report_of("sprite-null-anchor")});
  CHECK(family["verdict"] == "different-family");
  CHECK(family["together"] == false);
  CHECK(family["a"]["family"] == "DestAv");
  CHECK(family["b"]["family"] == "SourceAv");
  // Two reads in different functions.
  const json site = explain({report_of("null-palette"), report_of("font-null")});
  CHECK(site["verdict"] == "different-site");
  CHECK(site["a"]["crash_site"] != site["b"]["crash_site"]);
  // Two members of one distinct stack.
  const Campaign& c = sample_campaign();
  bool found = false;
  for (const json& entry : plain_clusters().summary["clusters"]) {
    if (entry["unique"] != 1 || entry["members"].size() < 2) continue;
    const json same = explain({entry["members"][0], entry["members"][1]});
    CHECK(same["verdict"] == "same-signature");
    CHECK(same["a"]["signature"] == same["b"]["signature"]);
    found = true;
    break;
  }
  CHECK(found);

  // A report that can't be read: exit 1 naming it; one report: bad use.
  TempDir dir("triage-explain");
  const std::string garbage = write(dir, "garbage.casrep", "not json");
  ProcessResult bad = cluster({"--explain", report_of("font-null"), garbage});
  CHECK(exit_code(bad) == 1);
  CHECK(bad.err.find("garbage.casrep") != std::string::npos);
  ProcessResult one = cluster({"--explain", report_of("font-null")});
  CHECK(exit_code(one) == 2);
  CHECK(one.err.find("--explain takes two reports") != std::string::npos);
  ProcessResult with_input = cluster({"--explain", report_of("font-null"), report_of("null-palette"), "-i",
                                      c.reports.string()});
  CHECK(exit_code(with_input) == 2);
}

TEST_CASE("cluster --rules: a merge rule joins two clusters, a split rule separates one", "[cluster][rules]") {
  const Campaign& c = sample_campaign();
  TempDir dir("triage-steer");
  const std::string merge = write(dir, "merge.rules.json", kMergeRules);
  const std::string split = write(dir, "split.rules.json", kSplitRules);

  ProcessResult merged = cluster({"-i", c.reports.string(), "-o", dir.file("merged"), "--rules", merge});
  INFO(describe_status(merged) << "\n" << merged.err);
  REQUIRE(exit_code(merged) == 0);
  const json merged_summary = read_json(dir.path() / "merged/summary.json");
  auto merged_bugs = clusters_of_bugs(merged_summary, c);
  CHECK(merged_summary["clusters"].size() == c.bugs.size() - 1);
  CHECK(merged_bugs["sprite-null-layer"] == merged_bugs["sprite-null-anchor"]);
  CHECK(merged_bugs["sprite-null-layer"].size() == 1);
  CHECK(merged_bugs["sprite-zero-frames"] != merged_bugs["sprite-null-layer"]);  // an FPE: not matched
  for (const auto& [bug, ids] : merged_bugs) CHECK(ids.size() == 1);

  const json why_merged = explain({report_of("sprite-null-layer"), report_of("sprite-null-anchor"), "--rules", merge});
  CHECK(why_merged["verdict"] == "merged-by-rule");
  CHECK(why_merged["together"] == true);
  CHECK(why_merged["rule"]["name"] == "sprite pointers");
  CHECK(why_merged["rule"]["kind"] == "merge");
  CHECK(why_merged["rule"]["origin"] == merge);

  ProcessResult divided = cluster({"-i", c.reports.string(), "-o", dir.file("split"), "--rules", split});
  REQUIRE(exit_code(divided) == 0);
  const json split_summary = read_json(dir.path() / "split/summary.json");
  auto split_bugs = clusters_of_bugs(split_summary, c);
  CHECK(split_summary["clusters"].size() == c.bugs.size() + 2);
  CHECK(split_bugs["font-null"].size() == 3);
  for (const auto& [bug, ids] : split_bugs) {
    if (bug != "font-null") CHECK(ids.size() == 1);
  }
  const json why_split = explain({report_of("font-null", 0), report_of("font-null", 1), "--rules", split});
  CHECK(why_split["verdict"] == "separated-by-rule");
  CHECK(why_split["rule"]["name"] == "text_width by caller");
  CHECK(why_split["a"]["splits"][0]["part"] == why_split["a"]["callers"][0]);
}

TEST_CASE("cluster: the stack depth, by rules file or option, changes the signature", "[cluster][rules]") {
  const Campaign& c = sample_campaign();
  TempDir dir("triage-depth");
  // The crash frame alone: font-null's three stacks become one signature.
  const std::string depth = write(dir, "depth.rules.json", R"({"clustering": {"max_frames": 1}})");
  for (const std::vector<std::string>& how : {std::vector<std::string>{"--rules", depth},
                                              std::vector<std::string>{"--max-frames", "1"}}) {
    const std::string out = dir.file("out" + how[0]);
    std::vector<std::string> args = {"-i", c.reports.string(), "-o", out};
    args.insert(args.end(), how.begin(), how.end());
    ProcessResult r = cluster(args);
    INFO(how[0] << ": " << describe_status(r) << "\n" << r.err);
    REQUIRE(exit_code(r) == 0);
    const json summary = read_json(fs::path(out) / "summary.json");
    CHECK(summary["rules"]["stack_depth"] == 1);
    CHECK(summary["parameters"]["max_frames"] == 1);
    auto bugs = clusters_of_bugs(summary, c);
    REQUIRE(bugs["font-null"].size() == 1);
    for (const json& entry : summary["clusters"]) {
      if (entry["id"] == *bugs["font-null"].begin()) CHECK(entry["unique"] == 1);
    }
  }
  // triage-dedup keeps one report per signature: fewer at depth 1.
  ProcessResult deep = run_tool(TRIAGE_DEDUP_TOOL, {"-i", c.reports.string(), "-o", dir.file("dedup")});
  ProcessResult shallow =
      run_tool(TRIAGE_DEDUP_TOOL, {"-i", c.reports.string(), "-o", dir.file("dedup1"), "--rules", depth});
  REQUIRE(exit_code(deep) == 0);
  REQUIRE(exit_code(shallow) == 0);
  CHECK(read_json(dir.path() / "dedup1/dedup.json")["unique"] < read_json(dir.path() / "dedup/dedup.json")["unique"]);
  // --explain agrees: the pair that was one cluster is now one signature.
  const json e = explain({report_of("font-null", 0), report_of("font-null", 1), "--max-frames", "1"});
  CHECK(e["verdict"] == "same-signature");
  CHECK(e["a"]["frames"].size() == 1);
  CHECK(e["max_frames"] == 1);
  ProcessResult zero = cluster({"-i", c.reports.string(), "-o", dir.file("zero"), "--max-frames", "0"});
  CHECK(exit_code(zero) == 2);
  CHECK(zero.err.find("--max-frames") != std::string::npos);
}

TEST_CASE("cluster --join: the rules kept in OUT apply again; other rules are refused", "[cluster][rules]") {
  const Campaign& c = sample_campaign();
  TempDir dir("triage-steer-join");
  const std::string split = write(dir, "split.rules.json", kSplitRules);
  // font-null comes second: only the kept rule can split it.
  fs::create_directories(dir.path() / "first");
  fs::create_directories(dir.path() / "second");
  for (const auto& [name, bug] : c.bug_of) {
    fs::copy_file(c.reports / name, dir.path() / (bug == "font-null" ? "second" : "first") / name);
  }
  const std::string out = dir.file("out");
  ProcessResult first = cluster({"-i", dir.file("first"), "-o", out, "--rules", split});
  REQUIRE(exit_code(first) == 0);
  const json before = read_json(fs::path(out) / "summary.json");
  CHECK(before["rules"]["files"] == json::array({"rules/split.rules.json"}));
  CHECK(before["rules"]["sources"] == json::array({split}));
  CHECK(before["rules"]["split"] == json::array({"text_width by caller"}));
  CHECK(read_text(fs::path(out) / "rules/split.rules.json") == kSplitRules);

  // Other rules: refused, nothing written.
  const std::string merge = write(dir, "merge.rules.json", kMergeRules);
  ProcessResult other = cluster({"-i", dir.file("second"), "-o", out, "--join", out, "--rules", merge});
  CHECK(exit_code(other) == 3);
  CHECK(other.err.find("was clustered with the rules") != std::string::npos);
  CHECK(read_json(fs::path(out) / "summary.json") == before);
  ProcessResult deeper = cluster({"-i", dir.file("second"), "-o", out, "--join", out, "--max-frames", "4"});
  CHECK(exit_code(deeper) == 3);

  // No rules given: the kept ones apply, and it says so.
  ProcessResult joined = cluster({"-i", dir.file("second"), "-o", out, "--join", out});
  INFO(describe_status(joined) << "\n" << joined.err);
  REQUIRE(exit_code(joined) == 0);
  CHECK(joined.err.find("using the rules recorded in " + out) != std::string::npos);
  const json after = read_json(fs::path(out) / "summary.json");
  CHECK(clusters_of_bugs(after, c)["font-null"].size() == 3);
  CHECK(after["rules"]["files"] == before["rules"]["files"]);
  CHECK(after["clusters"].size() == c.bugs.size() + 2);

  // The same rules from another path (same content) are accepted, into a new folder.
  const std::string copy = write(dir, "copy.json", kSplitRules);
  ProcessResult same = cluster({"-i", dir.file("second"), "-o", dir.file("again"), "--join", out, "--rules", copy});
  INFO(same.err);
  CHECK(exit_code(same) == 0);
  CHECK(fs::is_regular_file(dir.path() / "again/rules/split.rules.json"));

  // --explain with --join uses the output's rules.
  const json e = explain({report_of("font-null", 0), report_of("font-null", 1), "--join", out});
  CHECK(e["verdict"] == "separated-by-rule");
}

TEST_CASE("triage-run --baseline applies the baseline's rules without passing them", "[run][rules]") {
  TempDir dir("triage-run-steer");
  const std::string merge = write(dir, "merge.rules.json", kMergeRules);
  // The baseline has the NULL layer but not yet the NULL anchor, which the
  // kept merge rule makes the same bug: without it, a new cluster (exit 5).
  const fs::path old_inputs = dir.path() / "old";
  fs::create_directories(old_inputs);
  std::ifstream expected(fs::path(TRIAGE_CORPUS_DIR) / "fuzz-target/expected-bugs.tsv");
  std::string line;
  std::getline(expected, line);
  size_t held_back = 0;
  std::map<std::string, std::string> bug_of;
  while (std::getline(expected, line)) {
    const std::string input = line.substr(0, line.find('\t'));
    const size_t bug = input.size() + 1;
    bug_of[input] = line.substr(bug, line.find('\t', bug) - bug);
    if (bug_of[input] == "sprite-null-anchor") {
      ++held_back;
      continue;
    }
    fs::copy_file(kCrashes / input, old_inputs / input);
  }
  REQUIRE(held_back == 5);
  ProcessResult base = run_tool(TRIAGE_RUN_TOOL, {"-i", old_inputs.string(), "-o", dir.file("base"), "--rules", merge,
                                                  "--", kTarget.string(), "@@"});
  INFO(describe_status(base) << "\n" << base.err);
  REQUIRE(exit_code(base) == 0);
  const json baseline = read_json(dir.path() / "base/summary.json");
  CHECK(baseline["rules"]["merge"] == json::array({"sprite pointers"}));
  CHECK(fs::is_regular_file(dir.path() / "base/rules/merge.rules.json"));
  const size_t clusters = baseline["clusters"].size();

  ProcessResult again = run_tool(TRIAGE_RUN_TOOL, {"-i", kCrashes.string(), "-o", dir.file("again"), "--baseline",
                                                   dir.file("base"), "--", kTarget.string(), "@@"});
  INFO(describe_status(again) << "\n" << again.out << again.err);
  CHECK(exit_code(again) == 0);
  CHECK(again.err.find("using the rules recorded in " + dir.file("base")) != std::string::npos);
  const json summary = read_json(dir.path() / "again/summary.json");
  CHECK(summary["campaign"]["new_clusters"] == 0);
  CHECK(summary["clusters"].size() == clusters);
  CHECK(summary["rules"]["merge"] == json::array({"sprite pointers"}));
  // The anchor's inputs joined the layer's known cluster.
  std::set<int> layer, anchor;
  for (const json& input : summary["inputs"]) {
    const std::string name = fs::path(input["input"].get<std::string>()).filename().string();
    if (bug_of[name] == "sprite-null-layer") layer.insert(input["cluster"].get<int>());
    if (bug_of[name] == "sprite-null-anchor") anchor.insert(input["cluster"].get<int>());
  }
  CHECK(layer.size() == 1);
  CHECK(anchor == layer);
  for (const json& entry : summary["clusters"]) CHECK(entry["new"] == false);

  const std::string split = write(dir, "split.rules.json", kSplitRules);
  ProcessResult other = run_tool(TRIAGE_RUN_TOOL, {"-i", kCrashes.string(), "-o", dir.file("other"), "--baseline",
                                                   dir.file("base"), "--rules", split, "--", kTarget.string(), "@@"});
  CHECK(exit_code(other) == 3);
  CHECK(other.err.find("was clustered with the rules") != std::string::npos);
}

TEST_CASE("hostile rules files: a clear error and exit 3", "[cluster][rules]") {
  const Campaign& c = sample_campaign();
  TempDir dir("triage-steer-hostile");
  struct Case {
    std::string name, text, says;
  };
  const std::vector<Case> cases = {
      {"not-json.json", R"({"clustering": {"merge": [)", "not valid JSON"},
      {"bad-regex.json", R"({"clustering": {"merge": [{"name": "m", "match": [{"site": "add_sprite(["}]}]}})",
       "clustering.merge[0].match[0].site: invalid regular expression"},
      {"unknown-top.json", R"({"clusterin": {}})", "unknown key \"clusterin\""},
      {"unknown-rule-key.json", R"({"clustering": {"split": [{"name": "s", "where": {"site": "a"}, "by": {"callers": 1}, "when": 1}]}})",
       "unknown key \"when\""},
      {"unknown-pattern-key.json", R"({"clustering": {"merge": [{"name": "m", "match": [{"function_name": "a"}]}]}})",
       "unknown key \"function_name\""},
      {"bad-depth.json", R"({"clustering": {"max_frames": -3}})", "max_frames"},
  };
  for (const Case& bad : cases) {
    const std::string path = write(dir, bad.name, bad.text);
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"-i", c.reports.string(), "-o", dir.file("out-" + bad.name), "--rules", path},
          std::vector<std::string>{"--explain", report_of("font-null"), report_of("null-palette"), "--rules", path}}) {
      ProcessResult r = cluster(args);
      INFO(bad.name << " " << args[0] << ": " << describe_status(r) << "\n" << r.err);
      CHECK(exit_code(r) == 3);
      CHECK(r.err.find(bad.name) != std::string::npos);
      CHECK(r.err.find(bad.says) != std::string::npos);
    }
    CHECK(!fs::exists(dir.path() / ("out-" + bad.name)));
  }
  ProcessResult run = run_tool(TRIAGE_RUN_TOOL, {"-i", kCrashes.string(), "-o", dir.file("run"), "--rules",
                                                 dir.file("bad-regex.json"), "--", kTarget.string(), "@@"});
  CHECK(exit_code(run) == 3);
  CHECK(run.err.find("invalid regular expression") != std::string::npos);
}
