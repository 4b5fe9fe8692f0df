// cv.glmnet for the binomial family: folds, held-out deviance, grouped statistics,
// lambda.min / lambda.1se. The full-data path and the fold paths are independent and run
// in parallel.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <random>
#include <thread>

#include "core/threads.h"
#include "stats/lasso.h"

namespace amdrn::stats {
namespace {

constexpr double kProbMin = 1e-5;  // cv.lognet's clamp of held-out probabilities

// glmnet's default folds: sample(rep(seq(nfolds), length = n)).
std::vector<int> RandomFolds(Eigen::Index n, int num_folds, uint64_t seed) {
  std::vector<int> fold(n);
  for (Eigen::Index i = 0; i < n; ++i) fold[i] = static_cast<int>(i % num_folds) + 1;
  std::mt19937_64 rng(seed);
  for (Eigen::Index i = n - 1; i > 0; --i) {
    std::uniform_int_distribution<Eigen::Index> pick(0, i);
    std::swap(fold[i], fold[pick(rng)]);
  }
  return fold;
}

Status ValidateFolds(const std::vector<int>& fold, Eigen::Index n, int num_folds) {
  if (static_cast<Eigen::Index>(fold.size()) != n) {
    return InvalidArgumentError("expected one fold id per row (" + std::to_string(n) +
                                "), found " + std::to_string(fold.size()));
  }
  std::vector<int> count(num_folds + 1, 0);
  for (int f : fold) {
    if (f < 1 || f > num_folds) {
      return InvalidArgumentError("expected fold ids 1.." + std::to_string(num_folds) +
                                  ", found " + std::to_string(f));
    }
    ++count[f];
  }
  for (int f = 1; f <= num_folds; ++f) {
    if (count[f] == 0) {
      return InvalidArgumentError("expected every fold 1.." + std::to_string(num_folds) +
                                  " to hold rows, fold " + std::to_string(f) + " is empty");
    }
  }
  return OkStatus();
}

// R's approx(x, y, v)$y for increasing x (binary search, exact at the knots).
double Approx(const std::vector<double>& x, double v) {
  size_t i = 0, j = x.size() - 1;
  while (i + 1 < j) {
    const size_t ij = (i + j) / 2;
    (v < x[ij] ? j : i) = ij;
  }
  if (v == x[j]) return static_cast<double>(j);
  if (v == x[i]) return static_cast<double>(i);
  return i + (v - x[i]) / (x[j] - x[i]);
}

// predict.glmnet(fit, s = lambda): coefficients linearly interpolated in lambda between
// the fold's own path points (glmnet's lambda.interp), clamped to the fold's range.
Eigen::VectorXd InterpolatedPredictor(const LassoPath& path, double s, const Eigen::MatrixXd& x) {
  const std::vector<double>& lam = path.lambda;
  const size_t k = lam.size();
  if (k == 1) return LassoLinearPredictor(path, 0, x);
  std::vector<double> pos(k);
  for (size_t i = 0; i < k; ++i) pos[i] = (lam[0] - lam[i]) / (lam[0] - lam[k - 1]);
  double sfrac = (lam[0] - s) / (lam[0] - lam[k - 1]);
  sfrac = std::min(std::max(sfrac, pos.front()), pos.back());
  const double coord = Approx(pos, sfrac);
  const size_t left = static_cast<size_t>(std::floor(coord));
  const size_t right = static_cast<size_t>(std::ceil(coord));
  double frac = (sfrac - pos[right]) / (pos[left] - pos[right]);
  if (left == right || std::fabs(pos[left] - pos[right]) < 2.220446049250313e-16) frac = 1.0;
  const Eigen::VectorXd beta = frac * path.beta.col(left) + (1 - frac) * path.beta.col(right);
  const double a0 = frac * path.intercept[left] + (1 - frac) * path.intercept[right];
  Eigen::VectorXd eta = x * beta;
  eta.array() += a0;
  return eta;
}

// Rows of fold `f` (test) and of the other folds (train).
void SplitRows(const std::vector<int>& fold, int f, std::vector<Eigen::Index>* train,
               std::vector<Eigen::Index>* test) {
  for (size_t i = 0; i < fold.size(); ++i) (fold[i] == f ? test : train)->push_back(i);
}

// The fold's own path on the training rows (cv.glmnet 4.1 does not pass the full-data
// lambdas to the fold fits).
StatusOr<LassoPath> FitFoldPath(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                const std::vector<int>& fold, int f, const LassoOptions& options) {
  std::vector<Eigen::Index> train, test;
  SplitRows(fold, f, &train, &test);
  LassoOptions o = options;
  if (options.weights.size()) o.weights = options.weights(train);
  StatusOr<LassoPath> path = FitLassoPath(X(train, Eigen::all), y(train), o);
  if (!path.ok()) return path.status().WithContext("fold " + std::to_string(f));
  return path;
}

// Held-out deviance of every row of fold `f` at each full-data lambda, written into `raw`;
// the fold's path is evaluated by interpolation (alignment = "lambda").
void EvaluateFold(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const std::vector<int>& fold,
                  int f, const LassoPath& path, const std::vector<double>& lambda,
                  Eigen::MatrixXd* raw) {
  std::vector<Eigen::Index> train, test;
  SplitRows(fold, f, &train, &test);
  const Eigen::MatrixXd x_test = X(test, Eigen::all);
  for (size_t k = 0; k < lambda.size(); ++k) {
    const Eigen::VectorXd eta = InterpolatedPredictor(path, lambda[k], x_test);
    for (size_t t = 0; t < test.size(); ++t) {
      double p = 1.0 / (1.0 + std::exp(-eta[t]));
      p = std::min(std::max(p, kProbMin), 1.0 - kProbMin);
      const double yi = y[test[t]];
      (*raw)(test[t], k) = -2.0 * (yi * std::log(p) + (1.0 - yi) * std::log(1.0 - p));
    }
  }
}

// Fits the full-data path (job 0) and every fold's path (job f) on `threads` threads.
Status FitAllPaths(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                   const std::vector<int>& fold, int num_folds, const LassoCvOptions& options,
                   std::vector<StatusOr<LassoPath>>* paths) {
  paths->assign(num_folds + 1, StatusOr<LassoPath>(InternalError("path not fitted")));
  std::atomic<int> next{0};
  auto worker = [&]() {
    for (int job; (job = next.fetch_add(1)) <= num_folds;) {
      (*paths)[job] = job == 0 ? FitLassoPath(X, y, options.path)
                               : FitFoldPath(X, y, fold, job, options.path);
    }
  };
  const int wanted = options.threads > 0 ? options.threads : GetThreadCount();
  const int threads = std::max(1, std::min(num_folds + 1, wanted));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  for (const StatusOr<LassoPath>& p : *paths) AMDRN_RETURN_IF_ERROR(p.status());
  return OkStatus();
}

// cvstats: fold means weighted by fold weight (grouped) or row-level statistics.
void Summarise(const Eigen::MatrixXd& raw, const Eigen::VectorXd& w, const std::vector<int>& fold,
               int num_folds, bool grouped, LassoCv* cv) {
  const Eigen::Index num_lambda = raw.cols();
  Eigen::MatrixXd values;
  Eigen::VectorXd weights;
  if (grouped) {
    values = Eigen::MatrixXd::Zero(num_folds, num_lambda);
    weights = Eigen::VectorXd::Zero(num_folds);
    for (Eigen::Index i = 0; i < raw.rows(); ++i) {
      values.row(fold[i] - 1) += w[i] * raw.row(i);
      weights[fold[i] - 1] += w[i];
    }
    for (int f = 0; f < num_folds; ++f) values.row(f) /= weights[f];
  } else {
    values = raw;
    weights = w;
  }
  const double n_eff = static_cast<double>(values.rows());
  cv->cvm.resize(num_lambda);
  cv->cvsd.resize(num_lambda);
  for (Eigen::Index k = 0; k < num_lambda; ++k) {
    const double m = weights.dot(values.col(k)) / weights.sum();
    const double var = weights.dot((values.col(k).array() - m).square().matrix()) / weights.sum();
    cv->cvm[k] = m;
    cv->cvsd[k] = std::sqrt(var / (n_eff - 1.0));
  }
}

// getOptcv.glmnet: the largest lambda at the minimum, then the largest lambda within 1 SE.
void ChooseLambdas(LassoCv* cv) {
  const std::vector<double>& lambda = cv->fit.lambda;
  const double cvmin = *std::min_element(cv->cvm.begin(), cv->cvm.end());
  int best = -1;
  for (size_t k = 0; k < lambda.size(); ++k) {
    if (cv->cvm[k] <= cvmin && (best < 0 || lambda[k] > lambda[best])) best = static_cast<int>(k);
  }
  const double semin = cv->cvm[best] + cv->cvsd[best];
  int one_se = -1;
  for (size_t k = 0; k < lambda.size(); ++k) {
    if (cv->cvm[k] <= semin && (one_se < 0 || lambda[k] > lambda[one_se])) {
      one_se = static_cast<int>(k);
    }
  }
  cv->index_min = best;
  cv->index_1se = one_se;
  cv->lambda_min = lambda[best];
  cv->lambda_1se = lambda[one_se];
}

}  // namespace

StatusOr<LassoCv> CrossValidateLasso(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                     const LassoCvOptions& options) {
  const Eigen::Index n = X.rows();
  if (options.num_folds < 3 && options.fold_id.empty()) {
    return InvalidArgumentError("expected num_folds >= 3 (glmnet), found " +
                                std::to_string(options.num_folds));
  }
  if (y.size() != n) {
    return InvalidArgumentError("expected one outcome per row (" + std::to_string(n) +
                                "), found " + std::to_string(y.size()));
  }
  LassoCv cv;
  cv.fold_id = options.fold_id.empty() ? RandomFolds(n, options.num_folds, options.seed)
                                       : options.fold_id;
  const int num_folds = cv.fold_id.empty()
                            ? 0 : *std::max_element(cv.fold_id.begin(), cv.fold_id.end());
  AMDRN_RETURN_IF_ERROR(ValidateFolds(cv.fold_id, n, num_folds));
  if (num_folds < 3) {
    return InvalidArgumentError("expected at least 3 folds, found " + std::to_string(num_folds));
  }
  std::vector<StatusOr<LassoPath>> paths;
  AMDRN_RETURN_IF_ERROR(FitAllPaths(X, y, cv.fold_id, num_folds, options, &paths));
  cv.fit = std::move(paths[0]).value();
  cv.warnings = cv.fit.warnings;
  const Eigen::Index num_lambda = static_cast<Eigen::Index>(cv.fit.lambda.size());
  Eigen::MatrixXd raw(n, num_lambda);
  for (int f = 1; f <= num_folds; ++f) {
    for (const std::string& w : paths[f]->warnings) {
      cv.warnings.push_back("fold " + std::to_string(f) + ": " + w);
    }
    EvaluateFold(X, y, cv.fold_id, f, *paths[f], cv.fit.lambda, &raw);
  }
  bool grouped = options.grouped;
  if (grouped && static_cast<double>(n) / num_folds < 3) {
    cv.warnings.push_back("Option grouped=FALSE enforced in cv.glmnet, since < 3 observations "
                          "per fold");
    grouped = false;
  }
  const Eigen::VectorXd w =
      options.path.weights.size() ? options.path.weights : Eigen::VectorXd::Ones(n);
  Summarise(raw, w, cv.fold_id, num_folds, grouped, &cv);
  cv.nzero = cv.fit.df;
  ChooseLambdas(&cv);
  return cv;
}

}  // namespace amdrn::stats
