// The campaign pipeline: a serial source of input numbers, runs and analyses
// as parallel stages (a run's tracer, when capturing by ptrace, stays on the
// thread that forked it, since each stage body runs on one thread), and a
// serial sink that records outcomes. Runs, cores and reports live in a
// scratch folder until the output is written.
#include "triage/campaign/campaign.h"

#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_map>

#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include "triage/analyze/run_report.h"
#include "triage/analyze/signal_names.h"
#include "triage/cluster/cluster_output.h"
#include "triage/cluster/report_set.h"
#include "triage/signature/crash_stack.h"
#include "triage/util/progress.h"

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace triage {
namespace {

// Where runs, cores and reports are made: $TMPDIR when set, else the RAM
// file system /dev/shm when it has room (creating and removing thousands of
// files and writing cores there takes half the time it takes on a disk, and
// each core is removed once analysed), else /tmp.
std::string scratch_base() {
  if (const char* tmp = std::getenv("TMPDIR"); tmp && *tmp) return tmp;
  struct statvfs space {};
  constexpr uint64_t kRoom = uint64_t{4} << 30;
  if (access("/dev/shm", W_OK) == 0 && statvfs("/dev/shm", &space) == 0 &&
      static_cast<uint64_t>(space.f_bavail) * space.f_frsize >= kRoom) {
    return "/dev/shm";
  }
  return "/tmp";
}

// The scratch folder, removed with everything in it.
class Scratch {
 public:
  Scratch() {
    std::string pattern = scratch_base() + "/triage-run.XXXXXX";
    if (mkdtemp(pattern.data())) path_ = pattern;
  }
  ~Scratch() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct Work {
  size_t index = 0;
  RunResult run;
  InputOutcome outcome;
  std::optional<CrashStack> stack;
  std::string report_path;
};

std::string describe(const RunResult& run) {
  if (!run.started) return run.error;
  if (run.timed_out) return "killed at the timeout";
  if (run.memory_exceeded) return "killed for passing the memory limit";
  if (run.signaled()) return "killed by " + signal_name(run.signal());
  return "exit status " + std::to_string(run.exit_code());
}

std::vector<std::string> command_as_run(const std::vector<std::string>& command, const std::string& input) {
  std::vector<std::string> words = command;
  for (size_t i = 1; i < words.size(); ++i) {
    for (size_t at; (at = words[i].find("@@")) != std::string::npos;) words[i].replace(at, 2, input);
  }
  return words;
}

Result<bool> write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) return make_error(ErrorKind::kIo, "cannot write " + path.string());
  return true;
}

Result<bool> copy_input(const fs::path& from, const fs::path& to) {
  std::error_code error;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, error);
  if (error) return make_error(ErrorKind::kIo, "cannot copy " + from.string() + " to " + to.string() + ": " + error.message());
  return true;
}

}  // namespace

const char* to_string(InputStatus status) {
  switch (status) {
    case InputStatus::kCrash: return "crash";
    case InputStatus::kTimeout: return "timeout";
    case InputStatus::kOom: return "oom";
    case InputStatus::kNoCrash: return "no-crash";
    case InputStatus::kError: return "error";
  }
  return "?";
}

InputStatus status_of(const RunResult& run, const std::optional<SanitizerReport>& sanitizer) {
  if (!run.started) return InputStatus::kError;
  if (run.timed_out) return InputStatus::kTimeout;
  if (run.memory_exceeded) return InputStatus::kOom;
  if (sanitizer) {
    if (sanitizer->class_name == "out-of-memory") return InputStatus::kOom;
    if (sanitizer->class_name == "timeout") return InputStatus::kTimeout;
    return InputStatus::kCrash;
  }
  // A SIGKILL we did not send: the kernel's OOM killer or a memory limit.
  if (run.signaled()) return run.signal() == SIGKILL ? InputStatus::kOom : InputStatus::kCrash;
  return InputStatus::kNoCrash;
}

