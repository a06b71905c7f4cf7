// libFuzzer harness for AFL++'s fuzzer_stats, where triage-run finds the
// target's command line when none is given (its command_line, the words
// after "--"). The input is the file: it is written into an AFL++ instance
// folder (fuzzer_stats and crashes/ with one input) and the folder is read
// with find_inputs(), as triage-run -i reads it.
//
//   fuzzer_stats_fuzzer CORPUS_DIR [SEED_DIR...] -max_total_time=600
//
// Properties: no exception escapes; the folder's one crash input is found
// whatever the file says; reading is deterministic; a command line without
// quotes splits at blanks; and the splitter reads back every word list it
// gives, each word quoted as a shell would.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "triage/run/inputs.h"

namespace {

namespace fs = std::filesystem;
using triage_fuzz::broken;

// An AFL++ instance folder made once per process, named by its pid; each
// input replaces its fuzzer_stats. A process that dies of a finding (or is
// ended by libFuzzer's -fork parent) leaves its folder behind: the next one
// removes the folders of processes that are gone.
const std::string& instance() {
  static const std::string* folder = [] {
    const fs::path base = fs::temp_directory_path();
    const std::string prefix = "fuzzer_stats_fuzzer.";
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(base, error)) {
      const std::string name = entry.path().filename().string();
      if (!name.starts_with(prefix)) continue;
      const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
      if (pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) fs::remove_all(entry.path(), error);
    }
    const fs::path path = base / (prefix + std::to_string(getpid()));
    fs::remove_all(path, error);
    if (!fs::create_directories(path / "crashes", error)) {
      std::fprintf(stderr, "fuzzer_stats_fuzzer: cannot make %s: %s\n", path.c_str(), error.message().c_str());
      std::abort();
    }
    std::ofstream(path / "crashes" / "id:000000,sig:11") << "crash";
    std::atexit([] {
      std::error_code ignored;
      fs::remove_all(instance(), ignored);
    });
    return new std::string(path.string());
  }();
  return *folder;
}

void write_stats(std::string_view text) {
  std::ofstream out(fs::path(instance()) / "fuzzer_stats", std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out) broken("cannot write fuzzer_stats");
}

// A word as a shell reads it back: each character in single quotes, a single
// quote in double quotes; an empty word as ''.
std::string quoted(const std::string& word) {
  if (word.empty()) return "''";
  std::string text;
  for (char c : word) text += c == '\'' ? std::string("\"'\"") : "'" + std::string(1, c) + "'";
  return text;
}

// The command_line value as read_fuzzer_command takes it: the first line
// that starts with "command_line" and has a colon, after the colon.
std::optional<std::string> command_line_of(std::string_view text) {
  while (!text.empty()) {
    size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    if (size_t colon = line.find(':'); line.starts_with("command_line") && colon != std::string_view::npos) {
      return std::string(line.substr(colon + 1));
    }
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
  return std::nullopt;
}

void test_one(std::string_view text) {
  write_stats(text);
  auto found = triage::find_inputs({instance()});
  if (!found) broken("an AFL++ folder is refused for its fuzzer_stats: " + found.error().message);
  if (found->inputs.size() != 1 || found->inputs.front().source != "afl++" ||
      found->inputs.front().fuzzer_verdict != "crash") {
    broken("the crash input is not found as one AFL++ crash");
  }
  if (found->fuzzer_command_dir != instance()) broken("the command's folder is not the instance's");
  auto again = triage::find_inputs({instance()});
  if (!again || again->fuzzer_command != found->fuzzer_command) broken("find_inputs differs on the same file");

  const std::vector<std::string>& words = found->fuzzer_command;
  std::string requoted = "afl-fuzz -i in -o out --";
  for (const std::string& word : words) requoted += " " + quoted(word);
  if (triage::command_after_double_dash(requoted) != words) {
    broken("a command read from fuzzer_stats does not read back when quoted: " + requoted);
  }

  auto line = command_line_of(text);
  if (!line) {
    if (!words.empty()) broken("a command without a command_line");
    return;
  }
  if (line->find_first_of("'\"") != std::string::npos) return;
  std::vector<std::string> blank_split;
  size_t at = 0;
  while ((at = line->find_first_not_of(" \t\r\n", at)) != std::string::npos) {
    size_t end = line->find_first_of(" \t\r\n", at);
    blank_split.push_back(line->substr(at, end == std::string::npos ? std::string::npos : end - at));
    at = end;
  }
  auto dashes = std::find(blank_split.begin(), blank_split.end(), "--");
  std::vector<std::string> expected =
      dashes == blank_split.end() ? std::vector<std::string>() : std::vector<std::string>(dashes + 1, blank_split.end());
  if (words != expected) broken("a command line without quotes is not split at its blanks");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  instance();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    test_one(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const std::exception& e) {
    broken(std::string("an exception escaped: ") + e.what());
  }
  return 0;
}
