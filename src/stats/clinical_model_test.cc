#include "stats/clinical_model.h"

#include <cmath>

#include <gtest/gtest.h>

#include "stats/test_util.h"

namespace amdrn::stats {
namespace {

using testing::Column;
using testing::Filter;
using testing::LoadTable;

const std::vector<std::string> kCandidates = {"age",  "sex",    "smoker", "crp",
                                              "site", "height", "noise"};

TEST(ClinicalModelTest, BackwardAicMatchesRStep) {
  ClinicalOptions o;
  o.screen_p = 1.0;  // step() starts from the full model
  StatusOr<ClinicalModel> m =
      FitClinicalModel(LoadTable("clinical.csv"), "y", kCandidates, {}, o);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const CsvTable ref = LoadTable("glm_step.csv");
  const std::vector<std::string> terms = *ref.Column("term");
  ASSERT_EQ(static_cast<size_t>(m->fit.coefficients.size()), terms.size());
  const Eigen::VectorXd est = Column(ref, "estimate");
  for (size_t j = 0; j < terms.size(); ++j) {
    EXPECT_EQ(m->fit.names[j], terms[j]);
    EXPECT_NEAR(m->fit.coefficients[j], est[j], 1e-8) << terms[j];
  }
  EXPECT_NEAR(m->fit.aic, Column(ref, "aic")[0], 1e-8);
  EXPECT_EQ(m->steps.size(), kCandidates.size() - (terms.size() - 1));
}

// A binary column whose 1-rows all have outcome 0 (like a missing-value indicator with no
// events): IRLS converges with a huge estimate and SE, which glm's boundary check misses.
TEST(ClinicalModelTest, QuasiSeparationIsFlaggedAndRefittedWithFirth) {
  CsvTable t({"y", "x", "flag"});
  uint32_t state = 12345;
  for (int i = 0; i < 80; ++i) {
    state = state * 1664525u + 1013904223u;
    double u = (state >> 8) / 16777216.0;
    double x = (i % 20) / 10.0 - 1.0;
    bool flag = i % 10 == 0;
    int y = flag ? 0 : (u < 1.0 / (1.0 + std::exp(-1.5 * x)) ? 1 : 0);
    ASSERT_TRUE(t.AddRow({std::to_string(y), std::to_string(x), flag ? "1" : "0"}).ok());
  }
  ClinicalOptions o;
  o.screen_p = 1.0;
  o.selection = Selection::kNone;
  o.firth_on_separation = true;
  StatusOr<ClinicalModel> m = FitClinicalModel(t, "y", {"x", "flag"}, {}, o);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  bool flagged = false;
  for (const std::string& w : m->warnings) flagged |= w.find("quasi-complete") != std::string::npos;
  EXPECT_TRUE(flagged);
  EXPECT_TRUE(m->fit.firth);
  EXPECT_LT(std::abs(m->fit.coefficients[2]), 8.0) << "Firth keeps the estimate finite";
}

TEST(ClinicalModelTest, UnivariableTableMatchesR) {
  ClinicalOptions o;
  o.selection = Selection::kNone;
  StatusOr<ClinicalModel> m =
      FitClinicalModel(LoadTable("clinical.csv"), "y", kCandidates, {}, o);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const CsvTable ref = LoadTable("glm_univariate.csv");
  ASSERT_EQ(m->univariate.size(), ref.num_rows());
  const std::vector<std::string> terms = *ref.Column("term");
  const Eigen::VectorXd est = Column(ref, "estimate"), se = Column(ref, "se"), p = Column(ref, "p");
  for (size_t i = 0; i < terms.size(); ++i) {
    EXPECT_EQ(m->univariate[i].term, terms[i]);
    EXPECT_NEAR(m->univariate[i].estimate, est[i], 1e-8) << terms[i];
    EXPECT_NEAR(m->univariate[i].se, se[i], 1e-8) << terms[i];
    EXPECT_NEAR(m->univariate[i].p, p[i], 1e-10) << terms[i];
    EXPECT_NEAR(m->univariate[i].odds_ratio, std::exp(est[i]), 1e-8 * std::exp(est[i]));
  }
  // Screened = univariable p < 0.05; the multivariable table has one row per term.
  for (const VariableTest& t : m->univariate_tests) {
    const bool in = std::find(m->screened.begin(), m->screened.end(), t.variable) !=
                    m->screened.end();
    EXPECT_EQ(in, t.p < 0.05) << t.variable;
  }
  EXPECT_EQ(m->selected, m->screened);
}

TEST(ClinicalModelTest, FactorUsesTreatmentContrastsLikeGlm) {
  ClinicalOptions o;
  o.screen_p = 1.0;
  o.selection = Selection::kNone;
  StatusOr<ClinicalModel> m =
      FitClinicalModel(LoadTable("clinical.csv"), "y", {"age", "site", "height"}, {}, o);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const CsvTable ref = Filter(LoadTable("glm_reference.csv"), "model", "factor");
  const std::vector<std::string> terms = *ref.Column("term");
  const Eigen::VectorXd est = Column(ref, "estimate"), se = Column(ref, "se");
  ASSERT_EQ(static_cast<size_t>(m->fit.coefficients.size()), terms.size());
  for (size_t j = 0; j < terms.size(); ++j) {
    EXPECT_EQ(m->fit.names[j], terms[j]);
    EXPECT_NEAR(m->fit.coefficients[j], est[j], 1e-8);
    EXPECT_NEAR(m->fit.standard_errors[j], se[j], 1e-8);
  }
  EXPECT_EQ(m->design.variables[1].levels[0], "anterior");  // reference level
  // The factor's univariable p is the likelihood-ratio p on 2 df.
  EXPECT_EQ(m->univariate_tests[1].df, 2);
}

TEST(ClinicalModelTest, BackwardByPDropsUntilAllSignificant) {
  ClinicalOptions o;
  o.screen_p = 1.0;
  o.selection = Selection::kBackwardP;
  o.stay_p = 0.05;
  StatusOr<ClinicalModel> m =
      FitClinicalModel(LoadTable("clinical.csv"), "y", kCandidates, {}, o);
  ASSERT_TRUE(m.ok());
  for (const SelectionStep& s : m->steps) EXPECT_GT(s.criterion, 0.05);
  EXPECT_LT(m->selected.size(), kCandidates.size());
}

CsvTable TableWithMissing() {
  CsvTable t({"age", "group", "y"});
  const char* rows[][3] = {{"50", "a", "0"}, {"", "b", "1"},  {"61", "a", "1"}, {"45", "", "0"},
                           {"70", "b", "1"}, {"38", "a", "0"}, {"55", "b", "0"}, {"66", "a", "1"}};
  for (auto& r : rows) EXPECT_TRUE(t.AddRow({r[0], r[1], r[2]}).ok());
  return t;
}

TEST(DesignTest, MissingValuePolicies) {
  const CsvTable t = TableWithMissing();
  DesignOptions o;
  EXPECT_EQ(LearnDesign(t, {"age", "group"}, o).ok(), true);
  StatusOr<DesignMatrix> refused = BuildDesign(*LearnDesign(t, {"age", "group"}, o), t);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("'age' row 2"), std::string::npos);

