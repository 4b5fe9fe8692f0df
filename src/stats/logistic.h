// Binary logistic regression by maximum likelihood (Newton/IRLS exactly as R's
// glm(family = binomial): same start, same convergence rule, same deviance) and Firth's
// penalised likelihood (logistf semantics). Results carry everything the clinical tables
// need: coefficients, SE, Wald z and p, odds ratios with Wald 95 % CI, deviances, AIC.
// All functions are pure and thread-safe (no shared state).
#ifndef AMDRN_STATS_LOGISTIC_H_
#define AMDRN_STATS_LOGISTIC_H_

#include <string>
#include <vector>

#include <Eigen/Dense>

#include "core/status.h"

namespace amdrn::stats {

struct LogisticOptions {
  // Prepend a column of ones; the intercept is then coefficient 0 and named "(Intercept)".
  bool add_intercept = true;
  // Prior weights (R's `weights`), one per row, >= 0; empty = all 1.
  Eigen::VectorXd weights;
  // Offset added to the linear predictor (R's `offset`); empty = 0.
  Eigen::VectorXd offset;
  // Firth's bias-reduced penalised likelihood (logistf). Recommended under separation.
  bool firth = false;
  // glm.control(epsilon = 1e-8, maxit = 25): stop when |dev - dev_old| / (|dev| + 0.1) < epsilon.
  double epsilon = 1e-8;
  int max_iterations = 25;
  // Firth only (logistf.control defaults): max |step| per iteration and the convergence
  // limits on the step (xconv), the penalised score (gconv) and the penalised log-lik (lconv).
  double firth_max_step = 5.0;
  double firth_xconv = 1e-5;
  double firth_gconv = 1e-5;
  double firth_lconv = 1e-5;
  // Names of the columns of X (without the intercept); empty = "x1", "x2", ...
  std::vector<std::string> names;
  // Confidence level of the Wald intervals.
  // TODO: profile-likelihood intervals (R's confint() via MASS, logistf's default for Firth)
  // are not offered; only Wald intervals, which are poor near separation.
  double conf_level = 0.95;
};

struct LogisticFit {
  std::vector<std::string> names;     // one per coefficient, "(Intercept)" first if present
  bool has_intercept = true;
  bool firth = false;
  Eigen::VectorXd coefficients;       // log-odds scale
  Eigen::VectorXd standard_errors;    // sqrt(diag(covariance))
  Eigen::VectorXd z;                  // Wald z = coefficient / SE
  Eigen::VectorXd p_values;           // two-sided Wald p = 2 * Phi(-|z|)
  Eigen::VectorXd odds_ratios;        // exp(coefficient)
  Eigen::VectorXd or_lower, or_upper; // exp(coefficient -/+ z_{1-a/2} * SE)
  Eigen::MatrixXd covariance;         // (X' W X)^-1 (Firth: inverse Fisher information)
  Eigen::VectorXd linear_predictor;   // eta, offset included
  Eigen::VectorXd fitted;             // probabilities
  double deviance = 0;                // -2 log-lik (weighted); Firth: unpenalised
  double null_deviance = 0;           // intercept-only (with offset) model, or eta = offset
  double log_likelihood = 0;          // unpenalised
  double penalized_log_likelihood = 0;  // Firth only: log-lik + 0.5 log|I|
  double aic = 0;                     // deviance + 2 * rank (as glm)
  int df_residual = 0;                // n_nonzero_weights - rank
  int df_null = 0;
  int iterations = 0;
  bool converged = false;
  // True when the data look separated: fitted probabilities numerically 0 or 1 (R's
  // warning, |eta| > 30 or mu within 10 * DBL_EPSILON of 0/1) or the fit did not converge
  // with diverging coefficients. The MLE then does not exist; refit with firth = true.
  bool separation = false;
  std::vector<std::string> warnings;  // human-readable, e.g. R's glm.fit warnings
};

// Fits P(y = 1 | x) = plogis(offset + [1, x]' beta).
// Requires: X rows == y size; y in [0, 1] (proportions allowed with weights, as glm);
// finite values. Errors: InvalidArgument for NaN/Inf, bad y or weights, fewer rows than
// coefficients; FailedPrecondition naming the column(s) when X is rank deficient
// (a constant column next to the intercept, or collinear columns).
StatusOr<LogisticFit> FitLogistic(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                  const LogisticOptions& options = {});

// Linear predictor of new rows (same columns as the fit, no intercept column).
// `offset` may be empty. Requires: X.cols() == number of non-intercept coefficients.
Eigen::VectorXd PredictLinear(const LogisticFit& fit, const Eigen::MatrixXd& X,
                              const Eigen::VectorXd& offset = Eigen::VectorXd());
// plogis(PredictLinear(...)).
Eigen::VectorXd PredictProbability(const LogisticFit& fit, const Eigen::MatrixXd& X,
                                   const Eigen::VectorXd& offset = Eigen::VectorXd());

struct LikelihoodRatioTest {
  double chi_square = 0;  // deviance(reduced) - deviance(full)
  int df = 0;             // difference in number of coefficients
  double p_value = 1;     // upper tail of chi-square(df)
};

// LR test of nested models fitted on the same rows (R: anova(reduced, full, test = "Chisq")).
// Requires: reduced has fewer coefficients than full.
StatusOr<LikelihoodRatioTest> CompareNested(const LogisticFit& reduced, const LogisticFit& full);

// The global model LR test against the null model (R: null.deviance - deviance on
// df.null - df.residual).
LikelihoodRatioTest ModelLikelihoodRatio(const LogisticFit& fit);

// plogis, with glm's clamping for |eta| > 30 not applied (exact logistic).
double Logistic(double eta);

}  // namespace amdrn::stats

#endif  // AMDRN_STATS_LOGISTIC_H_
