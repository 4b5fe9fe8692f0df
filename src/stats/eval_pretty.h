// R's pretty() (base::pretty.default, R 4.2: src/appl/pretty.c + seq.int) reimplemented so
// nomogram and figure axes carry exactly the ticks R users see. Pure functions, thread-safe.
#ifndef AMDRN_STATS_EVAL_PRETTY_H_
#define AMDRN_STATS_EVAL_PRETTY_H_

#include <string>
#include <vector>

namespace amdrn::stats {

// Arguments of pretty.default with R's defaults.
struct PrettyOptions {
  int n = 5;                 // desired number of intervals
  int min_n = -1;            // minimal number of intervals; -1 = n %/% 3
  double shrink_sml = 0.75;  // shrink factor when the range is (almost) zero
  double high_u_bias = 1.5;  // bias towards larger units
  double u5_bias = -1;       // bias towards 5; -1 = 0.5 + 1.5 * high_u_bias
  double f_min = 0x1p-20;    // smallest cell as a multiple of DBL_MIN
};

// pretty(c(lo, hi), n): about n+1 equally spaced round values covering [lo, hi] (bitwise the
// doubles R 4.2 returns). Non-finite ends are ignored as R does; both non-finite -> empty.
// Requires: options.n >= 0 and 0 <= min_n <= n.
std::vector<double> Pretty(double lo, double hi, const PrettyOptions& options = {});
// pretty() of the finite values in `x` (their range).
std::vector<double> PrettyOfRange(const std::vector<double>& x, const PrettyOptions& options = {});

// Tick label text: the shortest %g form (at least all integer digits, at most 15 significant
// digits) within 1e-9 relative of v, so pretty() values print as R users read them
// (0.30000000000000004 -> "0.3", 100 -> "100", -0 -> "0").
std::string FormatTick(double v);

}  // namespace amdrn::stats

#endif  // AMDRN_STATS_EVAL_PRETTY_H_
