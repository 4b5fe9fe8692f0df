#include "stats/radiomics_model.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "stats/screening.h"

namespace amdrn::stats {
namespace {

// Screening p of column j between the outcome groups.
StatusOr<double> ScreenColumn(const Eigen::MatrixXd& z, const Eigen::VectorXd& y, int j,
                              ScreenTest test) {
  if (test == ScreenTest::kNone) return 1.0;
  std::vector<double> events, controls;
  for (Eigen::Index i = 0; i < y.size(); ++i) (y[i] == 1 ? events : controls).push_back(z(i, j));
  StatusOr<TestResult> r = test == ScreenTest::kMannWhitney ? MannWhitneyTest(events, controls)
                                                            : WelchTTest(events, controls);
  if (!r.ok()) return r.status();
  return r->p_value;
}

// z-scores the columns; constant columns are marked and left at zero.
Eigen::MatrixXd ZScore(const Eigen::MatrixXd& X, Eigen::VectorXd* mean, Eigen::VectorXd* sd) {
  const double n = static_cast<double>(X.rows());
  *mean = X.colwise().mean().transpose();
  Eigen::MatrixXd z = X.rowwise() - mean->transpose();
  *sd = (z.colwise().squaredNorm() / (n - 1.0)).cwiseSqrt().transpose();
  for (Eigen::Index j = 0; j < z.cols(); ++j) {
    if ((*sd)[j] > 0) z.col(j) /= (*sd)[j];
  }
  return z;
}

// Screening then redundancy removal; returns candidate columns ordered by p.
StatusOr<std::vector<int>> ScreenAndPrune(const Eigen::MatrixXd& z, const Eigen::VectorXd& y,
                                          const Eigen::VectorXd& sd, const RadiomicsOptions& o,
                                          RadiomicsModel* m) {
  std::vector<int> passed;
  for (Eigen::Index j = 0; j < z.cols(); ++j) {
    if (sd[j] == 0) {
      m->stages[j].fate = "constant";
      continue;
    }
    AMDRN_ASSIGN_OR_RETURN(m->stages[j].p, ScreenColumn(z, y, static_cast<int>(j), o.test));
    if (o.test == ScreenTest::kNone || m->stages[j].p < o.screen_p) {
      passed.push_back(static_cast<int>(j));
    } else {
      m->stages[j].fate = "screened out";
    }
  }
  if (passed.empty()) {
    return FailedPreconditionError("expected at least one feature with screening p < " +
                                   std::to_string(o.screen_p) + ", found none");
  }
  std::stable_sort(passed.begin(), passed.end(),
                   [&](int a, int b) { return m->stages[a].p < m->stages[b].p; });
  const Eigen::MatrixXd rho = SpearmanMatrix(z(Eigen::all, passed));
  std::vector<int> order(passed.size());
  std::iota(order.begin(), order.end(), 0);
  std::vector<int> kept;
  for (int k : RemoveRedundant(rho, order, o.max_abs_rho)) kept.push_back(passed[k]);
  for (int j : passed) {
    if (std::find(kept.begin(), kept.end(), j) == kept.end()) m->stages[j].fate = "redundant";
  }
  return kept;
}

}  // namespace

StatusOr<RadiomicsModel> FitRadiomicsModel(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                           const std::vector<std::string>& names,
                                           const RadiomicsOptions& options) {
  if (static_cast<Eigen::Index>(names.size()) != X.cols()) {
    return InvalidArgumentError("expected one name per feature column (" +
                                std::to_string(X.cols()) + "), found " +
                                std::to_string(names.size()));
  }
  if (!X.allFinite()) {
    return InvalidArgumentError("expected finite feature values, found NaN or Inf");
  }
  RadiomicsModel m;
  for (const std::string& n : names) m.stages.push_back({n, 1.0, "", 0.0});
  Eigen::VectorXd mean, sd;
  const Eigen::MatrixXd z = ZScore(X, &mean, &sd);
  AMDRN_ASSIGN_OR_RETURN(std::vector<int> kept, ScreenAndPrune(z, y, sd, options, &m));
  if (options.mrmr_k > 0 && static_cast<int>(kept.size()) > options.mrmr_k) {
    std::vector<int> chosen;
    for (int k : MrmrSelect(z(Eigen::all, kept), y, options.mrmr_k)) chosen.push_back(kept[k]);
    for (int j : kept) {
      if (std::find(chosen.begin(), chosen.end(), j) == chosen.end()) m.stages[j].fate = "mrmr";
    }
    kept = chosen;
  }
  for (int j : kept) m.lasso_inputs.push_back(names[j]);
  AMDRN_ASSIGN_OR_RETURN(m.cv, CrossValidateLasso(z(Eigen::all, kept), y, options.cv));
  m.warnings = m.cv.warnings;
  const int k = options.rule == LambdaRule::kOneSe ? m.cv.index_1se : m.cv.index_min;
  m.lambda = m.cv.fit.lambda[k];
  m.intercept = m.cv.fit.intercept[k];
  std::vector<double> coef;
  for (size_t i = 0; i < kept.size(); ++i) {
    const double b = m.cv.fit.beta(static_cast<Eigen::Index>(i), k);
    const int j = kept[i];
    m.stages[j].fate = b != 0 ? "selected" : "zero";
    m.stages[j].coefficient = b;
    if (b == 0) continue;
    m.features.push_back(names[j]);
    m.feature_index.push_back(j);
    coef.push_back(b);
  }
  m.coefficients = Eigen::Map<Eigen::VectorXd>(coef.data(), coef.size());
  m.center = mean(m.feature_index);
  m.scale = sd(m.feature_index);
  if (m.features.empty()) {
    m.warnings.push_back("no feature has a non-zero coefficient at the chosen lambda; the Rad "
                         "score is the intercept alone");
  }
  return m;
}

Eigen::VectorXd RadScore(const RadiomicsModel& model, const Eigen::MatrixXd& X) {
  Eigen::VectorXd score = Eigen::VectorXd::Constant(X.rows(), model.intercept);
  for (size_t i = 0; i < model.features.size(); ++i) {
    score += model.coefficients[i] *
             ((X.col(model.feature_index[i]).array() - model.center[i]) / model.scale[i]).matrix();
  }
  return score;
}

}  // namespace amdrn::stats
