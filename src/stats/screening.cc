#include "stats/screening.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "stats/distributions.h"

namespace amdrn::stats {
namespace {

Status CheckSample(const std::vector<double>& v, const char* name, size_t min_size) {
  if (v.size() < min_size) {
    return InvalidArgumentError(std::string("expected at least ") + std::to_string(min_size) +
                                " values in sample " + name + ", found " +
                                std::to_string(v.size()));
  }
  for (double d : v) {
    if (!std::isfinite(d)) {
      return InvalidArgumentError(std::string("expected finite values in sample ") + name +
                                  ", found NaN or Inf");
    }
  }
  return OkStatus();
}

// Number of size-m subsets of {1..m+n} by rank sum minus m(m+1)/2, i.e. the null
// distribution of W (as R's cwilcox), normalised to probabilities.
std::vector<double> WilcoxonDistribution(int m, int n) {
  const int max_w = m * n;
  // counts[j][s]: subsets of size j of the ranks seen so far with rank sum s.
  const int max_sum = m * (m + n);
  std::vector<std::vector<double>> counts(m + 1, std::vector<double>(max_sum + 1, 0.0));
  counts[0][0] = 1.0;
  for (int rank = 1; rank <= m + n; ++rank) {
    for (int j = std::min(rank, m); j >= 1; --j) {
      for (int s = max_sum; s >= rank; --s) counts[j][s] += counts[j - 1][s - rank];
    }
  }
  const int offset = m * (m + 1) / 2;
  std::vector<double> density(max_w + 1);
  double total = 0;
  for (int w = 0; w <= max_w; ++w) total += density[w] = counts[m][w + offset];
  for (double& d : density) d /= total;
  return density;
}

}  // namespace

Eigen::VectorXd AverageRanks(const Eigen::VectorXd& v) {
  const Eigen::Index n = v.size();
  std::vector<Eigen::Index> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](Eigen::Index a, Eigen::Index b) {
    return v[a] < v[b];
  });
  Eigen::VectorXd ranks(n);
  for (Eigen::Index i = 0; i < n;) {
    Eigen::Index j = i;
    while (j + 1 < n && v[idx[j + 1]] == v[idx[i]]) ++j;
    const double r = (i + j) / 2.0 + 1.0;
    for (Eigen::Index k = i; k <= j; ++k) ranks[idx[k]] = r;
    i = j + 1;
  }
  return ranks;
}

StatusOr<TestResult> MannWhitneyTest(const std::vector<double>& x, const std::vector<double>& y) {
  AMDRN_RETURN_IF_ERROR(CheckSample(x, "x", 1));
  AMDRN_RETURN_IF_ERROR(CheckSample(y, "y", 1));
  const int nx = static_cast<int>(x.size()), ny = static_cast<int>(y.size());
  Eigen::VectorXd all(nx + ny);
  for (int i = 0; i < nx; ++i) all[i] = x[i];
  for (int i = 0; i < ny; ++i) all[nx + i] = y[i];
  const Eigen::VectorXd r = AverageRanks(all);
  TestResult t;
  t.statistic = r.head(nx).sum() - nx * (nx + 1.0) / 2.0;
  // Tie groups: t^3 - t summed over distinct values.
  Eigen::VectorXd sorted = all;
  std::sort(sorted.data(), sorted.data() + sorted.size());
  double tie_sum = 0;
  bool ties = false;
  for (Eigen::Index i = 0; i < sorted.size();) {
    Eigen::Index j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[i]) ++j;
    const double c = static_cast<double>(j - i + 1);
    if (c > 1) ties = true;
    tie_sum += c * c * c - c;
    i = j + 1;
  }
  if (nx < 50 && ny < 50 && !ties) {
    const std::vector<double> density = WilcoxonDistribution(nx, ny);
    const int w = static_cast<int>(std::lround(t.statistic));
    double p;
    if (t.statistic > nx * ny / 2.0) {
      p = 0;  // P(W >= w)
      for (int k = w; k <= nx * ny; ++k) p += density[k];
    } else {
      p = 0;  // P(W <= w)
      for (int k = 0; k <= w; ++k) p += density[k];
    }
    t.p_value = std::min(2.0 * p, 1.0);
    t.exact = true;
    return t;
  }
  const double n = nx + ny;
  const double z0 = t.statistic - nx * ny / 2.0;
  const double sigma = std::sqrt(nx * ny / 12.0 * ((n + 1.0) - tie_sum / (n * (n - 1.0))));
  if (sigma == 0) {
    t.p_value = 1.0;  // all values tied: R gives NaN; no evidence of a difference
    return t;
  }
  const double correction = z0 > 0 ? 0.5 : (z0 < 0 ? -0.5 : 0.0);
  const double z = (z0 - correction) / sigma;
  t.p_value = std::min(1.0, 2.0 * std::min(NormalCdf(z), NormalUpperTail(z)));
  return t;
}

