// Finding and reading sanitizer reports. One pass over the lines finds the
// first report's first line; the report runs to its SUMMARY line. The class
// comes from the bug type (the SUMMARY line's, else the first line's), the
// access the report names ("WRITE of size 4", "The signal is caused by a READ
// memory access") and, for signals, the fault address and pc. CASR's rules,
// which these follow: libcasr's AsanContext::severity and
// ExecutionClass::san_find, and UbsanWarning::severity.
#include "triage/classify/sanitizer_report.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <utility>

#include "triage/report/frame_lines.h"

namespace triage {
namespace {

constexpr uint64_t kNearNullLimit = 64 * 1024;  // as the core classifier and CASR

constexpr std::string_view kAsan = "AddressSanitizer";
constexpr std::string_view kLsan = "LeakSanitizer";
constexpr std::string_view kMsan = "MemorySanitizer";
constexpr std::string_view kUbsan = "UndefinedBehaviorSanitizer";
constexpr std::string_view kLibFuzzer = "libFuzzer";
constexpr std::string_view kRuntimeError = ": runtime error: ";

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim_left(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  return text;
}

std::string_view trim_right(std::string_view text) {
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

std::string_view first_word(std::string_view text) {
  text = trim_left(text);
  size_t end = 0;
  while (end < text.size() && !is_blank(text[end])) ++end;
  return text.substr(0, end);
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    lines.push_back(trim_right(line));
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
  return lines;
}

// "0x1f" at the start of text.
std::optional<uint64_t> hex_at(std::string_view text) {
  if (!text.starts_with("0x")) return std::nullopt;
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data() + 2, text.data() + text.size(), value, 16);
  if (error != std::errc() || end == text.data() + 2) return std::nullopt;
  return value;
}

// The hex number after `label` in text ("address 0x10" -> 0x10).
std::optional<uint64_t> hex_after(std::string_view text, std::string_view label) {
  size_t at = text.find(label);
  if (at == std::string_view::npos) return std::nullopt;
  return hex_at(text.substr(at + label.size()));
}

// Where a report begins and what its first line says.
struct Start {
  std::string_view tool;
  size_t column = 0;  // where the report's text begins in its line
  std::string_view message;
  bool runtime_error = false;  // UBSan's "file:line:col: runtime error: ..."
};

// "==123==ERROR: AddressSanitizer: ...", "==123==WARNING: MemorySanitizer:
// ...", "==123== ERROR: libFuzzer: ..." anywhere in the line (the program's
// own output may precede it without a newline); or UBSan's runtime error.
std::optional<Start> report_start(std::string_view line) {
  static constexpr std::array<std::string_view, 5> kTools = {kAsan, kLsan, kMsan, kUbsan,
                                                            kLibFuzzer};
  for (size_t from = line.find("=="); from != std::string_view::npos;
       from = line.find("==", from + 1)) {
    size_t digits = from + 2;
    while (digits < line.size() && is_digit(line[digits])) ++digits;
    if (digits == from + 2 || line.substr(digits, 2) != "==") continue;
    std::string_view rest = line.substr(digits + 2);
    while (rest.starts_with(' ')) rest.remove_prefix(1);
    bool warning = rest.starts_with("WARNING: ");
    if (rest.starts_with("ERROR: ")) {
      rest.remove_prefix(7);
    } else if (warning) {
      rest.remove_prefix(9);
    } else {
      continue;
    }
    for (std::string_view tool : kTools) {
      // Only MemorySanitizer reports its errors as warnings; others warn of
      // trouble of their own ("AddressSanitizer failed to allocate ...").
      if (rest.starts_with(tool) && rest.substr(tool.size()).starts_with(": ") &&
          (!warning || tool == kMsan)) {
        return Start{tool, from, trim_left(rest.substr(tool.size() + 2)), false};
      }
    }
  }
  if (size_t at = line.find(kRuntimeError); at != std::string_view::npos && at > 0) {
    return Start{kUbsan, 0, line.substr(at + kRuntimeError.size()), true};
  }
  return std::nullopt;
}

bool is_frame_line(std::string_view line) {
  line = trim_left(line);
  return line.size() > 1 && line[0] == '#' && is_digit(line[1]);
}

// "==123==ABORTING": a sanitizer's last word, after its SUMMARY.
bool is_aborting(std::string_view line) {
  return line.starts_with("==") && line.ends_with("==ABORTING");
}

// A UBSan runtime error printed without a SUMMARY line (print_summary=0, or
// the text ends): its line, any notes, and its stack if one follows soon.
size_t ubsan_end_without_summary(const std::vector<std::string_view>& lines, size_t start,
                                 size_t limit) {
  constexpr size_t kMaxNoteLines = 8;
  for (size_t i = start + 1; i < limit && i <= start + kMaxNoteLines; ++i) {
    if (!is_frame_line(lines[i])) continue;
    while (i < limit && is_frame_line(lines[i])) ++i;
    return i;
  }
  return start + 1;
}

// ---- Classes. ----

// Bug types with (read) and (write) classes.
bool has_access_variants(std::string_view type) {
  static constexpr std::array<std::string_view, 8> kTypes = {
      "heap-buffer-overflow",   "heap-use-after-free",    "stack-buffer-overflow",
      "stack-buffer-underflow", "global-buffer-overflow", "stack-use-after-return",
      "stack-use-after-scope",  "container-overflow"};
  for (std::string_view known : kTypes) {
    if (type == known) return true;
  }
  return false;
}

// The bug type from a first line, for reports cut off before their SUMMARY.
// Most first lines start with it; the allocator's errors say it in words.
std::string bug_type_from_message(std::string_view message) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 11> kPhrases = {{
      {"attempting double-free", "double-free"},
      {"attempting free on address which was not malloc()-ed", "bad-free"},
      {"attempting to call malloc_usable_size()", "bad-malloc_usable_size"},
      {"requested allocation size", "allocation-size-too-big"},
      {"allocator is out of memory", "out-of-memory"},
      {"out of memory", "out-of-memory"},
      {"calloc parameters overflow", "calloc-overflow"},
      {"reallocarray parameters overflow", "reallocarray-overflow"},
      {"pvalloc parameters overflow", "pvalloc-overflow"},
      {"invalid alignment requested in aligned_alloc", "invalid-aligned-alloc-alignment"},
      {"invalid alignment requested in posix_memalign", "invalid-posix-memalign-alignment"},
  }};
  for (auto [phrase, type] : kPhrases) {
    if (message.starts_with(phrase)) return std::string(type);
  }
  if (message.starts_with("invalid allocation alignment")) return "invalid-allocation-alignment";
  if (message.starts_with("hard rss limit exhausted")) return "rss-limit-exceeded";
  std::string_view word = first_word(message);
  if (word.ends_with(':')) word.remove_suffix(1);  // "memcpy-param-overlap: memory ranges ..."
  return std::string(word);
}

// The access a memory error report names on the lines before its stack:
// "READ", "WRITE", "UNKNOWN" or empty.
std::string_view access_of(const std::vector<std::string>& lines) {
  constexpr std::string_view kSignalAccess = "The signal is caused by a ";
  for (size_t i = 1; i < lines.size() && !is_frame_line(lines[i]); ++i) {
    std::string_view line = trim_left(lines[i]);
    if (line.starts_with("READ of size")) return "READ";
    if (line.starts_with("WRITE of size")) return "WRITE";
    if (size_t at = line.find(kSignalAccess); at != std::string_view::npos) {
      return first_word(line.substr(at + kSignalAccess.size()));
    }
  }
  return {};
}

bool has_hint(const std::vector<std::string>& lines, std::string_view hint) {
  for (size_t i = 1; i < lines.size() && !is_frame_line(lines[i]); ++i) {
    if (lines[i].find(hint) != std::string::npos) return true;
  }
  return false;
}

// A memory fault relayed by a sanitizer (SEGV, BUS), as the core classifier
// would name it from the same facts.
std::string memory_fault_class(const SanitizerReport& report) {
  // A general protection fault (a non-canonical address) has no fault address
  // and no direction: the sanitizer says so with this hint, and prints READ
  // whatever the instruction did.
  if (has_hint(report.lines, "dereference of a high value address")) return "AccessViolation";
  std::optional<uint64_t> address = hex_after(report.message, "address ");
  std::optional<uint64_t> pc = hex_after(report.message, "(pc ");
  bool near_null = address && *address < kNearNullLimit;
  if (address && pc && *address == *pc) return near_null ? "SegFaultOnPcNearNull" : "SegFaultOnPc";
  std::string_view access = access_of(report.lines);
  if (access == "READ") return near_null ? "SourceAvNearNull" : "SourceAv";
  if (access == "WRITE") return near_null ? "DestAvNearNull" : "DestAv";
  return "AccessViolation";
}

// ASan, LSan, MSan and UBSan reports that begin "==PID==ERROR: <tool>: ".
void classify_error(SanitizerReport& report) {
  if (report.tool == kLsan) {
    report.class_name = "memory-leaks";
    return;
  }
  std::string type;
  if (!report.summary.empty()) {
    std::string_view summary = report.summary;
    size_t colon = summary.find(": ");
    type = std::string(first_word(colon == std::string_view::npos ? summary : summary.substr(colon + 2)));
  } else {
    type = bug_type_from_message(report.message);
  }
  report.signal_only = true;
  if (type == "SEGV" || type == "BUS") {
    report.class_name = memory_fault_class(report);
  } else if (type == "stack-overflow") {
    report.class_name = "StackOverflow";
  } else if (type == "FPE") {
    report.class_name = "FPE";
  } else if (type == "ILL") {
    report.class_name = "BadInstruction";
  } else if (type == "ABRT" || type == "UNKNOWN") {  // "UNKNOWN SIGNAL"
    report.class_name = "AbortSignal";
  } else {
    report.signal_only = false;
    if (type == "dynamic-stack-buffer-overflow") type = "stack-buffer-overflow";  // alloca, VLAs
    if (type.ends_with("-param-overlap")) type = "param-overlap";  // memcpy-, strcpy-, ...
    if (type == "rss-limit-exceeded") type = "out-of-memory";
    if (has_access_variants(type)) {
      std::string_view access = access_of(report.lines);
      if (access == "READ") type += "(read)";
      if (access == "WRITE") type += "(write)";
    }
    report.class_name = std::move(type);
  }
}

void classify_libfuzzer(SanitizerReport& report) {
  std::string_view message = report.message;
  if (message.starts_with("deadly signal")) {
    report.class_name = "AbortSignal";  // as CASR; libFuzzer does not say which signal
    report.signal_only = true;
  } else if (message.starts_with("timeout")) {
    report.class_name = "timeout";
  } else if (message.starts_with("out-of-memory")) {
    report.class_name = "out-of-memory";
  } else if (message.starts_with("fuzz target exited")) {
    report.class_name = "fuzz target exited";
  } else if (message.starts_with("fuzz target overwrites its const input")) {
    report.class_name = "overwrites-const-input";
  } else if (std::string_view summary = report.summary; summary.starts_with("libFuzzer: ")) {
    report.class_name = std::string(summary.substr(11));
  } else {
    report.class_name = std::string(first_word(message));
  }
}

// "... (32-bit, signed) to type ... changed the value to ... (8-bit, unsigned)"
struct IntegerSide {
  bool negative = false;
  int bits = 0;
  bool is_signed = false;
};

std::optional<IntegerSide> integer_side(std::string_view text) {
  IntegerSide side;
  std::string_view value = first_word(text);
  side.negative = value.starts_with('-');
  size_t open = text.find('(');
  if (open == std::string_view::npos) return std::nullopt;
  std::string_view inside = text.substr(open + 1);
  auto [end, error] = std::from_chars(inside.data(), inside.data() + inside.size(), side.bits);
  if (error != std::errc()) return std::nullopt;
  inside.remove_prefix(static_cast<size_t>(end - inside.data()));
  if (!inside.starts_with("-bit, ")) return std::nullopt;
  side.is_signed = inside.substr(6).starts_with("signed");
  return side;
}

// clang's names for implicit conversion checks: a narrower destination is a
// truncation (signed unless both types are unsigned), else a sign change.
std::string implicit_conversion_check(std::string_view message) {
  constexpr std::string_view kOfValue = " of value ";
  constexpr std::string_view kChangedTo = " changed the value to ";
  size_t of_value = message.find(kOfValue);
  size_t changed = message.find(kChangedTo);
  if (of_value == std::string_view::npos || changed == std::string_view::npos || changed < of_value) {
    return "undefined-behavior";
  }
  auto source = integer_side(message.substr(of_value + kOfValue.size()));
  auto destination = integer_side(message.substr(changed + kChangedTo.size()));
  if (!source || !destination) return "undefined-behavior";
  if (destination->bits < source->bits) {
    return source->is_signed || destination->is_signed ? "implicit-signed-integer-truncation"
                                                       : "implicit-unsigned-integer-truncation";
  }
  return "implicit-integer-sign-change";
}

// UBSan's check name for a runtime error message: what report_error_type=1
// would have printed in the SUMMARY line (compiler-rt's ubsan_checks.inc).
std::string ubsan_check_of(std::string_view message) {
  auto starts = [&](std::string_view prefix) { return message.starts_with(prefix); };
  auto has = [&](std::string_view part) { return message.find(part) != std::string_view::npos; };
  if (starts("signed integer overflow")) return "signed-integer-overflow";
  if (starts("unsigned integer overflow")) return "unsigned-integer-overflow";
  if (starts("negation of")) {
    // Only a signed negation gets the advice to cast to unsigned.
    return has("cast to an unsigned type") ? "signed-integer-overflow" : "unsigned-integer-overflow";
  }
  if (starts("division of") && has("by -1 cannot be represented")) return "signed-integer-overflow";
  if (starts("division by zero")) return "integer-divide-by-zero";
  if (starts("shift exponent")) return "invalid-shift-exponent";
  if (starts("left shift of")) return "invalid-shift-base";
  if (starts("index ") && has(" out of bounds for type")) return "out-of-bounds-index";
  if (starts("execution reached an unreachable program point")) return "unreachable-call";
  if (starts("execution reached the end of a value-returning function")) return "missing-return";
  if (starts("variable length array bound evaluates to non-positive value")) {
    return "non-positive-vla-index";
  }
  if (has("is outside the range of representable values of type")) return "float-cast-overflow";
  if (starts("load of value") && has("which is not a valid value for type")) {
    return has("type 'bool'") || has("type '_Bool'") ? "invalid-bool-load" : "invalid-enum-load";
  }
  if (has("null pointer of type")) return "null-pointer-use";  // load of, store to, member access within ...
  if (has("misaligned address")) return "misaligned-pointer-use";
  if (has("with insufficient space for an object of type")) return "insufficient-object-size";
  if (has("which does not point to an object of type")) return "dynamic-type-mismatch";
  if (starts("applying zero offset to null pointer")) return "nullptr-with-offset";
  if (starts("applying non-zero offset to non-null pointer")) return "nullptr-after-nonzero-offset";
  if (starts("applying non-zero offset")) return "nullptr-with-nonzero-offset";
  if (starts("pointer index expression with base") || starts("addition of unsigned offset") ||
      starts("subtraction of unsigned offset")) {
    return "pointer-overflow";
  }
  if (starts("null pointer passed as argument")) return "invalid-null-argument";
  if (starts("null pointer returned from function")) return "invalid-null-return";
  if (starts("implicit conversion from type")) return implicit_conversion_check(message);
  if (starts("call to function") && has("through pointer to incorrect function type")) {
    return "function-type-mismatch";
  }
  if (starts("passing zero to")) return "invalid-builtin-use";
  if (starts("assumption of") && has("byte alignment")) return "alignment-assumption";
  if (starts("control flow integrity check")) return "cfi-bad-type";
  if (starts("invalid ObjC cast")) return "invalid-objc-cast";
  return "undefined-behavior";
}

void classify_ubsan_runtime_error(SanitizerReport& report) {
  // With report_error_type=1 the SUMMARY line names the check; by default it
  // says "undefined-behavior", and the message tells which check it was.
  constexpr std::string_view kPrefix = "UndefinedBehaviorSanitizer: ";
  std::string_view summary = report.summary;
  if (summary.starts_with(kPrefix)) {
    std::string_view check = first_word(summary.substr(kPrefix.size()));
    if (!check.empty() && check != "undefined-behavior") {
      report.class_name = std::string(check);
      return;
    }
  }
  report.class_name = ubsan_check_of(report.message);
}

// "src/parse.c:12:5: runtime error: ..." -> a frame at that place.
std::optional<report::Frame> runtime_error_location(std::string_view line) {
  size_t at = line.find(kRuntimeError);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view location = line.substr(0, at);
  auto number_after = [&](int& value) {
    size_t colon = location.rfind(':');
    if (colon == std::string_view::npos) return false;
    std::string_view digits = location.substr(colon + 1);
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error != std::errc() || end != digits.data() + digits.size()) return false;
    location = location.substr(0, colon);
    return true;
  };
  report::Frame frame;
  int last = 0;
  if (!number_after(last)) return std::nullopt;
  int before = 0;
  if (number_after(before)) {
    frame.line = before;
    frame.column = last;
  } else {
    frame.line = last;
  }
  if (location.empty()) return std::nullopt;
  frame.file = std::string(location);
  return frame;
}

