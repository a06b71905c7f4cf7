// Frame lines of gdb and of the sanitizers, read back into Frames. Both start
// with "#N"; what follows the optional "0x... in " tells them apart only by
// its location part, so each piece is taken from the end of the line.
#include "triage/report/frame_lines.h"

#include <charconv>
#include <utility>

namespace triage::report {
namespace {

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

void trim(std::string_view& text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
}

bool parse_hex(std::string_view text, uint64_t& value) {
  if (text.size() < 3 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) return false;
  text.remove_prefix(2);
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  return error == std::errc() && end == text.data() + text.size();
}

bool parse_int(std::string_view text, int& value) {
  if (text.empty()) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && value >= 0;
}

// "(/lib/libc.so.6+0x29d90)" -> module and offset.
bool parse_module_offset(std::string_view text, Frame& frame) {
  if (text.size() < 5 || text.front() != '(' || text.back() != ')') return false;
  text = text.substr(1, text.size() - 2);
  size_t plus = text.rfind("+0x");
  if (plus == std::string_view::npos || plus == 0) return false;
  uint64_t offset = 0;
  if (!parse_hex(text.substr(plus + 1), offset)) return false;
  frame.module = std::string(text.substr(0, plus));
  frame.module_offset = offset;
  return true;
}

// "file.c:12" or "file.c:12:5" -> file, line, column.
bool parse_source_location(std::string_view text, Frame& frame) {
  size_t last = text.rfind(':');
  if (last == std::string_view::npos || last == 0) return false;
  int line = 0;
  int column = 0;
  std::string_view file = text.substr(0, last);
  if (!parse_int(text.substr(last + 1), line)) return false;
  if (size_t before = file.rfind(':'); before != std::string_view::npos && before > 0 &&
                                       parse_int(file.substr(before + 1), column)) {
    std::swap(line, column);
    file = file.substr(0, before);
  } else {
    column = 0;
  }
  frame.file = std::string(file);
  frame.line = line;
  frame.column = column;
  return true;
}

constexpr std::string_view kOperator = "operator";
constexpr std::string_view kOperatorSymbols = "<>=-!+*/%^&|~";

bool is_identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// "operator" as a whole word at `at` (not "my_operator", not "operators").
bool is_operator_name_at(std::string_view text, size_t at) {
  if (!text.substr(at).starts_with(kOperator) || (at > 0 && is_identifier_char(text[at - 1]))) return false;
  const size_t end = at + kOperator.size();
  return end == text.size() || !is_identifier_char(text[end]);
}

// The function part: gdb writes "name (arguments)", a sanitizer
// "name(parameter types)". gdb's arguments may hold any text (strings), so
// they are cut at the first " (" outside brackets; a sanitizer's parameter
// list stays, for function_without_parameters to remove like any other.
std::string function_of(std::string_view head) {
  int parens = 0;
  int angles = 0;
  for (size_t i = 0; i < head.size(); ++i) {
    char c = head[i];
    if (is_operator_name_at(head, i)) {
      // "operator<<", "operator->": their brackets open no template.
      i += kOperator.size();
      while (i < head.size() && kOperatorSymbols.find(head[i]) != std::string_view::npos) ++i;
      --i;
      continue;
    }
    if (c == '(') {
      if (i > 0 && head[i - 1] == ' ' && parens == 0 && angles == 0) {
        std::string_view name = head.substr(0, i);
        trim(name);
        return std::string(name);
      }
      ++parens;
    } else if (c == ')') {
      --parens;
    } else if (c == '<') {
      ++angles;
    } else if (c == '>') {
      --angles;
    }
  }
  return std::string(head);
}

std::optional<std::pair<int, Frame>> parse_numbered(std::string_view line) {
  trim(line);
  if (line.size() < 2 || line[0] != '#') return std::nullopt;
  size_t digits = 1;
  while (digits < line.size() && line[digits] >= '0' && line[digits] <= '9') ++digits;
  int index = 0;
  if (!parse_int(line.substr(1, digits - 1), index)) return std::nullopt;
  std::string_view rest = line.substr(digits);
  if (rest.empty() || rest.front() != ' ') return std::nullopt;
  trim(rest);

  Frame frame;
  bool has_in = false;
  if (rest.starts_with("0x")) {
    size_t end = 2;
    while (end < rest.size() && is_hex_digit(rest[end])) ++end;
    if (!parse_hex(rest.substr(0, end), frame.address)) return std::nullopt;
    rest.remove_prefix(end);
    trim(rest);
    if (rest.starts_with("in ")) {
      rest.remove_prefix(3);
      has_in = true;
    }
  }
  trim(rest);
  // Newer sanitizers end a frame with the module's build-id.
  if (size_t build_id = rest.rfind(" (BuildId: "); build_id != std::string_view::npos && rest.back() == ')') {
    rest = rest.substr(0, build_id);
    trim(rest);
  }
  // A pc in no module (a jump through a garbage pointer): a wild frame.
  if (rest.ends_with("(<unknown module>)")) {
    rest.remove_suffix(std::string_view("(<unknown module>)").size());
    trim(rest);
  }
  if (rest.empty()) return std::pair{index, frame};  // a bare pc
  if (rest.starts_with("<signal handler called>")) return std::nullopt;

  std::string_view head = rest;
  if (size_t at = rest.rfind(" at "); at != std::string_view::npos &&
                                      parse_source_location(rest.substr(at + 4), frame)) {
    head = rest.substr(0, at);  // gdb: "f (args) at file:line"
  } else if (size_t from = rest.rfind(" from "); from != std::string_view::npos) {
    frame.module = std::string(rest.substr(from + 6));  // gdb: "f (args) from lib"
    head = rest.substr(0, from);
  } else {
    // A sanitizer's location is the last word: "(module+0xoffset)" or "file:line[:column]".
    size_t space = rest.rfind(' ');
    std::string_view last = space == std::string_view::npos ? rest : rest.substr(space + 1);
    std::string_view before = space == std::string_view::npos ? std::string_view() : rest.substr(0, space);
    if (parse_module_offset(last, frame) || (has_in && space != std::string_view::npos &&
                                             parse_source_location(last, frame))) {
      head = before;
    }
  }
  trim(head);
  if (!has_in && frame.address != 0 && frame.module.empty() && frame.file.empty()) {
    // "#2 0x55d1e0 something": neither form.
    if (!head.empty()) return std::nullopt;
  }
  std::string function = function_of(head);
  if (function != "??") frame.function = std::move(function);
  return std::pair{index, std::move(frame)};
}

}  // namespace

std::optional<Frame> parse_frame_line(std::string_view line) {
  auto numbered = parse_numbered(line);
  if (!numbered) return std::nullopt;
  return std::move(numbered->second);
}

std::vector<Frame> first_stack_of(const std::vector<std::string>& lines) {
  std::vector<Frame> frames;
  int last_index = -1;
  for (const std::string& line : lines) {
    auto numbered = parse_numbered(line);
    if (!numbered) {
      if (last_index >= 0) {
        // A stack ends at its first line that is not a frame, but gdb lines
        // skipped above ("<signal handler called>") do not end it.
        std::string_view text = line;
        trim(text);
        if (!(text.starts_with('#'))) break;
      }
      continue;
    }
    if (last_index < 0 && numbered->first != 0) continue;  // not yet the first stack
    if (last_index >= 0 && numbered->first <= last_index) break;  // the next stack
    last_index = numbered->first;
    frames.push_back(std::move(numbered->second));
  }
  return frames;
}

}  // namespace triage::report
