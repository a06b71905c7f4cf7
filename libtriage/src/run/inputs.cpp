// Input discovery. A folder is recognised by what it holds: fuzzer_stats or
// crashes/ make an AFL++ instance; a folder of instances is AFL++'s -o with
// -M/-S; libFuzzer and honggfuzz are told by file names; anything else is a
// plain folder of inputs.
#include "triage/run/inputs.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

namespace fs = std::filesystem;

namespace triage {
namespace {

bool starts_with(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

bool is_afl_instance(const fs::path& dir) {
  std::error_code error;
  return fs::is_regular_file(dir / "fuzzer_stats", error) || fs::is_directory(dir / "crashes", error);
}

// Files fuzzers keep beside their inputs, which are not inputs.
bool is_bookkeeping(const std::string& name) {
  return name.empty() || name[0] == '.' || name == "README.txt" || name == "fuzzer_stats" ||
         name == "plot_data" || name == "fuzz_bitmap" || name == "cmdline" || name == "HONGGFUZZ.REPORT.TXT";
}

std::string libfuzzer_verdict(const std::string& name) {
  for (const char* prefix : {"crash-", "leak-", "oom-", "timeout-", "slow-unit-"}) {
    if (starts_with(name, prefix)) {
      std::string verdict(prefix, std::char_traits<char>::length(prefix) - 1);
      return verdict == "slow-unit" ? "slow" : verdict;
    }
  }
  return {};
}

std::vector<std::string> read_fuzzer_command(const fs::path& stats) {
  std::ifstream in(stats);
  for (std::string line; std::getline(in, line);) {
    if (starts_with(line, "command_line")) {
      size_t colon = line.find(':');
      if (colon != std::string::npos) return command_after_double_dash(line.substr(colon + 1));
    }
  }
  return {};
}

class Finder {
 public:
  CampaignInputs found;

  Result<bool> add(const fs::path& path) {
    std::error_code error;
    auto status = fs::status(path, error);
    if (error && error != std::errc::no_such_file_or_directory) {
      return make_error(ErrorKind::kIo, path.string() + ": " + error.message());  // a symlink loop, no permission
    }
    if (!fs::exists(status)) return make_error(ErrorKind::kNotFound, path.string() + ": no such file or folder");
    if (fs::is_regular_file(status)) {
      add_input(path, "file", "");
      return true;
    }
    if (!fs::is_directory(status)) {
      return make_error(ErrorKind::kInvalidArgument, path.string() + ": not a file or a folder");
    }
    if (is_afl_instance(path)) return add_afl_instance(path);
    // AFL++'s -o folder with instances (default/, main/, secondary01/, ...).
    std::vector<fs::path> instances;
    for (const auto& entry : fs::directory_iterator(path, error)) {
      if (entry.is_directory(error) && is_afl_instance(entry.path())) instances.push_back(entry.path());
    }
    if (error) return make_error(ErrorKind::kIo, "cannot list " + path.string() + ": " + error.message());
    if (!instances.empty()) {
      std::sort(instances.begin(), instances.end());
      for (const fs::path& instance : instances) {
        if (auto added = add_afl_instance(instance); !added) return added;
      }
      return true;
    }
    return add_plain_folder(path);
  }

 private:
  std::set<std::string> seen_;

  void add_input(const fs::path& path, const std::string& source, const std::string& verdict) {
    std::error_code error;
    fs::path canonical = fs::weakly_canonical(path, error);
    if (!seen_.insert(error ? path.string() : canonical.string()).second) return;
    found.inputs.push_back({path.string(), source, verdict});
  }

  Result<bool> add_files(const fs::path& dir, const std::string& source, const std::string& verdict) {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(dir, error)) {
      const std::string name = entry.path().filename().string();
      if (is_bookkeeping(name)) continue;
      if (!entry.is_regular_file(error)) continue;
      add_input(entry.path(), source, verdict);
    }
    if (error) return make_error(ErrorKind::kIo, "cannot list " + dir.string() + ": " + error.message());
    return true;
  }

  Result<bool> add_afl_instance(const fs::path& dir) {
    std::error_code error;
    if (found.fuzzer_command.empty() && fs::is_regular_file(dir / "fuzzer_stats", error)) {
      found.fuzzer_command = read_fuzzer_command(dir / "fuzzer_stats");
      found.fuzzer_command_dir = dir.string();
    }
    for (auto [sub, verdict] : {std::pair{"crashes", "crash"}, std::pair{"hangs", "hang"}}) {
      if (!fs::is_directory(dir / sub, error)) continue;
      if (auto added = add_files(dir / sub, "afl++", verdict); !added) return added;
    }
    found.notes.push_back(dir.string() + ": AFL++ instance (crashes/ and hangs/; queue/ is not triaged)");
    return true;
  }

  Result<bool> add_plain_folder(const fs::path& dir) {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(dir, error)) {
      const std::string name = entry.path().filename().string();
      if (is_bookkeeping(name) || !entry.is_regular_file(error)) continue;
      if (std::string verdict = libfuzzer_verdict(name); !verdict.empty()) {
        add_input(entry.path(), "libfuzzer", verdict);
      } else if (entry.path().extension() == ".fuzz") {
        add_input(entry.path(), "honggfuzz", "crash");
      } else {
        add_input(entry.path(), "file", "");
      }
    }
    if (error) return make_error(ErrorKind::kIo, "cannot list " + dir.string() + ": " + error.message());
    return true;
  }
};

}  // namespace

std::vector<std::string> command_after_double_dash(const std::string& command_line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (char c : command_line) {
    if (quote) {
      if (c == quote) quote = 0;
      else word += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  auto dashes = std::find(words.begin(), words.end(), "--");
  if (dashes == words.end()) return {};
  return std::vector<std::string>(dashes + 1, words.end());
}

Result<CampaignInputs> find_inputs(const std::vector<std::string>& paths) {
  Finder finder;
  for (const std::string& path : paths) {
    if (auto added = finder.add(path); !added) return added.error();
  }
  std::sort(finder.found.inputs.begin(), finder.found.inputs.end(),
            [](const CrashInput& a, const CrashInput& b) { return a.path < b.path; });
  return std::move(finder.found);
}

}  // namespace triage
