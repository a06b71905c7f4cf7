#include "triage/analyze/rules.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace triage {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRulesDirHint =
    "pass --rules-dir DIR (a folder holding classes.json and frame_filters.json) "
    "or set TRIAGE_RULES_DIR";

constexpr const char* kTopLevelKeys[] = {"classes", "functions", "files", "modules", "clustering"};

Result<nlohmann::json> read_json(const std::string& path, const std::string& hint) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return make_error(ErrorKind::kNotFound, "rules file " + path + " does not exist; " + hint);
  }
  if (fs::is_directory(path, ec)) {
    return make_error(ErrorKind::kRules, "rules file " + path + " is a directory, not a file");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (!in || !(text << in.rdbuf())) {
    // An empty file ends up here too; it is not JSON either.
    in.close();
    if (fs::exists(path, ec) && fs::file_size(path, ec) == 0) {
      return make_error(ErrorKind::kRules, path + ": empty file, not JSON");
    }
    return make_error(ErrorKind::kIo, "cannot read rules file " + path);
  }
  try {
    return nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/true,
                                 /*ignore_comments=*/true);
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorKind::kRules, path + ": not valid JSON: " + e.what());
  }
}

// A typo in a top-level key ("function") would otherwise drop rules silently.
Result<bool> check_top_level(const nlohmann::json& json, const std::string& origin) {
  if (!json.is_object()) {
    return make_error(ErrorKind::kRules, origin + ": a rules file must be a JSON object");
  }
  for (const auto& item : json.items()) {
    bool known = false;
    for (const char* key : kTopLevelKeys) known = known || item.key() == key;
    if (!known) {
      return make_error(ErrorKind::kRules,
                        origin + ": unknown key \"" + item.key() +
                            "\" (a rules file may hold classes, functions, files, modules, clustering)");
    }
  }
  return true;
}

bool has_filter_lists(const nlohmann::json& json) {
  return json.contains("functions") || json.contains("files") || json.contains("modules");
}

}  // namespace

Result<Rules> load_rules(const std::string& rules_dir, const std::vector<std::string>& user_files) {
  std::error_code ec;
  if (rules_dir.empty() || !fs::is_directory(rules_dir, ec)) {
    return make_error(ErrorKind::kNotFound,
                      "rules folder " + (rules_dir.empty() ? std::string("(empty)") : rules_dir) +
                          " does not exist; " + kRulesDirHint);
  }
  Rules rules;
  const std::string classes_path = (fs::path(rules_dir) / "classes.json").string();
  const std::string filters_path = (fs::path(rules_dir) / "frame_filters.json").string();

  auto classes = read_json(classes_path, kRulesDirHint);
  if (!classes) return classes.error();
  if (auto ok = check_top_level(*classes, classes_path); !ok) return ok.error();
  if (auto ok = rules.classes.add_json(*classes, classes_path); !ok) return ok.error();

  auto filters = read_json(filters_path, kRulesDirHint);
  if (!filters) return filters.error();
  if (auto ok = check_top_level(*filters, filters_path); !ok) return ok.error();
  if (auto ok = rules.frame_filter.add_json(*filters, filters_path); !ok) return ok.error();

  for (const std::string& path : user_files) {
    auto user = read_json(path, "check the path given with --rules");
    if (!user) return user.error();
    if (auto ok = check_top_level(*user, path); !ok) return ok.error();
    if (!user->contains("classes") && !has_filter_lists(*user) && !user->contains("clustering")) {
      return make_error(ErrorKind::kRules,
                        path + ": holds no rules (expected classes, functions, files, modules or clustering)");
    }
    if (auto clustering = user->find("clustering"); clustering != user->end()) {
      rules.clustering.push_back({path, *clustering});
    }
    if (user->contains("classes")) {
      if (auto ok = rules.classes.add_json(*user, path); !ok) return ok.error();
    }
    if (has_filter_lists(*user)) {
      if (auto ok = rules.frame_filter.add_json(*user, path); !ok) return ok.error();
    }
  }
  if (auto ok = rules.classes.validate(); !ok) return ok.error();
  return rules;
}

std::string default_rules_dir() {
  if (const char* env = std::getenv("TRIAGE_RULES_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path() / ".." / "share" / "triage" / "rules";
    if (fs::is_directory(installed, ec)) return installed.lexically_normal().string();
  }
#ifdef TRIAGE_SOURCE_RULES_DIR
  return TRIAGE_SOURCE_RULES_DIR;
#else
  return "rules";
#endif
}

}  // namespace triage
