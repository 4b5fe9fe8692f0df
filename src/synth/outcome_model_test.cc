#include "synth/outcome_model.h"

#include <gtest/gtest.h>

#include <cmath>

namespace amdrn::synth {
namespace {

TEST(Auc, RankingAndTies) {
  EXPECT_DOUBLE_EQ(Auc({0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(Auc({0.9, 0.8, 0.2, 0.1}, {0, 0, 1, 1}), 0.0);
  EXPECT_DOUBLE_EQ(Auc({0.5, 0.5, 0.5, 0.5}, {0, 1, 0, 1}), 0.5);
  // One positive above one of two negatives, tied with the other: (1 + 0.5) / 2.
  EXPECT_DOUBLE_EQ(Auc({0.3, 0.5, 0.5}, {0, 0, 1}), 0.75);
  EXPECT_TRUE(std::isnan(Auc({0.1, 0.2}, {1, 1})));
}

TEST(Auc, ExpectedAucMatchesTheMeanOverOutcomeDraws) {
  const std::vector<double> scores = {0.1, 0.4, 0.35, 0.8, 0.6};
  const std::vector<double> q = {0.2, 0.5, 0.1, 0.9, 0.6};
  // Exact expectation by enumerating the 32 outcome vectors, ratio of expectations.
  double num = 0, den = 0;
  for (int mask = 0; mask < 32; ++mask) {
    double p = 1;
    for (int i = 0; i < 5; ++i) p *= (mask >> i & 1) ? q[i] : 1 - q[i];
    for (int i = 0; i < 5; ++i)
      for (int j = 0; j < 5; ++j)
        if ((mask >> i & 1) && !(mask >> j & 1)) {
          den += p;
          num += p * (scores[i] > scores[j] ? 1.0 : scores[i] == scores[j] ? 0.5 : 0.0);
        }
  }
  EXPECT_NEAR(ExpectedAuc(scores, q), num / den, 1e-12);
}

TEST(MarginalProbability, SymmetricAndShrunkTowardsOneHalf) {
  EXPECT_NEAR(MarginalProbability(0.0), 0.5, 1e-6);
  for (double eta : {-3.0, -1.0, 0.7, 2.5}) {
    EXPECT_NEAR(MarginalProbability(eta) + MarginalProbability(-eta), 1.0, 1e-6);
    EXPECT_LT(std::abs(MarginalProbability(eta) - 0.5), std::abs(Sigmoid(eta) - 0.5));
  }
}

TEST(SamplePatient, DeterministicForASeed) {
  Rng a(42), b(42);
  const PatientRecord ra = SamplePatient(a), rb = SamplePatient(b);
  EXPECT_EQ(ra.anatomy.residual_bone_height_mm, rb.anatomy.residual_bone_height_mm);
  EXPECT_EQ(ra.true_probability, rb.true_probability);
  EXPECT_EQ(ra.failure, rb.failure);
}

TEST(SamplePatient, RangesOfTheAnatomy) {
  Rng rng(7);
  for (int n = 0; n < 2000; ++n) {
    const PatientRecord r = SamplePatient(rng);
    EXPECT_GE(r.anatomy.residual_bone_height_mm, 1.0);
    EXPECT_LE(r.anatomy.residual_bone_height_mm, 12.0);
    EXPECT_GE(r.anatomy.bone_density_bvtv, 0.12);
    EXPECT_LE(r.anatomy.bone_density_bvtv, 0.48);
    EXPECT_GE(r.anatomy.sinus_width_mm, 10.0);
    EXPECT_LE(r.anatomy.sinus_width_mm, 20.0);
  }
}

// Law of total expectation: E[P(Y | subset)] = P(Y) for every subset. A wrong importance
// weight (e.g. forgetting the surgeon's choices) breaks this.
TEST(BayesProbability, SubsetScoresAverageToThePrevalence) {
  Rng rng(11);
  const int n = 3000;
  double mean[kNumInfoSets] = {};
  for (int i = 0; i < n; ++i) {
    const PatientRecord r = SamplePatient(rng);
    for (int s = 0; s < kNumInfoSets; ++s)
      mean[s] += BayesProbability(r, static_cast<InfoSet>(s), 64, rng) / n;
  }
  for (int s = 0; s < 3; ++s)
    EXPECT_NEAR(mean[s], mean[3], 0.015) << InfoSetName(static_cast<InfoSet>(s));
}

// The documented targets of the outcome model (docs/synthetic-cohort.md).
TEST(SummarisePopulation, PrevalenceAndBayesAucsAreInTheDocumentedRanges) {
  const PopulationSummary s = SummarisePopulation(4000, 64, 99, 2);
  EXPECT_GT(s.prevalence, 0.20);
  EXPECT_LT(s.prevalence, 0.35);
  const double clinical = s.bayes_auc[0], anatomy = s.bayes_auc[1], imaging = s.bayes_auc[2],
               all = s.bayes_auc[3];
  EXPECT_GT(clinical, 0.62);
  EXPECT_LT(clinical, 0.75);
  EXPECT_LT(clinical, anatomy);
  EXPECT_LT(anatomy, imaging);
  EXPECT_LE(imaging, all + 0.005);
  EXPECT_GT(all, 0.88);
  EXPECT_LT(all, 0.96);
}

TEST(SummarisePopulation, IndependentOfThreadCount) {
  const PopulationSummary a = SummarisePopulation(300, 16, 5, 1);
  const PopulationSummary b = SummarisePopulation(300, 16, 5, 3);
  EXPECT_EQ(a.prevalence, b.prevalence);
  for (int s = 0; s < kNumInfoSets; ++s) EXPECT_EQ(a.bayes_auc[s], b.bayes_auc[s]);
}

}  // namespace
}  // namespace amdrn::synth
