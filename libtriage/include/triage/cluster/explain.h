// Why two reports are, or are not, in one cluster (triage-cluster
// --explain): each one's class, family, crash site, signature and frames
// (which were dropped, and by which filter), the similarity of their callers
// with the frames it matched, the user rules that placed them, and the
// verdict. It uses the same stacks, rules and measure as clustering does, so
// what it says is what clustering does with the pair.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "triage/cluster/clustering.h"
#include "triage/cluster/similarity.h"
#include "triage/cluster/user_rules.h"
#include "triage/error.h"

namespace triage {

struct ExplainedReport {
  std::string path;
  CrashStack stack;            // as clustered: the depth applied
  StackTrace trace;            // what became of each frame of the report
  size_t frames_before_depth = 0;
  size_t callers_before_depth = 0;
  Grouping group;
};

enum class Verdict {
  kSameSignature,    // duplicates
  kSameCluster,      // one site, similar callers
  kMergedByRule,     // a merge rule makes them one bug
  kSeparatedByRule,  // a split rule divides them, or a merge rule takes one away
  kDifferentFamily,
  kDifferentSite,
  kBelowThreshold,   // one site, callers not similar enough
};
const char* to_string(Verdict verdict);  // "same-signature", "merged-by-rule", ...

struct Explanation {
  ExplainedReport a, b;
  ClusterParameters parameters;  // with the depth applied
  std::optional<size_t> max_frames;  // the user rules' stack depth
  SimilarityDetail similarity;   // of the callers
  Verdict verdict = Verdict::kSameSignature;
  bool together = false;
  std::string rule, rule_kind, rule_origin;  // the user rule the verdict names, if any
  std::string reason;                        // one or two sentences
};

// Reads both reports (a report that can't be read is an Error naming it)
// and explains them under `rules` and `parameters`.
Result<Explanation> explain_pair(const std::string& a, const std::string& b, const ClassTable& classes,
                                 const FrameFilter& filter, const ClusterRules& rules, ClusterParameters parameters);

std::string explanation_text(const Explanation& explanation);
nlohmann::ordered_json explanation_json(const Explanation& explanation);

}  // namespace triage
