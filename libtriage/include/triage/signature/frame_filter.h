// Frame filters: which frames are runtime noise (libc, libstdc++, libc++,
// sanitizer and fuzzer runtimes, Rust std, Go runtime, ...) and so are
// skipped when choosing the crash line and computing signatures. The lists
// are data, from rules/frame_filters.json plus the user's own.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "triage/error.h"
#include "triage/util/pattern.h"
#include "triage/unwind/frame.h"

namespace triage {

class FrameFilter {
 public:
  // {"functions": [regex...], "files": [regex...], "modules": [regex...]};
  // entries add to those already loaded. Regexes are POSIX extended
  // expressions matched anywhere in the name.
  Result<bool> add_json(const nlohmann::json& rules, const std::string& origin);

  bool skips(const Frame& frame) const;
  // The same test on names: `function` without its parameter list.
  bool skips(const std::string& function, const std::string& file, const std::string& module) const;

  // Which pattern skips a frame, for explaining a signature: the list
  // ("functions", "files" or "modules"), the expression and the file it came
  // from. Empty `list` when none does.
  struct Match {
    std::string list;
    std::string expression;
    std::string origin;
  };
  Match first_match(const std::string& function, const std::string& file, const std::string& module) const;

 private:
  std::vector<Pattern> functions_;
  std::vector<Pattern> files_;
  std::vector<Pattern> modules_;
  // origins_[list][k]: the file pattern k of that list came from.
  std::vector<std::string> function_origins_, file_origins_, module_origins_;
};

// The first frame of `frames` that the filter keeps, or null. Frames at a
// wild pc (no module, no symbol) are never kept.
const Frame* first_kept_frame(const std::vector<Frame>& frames, const FrameFilter& filter);

// The crash line of a frame: "file:line[:column]", else "module+0xoffset",
// else "0xaddress".
std::string crash_line_of(const Frame& frame);

}  // namespace triage
