#include "stats/logistic.h"

#include <cmath>

#include <gtest/gtest.h>

#include "stats/test_util.h"

namespace amdrn::stats {
namespace {

using testing::Column;
using testing::Columns;
using testing::Filter;
using testing::LoadTable;

// Compares a fit with one model of testdata/stats/glm_reference.csv (R glm).
void ExpectMatchesGlm(const LogisticFit& fit, const std::string& model) {
  const CsvTable ref = Filter(LoadTable("glm_reference.csv"), "model", model);
  ASSERT_EQ(ref.num_rows(), static_cast<size_t>(fit.coefficients.size())) << model;
  const Eigen::VectorXd est = Column(ref, "estimate"), se = Column(ref, "se");
  const Eigen::VectorXd z = Column(ref, "z"), p = Column(ref, "p");
  for (Eigen::Index j = 0; j < est.size(); ++j) {
    EXPECT_NEAR(fit.coefficients[j], est[j], 1e-8) << model << " " << fit.names[j];
    EXPECT_NEAR(fit.standard_errors[j], se[j], 1e-8) << model << " " << fit.names[j];
    EXPECT_NEAR(fit.z[j], z[j], 1e-7) << model;
    EXPECT_NEAR(fit.p_values[j], p[j], 1e-9 * std::max(1.0, p[j])) << model;
  }
  EXPECT_NEAR(fit.deviance, Column(ref, "deviance")[0], 1e-8) << model;
  EXPECT_NEAR(fit.null_deviance, Column(ref, "null_deviance")[0], 1e-8) << model;
  EXPECT_NEAR(fit.aic, Column(ref, "aic")[0], 1e-8) << model;
  EXPECT_EQ(fit.iterations, static_cast<int>(Column(ref, "iterations")[0])) << model;
  EXPECT_EQ(fit.df_residual, static_cast<int>(Column(ref, "df_residual")[0])) << model;
  EXPECT_TRUE(fit.converged);
  EXPECT_FALSE(fit.separation);
}

TEST(LogisticTest, MatchesGlmBasic) {
  const CsvTable data = LoadTable("clinical.csv");
  LogisticOptions o;
  o.names = {"age", "sex", "smoker", "crp"};
  StatusOr<LogisticFit> fit = FitLogistic(Columns(data, o.names), Column(data, "y"), o);
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  ExpectMatchesGlm(*fit, "basic");
  EXPECT_EQ(fit->names[0], "(Intercept)");
}

TEST(LogisticTest, MatchesGlmWeightsAndOffset) {
  const CsvTable data = LoadTable("clinical.csv");
  LogisticOptions weighted;
  weighted.names = {"age", "sex", "smoker", "crp", "height", "noise"};
  weighted.weights = Column(data, "wts");
  StatusOr<LogisticFit> fit =
      FitLogistic(Columns(data, weighted.names), Column(data, "y"), weighted);
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  ExpectMatchesGlm(*fit, "weighted");

  LogisticOptions offset;
  offset.names = {"age", "sex", "crp"};
  offset.offset = Column(data, "off");
  fit = FitLogistic(Columns(data, offset.names), Column(data, "y"), offset);
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  ExpectMatchesGlm(*fit, "offset");

  LogisticOptions both;
  both.names = {"age", "sex", "smoker"};
  both.offset = Column(data, "off");
  both.weights = Column(data, "wts");
  fit = FitLogistic(Columns(data, both.names), Column(data, "y"), both);
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  ExpectMatchesGlm(*fit, "offset_weighted");
}

TEST(LogisticTest, OddsRatioCiAndLikelihoodRatioMatchR) {
  const CsvTable data = LoadTable("clinical.csv");
  const Eigen::VectorXd y = Column(data, "y");
  LogisticOptions o;
  o.names = {"age", "sex", "smoker", "crp"};
  StatusOr<LogisticFit> full = FitLogistic(Columns(data, o.names), y, o);
  ASSERT_TRUE(full.ok());
  const CsvTable ci = LoadTable("glm_or_ci.csv");
  const Eigen::VectorXd lower = Column(ci, "lower"), upper = Column(ci, "upper");
  for (Eigen::Index j = 0; j < lower.size(); ++j) {
    EXPECT_NEAR(full->or_lower[j] / lower[j], 1.0, 1e-8);
    EXPECT_NEAR(full->or_upper[j] / upper[j], 1.0, 1e-8);
  }
  o.names = {"age", "sex"};
  StatusOr<LogisticFit> reduced = FitLogistic(Columns(data, o.names), y, o);
  ASSERT_TRUE(reduced.ok());
  StatusOr<LikelihoodRatioTest> lrt = CompareNested(*reduced, *full);
  ASSERT_TRUE(lrt.ok());
  const CsvTable ref = LoadTable("glm_lrt.csv");
  EXPECT_NEAR(lrt->chi_square, Column(ref, "chisq")[0], 1e-8);
  EXPECT_EQ(lrt->df, 2);
  EXPECT_NEAR(lrt->p_value, Column(ref, "p")[0], 1e-10);
  EXPECT_FALSE(CompareNested(*full, *reduced).ok());
}

TEST(LogisticTest, PredictReproducesFittedValues) {
  const CsvTable data = LoadTable("clinical.csv");
  LogisticOptions o;
  o.names = {"age", "crp"};
  const Eigen::MatrixXd x = Columns(data, o.names);
  StatusOr<LogisticFit> fit = FitLogistic(x, Column(data, "y"), o);
  ASSERT_TRUE(fit.ok());
  EXPECT_LT((PredictLinear(*fit, x) - fit->linear_predictor).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_LT((PredictProbability(*fit, x) - fit->fitted).cwiseAbs().maxCoeff(), 1e-12);
}

TEST(LogisticTest, PerfectSeparationIsFlaggedAndFirthGivesFiniteEstimates) {
  Eigen::MatrixXd x(10, 1);
  x << 1, 2, 3, 4, 5, 6, 7, 8, 9, 10;
  Eigen::VectorXd y(10);
  y << 0, 0, 0, 0, 0, 1, 1, 1, 1, 1;
  StatusOr<LogisticFit> ml = FitLogistic(x, y);
  ASSERT_TRUE(ml.ok());
  EXPECT_TRUE(ml->separation);
  EXPECT_FALSE(ml->warnings.empty());

  LogisticOptions firth;
  firth.firth = true;
  StatusOr<LogisticFit> f = FitLogistic(x, y, firth);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_TRUE(f->converged);
  EXPECT_FALSE(f->separation);
  EXPECT_TRUE(std::isfinite(f->coefficients[1]));
  EXPECT_GT(f->coefficients[1], 0.0);
  EXPECT_LT(f->coefficients[1], 5.0);
}

// At the Firth estimate the penalised score X'(y - p + h (1/2 - p)) vanishes.
TEST(LogisticTest, FirthSolvesPenalisedScoreEquations) {
  const CsvTable data = LoadTable("clinical.csv");
  LogisticOptions o;
  o.firth = true;
  o.firth_xconv = o.firth_gconv = o.firth_lconv = 1e-12;
  o.names = {"age", "sex", "smoker"};
  const Eigen::MatrixXd x = Columns(data, o.names);
  const Eigen::VectorXd y = Column(data, "y");
  StatusOr<LogisticFit> f = FitLogistic(x, y, o);
  ASSERT_TRUE(f.ok());
  Eigen::MatrixXd xd(x.rows(), 4);
  xd << Eigen::VectorXd::Ones(x.rows()), x;
  const Eigen::VectorXd p = f->fitted;
  const Eigen::VectorXd sw = (p.array() * (1 - p.array())).sqrt();
  const Eigen::MatrixXd xw = sw.asDiagonal() * xd;
  const Eigen::MatrixXd inv = (xw.transpose() * xw).inverse();
  const Eigen::VectorXd h = (xw * inv).cwiseProduct(xw).rowwise().sum();
  const Eigen::VectorXd u =
      xd.transpose() * (y - p + h.cwiseProduct((0.5 - p.array()).matrix()));
  EXPECT_LT(u.cwiseAbs().maxCoeff(), 1e-8);
  // Firth shrinks towards zero relative to ML on the same data.
  o.firth = false;
  StatusOr<LogisticFit> ml = FitLogistic(x, y, o);
  ASSERT_TRUE(ml.ok());
  EXPECT_LT(f->coefficients.tail(3).norm(), ml->coefficients.tail(3).norm());
}

TEST(LogisticTest, ConstantAndCollinearColumnsAreRefusedByName) {
  Eigen::MatrixXd x(8, 2);
  x << 1, 3, 2, 3, 3, 3, 4, 3, 5, 3, 6, 3, 7, 3, 8, 3;
  Eigen::VectorXd y(8);
  y << 0, 1, 0, 0, 1, 1, 0, 1;
  LogisticOptions o;
  o.names = {"age", "flat"};
  StatusOr<LogisticFit> fit = FitLogistic(x, y, o);
  ASSERT_FALSE(fit.ok());
  EXPECT_EQ(fit.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(fit.status().message().find("'flat' constant"), std::string::npos);

  x.col(1) = 2.0 * x.col(0).array() + 1.0;
  o.names = {"age", "age2"};
  fit = FitLogistic(x, y, o);
  ASSERT_FALSE(fit.ok());
  EXPECT_NE(fit.status().message().find("'age2' a linear combination"), std::string::npos);
}

TEST(LogisticTest, NonFiniteAndBadOutcomesAreRefused) {
  Eigen::MatrixXd x(4, 1);
  x << 1, 2, std::nan(""), 4;
  Eigen::VectorXd y(4);
  y << 0, 1, 0, 1;
  StatusOr<LogisticFit> fit = FitLogistic(x, y);
  ASSERT_FALSE(fit.ok());
  EXPECT_EQ(fit.status().code(), StatusCode::kInvalidArgument);
  x(2, 0) = INFINITY;
  EXPECT_FALSE(FitLogistic(x, y).ok());
  x(2, 0) = 3;
  y[1] = 2;
  EXPECT_FALSE(FitLogistic(x, y).ok());
  y[1] = 1;
  EXPECT_FALSE(FitLogistic(x, y.head(3)).ok());
}

}  // namespace
}  // namespace amdrn::stats
