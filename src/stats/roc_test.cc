#include "stats/roc.h"

#include <gtest/gtest.h>

#include <cmath>

#include "stats/eval_test_util.h"

namespace amdrn::stats {
namespace {

using testing::Cell;
using testing::CohortColumns;
using testing::LoadTable;
using testing::ParseList;
using testing::ParseNumber;

// pROC roc / ci.auc(method = "delong") on four scores in two cohorts (ties included: p_clin is
// rounded to 2 decimals).
TEST(RocTest, AucAndDelongMatchPRoc) {
  const CsvTable t = LoadTable("roc_reference.csv");
  ASSERT_EQ(t.num_rows(), 8u);
  for (size_t i = 0; i < t.num_rows(); ++i) {
    auto cohort = CohortColumns(Cell(t, i, "set"));
    const std::string model = Cell(t, i, "model");
    StatusOr<AucResult> r = ComputeAucDelong(cohort["y"], cohort[model]);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_NEAR(r->auc, ParseNumber(Cell(t, i, "auc")), 1e-12) << model;
    EXPECT_NEAR(r->variance, ParseNumber(Cell(t, i, "var")), 1e-12) << model;
    EXPECT_NEAR(r->ci_lower, ParseNumber(Cell(t, i, "ci_lo")), 1e-10) << model;
    EXPECT_NEAR(r->ci_upper, ParseNumber(Cell(t, i, "ci_hi")), 1e-10) << model;
    EXPECT_EQ(r->n_cases, ParseNumber(Cell(t, i, "n_cases")));

    StatusOr<RocCurve> curve = ComputeRoc(cohort["y"], cohort[model]);
    ASSERT_TRUE(curve.ok());
    const std::vector<double> sens = ParseList(Cell(t, i, "sens"));
    const std::vector<double> spec = ParseList(Cell(t, i, "spec"));
    ASSERT_EQ(curve->points.size(), sens.size()) << model;
    for (size_t k = 0; k < sens.size(); ++k) {
      EXPECT_NEAR(curve->points[k].sensitivity, sens[k], 1e-15);
      EXPECT_NEAR(curve->points[k].specificity, spec[k], 1e-15);
    }
  }
}

TEST(RocTest, PairedDelongMatchesRocTest) {
  const CsvTable t = LoadTable("delong_paired.csv");
  ASSERT_EQ(t.num_rows(), 6u);
  for (size_t i = 0; i < t.num_rows(); ++i) {
    auto cohort = CohortColumns(Cell(t, i, "set"));
    StatusOr<PairedDelongResult> r =
        PairedDelongTest(cohort["y"], cohort[Cell(t, i, "model1")], cohort[Cell(t, i, "model2")]);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_NEAR(r->auc1, ParseNumber(Cell(t, i, "auc1")), 1e-12);
    EXPECT_NEAR(r->auc2, ParseNumber(Cell(t, i, "auc2")), 1e-12);
    EXPECT_NEAR(r->z, ParseNumber(Cell(t, i, "z")), 1e-8);
    EXPECT_NEAR(r->p_value, ParseNumber(Cell(t, i, "p")), 1e-10);
    EXPECT_NEAR(r->ci_lower, ParseNumber(Cell(t, i, "ci_lo")), 1e-10);
    EXPECT_NEAR(r->ci_upper, ParseNumber(Cell(t, i, "ci_hi")), 1e-10);
  }
}

TEST(RocTest, YoudenOptimaMatchCoordsBestIncludingTies) {
  const CsvTable t = LoadTable("youden.csv");
  auto train = CohortColumns("train");
  std::map<std::string, std::vector<RocPoint>> expected;
  for (size_t i = 0; i < t.num_rows(); ++i) {
    expected[Cell(t, i, "case")].push_back({ParseNumber(Cell(t, i, "threshold")),
                                            ParseNumber(Cell(t, i, "sensitivity")),
                                            ParseNumber(Cell(t, i, "specificity"))});
  }
  ASSERT_EQ(expected["tie_case"].size(), 2u);
  for (const auto& [name, rows] : expected) {
    std::vector<double> y = train["y"], score = train[name];
    if (name == "tie_case") y = {0, 1, 0, 1}, score = {1, 2, 3, 4};
    StatusOr<RocCurve> curve = ComputeRoc(y, score);
    ASSERT_TRUE(curve.ok());
    const std::vector<RocPoint> got = YoudenOptima(*curve);
    ASSERT_EQ(got.size(), rows.size()) << name;
    for (size_t k = 0; k < rows.size(); ++k) {
      EXPECT_NEAR(got[k].threshold, rows[k].threshold, 1e-15) << name;
      EXPECT_NEAR(got[k].sensitivity, rows[k].sensitivity, 1e-15) << name;
      EXPECT_NEAR(got[k].specificity, rows[k].specificity, 1e-15) << name;
    }
  }
}

// Training Youden cut-off of the fused model applied unchanged to validation, with Wilson CIs
// as R's prop.test(correct = FALSE).
TEST(RocTest, TrainingCutoffAppliedToValidation) {
  const CsvTable t = LoadTable("metrics_validation.csv");
  std::map<std::string, std::vector<double>> ref;
  for (size_t i = 0; i < t.num_rows(); ++i) {
    ref[Cell(t, i, "metric")] = {ParseNumber(Cell(t, i, "estimate")),
                                 ParseNumber(Cell(t, i, "ci_lo")),
                                 ParseNumber(Cell(t, i, "ci_hi"))};
  }
  auto train = CohortColumns("train");
  auto validation = CohortColumns("validation");
  StatusOr<double> cutoff = YoudenCutoff(train["y"], train["p_nomo"]);
  ASSERT_TRUE(cutoff.ok());
  EXPECT_EQ(*cutoff, ref["cutoff"][0]);
  StatusOr<CutoffMetrics> m = MetricsAtCutoff(validation["y"], validation["p_nomo"], *cutoff);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->tp, ref["tp"][0]);
  EXPECT_EQ(m->fp, ref["fp"][0]);
  EXPECT_EQ(m->tn, ref["tn"][0]);
  EXPECT_EQ(m->fn, ref["fn"][0]);
  const std::pair<const char*, Proportion> props[] = {{"sensitivity", m->sensitivity},
                                                      {"specificity", m->specificity},
                                                      {"ppv", m->ppv},
                                                      {"npv", m->npv},
                                                      {"accuracy", m->accuracy}};
  for (const auto& [name, p] : props) {
    EXPECT_NEAR(p.estimate, ref[name][0], 1e-15) << name;
    EXPECT_NEAR(p.ci_lower, ref[name][1], 1e-12) << name;
    EXPECT_NEAR(p.ci_upper, ref[name][2], 1e-12) << name;
  }
  EXPECT_NEAR(m->f1, ref["f1"][0], 1e-15);
  EXPECT_LT(m->f1_ci_lower, m->f1);
  EXPECT_GT(m->f1_ci_upper, m->f1);
  EXPECT_EQ(m->f1_bootstrap_replicates, 2000);
  // Deterministic given the seed.
  StatusOr<CutoffMetrics> again = MetricsAtCutoff(validation["y"], validation["p_nomo"], *cutoff);
  EXPECT_EQ(again->f1_ci_lower, m->f1_ci_lower);
}

TEST(RocTest, EdgeCasesGiveClearErrors) {
  // All one class.
  StatusOr<AucResult> one = ComputeAucDelong({1, 1, 1}, {0.1, 0.2, 0.3});
  EXPECT_EQ(one.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(one.status().message().find("0 controls"), std::string::npos);
  // NaN scores.
  StatusOr<AucResult> nan = ComputeAucDelong({0, 1, 0, 1}, {0.1, NAN, 0.3, 0.4});
  EXPECT_EQ(nan.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(nan.status().message().find("1 missing"), std::string::npos);
  // Outcome not 0/1.
  EXPECT_EQ(ComputeRoc({0, 2}, {1, 2}).status().code(), StatusCode::kInvalidArgument);
  // A single case: AUC defined but no DeLong variance.
  EXPECT_EQ(ComputeAucDelong({0, 0, 1}, {1, 2, 3}).status().code(),
            StatusCode::kFailedPrecondition);
  // Fewer than 8 in a class: a result with a warning.
  StatusOr<AucResult> few = ComputeAucDelong({0, 0, 0, 1, 1, 1}, {1, 2, 4, 3, 5, 6});
  ASSERT_TRUE(few.ok());
  EXPECT_NEAR(few->auc, 8.0 / 9, 1e-15);
  EXPECT_EQ(few->warnings.size(), 1u);
}

TEST(RocTest, SingleThresholdAndAllTiedScores) {
  // Every score equal: thresholds -Inf, +Inf only, AUC 0.5, Youden optima are both ends.
  StatusOr<RocCurve> curve = ComputeRoc({0, 1, 0, 1}, {0.3, 0.3, 0.3, 0.3});
  ASSERT_TRUE(curve.ok());
  ASSERT_EQ(curve->points.size(), 2u);
  EXPECT_EQ(YoudenOptima(*curve).size(), 2u);
  StatusOr<AucResult> auc = ComputeAucDelong({0, 1, 0, 1}, {0.3, 0.3, 0.3, 0.3});
  ASSERT_TRUE(auc.ok());
  EXPECT_EQ(auc->auc, 0.5);
  EXPECT_EQ(auc->variance, 0);
  // Identical scores in the paired test: Z = 0, p = 1 (pROC's convention).
  StatusOr<PairedDelongResult> same =
      PairedDelongTest({0, 1, 0, 1, 1}, {1, 2, 3, 4, 5}, {1, 2, 3, 4, 5});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->z, 0);
  EXPECT_EQ(same->p_value, 1);
}

TEST(RocTest, WilsonEdgeCases) {
  const Proportion none = WilsonProportion(0, 0);
  EXPECT_TRUE(std::isnan(none.estimate));
  const Proportion zero = WilsonProportion(0, 10);
  EXPECT_EQ(zero.ci_lower, 0);
  EXPECT_GT(zero.ci_upper, 0.2);
  const Proportion all = WilsonProportion(10, 10);
  EXPECT_EQ(all.ci_upper, 1);
}

}  // namespace
}  // namespace amdrn::stats
