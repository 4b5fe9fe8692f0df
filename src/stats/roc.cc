#include "stats/roc.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "stats/distributions.h"
#include "stats/eval_random.h"

namespace amdrn::stats {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kFewInClass = 8;

struct SplitScores {
  std::vector<double> cases;     // sorted ascending
  std::vector<double> controls;  // sorted ascending
};

SplitScores Split(const std::vector<double>& outcome, const std::vector<double>& score) {
  SplitScores s;
  for (size_t i = 0; i < outcome.size(); ++i) {
    (outcome[i] == 1 ? s.cases : s.controls).push_back(score[i]);
  }
  std::sort(s.cases.begin(), s.cases.end());
  std::sort(s.controls.begin(), s.controls.end());
  return s;
}

// Number of values in sorted `v` below x plus half the number equal to x.
double CountBelowHalfTies(const std::vector<double>& v, double x) {
  const auto lo = std::lower_bound(v.begin(), v.end(), x);
  const auto hi = std::upper_bound(lo, v.end(), x);
  return static_cast<double>(lo - v.begin()) + 0.5 * static_cast<double>(hi - lo);
}

// DeLong placements: v10[i] for each case (share of controls it beats), v01[j] for each
// control (share of cases that beat it), in the order of `s`.
struct Placements {
  std::vector<double> v10, v01;
  double auc = 0;
};

Placements ComputePlacements(const SplitScores& s) {
  Placements p;
  const double m = s.cases.size(), n = s.controls.size();
  p.v10.reserve(s.cases.size());
  for (double x : s.cases) p.v10.push_back(CountBelowHalfTies(s.controls, x) / n);
  p.v01.reserve(s.controls.size());
  for (double y : s.controls) {
    // cases above y plus half the ties = m - (cases below y + half ties at y)
    p.v01.push_back((m - CountBelowHalfTies(s.cases, y)) / m);
  }
  p.auc = std::accumulate(p.v10.begin(), p.v10.end(), 0.0) / m;
  return p;
}

double SampleCovariance(const std::vector<double>& a, double mean_a, const std::vector<double>& b,
                        double mean_b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += (a[i] - mean_a) * (b[i] - mean_b);
  return sum / static_cast<double>(a.size() - 1);
}

// Placements of a score whose values are kept in patient order (for the paired test the
// covariance needs the same patient at the same index in both scores).
Placements PatientOrderPlacements(const std::vector<double>& outcome,
                                  const std::vector<double>& score) {
  const SplitScores sorted = Split(outcome, score);
  Placements p;
  const double m = sorted.cases.size(), n = sorted.controls.size();
  for (size_t i = 0; i < outcome.size(); ++i) {
    if (outcome[i] == 1) {
      p.v10.push_back(CountBelowHalfTies(sorted.controls, score[i]) / n);
    } else {
      p.v01.push_back((m - CountBelowHalfTies(sorted.cases, score[i])) / m);
    }
  }
  p.auc = std::accumulate(p.v10.begin(), p.v10.end(), 0.0) / m;
  return p;
}

Status CheckDelongSizes(int n_cases, int n_controls) {
  if (n_cases < 2 || n_controls < 2) {
    return FailedPreconditionError(
        "expected at least 2 cases and 2 controls for a DeLong variance, found " +
        std::to_string(n_cases) + " cases and " + std::to_string(n_controls) + " controls");
  }
  return OkStatus();
}

double ZQuantile(double conf_level) { return NormalQuantile(0.5 + conf_level / 2); }

}  // namespace

Status CheckBinaryScores(const std::vector<double>& outcome, const std::vector<double>& score,
                         const std::string& what) {
  if (outcome.size() != score.size()) {
    return InvalidArgumentError("expected as many " + what + " values as outcomes, found " +
                                std::to_string(score.size()) + " and " +
                                std::to_string(outcome.size()));
  }
  int64_t n_cases = 0, n_nonfinite = 0;
  for (size_t i = 0; i < outcome.size(); ++i) {
    if (outcome[i] != 0 && outcome[i] != 1) {
      return InvalidArgumentError("expected outcome 0 or 1, found " + std::to_string(outcome[i]) +
                                  " at row " + std::to_string(i + 1));
    }
    n_cases += outcome[i] == 1;
    n_nonfinite += !std::isfinite(score[i]);
  }
  if (n_nonfinite > 0) {
    return InvalidArgumentError("expected finite " + what + " values, found " +
                                std::to_string(n_nonfinite) + " missing, NaN or infinite");
  }
  const int64_t n_controls = static_cast<int64_t>(outcome.size()) - n_cases;
  if (n_cases == 0 || n_controls == 0) {
    return FailedPreconditionError("expected both outcome classes, found " +
                                   std::to_string(n_cases) + " cases and " +
                                   std::to_string(n_controls) + " controls");
  }
  return OkStatus();
}

