// User rules for grouping crashes: the "clustering" object of a --rules file.
// Merge rules say that the crashes they match are one bug (one cluster, even
// across crash sites or class families); split rules divide the crashes they
// match by a frame present or absent, or by their immediate callers; a stack
// depth bounds the frames the signature and the similarity use. This file
// owns compiling and checking those rules and deciding which group (what a
// cluster never mixes) a crash falls in. docs/triage-cluster.md, "Steering
// the grouping", is the user's side of it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "triage/analyze/rules.h"
#include "triage/cluster/similarity.h"
#include "triage/error.h"
#include "triage/signature/crash_stack.h"
#include "triage/util/pattern.h"

namespace triage {

// One pattern set: every condition it gives must hold. `class`, `family` and
// `site` match the crash's class, family and crash site (a list: any of
// them); each `frame`, `function` and `file` pattern must match at least one
// normalised frame (its whole key, the function part, or the "file.c:line" /
// "module+0x..." part), so a list asks for all of them on the stack.
struct CrashPattern {
  std::vector<Pattern> class_name, family, site, frame, function, file;
  bool matches(const CrashStack& stack) const;
  // Whether some frame of the stack matches every frame condition.
  bool matches_frames(const std::vector<std::string>& frames) const;
};

struct ClusterRule {
  enum class Kind { kMerge, kSplit };
  Kind kind = Kind::kMerge;
  std::string name;
  std::string origin;  // the file it came from
  std::vector<CrashPattern> match;  // merge: any of these; split: the one "where"
  // split only: by the first `by_callers` callers, else by `by_frame` being
  // present or absent.
  size_t by_callers = 0;
  std::optional<CrashPattern> by_frame;
  std::string by_text;  // the "by" object as written, for explanations
};

// Which group a crash falls in, and which rules put it there.
struct Grouping {
  std::string key;  // crashes with different keys never share a cluster
  const ClusterRule* merged_by = nullptr;  // its group is one bug
  // Each split rule that matched, with the part of it the crash is in.
  std::vector<std::pair<const ClusterRule*, std::string>> splits;
};

class ClusterRules {
 public:
  // Compiles the sections in order; any error (a bad type, an unknown key, an
  // invalid regular expression, a duplicate rule name) is kRules naming the
  // file and the entry. Nothing is half loaded.
  static Result<ClusterRules> compile(const std::vector<Rules::Section>& sections);

  // The --max-frames option, which wins over the files' max_frames.
  void set_max_frames(size_t frames) { max_frames_ = frames; }
  std::optional<size_t> max_frames() const { return max_frames_; }
  const std::vector<ClusterRule>& rules() const { return rules_; }
  bool empty() const { return rules_.empty() && !max_frames_; }

  // Keeps the first max_frames frames of the stack, and the callers among them.
  void apply_depth(CrashStack& stack) const;
  // The similarity compares as many callers as the depth leaves.
  void apply_depth(SimilarityParameters& parameters) const;

  // Without rules, the family and the crash site. The first merge rule that
  // matches replaces both by the rule; every split rule that matches adds
  // the part the crash is in.
  Grouping group_of(const CrashStack& stack) const;

 private:
  std::vector<ClusterRule> rules_;
  std::optional<size_t> max_frames_;
};

// A frame key split into its function and its place ("file.c:line" or
// "module+0xoffset"); either may be empty.
std::pair<std::string, std::string> split_frame_key(const std::string& key);

}  // namespace triage
