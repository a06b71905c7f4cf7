// The environment a target runs in. Sanitizers are told to abort with a core
// and to print their report unsymbolized (triage symbolizes it itself,
// faster, from the same files): ASAN_OPTIONS, UBSAN_OPTIONS, MSAN_OPTIONS
// and LSAN_OPTIONS get our settings for every key the user has not set
// already; the user's own settings win.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace triage {

struct SanitizerUse {
  bool address = false;
  bool undefined = false;
  bool memory = false;
  bool leak = false;
  bool libfuzzer = false;  // a libFuzzer binary: it runs one input given as its argument
  bool any() const { return address || undefined || memory || leak; }
};

// What a program was built with, from its symbol names (__asan_*, ...).
SanitizerUse detect_sanitizers(const std::string& executable);

// "a=1:b=2" with each of `ours` added unless the user's text sets that key.
std::string merge_sanitizer_options(const std::string& user,
                                    const std::vector<std::pair<std::string, std::string>>& ours);

// The target's environment: `base` ("NAME=value" strings, e.g. from
// environ) with the sanitizer variables merged. A memory limit (MiB, 0 for
// none) becomes the sanitizers' own limits, since RLIMIT_AS breaks them.
std::vector<std::string> target_environment(const std::vector<std::string>& base, uint64_t memory_limit_mb);

}  // namespace triage