SanitizerReport read_report(const std::vector<std::string_view>& lines, size_t start_index,
                            const Start& start) {
  SanitizerReport report;
  report.tool = std::string(start.tool);
  report.report_key = start.tool == kUbsan ? "UbsanReport" : start.tool == kMsan ? "MsanReport" : "AsanReport";
  report.message = std::string(start.message);

  size_t end = lines.size();
  bool has_summary = false;
  for (size_t i = start_index + 1; i < lines.size(); ++i) {
    std::string_view line = trim_left(lines[i]);
    if (line.starts_with("SUMMARY: ")) {
      report.summary = std::string(line.substr(9));
      end = i + 1;
      has_summary = true;
      break;
    }
    if (report_start(lines[i]) || is_aborting(lines[i])) {
      end = i;
      break;
    }
  }
  if (!has_summary && start.runtime_error) end = ubsan_end_without_summary(lines, start_index, end);
  while (end > start_index + 1 && lines[end - 1].empty()) --end;

  report.lines.reserve(end - start_index);
  report.lines.emplace_back(lines[start_index].substr(start.column));
  for (size_t i = start_index + 1; i < end; ++i) report.lines.emplace_back(lines[i]);

  if (start.runtime_error) {
    classify_ubsan_runtime_error(report);
  } else if (start.tool == kLibFuzzer) {
    classify_libfuzzer(report);
  } else {
    classify_error(report);
  }

  report.frames = report::first_stack_of(report.lines);
  if (report.frames.empty() && start.runtime_error) {
    if (auto frame = runtime_error_location(report.lines.front())) report.frames.push_back(std::move(*frame));
  }
  return report;
}

}  // namespace

std::optional<SanitizerReport> find_sanitizer_report(std::string_view stderr_text) {
  std::vector<std::string_view> lines = split_lines(stderr_text);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (auto start = report_start(lines[i])) return read_report(lines, i, *start);
  }
  return std::nullopt;
}

}  // namespace triage
