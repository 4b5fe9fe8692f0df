#include "stats/screening.h"

#include <cmath>

#include <gtest/gtest.h>

#include "stats/test_util.h"

namespace amdrn::stats {
namespace {

using testing::Column;
using testing::Filter;
using testing::LoadTable;

void Samples(const std::string& name, std::vector<double>* x, std::vector<double>* y) {
  const CsvTable t = Filter(LoadTable("screening_samples.csv"), "case", name);
  const Eigen::VectorXd g = Column(t, "group"), v = Column(t, "value");
  for (Eigen::Index i = 0; i < g.size(); ++i) (g[i] == 0 ? x : y)->push_back(v[i]);
}

// wilcox.test and t.test from R on the three cases of testdata/stats/screening_tests.csv.
TEST(ScreeningTest, MatchesRWilcoxAndWelch) {
  const CsvTable ref = LoadTable("screening_tests.csv");
  const std::vector<std::string> cases = *ref.Column("case");
  const Eigen::VectorXd w = Column(ref, "w"), pw = Column(ref, "p_wilcox");
  const Eigen::VectorXd t = Column(ref, "t"), df = Column(ref, "df"), pt = Column(ref, "p_t");
  for (size_t i = 0; i < cases.size(); ++i) {
    std::vector<double> x, y;
    Samples(cases[i], &x, &y);
    StatusOr<TestResult> mw = MannWhitneyTest(x, y);
    ASSERT_TRUE(mw.ok());
    EXPECT_EQ(mw->statistic, w[i]) << cases[i];
    EXPECT_NEAR(mw->p_value, pw[i], 1e-12) << cases[i];
    EXPECT_EQ(mw->exact, cases[i] == "exact");
    StatusOr<TestResult> welch = WelchTTest(x, y);
    ASSERT_TRUE(welch.ok());
    EXPECT_NEAR(welch->statistic, t[i], 1e-12) << cases[i];
    EXPECT_NEAR(welch->df, df[i], 1e-10) << cases[i];
    EXPECT_NEAR(welch->p_value, pt[i], 1e-12) << cases[i];
  }
}

TEST(ScreeningTest, RefusesNonFiniteAndTinySamples) {
  EXPECT_FALSE(MannWhitneyTest({1, NAN}, {2, 3}).ok());
  EXPECT_FALSE(MannWhitneyTest({}, {2, 3}).ok());
  EXPECT_FALSE(WelchTTest({1}, {2, 3}).ok());
  EXPECT_FALSE(WelchTTest({1, 1}, {2, 2}).ok());
}

TEST(ScreeningTest, SpearmanUsesAverageRanks) {
  Eigen::MatrixXd x(5, 3);
  x << 1, 10, 5, 2, 20, 4, 3, 20, 3, 4, 40, 2, 5, 50, 1;
  const Eigen::MatrixXd rho = SpearmanMatrix(x);
  EXPECT_NEAR(rho(0, 2), -1.0, 1e-15);
  // R: cor(1:5, c(10, 20, 20, 40, 50), method = "spearman") = 0.9746794344808963
  EXPECT_NEAR(rho(0, 1), 0.9746794344808963, 1e-14);
  EXPECT_EQ(AverageRanks(x.col(1))[1], 2.5);
}

TEST(ScreeningTest, RedundancyKeepsTheFirstOfEachCorrelatedGroup) {
  Eigen::MatrixXd rho = Eigen::MatrixXd::Identity(4, 4);
  rho(0, 1) = rho(1, 0) = 0.95;
  rho(2, 3) = rho(3, 2) = -0.92;
  rho(0, 2) = rho(2, 0) = 0.5;
  EXPECT_EQ(RemoveRedundant(rho, {1, 0, 3, 2}, 0.9), (std::vector<int>{1, 3}));
  EXPECT_EQ(RemoveRedundant(rho, {0, 1, 2, 3}, 0.94), (std::vector<int>{0, 2, 3}));
}

TEST(ScreeningTest, MrmrPrefersRelevantNonRedundantColumns) {
  const int n = 200;
  Eigen::VectorXd y(n);
  Eigen::MatrixXd x(n, 3);
  for (int i = 0; i < n; ++i) {
    y[i] = i % 2;
    const double a = std::sin(i * 1.7), b = std::cos(i * 0.9);
    x(i, 0) = y[i] + 0.5 * a;          // relevant
    x(i, 1) = y[i] + 0.5 * a + 0.01 * b;  // near copy of column 0
    x(i, 2) = 0.5 * y[i] + b;          // relevant, different noise
  }
  const std::vector<int> s = MrmrSelect(x, y, 2);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_TRUE(s[0] == 0 || s[0] == 1);
  EXPECT_EQ(s[1], 2);
}

}  // namespace
}  // namespace amdrn::stats
