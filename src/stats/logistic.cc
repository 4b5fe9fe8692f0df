#include "stats/logistic.h"

#include <cmath>
#include <limits>
#include <sstream>

#include "stats/distributions.h"

namespace amdrn::stats {
namespace {

constexpr double kDblEps = std::numeric_limits<double>::epsilon();
// R's logit_linkinv / logit_mu_eta thresholds (src/library/stats/src/family.c).
constexpr double kEtaThresh = 30.0;
// Relative residual below which a column counts as aliased. R's Cdqrls uses 1e-11 on
// its Householder QR; amdrn refuses a little earlier (1e-9) because such fits only yield
// meaningless standard errors.
constexpr double kAliasTolerance = 1e-9;

double GlmLinkInv(double eta) {
  const double t =
      eta < -kEtaThresh ? kDblEps : (eta > kEtaThresh ? 1.0 / kDblEps : std::exp(eta));
  return t / (1.0 + t);
}

double GlmMuEta(double eta) {
  const double opexp = 1.0 + std::exp(eta);
  return (eta > kEtaThresh || eta < -kEtaThresh) ? kDblEps : std::exp(eta) / (opexp * opexp);
}

double YLogY(double y, double mu) { return y != 0.0 ? y * std::log(y / mu) : 0.0; }

double BinomialDeviance(const Eigen::VectorXd& y, const Eigen::VectorXd& mu,
                        const Eigen::VectorXd& w) {
  double dev = 0;
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    if (w[i] > 0) dev += 2.0 * w[i] * (YLogY(y[i], mu[i]) + YLogY(1.0 - y[i], 1.0 - mu[i]));
  }
  return dev;
}

// R's binomial()$aic term: -2 * sum(dbinom(round(w * y), round(w), mu, log = TRUE)).
double BinomialLogLik(const Eigen::VectorXd& y, const Eigen::VectorXd& mu,
                      const Eigen::VectorXd& w) {
  double ll = 0;
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    if (!(w[i] > 0)) continue;
    const double m = std::round(w[i]);
    const double k = std::round(w[i] * y[i]);
    const double lchoose = std::lgamma(m + 1) - std::lgamma(k + 1) - std::lgamma(m - k + 1);
    ll += lchoose + (k > 0 ? k * std::log(mu[i]) : 0.0) +
          (m - k > 0 ? (m - k) * std::log1p(-mu[i]) : 0.0);
  }
  return ll;
}

std::string Quote(const std::string& s) { return "'" + s + "'"; }

Status ValidateInputs(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                      const LogisticOptions& o) {
  const Eigen::Index n = X.rows();
  if (y.size() != n) {
    return InvalidArgumentError("expected one outcome per row (" + std::to_string(n) +
                                "), found " + std::to_string(y.size()));
  }
  for (Eigen::Index j = 0; j < X.cols(); ++j) {
    for (Eigen::Index i = 0; i < n; ++i) {
      if (!std::isfinite(X(i, j))) {
        const std::string name = j < (Eigen::Index)o.names.size() ? o.names[j]
                                                                   : "x" + std::to_string(j + 1);
        return InvalidArgumentError("expected finite predictor values, found " +
                                    std::to_string(X(i, j)) + " in column " + Quote(name) +
                                    " row " + std::to_string(i + 1));
      }
    }
  }
  for (Eigen::Index i = 0; i < n; ++i) {
    if (!(y[i] >= 0.0 && y[i] <= 1.0)) {
      return InvalidArgumentError("expected outcomes in [0, 1], found " + std::to_string(y[i]) +
                                  " in row " + std::to_string(i + 1));
    }
  }
  if (o.weights.size() != 0 && o.weights.size() != n) {
    return InvalidArgumentError("expected one weight per row, found " +
                                std::to_string(o.weights.size()));
  }
  if (o.weights.size() != 0 && !(o.weights.array() >= 0).all()) {
    return InvalidArgumentError("expected finite non-negative weights, found a negative or NaN");
  }
  if (o.offset.size() != 0 && (o.offset.size() != n || !o.offset.allFinite())) {
    return InvalidArgumentError("expected one finite offset per row");
  }
  if (!o.names.empty() && (Eigen::Index)o.names.size() != X.cols()) {
    return InvalidArgumentError("expected one name per column (" + std::to_string(X.cols()) +
                                "), found " + std::to_string(o.names.size()));
  }
  return OkStatus();
}

