// The child expands the core into a memfd of its own (after dropping
// privileges, so the file is its own) and analyses "/proc/self/fd/N"; the
// report comes back through the sandbox's pipe: "R" + JSON, or "E" + why.
#include "triage/online/analysis.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>

#include "triage/analyze/core_analyzer.h"
#include "triage/util/core_stream.h"
#include "triage/report/report.h"

namespace triage::online {
namespace {

constexpr const char* kReportFile = "report.casrep";
constexpr const char* kTextReportFile = "report.txt";

void answer(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// Runs in the sandbox: fd 4 is the stored core.
int analyse_in_child(int answer_fd, const CrashMeta& meta, const Rules& rules, bool stop_first) {
  if (stop_first) raise(SIGSTOP);
  int memfd = memfd_create("triage-core", MFD_CLOEXEC);
  if (memfd < 0) {
    answer(answer_fd, std::string("Ememfd_create: ") + std::strerror(errno));
    return 1;
  }
  auto expanded = expand_core(4, memfd, meta.core_file.ends_with(".zst"),
                              std::max(meta.core_bytes, meta.max_core_bytes), meta.truncated);
  if (!expanded) {
    answer(answer_fd, "E" + expanded.error().message);
    return 1;
  }
  close(4);
  AnalysisOptions options;
  CoreAnalyzer analyzer(rules, options);
  auto report = analyzer.analyze_file("/proc/self/fd/" + std::to_string(memfd));
  if (!report) {
    answer(answer_fd, "E" + report.error().message);
    return 1;
  }
  answer(answer_fd, "R" + report::to_json_text(*report));
  return 0;
}

}  // namespace

CrashState analyse_crash(const Spool& spool, CrashDir& crash, const Rules& rules, const AnalysisConfig& config) {
  auto loaded = crash.read_meta();
  if (!loaded) {
    spool.log(crash.name() + ": " + loaded.error().message);
    return CrashState::kFailed;
  }
  CrashMeta meta = *loaded;
  auto finish = [&](CrashState state, const std::string& error) {
    meta.state = state;
    meta.error = error;
    meta.stored_bytes = crash.stored_bytes();
    if (auto written = crash.write_meta(meta); !written) spool.log(crash.name() + ": " + written.error().message);
    if (!meta.privileged && meta.uid != 0) (void)crash.grant_read(meta.uid);
    spool.log(crash.name() + ": " + to_string(state) + (error.empty() ? "" : ": " + error));
    return state;
  };
  if (meta.core_file.empty()) return finish(CrashState::kFailed, meta.error.empty() ? "no core was kept" : meta.error);
  if (meta.attempts >= config.max_attempts)
    return finish(CrashState::kFailed, "the analysis died " + std::to_string(meta.attempts) + " times; not tried again");

  auto core_fd = crash.open_file(meta.core_file);
  if (!core_fd) return finish(CrashState::kFailed, core_fd.error().message);
  ++meta.attempts;
  meta.state = CrashState::kAnalysing;
  if (auto written = crash.write_meta(meta); !written) {
    close(*core_fd);
    return finish(CrashState::kFailed, written.error().message);
  }

  // Root's crashes and privileged dumps are analysed as nobody: the core is
  // hostile input, and the files it names are opened with these rights.
  const bool as_nobody = meta.privileged || meta.uid == 0;
  const uid_t uid = as_nobody ? config.nobody_uid : meta.uid;
  const gid_t gid = as_nobody ? config.nobody_gid : meta.gid;
  SandboxLimits limits = config.limits;
  limits.address_space_bytes += meta.core_bytes;  // the expanded core is mapped too
  const bool stop_first = config.stop_before_analysis;
  SandboxOutcome outcome = run_sandboxed(
      [&](int fd) { return analyse_in_child(fd, meta, rules, stop_first); }, uid, gid, limits, *core_fd);
  close(*core_fd);

  if (!outcome.ok) {
    std::string why = outcome.problem;
    if (!outcome.answer.empty() && outcome.answer[0] == 'E') why = outcome.answer.substr(1);
    else if (!outcome.answer.empty()) why += ": " + outcome.answer.substr(0, 200);
    return finish(CrashState::kFailed, why);
  }
  if (outcome.answer.empty() || outcome.answer[0] != 'R') return finish(CrashState::kFailed, "the analysis gave no report");
  auto report = report::parse_report(std::string_view(outcome.answer).substr(1));
  if (!report) return finish(CrashState::kFailed, "the analysis gave a bad report: " + report.error().message);
  report->core_path = spool.path() + "/" + crash.name() + "/" + meta.core_file;
  if (meta.truncated) report->warnings.push_back("the stored core is truncated: " + meta.truncated_why);
  if (auto written = crash.write_atomically(kReportFile, report::to_json_text(*report)); !written)
    return finish(CrashState::kFailed, written.error().message);
  // The same report for people, beside the JSON.
  if (auto written = crash.write_atomically(kTextReportFile, report::to_text(*report, {.color = false})); !written)
    spool.log(crash.name() + ": " + written.error().message);
  meta.crash_class = report->severity.short_description;
  meta.crash_type = report->severity.type;
  meta.crash_line = report->crash_line;
  return finish(CrashState::kAnalysed, "");
}

ResumeSummary resume_crashes(const Spool& spool, const Rules& rules, const AnalysisConfig& config) {
  ResumeSummary summary;
  for (const auto& name : spool.crash_names()) {
    auto crash = spool.open_crash(name, /*wait=*/false);
    if (!crash) {
      summary.busy.push_back(name);
      continue;
    }
    auto meta = (*crash)->read_meta();
    if (!meta) {
      spool.log(name + ": " + meta.error().message);
      summary.failed.push_back(name);
      continue;
    }
    if (meta->state == CrashState::kAnalysed || meta->state == CrashState::kFailed) continue;
    if (meta->state == CrashState::kCapturing) {
      // The handler died while the core came in: what was stored is kept.
      meta->truncated = true;
      meta->truncated_why = "the capture did not finish (the handler died)";
      meta->state = CrashState::kPending;
      (void)(*crash)->write_meta(*meta);
    }
    CrashState state = analyse_crash(spool, **crash, rules, config);
    (state == CrashState::kAnalysed ? summary.analysed : summary.failed).push_back(name);
  }
  return summary;
}

}  // namespace triage::online
