#include "dl/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace amdrn::dl {

double MannWhitneyAuc(const std::vector<double>& scores, const std::vector<int>& labels) {
  // Rank-sum form with mid-ranks for ties: O(N log N).
  const size_t n = scores.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double rank_sum_pos = 0;
  size_t pos = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    double mid_rank = 0.5 * (i + 1 + j);
    for (size_t t = i; t < j; ++t) {
      if (labels[order[t]] == 1) rank_sum_pos += mid_rank;
    }
    i = j;
  }
  for (int y : labels) pos += (y == 1);
  const size_t neg = n - pos;
  if (pos == 0 || neg == 0) return std::nan("");
  return (rank_sum_pos - 0.5 * pos * (pos + 1.0)) / (static_cast<double>(pos) * neg);
}

double Accuracy(const std::vector<double>& scores, const std::vector<int>& labels,
                double threshold) {
  if (scores.empty()) return std::nan("");
  size_t right = 0;
  for (size_t i = 0; i < scores.size(); ++i)
    right += ((scores[i] >= threshold) == (labels[i] == 1));
  return static_cast<double>(right) / scores.size();
}

}  // namespace amdrn::dl
