#include "stats/radiomics_model.h"

#include <cmath>

#include <gtest/gtest.h>

#include "stats/model_io.h"
#include "stats/test_util.h"

namespace amdrn::stats {
namespace {

using testing::Column;
using testing::Columns;
using testing::LoadTable;

struct Case {
  Eigen::MatrixXd x;
  Eigen::VectorXd y;
  std::vector<std::string> names;
};

Case LoadWide() {
  const CsvTable t = LoadTable("lasso_wide_data.csv");
  Case c;
  for (const std::string& h : t.header()) {
    if (h != "y") c.names.push_back(h);
  }
  c.x = Columns(t, c.names);
  c.y = Column(t, "y");
  return c;
}

RadiomicsOptions FixedFolds(Eigen::Index n) {
  RadiomicsOptions o;
  for (Eigen::Index i = 0; i < n; ++i) o.cv.fold_id.push_back(static_cast<int>(i % 10) + 1);
  o.cv.threads = 2;
  return o;
}

TEST(RadiomicsModelTest, PipelineStagesAndRadScore) {
  Case c = LoadWide();
  c.x.col(7) = (0.5 * c.x.col(0)).array() + 1.0;  // redundant copy of the informative f001
  c.x.col(9).setConstant(4.0);               // constant
  RadiomicsOptions o = FixedFolds(c.x.rows());
  o.screen_p = 0.5;  // f001 (p = 0.054 in this small sample) must reach the redundancy stage
  StatusOr<RadiomicsModel> m = FitRadiomicsModel(c.x, c.y, c.names, o);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->stages[9].fate, "constant");
  // f001 and its copy have identical ranks: exactly one of them survives redundancy.
  EXPECT_TRUE((m->stages[0].fate == "redundant") != (m->stages[7].fate == "redundant"))
      << m->stages[0].fate << " " << m->stages[0].p << " / " << m->stages[7].fate << " " << m->stages[7].p;
  for (const FeatureStage& s : m->stages) {
    if (s.fate == "screened out") {
      EXPECT_GE(s.p, 0.5);
    }
  }
  ASSERT_FALSE(m->features.empty());
  // The Rad score is the LASSO linear predictor on training-z-scored features.
  const Eigen::VectorXd score = RadScore(*m, c.x);
  std::vector<int> inputs;
  for (const std::string& n : m->lasso_inputs) {
    inputs.push_back(static_cast<int>(std::find(c.names.begin(), c.names.end(), n) - c.names.begin()));
  }
  Eigen::MatrixXd z = c.x(Eigen::all, inputs);
  for (Eigen::Index j = 0; j < z.cols(); ++j) {
    const double mean = z.col(j).mean();
    const double sd = std::sqrt((z.col(j).array() - mean).square().sum() / (z.rows() - 1.0));
    z.col(j) = (z.col(j).array() - mean) / sd;
  }
  const int k = m->cv.index_1se;
  const Eigen::VectorXd expected = LassoLinearPredictor(m->cv.fit, k, z);
  EXPECT_LT((score - expected).cwiseAbs().maxCoeff(), 1e-10);
  EXPECT_EQ(m->lambda, m->cv.lambda_1se);
}

TEST(RadiomicsModelTest, NoFeaturePassingScreeningIsAnError) {
  Case c = LoadWide();
  RadiomicsOptions o = FixedFolds(c.x.rows());
  o.screen_p = 1e-12;
  StatusOr<RadiomicsModel> m = FitRadiomicsModel(c.x, c.y, c.names, o);
  EXPECT_EQ(m.status().code(), StatusCode::kFailedPrecondition);
  c.x(0, 0) = INFINITY;
  EXPECT_EQ(FitRadiomicsModel(c.x, c.y, c.names, FixedFolds(c.x.rows())).status().code(),
            StatusCode::kInvalidArgument);
}

// A saved model predicts new rows exactly as the in-memory model, through JSON.
TEST(ModelIoTest, JsonRoundTripPredictsIdentically) {
  const CsvTable t = LoadTable("clinical.csv");
  LinearModel m;
  m.kind = "logistic";
  m.outcome = "y";
  DesignOptions o;
  o.missing = MissingPolicy::kImpute;
  StatusOr<DesignSpec> spec = LearnDesign(t, {"age", "site"}, o);
  ASSERT_TRUE(spec.ok());
  m.design = *spec;
  m.columns = {"age", "sitemolar", "sitepremolar"};
  m.intercept = -1.5;
  m.coefficients = Eigen::Vector3d(0.5, 0.2, -0.3);
  m.center = Eigen::Vector3d(55, 0, 0);
  m.scale = Eigen::Vector3d(10, 1, 1);
  const std::string path = ::testing::TempDir() + "/amdrn_model_io_test.json";
  ASSERT_TRUE(SaveLinearModel(m, path).ok());
  StatusOr<LinearModel> back = LoadLinearModel(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  StatusOr<Prediction> p = PredictTable(*back, t);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const Eigen::VectorXd age = Column(t, "age");
  const std::vector<std::string> site = *t.Column("site");
  for (int i = 0; i < 5; ++i) {
    const double lp = -1.5 + 0.5 * (age[i] - 55) / 10 + (site[i] == "molar" ? 0.2 : 0.0) +
                      (site[i] == "premolar" ? -0.3 : 0.0);
    EXPECT_NEAR(p->linear_predictor[i], lp, 1e-12);
    EXPECT_NEAR(p->probability[i], 1 / (1 + std::exp(-lp)), 1e-12);
  }
  CsvTable missing_column({"site"});
  ASSERT_TRUE(missing_column.AddRow({"molar"}).ok());
  EXPECT_EQ(PredictTable(*back, missing_column).status().code(), StatusCode::kNotFound);
  nlohmann::json bad = LinearModelToJson(m);
  bad["scale"] = {10, 0, 1};
  EXPECT_FALSE(LinearModelFromJson(bad).ok());
}

}  // namespace
}  // namespace amdrn::stats
