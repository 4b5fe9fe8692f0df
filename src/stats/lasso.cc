#include "stats/lasso.h"

#include <algorithm>
#include <cmath>

namespace amdrn::stats {
namespace {

constexpr double kBig = 9.9e35;     // glmnet.control()$big: the "infinite" first lambda

// Columns centred and scaled with weights summing to one (glmnet's lstandard1).
struct Standardized {
  Eigen::MatrixXd x;
  Eigen::VectorXd xm, xs;
  std::vector<char> ju;  // 0 for constant columns, which never enter
};

Standardized Standardize(const Eigen::MatrixXd& X, const Eigen::VectorXd& w, bool standardize,
                         bool intercept) {
  Standardized s;
  const Eigen::Index p = X.cols();
  s.x = X;
  s.xm = Eigen::VectorXd::Zero(p);
  s.xs = Eigen::VectorXd::Ones(p);
  s.ju.assign(p, 1);
  for (Eigen::Index j = 0; j < p; ++j) {
    auto col = s.x.col(j);
    if ((col.array() == col[0]).all()) {
      s.ju[j] = 0;
      continue;
    }
    if (intercept) {
      s.xm[j] = w.dot(col);
      col.array() -= s.xm[j];
      if (standardize) s.xs[j] = std::sqrt(w.dot(col.cwiseAbs2()));
    } else if (standardize) {
      const double mean = w.dot(col);
      s.xs[j] = std::sqrt(w.dot(col.cwiseAbs2()) - mean * mean);
    }
    if (standardize) col /= s.xs[j];
  }
  return s;
}

// Solutions on the standardised scale.
struct CorePath {
  std::vector<double> lambda, a0, dev_ratio;
  std::vector<Eigen::VectorXd> b;
  double dev0 = 0;
  int passes = 0;
  int jerr = 0;  // -k: lambda k (1-based) did not converge within max_passes
};

// glmnet's two-class Newton path (lognet2n): outer IRLS steps, coordinate descent over the
// strong set then the active set, KKT checks of the remaining columns.
class BinomialPathSolver {
 public:
  BinomialPathSolver(const Standardized& s, const Eigen::VectorXd& y, const Eigen::VectorXd& w,
                     const Eigen::VectorXd& vp, const LassoOptions& o)
      : x_(s.x), y_(y), w_(w), ju_(s.ju), vp_(vp), o_(o), n_(x_.rows()), p_(x_.cols()) {}

  CorePath Run(double flmin, const std::vector<double>& ulam, int num_lambda);

 private:
  bool UpdateCoordinate(Eigen::Index k, double* dlx);
  void UpdateIntercept(double* dlx);
  bool Sweep(bool strong_set);  // false when max_passes is exceeded
  bool SolveLambda();           // false when max_passes is exceeded
  void RefreshQuadratic();
  bool CheckKkt();              // true when a column joined the strong set
  double Deviance() const;

  const Eigen::MatrixXd& x_;
  const Eigen::VectorXd& y_;
  const Eigen::VectorXd& w_;
  const std::vector<char>& ju_;
  const Eigen::VectorXd& vp_;
  const LassoOptions& o_;
  const Eigen::Index n_, p_;

