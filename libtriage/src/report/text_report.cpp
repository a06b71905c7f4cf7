// The report a person reads at a terminal: what crashed and how bad it looks
// first, then where (crash line, source, stack), then the detail (other
// threads, registers, disassembly, suspect modules) and the notes.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <sstream>
#include <string>
#include <string_view>

#include "triage/report/report.h"
#include "triage/unwind/frame.h"

namespace triage::report {
namespace {

constexpr size_t kWidth = 80;
constexpr size_t kOtherThreadFrames = 5;

// ANSI styles, used only when the caller asks for color.
constexpr std::string_view kReset = "\x1b[0m";
constexpr std::string_view kBold = "\x1b[1m";
constexpr std::string_view kRed = "\x1b[1;31m";
constexpr std::string_view kYellow = "\x1b[1;33m";
constexpr std::string_view kGreen = "\x1b[1;32m";
constexpr std::string_view kDim = "\x1b[2m";

class Writer {
 public:
  explicit Writer(bool color) : color_(color) {}

  std::string styled(std::string_view style, std::string_view text) const {
    if (!color_ || text.empty()) return std::string(text);
    std::string out(style);
    out += text;
    out += kReset;
    return out;
  }

  void line(std::string_view text = {}) {
    out_ << text << '\n';
  }

  void heading(std::string_view title) {
    out_ << '\n' << styled(kBold, title) << '\n';
  }

  // Words of `text` filled into lines of at most kWidth columns, each
  // starting with `indent`. Existing line breaks are kept.
  void wrapped(std::string_view text, std::string_view indent) {
    std::istringstream paragraphs{std::string(text)};
    std::string paragraph;
    while (std::getline(paragraphs, paragraph)) {
      std::istringstream words(paragraph);
      std::string word;
      std::string current(indent);
      bool empty = true;
      while (words >> word) {
        if (!empty && current.size() + 1 + word.size() > kWidth) {
          line(current);
          current = std::string(indent);
          empty = true;
        }
        if (!empty) current += ' ';
        current += word;
        empty = false;
      }
      if (!empty) line(current);
    }
  }

  std::string str() const { return out_.str(); }

 private:
  bool color_;
  std::ostringstream out_;
};

std::string hex(uint64_t value, int width = 0) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "0x%0*" PRIx64, width, value);
  return buffer;
}

