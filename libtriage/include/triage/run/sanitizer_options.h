// The environment and flags a target runs with. Sanitizers are told to abort with a core
// and to print their report unsymbolized (triage symbolizes it itself,
// faster, from the same files): ASAN_OPTIONS, UBSAN_OPTIONS, MSAN_OPTIONS
// and LSAN_OPTIONS get our settings for every key the user has not set
// already; the user's own settings win.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace triage {

// "a=1:b=2" with each of `ours` added unless the user's text sets that key.
std::string merge_sanitizer_options(const std::string& user,
                                    const std::vector<std::pair<std::string, std::string>>& ours);

// Whether a program is a libFuzzer binary (it defines
// LLVMFuzzerTestOneInput): such a program runs one input given as its
// argument, and catches fatal signals itself unless told not to.
bool is_libfuzzer_binary(const std::string& executable);

// `command` with libFuzzer told to leave fatal signals to the kernel
// (-handle_segv=0 -handle_abrt=0 ...), so they leave a core; flags the user
// gave are kept.
std::vector<std::string> with_libfuzzer_flags(const std::vector<std::string>& command);

// The target's environment: `base` ("NAME=value" strings, e.g. from
// environ) with the sanitizer variables merged.
std::vector<std::string> target_environment(const std::vector<std::string>& base);

}  // namespace triage
