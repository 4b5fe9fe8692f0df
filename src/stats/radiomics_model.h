// The radiomics (Rad score) model: z-scoring with training mean and SD (R's scale(), n - 1),
// univariate screening (Mann-Whitney or Welch t), Spearman redundancy removal, optional
// mRMR, then LASSO logistic regression with glmnet-compatible k-fold CV. The Rad score is
// the linear predictor intercept + sum(beta_j * z_j) at the chosen lambda (1se by default),
// with the training z-scoring applied unchanged to any other set. Pure, thread-safe.
#ifndef AMDRN_STATS_RADIOMICS_MODEL_H_
#define AMDRN_STATS_RADIOMICS_MODEL_H_

#include <string>
#include <vector>

#include <Eigen/Dense>

#include "core/status.h"
#include "stats/lasso.h"

namespace amdrn::stats {

enum class ScreenTest { kNone, kMannWhitney, kWelchT };
enum class LambdaRule { kOneSe, kMin };

struct RadiomicsOptions {
  ScreenTest test = ScreenTest::kMannWhitney;
  double screen_p = 0.05;      // keep features with p < screen_p
  double max_abs_rho = 0.9;    // drop a feature with |Spearman rho| > this to a better one
  int mrmr_k = 0;              // > 0: keep the k mRMR features before the LASSO
  LambdaRule rule = LambdaRule::kOneSe;
  LassoCvOptions cv;           // 10 folds, glmnet defaults
};

// Per input feature, what happened to it (for the report).
struct FeatureStage {
  std::string name;
  double p = 1;              // screening p (1 when screening is off)
  std::string fate;          // "constant", "screened out", "redundant", "mrmr", "zero", "selected"
  double coefficient = 0;    // LASSO coefficient on the z-scale when selected
};

struct RadiomicsModel {
  std::vector<std::string> features;  // selected features (non-zero LASSO coefficient)
  std::vector<int> feature_index;     // their column index in the input
  Eigen::VectorXd center, scale;      // training mean and SD of the selected features
  double intercept = 0;
  Eigen::VectorXd coefficients;       // per selected feature, z-scale
  double lambda = 0;
  std::vector<std::string> lasso_inputs;  // features that entered the LASSO
  LassoCv cv;                         // path and CV curve over lasso_inputs (z-scale)
  std::vector<FeatureStage> stages;
  std::vector<std::string> warnings;
};

// Fits the model on training features X (finite; impute first) and 0/1 outcomes y.
// Errors: InvalidArgument for non-finite values or names/columns mismatch;
// FailedPrecondition when no feature survives screening.
StatusOr<RadiomicsModel> FitRadiomicsModel(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                           const std::vector<std::string>& names,
                                           const RadiomicsOptions& options);

// Rad score of rows of the full input matrix (same columns as at fitting).
Eigen::VectorXd RadScore(const RadiomicsModel& model, const Eigen::MatrixXd& X);

}  // namespace amdrn::stats

#endif  // AMDRN_STATS_RADIOMICS_MODEL_H_
