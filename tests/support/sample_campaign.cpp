// Making the sample campaign's reports once per build; see sample_campaign.h.
#include "support/sample_campaign.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <vector>

#include "support/process.h"

namespace triage_test {
namespace {

namespace fs = std::filesystem;


std::map<std::string, std::string> read_tsv_pairs(const fs::path& path, size_t key_column, size_t value_column) {
  std::map<std::string, std::string> pairs;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> columns;
    std::stringstream fields(line);
    for (std::string field; std::getline(fields, field, '\t');) columns.push_back(field);
    if (columns.size() > std::max(key_column, value_column)) pairs[columns[key_column]] = columns[value_column];
  }
  return pairs;
}

}  // namespace

const Campaign& sample_campaign() {
  static const Campaign made = [] {
    const fs::path root = fs::path(TRIAGE_BUILD_DIR) / "campaign";
    const fs::path target = fs::path(TRIAGE_BUILD_DIR) / "corpus-samples/fuzz-target/target";
    const fs::path expected = fs::path(TRIAGE_CORPUS_DIR) / "fuzz-target/expected-bugs.tsv";
    fs::create_directories(root);
    int lock = open((root / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    REQUIRE(lock >= 0);
    while (flock(lock, LOCK_EX) != 0 && errno == EINTR) {
    }
    const fs::path complete = root / ".complete";
    bool fresh = fs::exists(complete);
    for (const fs::path& input : {target, expected, fs::path(TRIAGE_CORE_TOOL)}) {
      fresh = fresh && fs::last_write_time(input) < fs::last_write_time(complete);
    }
    if (!fresh) {
      fs::remove_all(root / "cores");
      fs::remove_all(root / "reports");
      const size_t inputs = read_tsv_pairs(expected, 0, 1).size();
      ProcessResult cores = run_process({"bash", TRIAGE_CORPUS_DIR "/fuzz-target/make-batch-cores.sh", TRIAGE_BUILD_DIR,
                                         (root / "cores").string(), std::to_string(inputs)},
                                        {}, std::chrono::seconds(600));
      INFO("make-batch-cores.sh: " << describe_status(cores) << "\n" << cores.out << cores.err);
      REQUIRE(exit_code(cores) == 0);
      ProcessResult reports = run_process(
          {TRIAGE_CORE_TOOL, "-i", (root / "cores").string(), "-o", (root / "reports").string(), "-j", "2"});
      INFO("triage-core: " << describe_status(reports) << "\n" << reports.err);
      REQUIRE(exit_code(reports) == 0);
      std::ofstream(complete) << "made\n";
    }
    flock(lock, LOCK_UN);
    close(lock);

    Campaign c;
    c.reports = root / "reports";
    const auto bug_of_input = read_tsv_pairs(expected, 0, 1);
    for (const auto& [n, input] : read_tsv_pairs(root / "cores/index.tsv", 0, 2)) {
      REQUIRE(bug_of_input.count(input) == 1);
      c.bug_of[n + ".core.casrep"] = bug_of_input.at(input);
      c.bugs.insert(bug_of_input.at(input));
    }
    REQUIRE(c.bug_of.size() == bug_of_input.size());
    return c;
  }();
  return made;
}

}  // namespace triage_test
