// Pattern: literal expressions matched as strings must mean exactly what
// regcomp would make of them.
#include <catch2/catch.hpp>
#include <regex.h>

#include "triage/util/pattern.h"

using triage::Pattern;

namespace {

bool posix_search(const std::string& expression, const std::string& text) {
  regex_t regex;
  REQUIRE(regcomp(&regex, expression.c_str(), REG_EXTENDED | REG_NOSUB) == 0);
  bool found = regexec(&regex, text.c_str(), 0, nullptr, 0) == 0;
  regfree(&regex);
  return found;
}

}  // namespace

TEST_CASE("patterns match as POSIX extended regular expressions do", "[rules]") {
  const std::vector<std::string> expressions = {
      "^__libc_", "^raise$", "\\.so$", "libc\\.so", "^std::", "(^|/)libc\\.so", "^__(asan|ubsan)_",
      "^operator new", "abort", "^$", "x\\$", "^a\\.b$", "/include/c\\+\\+/[0-9]+/", "^double free or corruption"};
  const std::vector<std::string> texts = {
      "__libc_start_main", "raise", "raiser", "/lib/libc.so", "/lib/libc.so.6", "std::vector<int>::at",
      "__asan_report_load4", "operator new(unsigned long)", "my_abort_handler", "", "price x$", "a.b", "axb",
      "/usr/include/c++/12/bits/stl_vector.h", "double free or corruption (out)", "libcXso"};
  for (const std::string& expression : expressions) {
    std::string why;
    auto pattern = Pattern::compile(expression, &why);
    REQUIRE(pattern.has_value());
    for (const std::string& text : texts) {
      INFO(expression << " on \"" << text << "\"");
      CHECK(pattern->search(text) == posix_search(expression, text));
    }
  }
  std::string why;
  CHECK_FALSE(Pattern::compile("(unclosed", &why).has_value());
  CHECK_FALSE(why.empty());
}