StatusOr<TestResult> WelchTTest(const std::vector<double>& x, const std::vector<double>& y) {
  AMDRN_RETURN_IF_ERROR(CheckSample(x, "x", 2));
  AMDRN_RETURN_IF_ERROR(CheckSample(y, "y", 2));
  auto moments = [](const std::vector<double>& v, double* mean, double* var) {
    *mean = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
    double ss = 0;
    for (double d : v) ss += (d - *mean) * (d - *mean);
    *var = ss / (v.size() - 1.0);
  };
  double mx, vx, my, vy;
  moments(x, &mx, &vx);
  moments(y, &my, &vy);
  const double sx = vx / x.size(), sy = vy / y.size();
  const double se = std::sqrt(sx + sy);
  if (se == 0) return InvalidArgumentError("expected varying data in the t-test, both constant");
  TestResult t;
  t.statistic = (mx - my) / se;
  t.df = (sx + sy) * (sx + sy) / (sx * sx / (x.size() - 1.0) + sy * sy / (y.size() - 1.0));
  t.p_value = TwoSidedStudentP(t.statistic, t.df);
  return t;
}

Eigen::MatrixXd SpearmanMatrix(const Eigen::MatrixXd& X) {
  Eigen::MatrixXd ranks(X.rows(), X.cols());
  for (Eigen::Index j = 0; j < X.cols(); ++j) {
    ranks.col(j) = AverageRanks(X.col(j));
    ranks.col(j).array() -= ranks.col(j).mean();
    ranks.col(j) /= ranks.col(j).norm();  // constant column -> NaN, as cor()
  }
  return ranks.transpose() * ranks;
}

std::vector<int> RemoveRedundant(const Eigen::MatrixXd& spearman, const std::vector<int>& order,
                                 double max_abs_rho) {
  std::vector<int> kept;
  for (int j : order) {
    bool redundant = false;
    for (int k : kept) {
      if (std::fabs(spearman(j, k)) > max_abs_rho) {
        redundant = true;
        break;
      }
    }
    if (!redundant) kept.push_back(j);
  }
  return kept;
}

std::vector<int> MrmrSelect(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, int k) {
  const Eigen::Index p = X.cols();
  Eigen::MatrixXd z(X.rows(), p + 1);
  z.leftCols(p) = X;
  z.col(p) = y;
  for (Eigen::Index j = 0; j <= p; ++j) {
    z.col(j).array() -= z.col(j).mean();
    const double norm = z.col(j).norm();
    if (norm > 0) z.col(j) /= norm;
  }
  const Eigen::MatrixXd r = z.transpose() * z;
  auto mi = [&](Eigen::Index a, Eigen::Index b) {
    const double rho = std::min(std::fabs(r(a, b)), 1.0 - 1e-12);
    return -0.5 * std::log(1.0 - rho * rho);
  };
  std::vector<int> selected;
  std::vector<char> used(p, 0);
  while (static_cast<int>(selected.size()) < std::min<Eigen::Index>(k, p)) {
    int best = -1;
    double best_score = -1e300;
    for (Eigen::Index j = 0; j < p; ++j) {
      if (used[j]) continue;
      double redundancy = 0;
      for (int s : selected) redundancy += mi(j, s);
      if (!selected.empty()) redundancy /= selected.size();
      const double score = mi(j, p) - redundancy;
      if (score > best_score) {
        best_score = score;
        best = static_cast<int>(j);
      }
    }
    used[best] = 1;
    selected.push_back(best);
  }
  return selected;
}

}  // namespace amdrn::stats
