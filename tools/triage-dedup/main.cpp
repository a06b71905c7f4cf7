// triage-dedup: folders of .casrep reports -> one report per crash
// signature, and a mapping from every report to the one it was folded into.
// Parses options, calls libtriage, prints, exits. See docs/triage-cluster.md.
#include <iostream>

#include <boost/program_options.hpp>

#include "command_line.h"

#include "triage/analyze/rules.h"
#include "triage/cluster/user_rules.h"
#include "triage/cluster/cluster_output.h"
#include "triage/cluster/report_set.h"

namespace po = boost::program_options;
using namespace triage;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitUnreadable = 1;  // some reports could not be read (see OUT/clerr), or none found
constexpr int kExitUsage = 2;
constexpr int kExitRules = 3;
constexpr int kExitOutput = 4;

constexpr const char* kUsage = R"(triage-dedup: keep one crash report per crash signature

Usage:
  triage-dedup -i DIR [-i DIR ...] -o OUT [-j N]

Reads every .casrep under the folders (ours and CASR's) and copies one report
per signature (the class and the crashing thread's normalised, filtered stack
with recursion collapsed) into OUT. OUT/dedup.json maps every report read to
the report it was folded into.

Exit codes:
  0  every report was read
  1  some reports could not be read (they are in OUT/clerr with the reason;
     the rest are deduplicated), or there were no reports at all
  2  bad options
  3  the rules (classes, frame filters, clustering) did not load
  4  the output could not be written

Options)";

int fail(int code, const std::string& message) {
  std::cerr << "triage-dedup: " << message << "\n";
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> inputs, rule_files;
  std::string output, rules_dir;
  size_t jobs = 0;
  po::options_description description(kUsage);
  triage_tools::add_common_options(description);
  description.add_options()
      ("input,i", po::value(&inputs), "a folder of .casrep reports, searched recursively (repeatable)")
      ("output,o", po::value(&output), "the output folder (new or empty)")
      ("jobs,j", po::value(&jobs), "reports read at once (default: one per CPU)")
      ("rules", po::value(&rule_files), "a rules file of your own: classes, frame filters (repeatable)")
      ("rules-dir", po::value(&rules_dir), "the folder of built-in rules (default: installed ones)");
  po::variables_map vm;
  if (auto done = triage_tools::parse_command_line(argc, argv, "triage-dedup", description, vm)) return *done;
  if (inputs.empty()) return fail(kExitUsage, "give at least one -i DIR (see triage-dedup --help)");
  if (output.empty()) return fail(kExitUsage, "give -o OUT (see triage-dedup --help)");

  auto rules = load_rules(rules_dir.empty() ? default_rules_dir() : rules_dir, rule_files);
  if (!rules) return fail(kExitRules, rules.error().message);
  // Of the clustering rules, the stack depth bounds the signature here too.
  auto clustering = ClusterRules::compile(rules->clustering);
  if (!clustering) return fail(kExitRules, clustering.error().message);
  if (auto prepared = prepare_output(output, false); !prepared) return fail(kExitOutput, prepared.error().message);
  ReportSet set(*clustering);
  if (auto collected = collect_reports(inputs, output, rules->classes, rules->frame_filter, jobs, set);
      !collected) {
    return fail(kExitUnreadable, collected.error().message);
  }
  if (auto written = write_dedup_output(set, output); !written) return fail(kExitOutput, written.error().message);
  std::cout << "triage-dedup: " << set.report_count() << " reports, " << set.crashes().size()
            << " unique crashes written to " << output;
  if (!set.errors().empty()) std::cout << " (" << set.errors().size() << " unreadable: see clerr/)";
  std::cout << "\n";
  for (const UnreadableReport& bad : set.errors()) {
    std::cerr << "triage-dedup: " << bad.path << ": " << bad.reason << "\n";
  }
  return set.errors().empty() ? kExitOk : kExitUnreadable;
}
