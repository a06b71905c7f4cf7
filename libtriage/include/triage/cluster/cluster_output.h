// What triage-dedup and triage-cluster write, and what --join reads back.
//
// triage-dedup:  OUT/<report>.casrep, one per signature, and OUT/dedup.json
//                (every input report -> the report it was folded into).
// triage-cluster: OUT/clN/<report>.casrep, one per signature in cluster N,
//                OUT/summary.txt for people and OUT/summary.json with the
//                same and every member of every cluster.
// Both: OUT/clerr/<report> and <report>.error for reports that could not
// be read. Reports are copied byte for byte, so CASR's stay CASR's.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "triage/cluster/clustering.h"
#include "triage/cluster/report_set.h"
#include "triage/error.h"

namespace triage {

// Makes `dir` if needed. It must be empty unless `reuse` (the --join
// output written in place): an error says so rather than mixing two runs.
Result<bool> prepare_output(const std::string& dir, bool reuse);

Result<bool> write_dedup_output(const ReportSet& set, const std::string& dir);

// A name for `source` among the names `taken` in a folder: its own, else
// name-2, name-3, ... (before the extension); the name is then taken.
std::string free_name(const std::filesystem::path& source, std::set<std::string>& taken);

// Hooks for what goes into a cluster folder with each report (triage-run:
// the report is named after the crash input, which is copied beside it).
struct PlaceBeside {
  std::function<std::string(const UniqueCrash& crash)> name;  // the report's file name
  std::function<Result<bool>(const UniqueCrash& crash, const std::filesystem::path& report,
                             std::set<std::string>& taken)>
      copy;
};

// Which files each cluster's folder got: files[k] for clusters[k], as
// "clN/name.casrep", the leader's first.
struct Placement {
  std::vector<std::vector<std::string>> files;
};

// Copies one report per distinct stack into OUT/clN/.
Result<Placement> place_cluster_reports(const ReportSet& set, const std::vector<Cluster>& clusters,
                                        const std::string& dir, const PlaceBeside& beside = {});

struct ClusterRun {
  ClusterParameters parameters;
  std::optional<double> silhouette;
  bool joined = false;  // --join (or a baseline): each cluster says whether it is new
  std::string tool = "triage-cluster";
  std::string new_label = "new";  // shown after a new cluster's line
  std::string preamble, epilogue;  // text before and after the cluster table
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();  // more keys for summary.json
  // How a member is named in summary.json (triage-run: the input, not the
  // report made of it on the way); by default its path.
  std::function<std::string(const std::string& member)> member_label;
  // The text under a cluster's line in summary.txt, given its representative
  // report's file; by default "representative: FILE".
  std::function<std::string(const std::string& report_file)> representative_text;
};

// Writes OUT/summary.json and OUT/summary.txt, and OUT/clerr/; returns the text.
Result<std::string> write_cluster_summaries(const ReportSet& set, const std::vector<Cluster>& clusters,
                                            const Placement& placement, const ClusterRun& run,
                                            const std::string& dir);

// Both, as triage-cluster does.
Result<std::string> write_cluster_output(const ReportSet& set, const std::vector<Cluster>& clusters,
                                         const ClusterRun& run, const std::string& dir);

// Reads an earlier triage-cluster output: adds the reports of its cluster
// folders to `set` (as representatives) and its unreadable reports, and
// returns its clusters with their ids and members.
Result<std::vector<Cluster>> read_cluster_output(const std::string& dir, const ClassTable& classes,
                                                 const FrameFilter& filter, ReportSet& set);

}  // namespace triage
