// The position dependent model, by dynamic programming over two stacks of at
// most max_frames frames: O(n * m) time, one row of memory.
#include "triage/cluster/similarity.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace triage {

double stack_similarity(std::span<const uint32_t> a, std::span<const uint32_t> b,
                        const SimilarityParameters& parameters) {
  const size_t n = std::min(a.size(), parameters.max_frames);
  const size_t m = std::min(b.size(), parameters.max_frames);
  if (n == 0 || m == 0) return 1.0;
  // previous[j] / current[j]: best score aligning a[0..i) with b[0..j).
  std::vector<double> previous(m + 1, 0.0);
  std::vector<double> current(m + 1, 0.0);
  for (size_t i = 1; i <= n; ++i) {
    current[0] = 0.0;
    for (size_t j = 1; j <= m; ++j) {
      double best = std::max(previous[j], current[j - 1]);
      if (a[i - 1] == b[j - 1]) {
        double position = static_cast<double>(std::min(i, j) - 1);
        double offset = static_cast<double>(i > j ? i - j : j - i);
        double weight = std::exp(-parameters.position_decay * position -
                                 parameters.offset_decay * offset);
        best = std::max(best, previous[j - 1] + weight);
      }
      current[j] = best;
    }
    std::swap(previous, current);
  }
  double perfect = 0.0;
  for (size_t k = 0; k < std::min(n, m); ++k) {
    perfect += std::exp(-parameters.position_decay * static_cast<double>(k));
  }
  return std::min(1.0, previous[m] / perfect);
}

// The whole table this time, to walk the alignment back. Each cell is
// computed exactly as above, so the score is the same to the last bit.
SimilarityDetail stack_similarity_detail(std::span<const uint32_t> a, std::span<const uint32_t> b,
                                         const SimilarityParameters& parameters) {
  SimilarityDetail detail;
  const size_t n = std::min(a.size(), parameters.max_frames);
  const size_t m = std::min(b.size(), parameters.max_frames);
  detail.compared_a = n;
  detail.compared_b = m;
  detail.similarity = stack_similarity(a, b, parameters);
  if (n == 0 || m == 0) return detail;
  auto weight_of = [&](size_t i, size_t j) {  // 1-based cell of a match
    double position = static_cast<double>(std::min(i, j) - 1);
    double offset = static_cast<double>(i > j ? i - j : j - i);
    return std::exp(-parameters.position_decay * position - parameters.offset_decay * offset);
  };
  std::vector<std::vector<double>> table(n + 1, std::vector<double>(m + 1, 0.0));
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      double best = std::max(table[i - 1][j], table[i][j - 1]);
      if (a[i - 1] == b[j - 1]) best = std::max(best, table[i - 1][j - 1] + weight_of(i, j));
      table[i][j] = best;
    }
  }
  for (size_t i = n, j = m; i > 0 && j > 0;) {
    if (a[i - 1] == b[j - 1] && table[i][j] == table[i - 1][j - 1] + weight_of(i, j)) {
      detail.matches.push_back({i - 1, j - 1, weight_of(i, j)});
      --i;
      --j;
    } else if (table[i][j] == table[i - 1][j]) {
      --i;
    } else {
      --j;
    }
  }
  std::reverse(detail.matches.begin(), detail.matches.end());
  detail.score = table[n][m];
  for (size_t k = 0; k < std::min(n, m); ++k) {
    detail.perfect += std::exp(-parameters.position_decay * static_cast<double>(k));
  }
  return detail;
}

}  // namespace triage
