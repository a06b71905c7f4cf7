// A compiled POSIX extended regular expression (glibc's regcomp), matched
// anywhere in a string. Chosen over std::regex because rules are compiled on
// every run of a tool, and glibc compiles about 50 times faster. Copies
// share the compiled form, which regexec only reads (safe across threads).
#pragma once

#include <regex.h>

#include <memory>
#include <optional>
#include <string>

namespace triage {

class Pattern {
 public:
  // The pattern, or nullopt with the reason in `why`.
  static std::optional<Pattern> compile(const std::string& expression, std::string* why);

  bool search(const std::string& text) const { return regexec(regex_.get(), text.c_str(), 0, nullptr, 0) == 0; }
  const std::string& expression() const { return expression_; }

 private:
  Pattern(std::string expression, std::shared_ptr<regex_t> regex)
      : expression_(std::move(expression)), regex_(std::move(regex)) {}

  std::string expression_;
  std::shared_ptr<regex_t> regex_;
};

}  // namespace triage
