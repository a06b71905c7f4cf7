#include "triage/analyze/core_analyzer.h"

#include <sys/stat.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <fstream>

#include "triage/analyze/abort_message.h"
#include "triage/analyze/signal_names.h"
#include "triage/arch/disassembler.h"
#include "triage/classify/classifier.h"
#include "triage/symbols/address_space.h"
#include "triage/unwind/unwinder.h"

namespace triage {
namespace {

constexpr uint64_t kMaxSourceFileBytes = 16 << 20;
constexpr int kSigAbrt = 6;

std::string hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%" PRIx64, value);
  return text;
}

std::string rfc3339_now() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S%z", &local);
  std::string date = text;
  if (date.size() > 2) date.insert(date.size() - 2, ":");  // +0100 -> +01:00
  return date;
}


// Lines around the crash line, gdb `list` style, "--->" on the crash line.
std::vector<std::string> source_snippet(const std::string& path, int line, int context) {
  std::vector<std::string> snippet;
  struct stat st {};
  if (path.empty() || line <= 0 || stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<uint64_t>(st.st_size) > kMaxSourceFileBytes)
    return snippet;
  std::ifstream in(path);
  std::string text;
  for (int number = 1; std::getline(in, text) && number <= line + context; ++number) {
    if (number < line - context) continue;
    char prefix[32];
    std::snprintf(prefix, sizeof prefix, "%s%-6d", number == line ? "--->" : "    ", number);
    snippet.push_back(prefix + text);
  }
  return snippet;
}

std::vector<std::string> proc_maps(std::span<const FileMapping> mappings) {
  std::vector<std::string> lines;
  for (const FileMapping& mapping : mappings) {
    char text[128];
    std::snprintf(text, sizeof text, "%#18" PRIx64 " %#18" PRIx64 " %#10" PRIx64 " %#10" PRIx64 " ", mapping.start,
                  mapping.end, mapping.end - mapping.start, mapping.file_offset);
    lines.push_back(text + mapping.path);
  }
  return lines;
}

std::vector<std::string> disassembly(const ProcessSnapshot& snapshot, const Memory& memory, size_t count,
                                     std::vector<std::string>& warnings) {
  const ThreadSnapshot& thread = snapshot.crashing_thread();
  uint64_t pc = thread.registers[snapshot.arch->pc];
  auto disassembler =
      Disassembler::create(*snapshot.arch, instruction_mode(*snapshot.arch, thread.registers));
  if (!disassembler) {
    warnings.push_back("no disassembly: " + disassembler.error().message);
    return {};
  }
  std::vector<std::string> lines;
  for (const Instruction& instruction : (*disassembler)->disassemble(memory, pc, count)) {
    lines.push_back((instruction.address == pc ? "==> " : "    ") + hex(instruction.address) + ": " +
                    instruction.text());
  }
  if (lines.empty()) {
    // Say so where the instruction would be, as gdb does: an unreadable pc
    // is itself the finding (a jump to a wild address).
    lines.push_back("==> " + hex(pc) + ": cannot read memory at " + hex(pc));
    warnings.push_back("no disassembly: the memory at pc " + hex(pc) + " is not readable");
  }
  return lines;
}

}  // namespace

report::Frame to_report_frame(const Frame& frame) {
  report::Frame out;
  out.address = frame.pc;
  out.module = frame.module;
  out.module_offset = frame.module_offset;
  out.function = frame.function;
  out.function_offset = frame.function_offset;
  out.file = frame.file;
  out.line = frame.line;
  out.column = frame.column;
  out.inlined = frame.inlined;
  out.found_by = to_string(frame.trust);
  out.module_mismatch = frame.module_mismatch;
  return out;
}

CoreAnalyzer::CoreAnalyzer(const Rules& rules, AnalysisOptions options)
    : rules_(rules), options_(std::move(options)), cache_(std::make_unique<ModuleCache>(options_.search)) {}

CoreAnalyzer::~CoreAnalyzer() = default;

Result<report::Report> CoreAnalyzer::analyze_file(const std::string& core_path) const {
  auto snapshot = load_elf_core(core_path);
  if (!snapshot) return snapshot.error();
  return analyze(*snapshot, core_path);
}

