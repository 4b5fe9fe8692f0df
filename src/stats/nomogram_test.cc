#include "stats/nomogram.h"

#include <gtest/gtest.h>

#include <cmath>

#include "stats/eval_test_util.h"

namespace amdrn::stats {
namespace {

using testing::Cell;
using testing::CohortColumns;
using testing::Column;
using testing::LoadTable;
using testing::ParseList;

const char* const kPredictors[] = {"age", "sex", "smoker", "crp", "rad_score", "dl_score"};

struct FusionModel {
  double intercept = 0;
  std::vector<NomogramTermInput> terms;
  std::vector<double> training_lp;
};

FusionModel LoadFusion() {
  const CsvTable coef = LoadTable("fusion_coef.csv");
  const std::vector<double> b = Column(coef, "estimate");
  auto train = CohortColumns("train");
  FusionModel m;
  m.intercept = b[0];
  for (int j = 0; j < 6; ++j) {
    NomogramTermInput t;
    t.name = kPredictors[j];
    t.coefficient = b[j + 1];
    t.training_values = train[t.name];
    m.terms.push_back(t);
  }
  const size_t n = train["y"].size();
  for (size_t i = 0; i < n; ++i) {
    double lp = m.intercept;
    for (int j = 0; j < 6; ++j) lp += b[j + 1] * train[kPredictors[j]][i];
    m.training_lp.push_back(lp);
  }
  return m;
}

std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> Reference() {
  const CsvTable t = LoadTable("nomogram.csv");
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> ref;
  for (size_t i = 0; i < t.num_rows(); ++i) {
    ref[Cell(t, i, "axis")] = {ParseList(Cell(t, i, "values")), ParseList(Cell(t, i, "points"))};
  }
  return ref;
}

void ExpectAxis(const std::vector<double>& values, const std::vector<double>& points,
                const std::pair<std::vector<double>, std::vector<double>>& ref,
                const std::string& name) {
  ASSERT_EQ(values.size(), ref.first.size()) << name;
  for (size_t k = 0; k < values.size(); ++k) {
    EXPECT_EQ(values[k], ref.first[k]) << name << " tick " << k;  // identical ticks
    EXPECT_NEAR(points[k], ref.second[k], 1e-6) << name << " tick " << k;
  }
}

// rms::nomogram(fit, fun = plogis) on the fusion model: identical axis ticks, points within
// 1e-6 (observed ~1e-12), scale and shifted intercept.
TEST(NomogramTest, MatchesRmsNomogram) {
  const FusionModel m = LoadFusion();
  StatusOr<Nomogram> nom = BuildNomogram(m.intercept, m.terms, m.training_lp);
  ASSERT_TRUE(nom.ok()) << nom.status().ToString();
  auto ref = Reference();
  EXPECT_NEAR(nom->scale, ref["scale"].first[0], 1e-9);
  EXPECT_NEAR(nom->shifted_intercept, ref["scale"].first[1], 1e-10);
  for (const NomogramAxis& axis : nom->predictors) {
    ExpectAxis(axis.values, axis.points, ref[axis.name], axis.name);
  }
  EXPECT_EQ(nom->predictors[1].values, (std::vector<double>{0, 1}));  // discrete sex
  ExpectAxis(nom->total_points_ticks, nom->total_points_ticks, ref["total.points"], "total");
  ExpectAxis(nom->lp_ticks, nom->lp_tick_points, ref["lp"], "lp");
  ExpectAxis(nom->risk_ticks, nom->risk_tick_points, ref["Risk"], "risk");

  NomogramOptions fun_at;
  fun_at.fun_at = {0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.999};
  StatusOr<Nomogram> nom2 = BuildNomogram(m.intercept, m.terms, m.training_lp, fun_at);
  ASSERT_TRUE(nom2.ok());
  ExpectAxis(nom2->risk_ticks, nom2->risk_tick_points, ref["Risk_fun_at"], "risk fun.at");
}

// Each patient's points reproduce the model's linear predictor exactly.
TEST(NomogramTest, PatientPointsReproduceTheModel) {
  const FusionModel m = LoadFusion();
  StatusOr<Nomogram> nom = BuildNomogram(m.intercept, m.terms, m.training_lp);
  ASSERT_TRUE(nom.ok());
  auto all = CohortColumns("");
  double max_err = 0;
  for (size_t i = 0; i < all["y"].size(); ++i) {
    std::vector<NomogramValue> v;
    double lp = m.intercept;
    for (size_t j = 0; j < m.terms.size(); ++j) {
      v.push_back({all[kPredictors[j]][i], ""});
      lp += m.terms[j].coefficient * all[kPredictors[j]][i];
    }
    StatusOr<PatientPoints> p = ScorePatient(*nom, m.terms, v);
    ASSERT_TRUE(p.ok());
    max_err = std::max(max_err, std::fabs(p->linear_predictor - lp));
    EXPECT_NEAR(p->probability, all["p_nomo"][i], 1e-12);
    for (double pts : p->points) EXPECT_GE(pts, p->outside_axis ? -1e9 : -1e-9);
  }
  EXPECT_LT(max_err, 1e-12);
}

TEST(NomogramTest, CategoricalTermsAndErrors) {
  NomogramTermInput site;
  site.name = "site";
  site.categorical = true;
  site.levels = {"anterior", "molar", "premolar"};
  site.level_coefficients = {0, 1.2, -0.4};
  NomogramTermInput age;
  age.name = "age";
  age.coefficient = 0.02;
  age.training_values = {30, 45, 61, 77};
  StatusOr<Nomogram> nom = BuildNomogram(-1, {site, age}, {-1.5, 0.8});
  ASSERT_TRUE(nom.ok()) << nom.status().ToString();
  // site spans 1.6 logits > age's 0.02 * (pretty 30..80 = 50) = 1.0: site gets 0..100.
  EXPECT_NEAR(nom->predictors[0].points[1], 100, 1e-12);
  EXPECT_NEAR(nom->predictors[0].points[2], 0, 1e-12);
  EXPECT_NEAR(nom->shifted_intercept, -1 - 0.4 + 0.6, 1e-12);
  StatusOr<PatientPoints> p = ScorePatient(*nom, {site, age}, {{0, "molar"}, {50, ""}});
  ASSERT_TRUE(p.ok());
  EXPECT_NEAR(p->linear_predictor, -1 + 1.2 + 1.0, 1e-12);
  EXPECT_EQ(ScorePatient(*nom, {site, age}, {{0, "canine"}, {50, ""}}).status().code(),
            StatusCode::kInvalidArgument);

  age.training_values = {30, NAN};
  EXPECT_EQ(BuildNomogram(-1, {age}, {0}).status().code(), StatusCode::kInvalidArgument);
  age.training_values = {40, 40, 40};
  EXPECT_EQ(BuildNomogram(-1, {age}, {0}).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(BuildNomogram(-1, {}, {0}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace amdrn::stats