  o.missing = MissingPolicy::kListwise;
  StatusOr<DesignMatrix> listwise = BuildDesign(*LearnDesign(t, {"age", "group"}, o), t);
  ASSERT_TRUE(listwise.ok());
  EXPECT_EQ(listwise->rows_dropped, 2);
  EXPECT_EQ(listwise->x.rows(), 6);

  o.missing = MissingPolicy::kImpute;
  StatusOr<DesignSpec> spec = LearnDesign(t, {"age", "group"}, o);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->variables[0].median, 55.0);  // median of the 7 observed ages
  EXPECT_EQ(spec->variables[1].mode, "a");
  StatusOr<DesignMatrix> imputed = BuildDesign(*spec, t);
  ASSERT_TRUE(imputed.ok());
  EXPECT_EQ(imputed->columns, (std::vector<std::string>{"age", "age_missing", "groupb",
                                                        "group_missing"}));
  EXPECT_EQ(imputed->x(1, 0), 55.0);
  EXPECT_EQ(imputed->x(1, 1), 1.0);
  EXPECT_EQ(imputed->x(3, 2), 0.0);  // imputed to the mode "a" (the reference)
  // The spec survives a JSON round trip unchanged.
  StatusOr<DesignSpec> back = DesignFromJson(DesignToJson(*spec));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(DesignToJson(*back), DesignToJson(*spec));
}

TEST(DesignTest, MissingColumnUnknownLevelAndInfinityAreErrors) {
  const CsvTable t = TableWithMissing();
  DesignOptions o;
  o.missing = MissingPolicy::kImpute;
  StatusOr<DesignSpec> spec = LearnDesign(t, {"age", "group"}, o);
  ASSERT_TRUE(spec.ok());
  CsvTable other({"age", "y"});
  ASSERT_TRUE(other.AddRow({"40", "1"}).ok());
  EXPECT_EQ(BuildDesign(*spec, other).status().code(), StatusCode::kNotFound);
  CsvTable new_level({"age", "group"});
  ASSERT_TRUE(new_level.AddRow({"40", "c"}).ok());
  EXPECT_NE(BuildDesign(*spec, new_level).status().message().find("'c'"), std::string::npos);
  CsvTable inf({"age", "y"});
  ASSERT_TRUE(inf.AddRow({"inf", "1"}).ok());
  EXPECT_FALSE(LearnDesign(inf, {"age"}, o).ok());
  EXPECT_FALSE(LearnDesign(t, {"nope"}, o).ok());
}

TEST(DesignTest, OutcomeLabels) {
  CsvTable t({"y"});
  for (const char* v : {"fail", "ok", "fail"}) ASSERT_TRUE(t.AddRow({v}).ok());
  StatusOr<Eigen::VectorXd> y = OutcomeColumn(t, "y", "fail");
  ASSERT_TRUE(y.ok());
  EXPECT_EQ((*y)[0], 1.0);
  EXPECT_EQ((*y)[1], 0.0);
  EXPECT_FALSE(OutcomeColumn(t, "y", "maybe").ok());
  ASSERT_TRUE(t.AddRow({"other"}).ok());
  EXPECT_FALSE(OutcomeColumn(t, "y").ok());
}

}  // namespace
}  // namespace amdrn::stats