report::Report CoreAnalyzer::analyze(const ProcessSnapshot& snapshot, const std::string& core_path) const {
  report::Report report;
  report.warnings = snapshot.warnings;
  auto wants_source = [&](const std::string& module_path) {
    Frame probe;
    probe.module = module_path;
    return options_.system_sources || !rules_.frame_filter.skips(probe);
  };
  AddressSpace space(snapshot, *cache_, options_.executable, wants_source, report.warnings);

  // Unwind and symbolize every thread; the crashing one is first.
  std::vector<Frame> crashing;
  size_t budget = options_.frame_budget;
  size_t threads_cut = 0;
  for (size_t i = 0; i < snapshot.threads.size(); ++i) {
    const ThreadSnapshot& thread = snapshot.threads[i];
    UnwindLimits limits = options_.unwind;
    if (i > 0) limits.max_frames = std::max<size_t>(1, std::min(options_.max_frames_other_threads, budget));
    if (i > 0 && budget == 0) ++threads_cut;
    ThreadStack stack = unwind_thread(thread, snapshot, space, limits);
    budget -= std::min(budget, stack.frames.size());
    std::vector<Frame> frames = space.symbolize(stack.frames);
    report::Thread out;
    out.tid = thread.tid;
    out.crashed = i == 0;
    out.truncated = stack.truncated;
    for (const Frame& frame : frames) out.frames.push_back(to_report_frame(frame));
    if (i == 0 && stack.truncated)
      report.warnings.push_back("the crashing thread's stack has more than " +
                                std::to_string(options_.unwind.max_frames) + " frames; only the innermost are shown");
    if (i == 0 && !stack.stop_reason.empty())
      report.warnings.push_back("unwinding the crashing thread stopped early: " + stack.stop_reason);
    report.threads.push_back(std::move(out));
    if (i == 0) crashing = std::move(frames);
  }
  if (threads_cut > 0)
    report.warnings.push_back(std::to_string(threads_cut) + " of " + std::to_string(snapshot.threads.size()) +
                              " threads show only their innermost frame: the core's frame budget of " +
                              std::to_string(options_.frame_budget) + " frames was spent");
  if (auto message = read_abort_message(space, snapshot.arch->word_size)) {
    report.abort_message = std::move(*message);
  } else if (snapshot.signal.number == kSigAbrt) {
    // No libc here to say where __abort_msg is (a core from elsewhere).
    if (auto found = find_abort_message_in_memory(snapshot, space)) {
      report.abort_message = std::move(*found);
      report.warnings.push_back(
          "the abort message was found in the core's anonymous memory (glibc's abort_msg_s), not "
          "through __abort_msg: no libc file matching the core defines it");
    }
  }

  Classification classification =
      classify({snapshot, space.memory(), crashing, report.abort_message}, rules_.classes);
  const ClassInfo* info = rules_.classes.find(classification.class_name);
  if (info) {
    report.severity = {info->type, info->name, info->description, info->explanation};
  } else {
    report.severity.short_description = classification.class_name;
    report.warnings.push_back("class " + classification.class_name + " is not in the class table");
  }
  if (!classification.short_description.empty()) report.severity.short_description = classification.short_description;
  for (const std::string& note : classification.notes) report.warnings.push_back(note);

  for (size_t i = 0; i < crashing.size(); ++i)
    report.stacktrace.push_back(report::gdb_frame_line(i, report.threads.front().frames[i]));
  if (const Frame* frame = first_kept_frame(crashing, rules_.frame_filter)) {
    report.crash_line = crash_line_of(*frame);
    report.source = source_snippet(frame->file, frame->line, options_.source_context);
  } else if (!crashing.empty()) {
    report.crash_line = crash_line_of(crashing.front());
  }

  const ThreadSnapshot& thread = snapshot.crashing_thread();
  for (size_t i = 0; i < snapshot.arch->register_names.size(); ++i)
    report.registers.emplace_back(std::string(snapshot.arch->register_names[i]), thread.registers[i]);
  report.disassembly = disassembly(snapshot, space.memory(), options_.disassembly_count, report.warnings);
  report.proc_maps = proc_maps(space.file_mappings());
  report.proc_cmdline = snapshot.process.arguments;
  report.executable_path = !options_.executable.empty() ? options_.executable : snapshot.executable_path;
  report.date = rfc3339_now();
  report.architecture = std::string(snapshot.arch->name);
  report.pid = snapshot.process.pid;

  report::Signal signal;
  signal.number = snapshot.signal.number;
  signal.name = signal_name(signal.number);
  signal.code = snapshot.signal.code;
  signal.code_name = snapshot.signal.from_siginfo ? signal_code_name(signal.number, signal.code) : "";
  signal.fault_address = classification.fault_address_derived ? classification.fault_address
                                                              : snapshot.signal.fault_address;
  signal.fault_address_derived = classification.fault_address_derived;
  report.signal = signal;

  for (const ProcessModule& module : space.modules()) {
    report::Module out;
    out.path = module.path;
    out.start = module.start;
    out.end = module.end;
    out.build_id = module.core_build_id;
    if (module.file) {
      out.file_path = module.file->path();
      out.file_build_id = module.file->build_id();
    }
    out.mismatch = module.mismatch;
    report.modules.push_back(std::move(out));
  }
  report.core_path = core_path;
  report.tool_version = TRIAGE_VERSION;
  return report;
}

}  // namespace triage
