// Univariate feature screening for the radiomics model: two-sample tests with R's
// semantics (wilcox.test: exact distribution for n < 50 per group without ties, otherwise
// the normal approximation with tie and continuity corrections; Welch t.test), Spearman
// rank correlation, greedy redundancy removal and mRMR. Pure functions, thread-safe.
#ifndef AMDRN_STATS_SCREENING_H_
#define AMDRN_STATS_SCREENING_H_

#include <string>
#include <vector>

#include <Eigen/Dense>

#include "core/status.h"

namespace amdrn::stats {

struct TestResult {
  double statistic = 0;  // W (Mann-Whitney) or t (Welch)
  double df = 0;         // Welch degrees of freedom (t-test only)
  double p_value = 1;    // two-sided
  bool exact = false;    // Mann-Whitney: exact null distribution used
};

// wilcox.test(x, y) two-sided with correct = TRUE and exact = NULL (R's defaults).
// Requires: both samples non-empty and finite.
StatusOr<TestResult> MannWhitneyTest(const std::vector<double>& x, const std::vector<double>& y);
// t.test(x, y) (Welch, two-sided). Requires: at least 2 values per sample, not both constant.
StatusOr<TestResult> WelchTTest(const std::vector<double>& x, const std::vector<double>& y);

// Average ranks (1-based), ties share the mean rank (R's rank(ties.method = "average")).
Eigen::VectorXd AverageRanks(const Eigen::VectorXd& v);
// Spearman correlation matrix of the columns (Pearson on average ranks). A constant column
// gives NaN correlations, as R's cor().
Eigen::MatrixXd SpearmanMatrix(const Eigen::MatrixXd& X);

// Greedy redundancy removal: columns are visited in `order` (most relevant first, e.g. by
// ascending screening p) and kept unless |rho| > max_abs_rho with an already kept column.
// Returns the kept column indices in visiting order.
std::vector<int> RemoveRedundant(const Eigen::MatrixXd& spearman, const std::vector<int>& order,
                                 double max_abs_rho);

// Classic mRMR (MID form, as mRMRe's default "classic" ensemble of size 1) with the
// Gaussian mutual-information estimate -0.5 log(1 - r^2) from Pearson correlations:
// first the column most correlated with y, then repeatedly the column maximising
// MI(x, y) - mean MI(x, selected). Returns up to k column indices in selection order.
// TODO: not compared with mRMRe output because mRMRe is not packaged for Debian.
std::vector<int> MrmrSelect(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, int k);

}  // namespace amdrn::stats

#endif  // AMDRN_STATS_SCREENING_H_
