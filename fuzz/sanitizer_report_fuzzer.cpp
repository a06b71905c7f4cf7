// libFuzzer harness for a target's stderr, which holds whatever the crash
// input made the program print. The input is the stderr text and goes the
// way triage-run takes it: find_sanitizer_report(), then the report of a
// run without a core (report_of_run: the class looked up, the sanitizer's
// frames symbolized through a module cache), written as .casrep JSON and
// read back as triage-dedup and triage-cluster read it (parse_report_stack),
// and the crash stack of both.
//
//   sanitizer_report_fuzzer CORPUS_DIR [SEED_DIR...] -max_total_time=600
//
// Properties: no exception escapes; finding a report is deterministic; a
// report's lines are lines of the input; the report triage-run writes is
// readable by the cluster tools and, when its text survives JSON unchanged,
// gives them the crash stack triage-run computed; every stack key is
// non-empty.
#include <csignal>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "triage/analyze/core_analyzer.h"
#include "triage/analyze/run_report.h"
#include "triage/classify/sanitizer_report.h"
#include "triage/report/stack_reader.h"
#include "triage/signature/crash_stack.h"

namespace {

using triage_fuzz::broken;

// Frames the cluster tools read of a report (report_set.cpp's kFramesRead).
constexpr size_t kFramesRead = 128;
// Module paths come from the input: start afresh past this many.
constexpr size_t kMaxCachedModules = 64;

triage::CoreAnalyzer& analyzer(bool reset = false) {
  static std::unique_ptr<triage::CoreAnalyzer> instance;
  if (!instance || reset) {
    instance.reset();
    instance = std::make_unique<triage::CoreAnalyzer>(triage_fuzz::rules(), triage::AnalysisOptions{});
  }
  return *instance;
}

bool same_frames(const std::vector<triage::report::Frame>& a, const std::vector<triage::report::Frame>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].address != b[i].address || a[i].module != b[i].module ||
        a[i].module_offset != b[i].module_offset || a[i].function != b[i].function ||
        a[i].file != b[i].file || a[i].line != b[i].line || a[i].column != b[i].column) {
      return false;
    }
  }
  return true;
}

bool same_report(const triage::SanitizerReport& a, const triage::SanitizerReport& b) {
  return a.tool == b.tool && a.report_key == b.report_key && a.lines == b.lines && a.message == b.message &&
         a.class_name == b.class_name && a.signal_only == b.signal_only && a.summary == b.summary &&
         same_frames(a.frames, b.frames);
}

void check_keys(const triage::CrashStack& stack, const char* where) {
  for (const std::string& key : stack.frames) {
    if (key.empty()) broken(std::string("an empty frame key in the crash stack ") + where);
  }
  for (const std::string& caller : stack.callers) {
    if (caller.empty()) broken(std::string("an empty caller in the crash stack ") + where);
  }
  if (stack.frames.size() > triage::kMaxSignatureFrames) broken("more frames than a signature keeps");
  if (stack.frames.empty() != stack.crash_site.empty()) broken("frames without a crash site, or a site without frames");
}

void test_one(std::string_view text) {
  auto found = triage::find_sanitizer_report(text);
  auto again = triage::find_sanitizer_report(text);
  if (found.has_value() != again.has_value() || (found && !same_report(*found, *again))) {
    broken("find_sanitizer_report differs on the same text");
  }
  if (!found) return;
  const triage::SanitizerReport& sanitizer = *found;
  if (sanitizer.lines.empty()) broken("a report without lines");
  if (sanitizer.report_key != "AsanReport" && sanitizer.report_key != "UbsanReport" &&
      sanitizer.report_key != "MsanReport") {
    broken("a report key CASR does not have: " + sanitizer.report_key);
  }
  for (const std::string& line : sanitizer.lines) {
    if (text.find(line) == std::string_view::npos) broken("a report line that is not in the text: " + line);
  }

  // A crash without a core, as triage-run reports it.
  const triage::Rules& rules = triage_fuzz::rules();
  triage::RunEvidence evidence;
  evidence.core_problem = "fuzzing";
  evidence.executable = "/nonexistent/target";
  evidence.command = {"/nonexistent/target", "input"};
  evidence.signal = SIGABRT;
  evidence.stderr_text = std::string(text);
  evidence.sanitizer = sanitizer;
  auto report = triage::report_of_run(analyzer(), rules, evidence);
  if (!report) broken("no report for a run without a core: " + report.error().message);
  if (report->threads.size() != 1 || !report->threads.front().crashed) broken("not one crashed thread");
  const triage::CrashStack direct = triage::crash_stack_of(*report, rules.classes, rules.frame_filter);
  check_keys(direct, "triage-run computes");

  const std::string json = triage::report::to_json_text(*report);
  auto reread = triage::report::parse_report_stack(json, kFramesRead);
  if (!reread) broken("the cluster tools cannot read the report triage-run wrote: " + reread.error().message);
  const triage::CrashStack from_file = triage::crash_stack_of(*reread, rules.classes, rules.frame_filter);
  check_keys(from_file, "read back");
  if (triage_fuzz::is_utf8(text) && report->threads.front().frames.size() <= kFramesRead &&
      (direct.signature() != from_file.signature() || direct.crash_site != from_file.crash_site ||
       direct.callers != from_file.callers)) {
    broken("the written report gives the cluster tools another crash stack than triage-run's");
  }
  if (analyzer().module_cache().loaded_count() > kMaxCachedModules) analyzer(true);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  triage_fuzz::rules();
  analyzer();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    test_one(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const std::exception& e) {
    broken(std::string("an exception escaped: ") + e.what());
  }
  return 0;
}
