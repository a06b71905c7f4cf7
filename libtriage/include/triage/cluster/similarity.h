// Stack similarity: how alike two chains of callers are, from 0 (nothing in
// common) to 1 (one is a prefix of the other). It is the position dependent
// model of ReBucket (Dang et al., ICSE 2012), which CASR also uses: frames are
// aligned like a longest common subsequence, and each matched pair adds
//   exp(-position_decay * min(i, j)) * exp(-offset_decay * |i - j|),
// so frames near the crash count most and a match at shifted positions
// (an extra wrapper frame in one stack) counts less; the sum is divided by
// what a perfect match of the shorter stack would score. See
// docs/triage-cluster.md for the weights and why.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace triage {

struct SimilarityParameters {
  double position_decay = 0.2;
  double offset_decay = 0.5;
  size_t max_frames = 32;  // of each stack; deeper frames weigh under exp(-6.4) anyway
};

// Frames are interned keys. Two empty stacks, or one empty, are alike (1):
// nothing tells them apart.
double stack_similarity(std::span<const uint32_t> a, std::span<const uint32_t> b,
                        const SimilarityParameters& parameters = {});

// The same measure with its workings, for explaining it: the frames the
// alignment matched (positions from 0, the immediate caller first) with each
// pair's weight, and what a perfect match would score.
struct SimilarityDetail {
  struct MatchedPair {
    size_t i = 0;
    size_t j = 0;
    double weight = 0.0;
  };
  double similarity = 1.0;
  double score = 0.0;
  double perfect = 0.0;
  size_t compared_a = 0;  // frames of each stack compared (at most max_frames)
  size_t compared_b = 0;
  std::vector<MatchedPair> matches;  // in stack order
};
SimilarityDetail stack_similarity_detail(std::span<const uint32_t> a, std::span<const uint32_t> b,
                                         const SimilarityParameters& parameters = {});

}  // namespace triage
