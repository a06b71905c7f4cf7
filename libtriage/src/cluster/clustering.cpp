// Leader clustering within (family, crash site) groups, and the silhouette
// of the result.
#include "triage/cluster/clustering.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <numeric>
#include <tuple>
#include <unordered_map>

namespace triage {
namespace {

// The cluster's class: the most severe among its crashes, then the one with
// the most reports, then by name.
void settle_class(Cluster& cluster, const ReportSet& set) {
  std::map<std::pair<std::string, std::string>, size_t> reports;  // (type, class) -> count
  for (size_t index : cluster.crashes) {
    const UniqueCrash& crash = set.crashes()[index];
    reports[{crash.stack.type, crash.stack.class_name}] += std::max<size_t>(1, crash.members.size());
  }
  auto better = [](const auto& a, const auto& b) {
    return std::tuple(severity_rank(a.first.first), -static_cast<long>(a.second), a.first.second) <
           std::tuple(severity_rank(b.first.first), -static_cast<long>(b.second), b.first.second);
  };
  auto best = std::min_element(reports.begin(), reports.end(), better);
  if (best != reports.end()) {
    cluster.type = best->first.first;
    cluster.class_name = best->first.second;
  }
}

double distance(const UniqueCrash& a, const UniqueCrash& b, const ClusterParameters& parameters) {
  if (a.site != b.site) return 1.0;
  return 1.0 - stack_similarity(a.callers, b.callers, parameters.similarity);
}

}  // namespace

int severity_rank(const std::string& type) {
  if (type == "EXPLOITABLE") return 0;
  if (type == "PROBABLY_EXPLOITABLE") return 1;
  if (type == "NOT_EXPLOITABLE") return 2;
  return 3;
}

size_t Cluster::report_count(const ReportSet& set) const {
  size_t count = carried_members.size();
  for (size_t index : crashes) count += set.crashes()[index].members.size();
  return count;
}

std::vector<Cluster> cluster_crashes(const ReportSet& set, const ClusterParameters& parameters,
                                     std::vector<Cluster> earlier) {
  const auto& crashes = set.crashes();
  std::vector<Cluster> clusters = std::move(earlier);
  std::vector<bool> assigned(crashes.size(), false);
  std::unordered_map<uint32_t, std::vector<size_t>> leaders;  // site -> clusters led there
  int highest_id = 0;
  for (size_t k = 0; k < clusters.size(); ++k) {
    for (size_t index : clusters[k].crashes) assigned[index] = true;
    if (!clusters[k].crashes.empty()) leaders[crashes[clusters[k].crashes.front()].site].push_back(k);
    highest_id = std::max(highest_id, clusters[k].id);
  }
  const size_t first_new = clusters.size();

  // Most reports first: the commonest stack of a bug leads its cluster.
  std::vector<size_t> order;
  for (size_t i = 0; i < crashes.size(); ++i) {
    if (!assigned[i]) order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const UniqueCrash& x = crashes[a];
    const UniqueCrash& y = crashes[b];
    return std::tuple(-static_cast<long>(x.members.size()), severity_rank(x.stack.type), std::string_view(x.report)) <
           std::tuple(-static_cast<long>(y.members.size()), severity_rank(y.stack.type), std::string_view(y.report));
  });
  for (size_t index : order) {
    const UniqueCrash& crash = crashes[index];
    std::vector<size_t>& candidates = leaders[crash.site];
    size_t best = clusters.size();
    double best_similarity = -1.0;
    for (size_t k : candidates) {
      const UniqueCrash& leader = crashes[clusters[k].crashes.front()];
      double similarity = stack_similarity(crash.callers, leader.callers, parameters.similarity);
      if (similarity > best_similarity) {
        best_similarity = similarity;
        best = k;
      }
    }
    // A merge rule's group is one bug: it joins whatever leads there.
    if (best < clusters.size() && (best_similarity >= parameters.threshold || crash.one_bug)) {
      clusters[best].crashes.push_back(index);
    } else {
      Cluster cluster;
      cluster.crashes.push_back(index);
      candidates.push_back(clusters.size());
      clusters.push_back(std::move(cluster));
    }
  }
  for (Cluster& cluster : clusters) settle_class(cluster, set);

  // New clusters are numbered by severity, then size, then what they are.
  std::vector<size_t> fresh(clusters.size() - first_new);
  std::iota(fresh.begin(), fresh.end(), first_new);
  auto key = [&](size_t k) {
    const Cluster& c = clusters[k];
    const UniqueCrash& leader = crashes[c.crashes.front()];
    return std::tuple(severity_rank(c.type), -static_cast<long>(c.report_count(set)), c.class_name,
                      leader.stack.crash_line, leader.report);
  };
  std::sort(fresh.begin(), fresh.end(), [&](size_t a, size_t b) { return key(a) < key(b); });
  for (size_t k : fresh) clusters[k].id = ++highest_id;
  std::sort(clusters.begin(), clusters.end(), [](const Cluster& a, const Cluster& b) { return a.id < b.id; });
  return clusters;
}

double silhouette(const ReportSet& set, const std::vector<Cluster>& clusters,
                  const ClusterParameters& parameters, size_t max_points) {
  // Points are unique crashes weighted by their reports: duplicates sit at
  // distance 0 from each other, so a bug found by many inputs counts as such.
  struct Point {
    size_t crash;
    size_t cluster;
    double weight;
  };
  std::vector<Point> points;
  for (size_t k = 0; k < clusters.size(); ++k) {
    for (size_t index : clusters[k].crashes) {
      points.push_back({index, k, static_cast<double>(std::max<size_t>(1, set.crashes()[index].members.size()))});
    }
  }
  if (points.size() > max_points) {
    std::vector<Point> sample;
    for (size_t i = 0; i < max_points; ++i) sample.push_back(points[i * points.size() / max_points]);
    points = std::move(sample);
  }
  const auto& crashes = set.crashes();
  double total = 0.0;
  double weights = 0.0;
  std::vector<double> sum(clusters.size());
  std::vector<double> count(clusters.size());
  for (const Point& point : points) {
    weights += point.weight;
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(count.begin(), count.end(), 0.0);
    for (const Point& other : points) {
      double weight = other.crash == point.crash ? other.weight - 1 : other.weight;
      sum[other.cluster] += weight * distance(crashes[point.crash], crashes[other.crash], parameters);
      count[other.cluster] += weight;
    }
    if (count[point.cluster] == 0) continue;  // alone in its cluster: 0
    double a = sum[point.cluster] / count[point.cluster];
    double b = -1.0;
    for (size_t k = 0; k < clusters.size(); ++k) {
      if (k == point.cluster || count[k] == 0) continue;
      double mean = sum[k] / count[k];
      if (b < 0 || mean < b) b = mean;
    }
    if (b < 0) continue;  // one cluster only: nothing to compare with
    double larger = std::max(a, b);
    if (larger > 0) total += point.weight * (b - a) / larger;
  }
  return weights > 0 ? total / weights : 0.0;
}

}  // namespace triage