std::string_view base_name(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view severity_style(std::string_view type) {
  if (type == "EXPLOITABLE") return kRed;
  if (type == "PROBABLY_EXPLOITABLE") return kYellow;
  if (type == "NOT_EXPLOITABLE") return kGreen;
  return kBold;
}

// Where a frame is, for a reader: source position, else module+offset.
std::string frame_location(const Frame& frame) {
  if (!frame.file.empty() && frame.line > 0) {
    std::string location = frame.file + ":" + std::to_string(frame.line);
    if (frame.column > 0) location += ":" + std::to_string(frame.column);
    return location;
  }
  if (!frame.module.empty()) {
    return std::string(base_name(frame.module)) + "+" + hex(frame.module_offset);
  }
  return {};
}

int address_width(const std::vector<Frame>& frames) {
  for (const Frame& frame : frames) {
    if (frame.address > 0xffffffffu) return 16;
  }
  return 8;
}

std::string frame_row(const Writer& w, size_t index, const Frame& frame, int width) {
  std::string row = "  #" + std::to_string(index);
  row.resize(std::max<size_t>(row.size() + 1, 6), ' ');
  row += frame.inlined ? std::string(2 + width, ' ') + " "
                       : hex(frame.address, width) + " ";
  const std::string function = function_without_parameters(frame.function);
  row += function.empty() ? "??" : function;
  if (const std::string location = frame_location(frame); !location.empty()) {
    row += "  " + w.styled(kDim, location);
  }
  std::string tags;
  if (frame.inlined) tags += " [inlined]";
  if (frame.found_by == "scan") tags += " [found by stack scan: may be spurious]";
  if (frame.found_by == "fp") tags += " [found by frame pointer]";
  if (frame.module_mismatch) tags += " [module build-id mismatch]";
  return row + tags;
}

void write_header(Writer& w, const Report& report) {
  const Severity& severity = report.severity;
  std::string header =
      w.styled(severity_style(severity.type), severity.type.empty() ? "UNCLASSIFIED" : severity.type);
  if (!severity.short_description.empty()) {
    header += "  " + w.styled(kBold, severity.short_description);
  }
  if (report.signal) {
    const Signal& signal = *report.signal;
    header += "  ";
    header += signal.name.empty() ? "signal " + std::to_string(signal.number) : signal.name;
    if (!signal.code_name.empty()) header += " (" + signal.code_name + ")";
    if (signal.fault_address) {
      header += " at " + hex(*signal.fault_address);
      if (signal.fault_address_derived) header += " (derived from the instruction)";
    }
  }
  w.line(header);
  if (!severity.description.empty()) w.wrapped(severity.description, "  ");
  if (!severity.explanation.empty()) {
    w.line();
    w.wrapped(severity.explanation, "  ");
  }
}

void write_identity(Writer& w, const Report& report) {
  w.line();
  if (!report.crash_line.empty()) {
    w.line(w.styled(kBold, "Crash line: ") + report.crash_line);
  }
  if (!report.abort_message.empty()) w.line(w.styled(kBold, "Message:    ") + report.abort_message);
  if (!report.executable_path.empty()) w.line("Executable: " + report.executable_path);
  if (!report.proc_cmdline.empty()) w.line("Command:    " + report.proc_cmdline);
  std::string process;
  if (report.pid != 0) process += "pid " + std::to_string(report.pid);
  if (!report.architecture.empty()) {
    process += (process.empty() ? "" : ", ") + report.architecture;
  }
  if (!report.date.empty()) process += (process.empty() ? "" : ", ") + report.date;
  if (!process.empty()) w.line("Process:    " + process);
  if (!report.core_path.empty()) w.line("Core:       " + report.core_path);
}

const Thread* crashing_thread(const Report& report) {
  for (const Thread& thread : report.threads) {
    if (thread.crashed) return &thread;
  }
  return report.threads.empty() ? nullptr : &report.threads.front();
}

void write_stack(Writer& w, const Report& report, const TextOptions& options) {
  const Thread* crashed = crashing_thread(report);
  if (crashed == nullptr) {
    // A report from elsewhere (CASR) has only the gdb lines.
    if (report.stacktrace.empty()) return;
    w.heading("Stack of the crashing thread");
    const size_t shown = std::min(report.stacktrace.size(), options.max_frames);
    for (size_t i = 0; i < shown; ++i) w.line("  " + report.stacktrace[i]);
    if (shown < report.stacktrace.size()) {
      w.line("  ... " + std::to_string(report.stacktrace.size() - shown) + " more frames");
    }
    return;
  }
  w.heading("Stack of the crashing thread (tid " + std::to_string(crashed->tid) + ")");
  const int width = address_width(crashed->frames);
  const size_t shown = std::min(crashed->frames.size(), options.max_frames);
  for (size_t i = 0; i < shown; ++i) w.line(frame_row(w, i, crashed->frames[i], width));
  if (shown < crashed->frames.size()) {
    w.line("  ... " + std::to_string(crashed->frames.size() - shown) + " more frames");
  }
  if (crashed->truncated) w.line("  (unwinding stopped at the frame limit)");
  if (crashed->frames.empty()) w.line("  (no frames)");

  if (!options.all_threads) return;
  for (const Thread& thread : report.threads) {
    if (&thread == crashed) continue;
    w.heading("Thread " + std::to_string(thread.tid));
    const int thread_width = address_width(thread.frames);
    const size_t count = std::min(thread.frames.size(), kOtherThreadFrames);
    for (size_t i = 0; i < count; ++i) w.line(frame_row(w, i, thread.frames[i], thread_width));
    if (count < thread.frames.size()) {
      w.line("  ... " + std::to_string(thread.frames.size() - count) + " more frames");
    }
    if (thread.frames.empty()) w.line("  (no frames)");
  }
}

void write_registers(Writer& w, const Report& report) {
  if (report.registers.empty()) return;
  w.heading("Registers");
  size_t name_width = 0;
  bool wide = false;
  for (const auto& [name, value] : report.registers) {
    name_width = std::max(name_width, name.size());
    wide = wide || value > 0xffffffffu;
  }
  const int digits = wide ? 16 : 8;
  const size_t cell = name_width + 1 + 2 + digits + 3;
  const size_t columns = std::max<size_t>(1, (kWidth - 2) / cell);
  std::string row = "  ";
  size_t in_row = 0;
  for (const auto& [name, value] : report.registers) {
    std::string entry = name;
    entry.resize(name_width + 1, ' ');
    entry += hex(value, digits);
    if (++in_row < columns) entry.resize(cell, ' ');
    row += entry;
    if (in_row == columns) {
      w.line(row);
      row = "  ";
      in_row = 0;
    }
  }
  if (in_row > 0) {
    row.erase(row.find_last_not_of(' ') + 1);
    w.line(row);
  }
}

void write_lines(Writer& w, std::string_view title, const std::vector<std::string>& lines) {
  if (lines.empty()) return;
  w.heading(title);
  for (const std::string& line : lines) {
    std::string_view text = line;
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    w.line("  " + std::string(text));
  }
}

void write_mismatched_modules(Writer& w, const Report& report) {
  bool any = false;
  for (const Module& module : report.modules) {
    if (!module.mismatch) continue;
    if (!any) {
      w.heading("Modules whose file on disk differs from the core (symbols are suspect)");
      any = true;
    }
    w.line("  " + module.path);
    w.line("    in the core: build-id " + (module.build_id.empty() ? "unknown" : module.build_id));
    w.line("    on disk:     " + (module.file_path.empty() ? "?" : module.file_path) +
           " build-id " + (module.file_build_id.empty() ? "unknown" : module.file_build_id));
  }
}

void write_notes(Writer& w, const Report& report) {
  if (report.warnings.empty()) return;
  w.heading("Notes");
  for (const std::string& warning : report.warnings) {
    std::string_view text = warning;
    // The first line carries the bullet; wrapped lines line up under it.
    Writer item(false);
    item.wrapped(text, "    ");
    std::string body = item.str();
    if (body.size() >= 4) body.replace(0, 4, "  - ");
    for (size_t start = 0; start < body.size();) {
      const size_t end = body.find('\n', start);
      w.line(std::string_view(body).substr(start, end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
}

}  // namespace

std::string to_text(const Report& report, const TextOptions& options) {
  Writer w(options.color);
  write_header(w, report);
  write_identity(w, report);
  write_lines(w, "Source", report.source);
  write_stack(w, report, options);
  write_registers(w, report);
  write_lines(w, "Disassembly", report.disassembly);
  write_mismatched_modules(w, report);
  write_notes(w, report);
  return w.str();
}

}  // namespace triage::report
