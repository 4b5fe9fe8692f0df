// L1-penalised (elastic-net) logistic regression reproducing glmnet 4.1-6
// (family = "binomial", type.logistic = "Newton"): 1/N standardisation, the lambda path
// from lambda_max with glmnet's early-stop rules, the same coordinate-descent sweeps and
// convergence threshold, so paths agree with R to solver rounding; and cv.glmnet's k-fold
// cross-validation (binomial deviance, grouped statistics, lambda.min and lambda.1se).
// Pure functions; CrossValidateLasso runs folds on its own threads and is thread-safe.
#ifndef AMDRN_STATS_LASSO_H_
#define AMDRN_STATS_LASSO_H_

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "core/status.h"

namespace amdrn::stats {

struct LassoOptions {
  double alpha = 1.0;              // 1 = lasso, 0 < alpha < 1 elastic net
  int num_lambda = 100;            // nlambda
  double lambda_min_ratio = -1.0;  // < 0: glmnet's default, 0.01 if n < p else 1e-4
  // User lambda sequence (any order; fitted in decreasing order). Disables the early stop,
  // as in glmnet. Empty = glmnet's own path.
  std::vector<double> lambda;
  bool standardize = true;         // 1/N-SD scaling inside; coefficients returned unscaled
  bool intercept = true;
  double thresh = 1e-7;            // convergence: max_j xv_j * dbeta_j^2 < thresh * dev0
  int max_passes = 100000;         // maxit (total coordinate passes over the path)
  Eigen::VectorXd penalty_factor;  // empty = 1 for every column; rescaled to sum to p
  Eigen::VectorXd weights;         // observation weights; empty = 1
  // glmnet.control(): path stops when the explained deviance changes by < fdev, or exceeds
  // devmax, once mnlam lambdas are fitted.
  double fdev = 1e-5;
  double devmax = 0.999;
  int mnlam = 5;
  double eps = 1e-6;               // smallest lambda_min_ratio used
  double pmin = 1e-9;              // probability clamp
};

struct LassoPath {
  std::vector<double> lambda;      // decreasing; lambda[0] = lambda_max on glmnet's path
  Eigen::VectorXd intercept;       // one per lambda, original units
  Eigen::MatrixXd beta;            // p x num_lambda, original units
  std::vector<int> df;             // non-zero coefficients per lambda (intercept excluded)
  std::vector<double> dev_ratio;   // fraction of null deviance explained
  double null_deviance = 0;        // 2 * sum(w) * dev0, as glmnet's nulldev
  Eigen::VectorXd center, scale;   // per column: weighted mean and 1/N SD (scale 1 if off)
  int passes = 0;                  // coordinate-descent passes over the whole path
  std::vector<std::string> warnings;
};

// Fits the path. Requires: y in {0, 1}, finite X. Errors: InvalidArgument for NaN/Inf,
// non-binary y, or a class with fewer than 2 cases (glmnet: "one binomial class has 1 or 0
// observations"); a class with fewer than 8 cases only warns ("dangerous ground").
// Constant columns are kept at zero (glmnet's ju). A lambda whose coordinate descent
// exceeds max_passes ends the path with a warning (glmnet's jerr < 0).
StatusOr<LassoPath> FitLassoPath(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                 const LassoOptions& options = {});

// Linear predictor of new rows at path index k.
Eigen::VectorXd LassoLinearPredictor(const LassoPath& path, int k, const Eigen::MatrixXd& X);

struct LassoCvOptions {
  LassoOptions path;
  int num_folds = 10;
  // Fold of each row, 1..num_folds (R's foldid). Empty = random, glmnet style
  // (a shuffled rep(1:K, length = n)) from `seed`; that is not R's RNG, so pass foldid
  // for run-to-run parity with R.
  std::vector<int> fold_id;
  uint64_t seed = 1;
  bool grouped = true;             // forced off with < 3 rows per fold, as glmnet
  int threads = 0;                 // 0 = GetThreadCount()
};

struct LassoCv {
  LassoPath fit;                   // the full-data path
  std::vector<double> cvm, cvsd;   // mean binomial deviance and its SE per lambda
  std::vector<int> nzero;
  int index_min = 0, index_1se = 0;
  double lambda_min = 0, lambda_1se = 0;
  std::vector<int> fold_id;
  std::vector<std::string> warnings;
};

// cv.glmnet(x, y, family = "binomial", foldid = ...): deviance per held-out row
// -2 [y log p + (1 - y) log(1 - p)] with p clamped to [1e-5, 1 - 1e-5].
StatusOr<LassoCv> CrossValidateLasso(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                     const LassoCvOptions& options = {});

}  // namespace amdrn::stats

#endif  // AMDRN_STATS_LASSO_H_
