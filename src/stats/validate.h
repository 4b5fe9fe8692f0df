// Bootstrap optimism correction of a logistic model as rms 6.5 does it: validate.lrm
// (Dxy, R2, Intercept, Slope, Emax, D, U, Q, B, g, gp) and calibrate.default (method "boot",
// smoother lowess(iter = 0) on rms's 50-point predy grid, apparent / bias-corrected curves
// and the mean absolute error rms prints). Refits use FitLogistic (stats/logistic.h). The
// bootstrap draws come from amdrn's own generator (eval_random.h), not R's, so results agree
// with R within Monte-Carlo error only. Pure functions, thread-safe.
#ifndef AMDRN_STATS_VALIDATE_H_
#define AMDRN_STATS_VALIDATE_H_

#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace amdrn::stats {

struct BootstrapOptions {
  int replicates = 200;  // B (rms's own default is 40; published nomograms use 200-1000)
  uint64_t seed = 1;
};

struct ValidationIndex {
  std::string name;
  double apparent = 0;   // rms index.orig
  double training = 0;   // mean over replicates, on the bootstrap sample
  double test = 0;       // mean over replicates, bootstrap fit applied to the original data
  double optimism = 0;   // training - test
  double corrected = 0;  // apparent - optimism
  int replicates = 0;    // replicates where the index was defined
};

struct ValidateResult {
  // Dxy, R2, Intercept, Slope, Emax, D, U, Q, B, g, gp (rms's row order). The Emax row is
  // rms's: 0 apparent and training, and the Emax implied by the corrected intercept and slope
  // in test, optimism and corrected.
  std::vector<ValidationIndex> indexes;
  double corrected_c = 0;     // 0.5 + corrected Dxy / 2
  int replicates_failed = 0;  // bootstrap fits that failed (rank deficient, not converged,
                              // separated) and were dropped, as rms drops them
};

// rms::validate(lrm(y ~ X), method = "boot", B). X has no intercept column.
// Errors: InvalidArgument/FailedPrecondition from the original fit; FailedPrecondition when
// every replicate failed.
StatusOr<ValidateResult> BootstrapValidate(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                           const BootstrapOptions& options = {});

struct CalibrateResult {
  std::vector<double> predy;      // 50 points from the 5th smallest to the 5th largest p
  std::vector<double> apparent;   // lowess(p, y, iter = 0) at predy (rms calibrated.orig)
  std::vector<double> optimism;   // mean (training - test) error per grid point
  std::vector<double> corrected;  // apparent - optimism (rms calibrated.corrected)
  std::vector<int> replicates;    // replicates defined at each grid point
  std::vector<double> predicted;  // apparent probabilities of the patients
  double mean_abs_error = 0;      // over patients inside the grid, as print.calibrate
  double mean_squared_error = 0;
  double q90_abs_error = 0;
  int replicates_failed = 0;
};

// rms::calibrate(lrm(y ~ X), method = "boot", B). Errors: as BootstrapValidate;
// FailedPrecondition for n <= 10 (rms needs n > 10 for its predy grid).
StatusOr<CalibrateResult> BootstrapCalibrate(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                             const BootstrapOptions& options = {});

// Gini's mean difference: mean |x_i - x_j| over pairs i != j (Hmisc::GiniMd).
double GiniMeanDifference(std::vector<double> x);

}  // namespace amdrn::stats

#endif  // AMDRN_STATS_VALIDATE_H_
