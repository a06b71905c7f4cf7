// Sanitizer frames come unsymbolized ("(module+0xoffset)") because the
// runner asks for that: symbolizing them here uses the batch's module cache,
// as the core's frames do.
#include "triage/analyze/run_report.h"

#include <csignal>
#include <cstring>

#include "triage/analyze/signal_names.h"
#include "triage/signature/frame_filter.h"

namespace triage {
namespace {

// A sanitizer's frame with its module and offset, symbolized: one frame per
// inlined call, innermost first. Frames already symbolized stay as they are.
std::vector<Frame> symbolize(const report::Frame& raw, ModuleCache& cache) {
  Frame frame;
  frame.pc = raw.address;
  frame.module = raw.module;
  frame.module_offset = raw.module_offset;
  frame.function = raw.function;
  frame.file = raw.file;
  frame.line = raw.line;
  frame.column = raw.column;
  if (!raw.function.empty() || raw.module.empty()) return {frame};
  auto module = cache.get(raw.module);
  if (!module || module->image().loads.empty()) return {frame};
  // The sanitizer counts from the module's load base, the file's first
  // segment's page.
  const uint64_t file_address = raw.module_offset + (module->image().loads.front().vaddr & ~uint64_t{0xfff});
  std::vector<Frame> frames;
  for (const SymbolLocation& location : module->symbolize(file_address)) {
    Frame symbolized = frame;
    symbolized.function = location.function;
    symbolized.function_offset = location.function_offset;
    symbolized.file = location.file;
    symbolized.line = location.line;
    symbolized.column = location.column;
    symbolized.inlined = location.inlined;
    frames.push_back(std::move(symbolized));
  }
  return frames.empty() ? std::vector<Frame>{frame} : frames;
}

// The class a fatal signal alone gives, for a crash without a core.
const char* class_of_signal(int signal) {
  switch (signal) {
    case SIGABRT: return "AbortSignal";
    case SIGFPE: return "FPE";
    case SIGILL: return "BadInstruction";
    case SIGTRAP: return "TrapSignal";
    case SIGSYS: return "BadSyscall";
    default: return "AccessViolation";
  }
}

void set_severity(report::Report& report, const Rules& rules, const std::string& class_name) {
  if (const ClassInfo* info = rules.classes.find(class_name)) {
    report.severity = {info->type, info->name, info->description, info->explanation};
  } else {
    report.severity = {"NOT_EXPLOITABLE", class_name, "", ""};
    report.warnings.push_back("class " + class_name + " is not in the class table");
  }
}

std::string joined(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words) text += (text.empty() ? "" : " ") + word;
  return text;
}

}  // namespace

Result<report::Report> report_of_run(const CoreAnalyzer& analyzer, const Rules& rules, const RunEvidence& run) {
  report::Report report;
  if (run.core_path) {
    auto analysed = analyzer.analyze_file(*run.core_path);
    if (!analysed) return analysed.error();
    report = std::move(*analysed);
  } else {
    report.executable_path = run.executable;
    report.proc_cmdline = joined(run.command);
    report.warnings.push_back("no core: " + (run.core_problem.empty() ? std::string("none was written")
                                                                       : run.core_problem));
    if (run.signal != 0) {
      report::Signal signal;
      signal.number = run.signal;
      signal.name = signal_name(run.signal);
      report.signal = signal;
      set_severity(report, rules, class_of_signal(run.signal));
      report.warnings.push_back("the class comes from the signal alone (" + signal.name + ")");
    }
  }
  if (!run.stderr_text.empty()) {
    nlohmann::ordered_json lines = nlohmann::ordered_json::array();
    for (size_t begin = 0; begin < run.stderr_text.size();) {
      size_t end = run.stderr_text.find('\n', begin);
      if (end == std::string::npos) end = run.stderr_text.size();
      lines.push_back(run.stderr_text.substr(begin, end - begin));
      begin = end + 1;
    }
    report.other["Stderr"] = std::move(lines);
  }
  if (!run.sanitizer) return report;

  const SanitizerReport& sanitizer = *run.sanitizer;
  report.other[sanitizer.report_key] = sanitizer.lines;
  // The sanitizer's class wins, unless it only relays a signal the core
  // tells more about, or names a class the table does not know.
  const bool core_knows_better = run.core_path && sanitizer.signal_only;
  if (!sanitizer.class_name.empty() && !core_knows_better) {
    if (rules.classes.find(sanitizer.class_name) || !run.core_path) {
      set_severity(report, rules, sanitizer.class_name);
    } else {
      report.warnings.push_back("the sanitizer's class " + sanitizer.class_name +
                                " is not in the class table; the core's class is kept");
    }
  }
  std::vector<Frame> frames;
  for (const report::Frame& raw : sanitizer.frames) {
    for (Frame& frame : symbolize(raw, analyzer.module_cache())) frames.push_back(std::move(frame));
  }
  if (const Frame* kept = first_kept_frame(frames, rules.frame_filter)) report.crash_line = crash_line_of(*kept);
  if (!run.core_path || report.threads.empty()) {
    // The sanitizer's stack is all there is: it is the crashing thread's.
    report::Thread thread;
    thread.crashed = true;
    for (const Frame& frame : frames) thread.frames.push_back(to_report_frame(frame));
    report.stacktrace.clear();
    for (size_t i = 0; i < thread.frames.size(); ++i) report.stacktrace.push_back(report::gdb_frame_line(i, thread.frames[i]));
    report.threads = {std::move(thread)};
  }
  return report;
}

}  // namespace triage
