// Which user rules an output was made with, kept with it so that a later
// run that continues it (triage-cluster --join, triage-run --baseline)
// groups crashes the same way without the user passing them again. The
// --rules files are copied into OUT/rules/ and named, with the
// --max-frames option, in summary.json's "rules" object. A continuing run
// that is given other rules is refused: the earlier clusters were made under
// the recorded ones, and their numbers would no longer mean the same bugs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "triage/cluster/user_rules.h"
#include "triage/error.h"

namespace triage {

struct RulesRecord {
  std::vector<std::string> files;    // rules files to load, in order
  std::vector<std::string> sources;  // where each was first given, for people
  std::optional<size_t> max_frames;  // the --max-frames option
};

// OUT/summary.json's record; nullopt when the summary has none (an output of
// a version before rules were recorded) or can't be read (reading its
// clusters then says why). Recorded files are resolved inside OUT.
Result<std::optional<RulesRecord>> read_rules_record(const std::string& dir);

// The rules of a run that continues `earlier_dir`, given the --rules files
// and --max-frames option passed now. Without a record, what was given. With
// one, the record, when nothing was given or the same was given (the same
// files' contents in the same order, the same depth); else a kRules error
// saying how they differ and what to do. `note` says which rules apply and
// where they come from, for the user.
Result<RulesRecord> settle_rules(const std::vector<std::string>& given_files, std::optional<size_t> given_max_frames,
                                 const std::optional<RulesRecord>& recorded, const std::string& earlier_dir,
                                 std::string* note);

// Copies the record's files into OUT/rules/ (leaving those already there)
// and returns summary.json's "rules" object: files relative to OUT, their
// sources, the depth option, the effective depth and the rules' names.
Result<nlohmann::ordered_json> keep_rules(const RulesRecord& record, const ClusterRules& rules,
                                          const std::string& dir);

// Everything a clustering run needs from rules, as the tools load it: the
// record settled against `earlier_dir` (empty: none), the built-in and user
// rules loaded from it, their clustering rules compiled and the depth set.
// Any error is for the tools' "rules" exit code.
struct RunRules {
  RulesRecord record;
  Rules rules;
  ClusterRules clustering;
  std::string note;  // which recorded rules apply, when a run continues an earlier one
};
Result<RunRules> load_run_rules(const std::string& rules_dir, const std::vector<std::string>& given_files,
                                std::optional<size_t> given_max_frames, const std::string& earlier_dir);

}  // namespace triage
