// R's lowess() (Cleveland's LOWESS as in R's stats/src/lowess.c: tricube weights, local
// linear fits, `delta` skipping with linear interpolation, bisquare robustness iterations)
// and approx() (linear interpolation with R's tie rules), the smoothers behind rms::val.prob
// and rms::calibrate. Pure functions, thread-safe.
#ifndef AMDRN_STATS_EVAL_LOWESS_H_
#define AMDRN_STATS_EVAL_LOWESS_H_

#include <vector>

#include "core/status.h"

namespace amdrn::stats {

struct LowessOptions {
  double f = 2.0 / 3.0;  // smoother span (share of points in each local fit)
  int iter = 3;          // robustness iterations (rms uses 0)
  double delta = -1;     // skip distance; -1 = 0.01 * diff(range(x)) as R
};

struct Curve {
  std::vector<double> x;  // ascending (ties kept)
  std::vector<double> y;
};

// lowess(x, y, f, iter, delta): x sorted (stable), y the smoothed values. Errors:
// InvalidArgument on size mismatch, non-finite values or no points.
StatusOr<Curve> Lowess(const std::vector<double>& x, const std::vector<double>& y,
                       const LowessOptions& options = {});

enum class ApproxTies { kMean, kFirst };

// approx(curve$x, curve$y, xout, ties = ...)$y with rule = 1: NaN outside [min x, max x].
// `curve.x` need not be sorted; tied x are collapsed with the tie rule first.
std::vector<double> ApproxLinear(const Curve& curve, const std::vector<double>& xout,
                                 ApproxTies ties);

// R quantile(x, q, type = 7) of the non-NaN values; NaN if there are none.
double Quantile7(std::vector<double> values, double q);

}  // namespace amdrn::stats

#endif  // AMDRN_STATS_EVAL_LOWESS_H_
