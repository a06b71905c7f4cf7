#include "triage/util/pattern.h"

namespace triage {

std::optional<Pattern> Pattern::compile(const std::string& expression, std::string* why) {
  std::unique_ptr<regex_t, Free> regex(new regex_t);
  int status = regcomp(regex.get(), expression.c_str(), REG_EXTENDED | REG_NOSUB);
  if (status != 0) {
    char message[256];
    regerror(status, regex.get(), message, sizeof message);
    delete regex.release();  // nothing to regfree after a failed regcomp
    if (why) *why = message;
    return std::nullopt;
  }
  return Pattern(expression, std::move(regex));
}

}  // namespace triage
