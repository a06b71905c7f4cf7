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

#include <optional>
#include <string>
#include <vector>

#include "triage/cluster/clustering.h"
#include "triage/cluster/report_set.h"
#include "triage/error.h"

namespace triage {

// Makes `dir` if needed. It must be empty unless `reuse` (the --join
// output written in place): an error says so rather than mixing two runs.
Result<bool> prepare_output(const std::string& dir, bool reuse);

Result<bool> write_dedup_output(const ReportSet& set, const std::string& dir);

struct ClusterRun {
  ClusterParameters parameters;
  std::optional<double> silhouette;
  bool joined = false;  // --join: each cluster says whether it is new
};

// Writes the cluster folders and both summaries; returns the text summary.
Result<std::string> write_cluster_output(const ReportSet& set, const std::vector<Cluster>& clusters,
                                         const ClusterRun& run, const std::string& dir);

// Reads an earlier triage-cluster output: adds the reports of its cluster
// folders to `set` (as representatives) and its unreadable reports, and
// returns its clusters with their ids and members.
Result<std::vector<Cluster>> read_cluster_output(const std::string& dir, const ClassTable& classes,
                                                 const FrameFilter& filter, ReportSet& set);

}  // namespace triage
