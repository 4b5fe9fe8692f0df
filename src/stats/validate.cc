#include "stats/validate.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "stats/eval_lowess.h"
#include "stats/eval_random.h"
#include "stats/logistic.h"
#include "stats/nomogram.h"
#include "stats/roc.h"

namespace amdrn::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kNumIndexes = 10;  // without Emax, which is derived at the end
const char* const kIndexNames[kNumIndexes] = {"Dxy", "R2", "Intercept", "Slope", "D",
                                              "U",   "Q",  "B",         "g",     "gp"};

std::vector<double> ToStd(const Eigen::VectorXd& v) { return {v.data(), v.data() + v.size()}; }

double Somers2Dxy(const Eigen::VectorXd& lp, const Eigen::VectorXd& y) {
  StatusOr<double> c = ComputeAuc(ToStd(y), ToStd(lp));
  return c.ok() ? 2 * (*c - 0.5) : kNaN;
}

double Brier(const Eigen::VectorXd& lp, const Eigen::VectorXd& y) {
  double sum = 0;
  for (Eigen::Index i = 0; i < y.size(); ++i) sum += std::pow(y[i] - Plogis(lp[i]), 2);
  return sum / y.size();
}

double Nagelkerke(double lr, double null_deviance, double n) {
  return (1 - std::exp(-lr / n)) / (1 - std::exp(-null_deviance / n));
}

std::vector<double> MapPlogis(const Eigen::VectorXd& lp) {
  std::vector<double> p(lp.size());
  for (Eigen::Index i = 0; i < lp.size(); ++i) p[i] = Plogis(lp[i]);
  return p;
}

// rms discrim(evalfit = TRUE): indexes of a fit on the data it was fitted to.
std::vector<double> ApparentIndexes(const LogisticFit& fit, const Eigen::VectorXd& y) {
  const double n = y.size();
  const double lr = fit.null_deviance - fit.deviance;
  const double d = (lr - 1) / n, u = -2 / n;
  const Eigen::VectorXd& lp = fit.linear_predictor;
  return {Somers2Dxy(lp, y),
          Nagelkerke(lr, fit.null_deviance, n),
          0,
          1,
          d,
          u,
          d - u,
          Brier(lp, y),
          GiniMeanDifference(ToStd(lp)),
          GiniMeanDifference(MapPlogis(lp))};
}

// rms discrim(evalfit = FALSE): a fit's linear predictor `x` on other data, recalibrated.
StatusOr<std::vector<double>> TestIndexes(const Eigen::VectorXd& x, const Eigen::VectorXd& y) {
  AMDRN_ASSIGN_OR_RETURN(const LogisticFit recal, FitLogistic(x, y));
  const double n = y.size();
  const double a = recal.coefficients[0], b = recal.coefficients[1];
  const double lr = recal.null_deviance - recal.deviance;
  double l01 = 0;
  for (Eigen::Index i = 0; i < x.size(); ++i) l01 += y[i] * x[i] - std::log(1 + std::exp(x[i]));
  l01 *= -2;
  const double d = (lr - 1) / n, u = (l01 - recal.deviance - 2) / n;
  const Eigen::VectorXd shrunk = b * x;
  const Eigen::VectorXd recalibrated = (shrunk.array() + a).matrix();
  return std::vector<double>{Somers2Dxy(x, y),
                             Nagelkerke(lr, recal.null_deviance, n),
                             a,
                             b,
                             d,
                             u,
                             d - u,
                             Brier(x, y),
                             GiniMeanDifference(ToStd(shrunk)),
                             GiniMeanDifference(MapPlogis(recalibrated))};
}

// A bootstrap sample and the model refitted on it; ok() false when the refit failed.
struct Replicate {
  std::vector<int> rows;
  Eigen::MatrixXd x;
  Eigen::VectorXd y;
  StatusOr<LogisticFit> fit = InternalError("not fitted");
};

