// triage-cluster: folders of .casrep reports -> clusters of crashes, one per
// bug, with summaries. Parses options, calls libtriage, prints, exits. See
// docs/triage-cluster.md.
#include <filesystem>
#include <iostream>

#include <boost/program_options.hpp>

#include "command_line.h"

#include "triage/analyze/rules.h"
#include "triage/cluster/cluster_output.h"
#include "triage/cluster/clustering.h"
#include "triage/cluster/explain.h"
#include "triage/cluster/rules_record.h"

namespace fs = std::filesystem;
namespace po = boost::program_options;
using namespace triage;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitUnreadable = 1;  // some reports could not be read (see OUT/clerr), or none found
constexpr int kExitUsage = 2;
constexpr int kExitRules = 3;
constexpr int kExitOutput = 4;

constexpr const char* kUsage = R"(triage-cluster: group crash reports into clusters, one per bug

Usage:
  triage-cluster -i DIR [-i DIR ...] -o OUT [-j N] [--estimate] [--rules FILE] [--max-frames N]
  triage-cluster -i NEW_DIR -o OUT --join OLD_OUT     (OUT may be OLD_OUT itself)
  triage-cluster --explain A.casrep B.casrep [--format json] [--rules FILE | --join OUT]

Reads every .casrep under the folders (ours and CASR's), groups them by class
family and crash site, then by the similarity of their callers, and writes
OUT/clN/ (one report per distinct stack of cluster N), OUT/summary.txt and
OUT/summary.json (every cluster with all its member reports). Rules files
may also merge and split clusters and set the stack depth (their
"clustering" object); they are kept in OUT/rules/ and --join applies them
again. --explain says why two reports are or are not in one cluster.

Exit codes:
  0  every report was read and clustered
  1  some reports could not be read (they are in OUT/clerr with the reason;
     the rest are clustered), or there were no reports at all
  2  bad options
  3  the rules (classes, frame filters, clustering) did not load, or differ
     from those recorded in the --join output
  4  the output could not be written
With --explain: 0 both reports were read and explained, 1 one could not be.

Options)";

struct Options {
  std::vector<std::string> inputs, rules, explain;
  std::string output, join, rules_dir, format = "text";
  size_t jobs = 0;
  size_t max_frames = 0;
  bool estimate = false;
  double threshold = ClusterParameters{}.threshold;
};

int fail(int code, const std::string& message) {
  std::cerr << "triage-cluster: " << message << "\n";
  return code;
}

