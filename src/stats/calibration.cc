#include "stats/calibration.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

#include "stats/distributions.h"
#include "stats/logistic.h"
#include "stats/roc.h"

namespace amdrn::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Eigen::VectorXd ToEigen(const std::vector<double>& v) {
  return Eigen::Map<const Eigen::VectorXd>(v.data(), v.size());
}

// -2 log-likelihood of y under logit l (R: -2 * sum(y * l - logb(1 + exp(l)))).
double MinusTwoLogLik(const std::vector<double>& y, const std::vector<double>& logit) {
  double sum = 0;
  for (size_t i = 0; i < y.size(); ++i) sum += y[i] * logit[i] - std::log(1 + std::exp(logit[i]));
  return -2 * sum;
}

double NullDeviance(const std::vector<double>& y) {
  double events = 0;
  for (double v : y) events += v;
  const double n = y.size(), ybar = events / n;
  if (events == 0 || events == n) return 0;
  return -2 * (events * std::log(ybar) + (n - events) * std::log(1 - ybar));
}

// Logistic recalibration fits on the rows with finite logit: (a, b) of y ~ a + b l, and a of
// y ~ a + offset(l); plus the deviance of the (a, b) fit.
struct Recalibration {
  double intercept = 0, slope = 0, deviance = 0, citl = 0;
};

StatusOr<Recalibration> Recalibrate(const std::vector<double>& y, const std::vector<double>& l) {
  const Eigen::VectorXd ye = ToEigen(y), le = ToEigen(l);
  LogisticOptions options;
  options.names = {"logit"};
  StatusOr<LogisticFit> full = FitLogistic(le, ye, options);
  if (!full.ok()) return full.status().WithContext("logistic recalibration");
  LogisticOptions offset_options;
  offset_options.offset = le;
  StatusOr<LogisticFit> citl = FitLogistic(Eigen::MatrixXd(l.size(), 0), ye, offset_options);
  if (!citl.ok()) return citl.status().WithContext("calibration-in-the-large");
  return Recalibration{full->coefficients[0], full->coefficients[1], full->deviance,
                       citl->coefficients[0]};
}

void Spiegelhalter(const std::vector<double>& y, const std::vector<double>& p, ValProbResult* r) {
  double num = 0, den = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    num += (y[i] - p[i]) * (1 - 2 * p[i]);
    den += (1 - 2 * p[i]) * (1 - 2 * p[i]) * p[i] * (1 - p[i]);
  }
  r->spiegelhalter_z = num / std::sqrt(den);
  r->spiegelhalter_p = TwoSidedNormalP(r->spiegelhalter_z);
}

Status SmoothedErrors(const std::vector<double>& y, const std::vector<double>& p,
                      ValProbResult* r) {
  LowessOptions options;
  options.iter = 0;
  AMDRN_ASSIGN_OR_RETURN(const Curve smooth, Lowess(p, y, options));
  const std::vector<double> cal = ApproxLinear(smooth, p, ApproxTies::kMean);
  std::vector<double> err(p.size());
  double sum = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    err[i] = std::fabs(p[i] - cal[i]);
    sum += err[i];
  }
  r->eavg = sum / p.size();
  r->emax = *std::max_element(err.begin(), err.end());
  r->e90 = Quantile7(err, 0.9);
  return OkStatus();
}

}  // namespace

Status CheckProbabilities(const std::vector<double>& outcome, const std::vector<double>& prob) {
  AMDRN_RETURN_IF_ERROR(CheckBinaryScores(outcome, prob, "predicted probability"));
  for (size_t i = 0; i < prob.size(); ++i) {
    if (prob[i] < 0 || prob[i] > 1) {
      return InvalidArgumentError("expected predicted probabilities in [0, 1], found " +
                                  std::to_string(prob[i]) + " at row " + std::to_string(i + 1));
    }
  }
  return OkStatus();
}

double BrierScore(const std::vector<double>& outcome, const std::vector<double>& prob) {
  double sum = 0;
  for (size_t i = 0; i < prob.size(); ++i) sum += (prob[i] - outcome[i]) * (prob[i] - outcome[i]);
  return sum / prob.size();
}

