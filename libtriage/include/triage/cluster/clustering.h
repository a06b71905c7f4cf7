// Clustering unique crashes into bugs. Crashes are first split by what a bug
// never mixes: the class family (DestAv, SourceAv, ControlFlowAv, ...) and
// the crash site (the crash frame's function and line, or a stack
// overflow's recursion). Within one such group, a crash joins the cluster
// whose leader's callers are most similar to its own, when that similarity
// reaches the threshold; otherwise it leads a new cluster. Crashes are taken
// in a fixed order (most reports first), so the result is deterministic, and
// each is compared with leaders only, so time grows with crashes x clusters
// of one group, and memory with crashes. docs/triage-cluster.md explains the
// choices.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "triage/cluster/report_set.h"
#include "triage/cluster/similarity.h"

namespace triage {

struct ClusterParameters {
  double threshold = 0.3;  // least caller similarity to join a cluster
  SimilarityParameters similarity;
};

struct Cluster {
  int id = 0;                   // 1.. : by severity, then size
  std::vector<size_t> crashes;  // indices into ReportSet::crashes(), the leader first
  // Members of an earlier output (--join), carried over as they were.
  std::vector<std::string> carried_members;
  bool is_new = true;           // false: the cluster came from an earlier output
  // The most severe class among the crashes (then the most frequent).
  std::string type;
  std::string class_name;

  size_t report_count(const ReportSet& set) const;
};

// Rank of a severity type: EXPLOITABLE 0, PROBABLY_EXPLOITABLE 1,
// NOT_EXPLOITABLE 2, anything else 3.
int severity_rank(const std::string& type);

// Clusters every crash of `set`. `earlier` are clusters of an earlier output
// whose crashes were added to `set` first (ReportSet::add_representative):
// they keep their ids and leaders; new crashes may join them; new clusters
// are numbered after the highest earlier id.
std::vector<Cluster> cluster_crashes(const ReportSet& set, const ClusterParameters& parameters,
                                     std::vector<Cluster> earlier = {});

// The mean silhouette of the clustering (-1 .. 1, higher is better), over
// the unique crashes (at most max_points of them, evenly spaced, when there
// are more), with distance 1 - similarity and crashes of different groups at
// distance 1, each crash weighted by its number of reports (duplicates are
// at distance 0). A report alone in its cluster scores 0.
double silhouette(const ReportSet& set, const std::vector<Cluster>& clusters,
                  const ClusterParameters& parameters, size_t max_points = 2000);

}  // namespace triage
