#include "triage/util/pattern.h"

namespace triage {

std::optional<Pattern> Pattern::compile(const std::string& expression, std::string* why) {
  auto compiled = std::make_unique<regex_t>();
  int status = regcomp(compiled.get(), expression.c_str(), REG_EXTENDED | REG_NOSUB);
  if (status != 0) {
    char message[256];
    regerror(status, compiled.get(), message, sizeof message);
    if (why) *why = message;
    return std::nullopt;  // nothing to regfree after a failed regcomp
  }
  std::shared_ptr<regex_t> regex(compiled.release(), [](regex_t* r) {
    regfree(r);
    delete r;
  });
  return Pattern(expression, std::move(regex));
}

}  // namespace triage