Replicate FitReplicate(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, EvalRng* rng) {
  Replicate r;
  r.rows = rng->BootstrapSample(y.size());
  r.x.resize(r.rows.size(), X.cols());
  r.y.resize(r.rows.size());
  for (size_t i = 0; i < r.rows.size(); ++i) {
    r.x.row(i) = X.row(r.rows[i]);
    r.y[i] = y[r.rows[i]];
  }
  r.fit = FitLogistic(r.x, r.y);
  if (r.fit.ok() && (!r.fit->converged || r.fit->separation)) {
    r.fit = FailedPreconditionError("bootstrap fit did not converge");
  }
  return r;
}

Status CheckOriginalFit(const StatusOr<LogisticFit>& fit) {
  if (!fit.ok()) return fit.status().WithContext("fitting the model to validate");
  if (!fit->converged || fit->separation) {
    return FailedPreconditionError(
        "expected the model to validate to converge without "
        "separation, found " +
        std::string(fit->separation ? "separation" : "no convergence"));
  }
  return OkStatus();
}

// Emax of a recalibration (a, b) over p = 0, 0.0005, ..., 1 (validate.lrm's emax.lim).
double RecalibrationEmax(double a, double b) {
  double emax = 0;
  for (int k = 0; k <= 2000; ++k) {
    const double p = k * 5e-4;
    const double cal = Plogis(a + b * std::log(p / (1 - p)));
    if (std::isfinite(cal)) emax = std::max(emax, std::fabs(p - cal));
  }
  return emax;
}

}  // namespace

double GiniMeanDifference(std::vector<double> x) {
  const size_t n = x.size();
  if (n < 2) return kNaN;
  std::sort(x.begin(), x.end());
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += (2.0 * i - n + 1) * x[i];
  return 2 * sum / (static_cast<double>(n) * (n - 1));
}

StatusOr<ValidateResult> BootstrapValidate(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                           const BootstrapOptions& options) {
  const StatusOr<LogisticFit> original = FitLogistic(X, y);
  AMDRN_RETURN_IF_ERROR(CheckOriginalFit(original));
  const std::vector<double> apparent = ApparentIndexes(*original, y);
  std::vector<double> train_sum(kNumIndexes, 0), test_sum(kNumIndexes, 0);
  std::vector<int> count(kNumIndexes, 0);
  ValidateResult result;
  EvalRng rng(options.seed);
  for (int b = 0; b < options.replicates; ++b) {
    const Replicate r = FitReplicate(X, y, &rng);
    StatusOr<std::vector<double>> test =
        r.fit.ok() ? TestIndexes(PredictLinear(*r.fit, X), y) : r.fit.status();
    if (!test.ok()) {
      ++result.replicates_failed;
      continue;
    }
    const std::vector<double> train = ApparentIndexes(*r.fit, r.y);
    for (int k = 0; k < kNumIndexes; ++k) {
      if (std::isnan(train[k] + (*test)[k])) continue;
      train_sum[k] += train[k];
      test_sum[k] += (*test)[k];
      ++count[k];
    }
  }
  if (result.replicates_failed == options.replicates) {
    return FailedPreconditionError("expected some bootstrap refits to succeed, found all " +
                                   std::to_string(options.replicates) + " failed");
  }
  for (int k = 0; k < kNumIndexes; ++k) {
    ValidationIndex v{
        kIndexNames[k], apparent[k], train_sum[k] / count[k], test_sum[k] / count[k], 0, 0,
        count[k]};
    v.optimism = v.training - v.test;
    v.corrected = v.apparent - v.optimism;
    result.indexes.push_back(v);
  }
  const double emax = RecalibrationEmax(result.indexes[2].corrected, result.indexes[3].corrected);
  result.indexes.insert(result.indexes.begin() + 4,
                        ValidationIndex{"Emax", 0, 0, emax, emax, emax, count[0]});
  result.corrected_c = 0.5 + result.indexes[0].corrected / 2;
  return result;
}