// Columns aliased with earlier ones: the residual of column j after projection on the
// earlier kept columns (Gram-Schmidt with re-orthogonalisation, in column order as R's
// dqrdc2) is below kAliasTolerance times its norm.
std::vector<int> AliasedColumns(const Eigen::MatrixXd& A) {
  std::vector<int> aliased;
  Eigen::MatrixXd q(A.rows(), 0);
  for (Eigen::Index j = 0; j < A.cols(); ++j) {
    Eigen::VectorXd v = A.col(j);
    const double norm = v.norm();
    for (int pass = 0; pass < 2; ++pass) v -= q * (q.transpose() * v);
    if (norm == 0.0 || v.norm() < kAliasTolerance * norm) {
      aliased.push_back(static_cast<int>(j));
      continue;
    }
    q.conservativeResize(Eigen::NoChange, q.cols() + 1);
    q.col(q.cols() - 1) = v / v.norm();
  }
  return aliased;
}

Status RankError(const Eigen::MatrixXd& Xd, const std::vector<int>& aliased,
                 const std::vector<std::string>& names, bool has_intercept) {
  std::ostringstream msg;
  msg << "expected linearly independent predictors, found ";
  const int j = aliased.front();
  const double first = Xd(0, j);
  const bool constant = (Xd.col(j).array() == first).all();
  if (constant && has_intercept) {
    msg << "column " << Quote(names[j]) << " constant (every value " << first
        << "), which duplicates the intercept";
  } else {
    msg << "column " << Quote(names[j]) << " a linear combination of earlier columns";
  }
  if (aliased.size() > 1) msg << " (" << aliased.size() << " aliased columns in all)";
  msg << "; drop it";
  return FailedPreconditionError(msg.str());
}

struct Design {
  Eigen::MatrixXd X;  // with the intercept column if any
  Eigen::VectorXd w, offset;
  std::vector<std::string> names;
};

Design MakeDesign(const Eigen::MatrixXd& X, const LogisticOptions& o) {
  Design d;
  const Eigen::Index n = X.rows();
  const int k = o.add_intercept ? 1 : 0;
  d.X.resize(n, X.cols() + k);
  if (k) {
    d.X.col(0).setOnes();
    d.names.push_back("(Intercept)");
  }
  d.X.rightCols(X.cols()) = X;
  for (Eigen::Index j = 0; j < X.cols(); ++j) {
    d.names.push_back(o.names.empty() ? "x" + std::to_string(j + 1) : o.names[j]);
  }
  d.w = o.weights.size() ? o.weights : Eigen::VectorXd::Ones(n);
  d.offset = o.offset.size() ? o.offset : Eigen::VectorXd::Zero(n);
  return d;
}

// Fills the Wald statistics from coefficients and covariance.
void FillWald(LogisticFit& fit, double conf_level) {
  const double zq = NormalQuantile(1.0 - (1.0 - conf_level) / 2.0);
  fit.standard_errors = fit.covariance.diagonal().cwiseSqrt();
  fit.z = fit.coefficients.cwiseQuotient(fit.standard_errors);
  const Eigen::Index p = fit.coefficients.size();
  fit.p_values.resize(p);
  fit.odds_ratios.resize(p);
  fit.or_lower.resize(p);
  fit.or_upper.resize(p);
  for (Eigen::Index j = 0; j < p; ++j) {
    fit.p_values[j] = TwoSidedNormalP(fit.z[j]);
    fit.odds_ratios[j] = std::exp(fit.coefficients[j]);
    fit.or_lower[j] = std::exp(fit.coefficients[j] - zq * fit.standard_errors[j]);
    fit.or_upper[j] = std::exp(fit.coefficients[j] + zq * fit.standard_errors[j]);
  }
}