// --explain A B: why two reports are or are not in one cluster.
int explain(const Options& options, std::optional<size_t> max_frames) {
  if (options.explain.size() != 2) return fail(kExitUsage, "--explain takes two reports: --explain A.casrep B.casrep");
  if (!options.inputs.empty() || !options.output.empty()) {
    return fail(kExitUsage, "--explain compares two reports; it takes no -i or -o");
  }
  // --join OUT: explain with the rules that output was clustered with.
  auto loaded = load_run_rules(options.rules_dir.empty() ? default_rules_dir() : options.rules_dir, options.rules,
                               max_frames, options.join);
  if (!loaded) return fail(kExitRules, loaded.error().message);
  if (!loaded->note.empty()) std::cerr << "triage-cluster: " << loaded->note << "\n";
  ClusterParameters parameters;
  parameters.threshold = options.threshold;
  auto explained = explain_pair(options.explain[0], options.explain[1], loaded->rules.classes,
                                loaded->rules.frame_filter, loaded->clustering, parameters);
  if (!explained) return fail(kExitUnreadable, explained.error().message);
  if (options.format == "json") {
    std::cout << explanation_json(*explained).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << explanation_text(*explained);
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  po::options_description description(kUsage);
  triage_tools::add_common_options(description);
  description.add_options()
      ("input,i", po::value(&options.inputs), "a folder of .casrep reports, searched recursively (repeatable)")
      ("output,o", po::value(&options.output), "the output folder: new or empty, or the --join folder")
      ("jobs,j", po::value(&options.jobs), "reports read at once (default: one per CPU)")
      ("join", po::value(&options.join), "an earlier output: its clusters keep their numbers, new reports join them")
      ("estimate", po::bool_switch(&options.estimate), "print the clustering's quality (mean silhouette)")
      ("threshold", po::value(&options.threshold),
       "least caller similarity (0..1) for a crash to join a cluster (default 0.3)")
      ("rules", po::value(&options.rules),
       "a rules file of your own: classes, frame filters, clustering rules (repeatable)")
      ("rules-dir", po::value(&options.rules_dir), "the folder of built-in rules (default: installed ones)")
      ("max-frames", po::value(&options.max_frames),
       "frames of each stack the signature and the similarity use (1..64; default 64 and 32)")
      ("explain", po::value(&options.explain)->multitoken(),
       "A.casrep B.casrep: say why the two reports are or are not in one cluster")
      ("format", po::value(&options.format), "text (default) or json: how --explain prints");
  po::variables_map vm;
  if (auto done = triage_tools::parse_command_line(argc, argv, "triage-cluster", description, vm)) return *done;
  if (!(options.threshold >= 0.0 && options.threshold <= 1.0)) {
    return fail(kExitUsage, "--threshold is a similarity from 0 to 1");
  }
  if (options.format != "text" && options.format != "json") return fail(kExitUsage, "--format is text or json");
  if (vm.count("format") && !vm.count("explain")) return fail(kExitUsage, "--format is for --explain");
  std::optional<size_t> max_frames;
  if (vm.count("max-frames")) max_frames = options.max_frames;
  if (max_frames && (*max_frames < 1 || *max_frames > kMaxSignatureFrames)) {
    return fail(kExitUsage, "--max-frames is a number of frames from 1 to " + std::to_string(kMaxSignatureFrames));
  }

  if (vm.count("explain")) return explain(options, max_frames);
  if (options.inputs.empty()) return fail(kExitUsage, "give at least one -i DIR (see triage-cluster --help)");
  if (options.output.empty()) return fail(kExitUsage, "give -o OUT (see triage-cluster --help)");

  // A --join output's recorded rules apply again; other rules are refused.
  auto loaded = load_run_rules(options.rules_dir.empty() ? default_rules_dir() : options.rules_dir, options.rules,
                               max_frames, options.join);
  if (!loaded) return fail(kExitRules, loaded.error().message);
  if (!loaded->note.empty()) std::cerr << "triage-cluster: " << loaded->note << "\n";
  const Rules* rules = &loaded->rules;

  std::error_code error;
  const bool in_place = !options.join.empty() && fs::exists(options.output, error) &&
                        fs::equivalent(options.output, options.join, error);
  ReportSet set(loaded->clustering);
  std::vector<Cluster> earlier;
  if (!options.join.empty()) {
    auto read = read_cluster_output(options.join, rules->classes, rules->frame_filter, set);
    if (!read) return fail(kExitUnreadable, read.error().message);
    earlier = std::move(*read);
  }
  if (auto prepared = prepare_output(options.output, in_place); !prepared) {
    return fail(kExitOutput, prepared.error().message);
  }
  // The output is never read as input, even when it lies inside an input folder.
  if (auto collected = collect_reports(options.inputs, options.output, rules->classes,
                                       rules->frame_filter, options.jobs, set);
      !collected) {
    return fail(kExitUnreadable, collected.error().message);
  }

  ClusterRun run;
  run.parameters.threshold = options.threshold;
  loaded->clustering.apply_depth(run.parameters.similarity);
  run.joined = !options.join.empty();
  auto kept = keep_rules(loaded->record, loaded->clustering, options.output);
  if (!kept) return fail(kExitOutput, kept.error().message);
  run.extra["rules"] = std::move(*kept);
  std::vector<Cluster> clusters = cluster_crashes(set, run.parameters, std::move(earlier));
  if (options.estimate) run.silhouette = silhouette(set, clusters, run.parameters);
  auto summary = write_cluster_output(set, clusters, run, options.output);
  if (!summary) return fail(kExitOutput, summary.error().message);
  std::cout << *summary << std::flush;
  for (const UnreadableReport& bad : set.errors()) {
    std::cerr << "triage-cluster: " << bad.path << ": " << bad.reason << "\n";
  }
  return set.errors().empty() ? kExitOk : kExitUnreadable;
}
