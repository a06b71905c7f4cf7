// The structural scan: strings end at the first quote not escaped by an odd
// run of backslashes (found with memchr); brackets are counted outside strings.
#include "triage/util/json_scan.h"

#include <cstring>

namespace triage {
namespace {

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

size_t skip_space(std::string_view text, size_t at) {
  while (at < text.size() && is_space(text[at])) ++at;
  return at;
}

// `at` is just past an opening quote; returns just past the closing one.
std::optional<size_t> string_end(std::string_view text, size_t at) {
  while (at < text.size()) {
    const void* quote = std::memchr(text.data() + at, '"', text.size() - at);
    if (!quote) return std::nullopt;
    size_t position = static_cast<const char*>(quote) - text.data();
    size_t backslashes = 0;
    while (position - backslashes > at && text[position - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return position + 1;
    at = position + 1;
  }
  return std::nullopt;
}

}  // namespace

std::optional<size_t> json_value_length(std::string_view text) {
  size_t at = skip_space(text, 0);
  if (at >= text.size()) return std::nullopt;
  char first = text[at];
  if (first == '"') return string_end(text, at + 1);
  if (first != '{' && first != '[') {
    // A number, true, false or null: up to the next delimiter.
    size_t end = at;
    while (end < text.size() && !is_space(text[end]) && text[end] != ',' && text[end] != '}' &&
           text[end] != ']') {
      ++end;
    }
    return end > at ? std::optional<size_t>(end) : std::nullopt;
  }
  size_t depth = 0;
  while (at < text.size()) {
    char c = text[at];
    if (c == '"') {
      auto end = string_end(text, at + 1);
      if (!end) return std::nullopt;
      at = *end;
      continue;
    }
    if (c == '{' || c == '[') {
      if (++depth > kMaxJsonScanDepth) return std::nullopt;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return at + 1;
    }
    ++at;
  }
  return std::nullopt;
}

JsonScan json_for_each_member(std::string_view text,
                              const std::function<std::optional<size_t>(std::string_view key, std::string_view rest)>& visit,
                              size_t* length) {
  size_t at = skip_space(text, 0);
  if (at >= text.size() || text[at] != '{') return JsonScan::kMalformed;
  at = skip_space(text, at + 1);
  if (at < text.size() && text[at] == '}') {
    if (length) *length = at + 1;
    return JsonScan::kDone;
  }
  while (at < text.size()) {
    if (text[at] != '"') return JsonScan::kMalformed;
    auto key_end = string_end(text, at + 1);
    if (!key_end) return JsonScan::kMalformed;
    std::string_view key = text.substr(at + 1, *key_end - at - 2);
    at = skip_space(text, *key_end);
    if (at >= text.size() || text[at] != ':') return JsonScan::kMalformed;
    ++at;
    auto consumed = visit(key, text.substr(at));
    if (!consumed) return JsonScan::kStopped;
    if (*consumed == 0 || *consumed > text.size() - at) return JsonScan::kMalformed;
    at = skip_space(text, at + *consumed);
    if (at >= text.size()) return JsonScan::kMalformed;
    if (text[at] == '}') {
      if (length) *length = at + 1;
      return JsonScan::kDone;
    }
    if (text[at] != ',') return JsonScan::kMalformed;
    at = skip_space(text, at + 1);
  }
  return JsonScan::kMalformed;
}

JsonScan json_for_each_element(std::string_view text,
                               const std::function<std::optional<size_t>(std::string_view rest)>& visit,
                               size_t* length) {
  size_t at = skip_space(text, 0);
  if (at >= text.size() || text[at] != '[') return JsonScan::kMalformed;
  at = skip_space(text, at + 1);
  if (at < text.size() && text[at] == ']') {
    if (length) *length = at + 1;
    return JsonScan::kDone;
  }
  while (at < text.size()) {
    auto consumed = visit(text.substr(at));
    if (!consumed) return JsonScan::kStopped;
    if (*consumed == 0 || *consumed > text.size() - at) return JsonScan::kMalformed;
    at = skip_space(text, at + *consumed);
    if (at >= text.size()) return JsonScan::kMalformed;
    if (text[at] == ']') {
      if (length) *length = at + 1;
      return JsonScan::kDone;
    }
    if (text[at] != ',') return JsonScan::kMalformed;
    at = skip_space(text, at + 1);
  }
  return JsonScan::kMalformed;
}

JsonScan json_for_each_value(std::string_view text, const std::function<bool(std::string_view value)>& visit) {
  return json_for_each_element(text, [&](std::string_view rest) -> std::optional<size_t> {
    auto length = json_value_length(rest);
    if (!length) return size_t{0};
    if (!visit(rest.substr(0, *length))) return std::nullopt;
    return *length;
  });
}

}  // namespace triage