// Deviance of the model without predictors (glm's null.deviance).
// `deviance` is the fit's own deviance, which is the answer for an intercept-only model.
StatusOr<double> NullDeviance(const Design& d, const Eigen::VectorXd& y,
                              const LogisticOptions& o, double deviance) {
  const Eigen::Index n = y.size();
  const bool has_offset = (d.offset.array() != 0).any();
  if (o.add_intercept && d.X.cols() == 1 && !o.firth) return deviance;
  if (o.add_intercept && has_offset) {
    LogisticOptions null_options = o;
    null_options.names.clear();
    null_options.firth = false;
    AMDRN_ASSIGN_OR_RETURN(LogisticFit null_fit,
                           FitLogistic(Eigen::MatrixXd(n, 0), y, null_options));
    return null_fit.deviance;
  }
  Eigen::VectorXd mu(n);
  if (o.add_intercept) {
    mu.setConstant(d.w.dot(y) / d.w.sum());
  } else {
    for (Eigen::Index i = 0; i < n; ++i) mu[i] = GlmLinkInv(d.offset[i]);
  }
  return BinomialDeviance(y, mu, d.w);
}

struct IrlsState {
  Eigen::VectorXd beta, eta, mu;
  Eigen::MatrixXd r_inverse;  // R^-1 of the last weighted QR
  double deviance = 0;
  int iterations = 0;
  bool converged = false;
};

// One IRLS step at (eta, mu): weighted least squares of the working response.
void IrlsStep(const Design& d, const Eigen::VectorXd& y, IrlsState& s) {
  const Eigen::Index n = y.size();
  Eigen::VectorXd ww(n), zw(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double mu_eta = GlmMuEta(s.eta[i]);
    const double variance = s.mu[i] * (1.0 - s.mu[i]);
    const bool good = d.w[i] > 0 && mu_eta != 0.0;
    ww[i] = good ? std::sqrt(d.w[i] * mu_eta * mu_eta / variance) : 0.0;
    zw[i] = good ? ww[i] * (s.eta[i] - d.offset[i] + (y[i] - s.mu[i]) / mu_eta) : 0.0;
  }
  const Eigen::MatrixXd a = ww.asDiagonal() * d.X;
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(a);
  s.beta = qr.solve(zw);
  const Eigen::Index p = d.X.cols();
  const Eigen::MatrixXd r = qr.matrixQR().topLeftCorner(p, p).triangularView<Eigen::Upper>();
  s.r_inverse = r.triangularView<Eigen::Upper>().solve(Eigen::MatrixXd::Identity(p, p));
  s.eta = d.X * s.beta + d.offset;
  for (Eigen::Index i = 0; i < n; ++i) s.mu[i] = GlmLinkInv(s.eta[i]);
}

// glm.fit's loop: start from mustart = (w y + 0.5) / (w + 1).
IrlsState RunIrls(const Design& d, const Eigen::VectorXd& y, const LogisticOptions& o) {
  const Eigen::Index n = y.size();
  IrlsState s;
  s.eta.resize(n);
  s.mu.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double mustart = (d.w[i] * y[i] + 0.5) / (d.w[i] + 1.0);
    s.eta[i] = std::log(mustart / (1.0 - mustart));
    s.mu[i] = GlmLinkInv(s.eta[i]);
  }
  double dev_old = BinomialDeviance(y, s.mu, d.w);
  for (int iter = 1; iter <= o.max_iterations; ++iter) {
    IrlsStep(d, y, s);
    s.iterations = iter;
    s.deviance = BinomialDeviance(y, s.mu, d.w);
    if (std::fabs(s.deviance - dev_old) / (std::fabs(s.deviance) + 0.1) < o.epsilon) {
      s.converged = true;
      break;
    }
    dev_old = s.deviance;
  }
  return s;
}

bool FittedAtBoundary(const Eigen::VectorXd& mu, const Eigen::VectorXd& w) {
  const double eps = 10.0 * kDblEps;
  for (Eigen::Index i = 0; i < mu.size(); ++i) {
    if (w[i] > 0 && (mu[i] > 1.0 - eps || mu[i] < eps)) return true;
  }
  return false;
}

void FillCommon(const Design& d, const Eigen::VectorXd& y, LogisticFit& fit) {
  const Eigen::Index n_ok = (d.w.array() > 0).count();
  const int rank = static_cast<int>(d.X.cols());
  fit.deviance = BinomialDeviance(y, fit.fitted, d.w);
  fit.log_likelihood = BinomialLogLik(y, fit.fitted, d.w);
  fit.aic = -2.0 * fit.log_likelihood + 2.0 * rank;
  fit.df_residual = static_cast<int>(n_ok) - rank;
  fit.df_null = static_cast<int>(n_ok) - (fit.has_intercept ? 1 : 0);
}

