// Writing deduplicated and clustered reports, their summaries, and reading
// an earlier cluster output back for --join.
#include "triage/cluster/cluster_output.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace triage {
namespace {

Result<bool> write_text(const fs::path& path, const std::string& text) {
  fs::path temporary = path;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) return make_error(ErrorKind::kIo, "cannot write " + temporary.string());
  }
  std::error_code error;
  fs::rename(temporary, path, error);
  if (error) return make_error(ErrorKind::kIo, "cannot write " + path.string() + ": " + error.message());
  return true;
}

}  // namespace

std::string free_name(const fs::path& source, std::set<std::string>& taken) {
  std::string stem = source.stem().string();
  std::string extension = source.extension().string();
  std::string name = source.filename().string();
  for (int n = 2; !taken.insert(name).second; ++n) name = stem + "-" + std::to_string(n) + extension;
  return name;
}

namespace {

Result<bool> copy_report(const fs::path& source, const fs::path& target) {
  std::error_code error;
  if (fs::exists(target, error) && fs::equivalent(source, target, error)) return true;  // in place
  fs::copy_file(source, target, fs::copy_options::overwrite_existing, error);
  if (error) {
    return make_error(ErrorKind::kIo, "cannot copy " + source.string() + " to " + target.string() +
                                          ": " + error.message());
  }
  return true;
}

Result<ordered_json> write_errors(const ReportSet& set, const fs::path& dir) {
  ordered_json errors = ordered_json::array();
  if (set.errors().empty()) return errors;
  fs::path folder = dir / "clerr";
  std::error_code error;
  fs::create_directories(folder, error);
  if (error) return make_error(ErrorKind::kIo, "cannot make " + folder.string() + ": " + error.message());
  std::set<std::string> taken;
  for (const UnreadableReport& bad : set.errors()) {
    std::string name = free_name(bad.path, taken);
    // The file may be unreadable itself: then only the reason is kept.
    fs::copy_file(bad.path, folder / name, fs::copy_options::overwrite_existing, error);
    if (auto written = write_text(folder / (name + ".error"), bad.path + ": " + bad.reason + "\n"); !written) {
      return written.error();
    }
    errors.push_back({{"report", bad.path}, {"reason", bad.reason}});
  }
  return errors;
}

std::string pad(std::string text, size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

}  // namespace

Result<bool> prepare_output(const std::string& dir, bool reuse) {
  std::error_code error;
  if (fs::exists(dir, error)) {
    if (!fs::is_directory(dir, error)) return make_error(ErrorKind::kInvalidArgument, dir + ": not a folder");
    if (!reuse && !fs::is_empty(dir, error)) {
      return make_error(ErrorKind::kInvalidArgument,
                        dir + ": the output folder is not empty; name a new folder or remove this one");
    }
    return true;
  }
  fs::create_directories(dir, error);
  if (error) return make_error(ErrorKind::kIo, "cannot make " + dir + ": " + error.message());
  return true;
}

Result<bool> write_dedup_output(const ReportSet& set, const std::string& dir) {
  std::set<std::string> taken;
  std::map<std::string, std::string> folded_into;  // sorted by the input's path
  ordered_json unique = ordered_json::array();
  for (const UniqueCrash& crash : set.crashes()) {
    std::string name = free_name(crash.report, taken);
    if (auto copied = copy_report(crash.report, fs::path(dir) / name); !copied) return copied.error();
    for (const std::string& member : crash.members) folded_into[member] = name;
    unique.push_back({{"report", name},
                      {"source", crash.report},
                      {"type", crash.stack.type},
                      {"class", crash.stack.class_name},
                      {"crash_line", crash.stack.crash_line},
                      {"count", crash.members.size()}});
  }
  auto errors = write_errors(set, dir);
  if (!errors) return errors.error();
  ordered_json summary = {{"tool", "triage-dedup"},
                          {"version", TRIAGE_VERSION},
                          {"reports", set.report_count()},
                          {"unique", set.crashes().size()},
                          {"unreadable", set.errors().size()},
                          {"mapping", folded_into},
                          {"unique_reports", std::move(unique)},
                          {"errors", std::move(*errors)}};
  return write_text(fs::path(dir) / "dedup.json",
                    summary.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

Result<Placement> place_cluster_reports(const ReportSet& set, const std::vector<Cluster>& clusters,
                                        const std::string& dir, const PlaceBeside& beside) {
  Placement placement;
  for (const Cluster& cluster : clusters) {
    const std::string name = "cl" + std::to_string(cluster.id);
    const fs::path folder = fs::path(dir) / name;
    std::error_code error;
    fs::create_directories(folder, error);
    if (error) return make_error(ErrorKind::kIo, "cannot make " + folder.string() + ": " + error.message());
    std::set<std::string> taken;
    for (const auto& entry : fs::directory_iterator(folder, error)) taken.insert(entry.path().filename().string());
    std::vector<std::string>& files = placement.files.emplace_back();
    for (size_t index : cluster.crashes) {
      const UniqueCrash& crash = set.crashes()[index];
      fs::path source = crash.report;
      if (fs::exists(source, error) && fs::equivalent(source.parent_path(), folder, error)) {
        files.push_back(name + "/" + source.filename().string());  // an earlier output, written in place
        continue;
      }
      std::string file = free_name(beside.name ? beside.name(crash) : source.filename().string(), taken);
      if (auto copied = copy_report(source, folder / file); !copied) return copied.error();
      if (beside.copy) {
        if (auto copied = beside.copy(crash, folder / file, taken); !copied) return copied.error();
      }
      files.push_back(name + "/" + file);
    }
  }
  return placement;
}

Result<std::string> write_cluster_summaries(const ReportSet& set, const std::vector<Cluster>& clusters,
                                            const Placement& placement, const ClusterRun& run,
                                            const std::string& dir) {
  const auto& crashes = set.crashes();
  ordered_json list = ordered_json::array();
  std::ostringstream text;
  size_t reports = 0;
  size_t unique = 0;
  for (const Cluster& cluster : clusters) {
    reports += cluster.report_count(set);
    unique += cluster.crashes.size();
  }
  text << run.preamble << run.tool << ": " << reports + set.errors().size() << " reports, " << unique
       << " unique crashes, " << clusters.size() << " clusters";
  if (!set.errors().empty()) text << " (" << set.errors().size() << " unreadable: see clerr/)";
  text << "\n";
  if (run.silhouette) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.3f", *run.silhouette);
    text << "clustering quality (mean silhouette, -1 .. 1, higher is better): " << buffer << "\n";
  }
  if (!clusters.empty()) {
    text << "\n" << pad("cluster", 9) << pad("type", 22) << pad("class", 28) << pad("reports", 9) << pad("unique", 8)
         << "crash line\n";
  }
  for (size_t k = 0; k < clusters.size(); ++k) {
    const Cluster& cluster = clusters[k];
    const std::string name = "cl" + std::to_string(cluster.id);
    std::vector<std::string> members = cluster.carried_members;
    std::map<std::string, size_t> classes;
    for (size_t index : cluster.crashes) {
      const UniqueCrash& crash = crashes[index];
      for (const std::string& member : crash.members) {
        members.push_back(run.member_label ? run.member_label(member) : member);
      }
      classes[crash.stack.class_name] += std::max<size_t>(1, crash.members.size());
    }
    std::sort(members.begin(), members.end());
    const UniqueCrash& leader = crashes[cluster.crashes.front()];
    const size_t count = cluster.report_count(set);
    const std::vector<std::string>& files = placement.files[k];
    ordered_json entry = {{"id", cluster.id},
                          {"type", cluster.type},
                          {"class", cluster.class_name},
                          {"classes", classes},
                          {"crash_line", leader.stack.crash_line},
                          {"count", count},
                          {"unique", cluster.crashes.size()},
                          {"representative", files.front()},
                          {"reports", files},
                          {"members", std::move(members)}};
    if (run.joined) entry["new"] = cluster.is_new;
    text << pad(name, 9) << pad(cluster.type, 22) << pad(cluster.class_name, 28) << pad(std::to_string(count), 9)
         << pad(std::to_string(cluster.crashes.size()), 8) << leader.stack.crash_line
         << (run.joined && cluster.is_new ? "  (" + run.new_label + ")" : "") << "\n"
         << pad("", 9)
         << (run.representative_text ? run.representative_text(files.front()) : "representative: " + files.front())
         << "\n";
    list.push_back(std::move(entry));
  }
  text << run.epilogue;

  auto errors = write_errors(set, dir);
  if (!errors) return errors.error();
  ordered_json summary = {{"tool", run.tool},
                          {"version", TRIAGE_VERSION},
                          {"reports", reports + set.errors().size()},
                          {"unique", unique},
                          {"unreadable", set.errors().size()},
                          {"parameters",
                           {{"threshold", run.parameters.threshold},
                            {"position_decay", run.parameters.similarity.position_decay},
                            {"offset_decay", run.parameters.similarity.offset_decay},
                            {"max_frames", run.parameters.similarity.max_frames}}}};
  if (run.silhouette) summary["silhouette"] = *run.silhouette;
  summary["clusters"] = std::move(list);
  summary["errors"] = std::move(*errors);
  for (const auto& item : run.extra.items()) summary[item.key()] = item.value();
  const auto replace = nlohmann::json::error_handler_t::replace;
  if (auto written = write_text(fs::path(dir) / "summary.json", summary.dump(2, ' ', false, replace) + "\n");
      !written) {
    return written.error();
  }
  if (auto written = write_text(fs::path(dir) / "summary.txt", text.str()); !written) return written.error();
  return text.str();
}

Result<std::string> write_cluster_output(const ReportSet& set, const std::vector<Cluster>& clusters,
                                         const ClusterRun& run, const std::string& dir) {
  auto placement = place_cluster_reports(set, clusters, dir);
  if (!placement) return placement.error();
  return write_cluster_summaries(set, clusters, *placement, run, dir);
}

Result<std::vector<Cluster>> read_cluster_output(const std::string& dir, const ClassTable& classes,
                                                 const FrameFilter& filter, ReportSet& set) {
  const fs::path path = fs::path(dir) / "summary.json";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorKind::kNotFound,
                      path.string() + " not found: --join needs the output folder of an earlier triage-cluster run");
  }
  nlohmann::json summary = nlohmann::json::parse(in, nullptr, false);
  auto bad = [&](const std::string& why) {
    return make_error(ErrorKind::kMalformed, path.string() + ": " + why);
  };
  if (!summary.is_object() || !summary.contains("clusters") || !summary["clusters"].is_array()) {
    return bad("not a triage-cluster summary (no \"clusters\" array)");
  }
  std::vector<Cluster> clusters;
  std::set<int> ids;
  for (const auto& entry : summary["clusters"]) {
    if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_number_integer() ||
        !entry.contains("reports") || !entry["reports"].is_array() || !entry.contains("members") ||
        !entry["members"].is_array()) {
      return bad("a cluster without an integer \"id\" and \"reports\" and \"members\" arrays");
    }
    Cluster cluster;
    cluster.id = entry["id"].get<int>();
    cluster.is_new = false;
    if (cluster.id < 1 || !ids.insert(cluster.id).second) return bad("duplicate or invalid cluster id");
    for (const auto& report : entry["reports"]) {
      if (!report.is_string()) return bad("cluster " + std::to_string(cluster.id) + ": a report that is not a string");
      const std::string file = (fs::path(dir) / report.get<std::string>()).string();
      auto stack = read_crash_stack(file, classes, filter);
      if (!stack) return make_error(stack.error().kind, file + ": " + stack.error().message);
      size_t index = set.add_representative(std::move(*stack), file);
      if (std::find(cluster.crashes.begin(), cluster.crashes.end(), index) == cluster.crashes.end()) {
        cluster.crashes.push_back(index);
      }
    }
    if (cluster.crashes.empty()) return bad("cluster " + std::to_string(cluster.id) + " has no reports");
    for (const auto& member : entry["members"]) {
      if (member.is_string()) cluster.carried_members.push_back(member.get<std::string>());
    }
    clusters.push_back(std::move(cluster));
  }
  if (summary.contains("errors") && summary["errors"].is_array()) {
    for (const auto& error : summary["errors"]) {
      if (error.is_object() && error.value("report", "") != "") {
        set.add_error(error.value("report", ""), error.value("reason", ""));
      }
    }
  }
  return clusters;
}

}  // namespace triage
