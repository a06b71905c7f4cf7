// triage-run: a fuzzing campaign's crash inputs -> runs of the target with
// core dumps, reports, clusters and a summary. Parses options, calls
// libtriage, prints, exits. See docs/triage-run.md.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include <boost/program_options.hpp>

#include "command_line.h"

#include "triage/analyze/rules.h"
#include "triage/campaign/campaign.h"
#include "triage/cluster/cluster_output.h"
#include "triage/cluster/rules_record.h"
#include "triage/run/sanitizer_options.h"
#include "triage/util/progress.h"

namespace fs = std::filesystem;
namespace po = boost::program_options;
using namespace triage;

extern char** environ;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitInputErrors = 1;  // some inputs could not be run or analysed, or none were found
constexpr int kExitUsage = 2;
constexpr int kExitRules = 3;
constexpr int kExitOutput = 4;
constexpr int kExitNewCluster = 5;   // --baseline: a cluster the baseline does not have

constexpr const char* kUsage = R"(triage-run: triage a fuzzing campaign's crash inputs end to end

Usage:
  triage-run -i DIR [-i DIR ...] -o OUT [-j N] [-t SECONDS] [-- TARGET ARGS...]

Runs the target on every input (@@ in ARGS is the input's path; without @@
the input is the target's stdin), gets each crash's core, analyses it,
clusters the crashes into bugs and writes OUT/clN/ (a report and its input
per distinct crash), OUT/timeout/, OUT/oom/, OUT/summary.txt and
OUT/summary.json. Inputs: AFL++ output folders (the target command is read
from fuzzer_stats when none is given), libFuzzer artifacts, honggfuzz *.fuzz
files, plain folders and files.

Exit codes:
  0  every input was run and analysed
  1  some inputs could not be run or analysed (listed in the summary), or
     there were none
  2  bad options, or the target is missing or not executable
  3  the rules did not load, or differ from those recorded in the --baseline
     output (a baseline's rules apply again without passing them)
  4  the output could not be written
  5  with --baseline: a cluster appeared that the baseline does not have

Options)";

struct Options {
  std::vector<std::string> inputs, command, rules, debug_dirs;
  std::string output, baseline, capture = "auto", rules_dir, sysroot;
  size_t jobs = 0;
  double timeout_seconds = 10;
  uint64_t memory_limit_mb = 0;
  bool no_aslr = false;
  bool all_reports = false;
  double threshold = ClusterParameters{}.threshold;
  size_t max_frames = 0;
};

int fail(int code, const std::string& message) {
  std::cerr << "triage-run: " << message << "\n";
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  po::options_description description(kUsage);
  triage_tools::add_common_options(description);
  description.add_options()
      ("input,i", po::value(&options.inputs), "a fuzzer output folder, a folder of inputs or one input (repeatable)")
      ("output,o", po::value(&options.output), "the output folder (new or empty)")
      ("jobs,j", po::value(&options.jobs), "runs and analyses at once (default: one per CPU)")
      ("timeout,t", po::value(&options.timeout_seconds), "seconds a run may take before its process group is killed (default 10)")
      ("memory-limit", po::value(&options.memory_limit_mb),
       "MiB of resident memory a run may use; past it the run is killed, status oom")
      ("no-aslr", po::bool_switch(&options.no_aslr), "run the target without address space randomisation")
      ("capture", po::value(&options.capture),
       "auto (default), kernel or ptrace: how cores are had (auto: the kernel's when core_pattern allows, else ptrace)")
      ("baseline", po::value(&options.baseline),
       "an earlier triage-run output: mark clusters known or new, exit 5 if any is new")
      ("threshold", po::value(&options.threshold), "least caller similarity to join a cluster (default 0.3)")
      ("all-reports", po::bool_switch(&options.all_reports),
       "also write every crash's own report to OUT/reports/, duplicates included")
      ("sysroot", po::value(&options.sysroot), "look for the libraries the cores name under this folder")
      ("debug-dir", po::value(&options.debug_dirs), "a folder of separate debug files (repeatable)")
      ("rules", po::value(&options.rules),
       "a rules file of your own: classes, frame filters, clustering rules (repeatable)")
      ("rules-dir", po::value(&options.rules_dir), "the folder of built-in rules (default: installed ones)")
      ("max-frames", po::value(&options.max_frames),
       "frames of each stack the signature and the similarity use (1..64; default 64 and 32)");
  po::options_description hidden;
  hidden.add_options()("command", po::value(&options.command));
  po::positional_options_description positional;
  positional.add("command", -1);
  po::variables_map vm;
  if (auto done = triage_tools::parse_command_line(argc, argv, "triage-run", description, vm, &hidden, &positional)) {
    return *done;
  }
  if (options.inputs.empty()) return fail(kExitUsage, "give at least one -i DIR (see triage-run --help)");
  if (options.output.empty()) return fail(kExitUsage, "give -o OUT (see triage-run --help)");
  if (!(options.timeout_seconds > 0)) return fail(kExitUsage, "-t must be a positive number of seconds");
  if (options.capture != "auto" && options.capture != "kernel" && options.capture != "ptrace") {
    return fail(kExitUsage, "--capture is auto, kernel or ptrace");
  }
  std::optional<size_t> max_frames;
  if (vm.count("max-frames")) max_frames = options.max_frames;
  if (max_frames && (*max_frames < 1 || *max_frames > kMaxSignatureFrames)) {
    return fail(kExitUsage, "--max-frames is a number of frames from 1 to " + std::to_string(kMaxSignatureFrames));
  }

  auto found = find_inputs(options.inputs);
  if (!found) return fail(kExitInputErrors, found.error().message);
  if (found->inputs.empty()) {
    return fail(kExitInputErrors, "no inputs found under the -i folders (AFL++ crashes/ and hangs/, libFuzzer "
                                  "crash-*, honggfuzz *.fuzz, or any file in a plain folder)");
  }
  std::vector<std::string> command = options.command;
  if (command.empty()) {
    command = found->fuzzer_command;
    if (command.empty()) {
      return fail(kExitUsage, "give the target after --, e.g. triage-run -i out -o triage -- ./target @@ "
                              "(no AFL++ fuzzer_stats names one)");
    }
    // AFL++ was started somewhere we don't know: try here, then beside its output folder.
    if (access(command[0].c_str(), X_OK) != 0 && command[0].find('/') != std::string::npos) {
      fs::path beside = fs::path(found->fuzzer_command_dir).parent_path().parent_path() / command[0];
      if (access(beside.c_str(), X_OK) == 0) command[0] = beside.string();
    }
    std::cerr << "triage-run: the target command from fuzzer_stats:";
    for (const std::string& word : command) std::cerr << " " << word;
    std::cerr << "\n";
  }
  auto program = resolve_program(command[0]);
  if (!program) return fail(kExitUsage, program.error().message);
  command[0] = *program;
  if (is_libfuzzer_binary(command[0])) {
    command = with_libfuzzer_flags(command);
    if (std::find(command.begin(), command.end(), "@@") == command.end()) command.push_back("@@");
  }

  if (!options.baseline.empty() && !fs::is_regular_file(fs::path(options.baseline) / "summary.json")) {
    return fail(kExitUsage, "--baseline " + options.baseline + ": no summary.json there (give an earlier triage-run output)");
  }
  // A baseline's recorded rules apply again; other rules are refused.
  auto loaded = load_run_rules(options.rules_dir.empty() ? default_rules_dir() : options.rules_dir, options.rules,
                               max_frames, options.baseline);
  if (!loaded) return fail(kExitRules, loaded.error().message);
  if (!loaded->note.empty()) std::cerr << "triage-run: " << loaded->note << "\n";
  const Rules* rules = &loaded->rules;
  if (auto prepared = prepare_output(options.output, false); !prepared) {
    return fail(kExitOutput, prepared.error().message);
  }
  auto kept = keep_rules(loaded->record, loaded->clustering, options.output);
  if (!kept) return fail(kExitOutput, kept.error().message);

  CampaignSettings settings;
  settings.inputs = std::move(found->inputs);
  settings.output_dir = options.output;
  settings.baseline_dir = options.baseline;
  settings.jobs = options.jobs;
  settings.all_reports = options.all_reports;
  settings.clustering.threshold = options.threshold;
  loaded->clustering.apply_depth(settings.clustering.similarity);
  settings.cluster_rules = loaded->clustering;
  settings.rules_record = std::move(*kept);
  RunSettings& run = settings.run;
  run.command = command;
  run.timeout = std::chrono::milliseconds(static_cast<long>(options.timeout_seconds * 1000));
  run.disable_aslr = options.no_aslr;
  run.core_pattern = read_core_pattern();
  run.memory_limit_mb = options.memory_limit_mb;
  std::vector<std::string> environment;
  for (char** entry = environ; *entry; ++entry) environment.emplace_back(*entry);
  run.environment = target_environment(environment);
  std::string why;
  const bool kernel_usable = core_route_usable(run.core_pattern, &why);
  if (options.capture == "ptrace" || (options.capture == "auto" && !kernel_usable)) {
    run.capture = CaptureMode::kPtrace;
    if (options.capture == "auto") std::cerr << "triage-run: " << why << ": capturing cores with ptrace\n";
  } else if (!kernel_usable) {
    std::cerr << "triage-run: warning: " << core_pattern_advice(run.core_pattern) << "\n";
  }

  if (run.capture == CaptureMode::kPtrace && run.memory_limit_mb > 0) {
    std::cerr << "triage-run: warning: --memory-limit is not watched under ptrace capture; runs may use any memory\n";
  }

  AnalysisOptions analysis;
  analysis.executable = command[0];
  analysis.search = {options.sysroot, options.debug_dirs};
  CoreAnalyzer analyzer(*rules, analysis);
  Progress progress(settings.inputs.size(), "inputs");
  auto result = run_campaign(settings, *rules, analyzer, &progress);
  if (!result) return fail(kExitOutput, result.error().message);
  std::cout << result->summary_text << std::flush;
  if (result->new_clusters > 0) return kExitNewCluster;
  for (const InputOutcome& outcome : result->outcomes) {
    if (outcome.status == InputStatus::kError) return kExitInputErrors;
  }
  return kExitOk;
}
