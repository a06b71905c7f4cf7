// End-to-end test on the real-world campaigns of corpus-samples/realworld:
// real programs from Debian source packages, built plain (-g -O1) and with
// ASan by scripts/realworld.sh, run by triage-run on the crash inputs we found
// by fuzzing them. The clusters are checked against ground-truth.tsv, where
// each input's bug was established by a fix of our own that, applied alone,
// makes exactly that bug's inputs stop crashing (scripts/realworld_verify.py).
// A program whose pinned version can't be had here is skipped, saying why.
#include <sys/file.h>

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
using triage_test::run_process;
using triage_test::TempDir;

const fs::path kPrograms = fs::path(TRIAGE_CORPUS_DIR) / "realworld";

struct TruthRow {
  std::string bug;
  bool plain_crashes = true;  // false: only the ASan build sees the bug
};

struct Program {
  std::string name;
  fs::path dir;
  std::vector<std::string> command;  // program.conf's command, split at spaces
  std::map<std::string, TruthRow> truth;  // input (relative to dir) -> its bug
};

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::stringstream in(text);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

Program read_program(const fs::path& dir) {
  Program program{dir.filename().string(), dir, {}, {}};
  std::ifstream conf(dir / "program.conf");
  for (std::string line; std::getline(conf, line);) {
    if (line.rfind("command=", 0) != 0) continue;
    std::string value = line.substr(8);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    program.command = split_words(value);
  }
  std::ifstream tsv(dir / "ground-truth.tsv");
  std::string line;
  std::getline(tsv, line);  // header: input bug fix plain
  while (std::getline(tsv, line)) {
    std::vector<std::string> columns;
    std::stringstream fields(line);
    for (std::string field; std::getline(fields, field, '\t');) columns.push_back(field);
    if (columns.size() < 4) continue;
    program.truth[columns[0]] = TruthRow{columns[1], columns[3] == "crash"};
  }
  return program;
}

std::vector<Program> programs() {
  std::vector<Program> found;
  if (!fs::exists(kPrograms)) return found;
  for (const auto& entry : fs::directory_iterator(kPrograms))
    if (fs::exists(entry.path() / "ground-truth.tsv")) found.push_back(read_program(entry.path()));
  std::sort(found.begin(), found.end(), [](const Program& a, const Program& b) { return a.name < b.name; });
  return found;
}

json read_json(const fs::path& path) {
  std::ifstream in(path);
  json value = json::parse(in, nullptr, false);
  INFO(path);
  REQUIRE(!value.is_discarded());
  return value;
}

// REPO/build/realworld/NAME with plain/ and asan/ builds (where test-all.sh
// makes them), made once for every build folder of the project, the
// sanitizer build's too (under a lock: CTest runs tests in parallel); empty
// when the pinned version can't be had here, with the reason in `why`.
fs::path built(const Program& program, std::string& why) {
  const fs::path out = fs::path(TRIAGE_CORPUS_DIR).parent_path() / "build/realworld" / program.name;
  fs::create_directories(out);
  int lock = open((out / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  REQUIRE(lock >= 0);
  while (flock(lock, LOCK_EX) != 0 && errno == EINTR) {
  }
  const auto result = run_process({"bash", fs::path(TRIAGE_CORPUS_DIR).parent_path() / "scripts/realworld.sh",
                                   "build", program.name, out.string()},
                                  {}, std::chrono::seconds(3000));
  close(lock);
  if (exit_code(result) == 77) {
    why = result.err;
    return {};
  }
  INFO(result.err);
  REQUIRE(exit_code(result) == 0);
  return out;
}

}  // namespace

TEST_CASE("real programs: each cluster is one bug and each bug at most a few clusters, plain and ASan",
          "[e2e][realworld]") {
  const auto all = programs();
  REQUIRE(!all.empty());
  for (const Program& program : all) {
    DYNAMIC_SECTION(program.name) {
      REQUIRE(!program.truth.empty());
      REQUIRE(program.command.size() >= 2);
      std::string why;
      const fs::path out = built(program, why);
      if (out.empty()) {
        WARN(program.name << " skipped: " << why);
        continue;
      }
      for (const std::string flavour : {"plain", "asan"}) {
        INFO(program.name << ", " << flavour << " build");
        TempDir dir;
        std::vector<std::string> argv = {TRIAGE_RUN_TOOL, "-i", (program.dir / "inputs").string(), "-o",
                                         dir.file("out"), "-j", "2", "-t", "20", "--"};
        argv.push_back((out / flavour / program.command[0]).string());
        argv.insert(argv.end(), program.command.begin() + 1, program.command.end());
        const auto result = run_process(argv, {}, std::chrono::seconds(900));
        INFO(result.err);
        REQUIRE(!result.timed_out);
        const json summary = read_json(dir.path() / "out/summary.json");

        std::map<int, std::set<std::string>> bugs_of_cluster;
        std::map<std::string, std::set<int>> clusters_of_bug;
        size_t inputs = 0;
        for (const json& input : summary["inputs"]) {
          const std::string name = fs::relative(input["input"].get<std::string>(), program.dir).string();
          INFO(name << ": " << input.dump());
          REQUIRE(program.truth.count(name) == 1);
          const TruthRow& truth = program.truth.at(name);
          ++inputs;
          // Every input crashes the ASan build; a bug only ASan sees leaves the plain build running.
          const bool expect_crash = flavour == std::string("asan") || truth.plain_crashes;
          CHECK(input["status"] == (expect_crash ? "crash" : "no-crash"));
          if (input["status"] != "crash") continue;
          REQUIRE(input["cluster"].is_number_integer());
          bugs_of_cluster[input["cluster"].get<int>()].insert(truth.bug);
          clusters_of_bug[truth.bug].insert(input["cluster"].get<int>());
        }
        CHECK(inputs == program.truth.size());
        for (const auto& [id, bugs] : bugs_of_cluster) {
          std::string names;
          for (const auto& bug : bugs) names += " " + bug;
          INFO("cluster " << id << " holds" << names);
          CHECK(bugs.size() == 1);
        }
        size_t clusters = bugs_of_cluster.size();
        INFO(clusters << " clusters for " << clusters_of_bug.size() << " bugs");
        CHECK(clusters * 4 <= clusters_of_bug.size() * 5);  // at most 1.25 clusters per bug
      }
    }
  }
}

TEST_CASE("real programs: a pinned version that is no longer served is skipped, saying how to move",
          "[e2e][realworld]") {
  TempDir dir;
  const fs::path program = dir.path() / "gone";
  fs::create_directories(program);
  std::ofstream(program / "program.conf") << "package=elfutils\nversion=0.0.1-gone\nbinary=readelf\n"
                                             "command=\"readelf -a @@\"\n";
  std::ofstream(program / "build.sh") << "exit 1\n";
  const auto result = run_process({"bash", fs::path(TRIAGE_CORPUS_DIR).parent_path() / "scripts/realworld.sh",
                                   "build", "gone", dir.file("out")},
                                  {"TRIAGE_REALWORLD_DIR=" + dir.path().string(), "TRIAGE_CACHE=" + dir.file("cache")},
                                  std::chrono::seconds(600));
  INFO(result.err);
  CHECK(exit_code(result) == 77);
  // Either the archive answered without that version, or it could not be reached.
  const bool gone = result.err.find("0.0.1-gone is no longer served") != std::string::npos &&
                    result.err.find("Moving to a new version") != std::string::npos;
  const bool offline = result.err.find("can't read the source lists") != std::string::npos;
  CHECK((gone || offline));
  CHECK(!fs::exists(dir.path() / "out/plain"));
}
