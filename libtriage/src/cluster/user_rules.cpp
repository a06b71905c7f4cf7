// Compiling the "clustering" object of rules files, and placing a crash in
// its group by them.
#include "triage/cluster/user_rules.h"

#include <algorithm>
#include <set>

namespace triage {
namespace {

using nlohmann::json;

constexpr const char* kSectionKeys = "max_frames, merge, split";
constexpr const char* kPatternKeys = "class, family, site, frame, function, file";

Error rules_error(const std::string& where, const std::string& why) {
  return make_error(ErrorKind::kRules, where + ": " + why);
}

// Checks that `object` only has `allowed` keys; a typo would silently make a
// rule match nothing.
Result<bool> only_keys(const json& object, std::initializer_list<const char*> allowed, const std::string& where,
                       const char* listed) {
  for (const auto& item : object.items()) {
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* key) { return item.key() == key; })) {
      return rules_error(where, "unknown key \"" + item.key() + "\" (expected " + listed + ")");
    }
  }
  return true;
}

// A whole number of frames a signature can have.
bool is_count(const json& value) {
  return value.is_number_integer() && value.get<long long>() >= 1 &&
         value.get<long long>() <= static_cast<long long>(kMaxSignatureFrames);
}

Result<Pattern> compile_pattern(const json& value, const std::string& where) {
  if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
    return rules_error(where, "must be a non-empty regular expression, got " + value.dump());
  }
  const std::string& text = value.get_ref<const std::string&>();
  std::string why;
  auto compiled = Pattern::compile(text, &why);
  if (!compiled) return rules_error(where, "invalid regular expression \"" + text + "\": " + why);
  return std::move(*compiled);
}

// A pattern or an array of patterns.
Result<std::vector<Pattern>> compile_patterns(const json& value, const std::string& where) {
  std::vector<Pattern> patterns;
  if (value.is_array()) {
    if (value.empty()) return rules_error(where, "is an empty list");
    for (size_t i = 0; i < value.size(); ++i) {
      auto pattern = compile_pattern(value[i], where + "[" + std::to_string(i) + "]");
      if (!pattern) return pattern.error();
      patterns.push_back(std::move(*pattern));
    }
  } else {
    auto pattern = compile_pattern(value, where);
    if (!pattern) return pattern.error();
    patterns.push_back(std::move(*pattern));
  }
  return patterns;
}

Result<CrashPattern> compile_set(const json& value, const std::string& where) {
  if (!value.is_object() || value.empty()) {
    return rules_error(where, std::string("must be an object with at least one of ") + kPatternKeys);
  }
  if (auto ok = only_keys(value, {"class", "family", "site", "frame", "function", "file"}, where, kPatternKeys);
      !ok) {
    return ok.error();
  }
  CrashPattern set;
  for (auto [key, out] : {std::pair{"class", &set.class_name}, std::pair{"family", &set.family},
                          std::pair{"site", &set.site}, std::pair{"frame", &set.frame},
                          std::pair{"function", &set.function}, std::pair{"file", &set.file}}) {
    if (auto found = value.find(key); found != value.end()) {
      auto patterns = compile_patterns(*found, where + "." + key);
      if (!patterns) return patterns.error();
      *out = std::move(*patterns);
    }
  }
  return set;
}

Result<std::string> rule_name(const json& rule, const std::string& where, std::set<std::string>& taken) {
  auto name = rule.find("name");
  if (name == rule.end() || !name->is_string() || name->get_ref<const std::string&>().empty()) {
    return rules_error(where, "needs a \"name\" (a non-empty string): verdicts and summaries name the rule");
  }
  if (!taken.insert(name->get<std::string>()).second) {
    return rules_error(where, "a second rule named \"" + name->get<std::string>() + "\"");
  }
  return name->get<std::string>();
}

