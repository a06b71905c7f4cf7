#include "triage/util/pattern.h"

#include <cstring>

namespace triage {
namespace {

// The literal an expression stands for, if it is one: characters other
// than ERE metacharacters, or metacharacters escaped with a backslash.
std::optional<std::string> as_literal(const std::string& body) {
  static const char* const kMeta = ".[]()*+?{}|^$\\";
  std::string literal;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\\') {
      if (i + 1 == body.size() || !std::strchr(kMeta, body[i + 1]) || body[i + 1] == '\0') return std::nullopt;
      literal.push_back(body[++i]);
    } else if (std::strchr(kMeta, c)) {
      return std::nullopt;
    } else {
      literal.push_back(c);
    }
  }
  return literal;
}

}  // namespace

std::optional<Pattern> Pattern::compile(const std::string& expression, std::string* why) {
  Pattern pattern;
  pattern.expression_ = expression;
  std::string body = expression;
  bool start = !body.empty() && body.front() == '^';
  if (start) body.erase(0, 1);
  // A trailing "$" anchors unless it is escaped ("\$").
  bool end = !body.empty() && body.back() == '$' && (body.size() < 2 || body[body.size() - 2] != '\\');
  if (end) body.pop_back();
  if (auto literal = as_literal(body)) {
    pattern.literal_ = std::move(*literal);
    pattern.anchored_start_ = start;
    pattern.anchored_end_ = end;
    return pattern;
  }
  auto compiled = std::make_unique<regex_t>();
  int status = regcomp(compiled.get(), expression.c_str(), REG_EXTENDED | REG_NOSUB);
  if (status != 0) {
    char message[256];
    regerror(status, compiled.get(), message, sizeof message);
    if (why) *why = message;
    return std::nullopt;  // nothing to regfree after a failed regcomp
  }
  pattern.regex_ = std::shared_ptr<regex_t>(compiled.release(), [](regex_t* r) {
    regfree(r);
    delete r;
  });
  return pattern;
}

bool Pattern::search(const std::string& text) const {
  if (regex_) return regexec(regex_.get(), text.c_str(), 0, nullptr, 0) == 0;
  if (anchored_start_ && anchored_end_) return text == literal_;
  if (anchored_start_) return text.starts_with(literal_);
  if (anchored_end_) return text.ends_with(literal_);
  return text.find(literal_) != std::string::npos;
}

}  // namespace triage