StatusOr<RocCurve> ComputeRoc(const std::vector<double>& outcome,
                              const std::vector<double>& score) {
  AMDRN_RETURN_IF_ERROR(CheckBinaryScores(outcome, score, "score"));
  const SplitScores s = Split(outcome, score);
  std::vector<double> unique = score;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());

  RocCurve curve;
  curve.n_cases = s.cases.size();
  curve.n_controls = s.controls.size();
  std::vector<double> thresholds{-kInf};
  for (size_t i = 1; i < unique.size(); ++i) thresholds.push_back((unique[i - 1] + unique[i]) / 2);
  thresholds.push_back(kInf);
  for (double t : thresholds) {
    const auto cases_below = std::lower_bound(s.cases.begin(), s.cases.end(), t) - s.cases.begin();
    const auto controls_below =
        std::lower_bound(s.controls.begin(), s.controls.end(), t) - s.controls.begin();
    curve.points.push_back({t, static_cast<double>(curve.n_cases - cases_below) / curve.n_cases,
                            static_cast<double>(controls_below) / curve.n_controls});
  }
  return curve;
}

StatusOr<double> ComputeAuc(const std::vector<double>& outcome, const std::vector<double>& score) {
  AMDRN_RETURN_IF_ERROR(CheckBinaryScores(outcome, score, "score"));
  return ComputePlacements(Split(outcome, score)).auc;
}

StatusOr<AucResult> ComputeAucDelong(const std::vector<double>& outcome,
                                     const std::vector<double>& score, double conf_level) {
  AMDRN_RETURN_IF_ERROR(CheckBinaryScores(outcome, score, "score"));
  const SplitScores s = Split(outcome, score);
  AucResult r;
  r.n_cases = s.cases.size();
  r.n_controls = s.controls.size();
  AMDRN_RETURN_IF_ERROR(CheckDelongSizes(r.n_cases, r.n_controls));
  const Placements p = ComputePlacements(s);
  const double s10 = SampleCovariance(p.v10, p.auc, p.v10, p.auc);
  const double s01 = SampleCovariance(p.v01, p.auc, p.v01, p.auc);
  r.auc = p.auc;
  r.variance = s10 / r.n_cases + s01 / r.n_controls;
  r.se = std::sqrt(r.variance);
  r.conf_level = conf_level;
  const double z = ZQuantile(conf_level);
  r.ci_lower = std::max(0.0, r.auc - z * r.se);
  r.ci_upper = std::min(1.0, r.auc + z * r.se);
  if (std::min(r.n_cases, r.n_controls) < kFewInClass) {
    r.warnings.push_back("a class has fewer than 8 patients (" + std::to_string(r.n_cases) +
                         " cases, " + std::to_string(r.n_controls) +
                         " controls): the DeLong CI is unreliable");
  }
  return r;
}

StatusOr<PairedDelongResult> PairedDelongTest(const std::vector<double>& outcome,
                                              const std::vector<double>& score1,
                                              const std::vector<double>& score2,
                                              double conf_level) {
  AMDRN_RETURN_IF_ERROR(CheckBinaryScores(outcome, score1, "first score"));
  AMDRN_RETURN_IF_ERROR(CheckBinaryScores(outcome, score2, "second score"));
  const Placements a = PatientOrderPlacements(outcome, score1);
  const Placements b = PatientOrderPlacements(outcome, score2);
  const int m = a.v10.size(), n = a.v01.size();
  AMDRN_RETURN_IF_ERROR(CheckDelongSizes(m, n));
  const double var1 = SampleCovariance(a.v10, a.auc, a.v10, a.auc) / m +
                      SampleCovariance(a.v01, a.auc, a.v01, a.auc) / n;
  const double var2 = SampleCovariance(b.v10, b.auc, b.v10, b.auc) / m +
                      SampleCovariance(b.v01, b.auc, b.v01, b.auc) / n;
  const double cov = SampleCovariance(a.v10, a.auc, b.v10, b.auc) / m +
                     SampleCovariance(a.v01, a.auc, b.v01, b.auc) / n;
  PairedDelongResult r;
  r.auc1 = a.auc;
  r.auc2 = b.auc;
  r.difference = a.auc - b.auc;
  r.se = std::sqrt(std::max(0.0, var1 + var2 - 2 * cov));
  r.correlation = cov / std::sqrt(var1 * var2);
  r.conf_level = conf_level;
  if (r.se == 0) {
    r.z = 0;
    r.p_value = 1;
  } else {
    r.z = r.difference / r.se;
    r.p_value = TwoSidedNormalP(r.z);
  }
  const double z = ZQuantile(conf_level);
  r.ci_lower = r.difference - z * r.se;
  r.ci_upper = r.difference + z * r.se;
  return r;
}