Result<ClusterRule> compile_merge(const json& rule, const std::string& where, std::set<std::string>& taken) {
  if (!rule.is_object()) return rules_error(where, "must be an object {\"name\", \"match\"}");
  if (auto ok = only_keys(rule, {"name", "match"}, where, "name, match"); !ok) return ok.error();
  auto name = rule_name(rule, where, taken);
  if (!name) return name.error();
  ClusterRule merge;
  merge.kind = ClusterRule::Kind::kMerge;
  merge.name = *name;
  auto match = rule.find("match");
  if (match == rule.end() || !match->is_array() || match->empty()) {
    return rules_error(where, "needs \"match\": a list of pattern sets whose crashes are one bug");
  }
  for (size_t i = 0; i < match->size(); ++i) {
    auto set = compile_set((*match)[i], where + ".match[" + std::to_string(i) + "]");
    if (!set) return set.error();
    merge.match.push_back(std::move(*set));
  }
  return merge;
}

Result<ClusterRule> compile_split(const json& rule, const std::string& where, std::set<std::string>& taken) {
  if (!rule.is_object()) return rules_error(where, "must be an object {\"name\", \"where\", \"by\"}");
  if (auto ok = only_keys(rule, {"name", "where", "by"}, where, "name, where, by"); !ok) return ok.error();
  auto name = rule_name(rule, where, taken);
  if (!name) return name.error();
  ClusterRule split;
  split.kind = ClusterRule::Kind::kSplit;
  split.name = *name;
  auto at = rule.find("where");
  if (at == rule.end()) return rules_error(where, "needs \"where\": the pattern set of the crashes to split");
  auto set = compile_set(*at, where + ".where");
  if (!set) return set.error();
  split.match.push_back(std::move(*set));

  auto by = rule.find("by");
  const std::string by_where = where + ".by";
  if (by == rule.end() || !by->is_object() || by->size() != 1) {
    return rules_error(by_where, "must be an object with one key: callers (a number), frame, function or file");
  }
  split.by_text = by->dump();
  if (auto callers = by->find("callers"); callers != by->end()) {
    if (!is_count(*callers)) {
      return rules_error(by_where + ".callers",
                         "must be a number of callers from 1 to " + std::to_string(kMaxSignatureFrames));
    }
    split.by_callers = callers->get<size_t>();
    return split;
  }
  auto frame = compile_set(*by, by_where);
  if (!frame) return frame.error();
  if (!frame->class_name.empty() || !frame->family.empty() || !frame->site.empty()) {
    return rules_error(by_where, "splits by callers, frame, function or file; class, family and site go in \"where\"");
  }
  split.by_frame = std::move(*frame);
  return split;
}

// No patterns, or one of them matches: a crash has one class, family and
// site, so a list of them means any of them.
bool any_search(const std::vector<Pattern>& patterns, const std::string& text) {
  return patterns.empty() ||
         std::any_of(patterns.begin(), patterns.end(), [&](const Pattern& p) { return p.search(text); });
}

bool place_like(const std::string& tail) {
  // "file.c:42" or "module+0x1f0".
  size_t colon = tail.rfind(':');
  if (colon != std::string::npos && colon + 1 < tail.size() &&
      tail.find_first_not_of("0123456789", colon + 1) == std::string::npos) {
    return true;
  }
  size_t plus = tail.rfind("+0x");
  return plus != std::string::npos && plus + 3 < tail.size() &&
         tail.find_first_not_of("0123456789abcdef", plus + 3) == std::string::npos;
}

}  // namespace

std::pair<std::string, std::string> split_frame_key(const std::string& key) {
  size_t space = key.rfind(' ');
  if (space != std::string::npos && place_like(key.substr(space + 1))) {
    return {key.substr(0, space), key.substr(space + 1)};
  }
  if (place_like(key)) return {"", key};
  return {key, ""};
}

bool CrashPattern::matches_frames(const std::vector<std::string>& frames) const {
  // Each pattern on its own: "frame": ["a", "b"] asks for a frame matching a
  // and a frame matching b, wherever they are.
  auto each_found = [&](const std::vector<Pattern>& patterns, int part) {
    for (const Pattern& pattern : patterns) {
      bool found = std::any_of(frames.begin(), frames.end(), [&](const std::string& key) {
        if (part == 0) return pattern.search(key);
        auto [function, place] = split_frame_key(key);
        return pattern.search(part == 1 ? function : place);
      });
      if (!found) return false;
    }
    return true;
  };
  return each_found(frame, 0) && each_found(function, 1) && each_found(file, 2);
}

