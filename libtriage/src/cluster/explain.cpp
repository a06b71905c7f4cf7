// Explaining a pair of reports: read both with their frames' fates, group
// them as ReportSet does, compare their callers as clustering does, and say
// which of clustering's rules decides.
#include "triage/cluster/explain.h"

#include <cstdio>
#include <sstream>
#include <unordered_map>

#include "triage/cluster/report_set.h"

using nlohmann::ordered_json;

namespace triage {
namespace {

std::string fixed(double value, int digits = 3) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

std::string in_quotes(const std::string& text) { return "\"" + text + "\""; }

Result<ExplainedReport> explain_report(const std::string& path, const ClassTable& classes, const FrameFilter& filter,
                                       const ClusterRules& rules) {
  ExplainedReport report;
  report.path = path;
  auto stack = read_crash_stack(path, classes, filter, &report.trace);
  if (!stack) return make_error(stack.error().kind, path + ": " + stack.error().message);
  report.frames_before_depth = stack->frames.size();
  report.callers_before_depth = stack->callers.size();
  rules.apply_depth(*stack);
  report.stack = std::move(*stack);
  report.group = rules.group_of(report.stack);
  return report;
}

// The group without split parts: the merge rule's, else family and site.
std::string base_group(const ExplainedReport& report) {
  return report.group.merged_by ? "merge:" + report.group.merged_by->name
                                : report.stack.family + "\n" + report.stack.crash_site;
}

std::string part_of(const Grouping& group, const ClusterRule* rule) {
  for (const auto& [split, part] : group.splits) {
    if (split == rule) return part;
  }
  return "";
}

void name_rule(Explanation& explanation, const ClusterRule& rule) {
  explanation.rule = rule.name;
  explanation.rule_kind = rule.kind == ClusterRule::Kind::kMerge ? "merge" : "split";
  explanation.rule_origin = rule.origin;
}

void decide(Explanation& e, const ClusterRules& rules) {
  const CrashStack& a = e.a.stack;
  const CrashStack& b = e.b.stack;
  const std::string threshold = fixed(e.parameters.threshold, 2);
  if (a.signature() == b.signature()) {
    e.verdict = Verdict::kSameSignature;
    e.together = true;
    e.reason = "Their signatures (class and every normalised frame) are equal: they are duplicates, one distinct "
               "stack of one cluster.";
    return;
  }
  if (e.a.group.key == e.b.group.key) {
    if (e.a.group.merged_by) {
      e.verdict = Verdict::kMergedByRule;
      e.together = true;
      name_rule(e, *e.a.group.merged_by);
      e.reason = "The user rule " + in_quotes(e.rule) + " (" + e.rule_origin +
                 ") says the crashes it matches are one bug: they are one cluster, whatever their callers.";
    } else if (e.similarity.similarity >= e.parameters.threshold) {
      e.verdict = Verdict::kSameCluster;
      e.together = true;
      e.reason = "Same family and crash site, and the similarity of their callers, " + fixed(e.similarity.similarity) +
                 ", reaches the threshold " + threshold +
                 ": whichever of them leads a cluster, the other joins it (among more crashes, each joins the most "
                 "similar leader at its site).";
    } else {
      e.verdict = Verdict::kBelowThreshold;
      e.together = false;
      e.reason = "Same family and crash site, but the similarity of their callers, " + fixed(e.similarity.similarity) +
                 ", is below the threshold " + threshold +
                 ": neither joins a cluster the other leads (both may still join a third stack's cluster that is "
                 "similar enough to each).";
    }
    return;
  }
  e.together = false;
  if (base_group(e.a) == base_group(e.b)) {
    // Same base group: some split rule put them in different parts.
    for (const ClusterRule& rule : rules.rules()) {
      if (rule.kind != ClusterRule::Kind::kSplit) continue;
      std::string part_a = part_of(e.a.group, &rule);
      std::string part_b = part_of(e.b.group, &rule);
      if (part_a == part_b) continue;
      e.verdict = Verdict::kSeparatedByRule;
      name_rule(e, rule);
      auto shown = [](const std::string& part) { return part.empty() ? std::string("not matched by it") : in_quotes(part); };
      e.reason = "The user rule " + in_quotes(e.rule) + " (" + e.rule_origin + ") splits the crashes it matches by " +
                 rule.by_text + ": the first is " + shown(part_a) + ", the second " + shown(part_b) + ".";
      return;
    }
  }
  const ClusterRule* merged = e.a.group.merged_by ? e.a.group.merged_by : e.b.group.merged_by;
  if (a.family == b.family && a.crash_site == b.crash_site && merged) {
    // Same family and site, yet different groups: a merge rule took one (or each) elsewhere.
    const ClusterRule* rule = merged;
    e.verdict = Verdict::kSeparatedByRule;
    name_rule(e, *rule);
    e.reason = "Same family and crash site, but the user rule " + in_quotes(e.rule) + " (" + e.rule_origin +
               ") takes " + (e.a.group.merged_by == rule ? "the first" : "the second") +
               " into its own bug and not the other.";
    return;
  }
  std::string merges;
  if (e.a.group.merged_by || e.b.group.merged_by) {
    merges = " No user merge rule matches both.";
  }
  if (a.family != b.family) {
    e.verdict = Verdict::kDifferentFamily;
    e.reason = "Their class families differ (" + a.family + ", " + b.family +
               "): a cluster never mixes them (a read and a write, or an abort and a division by zero, are different "
               "bugs)." + merges;
  } else {
    e.verdict = Verdict::kDifferentSite;
    e.reason = "Their crash sites differ (" + a.crash_site + "; " + b.crash_site +
               "): a cluster never mixes sites." + merges;
  }
}

const char* fate_text(FrameFate::Fate fate) {
  switch (fate) {
    case FrameFate::Fate::kKept: return "kept";
    case FrameFate::Fate::kFiltered: return "filtered";
    case FrameFate::Fate::kWild: return "wild pc";
  }
  return "?";
}

std::string raw_frame_text(const FrameFate& frame) {
  if (!frame.key.empty()) return frame.key;
  if (!frame.function.empty()) return frame.function;
  return "(no symbol, no module)";
}

std::string why_dropped(const FrameFate& frame, bool all_runtime) {
  switch (frame.fate) {
    case FrameFate::Fate::kKept: return "";
    case FrameFate::Fate::kWild: return "dropped: a wild pc (no symbol, no module)";
    case FrameFate::Fate::kFiltered:
      return std::string(all_runtime ? "kept anyway (every frame is a runtime frame), though " : "dropped: ") +
             frame.filter.list + " filter " + in_quotes(frame.filter.expression) + " of " + frame.filter.origin;
  }
  return "";
}

void report_text(std::ostringstream& out, const char* label, const ExplainedReport& r,
                 std::optional<size_t> max_frames) {
  const CrashStack& s = r.stack;
  out << label << ": " << r.path << "\n";
  out << "  class " << s.class_name << " (" << (s.type.empty() ? "no type" : s.type) << "), family " << s.family << "\n";
  out << "  crash site: " << (s.crash_site.empty() ? "(none)" : s.crash_site) << "\n";
  out << "  crash line: " << s.crash_line << "\n";
  out << "  frames of the crashing thread:\n";
  // A deep recursion repeats one frame many times: one line for the run.
  for (size_t k = 0, end = 0; k < r.trace.frames.size(); k = end) {
    const FrameFate& frame = r.trace.frames[k];
    const std::string text = raw_frame_text(frame);
    const std::string why = why_dropped(frame, r.trace.all_runtime);
    for (end = k + 1; end < r.trace.frames.size() && raw_frame_text(r.trace.frames[end]) == text &&
                      why_dropped(r.trace.frames[end], r.trace.all_runtime) == why;
         ++end) {
    }
    out << "    #" << k;
    if (end - k > 1) out << "-#" << end - 1;
    out << " " << text;
    if (end - k > 1) out << " (" << end - k << " times)";
    out << (why.empty() ? "" : "  -- " + why) << "\n";
  }
  if (r.trace.collapsed < r.trace.kept) {
    out << "  recursion collapsed: " << r.trace.kept << " kept frames -> " << r.trace.collapsed << "\n";
  }
  if (r.trace.above_site > 0) {
    out << "  stack overflow: " << r.trace.above_site << " frames above the recursion left out\n";
  }
  if (max_frames && r.frames_before_depth > s.frames.size()) {
    out << "  cut at max frames " << *max_frames << ": " << r.frames_before_depth << " frames -> "
        << s.frames.size() << "\n";
  } else if (r.frames_before_depth == kMaxSignatureFrames && !max_frames) {
    out << "  cut at the signature's " << kMaxSignatureFrames << " frames\n";
  }
  out << "  signature: " << s.class_name;
  for (const std::string& frame : s.frames) out << " | " << frame;
  out << "\n  callers compared:";
  if (s.callers.empty()) out << " (none)";
  for (size_t k = 0; k < s.callers.size(); ++k) out << " [" << k << "] " << s.callers[k];
  out << "\n";
  if (r.group.merged_by) out << "  user rule " << in_quotes(r.group.merged_by->name) << " (merge) matches it\n";
  for (const auto& [rule, part] : r.group.splits) {
    out << "  user rule " << in_quotes(rule->name) << " (split by " << rule->by_text << ") puts it in part "
        << in_quotes(part) << "\n";
  }
}

ordered_json report_json(const ExplainedReport& r) {
  const CrashStack& s = r.stack;
  ordered_json frames = ordered_json::array();
  for (size_t k = 0; k < r.trace.frames.size(); ++k) {
    const FrameFate& frame = r.trace.frames[k];
    ordered_json entry = {{"index", k},
                          {"function", frame.function},
                          {"file", frame.file},
                          {"line", frame.line},
                          {"module", frame.module},
                          {"key", frame.key},
                          {"fate", fate_text(frame.fate)}};
    if (frame.fate == FrameFate::Fate::kFiltered) {
      entry["filter"] = {{"list", frame.filter.list}, {"pattern", frame.filter.expression},
                         {"origin", frame.filter.origin}};
    }
    frames.push_back(std::move(entry));
  }
  ordered_json splits = ordered_json::array();
  for (const auto& [rule, part] : r.group.splits) splits.push_back({{"rule", rule->name}, {"part", part}});
  return {{"path", r.path},
          {"type", s.type},
          {"class", s.class_name},
          {"family", s.family},
          {"crash_site", s.crash_site},
          {"crash_line", s.crash_line},
          {"signature", s.signature()},
          {"frames", s.frames},
          {"callers", s.callers},
          {"stack", std::move(frames)},
          {"all_runtime", r.trace.all_runtime},
          {"kept", r.trace.kept},
          {"after_recursion", r.trace.collapsed},
          {"above_site", r.trace.above_site},
          {"frames_before_depth", r.frames_before_depth},
          {"merged_by", r.group.merged_by ? ordered_json(r.group.merged_by->name) : ordered_json(nullptr)},
          {"splits", std::move(splits)}};
}

}  // namespace

const char* to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::kSameSignature: return "same-signature";
    case Verdict::kSameCluster: return "same-cluster";
    case Verdict::kMergedByRule: return "merged-by-rule";
    case Verdict::kSeparatedByRule: return "separated-by-rule";
    case Verdict::kDifferentFamily: return "different-family";
    case Verdict::kDifferentSite: return "different-site";
    case Verdict::kBelowThreshold: return "similarity-below-threshold";
  }
  return "?";
}

