#include "stats/calibration.h"

#include <gtest/gtest.h>

#include <cmath>

#include "stats/decision_curve.h"
#include "stats/eval_lowess.h"
#include "stats/eval_test_util.h"

namespace amdrn::stats {
namespace {

using testing::CohortColumns;
using testing::Column;
using testing::LoadTable;
using testing::ParseNumber;

std::map<std::string, double> ValProbReference(const std::string& set) {
  const CsvTable t = LoadTable("valprob.csv");
  std::map<std::string, double> ref;
  for (size_t i = 0; i < t.num_rows(); ++i) {
    if (testing::Cell(t, i, "set") == set) {
      ref[testing::Cell(t, i, "stat")] = ParseNumber(testing::Cell(t, i, "value"));
    }
  }
  return ref;
}

TEST(LowessTest, MatchesRLowessWithoutAndWithRobustness) {
  auto validation = CohortColumns("validation");
  LowessOptions no_robust;
  no_robust.iter = 0;
  StatusOr<Curve> a = Lowess(validation["p_nomo"], validation["y"], no_robust);
  ASSERT_TRUE(a.ok());
  const CsvTable ta = LoadTable("lowess_validation.csv");
  const std::vector<double> ax = Column(ta, "x"), ay = Column(ta, "y");
  ASSERT_EQ(a->y.size(), ay.size());
  for (size_t i = 0; i < ay.size(); ++i) {
    EXPECT_EQ(a->x[i], ax[i]);
    EXPECT_NEAR(a->y[i], ay[i], 1e-12) << i;
  }
  // Default f = 2/3, iter = 3 on integer ages (many ties) against CRP.
  auto all = CohortColumns("");
  StatusOr<Curve> b = Lowess(all["age"], all["crp"]);
  ASSERT_TRUE(b.ok());
  const CsvTable tb = LoadTable("lowess_age_crp.csv");
  const std::vector<double> by = Column(tb, "y");
  ASSERT_EQ(b->y.size(), by.size());
  for (size_t i = 0; i < by.size(); ++i) EXPECT_NEAR(b->y[i], by[i], 1e-10) << i;
}

TEST(LowessTest, ApproxTiesAndQuantile) {
  const Curve c{{1, 2, 2, 3}, {10, 20, 40, 30}};
  EXPECT_EQ(ApproxLinear(c, {2}, ApproxTies::kMean)[0], 30);
  EXPECT_EQ(ApproxLinear(c, {2}, ApproxTies::kFirst)[0], 20);
  EXPECT_EQ(ApproxLinear(c, {1.5}, ApproxTies::kFirst)[0], 15);
  EXPECT_TRUE(std::isnan(ApproxLinear(c, {3.5}, ApproxTies::kMean)[0]));
  EXPECT_EQ(Quantile7({1, 2, 3, 4}, 0.5), 2.5);
  EXPECT_EQ(Quantile7({1, 2, 3, 4, 10}, 0.9), 7.5999999999999979);  // R prints the same double
}

// rms::val.prob on training (apparent: intercept 0, slope 1) and validation.
TEST(CalibrationTest, ValProbMatchesRms) {
  for (const std::string set : {"train", "validation"}) {
    auto cohort = CohortColumns(set);
    const auto ref = ValProbReference(set);
    StatusOr<ValProbResult> r = ValidateProbabilities(cohort["y"], cohort["p_nomo"]);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_NEAR(r->intercept, ref.at("Intercept"), 1e-7) << set;
    EXPECT_NEAR(r->slope, ref.at("Slope"), 1e-7) << set;
    EXPECT_NEAR(r->calibration_in_the_large, ref.at("CITL"), 1e-7) << set;
    EXPECT_NEAR(r->brier, ref.at("Brier"), 1e-15) << set;
    EXPECT_NEAR(r->emax, ref.at("Emax"), 1e-12) << set;
    EXPECT_NEAR(r->e90, ref.at("E90"), 1e-12) << set;
    EXPECT_NEAR(r->eavg, ref.at("Eavg"), 1e-12) << set;
    EXPECT_NEAR(r->d, ref.at("D"), 1e-10) << set;
    EXPECT_NEAR(r->d_chi_square, ref.at("D:Chi-sq"), 1e-8) << set;
    EXPECT_NEAR(r->u, ref.at("U"), 1e-8) << set;
    EXPECT_NEAR(r->u_chi_square, ref.at("U:Chi-sq"), 1e-6) << set;
    EXPECT_NEAR(r->q, ref.at("Q"), 1e-8) << set;
    EXPECT_NEAR(r->r2, ref.at("R2"), 1e-10) << set;
    EXPECT_NEAR(r->spiegelhalter_z, ref.at("S:z"), 1e-12) << set;
    EXPECT_NEAR(r->spiegelhalter_p, ref.at("S:p"), 1e-12) << set;
    // rms computes C from probabilities binned by lrm.fit; amdrn's C is exact Mann-Whitney.
    EXPECT_NEAR(r->c_index, ref.at("C (ROC)"), 1e-3) << set;
  }
}

TEST(CalibrationTest, HosmerLemeshowMatchesHoslemAlgorithm) {
  for (const std::string set : {"train", "validation"}) {
    auto cohort = CohortColumns(set);
    const auto ref = ValProbReference(set);
    StatusOr<HosmerLemeshowResult> r = HosmerLemeshow(cohort["y"], cohort["p_nomo"]);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_NEAR(r->chi_square, ref.at("HL:chisq"), 1e-10) << set;
    EXPECT_EQ(r->groups, ref.at("HL:groups"));
    EXPECT_EQ(r->df, ref.at("HL:df"));
    EXPECT_NEAR(r->p_value, ref.at("HL:p"), 1e-10) << set;
    int n = 0;
    for (const CalibrationGroup& g : r->table) n += g.n;
    EXPECT_EQ(n, static_cast<int>(cohort["y"].size()));
  }
}

TEST(CalibrationTest, EdgeCases) {
  // Ties merge groups: 3 distinct probabilities.
  std::vector<double> y, p;
  for (int i = 0; i < 30; ++i) {
    y.push_back(i % 2);
    p.push_back(0.2 + 0.3 * (i % 3));
  }
  StatusOr<HosmerLemeshowResult> hl = HosmerLemeshow(y, p);
  ASSERT_TRUE(hl.ok()) << hl.status().ToString();
  EXPECT_LT(hl->groups, 10);
  EXPECT_EQ(hl->df, 8);
  EXPECT_EQ(hl->warnings.size(), 1u);
  // A single predicted value: clear errors.
  const std::vector<double> same(10, 0.4), y10 = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
  EXPECT_EQ(HosmerLemeshow(y10, same).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ValidateProbabilities(y10, same).status().code(), StatusCode::kFailedPrecondition);
  // Out-of-range and NaN probabilities.
  EXPECT_EQ(ValidateProbabilities({0, 1}, {0.2, 1.2}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(HosmerLemeshow({0, 1}, {0.2, NAN}).status().code(), StatusCode::kInvalidArgument);
  // All one class.
  EXPECT_EQ(ValidateProbabilities({1, 1, 1}, {0.2, 0.5, 0.7}).status().code(),
            StatusCode::kFailedPrecondition);
  // Probabilities of exactly 0/1 are left out of the recalibration with a warning.
  std::vector<double> p2 = {0.0, 0.1, 0.3, 0.5, 0.6, 0.8, 0.2, 0.7, 0.4, 0.9, 1.0, 0.35};
  std::vector<double> y2 = {0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0};
  StatusOr<ValProbResult> v = ValidateProbabilities(y2, p2);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->n, 10);
  EXPECT_EQ(v->warnings.size(), 1u);
}

TEST(DecisionCurveTest, MatchesVickersFormulaTable) {
  auto validation = CohortColumns("validation");
  const CsvTable t = LoadTable("dca_validation.csv");
  const std::vector<double> thresholds = DefaultDecisionThresholds();
  const std::vector<double> ref_t = Column(t, "threshold"), nb = Column(t, "net_benefit"),
                            all = Column(t, "treat_all");
  ASSERT_EQ(thresholds.size(), ref_t.size());
  StatusOr<std::vector<DecisionCurvePoint>> dca =
      DecisionCurve(validation["y"], validation["p_nomo"], thresholds);
  ASSERT_TRUE(dca.ok());
  for (size_t k = 0; k < ref_t.size(); ++k) {
    EXPECT_EQ(thresholds[k], ref_t[k]);
    EXPECT_NEAR((*dca)[k].net_benefit, nb[k], 1e-14) << k;
    EXPECT_NEAR((*dca)[k].treat_all, all[k], 1e-14) << k;
  }
  EXPECT_EQ(DecisionCurve({0, 1}, {0.2, 0.6}, {0.0}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(DecisionCurve({0, 1}, {0.2, 0.6}, {1.0}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace amdrn::stats