  Eigen::VectorXd b_, bs_, xv_, ga_, v_, r_, q_;
  double b0_ = 0, bs0_ = 0, xmz_ = 0, shr_ = 0, al1_ = 0, al2_ = 0, vmin_ = 0;
  std::vector<char> ixx_, in_active_;
  std::vector<Eigen::Index> active_;
  int nlp_ = 0;
};

bool BinomialPathSolver::UpdateCoordinate(Eigen::Index k, double* dlx) {
  const double bk = b_[k];
  const double gk = x_.col(k).dot(r_);
  const double u = gk + xv_[k] * bk;
  const double au = std::fabs(u) - vp_[k] * al1_;
  b_[k] = au <= 0 ? 0.0 : std::copysign(au, u) / (xv_[k] + vp_[k] * al2_);
  const double d = b_[k] - bk;
  if (d == 0.0) return false;
  *dlx = std::max(*dlx, xv_[k] * d * d);
  r_.noalias() -= (d * v_).cwiseProduct(x_.col(k));
  return true;
}

void BinomialPathSolver::UpdateIntercept(double* dlx) {
  if (!o_.intercept) return;
  const double d = r_.sum() / xmz_;
  if (d == 0.0) return;
  b0_ += d;
  *dlx = std::max(*dlx, xmz_ * d * d);
  r_.noalias() -= d * v_;
}

bool BinomialPathSolver::Sweep(bool strong_set) {
  for (;;) {
    ++nlp_;
    double dlx = 0;
    if (strong_set) {
      for (Eigen::Index k = 0; k < p_; ++k) {
        if (!ixx_[k]) continue;
        if (UpdateCoordinate(k, &dlx) && !in_active_[k]) {
          in_active_[k] = 1;
          active_.push_back(k);
        }
      }
    } else {
      for (Eigen::Index k : active_) UpdateCoordinate(k, &dlx);
    }
    UpdateIntercept(&dlx);
    if (dlx < shr_) return true;
    if (nlp_ > o_.max_passes) return false;
    if (strong_set) {
      if (!Sweep(false)) return false;
    }
  }
}

void BinomialPathSolver::RefreshQuadratic() {
  const double fmax = std::log(1.0 / o_.pmin - 1.0);
  Eigen::VectorXd eta = Eigen::VectorXd::Constant(n_, b0_);
  for (Eigen::Index k : active_) eta.noalias() += b_[k] * x_.col(k);
  for (Eigen::Index i = 0; i < n_; ++i) {
    q_[i] = eta[i] < -fmax ? 0.0 : (eta[i] > fmax ? 1.0 : 1.0 / (1.0 + std::exp(-eta[i])));
  }
  v_ = w_.array() * q_.array() * (1.0 - q_.array());
  xmz_ = v_.sum();
  r_ = w_.cwiseProduct(y_ - q_);
}

bool BinomialPathSolver::CheckKkt() {
  bool added = false;
  for (Eigen::Index k = 0; k < p_; ++k) {
    if (ixx_[k] || !ju_[k]) continue;
    ga_[k] = std::fabs(r_.dot(x_.col(k)));
    if (ga_[k] > al1_ * vp_[k]) {
      ixx_[k] = 1;
      added = true;
    }
  }
  return added;
}

bool BinomialPathSolver::SolveLambda() {
  for (;;) {
    bs0_ = b0_;
    for (Eigen::Index k : active_) bs_[k] = b_[k];
    for (Eigen::Index j = 0; j < p_; ++j) {
      if (ixx_[j]) xv_[j] = v_.dot(x_.col(j).cwiseAbs2());
    }
    if (!Sweep(true)) return false;
    RefreshQuadratic();
    if (xmz_ <= vmin_) return true;
    if (xmz_ * (b0_ - bs0_) * (b0_ - bs0_) >= shr_) continue;
    bool moved = false;
    for (Eigen::Index k : active_) {
      if (xv_[k] * (b_[k] - bs_[k]) * (b_[k] - bs_[k]) >= shr_) {
        moved = true;
        break;
      }
    }
    if (moved) continue;
    if (!CheckKkt()) return true;
  }
}

double BinomialPathSolver::Deviance() const {
  double s = 0;
  for (Eigen::Index i = 0; i < n_; ++i) {
    const double pi = std::min(std::max(o_.pmin, q_[i]), 1.0 - o_.pmin);
    s -= w_[i] * (y_[i] * std::log(pi) + (1.0 - y_[i]) * std::log(1.0 - pi));
  }
  return s;
}

CorePath BinomialPathSolver::Run(double flmin, const std::vector<double>& ulam, int num_lambda) {
  CorePath out;
  const double bta = o_.alpha, omb = 1.0 - bta;
  vmin_ = (1.0 + o_.pmin) * o_.pmin * (1.0 - o_.pmin);
  double q0 = w_.dot(y_);
  if (!o_.intercept) q0 = 0.5;
  b0_ = o_.intercept ? std::log(q0 / (1.0 - q0)) : 0.0;
  b_ = bs_ = xv_ = ga_ = Eigen::VectorXd::Zero(p_);
  q_ = Eigen::VectorXd::Constant(n_, q0);
  v_ = q0 * (1.0 - q0) * w_;
  r_ = w_.cwiseProduct(y_.array().matrix() - q_);
  xmz_ = q0 * (1.0 - q0);
  const double dev1 = -(b0_ * q0 + std::log(1.0 - q0));
  double dev0 = dev1;
  for (Eigen::Index i = 0; i < n_; ++i) {
    if (y_[i] > 0) dev0 += w_[i] * y_[i] * std::log(y_[i]);
    if (y_[i] < 1) dev0 += w_[i] * (1.0 - y_[i]) * std::log(1.0 - y_[i]);
  }
  out.dev0 = dev0;
  double alf = 1.0;
  if (flmin < 1.0) alf = std::pow(std::max(o_.eps, flmin), 1.0 / (num_lambda - 1));
  shr_ = o_.thresh * dev0;
  ixx_.assign(p_, 0);
  in_active_.assign(p_, 0);
  for (Eigen::Index j = 0; j < p_; ++j) {
    if (ju_[j]) ga_[j] = std::fabs(r_.dot(x_.col(j)));
  }
  const int mnl = std::min(o_.mnlam, num_lambda);
  double al = 0;
  for (int ilm = 0; ilm < num_lambda; ++ilm) {
    double al0 = al;
    if (flmin >= 1.0) {
      al = ulam[ilm];
    } else if (ilm > 1) {
      al *= alf;
    } else if (ilm == 0) {
      al = kBig;
    } else {
      al0 = 0;
      for (Eigen::Index j = 0; j < p_; ++j) {
        if (ju_[j] && vp_[j] > 0) al0 = std::max(al0, ga_[j] / vp_[j]);
      }
      al = alf * al0 / std::max(bta, 1e-3);
    }
    al2_ = al * omb;
    al1_ = al * bta;
    const double tlam = bta * (2.0 * al - al0);
    for (Eigen::Index k = 0; k < p_; ++k) {
      if (!ixx_[k] && ju_[k] && ga_[k] > tlam * vp_[k]) ixx_[k] = 1;
    }
    if (!SolveLambda()) {
      out.jerr = -(ilm + 1);
      break;
    }
    out.lambda.push_back(al);
    out.a0.push_back(b0_);
    out.b.push_back(b_);
    out.dev_ratio.push_back((dev1 - Deviance()) / dev0);
    if (xmz_ <= vmin_) break;
    if (ilm + 1 < mnl || flmin >= 1.0) continue;
    if (out.dev_ratio[ilm] > o_.devmax) break;
    if (out.dev_ratio[ilm] - out.dev_ratio[ilm - 1] < o_.fdev) break;
  }
  out.passes = nlp_;
  return out;
}

Status ValidateLassoInputs(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                           const LassoOptions& o, std::vector<std::string>* warnings) {
  if (y.size() != X.rows()) {
    return InvalidArgumentError("expected one outcome per row (" + std::to_string(X.rows()) +
                                "), found " + std::to_string(y.size()));
  }
  if (X.cols() < 1) return InvalidArgumentError("expected at least one feature column, found 0");
  if (!X.allFinite()) {
    return InvalidArgumentError("expected finite feature values, found NaN or Inf (impute first)");
  }
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    if (y[i] != 0.0 && y[i] != 1.0) {
      return InvalidArgumentError("expected outcomes 0 or 1, found " + std::to_string(y[i]) +
                                  " in row " + std::to_string(i + 1));
    }
  }
  const Eigen::Index events = static_cast<Eigen::Index>(y.sum());
  const Eigen::Index smaller = std::min(events, y.size() - events);
  if (smaller <= 1) {
    return InvalidArgumentError("expected at least 2 cases in each outcome class, found " +
                                std::to_string(smaller));
  }
  if (smaller < 8) {
    warnings->push_back("one binomial class has fewer than 8 observations; dangerous ground");
  }
  if (o.alpha <= 0 || o.alpha > 1) {
    return InvalidArgumentError("expected 0 < alpha <= 1, found " + std::to_string(o.alpha));
  }
  if (o.weights.size() && (o.weights.size() != y.size() || !(o.weights.array() >= 0).all())) {
    return InvalidArgumentError("expected one non-negative weight per row");
  }
  if (o.penalty_factor.size() && o.penalty_factor.size() != X.cols()) {
    return InvalidArgumentError("expected one penalty factor per column");
  }
  return OkStatus();
}

LassoPath ToOriginalUnits(const CorePath& core, const Standardized& s, const LassoOptions& o,
                          double weight_sum) {
  LassoPath path;
  const Eigen::Index p = s.x.cols();
  const size_t num = core.lambda.size();
  path.lambda = core.lambda;
  if (o.lambda.empty() && num > 2) {  // glmnet's fix.lam: lambda[0] from the log-linear grid
    path.lambda[0] = std::exp(2.0 * std::log(core.lambda[1]) - std::log(core.lambda[2]));
  }
  path.intercept.resize(num);
  path.beta.resize(p, num);
  for (size_t k = 0; k < num; ++k) {
    Eigen::VectorXd beta = core.b[k].cwiseQuotient(s.xs);
    path.beta.col(k) = beta;
    path.intercept[k] = core.a0[k] - (o.intercept ? beta.dot(s.xm) : 0.0);
    path.df.push_back(static_cast<int>((beta.array() != 0).count()));
  }
  path.dev_ratio = core.dev_ratio;
  path.null_deviance = 2.0 * weight_sum * core.dev0;
  path.center = s.xm;
  path.scale = s.xs;
  path.passes = core.passes;
  if (core.jerr < 0) {
    path.warnings.push_back("convergence for " + std::to_string(-core.jerr) +
                            "th lambda value not reached after maxit=" +
                            std::to_string(o.max_passes) +
                            " iterations; solutions for larger lambdas returned");
  }
  return path;
}

}  // namespace

