#include "stats/eval_pretty.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace amdrn::stats {
namespace {

constexpr double kRoundingEps = 1e-10;

struct PrettyBounds {
  double lo = 0;
  double up = 0;
  int ndiv = 0;
};

// The cell (rough interval width) before rounding to {1, 2, 5, 10} x 10^k.
double InitialCell(double lo, double up, int ndiv, int min_n, double shrink_sml, double h,
                   double h5, bool* i_small) {
  const double dx = up - lo;
  double cell;
  if (dx == 0 && up == 0) {
    cell = 1;
    *i_small = true;
  } else {
    cell = std::max(std::fabs(lo), std::fabs(up));
    double u = 1 + ((h5 >= 1.5 * h + .5) ? 1 / (1 + h) : 1.5 / (1 + h5));
    u *= std::max(1, ndiv) * DBL_EPSILON;
    *i_small = dx < cell * u * 3;
  }
  if (*i_small) {
    if (cell > 10) cell = 9 + cell / 10;
    cell *= shrink_sml;
    if (min_n > 1) cell /= min_n;
  } else {
    cell = dx;
    if (std::isfinite(dx)) {
      if (ndiv > 1) cell /= ndiv;
    } else if (ndiv >= 2) {
      cell = up / ndiv - lo / ndiv;
    }
  }
  return cell;
}

// R_pretty(..., eps_correction = 0, return_bounds = TRUE).
PrettyBounds RPretty(double lo, double up, int ndiv, int min_n, double shrink_sml, double h,
                     double h5, double f_min) {
  bool i_small = false;
  double cell = InitialCell(lo, up, ndiv, min_n, shrink_sml, h, h5, &i_small);
  double subsmall = f_min * DBL_MIN;
  if (subsmall == 0.) subsmall = DBL_MIN;
  if (cell < subsmall) {
    cell = subsmall;
  } else if (cell > DBL_MAX / 1.25) {
    cell = DBL_MAX / 1.25;
  }
  const double base = std::pow(10.0, std::floor(std::log10(cell)));
  double unit = base;
  double u;
  if ((u = 2 * base) - cell < h * (cell - unit)) {
    unit = u;
    if ((u = 5 * base) - cell < h5 * (cell - unit)) {
      unit = u;
      if ((u = 10 * base) - cell < h * (cell - unit)) unit = u;
    }
  }
  double ns = std::floor(lo / unit + kRoundingEps);
  double nu = std::ceil(up / unit - kRoundingEps);
  while (ns * unit > lo + kRoundingEps * unit) ns--;
  while (!std::isfinite(ns * unit)) ns++;
  while (nu * unit < up - kRoundingEps * unit) nu++;
  while (!std::isfinite(nu * unit)) nu--;

  PrettyBounds out{lo, up, 0};
  int k = static_cast<int>(0.5 + nu - ns);
  if (k < min_n) {
    k = min_n - k;
    if (lo == 0. && ns == 0. && up != 0.) {
      nu += k;
    } else if (up == 0. && nu == 0. && lo != 0.) {
      ns -= k;
    } else if (ns >= 0.) {
      nu += k / 2;
      ns -= k / 2 + k % 2;
    } else {
      ns -= k / 2;
      nu += k / 2 + k % 2;
    }
    out.ndiv = min_n;
  } else {
    out.ndiv = k;
  }
  if (ns * unit < out.lo) out.lo = ns * unit;
  if (nu * unit > out.up) out.up = nu * unit;
  return out;
}

// seq.int(from, to, length.out = count) as R's do_seq computes it.
std::vector<double> SeqLengthOut(double from, double to, int count) {
  std::vector<double> s(count);
  if (count > 0) s[0] = from;
  if (count > 1) s[count - 1] = to;
  if (count > 2) {
    const double by = (to - from) / static_cast<double>(count - 1);
    for (int i = 1; i < count - 1; ++i) s[i] = from + static_cast<double>(i) * by;
  }
  return s;
}

}  // namespace

std::vector<double> Pretty(double lo, double hi, const PrettyOptions& options) {
  const bool lo_ok = std::isfinite(lo), hi_ok = std::isfinite(hi);
  if (!lo_ok && !hi_ok) return {};
  if (!lo_ok) lo = hi;
  if (!hi_ok) hi = lo;
  if (lo > hi) std::swap(lo, hi);
  const int min_n = options.min_n < 0 ? options.n / 3 : options.min_n;
  const double h = options.high_u_bias;
  const double h5 = options.u5_bias < 0 ? 0.5 + 1.5 * h : options.u5_bias;
  const PrettyBounds b =
      RPretty(lo, hi, options.n, min_n, options.shrink_sml, h, h5, options.f_min);
  std::vector<double> s = SeqLengthOut(b.lo, b.up, b.ndiv + 1);
  if (b.ndiv > 0) {
    const double delta = std::max(b.lo, b.up) / b.ndiv - std::min(b.lo, b.up) / b.ndiv;
    for (double& v : s) {
      if (std::fabs(v) < 1e-14 * delta) v = 0;
    }
  }
  return s;
}

std::vector<double> PrettyOfRange(const std::vector<double>& x, const PrettyOptions& options) {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  for (double v : x) {
    if (!std::isfinite(v)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (lo > hi) return {};
  return Pretty(lo, hi, options);
}

std::string FormatTick(double v) {
  char buf[64];
  const double magnitude = std::fabs(v);
  const int int_digits =
      magnitude >= 1 ? static_cast<int>(std::floor(std::log10(magnitude))) + 1 : 1;
  for (int digits = std::min(int_digits, 15); digits <= 15; ++digits) {
    std::snprintf(buf, sizeof(buf), "%.*g", digits, v);
    if (std::fabs(std::strtod(buf, nullptr) - v) <= 1e-9 * std::max(1.0, std::fabs(v))) break;
  }
  return std::string(buf) == "-0" ? "0" : buf;
}

}  // namespace amdrn::stats
