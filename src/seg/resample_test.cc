#include "seg/resample.h"

#include <cmath>

#include <gtest/gtest.h>

#include "seg/preprocess.h"

namespace amdrn::seg {
namespace {

std::vector<float> Ramp(const Shape3& s) {
  std::vector<float> v(static_cast<size_t>(NumVoxels(s)));
  for (int64_t z = 0; z < s[0]; ++z)
    for (int64_t y = 0; y < s[1]; ++y)
      for (int64_t x = 0; x < s[2]; ++x) v[(z * s[1] + y) * s[2] + x] = static_cast<float>(2 * z + 3 * y - x);
  return v;
}

TEST(Resample, IdentityIsExact) {
  const Shape3 s = {5, 6, 7};
  std::vector<float> v = Ramp(s);
  v[3] = 1e6f;
  EXPECT_EQ(ResampleData(v.data(), s, s, 3), v);
  std::vector<int8_t> seg(v.size(), 1);
  seg[0] = -1;
  EXPECT_EQ(ResampleSeg(seg.data(), s, s, 1), seg);
}

TEST(Resample, ConstantStaysConstantAndShapeIsTarget) {
  const Shape3 in = {8, 9, 10}, out = {13, 5, 20};
  std::vector<float> v(static_cast<size_t>(NumVoxels(in)), 4.25f);
  for (int order : {0, 1, 3}) {
    std::vector<float> r = ResampleData(v.data(), in, out, order);
    ASSERT_EQ(static_cast<int64_t>(r.size()), NumVoxels(out));
    for (float x : r) EXPECT_NEAR(x, 4.25f, 1e-5);
  }
}

TEST(Resample, LinearAndCubicReproduceARampInTheInterior) {
  // Upsampling by 2 with align_corners=False: destination j samples source (j + 0.5) / 2 - 0.5.
  // The cubic prefilter sees the edge padding a few samples in, so stay 10 samples away.
  const Shape3 in = {32, 32, 32}, out = {64, 64, 64};
  std::vector<float> v = Ramp(in);
  for (int order : {1, 3}) {
    std::vector<float> r = ResampleData(v.data(), in, out, order);
    for (int64_t z = 20; z < 44; ++z)
      for (int64_t y = 20; y < 44; ++y)
        for (int64_t x = 20; x < 44; ++x) {
          const double sz = (z + 0.5) / 2 - 0.5, sy = (y + 0.5) / 2 - 0.5, sx = (x + 0.5) / 2 - 0.5;
          ASSERT_NEAR(r[(z * 64 + y) * 64 + x], 2 * sz + 3 * sy - sx, 1e-3) << "order " << order;
        }
  }
}

TEST(Resample, CubicInterpolatesSamplesExactlyWhenUpsamplingByOddFactor) {
  // Factor 3: destination 3i + 1 sits exactly on source i, so the spline returns the sample.
  const Shape3 in = {1, 1, 40}, out = {1, 1, 120};
  std::vector<float> v(40);
  for (int i = 0; i < 40; ++i) v[i] = static_cast<float>(std::sin(i * 0.7) * 10);
  std::vector<float> r = ResampleData(v.data(), in, out, 3);
  for (int i = 0; i < 40; ++i) EXPECT_NEAR(r[3 * i + 1], v[i], 1e-4);
}

TEST(Resample, SegmentationKeepsLabelsAndBlocks) {
  const Shape3 in = {10, 10, 10}, out = {20, 20, 20};
  std::vector<int8_t> seg(1000, 0);
  for (int64_t z = 0; z < 10; ++z)
    for (int64_t y = 0; y < 10; ++y)
      for (int64_t x = 0; x < 10; ++x) seg[(z * 10 + y) * 10 + x] = x < 3 ? -1 : (x < 6 ? 1 : 2);
  std::vector<int8_t> r = ResampleSeg(seg.data(), in, out, 1);
  for (int64_t x = 0; x < 20; ++x) {
    const int8_t expected = x < 6 ? -1 : (x < 12 ? 1 : 2);
    EXPECT_EQ(r[(5 * 20 + 5) * 20 + x], expected) << x;
  }
}

TEST(Resample, SeparateZDecision) {
  EXPECT_EQ(SeparateZAxis({3.0, 0.7, 0.7}, {3.0, 0.7, 0.7}), 0);
  EXPECT_EQ(SeparateZAxis({0.7, 0.7, 0.7}, {0.7, 3.0, 0.7}), 1);
  EXPECT_EQ(SeparateZAxis({0.5, 0.5, 0.5}, {1.0, 1.0, 1.0}), -1);
  EXPECT_EQ(SeparateZAxis({4.0, 4.0, 1.0}, {4.0, 4.0, 1.0}), -1);  // tie for the max
  EXPECT_EQ(ComputeNewShape({10, 100, 100}, {3.0, 0.5, 0.5}, {3.0, 1.0, 1.0}), (Shape3{10, 50, 50}));
}

TEST(Resample, SeparateZUsesNearestAlongTheCoarseAxis) {
  const Shape3 in = {4, 8, 8}, out = {8, 8, 8};
  std::vector<float> v(static_cast<size_t>(NumVoxels(in)));
  for (int64_t z = 0; z < 4; ++z) std::fill(v.begin() + z * 64, v.begin() + (z + 1) * 64, static_cast<float>(z));
  std::vector<float> r = ResampleData(v.data(), in, out, 3, 0, 0);
  for (int64_t z = 0; z < 8; ++z) EXPECT_FLOAT_EQ(r[z * 64 + 9], static_cast<float>(z / 2));
}

TEST(Transpose, RoundTrip) {
  const Shape3 s = {3, 4, 5};
  std::vector<float> v = Ramp(s);
  std::vector<float> t = TransposeArray(v.data(), s, {2, 0, 1});
  EXPECT_EQ(PermuteShape(s, {2, 0, 1}), (Shape3{5, 3, 4}));
  EXPECT_EQ(t[(1 * 3 + 2) * 4 + 3], v[(2 * 4 + 3) * 5 + 1]);
  std::vector<float> back = TransposeArray(t.data(), {5, 3, 4}, {1, 2, 0});
  EXPECT_EQ(back, v);
}

}  // namespace
}  // namespace amdrn::seg