namespace {

// lowess(plogis(lp), y, iter = 0) at predy (approx ties "first"), NaN outside the data.
std::vector<double> SmoothedAt(const Eigen::VectorXd& lp, const Eigen::VectorXd& y,
                               const std::vector<double>& predy) {
  LowessOptions options;
  options.iter = 0;
  StatusOr<Curve> smooth = Lowess(MapPlogis(lp), ToStd(y), options);
  if (!smooth.ok()) return std::vector<double>(predy.size(), kNaN);
  return ApproxLinear(*smooth, predy, ApproxTies::kFirst);
}

// rms cal.error: the smoothed observed rate minus predy.
std::vector<double> CalibrationError(const Eigen::VectorXd& lp, const Eigen::VectorXd& y,
                                     const std::vector<double>& predy) {
  std::vector<double> err = SmoothedAt(lp, y, predy);
  for (size_t k = 0; k < predy.size(); ++k) err[k] -= predy[k];
  return err;
}

std::vector<double> PredyGrid(std::vector<double> p) {
  std::sort(p.begin(), p.end());
  const size_t n = p.size();
  const double from = p[4], to = p[n - 5];
  std::vector<double> grid(50, from);
  if (from == to) return grid;
  const double by = (to - from) / 49;
  for (int i = 1; i < 49; ++i) grid[i] = from + i * by;
  grid[49] = to;
  return grid;
}

// print.calibrate's error summary over the patients.
void SummariseErrors(CalibrateResult* r) {
  Curve corrected;
  for (size_t k = 0; k < r->predy.size(); ++k) {
    if (std::isnan(r->predy[k] + r->corrected[k])) continue;
    corrected.x.push_back(r->predy[k]);
    corrected.y.push_back(r->corrected[k]);
  }
  const std::vector<double> at = ApproxLinear(corrected, r->predicted, ApproxTies::kMean);
  std::vector<double> abs_err;
  double sum_abs = 0, sum_sq = 0;
  for (size_t i = 0; i < at.size(); ++i) {
    if (std::isnan(at[i])) continue;
    const double e = r->predicted[i] - at[i];
    abs_err.push_back(std::fabs(e));
    sum_abs += std::fabs(e);
    sum_sq += e * e;
  }
  r->mean_abs_error = sum_abs / abs_err.size();
  r->mean_squared_error = sum_sq / abs_err.size();
  r->q90_abs_error = Quantile7(abs_err, 0.9);
}

}  // namespace

StatusOr<CalibrateResult> BootstrapCalibrate(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                             const BootstrapOptions& options) {
  if (y.size() <= 10) {
    return FailedPreconditionError(
        "expected more than 10 patients for bootstrap calibration, "
        "found " +
        std::to_string(y.size()));
  }
  const StatusOr<LogisticFit> original = FitLogistic(X, y);
  AMDRN_RETURN_IF_ERROR(CheckOriginalFit(original));
  CalibrateResult r;
  r.predicted = MapPlogis(original->linear_predictor);
  r.predy = PredyGrid(r.predicted);
  const std::vector<double> orig_cal = SmoothedAt(original->linear_predictor, y, r.predy);
  const size_t g = r.predy.size();
  std::vector<double> optimism_sum(g, 0);
  r.replicates.assign(g, 0);
  EvalRng rng(options.seed);
  for (int b = 0; b < options.replicates; ++b) {
    const Replicate rep = FitReplicate(X, y, &rng);
    if (!rep.fit.ok()) {
      ++r.replicates_failed;
      continue;
    }
    const std::vector<double> train = CalibrationError(rep.fit->linear_predictor, rep.y, r.predy);
    const std::vector<double> test = CalibrationError(PredictLinear(*rep.fit, X), y, r.predy);
    for (size_t k = 0; k < g; ++k) {
      if (std::isnan(train[k] + test[k])) continue;
      optimism_sum[k] += train[k] - test[k];
      ++r.replicates[k];
    }
  }
  if (r.replicates_failed == options.replicates) {
    return FailedPreconditionError("expected some bootstrap refits to succeed, found all " +
                                   std::to_string(options.replicates) + " failed");
  }
  for (size_t k = 0; k < g; ++k) {
    r.apparent.push_back(orig_cal[k]);
    r.optimism.push_back(r.replicates[k] ? optimism_sum[k] / r.replicates[k] : kNaN);
    r.corrected.push_back(r.apparent[k] - r.optimism[k]);
  }
  SummariseErrors(&r);
  return r;
}

}  // namespace amdrn::stats
