#include "stats/validate.h"

#include <gtest/gtest.h>

#include <cmath>

#include "stats/eval_test_util.h"

namespace amdrn::stats {
namespace {

using testing::Cell;
using testing::CohortColumns;
using testing::LoadTable;
using testing::ParseNumber;

const char* const kPredictors[] = {"age", "sex", "smoker", "crp", "rad_score", "dl_score"};

void TrainingData(Eigen::MatrixXd* X, Eigen::VectorXd* y) {
  auto train = CohortColumns("train");
  const size_t n = train["y"].size();
  X->resize(n, 6);
  y->resize(n);
  for (size_t i = 0; i < n; ++i) {
    (*y)[i] = train["y"][i];
    for (int j = 0; j < 6; ++j) (*X)(i, j) = train[kPredictors[j]][i];
  }
}

struct SeedStats {
  double mean = 0, sd = 0, first = 0;
};

// Mean and SD over R's 10 seeds of one column, per key.
std::map<std::string, SeedStats> OverSeeds(const CsvTable& t, const std::string& key_col,
                                           const std::string& value_col) {
  std::map<std::string, std::vector<double>> values;
  for (size_t i = 0; i < t.num_rows(); ++i) {
    values[Cell(t, i, key_col)].push_back(ParseNumber(Cell(t, i, value_col)));
  }
  std::map<std::string, SeedStats> out;
  for (const auto& [key, v] : values) {
    SeedStats s;
    s.first = v[0];
    for (double x : v) s.mean += x / v.size();
    for (double x : v) s.sd += (x - s.mean) * (x - s.mean) / (v.size() - 1);
    s.sd = std::sqrt(s.sd);
    out[key] = s;
  }
  return out;
}

// Tolerance for one amdrn bootstrap run (B = 200) against the mean of 10 R runs: 4 Monte-Carlo
// SDs of the difference, sd * sqrt(1 + 1/10), estimated from R's spread over seeds.
double McTolerance(const SeedStats& s) { return 4 * s.sd * std::sqrt(1.1) + 1e-9; }

TEST(ValidateTest, BootstrapValidateWithinMonteCarloErrorOfRms) {
  Eigen::MatrixXd X;
  Eigen::VectorXd y;
  TrainingData(&X, &y);
  StatusOr<ValidateResult> v = BootstrapValidate(X, y, {200, 1});
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  const CsvTable t = LoadTable("validate_seeds.csv");
  const auto orig = OverSeeds(t, "index", "orig");
  const auto corrected = OverSeeds(t, "index", "corrected");
  ASSERT_EQ(v->indexes.size(), 11u);
  for (const ValidationIndex& idx : v->indexes) {
    const std::string& name = idx.name;
    ASSERT_TRUE(orig.count(name)) << name;
    // Apparent indexes are deterministic (rms fits to tol 1e-7; ours to glm's 1e-8).
    EXPECT_NEAR(idx.apparent, orig.at(name).first, 1e-6) << name;
    EXPECT_NEAR(idx.corrected, corrected.at(name).mean, McTolerance(corrected.at(name))) << name;
    EXPECT_EQ(idx.replicates, 200) << name;
  }
  EXPECT_EQ(v->replicates_failed, 0);
  EXPECT_NEAR(v->corrected_c, 0.5 + v->indexes[0].corrected / 2, 1e-15);
  // Optimism is positive for discrimination and the corrected slope shrinks below 1.
  EXPECT_GT(v->indexes[0].optimism, 0);
  EXPECT_LT(v->indexes[3].corrected, 1);
  // Same seed, same numbers.
  StatusOr<ValidateResult> again = BootstrapValidate(X, y, {200, 1});
  EXPECT_EQ(again->indexes[0].corrected, v->indexes[0].corrected);
}

TEST(ValidateTest, BootstrapCalibrateWithinMonteCarloErrorOfRms) {
  Eigen::MatrixXd X;
  Eigen::VectorXd y;
  TrainingData(&X, &y);
  StatusOr<CalibrateResult> c = BootstrapCalibrate(X, y, {200, 1});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const CsvTable t = LoadTable("calibrate_seeds.csv");
  const auto apparent = OverSeeds(t, "predy", "apparent");
  const auto corrected = OverSeeds(t, "predy", "corrected");
  const auto mae = OverSeeds(t, "seed", "mean_abs_error");
  ASSERT_EQ(c->predy.size(), 50u);
  ASSERT_EQ(apparent.size(), 50u);
  // predy grid and apparent curve are deterministic: keys are R's predy values.
  std::vector<double> r_predy;
  for (const auto& kv : apparent) r_predy.push_back(ParseNumber(kv.first));
  std::sort(r_predy.begin(), r_predy.end());
  for (size_t k = 0; k < 50; ++k) {
    EXPECT_NEAR(c->predy[k], r_predy[k], 1e-9) << k;
    const std::string key = Cell(t, k, "predy");
    EXPECT_NEAR(c->apparent[k], apparent.at(key).first, 1e-7) << k;
    EXPECT_NEAR(c->corrected[k], corrected.at(key).mean, McTolerance(corrected.at(key))) << k;
  }
  // Mean absolute error over seeds (one row per seed and grid point: the per-seed values).
  double mae_mean = 0, mae_sd = 0;
  std::vector<double> per_seed;
  for (const auto& kv : mae)
    per_seed.push_back(ParseNumber(Cell(t, 50 * (std::stoi(kv.first) - 1), "mean_abs_error")));
  for (double m : per_seed) mae_mean += m / per_seed.size();
  for (double m : per_seed) mae_sd += (m - mae_mean) * (m - mae_mean) / (per_seed.size() - 1);
  mae_sd = std::sqrt(mae_sd);
  EXPECT_NEAR(c->mean_abs_error, mae_mean, 4 * mae_sd * std::sqrt(1.1));
}

TEST(ValidateTest, GiniAndEdgeCases) {
  EXPECT_NEAR(GiniMeanDifference({1, 2, 4}), (1 + 3 + 2) / 3.0, 1e-15);
  EXPECT_TRUE(std::isnan(GiniMeanDifference({1})));
  Eigen::MatrixXd X(10, 1);
  Eigen::VectorXd y(10);
  for (int i = 0; i < 10; ++i) X(i, 0) = i, y[i] = i % 2;
  EXPECT_EQ(BootstrapCalibrate(X, y).status().code(), StatusCode::kFailedPrecondition);
  // Perfect separation in the original fit: a clear error.
  Eigen::MatrixXd Xs(20, 1);
  Eigen::VectorXd ys(20);
  for (int i = 0; i < 20; ++i) Xs(i, 0) = i, ys[i] = i >= 10;
  StatusOr<ValidateResult> sep = BootstrapValidate(Xs, ys, {20, 1});
  EXPECT_FALSE(sep.ok());
}

}  // namespace
}  // namespace amdrn::stats