bool CrashPattern::matches(const CrashStack& stack) const {
  return any_search(class_name, stack.class_name) && any_search(family, stack.family) &&
         any_search(site, stack.crash_site) && matches_frames(stack.frames);
}

Result<ClusterRules> ClusterRules::compile(const std::vector<Rules::Section>& sections) {
  ClusterRules compiled;
  std::set<std::string> taken;
  for (const Rules::Section& section : sections) {
    const std::string where = section.origin + ": clustering";
    const json& value = section.json;
    if (!value.is_object()) return rules_error(where, std::string("must be an object with ") + kSectionKeys);
    if (auto ok = only_keys(value, {"max_frames", "merge", "split"}, where, kSectionKeys); !ok) return ok.error();
    if (auto depth = value.find("max_frames"); depth != value.end()) {
      if (!is_count(*depth)) {
        return rules_error(where + ".max_frames",
                           "must be a number of frames from 1 to " + std::to_string(kMaxSignatureFrames));
      }
      compiled.max_frames_ = depth->get<size_t>();  // a later file wins
    }
    for (auto [key, kind] : {std::pair{"merge", ClusterRule::Kind::kMerge}, std::pair{"split", ClusterRule::Kind::kSplit}}) {
      auto list = value.find(key);
      if (list == value.end()) continue;
      if (!list->is_array()) return rules_error(where + "." + key, "must be a list of rules");
      for (size_t i = 0; i < list->size(); ++i) {
        const std::string at = where + "." + key + "[" + std::to_string(i) + "]";
        auto rule = kind == ClusterRule::Kind::kMerge ? compile_merge((*list)[i], at, taken)
                                                      : compile_split((*list)[i], at, taken);
        if (!rule) return rule.error();
        rule->origin = section.origin;
        compiled.rules_.push_back(std::move(*rule));
      }
    }
  }
  // Merge rules are tried first, in file order; split rules then refine.
  std::stable_partition(compiled.rules_.begin(), compiled.rules_.end(),
                        [](const ClusterRule& rule) { return rule.kind == ClusterRule::Kind::kMerge; });
  return compiled;
}

void ClusterRules::apply_depth(CrashStack& stack) const {
  if (!max_frames_) return;
  // The site's frames (one, or a recursion's) come first, then the callers.
  const size_t site_frames = stack.frames.size() - std::min(stack.frames.size(), stack.callers.size());
  if (stack.frames.size() > *max_frames_) stack.frames.resize(*max_frames_);
  const size_t callers = *max_frames_ > site_frames ? *max_frames_ - site_frames : 0;
  if (stack.callers.size() > callers) stack.callers.resize(callers);
}

void ClusterRules::apply_depth(SimilarityParameters& parameters) const {
  if (max_frames_) parameters.max_frames = *max_frames_;
}

Grouping ClusterRules::group_of(const CrashStack& stack) const {
  Grouping group;
  for (const ClusterRule& rule : rules_) {
    if (rule.kind != ClusterRule::Kind::kMerge) continue;
    if (std::any_of(rule.match.begin(), rule.match.end(), [&](const CrashPattern& p) { return p.matches(stack); })) {
      group.merged_by = &rule;
      break;
    }
  }
  // Control characters keep rule-made keys apart from any family or site.
  group.key = group.merged_by ? "\x01merge\n" + group.merged_by->name : stack.family + "\n" + stack.crash_site;
  for (const ClusterRule& rule : rules_) {
    if (rule.kind != ClusterRule::Kind::kSplit || !rule.match.front().matches(stack)) continue;
    std::string part;
    if (rule.by_callers > 0) {
      for (size_t k = 0; k < std::min(rule.by_callers, stack.callers.size()); ++k) {
        part += (k ? " < " : "") + stack.callers[k];
      }
      if (part.empty()) part = "(no caller)";
    } else {
      part = rule.by_frame->matches_frames(stack.frames) ? "with" : "without";
    }
    group.key += "\n\x02" + rule.name + "\x03" + part;
    group.splits.emplace_back(&rule, std::move(part));
  }
  return group;
}

}  // namespace triage