Result<CampaignResult> run_campaign(const CampaignSettings& settings, const Rules& rules,
                                    const CoreAnalyzer& analyzer, Progress* progress) {
  const auto& inputs = settings.inputs;
  Scratch scratch;
  if (scratch.path().empty()) {
    return make_error(ErrorKind::kIo, "cannot make a scratch folder in " + scratch_base() + " (set TMPDIR to another place)");
  }
  std::error_code error;
  for (const char* sub : {"cores", "reports", "runs"}) fs::create_directories(scratch.path() / sub, error);

  std::vector<Work> done(inputs.size());
  std::atomic<size_t> counts[5] = {};
  auto analyse = [&](Work& work) {
    const RunResult& run = work.run;
    InputOutcome& outcome = work.outcome;
    auto sanitizer = find_sanitizer_report(run.stderr_text);
    outcome.status = status_of(run, sanitizer);
    outcome.detail = describe(run);
    outcome.seconds = run.seconds;
    if (outcome.status == InputStatus::kCrash) {
      RunEvidence evidence;
      evidence.core_path = run.core_path;
      evidence.core_problem = run.core_problem;
      evidence.executable = settings.run.command.front();
      evidence.command = command_as_run(settings.run.command, inputs[work.index].path);
      evidence.signal = run.signal();
      evidence.exit_code = run.exit_code();
      evidence.stderr_text = run.stderr_text;
      evidence.sanitizer = std::move(sanitizer);
      auto report = report_of_run(analyzer, rules, evidence);
      if (!report) {
        outcome.status = InputStatus::kError;
        outcome.detail = "its core could not be analysed: " + report.error().message;
      } else {
        outcome.problem = run.core_path ? "" : run.core_problem;
        work.report_path = (scratch.path() / "reports" / (std::to_string(work.index) + ".casrep")).string();
        if (auto written = write_file(work.report_path, report::to_json_text(*report)); !written) {
          outcome.status = InputStatus::kError;
          outcome.detail = written.error().message;
        } else {
          work.stack = crash_stack_of(*report, rules.classes, rules.frame_filter);
        }
      }
    }
    std::error_code ignored;
    if (run.core_path) fs::remove(*run.core_path, ignored);
    // The report has it; a campaign of 100,000 inputs must not keep them all.
    std::string().swap(work.run.stderr_text);
  };

  const size_t jobs = settings.jobs ? settings.jobs : static_cast<size_t>(tbb::this_task_arena::max_concurrency());
  tbb::task_arena arena(static_cast<int>(jobs));
  arena.execute([&] {
    size_t next = 0;
    tbb::parallel_pipeline(
        jobs * 2,
        tbb::make_filter<void, size_t>(tbb::filter_mode::serial_in_order,
                                       [&](tbb::flow_control& control) -> size_t {
                                         if (next >= inputs.size()) control.stop();
                                         return next++;
                                       }) &
            tbb::make_filter<size_t, size_t>(
                tbb::filter_mode::parallel,
                [&](size_t index) {
                  const std::string name = std::to_string(index);
                  done[index].index = index;
                  done[index].run = run_target(settings.run, inputs[index].path,
                                               (scratch.path() / "runs" / name).string(),
                                               (scratch.path() / "cores" / (name + ".core")).string());
                  return index;
                }) &
            tbb::make_filter<size_t, size_t>(tbb::filter_mode::parallel,
                                             [&](size_t index) {
                                               analyse(done[index]);
                                               return index;
                                             }) &
            tbb::make_filter<size_t, void>(tbb::filter_mode::serial_out_of_order, [&](size_t index) {
              ++counts[static_cast<int>(done[index].outcome.status)];
              if (!progress) return;
              std::string text = std::to_string(counts[0]) + " crashes, " + std::to_string(counts[1]) +
                                 " timeouts, " + std::to_string(counts[3]) + " no crash";
              if (counts[2]) text += ", " + std::to_string(counts[2]) + " oom";
              if (counts[4]) text += ", " + std::to_string(counts[4]) + " errors";
              progress->step(text);
            }));
  });
  if (progress) progress->finish();

  // Deduplicate and cluster, against the baseline when there is one.
  ReportSet set(settings.cluster_rules);
  std::vector<Cluster> earlier;
  if (!settings.baseline_dir.empty()) {
    auto read = read_cluster_output(settings.baseline_dir, rules.classes, rules.frame_filter, set);
    if (!read) return read.error();
    earlier = std::move(*read);
    for (Cluster& cluster : earlier) cluster.carried_members.clear();  // only this run's inputs count
  }
  std::unordered_map<std::string, size_t> input_of_report;
  for (Work& work : done) {
    if (!work.stack) continue;
    input_of_report[work.report_path] = work.index;
    set.add(std::move(*work.stack), work.report_path);
  }
  set.finish();
  std::vector<Cluster> clusters = cluster_crashes(set, settings.clustering, std::move(earlier));
  if (!settings.baseline_dir.empty()) {
    // A baseline's stacks only place this run's: its clusters that got no
    // report this time are left out, and so are its own reports.
    std::vector<Cluster> seen;
    for (Cluster& cluster : clusters) {
      std::erase_if(cluster.crashes, [&](size_t index) { return set.crashes()[index].members.empty(); });
      if (!cluster.crashes.empty()) seen.push_back(std::move(cluster));
    }
    clusters = std::move(seen);
    set.represent_by_members();
  }

  // Each distinct crash's report, named after its input, with the input beside it.
  PlaceBeside beside;
  beside.name = [&](const UniqueCrash& crash) {
    return fs::path(inputs[input_of_report.at(crash.report)].path).filename().string() + ".casrep";
  };
  beside.copy = [&](const UniqueCrash& crash, const fs::path& report, std::set<std::string>& taken) {
    fs::path input_copy = report;
    input_copy.replace_extension();
    taken.insert(input_copy.filename().string());
    return copy_input(inputs[input_of_report.at(crash.report)].path, input_copy);
  };
  auto placement = place_cluster_reports(set, clusters, settings.output_dir, beside);
  if (!placement) return placement.error();

  CampaignResult result;
  result.outcomes.resize(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) result.outcomes[i] = std::move(done[i].outcome);
  for (size_t k = 0; k < clusters.size(); ++k) {
    for (size_t c = 0; c < clusters[k].crashes.size(); ++c) {
      for (const std::string& member : set.crashes()[clusters[k].crashes[c]].members) {
        InputOutcome& outcome = result.outcomes[input_of_report.at(member)];
        outcome.cluster = clusters[k].id;
        outcome.report = placement->files[k][c];
      }
    }
    if (clusters[k].is_new && !settings.baseline_dir.empty()) ++result.new_clusters;
  }
  result.clusters = clusters.size();

  // Every crash's own report, for tools that weigh each crash themselves
  // (the clusters keep one report per distinct crash only).
  if (settings.all_reports) {
    const fs::path folder = fs::path(settings.output_dir) / "reports";
    std::set<std::string> taken;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (result.outcomes[i].status != InputStatus::kCrash || done[i].report_path.empty()) continue;
      fs::create_directories(folder, error);
      const std::string name = free_name(fs::path(inputs[i].path).filename().string() + ".casrep", taken);
      if (auto copied = copy_input(done[i].report_path, folder / name); !copied) return copied.error();
      result.outcomes[i].own_report = "reports/" + name;
    }
  }

  // Timeouts and out-of-memory inputs, kept for a closer look.
  for (auto [status, folder] : {std::pair{InputStatus::kTimeout, "timeout"}, std::pair{InputStatus::kOom, "oom"}}) {
    std::set<std::string> taken;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (result.outcomes[i].status != status) continue;
      fs::create_directories(fs::path(settings.output_dir) / folder, error);
      std::string name = free_name(fs::path(inputs[i].path).filename(), taken);
      if (auto copied = copy_input(inputs[i].path, fs::path(settings.output_dir) / folder / name); !copied) {
        return copied.error();
      }
    }
  }

  ordered_json per_input = ordered_json::array();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const InputOutcome& outcome = result.outcomes[i];
    ordered_json entry = {{"input", inputs[i].path},
                          {"status", to_string(outcome.status)},
                          {"cluster", outcome.cluster ? ordered_json(*outcome.cluster) : ordered_json(nullptr)},
                          {"report", outcome.report.empty() ? ordered_json(nullptr) : ordered_json(outcome.report)},
                          {"detail", outcome.detail},
                          {"seconds", outcome.seconds}};
    if (!inputs[i].fuzzer_verdict.empty()) entry["fuzzer_verdict"] = inputs[i].fuzzer_verdict;
    if (!outcome.problem.empty()) entry["problem"] = outcome.problem;
    if (!outcome.own_report.empty()) entry["own_report"] = outcome.own_report;
    per_input.push_back(std::move(entry));
  }
  std::ostringstream preamble;
  preamble << "triage-run: " << inputs.size() << " inputs: " << counts[0] << " crashes, " << counts[1]
           << " timeouts, " << counts[2] << " out of memory, " << counts[3] << " no crash, " << counts[4]
           << " errors\n";
  std::ostringstream epilogue;
  if (counts[1]) epilogue << "\ntimeouts: " << counts[1] << " inputs in timeout/\n";
  if (counts[2]) epilogue << "out of memory: " << counts[2] << " inputs in oom/\n";
  if (!settings.baseline_dir.empty()) {
    epilogue << "\nagainst the baseline " << settings.baseline_dir << ": " << clusters.size() - result.new_clusters
             << " known clusters, " << result.new_clusters << " new\n";
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (result.outcomes[i].status == InputStatus::kError) {
      epilogue << "error: " << inputs[i].path << ": " << result.outcomes[i].detail << "\n";
    }
  }
  ClusterRun run;
  run.parameters = settings.clustering;
  run.tool = "triage-run";
  run.joined = !settings.baseline_dir.empty();
  run.new_label = "new since the baseline";
  run.preamble = preamble.str();
  run.epilogue = epilogue.str();
  run.extra["inputs"] = std::move(per_input);
  run.member_label = [&](const std::string& report) { return inputs[input_of_report.at(report)].path; };
  run.representative_text = [](const std::string& report) {
    return "reproducer: " + fs::path(report).replace_extension().string() + "  (report: " + report + ")";
  };
  ordered_json campaign = {{"command", settings.run.command},
                           {"timeout_ms", settings.run.timeout.count()},
                           {"capture", settings.run.capture == CaptureMode::kPtrace ? "ptrace" : "kernel"},
                           {"core_pattern", settings.run.core_pattern.pattern},
                           {"crashes", counts[0].load()},
                           {"timeouts", counts[1].load()},
                           {"oom", counts[2].load()},
                           {"no_crash", counts[3].load()},
                           {"errors", counts[4].load()}};
  if (!settings.baseline_dir.empty()) {
    campaign["baseline"] = settings.baseline_dir;
    campaign["new_clusters"] = result.new_clusters;
  }
  run.extra["campaign"] = std::move(campaign);
  if (!settings.rules_record.is_null()) run.extra["rules"] = settings.rules_record;
  auto text = write_cluster_summaries(set, clusters, *placement, run, settings.output_dir);
  if (!text) return text.error();
  result.summary_text = std::move(*text);
  return result;
}

}  // namespace triage
