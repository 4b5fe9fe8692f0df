// Calibration of predicted probabilities against observed binary outcomes, as clinicians
// read it in nomogram papers: rms::val.prob statistics (logistic recalibration intercept and
// slope, Emax/E90/Eavg from lowess, Brier, D/U/Q, Spiegelhalter z), calibration-in-the-large,
// Hosmer-Lemeshow (ResourceSelection::hoslem.test grouping), and binned/smoothed curves for
// figures. Pure functions, thread-safe.
#ifndef AMDRN_STATS_CALIBRATION_H_
#define AMDRN_STATS_CALIBRATION_H_

#include <string>
#include <vector>

#include "core/status.h"
#include "stats/eval_lowess.h"

namespace amdrn::stats {

// Checks outcome 0/1, probabilities finite in [0, 1], equal sizes, both classes present.
Status CheckProbabilities(const std::vector<double>& outcome, const std::vector<double>& prob);

struct ValProbResult {
  int n = 0;
  double dxy = 0;  // 2 (C - 0.5); exact Mann-Whitney C (rms bins probabilities: ~1e-4)
  double c_index = 0;
  double r2 = 0;            // Nagelkerke R2 of the uncalibrated logit
  double d = 0;             // discrimination index (LR - 1) / n
  double d_chi_square = 0;  // LR = null deviance - deviance of logit(p) as given
  double u = 0;             // unreliability index (U chi-square - 2) / n
  double u_chi_square = 0;
  double u_p = 0;        // chi-square(2) upper tail
  double q = 0;          // quality index D - U
  double brier = 0;      // mean (p - y)^2
  double intercept = 0;  // logistic recalibration y ~ a + b logit(p) (val.prob "Intercept")
  double slope = 0;      // ... and "Slope"
  double calibration_in_the_large = 0;  // y ~ a + offset(logit(p))
  double emax = 0, e90 = 0, eavg = 0;   // |p - lowess(p, y, iter = 0)(p)|: max, 0.9 quantile, mean
  double spiegelhalter_z = 0, spiegelhalter_p = 0;
  std::vector<std::string> warnings;
};

// rms::val.prob(p, y) for p in [0, 1]; probabilities of exactly 0 or 1 are left out of the
// logistic recalibration (a warning says how many), as R does. Errors: CheckProbabilities;
// FailedPrecondition when every p is the same (no recalibration slope exists).
StatusOr<ValProbResult> ValidateProbabilities(const std::vector<double>& outcome,
                                              const std::vector<double>& prob);

struct CalibrationGroup {
  double lower = 0, upper = 0;  // probability interval (first closed, then (lower, upper])
  int n = 0;
  double observed_events = 0;  // sum of y
  double expected_events = 0;  // sum of p
  double mean_predicted = 0;
  double observed_rate = 0;
  double observed_ci_lower = 0;  // Wilson 95 % CI of the observed rate
  double observed_ci_upper = 0;
};

struct HosmerLemeshowResult {
  double chi_square = 0;
  int groups_requested = 10;
  int groups = 0;  // groups actually formed (tied quantiles merge groups)
  int df = 0;      // groups_requested - 2 (as hoslem.test, even when groups merged)
  double p_value = 1;
  std::vector<CalibrationGroup> table;
  std::vector<std::string> warnings;
};

// Hosmer-Lemeshow with breaks = unique(quantile(p, 0:g / g)) (type 7) and
// cut(include.lowest = TRUE); chi-square over both outcome columns. Errors: CheckProbabilities;
// InvalidArgument for g < 3; FailedPrecondition when fewer than 2 groups can be formed.
StatusOr<HosmerLemeshowResult> HosmerLemeshow(const std::vector<double>& outcome,
                                              const std::vector<double>& prob, int groups = 10);

// The calibration curve for figures: lowess(p, y, iter = 0) evaluated on `grid` (NaN outside
// the range of p). Errors: CheckProbabilities.
StatusOr<Curve> SmoothCalibrationCurve(const std::vector<double>& outcome,
                                       const std::vector<double>& prob,
                                       const std::vector<double>& grid);

// Brier score mean((p - y)^2). Requires: equal sizes, non-empty.
double BrierScore(const std::vector<double>& outcome, const std::vector<double>& prob);

}  // namespace amdrn::stats

#endif  // AMDRN_STATS_CALIBRATION_H_
