#include "stats/lasso.h"

#include <cmath>
#include <cstdio>

#include <gtest/gtest.h>

#include "stats/test_util.h"

namespace amdrn::stats {
namespace {

using testing::Column;
using testing::Columns;
using testing::LoadTable;
using testing::RelDiff;

struct LassoCase {
  Eigen::MatrixXd x;
  Eigen::VectorXd y;
  std::vector<std::string> names;
};

LassoCase LoadCase(const std::string& name) {
  const CsvTable t = LoadTable("lasso_" + name + "_data.csv");
  LassoCase c;
  for (const std::string& h : t.header()) {
    if (h != "y") c.names.push_back(h);
  }
  c.x = Columns(t, c.names);
  c.y = Column(t, "y");
  return c;
}

std::vector<int> RepFolds(Eigen::Index n) {
  std::vector<int> f(n);
  for (Eigen::Index i = 0; i < n; ++i) f[i] = static_cast<int>(i % 10) + 1;
  return f;
}

// glmnet(x, y, family = "binomial") path: lambdas, intercepts, coefficients, dev.ratio.
void ExpectPathMatchesGlmnet(const std::string& name) {
  const LassoCase c = LoadCase(name);
  StatusOr<LassoPath> path = FitLassoPath(c.x, c.y);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  const CsvTable ref = LoadTable("lasso_" + name + "_path.csv");
  ASSERT_EQ(path->lambda.size(), ref.num_rows()) << name << ": path length (early stop)";
  const Eigen::VectorXd lambda = Column(ref, "lambda"), a0 = Column(ref, "intercept");
  const Eigen::VectorXd dev = Column(ref, "dev_ratio"), df = Column(ref, "df");
  const Eigen::MatrixXd beta = Columns(ref, c.names);
  double worst = 0;
  for (size_t k = 0; k < path->lambda.size(); ++k) {
    EXPECT_LT(std::fabs(path->lambda[k] / lambda[k] - 1.0), 1e-10) << name << " k=" << k;
    worst = std::max(worst, RelDiff(path->intercept[k], a0[k]));
    EXPECT_NEAR(path->dev_ratio[k], dev[k], 1e-8) << name << " k=" << k;
    EXPECT_EQ(path->df[k], static_cast<int>(df[k])) << name << " k=" << k;
    for (Eigen::Index j = 0; j < beta.cols(); ++j) {
      worst = std::max(worst, RelDiff(path->beta(j, k), beta(k, j)));
    }
  }
  EXPECT_LT(worst, 1e-9) << name;  // issue target 1e-6; observed ~1e-15 (same algorithm)
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.3g", worst);
  ::testing::Test::RecordProperty("max_relative_difference_" + name, buffer);
}

TEST(LassoTest, PathMatchesGlmnetTall) { ExpectPathMatchesGlmnet("tall"); }
TEST(LassoTest, PathMatchesGlmnetWide) { ExpectPathMatchesGlmnet("wide"); }

// cv.glmnet(..., foldid = rep(1:10, length.out = n)).
void ExpectCvMatchesGlmnet(const std::string& name) {
  const LassoCase c = LoadCase(name);
  LassoCvOptions o;
  o.fold_id = RepFolds(c.x.rows());
  o.threads = 2;
  StatusOr<LassoCv> cv = CrossValidateLasso(c.x, c.y, o);
  ASSERT_TRUE(cv.ok()) << cv.status().ToString();
  const CsvTable ref = LoadTable("lasso_" + name + "_cv.csv");
  ASSERT_EQ(cv->cvm.size(), ref.num_rows());
  const Eigen::VectorXd cvm = Column(ref, "cvm"), cvsd = Column(ref, "cvsd");
  const std::vector<std::string> is_min = *ref.Column("is_min"), is_1se = *ref.Column("is_1se");
  double worst = 0;
  for (size_t k = 0; k < cv->cvm.size(); ++k) {
    worst = std::max(worst, std::fabs(cv->cvm[k] / cvm[k] - 1.0));
    worst = std::max(worst, std::fabs(cv->cvsd[k] / cvsd[k] - 1.0));
    if (is_min[k] == "TRUE") {
      EXPECT_EQ(cv->index_min, static_cast<int>(k)) << name;
    }
    if (is_1se[k] == "TRUE") {
      EXPECT_EQ(cv->index_1se, static_cast<int>(k)) << name;
    }
  }
  EXPECT_LT(worst, 1e-6) << name;
}

TEST(LassoTest, CrossValidationMatchesCvGlmnetTall) { ExpectCvMatchesGlmnet("tall"); }
TEST(LassoTest, CrossValidationMatchesCvGlmnetWide) { ExpectCvMatchesGlmnet("wide"); }

// KKT in original units: (1/N) sum x_ij (y_i - p_i) = lambda sd_j sign(b_j) when active,
// and |...| <= lambda sd_j otherwise, up to the solver tolerance (glmnet itself leaves
// residuals of ~2e-5 on standardised columns).
TEST(LassoTest, SolutionsSatisfyKktConditions) {
  const LassoCase c = LoadCase("tall");
  StatusOr<LassoPath> path = FitLassoPath(c.x, c.y);
  ASSERT_TRUE(path.ok());
  const double n = static_cast<double>(c.x.rows());
  for (int k = 5; k < static_cast<int>(path->lambda.size()); k += 10) {
    const Eigen::VectorXd eta = LassoLinearPredictor(*path, k, c.x);
    const Eigen::VectorXd p = eta.unaryExpr([](double e) { return 1.0 / (1.0 + std::exp(-e)); });
    const Eigen::VectorXd grad = c.x.transpose() * (c.y - p) / n;
    EXPECT_NEAR((c.y - p).sum(), 0.0, 1e-4);
    for (Eigen::Index j = 0; j < c.x.cols(); ++j) {
      const double bound = path->lambda[k] * path->scale[j];
      const double tol = 5e-5 * path->scale[j];  // solver tolerance, in units of x_j
      if (path->beta(j, k) != 0) {
        EXPECT_NEAR(grad[j], bound * (path->beta(j, k) > 0 ? 1 : -1), tol) << j;
      } else {
        EXPECT_LE(std::fabs(grad[j]), bound + tol) << j;
      }
    }
  }
}

TEST(LassoTest, ConstantColumnStaysZero) {
  LassoCase c = LoadCase("tall");
  c.x.col(5).setConstant(2.5);
  StatusOr<LassoPath> path = FitLassoPath(c.x, c.y);
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(path->beta.row(5).cwiseAbs().maxCoeff(), 0.0);
}

TEST(LassoTest, SmallClassesWarnOrFail) {
  LassoCase c = LoadCase("tall");
  Eigen::VectorXd y = Eigen::VectorXd::Zero(c.y.size());
  for (int i = 0; i < 5; ++i) y[i * 7] = 1;
  StatusOr<LassoPath> path = FitLassoPath(c.x, y);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  ASSERT_FALSE(path->warnings.empty());
  EXPECT_NE(path->warnings[0].find("fewer than 8"), std::string::npos);
  y.setZero();
  y[3] = 1;
  path = FitLassoPath(c.x, y);
  EXPECT_FALSE(path.ok());
}

TEST(LassoTest, NonFiniteValuesAndBadFoldsAreRefused) {
  LassoCase c = LoadCase("tall");
  c.x(3, 2) = std::nan("");
  EXPECT_EQ(FitLassoPath(c.x, c.y).status().code(), StatusCode::kInvalidArgument);
  c = LoadCase("tall");
  LassoCvOptions o;
  o.fold_id.assign(c.x.rows(), 1);
  o.fold_id[0] = 3;  // fold 2 empty
  EXPECT_FALSE(CrossValidateLasso(c.x, c.y, o).ok());
}

TEST(LassoTest, RandomFoldsAreBalancedAndReproducible) {
  const LassoCase c = LoadCase("tall");
  LassoCvOptions o;
  o.seed = 42;
  o.threads = 1;
  StatusOr<LassoCv> a = CrossValidateLasso(c.x, c.y, o);
  StatusOr<LassoCv> b = CrossValidateLasso(c.x, c.y, o);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->fold_id, b->fold_id);
  EXPECT_EQ(a->cvm, b->cvm);
  std::vector<int> count(11, 0);
  for (int f : a->fold_id) ++count[f];
  for (int f = 1; f <= 10; ++f) EXPECT_EQ(count[f], 15);
}

}  // namespace
}  // namespace amdrn::stats