// Firth: penalised score U* = X'(w (y - p) + h (1/2 - p)), h = diag of the weighted hat
// matrix; Newton steps with the step capped at max_step and halved (up to 5 times) while
// the penalised log-likelihood decreases (logistf.fit).
struct FirthEval {
  Eigen::VectorXd mu, eta, score;
  Eigen::MatrixXd covariance;
  double penalized_loglik = 0;
};

StatusOr<FirthEval> EvaluateFirth(const Design& d, const Eigen::VectorXd& y,
                                  const Eigen::VectorXd& beta) {
  FirthEval e;
  e.eta = d.X * beta + d.offset;
  e.mu = e.eta.unaryExpr([](double v) { return 1.0 / (1.0 + std::exp(-v)); });
  const Eigen::VectorXd sw = (d.w.array() * e.mu.array() * (1.0 - e.mu.array())).sqrt();
  const Eigen::MatrixXd xw = sw.asDiagonal() * d.X;
  const Eigen::MatrixXd fisher = xw.transpose() * xw;
  Eigen::LLT<Eigen::MatrixXd> llt(fisher);
  if (llt.info() != Eigen::Success) {
    return FailedPreconditionError(
        "expected a positive-definite Fisher information in the Firth fit, found a singular one");
  }
  e.covariance = llt.solve(Eigen::MatrixXd::Identity(fisher.rows(), fisher.cols()));
  const Eigen::VectorXd h = (xw * e.covariance).cwiseProduct(xw).rowwise().sum();
  const Eigen::VectorXd r = d.w.cwiseProduct(y - e.mu) + h.cwiseProduct(
                                (0.5 - e.mu.array()).matrix());
  e.score = d.X.transpose() * r;
  const Eigen::MatrixXd l = llt.matrixL();
  const double log_det = 2.0 * l.diagonal().array().log().sum();
  double ll = 0;
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    if (d.w[i] > 0) ll += d.w[i] * (y[i] * std::log(e.mu[i]) + (1 - y[i]) * std::log1p(-e.mu[i]));
  }
  e.penalized_loglik = ll + 0.5 * log_det;
  return e;
}

StatusOr<LogisticFit> FitFirth(const Design& d, const Eigen::VectorXd& y,
                               const LogisticOptions& o) {
  Eigen::VectorXd beta = Eigen::VectorXd::Zero(d.X.cols());
  AMDRN_ASSIGN_OR_RETURN(FirthEval e, EvaluateFirth(d, y, beta));
  LogisticFit fit;
  for (int iter = 1; iter <= o.max_iterations; ++iter) {
    Eigen::VectorXd delta = e.covariance * e.score;
    const double mx = delta.cwiseAbs().maxCoeff() / o.firth_max_step;
    if (mx > 1) delta /= mx;
    const double score_max = e.score.cwiseAbs().maxCoeff();
    const double ll_old = e.penalized_loglik;
    AMDRN_ASSIGN_OR_RETURN(FirthEval next, EvaluateFirth(d, y, beta + delta));
    for (int half = 0; half < 5 && next.penalized_loglik < ll_old; ++half) {
      delta /= 2;
      AMDRN_ASSIGN_OR_RETURN(next, EvaluateFirth(d, y, beta + delta));
    }
    beta += delta;
    e = std::move(next);
    fit.iterations = iter;
    if (delta.cwiseAbs().maxCoeff() <= o.firth_xconv && score_max < o.firth_gconv &&
        std::fabs(e.penalized_loglik - ll_old) < o.firth_lconv) {
      fit.converged = true;
      break;
    }
  }
  fit.coefficients = beta;
  fit.covariance = e.covariance;
  fit.linear_predictor = e.eta;
  fit.fitted = e.mu;
  fit.penalized_log_likelihood = e.penalized_loglik;
  return fit;
}

}  // namespace

double Logistic(double eta) {
  return eta >= 0 ? 1.0 / (1.0 + std::exp(-eta)) : std::exp(eta) / (1.0 + std::exp(eta));
}

