#include "stats/eval_lowess.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace amdrn::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Cube(double v) { return v * v * v; }
double Square(double v) { return v * v; }

// Weighted local linear fit at xs from points [nleft, nright] (0-based, inclusive), picking up
// ties to the right. Returns false when all weights are zero. `w` is scratch of size n.
bool LowestFit(const std::vector<double>& x, const std::vector<double>& y, double xs, int nleft,
               int nright, bool use_robust, const std::vector<double>& rw, std::vector<double>* w,
               double* ys) {
  const int n = x.size();
  const double range = x[n - 1] - x[0];
  const double h = std::max(xs - x[nleft], x[nright] - xs);
  const double h9 = 0.999 * h, h1 = 0.001 * h;
  double a = 0;
  int j = nleft;
  for (; j < n; ++j) {
    (*w)[j] = 0;
    const double r = std::fabs(x[j] - xs);
    if (r <= h9) {
      (*w)[j] = r <= h1 ? 1. : Cube(1. - Cube(r / h));
      if (use_robust) (*w)[j] *= rw[j];
      a += (*w)[j];
    } else if (x[j] > xs) {
      break;
    }
  }
  const int nrt = j - 1;
  if (a <= 0.) return false;
  for (j = nleft; j <= nrt; ++j) (*w)[j] /= a;
  if (h > 0.) {
    a = 0;
    for (j = nleft; j <= nrt; ++j) a += (*w)[j] * x[j];
    double b = xs - a;
    double c = 0;
    for (j = nleft; j <= nrt; ++j) c += (*w)[j] * (x[j] - a) * (x[j] - a);
    if (std::sqrt(c) > 0.001 * range) {
      b /= c;
      for (j = nleft; j <= nrt; ++j) (*w)[j] *= (b * (x[j] - a) + 1.);
    }
  }
  *ys = 0;
  for (j = nleft; j <= nrt; ++j) *ys += (*w)[j] * y[j];
  return true;
}

// One pass of fits over all points (R's clowess inner loop), 0-based.
void FitPass(const std::vector<double>& x, const std::vector<double>& y, int ns, double delta,
             bool use_robust, const std::vector<double>& rw, std::vector<double>* ys) {
  const int n = x.size();
  std::vector<double> w(n);
  int nleft = 0, nright = ns - 1, last = -1, i = 0;
  for (;;) {
    if (nright < n - 1) {
      const double d1 = x[i] - x[nleft];
      const double d2 = x[nright + 1] - x[i];
      if (d1 > d2) {
        ++nleft;
        ++nright;
        continue;
      }
    }
    if (!LowestFit(x, y, x[i], nleft, nright, use_robust, rw, &w, &(*ys)[i])) (*ys)[i] = y[i];
    if (last < i - 1) {
      const double denom = x[i] - x[last];
      for (int j = last + 1; j < i; ++j) {
        const double alpha = (x[j] - x[last]) / denom;
        (*ys)[j] = alpha * (*ys)[i] + (1. - alpha) * (*ys)[last];
      }
    }
    last = i;
    const double cut = x[last] + delta;
    for (i = last + 1; i < n; ++i) {
      if (x[i] > cut) break;
      if (x[i] == x[last]) {
        (*ys)[i] = (*ys)[last];
        last = i;
      }
    }
    i = std::max(last + 1, i - 1);
    if (last >= n - 1) break;
  }
}

// Bisquare robustness weights from residuals; false when the residual scale is ~0.
bool RobustnessWeights(const std::vector<double>& res, std::vector<double>* rw) {
  const int n = res.size();
  double sc = 0;
  for (double r : res) sc += std::fabs(r);
  sc /= n;
  std::vector<double> abs_res(n);
  for (int i = 0; i < n; ++i) abs_res[i] = std::fabs(res[i]);
  const int m1 = n / 2;
  std::nth_element(abs_res.begin(), abs_res.begin() + m1, abs_res.end());
  double cmad;
  if (n % 2 == 0) {
    const double upper = abs_res[m1];
    const double lower = *std::max_element(abs_res.begin(), abs_res.begin() + m1);
    cmad = 3. * (upper + lower);
  } else {
    cmad = 6. * abs_res[m1];
  }
  if (cmad < 1e-7 * sc) return false;
  const double c9 = 0.999 * cmad, c1 = 0.001 * cmad;
  for (int i = 0; i < n; ++i) {
    const double r = std::fabs(res[i]);
    (*rw)[i] = r <= c1 ? 1. : (r <= c9 ? Square(1. - Square(r / cmad)) : 0.);
  }
  return true;
}

}  // namespace

