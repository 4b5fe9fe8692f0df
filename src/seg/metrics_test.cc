#include "seg/metrics.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

namespace amdrn::seg {
namespace {

LabelMap Balls(const Index3& size, const Vec3& spacing, const std::vector<std::array<double, 4>>& balls_mm) {
  Geometry g;
  g.size = size;
  g.spacing_mm = spacing;
  LabelMap m(g, 0);
  for (int64_t k = 0; k < size[2]; ++k)
    for (int64_t j = 0; j < size[1]; ++j)
      for (int64_t i = 0; i < size[0]; ++i) {
        const double p[3] = {i * spacing[0], j * spacing[1], k * spacing[2]};
        for (const auto& b : balls_mm) {
          const double d2 = (p[0] - b[0]) * (p[0] - b[0]) + (p[1] - b[1]) * (p[1] - b[1]) + (p[2] - b[2]) * (p[2] - b[2]);
          if (d2 <= b[3] * b[3]) m.at(i, j, k) = 1;
        }
      }
  return m;
}

TEST(Metrics, TwoSpheresWithKnownOverlap) {
  // Radius 6 mm, centres 4 mm apart: lens volume pi (4r + d)(2r - d)^2 / 12.
  const double r = 6, d = 4;
  const Vec3 s = {0.25, 0.25, 0.25};
  LabelMap a = Balls({80, 64, 64}, s, {{8, 8, 8, r}});
  LabelMap b = Balls({80, 64, 64}, s, {{8 + d, 8, 8, r}});
  auto m = ComputeCaseMetrics(a, b, {1}, {});
  ASSERT_TRUE(m.ok());
  const double lens = M_PI * (4 * r + d) * (2 * r - d) * (2 * r - d) / 12.0;
  const double ball = 4.0 / 3.0 * M_PI * r * r * r;
  EXPECT_NEAR((*m)[0].dice, lens / ball, 0.01);
  // Surface distances: the farthest points are d apart; the 95th percentile is a bit less.
  EXPECT_LE((*m)[0].hd95_mm, d + 0.3);
  EXPECT_GT((*m)[0].hd95_mm, 0.5 * d);
}

TEST(Metrics, ConcentricSpheresHausdorffAndNsd) {
  const Vec3 s = {0.5, 0.5, 1.0};  // anisotropic spacing must be respected
  LabelMap a = Balls({60, 60, 30}, s, {{15, 15, 15, 10}});
  LabelMap b = Balls({60, 60, 30}, s, {{15, 15, 15, 8}});
  MetricsOptions o;
  o.nsd_tolerance_mm = 1.0;
  auto m = ComputeCaseMetrics(a, b, {1}, o);
  ASSERT_TRUE(m.ok());
  EXPECT_NEAR((*m)[0].hd95_mm, 2.0, 0.6);
  EXPECT_LT((*m)[0].nsd, 0.2);
  o.nsd_tolerance_mm = 3.0;
  EXPECT_GT((*ComputeCaseMetrics(a, b, {1}, o))[0].nsd, 0.95);
  EXPECT_NEAR((*m)[0].dice, 2.0 * 512 / (1000 + 512), 0.03);
}

TEST(Metrics, IdenticalEmptyAndOneSided) {
  const Vec3 s = {1, 1, 1};
  LabelMap a = Balls({20, 20, 20}, s, {{10, 10, 10, 5}});
  LabelMap empty = Balls({20, 20, 20}, s, {});
  auto same = ComputeCaseMetrics(a, a, {1, 2}, {});
  ASSERT_TRUE(same.ok());
  EXPECT_DOUBLE_EQ((*same)[0].dice, 1.0);
  EXPECT_DOUBLE_EQ((*same)[0].hd95_mm, 0.0);
  EXPECT_DOUBLE_EQ((*same)[0].nsd, 1.0);
  EXPECT_TRUE(std::isnan((*same)[1].dice));  // label 2 absent from both: NaN as nnU-Net
  EXPECT_TRUE(std::isnan((*same)[1].hd95_mm));
  auto one = ComputeCaseMetrics(a, empty, {1}, {});
  EXPECT_DOUBLE_EQ((*one)[0].dice, 0.0);
  EXPECT_DOUBLE_EQ((*one)[0].nsd, 0.0);
  EXPECT_TRUE(std::isnan((*one)[0].hd95_mm));
  EXPECT_EQ((*one)[0].n_pred, 0);
  LabelMap other(Geometry{{20, 20, 21}, s, {0, 0, 0}, {1, 0, 0, 0, 1, 0, 0, 0, 1}}, 0);
  EXPECT_EQ(ComputeCaseMetrics(a, other, {1}, {}).status().code(), StatusCode::kFailedPrecondition);
}

TEST(Metrics, DistanceTransformMatchesBruteForce) {
  const Index3 size = {9, 7, 5};
  const Vec3 s = {0.5, 1.0, 2.0};
  std::mt19937 rng(3);
  std::vector<uint8_t> mask(9 * 7 * 5, 0);
  for (int t = 0; t < 6; ++t) mask[rng() % mask.size()] = 1;
  std::vector<float> dt = DistanceTransformMm(mask.data(), size, s);
  for (int64_t k = 0; k < 5; ++k)
    for (int64_t j = 0; j < 7; ++j)
      for (int64_t i = 0; i < 9; ++i) {
        double best = 1e30;
        for (int64_t kk = 0; kk < 5; ++kk)
          for (int64_t jj = 0; jj < 7; ++jj)
            for (int64_t ii = 0; ii < 9; ++ii) {
              if (!mask[ii + 9 * (jj + 7 * kk)]) continue;
              const double dx = (i - ii) * s[0], dy = (j - jj) * s[1], dz = (k - kk) * s[2];
              best = std::min(best, std::sqrt(dx * dx + dy * dy + dz * dz));
            }
        ASSERT_NEAR(dt[i + 9 * (j + 7 * k)], best, 1e-4);
      }
}

TEST(Metrics, SummaryMeanSdAndNullForNaN) {
  EvaluationSummary s;
  s.labels = {1};
  for (double dice : {0.8, 0.9, std::nan("")}) {
    CaseResult c;
    c.case_id = "c";
    ClassMetrics m;
    m.label = 1;
    m.dice = dice;
    m.hd95_mm = std::nan("");
    c.classes = {m};
    s.cases.push_back(c);
  }
  Json j = SummaryToJson(s, {});
  EXPECT_NEAR(j["mean"]["1"]["Dice"].get<double>(), 0.85, 1e-12);
  EXPECT_NEAR(j["sd"]["1"]["Dice"].get<double>(), std::sqrt(0.005), 1e-12);
  EXPECT_TRUE(Json::parse(j.dump())["metric_per_case"][2]["metrics"]["1"]["Dice"].is_null());
  EXPECT_EQ(SummaryToCsv(s).num_rows(), 3u);
}

}  // namespace
}  // namespace amdrn::seg
