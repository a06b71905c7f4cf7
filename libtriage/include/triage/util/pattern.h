// A POSIX extended regular expression, matched anywhere in a string.
// Expressions that are only a literal, perhaps anchored ("^__libc_",
// "^raise$", "\.so$"), are matched as strings; the rest are compiled with
// glibc's regcomp. Rules are compiled on every run of a tool, so this is
// most of their start-up cost (std::regex compiles about 50 times slower
// still). Copies share the compiled form, which regexec only reads (safe
// across threads).
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

  bool search(const std::string& text) const;
  const std::string& expression() const { return expression_; }

 private:
  Pattern() = default;

  std::string expression_;
  std::shared_ptr<regex_t> regex_;  // null for a literal
  std::string literal_;
  bool anchored_start_ = false;
  bool anchored_end_ = false;
};

}  // namespace triage