StatusOr<Curve> Lowess(const std::vector<double>& x, const std::vector<double>& y,
                       const LowessOptions& options) {
  if (x.size() != y.size() || x.empty()) {
    return InvalidArgumentError("expected equally long, non-empty x and y for lowess, found " +
                                std::to_string(x.size()) + " and " + std::to_string(y.size()));
  }
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) {
      return InvalidArgumentError("expected finite values for lowess, found a non-finite one at " +
                                  std::to_string(i + 1));
    }
  }
  const int n = x.size();
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return x[a] < x[b]; });
  Curve out;
  std::vector<double> ys_in(n);
  for (int i = 0; i < n; ++i) {
    out.x.push_back(x[order[i]]);
    ys_in[i] = y[order[i]];
  }
  out.y.assign(n, 0);
  if (n < 2) {
    out.y[0] = ys_in[0];
    return out;
  }
  const double delta = options.delta >= 0 ? options.delta : 0.01 * (out.x[n - 1] - out.x[0]);
  const int ns = std::max(2, std::min(n, static_cast<int>(options.f * n + 1e-7)));
  std::vector<double> rw(n, 1.0), res(n);
  for (int iter = 1; iter <= options.iter + 1; ++iter) {
    FitPass(out.x, ys_in, ns, delta, iter > 1, rw, &out.y);
    for (int i = 0; i < n; ++i) res[i] = ys_in[i] - out.y[i];
    if (iter > options.iter) break;
    if (!RobustnessWeights(res, &rw)) break;
  }
  return out;
}

std::vector<double> ApproxLinear(const Curve& curve, const std::vector<double>& xout,
                                 ApproxTies ties) {
  // regularize.values: sort by x (stable), collapse ties.
  std::vector<int> order(curve.x.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return curve.x[a] < curve.x[b]; });
  std::vector<double> xs, ys;
  for (size_t k = 0; k < order.size();) {
    size_t end = k;
    double sum = 0;
    while (end < order.size() && curve.x[order[end]] == curve.x[order[k]]) {
      sum += curve.y[order[end]];
      ++end;
    }
    xs.push_back(curve.x[order[k]]);
    ys.push_back(ties == ApproxTies::kFirst ? curve.y[order[k]] : sum / (end - k));
    k = end;
  }
  std::vector<double> out;
  out.reserve(xout.size());
  const size_t n = xs.size();
  for (double v : xout) {
    if (n == 0 || std::isnan(v) || v < xs[0] || v > xs[n - 1]) {
      out.push_back(kNaN);
      continue;
    }
    size_t i = 0, j = n - 1;
    while (i + 1 < j) {
      const size_t ij = (i + j) / 2;
      if (v < xs[ij])
        j = ij;
      else
        i = ij;
    }
    if (v == xs[j])
      out.push_back(ys[j]);
    else if (v == xs[i])
      out.push_back(ys[i]);
    else
      out.push_back(ys[i] + (ys[j] - ys[i]) * ((v - xs[i]) / (xs[j] - xs[i])));
  }
  return out;
}

double Quantile7(std::vector<double> values, double q) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }),
               values.end());
  if (values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  // R: index = 1 + (n - 1) q (1-based, computed the same way for identical rounding).
  const double index = 1 + static_cast<double>(values.size() - 1) * q;
  const double lo = std::floor(index), hi = std::ceil(index);
  const double x_lo = values[static_cast<size_t>(lo) - 1];
  const double x_hi = values[static_cast<size_t>(hi) - 1];
  if (!(index > lo) || x_hi == x_lo) return x_lo;
  const double h = index - lo;
  return (1 - h) * x_lo + h * x_hi;
}

}  // namespace amdrn::stats