Result<Explanation> explain_pair(const std::string& a, const std::string& b, const ClassTable& classes,
                                 const FrameFilter& filter, const ClusterRules& rules, ClusterParameters parameters) {
  Explanation e;
  auto first = explain_report(a, classes, filter, rules);
  if (!first) return first.error();
  auto second = explain_report(b, classes, filter, rules);
  if (!second) return second.error();
  e.a = std::move(*first);
  e.b = std::move(*second);
  rules.apply_depth(parameters.similarity);
  e.parameters = parameters;
  e.max_frames = rules.max_frames();
  // Callers are compared as interned keys, as ReportSet does.
  std::unordered_map<std::string, uint32_t> ids;
  auto intern = [&](const std::vector<std::string>& callers) {
    std::vector<uint32_t> out;
    for (const std::string& caller : callers) out.push_back(ids.emplace(caller, ids.size()).first->second);
    return out;
  };
  std::vector<uint32_t> callers_a = intern(e.a.stack.callers);
  std::vector<uint32_t> callers_b = intern(e.b.stack.callers);
  e.similarity = stack_similarity_detail(callers_a, callers_b, parameters.similarity);
  decide(e, rules);
  return e;
}

std::string explanation_text(const Explanation& e) {
  std::ostringstream out;
  report_text(out, "A", e.a, e.max_frames);
  report_text(out, "B", e.b, e.max_frames);
  const SimilarityParameters& p = e.parameters.similarity;
  out << "similarity of the callers: " << fixed(e.similarity.similarity) << " (ReBucket: position decay c "
      << fixed(p.position_decay, 2) << ", offset decay o " << fixed(p.offset_decay, 2) << ", at most " << p.max_frames
      << " callers each; threshold " << fixed(e.parameters.threshold, 2) << ")\n";
  if (e.similarity.compared_a == 0 || e.similarity.compared_b == 0) {
    out << "  one of them has no caller: nothing tells them apart (1.0)\n";
  } else {
    out << "  matched callers (i in A, j in B): ";
    if (e.similarity.matches.empty()) out << "none";
    for (size_t k = 0; k < e.similarity.matches.size(); ++k) {
      const auto& match = e.similarity.matches[k];
      out << (k ? ", " : "") << match.i << "/" << match.j << " " << e.a.stack.callers[match.i] << " ("
          << fixed(match.weight) << ")";
    }
    out << "\n  score " << fixed(e.similarity.score) << " of a perfect " << fixed(e.similarity.perfect) << "\n";
  }
  out << "verdict: " << to_string(e.verdict) << (e.together ? " (together)" : " (apart)")
      << (e.rule.empty() ? "" : ", user rule " + in_quotes(e.rule)) << "\n  " << e.reason << "\n";
  return out.str();
}

ordered_json explanation_json(const Explanation& e) {
  ordered_json matches = ordered_json::array();
  for (const auto& match : e.similarity.matches) {
    matches.push_back({{"i", match.i}, {"j", match.j}, {"frame", e.a.stack.callers[match.i]}, {"weight", match.weight}});
  }
  const SimilarityParameters& p = e.parameters.similarity;
  return {{"a", report_json(e.a)},
          {"b", report_json(e.b)},
          {"similarity",
           {{"value", e.similarity.similarity},
            {"score", e.similarity.score},
            {"perfect", e.similarity.perfect},
            {"matches", std::move(matches)},
            {"position_decay", p.position_decay},
            {"offset_decay", p.offset_decay},
            {"max_frames", p.max_frames},
            {"threshold", e.parameters.threshold}}},
          {"max_frames", e.max_frames ? ordered_json(*e.max_frames) : ordered_json(nullptr)},
          {"verdict", to_string(e.verdict)},
          {"together", e.together},
          {"rule", e.rule.empty() ? ordered_json(nullptr)
                                  : ordered_json{{"name", e.rule}, {"kind", e.rule_kind}, {"origin", e.rule_origin}}},
          {"reason", e.reason}};
}

}  // namespace triage
