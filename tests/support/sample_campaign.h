// The sample fuzz campaign's reports for end-to-end tests of the cluster
// tools: every crash input of corpus-samples/fuzz-target run for a real
// kernel core (make-batch-cores.sh) and analysed by triage-core, made once
// per build in BUILD/campaign/reports (under a lock: CTest runs tests in
// parallel), with the bug each report is of (expected-bugs.tsv).
#pragma once

#include <filesystem>
#include <map>
#include <set>
#include <string>

namespace triage_test {

struct Campaign {
  std::filesystem::path reports;
  std::map<std::string, std::string> bug_of;  // report file name -> bug id
  std::set<std::string> bugs;
};

const Campaign& sample_campaign();

}  // namespace triage_test
