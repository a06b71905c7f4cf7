// Rules: the class table and the frame filters, loaded together from the
// rules folder (classes.json, frame_filters.json) and the user's own files,
// then validated. Loaded once per run and shared read-only by every analysis.
#pragma once

#include <string>
#include <vector>

#include "triage/classify/class_table.h"
#include "triage/error.h"
#include "triage/signature/frame_filter.h"

namespace triage {

struct Rules {
  ClassTable classes;
  FrameFilter frame_filter;
  // The "clustering" objects of the files (how crashes are grouped: merge
  // and split rules, the stack depth), each with the file it came from. They
  // are compiled by cluster/user_rules.h, which comes after analysis.
  struct Section {
    std::string origin;
    nlohmann::json json;
  };
  std::vector<Section> clustering;
};

// Reads rules_dir/classes.json and rules_dir/frame_filters.json, then each of
// user_files in order (each may hold a "classes" array, "functions",
// "files", "modules" lists and a "clustering" object: classes replace
// built-ins of the same name or add new ones, filter patterns add to the
// built-in lists, clustering sections are kept in order). JSON with comments.
// A missing folder or file is kNotFound; anything that does not parse or
// validate is kRules; both messages name the file.
Result<Rules> load_rules(const std::string& rules_dir, const std::vector<std::string>& user_files);

// Where the rules are when no --rules-dir is given: $TRIAGE_RULES_DIR if
// set, else <folder of the running executable>/../share/triage/rules if it
// exists, else the source tree's rules/ folder this library was built from.
std::string default_rules_dir();

}  // namespace triage