StatusOr<LassoPath> FitLassoPath(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                 const LassoOptions& options) {
  std::vector<std::string> warnings;
  AMDRN_RETURN_IF_ERROR(ValidateLassoInputs(X, y, options, &warnings));
  const Eigen::Index n = X.rows(), p = X.cols();
  Eigen::VectorXd w = options.weights.size() ? options.weights : Eigen::VectorXd::Ones(n);
  const double weight_sum = w.sum();
  w /= weight_sum;
  Eigen::VectorXd vp =
      options.penalty_factor.size() ? options.penalty_factor : Eigen::VectorXd::Ones(p);
  vp = vp.cwiseMax(0.0);
  vp *= static_cast<double>(p) / vp.sum();
  const Standardized s = Standardize(X, w, options.standardize, options.intercept);
  if (std::none_of(s.ju.begin(), s.ju.end(), [](char c) { return c != 0; })) {
    return InvalidArgumentError("expected at least one non-constant feature, found none");
  }
  std::vector<double> ulam = options.lambda;
  std::sort(ulam.rbegin(), ulam.rend());
  double flmin = 1.0;
  int num_lambda = static_cast<int>(ulam.size());
  if (ulam.empty()) {
    flmin = options.lambda_min_ratio >= 0 ? options.lambda_min_ratio : (n < p ? 0.01 : 1e-4);
    num_lambda = options.num_lambda;
    if (flmin >= 1.0 || num_lambda < 1) {
      return InvalidArgumentError("expected lambda_min_ratio < 1 and num_lambda >= 1");
    }
  }
  BinomialPathSolver solver(s, y, w, vp, options);
  const CorePath core = solver.Run(flmin, ulam, num_lambda);
  if (core.lambda.empty()) {
    return InternalError("the LASSO path has no solution: the first lambda did not converge");
  }
  LassoPath path = ToOriginalUnits(core, s, options, weight_sum);
  path.warnings.insert(path.warnings.begin(), warnings.begin(), warnings.end());
  return path;
}

Eigen::VectorXd LassoLinearPredictor(const LassoPath& path, int k, const Eigen::MatrixXd& X) {
  Eigen::VectorXd eta = X * path.beta.col(k);
  eta.array() += path.intercept[k];
  return eta;
}

}  // namespace amdrn::stats
