// Small helpers shared by the benchmark programs in bench/.
#ifndef AMDRN_BENCH_BENCH_UTIL_H_
#define AMDRN_BENCH_BENCH_UTIL_H_

#include <algorithm>
#include <cmath>
#include <vector>

namespace amdrn::bench {

// Median of `v` (mean of the two middle values for an even count); NaN when empty.
inline double Median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace amdrn::bench

#endif  // AMDRN_BENCH_BENCH_UTIL_H_