StatusOr<ValProbResult> ValidateProbabilities(const std::vector<double>& outcome,
                                              const std::vector<double>& prob) {
  AMDRN_RETURN_IF_ERROR(CheckProbabilities(outcome, prob));
  if (std::all_of(prob.begin(), prob.end(), [&](double p) { return p == prob[0]; })) {
    return FailedPreconditionError(
        "expected varying predicted probabilities for calibration, "
        "found the same value for every patient");
  }
  ValProbResult r;
  std::vector<double> y_fin, l_fin;
  for (size_t i = 0; i < prob.size(); ++i) {
    const double l = std::log(prob[i] / (1 - prob[i]));
    if (!std::isfinite(l)) continue;
    y_fin.push_back(outcome[i]);
    l_fin.push_back(l);
  }
  if (y_fin.size() < prob.size()) {
    r.warnings.push_back(std::to_string(prob.size() - y_fin.size()) +
                         " probabilities of exactly 0 or 1 left out of the logistic calibration");
  }
  AMDRN_ASSIGN_OR_RETURN(const Recalibration recal, Recalibrate(y_fin, l_fin));
  r.n = y_fin.size();
  const double l0 = NullDeviance(y_fin), l01 = MinusTwoLogLik(y_fin, l_fin);
  r.d_chi_square = l0 - l01;
  r.r2 = (1 - std::exp(-r.d_chi_square / r.n)) / (1 - std::exp(-l0 / r.n));
  r.d = (r.d_chi_square - 1) / r.n;
  r.u_chi_square = l01 - recal.deviance;
  r.u_p = ChiSquareUpperTail(r.u_chi_square, 2);
  r.u = (r.u_chi_square - 2) / r.n;
  r.q = r.d - r.u;
  r.intercept = recal.intercept;
  r.slope = recal.slope;
  r.calibration_in_the_large = recal.citl;
  AMDRN_ASSIGN_OR_RETURN(r.c_index, ComputeAuc(outcome, prob));
  r.dxy = 2 * (r.c_index - 0.5);
  r.brier = BrierScore(outcome, prob);
  Spiegelhalter(outcome, prob, &r);
  AMDRN_RETURN_IF_ERROR(SmoothedErrors(outcome, prob, &r));
  return r;
}

namespace {

// Group index per patient for cut(p, breaks, include.lowest = TRUE).
int GroupOf(const std::vector<double>& breaks, double p) {
  if (p <= breaks[1]) return 0;
  const auto it = std::lower_bound(breaks.begin() + 1, breaks.end(), p);
  return static_cast<int>(it - breaks.begin()) - 1;
}

}  // namespace

StatusOr<HosmerLemeshowResult> HosmerLemeshow(const std::vector<double>& outcome,
                                              const std::vector<double>& prob, int groups) {
  AMDRN_RETURN_IF_ERROR(CheckProbabilities(outcome, prob));
  if (groups < 3) {
    return InvalidArgumentError("expected at least 3 Hosmer-Lemeshow groups, found " +
                                std::to_string(groups));
  }
  std::vector<double> breaks;
  for (int k = 0; k <= groups; ++k) {
    const double q = std::min(1.0, k * (1.0 / groups));  // R: seq(0, 1, 1/g)
    const double b = Quantile7(prob, q);
    if (breaks.empty() || b != breaks.back()) breaks.push_back(b);
  }
  if (breaks.size() < 3) {
    return FailedPreconditionError(
        "expected predicted probabilities spread enough for 2 or more "
        "Hosmer-Lemeshow groups, found " +
        std::to_string(breaks.size() - 1));
  }
  HosmerLemeshowResult r;
  r.groups_requested = groups;
  r.groups = breaks.size() - 1;
  r.df = groups - 2;
  r.table.resize(r.groups);
  for (int k = 0; k < r.groups; ++k) r.table[k].lower = breaks[k], r.table[k].upper = breaks[k + 1];
  for (size_t i = 0; i < prob.size(); ++i) {
    CalibrationGroup& g = r.table[GroupOf(breaks, prob[i])];
    ++g.n;
    g.observed_events += outcome[i];
    g.expected_events += prob[i];
  }
  for (CalibrationGroup& g : r.table) {
    const double o0 = g.n - g.observed_events, e0 = g.n - g.expected_events;
    r.chi_square += (g.observed_events - g.expected_events) *
                        (g.observed_events - g.expected_events) / g.expected_events +
                    (o0 - e0) * (o0 - e0) / e0;
    g.mean_predicted = g.expected_events / g.n;
    const Proportion obs = WilsonProportion(std::llround(g.observed_events), g.n);
    g.observed_rate = obs.estimate;
    g.observed_ci_lower = obs.ci_lower;
    g.observed_ci_upper = obs.ci_upper;
  }
  r.p_value = ChiSquareUpperTail(r.chi_square, r.df);
  if (r.groups < groups) {
    r.warnings.push_back("tied quantiles merged Hosmer-Lemeshow groups: " +
                         std::to_string(r.groups) + " formed of " + std::to_string(groups) +
                         "; df kept at g - 2 as ResourceSelection::hoslem.test");
  }
  return r;
}

StatusOr<Curve> SmoothCalibrationCurve(const std::vector<double>& outcome,
                                       const std::vector<double>& prob,
                                       const std::vector<double>& grid) {
  AMDRN_RETURN_IF_ERROR(CheckProbabilities(outcome, prob));
  LowessOptions options;
  options.iter = 0;
  AMDRN_ASSIGN_OR_RETURN(const Curve smooth, Lowess(prob, outcome, options));
  return Curve{grid, ApproxLinear(smooth, grid, ApproxTies::kMean)};
}

}  // namespace amdrn::stats