std::vector<RocPoint> YoudenOptima(const RocCurve& curve) {
  // sens + spec = (tp * n + tn * m) / (m n): compare the integer numerators exactly.
  const int64_t m = curve.n_cases, n = curve.n_controls;
  std::vector<int64_t> score(curve.points.size());
  int64_t best = -1;
  for (size_t i = 0; i < curve.points.size(); ++i) {
    const int64_t tp = std::llround(curve.points[i].sensitivity * m);
    const int64_t tn = std::llround(curve.points[i].specificity * n);
    score[i] = tp * n + tn * m;
    best = std::max(best, score[i]);
  }
  std::vector<RocPoint> optima;
  for (size_t i = 0; i < curve.points.size(); ++i) {
    if (score[i] == best) optima.push_back(curve.points[i]);
  }
  return optima;
}

StatusOr<double> YoudenCutoff(const std::vector<double>& outcome,
                              const std::vector<double>& score) {
  AMDRN_ASSIGN_OR_RETURN(const RocCurve curve, ComputeRoc(outcome, score));
  return YoudenOptima(curve).front().threshold;
}

Proportion WilsonProportion(int64_t x, int64_t n, double conf_level) {
  Proportion p;
  p.numerator = x;
  p.denominator = n;
  if (n == 0) {
    p.estimate = p.ci_lower = p.ci_upper = kNaN;
    return p;
  }
  const double z = ZQuantile(conf_level), z2 = z * z;
  const double xd = x, nd = n;
  p.estimate = xd / nd;
  const double center = (xd + z2 / 2) / (nd + z2);
  const double half = z * std::sqrt(xd * (nd - xd) / nd + z2 / 4) / (nd + z2);
  p.ci_lower = std::max(0.0, center - half);
  p.ci_upper = std::min(1.0, center + half);
  return p;
}

namespace {

double F1FromCounts(int64_t tp, int64_t fp, int64_t fn) {
  const int64_t denominator = 2 * tp + fp + fn;
  return denominator == 0 ? kNaN : 2.0 * tp / denominator;
}

// Type-7 quantile of sorted values.
double SortedQuantile(const std::vector<double>& sorted, double q) {
  const double h = (sorted.size() - 1) * q;
  const size_t lo = static_cast<size_t>(std::floor(h));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

void BootstrapF1(const std::vector<double>& outcome, const std::vector<bool>& positive,
                 const CutoffOptions& options, CutoffMetrics* metrics) {
  EvalRng rng(options.seed);
  std::vector<double> f1s;
  const int n = outcome.size();
  for (int b = 0; b < options.f1_bootstrap; ++b) {
    int64_t tp = 0, fp = 0, fn = 0;
    for (int i : rng.BootstrapSample(n)) {
      tp += positive[i] && outcome[i] == 1;
      fp += positive[i] && outcome[i] == 0;
      fn += !positive[i] && outcome[i] == 1;
    }
    const double f1 = F1FromCounts(tp, fp, fn);
    if (std::isfinite(f1)) f1s.push_back(f1);
  }
  metrics->f1_bootstrap_replicates = f1s.size();
  if (f1s.empty()) return;
  std::sort(f1s.begin(), f1s.end());
  const double alpha = 1 - options.conf_level;
  metrics->f1_ci_lower = SortedQuantile(f1s, alpha / 2);
  metrics->f1_ci_upper = SortedQuantile(f1s, 1 - alpha / 2);
}

}  // namespace

StatusOr<CutoffMetrics> MetricsAtCutoff(const std::vector<double>& outcome,
                                        const std::vector<double>& score, double cutoff,
                                        const CutoffOptions& options) {
  AMDRN_RETURN_IF_ERROR(CheckBinaryScores(outcome, score, "score"));
  CutoffMetrics r;
  r.cutoff = cutoff;
  std::vector<bool> positive(score.size());
  for (size_t i = 0; i < score.size(); ++i) {
    positive[i] = score[i] >= cutoff;
    const bool is_case = outcome[i] == 1;
    r.tp += positive[i] && is_case;
    r.fp += positive[i] && !is_case;
    r.tn += !positive[i] && !is_case;
    r.fn += !positive[i] && is_case;
  }
  const double cl = options.conf_level;
  r.sensitivity = WilsonProportion(r.tp, r.tp + r.fn, cl);
  r.specificity = WilsonProportion(r.tn, r.tn + r.fp, cl);
  r.ppv = WilsonProportion(r.tp, r.tp + r.fp, cl);
  r.npv = WilsonProportion(r.tn, r.tn + r.fn, cl);
  r.accuracy = WilsonProportion(r.tp + r.tn, r.tp + r.tn + r.fp + r.fn, cl);
  r.balanced_accuracy = (r.sensitivity.estimate + r.specificity.estimate) / 2;
  r.f1 = F1FromCounts(r.tp, r.fp, r.fn);
  r.f1_ci_lower = r.f1_ci_upper = kNaN;
  if (options.f1_bootstrap > 0) BootstrapF1(outcome, positive, options, &r);
  return r;
}

}  // namespace amdrn::stats