StatusOr<LogisticFit> FitLogistic(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                  const LogisticOptions& options) {
  AMDRN_RETURN_IF_ERROR(ValidateInputs(X, y, options));
  const Design d = MakeDesign(X, options);
  const Eigen::Index n_ok = (d.w.array() > 0).count();
  if (n_ok < d.X.cols()) {
    return InvalidArgumentError("expected at least as many rows as coefficients (" +
                                std::to_string(d.X.cols()) + "), found " +
                                std::to_string(n_ok));
  }
  const std::vector<int> aliased = AliasedColumns((d.w.array() > 0).cast<double>().matrix()
                                                      .asDiagonal() * d.X);
  if (!aliased.empty()) return RankError(d.X, aliased, d.names, options.add_intercept);

  LogisticFit fit;
  if (options.firth) {
    AMDRN_ASSIGN_OR_RETURN(fit, FitFirth(d, y, options));
    fit.firth = true;
    if (!fit.converged) fit.warnings.push_back("Firth fit did not converge");
  } else {
    IrlsState s = RunIrls(d, y, options);
    fit.coefficients = s.beta;
    fit.covariance = s.r_inverse * s.r_inverse.transpose();
    fit.linear_predictor = s.eta;
    fit.fitted = s.mu;
    fit.iterations = s.iterations;
    fit.converged = s.converged;
    if (!s.converged) fit.warnings.push_back("glm.fit: algorithm did not converge");
    if (FittedAtBoundary(s.mu, d.w)) {
      fit.warnings.push_back("glm.fit: fitted probabilities numerically 0 or 1 occurred");
      fit.separation = true;
    }
    if (!s.converged && (fit.linear_predictor.cwiseAbs().array() > 15).any()) {
      fit.separation = true;
    }
  }
  fit.names = d.names;
  fit.has_intercept = options.add_intercept;
  FillWald(fit, options.conf_level);
  FillCommon(d, y, fit);
  AMDRN_ASSIGN_OR_RETURN(fit.null_deviance, NullDeviance(d, y, options, fit.deviance));
  return fit;
}

Eigen::VectorXd PredictLinear(const LogisticFit& fit, const Eigen::MatrixXd& X,
                              const Eigen::VectorXd& offset) {
  const int k = fit.has_intercept ? 1 : 0;
  Eigen::VectorXd eta = X * fit.coefficients.tail(fit.coefficients.size() - k);
  if (k) eta.array() += fit.coefficients[0];
  if (offset.size()) eta += offset;
  return eta;
}

Eigen::VectorXd PredictProbability(const LogisticFit& fit, const Eigen::MatrixXd& X,
                                   const Eigen::VectorXd& offset) {
  return PredictLinear(fit, X, offset).unaryExpr([](double v) { return Logistic(v); });
}

StatusOr<LikelihoodRatioTest> CompareNested(const LogisticFit& reduced,
                                            const LogisticFit& full) {
  if (reduced.coefficients.size() >= full.coefficients.size()) {
    return InvalidArgumentError("expected the reduced model to have fewer coefficients (" +
                                std::to_string(reduced.coefficients.size()) + ") than the full (" +
                                std::to_string(full.coefficients.size()) + ")");
  }
  if (reduced.fitted.size() != full.fitted.size()) {
    return FailedPreconditionError("expected both models fitted on the same rows, found " +
                                   std::to_string(reduced.fitted.size()) + " and " +
                                   std::to_string(full.fitted.size()));
  }
  LikelihoodRatioTest t;
  t.chi_square = reduced.deviance - full.deviance;
  t.df = static_cast<int>(full.coefficients.size() - reduced.coefficients.size());
  t.p_value = ChiSquareUpperTail(t.chi_square, t.df);
  return t;
}

LikelihoodRatioTest ModelLikelihoodRatio(const LogisticFit& fit) {
  LikelihoodRatioTest t;
  t.chi_square = fit.null_deviance - fit.deviance;
  t.df = fit.df_null - fit.df_residual;
  t.p_value = t.df > 0 ? ChiSquareUpperTail(t.chi_square, t.df) : 1.0;
  return t;
}

}  // namespace amdrn::stats
