// Keeping the user's rules with an output, reading them back, and deciding
// what a continuing run uses.
#include "triage/cluster/rules_record.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "triage/cluster/cluster_output.h"

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace triage {
namespace {

constexpr const char* kRulesFolder = "rules";

std::optional<std::string> contents_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string list(const std::vector<std::string>& items) {
  if (items.empty()) return "none";
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

std::string depth_text(std::optional<size_t> depth) {
  return depth ? std::to_string(*depth) : "not given";
}

}  // namespace

Result<std::optional<RulesRecord>> read_rules_record(const std::string& dir) {
  std::ifstream in(fs::path(dir) / "summary.json", std::ios::binary);
  if (!in) return std::optional<RulesRecord>();
  nlohmann::json summary = nlohmann::json::parse(in, nullptr, false);
  if (!summary.is_object() || !summary.contains("rules")) return std::optional<RulesRecord>();
  const nlohmann::json& rules = summary["rules"];
  auto bad = [&](const std::string& why) {
    return make_error(ErrorKind::kMalformed, (fs::path(dir) / "summary.json").string() + ": \"rules\" " + why);
  };
  if (!rules.is_object() || !rules.contains("files") || !rules["files"].is_array()) {
    return bad("has no \"files\" list");
  }
  RulesRecord record;
  for (const auto& file : rules["files"]) {
    if (!file.is_string()) return bad("names a file that is not a string");
    const fs::path relative = file.get<std::string>();
    // Only files kept inside the output: a summary is data, not a pointer to anywhere.
    bool inside = !relative.is_absolute() && !relative.empty() && *relative.begin() == kRulesFolder;
    for (const fs::path& part : relative) inside = inside && part != "..";
    if (!inside) {
      return bad("names " + relative.string() + ", not a file under " + kRulesFolder + "/");
    }
    record.files.push_back((fs::path(dir) / relative).string());
  }
  if (auto sources = rules.find("sources"); sources != rules.end() && sources->is_array()) {
    for (const auto& source : *sources) record.sources.push_back(source.is_string() ? source.get<std::string>() : "");
  }
  record.sources.resize(record.files.size());
  if (auto depth = rules.find("max_frames"); depth != rules.end() && !depth->is_null()) {
    if (!depth->is_number_unsigned() || depth->get<size_t>() < 1 || depth->get<size_t>() > kMaxSignatureFrames) {
      return bad("has an invalid max_frames " + depth->dump());
    }
    record.max_frames = depth->get<size_t>();
  }
  return std::optional<RulesRecord>(std::move(record));
}

Result<RulesRecord> settle_rules(const std::vector<std::string>& given_files, std::optional<size_t> given_max_frames,
                                 const std::optional<RulesRecord>& recorded, const std::string& earlier_dir,
                                 std::string* note) {
  if (!recorded) {
    RulesRecord record{given_files, {}, given_max_frames};
    std::error_code error;
    for (const std::string& file : given_files) record.sources.push_back(fs::absolute(file, error).string());
    return record;
  }
  const bool given = !given_files.empty() || given_max_frames;
  bool same = given_files.empty() || given_files.size() == recorded->files.size();
  for (size_t i = 0; same && !given_files.empty() && i < given_files.size(); ++i) {
    auto mine = contents_of(given_files[i]);
    auto theirs = contents_of(recorded->files[i]);
    same = mine && theirs && *mine == *theirs;
  }
  if (given_max_frames && given_max_frames != recorded->max_frames) same = false;
  if (!same) {
    return make_error(ErrorKind::kRules,
                      earlier_dir + " was clustered with the rules " + list(recorded->sources) + " (max frames " +
                          depth_text(recorded->max_frames) + "), not with " + list(given_files) + " (max frames " +
                          depth_text(given_max_frames) +
                          "): its clusters would no longer mean the same bugs. Pass no --rules and --max-frames "
                          "to use the recorded ones (kept in " +
                          (fs::path(earlier_dir) / kRulesFolder).string() +
                          "), or cluster everything again into a new folder with the new rules");
  }
  if (note && (!recorded->files.empty() || recorded->max_frames)) {
    *note = std::string(given ? "the rules given are those recorded in " : "using the rules recorded in ") +
            earlier_dir + ": " + list(recorded->sources) + " (kept in " +
            (fs::path(earlier_dir) / kRulesFolder).string() + "), max frames " + depth_text(recorded->max_frames);
  }
  return *recorded;
}

Result<ordered_json> keep_rules(const RulesRecord& record, const ClusterRules& rules, const std::string& dir) {
  ordered_json files = ordered_json::array();
  const fs::path folder = fs::path(dir) / kRulesFolder;
  std::set<std::string> taken;
  std::error_code error;
  for (const std::string& file : record.files) {
    if (fs::exists(file, error) && fs::exists(folder, error) &&
        fs::equivalent(fs::path(file).parent_path(), folder, error)) {
      // Already kept here (a --join written in place).
      taken.insert(fs::path(file).filename().string());
      files.push_back((fs::path(kRulesFolder) / fs::path(file).filename()).string());
      continue;
    }
    fs::create_directories(folder, error);
    if (error) return make_error(ErrorKind::kIo, "cannot make " + folder.string() + ": " + error.message());
    const std::string name = free_name(fs::path(file).filename(), taken);
    fs::copy_file(file, folder / name, fs::copy_options::overwrite_existing, error);
    if (error) {
      return make_error(ErrorKind::kIo, "cannot copy " + file + " to " + (folder / name).string() + ": " +
                                            error.message());
    }
    files.push_back((fs::path(kRulesFolder) / name).string());
  }
  ordered_json merge = ordered_json::array();
  ordered_json split = ordered_json::array();
  for (const ClusterRule& rule : rules.rules()) {
    (rule.kind == ClusterRule::Kind::kMerge ? merge : split).push_back(rule.name);
  }
  return ordered_json{{"files", std::move(files)},
                      {"sources", record.sources},
                      {"max_frames", record.max_frames ? ordered_json(*record.max_frames) : ordered_json(nullptr)},
                      {"stack_depth", rules.max_frames() ? ordered_json(*rules.max_frames()) : ordered_json(nullptr)},
                      {"merge", std::move(merge)},
                      {"split", std::move(split)}};
}

Result<RunRules> load_run_rules(const std::string& rules_dir, const std::vector<std::string>& given_files,
                                std::optional<size_t> given_max_frames, const std::string& earlier_dir) {
  RunRules run;
  if (given_max_frames && (*given_max_frames < 1 || *given_max_frames > kMaxSignatureFrames)) {
    return make_error(ErrorKind::kRules,
                      "--max-frames must be a number of frames from 1 to " + std::to_string(kMaxSignatureFrames));
  }
  std::optional<RulesRecord> recorded;
  if (!earlier_dir.empty()) {
    auto read = read_rules_record(earlier_dir);
    if (!read) return read.error();
    recorded = std::move(*read);
  }
  auto settled = settle_rules(given_files, given_max_frames, recorded, earlier_dir, &run.note);
  if (!settled) return settled.error();
  run.record = std::move(*settled);
  auto rules = load_rules(rules_dir, run.record.files);
  if (!rules) return rules.error();
  run.rules = std::move(*rules);
  auto clustering = ClusterRules::compile(run.rules.clustering);
  if (!clustering) return clustering.error();
  run.clustering = std::move(*clustering);
  if (run.record.max_frames) run.clustering.set_max_frames(*run.record.max_frames);
  return run;
}

}  // namespace triage
