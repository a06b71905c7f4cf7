// libFuzzer harness for frame lines, gdb's ("#1  0x... in f (a=1) at
// f.c:3") and the sanitizers' ("    #1 0x... in f(int) /src/f.c:3:5"), the
// only stack a CASR report or a sanitizer report has. The input is a list of
// lines: each is read with parse_frame_line(), the list with
// first_stack_of(), and the list as a report's Stacktrace and as its
// AsanReport goes to crash_stack_of(), as the cluster tools take them.
//
//   frame_lines_fuzzer CORPUS_DIR [SEED_DIR...] -max_total_time=600
//
// Properties: no exception escapes; a frame's function, file and module are
// text of its line, its line and column not negative; the first stack is
// frames of the lines, in their order; stack keys are non-empty; a frame
// written back as a gdb line (gdb_frame_line, how our reports' Stacktrace
// is written for CASR) reads back as the same frame, for names as tools
// print them (brackets that pair, no control characters, no " at" or
// " from" of gdb's own).
#include <cctype>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "triage/report/frame_lines.h"
#include "triage/report/report.h"
#include "triage/signature/crash_stack.h"
#include "triage/unwind/frame.h"

namespace {

using triage::report::Frame;
using triage_fuzz::broken;

bool same_frame(const Frame& a, const Frame& b) {
  return a.address == b.address && a.module == b.module && a.module_offset == b.module_offset &&
         a.function == b.function && a.file == b.file && a.line == b.line && a.column == b.column;
}

void check_frame(const Frame& frame, std::string_view line) {
  if (line.find(frame.function) == std::string_view::npos) broken("a function that is not in its line");
  if (line.find(frame.file) == std::string_view::npos) broken("a file that is not in its line");
  if (line.find(frame.module) == std::string_view::npos) broken("a module that is not in its line");
  if (frame.line < 0 || frame.column < 0) broken("a negative line or column");
}

// Whether a name's brackets pair up, as a demangler writes them ("operator<<"
// and "operator->" aside). gdb's lines are only read back for such names: in
// text of no demangler's making a stray bracket may hide where the arguments
// begin.
bool has_paired_brackets(std::string_view name) {
  int parens = 0;
  int angles = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    const bool word_start = i == 0 || !(std::isalnum(static_cast<unsigned char>(name[i - 1])) || name[i - 1] == '_');
    if (word_start && name.substr(i).starts_with("operator")) {
      i += 8;
      while (i < name.size() && std::string_view("<>=-!+*/%^&|~").find(name[i]) != std::string_view::npos) ++i;
      if (i == name.size()) break;
    }
    const char c = name[i];
    if (c == '(') ++parens;
    if (c == ')' && --parens < 0) return false;
    if (c == '<') ++angles;
    if (c == '>' && --angles < 0) return false;
  }
  return parens == 0 && angles == 0;
}

// Control characters (a carriage return the reader trims) are in no name a
// tool prints.
bool has_control_char(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// What a gdb line written from `frame` keeps of it, read back.
void check_gdb_round_trip(const Frame& frame) {
  std::string function = triage::function_without_parameters(frame.function);  // as written
  // gdb's words " at " and " from " end the function part of a line.
  const bool has_gdb_word = function.find(" at") != std::string::npos || function.find(" from") != std::string::npos;
  if (!has_paired_brackets(function) || has_gdb_word || has_control_char(frame.function) ||
      has_control_char(frame.file) || has_control_char(frame.module)) {
    return;
  }
  if (function == "??") function.clear();
  const std::string written = triage::report::gdb_frame_line(3, frame);
  auto read = triage::report::parse_frame_line(written);
  if (!read) broken("our own gdb line does not read back: " + written);
  if (read->address != frame.address || read->function != function) {
    broken("our own gdb line reads back with another pc or function: " + written + " (function " +
           frame.function + ", read back " + read->function + ")");
  }
  if (!frame.file.empty() && frame.line > 0) {
    if (read->file != frame.file || read->line != frame.line || read->column != frame.column) {
      broken("our own gdb line reads back with another source location: " + written);
    }
  } else if (!frame.module.empty() && frame.module.find('(') == std::string::npos && read->module != frame.module) {
    // (A module with a bracket may end in what reads as a sanitizer's
    // "(BuildId: ...)": no module path of a real process does.)
    broken("our own gdb line reads back with another module: " + written);
  }
}

void check_keys(const triage::CrashStack& stack) {
  for (const std::string& key : stack.frames) {
    if (key.empty()) broken("an empty frame key");
  }
  for (const std::string& caller : stack.callers) {
    if (caller.empty()) broken("an empty caller");
  }
  if (stack.frames.empty() != stack.crash_site.empty()) broken("frames without a crash site, or a site without frames");
}

void test_one(std::string_view text) {
  std::vector<std::string> lines;
  for (size_t begin = 0; begin <= text.size();) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    lines.emplace_back(text.substr(begin, end - begin));
    begin = end + 1;
  }

  std::vector<Frame> parsed;
  for (const std::string& line : lines) {
    auto frame = triage::report::parse_frame_line(line);
    auto again = triage::report::parse_frame_line(line);
    if (frame.has_value() != again.has_value() || (frame && !same_frame(*frame, *again))) {
      broken("parse_frame_line differs on the same line");
    }
    if (!frame) continue;
    check_frame(*frame, line);
    check_gdb_round_trip(*frame);
    parsed.push_back(std::move(*frame));
  }

  // The first stack takes frames of the lines in order (a subsequence).
  const std::vector<Frame> stack = triage::report::first_stack_of(lines);
  size_t at = 0;
  for (const Frame& frame : stack) {
    while (at < parsed.size() && !same_frame(parsed[at], frame)) ++at;
    if (at == parsed.size()) broken("first_stack_of gives a frame no line gives, or out of order");
    ++at;
  }

  const triage::Rules& rules = triage_fuzz::rules();
  triage::report::Report casr;
  casr.severity.short_description = "SourceAv";
  casr.stacktrace = lines;
  check_keys(triage::crash_stack_of(casr, rules.classes, rules.frame_filter));
  triage::report::Report asan;
  asan.severity.short_description = "heap-buffer-overflow(read)";
  asan.other["AsanReport"] = lines;
  check_keys(triage::crash_stack_of(asan, rules.classes, rules.frame_filter));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  triage_fuzz::rules();
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
