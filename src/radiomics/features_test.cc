// Analytic tests of the feature families: values worked out by hand for constant, ramp, cube,
// single-voxel, checkerboard and sphere ROIs, discretisation edge cases and error handling.
#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <functional>
#include <utility>

#include "radiomics/features.h"
#include "radiomics/hull.h"
#include "radiomics/mesh.h"
#include "radiomics/texture_common.h"
#include <random>

namespace amdrn::radiomics {
namespace {

constexpr double kTol = 1e-9;

// An image of `size` filled by `value(i, j, k)` and a mask of `inside(i, j, k)`.
struct Case {
  ImageF image;
  LabelMap mask;
};

Case MakeCase(Index3 size, const std::function<float(int, int, int)>& value,
              const std::function<bool(int, int, int)>& inside, Vec3 spacing = {1, 1, 1}) {
  Geometry g;
  g.size = size;
  g.spacing_mm = spacing;
  Case c{ImageF(g), LabelMap(g)};
  for (int k = 0; k < size[2]; ++k) {
    for (int j = 0; j < size[1]; ++j) {
      for (int i = 0; i < size[0]; ++i) {
        c.image.at(i, j, k) = value(i, j, k);
        c.mask.at(i, j, k) = inside(i, j, k) ? 1 : 0;
      }
    }
  }
  return c;
}

auto All() {
  return [](int, int, int) { return true; };
}

Roi RoiOf(const Case& c) {
  auto roi = MakeRoi(c.image, c.mask, 1);
  EXPECT_TRUE(roi.ok()) << roi.status().ToString();
  return *roi;
}

DiscretisedRoi Levels(const Roi& roi, double bin_width = 1.0) {
  DiscretisationSettings s;
  s.bin_width = bin_width;
  auto d = Discretise(roi, s);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return *d;
}

double Get(const StatusOr<FeatureList>& list, const std::string& name) {
  EXPECT_TRUE(list.ok()) << list.status().ToString();
  if (!list.ok()) return NAN;
  const Feature* f = FindFeature(*list, name);
  EXPECT_NE(f, nullptr) << name;
  return f ? f->value : NAN;
}

// ---------------------------------------------------------------------------------------------
// Discretisation

TEST(DiscretiseTest, PyRadiomicsFixedBinWidthCountsFromZero) {
  // PyRadiomics' documented example: values 54..166, width 25 -> edges 50, 75, ..., 175.
  Case c = MakeCase(
      {3, 1, 1}, [](int i, int, int) { return i == 0 ? 54.f : i == 1 ? 150.f : 166.f; }, All());
  const DiscretisedRoi d = Levels(RoiOf(c), 25);
  EXPECT_EQ(d.levels[0], 1);  // [50, 75)
  EXPECT_EQ(d.levels[1], 5);  // 150 sits on an edge: its own bin [150, 175)
  EXPECT_EQ(d.levels[2], 5);
  EXPECT_EQ(d.bin_edges.front(), 50);
  EXPECT_EQ(d.max_level, 5);
}

TEST(DiscretiseTest, IbsiFixedBinSizeCountsFromMinimum) {
  Case c = MakeCase(
      {3, 1, 1}, [](int i, int, int) { return i == 0 ? 54.f : i == 1 ? 150.f : 166.f; }, All());
  DiscretisationSettings s;
  s.bin_width = 25;
  s.ibsi = true;
  auto d = Discretise(RoiOf(c), s);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->levels[0], 1);
  EXPECT_EQ(d->levels[1], 4);  // floor(96 / 25) + 1
  EXPECT_EQ(d->levels[2], 5);  // floor(112 / 25) + 1
  s.ibsi_min = 0;               // lower bound of a resegmentation range
  d = Discretise(RoiOf(c), s);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->levels[0], 3);  // floor(54 / 25) + 1
}

TEST(DiscretiseTest, FixedBinCountPutsMaximumInTopBin) {
  Case c = MakeCase({5, 1, 1}, [](int i, int, int) { return 2.f * i; }, All());  // 0..8
  DiscretisationSettings s;
  s.mode = BinningMode::kFixedBinCount;
  s.bin_count = 4;
  s.ibsi = true;
  auto d = Discretise(RoiOf(c), s);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(std::vector<int32_t>(d->levels.begin(), d->levels.end()),
            (std::vector<int32_t>{1, 2, 3, 4, 4}));
  EXPECT_EQ(d->num_levels, 4);
}

TEST(DiscretiseTest, RejectsBadSettings) {
  Case c = MakeCase({2, 1, 1}, [](int i, int, int) { return 1.5f; }, All());
  DiscretisationSettings s;
  s.bin_width = 0;
  EXPECT_EQ(Discretise(RoiOf(c), s).status().code(), StatusCode::kInvalidArgument);
  s.mode = BinningMode::kNone;
  EXPECT_EQ(Discretise(RoiOf(c), s).status().code(), StatusCode::kInvalidArgument);  // 1.5
}

TEST(DirectionsTest, ThirteenIn3DFourIn2DInPyRadiomicsOrder) {
  const auto d3 = internal::Directions({5, 5, 5}, {1}, false, -1);
  ASSERT_EQ(d3.size(), 13u);
  EXPECT_EQ(d3[0].di, 1);  // numpy (z, y, x) = (1, 1, 1) first
  EXPECT_EQ(d3[0].dk, 1);
  EXPECT_EQ(internal::Directions({5, 5, 5}, {1}, true, -1).size(), 26u);
  EXPECT_EQ(internal::Directions({5, 5, 5}, {1}, false, 2).size(), 4u);
  EXPECT_EQ(internal::Directions({5, 5, 5}, {2}, false, -1).size(), 49u);  // (5^3 - 3^3) / 2
}

// ---------------------------------------------------------------------------------------------
// Errors and edge cases

TEST(EdgeCaseTest, AbsentLabelGeometryMismatchAndEmptyRoi) {
  Case c = MakeCase({3, 3, 3}, [](int, int, int) { return 1.f; },
                    [](int, int, int) { return false; });
  EXPECT_EQ(MakeRoi(c.image, c.mask, 1).status().code(), StatusCode::kNotFound);
  Geometry other = c.mask.geometry();
  other.spacing_mm = {2, 2, 2};
  EXPECT_EQ(MakeRoi(c.image, LabelMap(other), 1).status().code(), StatusCode::kFailedPrecondition);
  DiscretisedRoi empty;
  EXPECT_EQ(ComputeGlcm(empty, {}).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ComputeGlszm(empty, {}).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ComputeShape(Roi{}, nullptr, {}).status().code(), StatusCode::kFailedPrecondition);
}

TEST(EdgeCaseTest, OneVoxelRoiGivesNaNWithReasonNotACrash) {
  Case c = MakeCase({3, 3, 3}, [](int, int, int) { return 7.f; },
                    [](int i, int j, int k) { return i == 1 && j == 1 && k == 1; });
  const Roi roi = RoiOf(c);
  const DiscretisedRoi d = Levels(roi);
  auto glcm = ComputeGlcm(d, {});
  ASSERT_TRUE(glcm.ok());
  for (const Feature& f : *glcm) {
    EXPECT_TRUE(std::isnan(f.value)) << f.name;
    EXPECT_FALSE(f.reason.empty()) << f.name;
  }
  EXPECT_TRUE(std::isnan(Get(ComputeGlrlm(d, {}), "RunPercentage")));
  TextureSettings ibsi;
  ibsi.ibsi = true;
  EXPECT_TRUE(std::isnan(Get(ComputeNgtdm(d, ibsi), "Coarseness")));
  EXPECT_NEAR(Get(ComputeGlszm(d, {}), "ZonePercentage"), 1.0, kTol);
  // PyRadiomics counts the lone voxel in the NGTDM with a difference of 0: sum p s = 0.
  EXPECT_EQ(Get(ComputeNgtdm(d, {}), "Coarseness"), 1e6);
  // Marching cubes around one voxel: an octahedron with vertices at +-0.5 mm.
  auto shape = ComputeShape(roi, &roi, {});
  EXPECT_NEAR(Get(shape, "MeshVolume"), 1.0 / 6.0, kTol);
  EXPECT_NEAR(Get(shape, "SurfaceArea"), std::sqrt(3.0), kTol);
  EXPECT_NEAR(Get(shape, "Maximum3DDiameter"), 1.0, kTol);
  EXPECT_TRUE(std::isnan(Get(shape, "Elongation")));
  EXPECT_NEAR(Get(ComputeFirstOrder(roi, d, {}), "Mean"), 7.0, kTol);
}

// ---------------------------------------------------------------------------------------------
// Constant 4x4x4 cube

class ConstantCubeTest : public ::testing::Test {
 protected:
  ConstantCubeTest()
      : case_(MakeCase({6, 6, 6}, [](int, int, int) { return 10.f; },
                       [](int i, int j, int k) {
                         return i >= 1 && i <= 4 && j >= 1 && j <= 4 && k >= 1 && k <= 4;
                       })),
        roi_(RoiOf(case_)),
        levels_(Levels(roi_, 25)) {}
  Case case_;
  Roi roi_;
  DiscretisedRoi levels_;
};

TEST_F(ConstantCubeTest, FirstOrder) {
  FirstOrderSettings s;
  s.voxel_array_shift = 2;
  auto f = ComputeFirstOrder(roi_, levels_, s);
  EXPECT_NEAR(Get(f, "Mean"), 10, kTol);
  EXPECT_NEAR(Get(f, "Variance"), 0, kTol);
  EXPECT_EQ(Get(f, "Skewness"), 0);  // flat ROI: PyRadiomics returns 0
  EXPECT_EQ(Get(f, "Kurtosis"), 0);
  EXPECT_NEAR(Get(f, "Energy"), 64 * 144, kTol);  // (10 + 2)^2 per voxel
  EXPECT_NEAR(Get(f, "Uniformity"), 1, kTol);
  EXPECT_NEAR(Get(f, "Entropy"), 0, 1e-12);
  EXPECT_NEAR(Get(f, "Range"), 0, kTol);
}

TEST_F(ConstantCubeTest, Glcm) {
  auto f = ComputeGlcm(levels_, {});
  EXPECT_NEAR(Get(f, "Contrast"), 0, kTol);
  EXPECT_NEAR(Get(f, "JointEnergy"), 1, kTol);
  EXPECT_NEAR(Get(f, "MaximumProbability"), 1, kTol);
  EXPECT_NEAR(Get(f, "Correlation"), 1, kTol);  // sigma = 0: PyRadiomics defines 1
  EXPECT_NEAR(Get(f, "Imc1"), 0, kTol);
  EXPECT_NEAR(Get(f, "Imc2"), 0, kTol);
  EXPECT_NEAR(Get(f, "MCC"), 1, kTol);
  EXPECT_NEAR(Get(f, "Idmn"), 1, kTol);
}

TEST_F(ConstantCubeTest, GlrlmRunPercentageAveragesOverDirections) {
  // Lines through a 4^3 cube: 16 along each axis, 28 along each face diagonal, 37 along each
  // space diagonal; one run per line.
  EXPECT_NEAR(Get(ComputeGlrlm(levels_, {}), "RunPercentage"),
              (3 * 16 + 6 * 28 + 4 * 37) / (13.0 * 64), kTol);
  TextureSettings merged;
  merged.weighting_norm = WeightingNorm::kNoWeighting;
  EXPECT_NEAR(Get(ComputeGlrlm(levels_, merged), "RunPercentage"), 364.0 / (13 * 64), kTol);
}

TEST_F(ConstantCubeTest, GlszmGldmNgtdm) {
  auto szm = ComputeGlszm(levels_, {});
  EXPECT_NEAR(Get(szm, "LargeAreaEmphasis"), 64 * 64, kTol);
  EXPECT_NEAR(Get(szm, "ZonePercentage"), 1.0 / 64, kTol);
  // Dependence k = product over axes of the in-cube offsets {2 at faces, 3 inside}:
  // 8 voxels k = 8, 24 k = 12, 24 k = 18, 8 k = 27.
  auto gldm = ComputeGldm(levels_, {});
  EXPECT_NEAR(Get(gldm, "LargeDependenceEmphasis"), (8 * 64 + 24 * 144 + 24 * 324 + 8 * 729) / 64.0,
              kTol);
  EXPECT_NEAR(Get(gldm, "SmallDependenceEmphasis"),
              (8 / 64.0 + 24 / 144.0 + 24 / 324.0 + 8 / 729.0) / 64.0, kTol);
  auto ngtdm = ComputeNgtdm(levels_, {});
  EXPECT_EQ(Get(ngtdm, "Coarseness"), 1e6);  // no grey-tone difference anywhere
  EXPECT_EQ(Get(ngtdm, "Contrast"), 0);
  EXPECT_EQ(Get(ngtdm, "Strength"), 0);
}

TEST_F(ConstantCubeTest, ShapeOfMarchingCubesBox) {
  // The midpoint surface of a 4^3 box: 6 faces 3x3, 12 edge chamfers 3 x sqrt(2)/2, 8 corner
  // triangles of side sqrt(2)/2; volume 64 - 12 * 3 * 1/8 - 8 * (1/8 - 1/48) = 176/3.
  auto f = ComputeShape(roi_, &roi_, {});
  EXPECT_NEAR(Get(f, "MeshVolume"), 176.0 / 3, 1e-9);
  EXPECT_NEAR(Get(f, "SurfaceArea"), 54 + 18 * std::sqrt(2.0) + std::sqrt(3.0), 1e-9);
  EXPECT_NEAR(Get(f, "VoxelVolume"), 64, kTol);
  EXPECT_NEAR(Get(f, "Maximum3DDiameter"), std::sqrt(34.0), kTol);
  EXPECT_NEAR(Get(f, "Maximum2DDiameterSlice"), 5, kTol);
  EXPECT_NEAR(Get(f, "Maximum2DDiameterRow"), 5, kTol);
  // Coordinates {0, 1, 2, 3} on each axis: variance 1.25.
  EXPECT_NEAR(Get(f, "MajorAxisLength"), 4 * std::sqrt(1.25), 1e-9);
  EXPECT_NEAR(Get(f, "Elongation"), 1, 1e-9);
  ShapeSettings ibsi;
  ibsi.ibsi = true;
  auto g = ComputeShape(roi_, &roi_, ibsi);
  EXPECT_NEAR(Get(g, "MajorAxisLength"), 4 * std::sqrt(1.25 * 64 / 63), 1e-9);  // N - 1
  EXPECT_NEAR(Get(g, "VolumeDensityAABB"), 176.0 / 3 / 64, 1e-9);
  EXPECT_NEAR(Get(g, "CentreOfMassShift"), 0, 1e-9);
  EXPECT_NEAR(Get(g, "IntegratedIntensity"), 10 * 176.0 / 3, 1e-9);
}

// ---------------------------------------------------------------------------------------------
// Ramp 1..5 along i: one voxel thick, so only the i direction has neighbours.

class RampTest : public ::testing::Test {
 protected:
  RampTest()
      : case_(MakeCase({5, 1, 1}, [](int i, int, int) { return i + 1.f; }, All())),
        roi_(RoiOf(case_)),
        levels_(Levels(roi_, 1)) {}
  Case case_;
  Roi roi_;
  DiscretisedRoi levels_;
};

TEST_F(RampTest, FirstOrderMatchesNumpy) {
  auto f = ComputeFirstOrder(roi_, levels_, {});
  EXPECT_NEAR(Get(f, "Mean"), 3, kTol);
  EXPECT_NEAR(Get(f, "Variance"), 2, kTol);
  EXPECT_NEAR(Get(f, "Skewness"), 0, kTol);
  EXPECT_NEAR(Get(f, "Kurtosis"), 6.8 / 4, kTol);  // m4 = (16 + 1 + 0 + 1 + 16) / 5
  EXPECT_NEAR(Get(f, "10Percentile"), 1.4, kTol);
  EXPECT_NEAR(Get(f, "90Percentile"), 4.6, kTol);
  EXPECT_NEAR(Get(f, "InterquartileRange"), 2, kTol);
  EXPECT_NEAR(Get(f, "MeanAbsoluteDeviation"), 1.2, kTol);
  EXPECT_NEAR(Get(f, "RobustMeanAbsoluteDeviation"), 2.0 / 3, kTol);  // {2, 3, 4}
  EXPECT_NEAR(Get(f, "RootMeanSquared"), std::sqrt(11.0), kTol);
  EXPECT_NEAR(Get(f, "Entropy"), std::log2(5.0), 1e-12);
  FirstOrderSettings ibsi;
  ibsi.ibsi = true;
  EXPECT_NEAR(Get(ComputeFirstOrder(roi_, levels_, ibsi), "Kurtosis"), 1.7 - 3, kTol);
}

TEST_F(RampTest, GlcmOfOneDirection) {
  // P(g, g+1) = P(g+1, g) = 1/8 for g = 1..4.
  auto f = ComputeGlcm(levels_, {});
  EXPECT_NEAR(Get(f, "Contrast"), 1, kTol);
  EXPECT_NEAR(Get(f, "DifferenceAverage"), 1, kTol);
  EXPECT_NEAR(Get(f, "JointEnergy"), 8 / 64.0, kTol);
  EXPECT_NEAR(Get(f, "JointEntropy"), 3, 1e-12);
  EXPECT_NEAR(Get(f, "JointAverage"), 3, kTol);
  EXPECT_NEAR(Get(f, "Id"), 0.5, kTol);
  EXPECT_NEAR(Get(f, "Idm"), 0.5, kTol);
  EXPECT_NEAR(Get(f, "SumAverage"), 6, kTol);
}

TEST_F(RampTest, GlrlmDropsOneVoxelThickDirections) {
  auto f = ComputeGlrlm(levels_, {});
  EXPECT_NEAR(Get(f, "ShortRunEmphasis"), 1, kTol);
  EXPECT_NEAR(Get(f, "RunPercentage"), 1, kTol);
  EXPECT_NEAR(Get(f, "GrayLevelNonUniformity"), 1, kTol);
  EXPECT_NEAR(Get(f, "RunLengthNonUniformity"), 5, kTol);
}

// ---------------------------------------------------------------------------------------------
// Checkerboard of levels 1 and 2

TEST(CheckerboardTest, ContrastAndZones) {
  Case c = MakeCase({4, 4, 4}, [](int i, int j, int k) { return 1.f + (i + j + k) % 2; }, All());
  const DiscretisedRoi d = Levels(RoiOf(c), 1);
  // Axis and space-diagonal neighbours differ (contrast 1), face-diagonal ones agree.
  EXPECT_NEAR(Get(ComputeGlcm(d, {}), "Contrast"), 7.0 / 13, kTol);
  // 26-connected: each level forms one zone of 32; in-plane 8-connected: 2 per slice of 8.
  EXPECT_NEAR(Get(ComputeGlszm(d, {}), "LargeAreaEmphasis"), 32 * 32, kTol);
  TextureSettings planar;
  planar.dimension = TextureDimension::k2_5D;
  EXPECT_NEAR(Get(ComputeGlszm(d, planar), "ZonePercentage"), 8.0 / 64, kTol);
  // GLDZM: every zone touches the border (distance 1).
  EXPECT_NEAR(Get(ComputeGldzm(d, {}), "SmallDistanceEmphasis"), 1, kTol);
  // GLDM: dependents are the face-diagonal neighbours, m_x m_y + m_y m_z + m_z m_x with m = 1
  // at the cube's faces and 2 inside: k = 4 (8 voxels), 6 (24), 9 (24), 13 (8).
  EXPECT_NEAR(Get(ComputeGldm(d, {}), "LargeDependenceEmphasis"),
              (8 * 16 + 24 * 36 + 24 * 81 + 8 * 169) / 64.0, kTol);
}

TEST(NeighbourhoodTest, DistanceTwoReachesPastTheNearestVoxels) {
  // A line of levels 1..5: at Chebyshev distance 2 voxel i sees only i - 2 and i + 2 (the
  // neighbourhood loops read two voxels into the zero padding at both ends).
  Case c = MakeCase({5, 1, 1}, [](int i, int, int) { return 1.f + i; }, All());
  const DiscretisedRoi d = Levels(RoiOf(c), 1);
  TextureSettings two;
  two.distances = {2};
  // NGTDM: |g - mean of neighbours| = 2, 2, 0, 2, 2 (distance 1: 1, 0, 0, 0, 1); p = 1/5 each.
  EXPECT_NEAR(Get(ComputeNgtdm(d, two), "Coarseness"), 1 / (0.2 * 8), kTol);
  EXPECT_NEAR(Get(ComputeNgtdm(d, {}), "Coarseness"), 1 / (0.2 * 2), kTol);
  // GLDM: alpha 0 leaves every voxel alone (k = 1); alpha 2 makes the distance-2 neighbours
  // dependent: k = 2, 2, 3, 2, 2.
  EXPECT_NEAR(Get(ComputeGldm(d, two), "SmallDependenceEmphasis"), 1, kTol);
  two.gldm_alpha = 2;
  EXPECT_NEAR(Get(ComputeGldm(d, two), "LargeDependenceEmphasis"), (4 * 4 + 9) / 5.0, kTol);
  EXPECT_NEAR(Get(ComputeGldm(d, two), "SmallDependenceEmphasis"), (4 / 4.0 + 1 / 9.0) / 5,
              kTol);
}

TEST(ZonesTest, UnionFindCountsTheZonesOfABreadthFirstSearch) {
  // Random levels 1-3 in an irregular ROI: the GLSZM's zone count (ZonePercentage * N_p) must
  // equal a plain 26-connected flood fill's, whatever order the zones' voxels come in.
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> level(1, 3);
  const Index3 n = {9, 8, 7};
  std::vector<float> values(n[0] * n[1] * n[2]);
  for (float& v : values) v = level(rng);
  auto inside = [](int i, int j, int k) { return (i * 7 + j * 3 + k * 5) % 11 != 0; };
  Case c = MakeCase(n, [&](int i, int j, int k) { return values[i + n[0] * (j + n[1] * k)]; },
                    inside);
  const DiscretisedRoi d = Levels(RoiOf(c), 1);
  std::vector<int> seen(values.size(), 0);
  int zones = 0, voxels = 0;
  for (int start = 0; start < static_cast<int>(values.size()); ++start) {
    const int si = start % n[0], sj = start / n[0] % n[1], sk = start / (n[0] * n[1]);
    if (!inside(si, sj, sk)) continue;
    ++voxels;
    if (seen[start]) continue;
    ++zones;
    std::vector<int> stack = {start};
    seen[start] = 1;
    while (!stack.empty()) {
      const int v = stack.back();
      stack.pop_back();
      const int i = v % n[0], j = v / n[0] % n[1], k = v / (n[0] * n[1]);
      for (int dk = -1; dk <= 1; ++dk) {
        for (int dj = -1; dj <= 1; ++dj) {
          for (int di = -1; di <= 1; ++di) {
            const int a = i + di, b = j + dj, e = k + dk;
            if (a < 0 || b < 0 || e < 0 || a >= n[0] || b >= n[1] || e >= n[2]) continue;
            const int w = a + n[0] * (b + n[1] * e);
            if (seen[w] || !inside(a, b, e) || values[w] != values[v]) continue;
            seen[w] = 1;
            stack.push_back(w);
          }
        }
      }
    }
  }
  EXPECT_NEAR(Get(ComputeGlszm(d, {}), "ZonePercentage") * voxels, zones, 1e-9);
}

TEST(GlcmMccTest, SymmetricSolveKeepsPyRadiomicsEpsilonTerm) {
  // A symmetric GLCM of a large ROI: a few grey levels hold only a handful of pairs, so
  // p_x(i) p_y(k) is near 1e-14 and PyRadiomics' + numpy.spacing(1) changes Q. The symmetric
  // path (p_x == p_y) must agree with the general one, which adds eps explicitly; nudging one
  // p_y by an ulp forces the general path.
  const int n = 12;
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> p(n * n, 0.0);
  for (int i = 0; i < n; ++i) {
    for (int j = i; j < n; ++j) {
      const bool rare = i >= n - 3 || j >= n - 3;
      const double v = rare ? (u(rng) < 0.5 ? 20.0 : 0.0) : 1e6 * u(rng);  // pair counts
      p[i * n + j] = p[j * n + i] = v;
    }
  }
  double total = 0;
  for (double v : p) total += v;
  for (double& v : p) v /= total;
  std::vector<double> px(n, 0.0);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) px[i] += p[i * n + j];
  }
  std::vector<double> py = px;
  py[0] = std::nextafter(py[0], 1.0);
  const double symmetric = internal::MaximalCorrelationCoefficient(p, px, px, n);
  const double general = internal::MaximalCorrelationCoefficient(p, px, py, n);
  EXPECT_NEAR(symmetric, general, 1e-9 * general);
  // The term is visible: eps / (p_x p_y) reaches 1e-6 for the rare levels (without the
  // correction the two paths differ by about 1.6e-5 relative here).
  double smallest = 1;
  for (double v : px) smallest = std::min(smallest, v);
  EXPECT_GT(internal::kEps / (smallest * smallest), 1e-6);
}

TEST(Shape2DTest, SquareAndDisc) {
  // A 4x4 square of 1 mm pixels: contour through the edge midpoints around it is a square of
  // side 4 with the 4 corners cut by triangles of legs 0.5: area 16 - 4/8, perimeter
  // 4 * 3 + 4 * sqrt(0.5).
  Case c = MakeCase({6, 6, 1}, [](int, int, int) { return 1.f; },
                    [](int i, int j, int) { return i >= 1 && i <= 4 && j >= 1 && j <= 4; });
  auto f = ComputeShape2D(RoiOf(c), 0);
  EXPECT_NEAR(Get(f, "MeshSurface"), 15.5, kTol);
  EXPECT_NEAR(Get(f, "Perimeter"), 12 + 4 * std::sqrt(0.5), kTol);
  EXPECT_NEAR(Get(f, "PixelSurface"), 16, kTol);
  EXPECT_NEAR(Get(f, "MaximumDiameter"), std::hypot(4.0, 3.0), kTol);  // (-.5,0)-(3.5,3)
  EXPECT_NEAR(Get(f, "Elongation"), 1, kTol);
  // Diagonal pixels stay separate: two diamonds of area 0.5 each.
  Case d = MakeCase({2, 2, 1}, [](int, int, int) { return 1.f; },
                    [](int i, int j, int) { return i == j; });
  EXPECT_NEAR(Get(ComputeShape2D(RoiOf(d), 0), "MeshSurface"), 1.0, kTol);
  Case thick = MakeCase({3, 3, 2}, [](int, int, int) { return 1.f; }, All());
  EXPECT_EQ(ComputeShape2D(RoiOf(thick), 0).status().code(), StatusCode::kInvalidArgument);
}

TEST(SphereTest, MeshApproachesTheSphere) {
  const double r = 10;
  Case c = MakeCase({25, 25, 25}, [](int, int, int) { return 1.f; },
                    [&](int i, int j, int k) {
                      const int di = i - 12, dj = j - 12, dk = k - 12;
                      return di * di + dj * dj + dk * dk <= r * r;
                    });
  const Roi roi = RoiOf(c);
  auto f = ComputeShape(roi, &roi, {});
  EXPECT_NEAR(Get(f, "MeshVolume"), 4.0 / 3 * M_PI * r * r * r, 0.03 * 4.0 / 3 * M_PI * r * r * r);
  EXPECT_GT(Get(f, "Sphericity"), 0.85);
  EXPECT_LT(Get(f, "Sphericity"), 1.0);
  EXPECT_NEAR(Get(f, "Maximum3DDiameter"), 2 * r + 1, 0.5);
  EXPECT_NEAR(Get(f, "MajorAxisLength"), 4 * r / std::sqrt(5.0), 0.05 * r);  // var = r^2 / 5
  EXPECT_NEAR(Get(f, "Elongation"), 1, 0.01);
}

TEST(HullTest, LatticeCubeHasEightVerticesAndExactMeasures) {
  std::vector<internal::IPoint3> pts;
  for (int k = 0; k <= 4; ++k) {
    for (int j = 0; j <= 4; ++j) {
      for (int i = 0; i <= 4; ++i) pts.push_back({i, j, k});
    }
  }
  const internal::Hull3 hull = internal::ConvexHull3(pts);
  EXPECT_EQ(hull.vertices.size(), 8u);
  double volume6 = 0;
  for (const auto& f : hull.faces) {
    const auto& a = pts[f[0]];
    const auto& b = pts[f[1]];
    const auto& c = pts[f[2]];
    volume6 += double(a[0]) * (b[1] * c[2] - b[2] * c[1]) -
               double(a[1]) * (b[0] * c[2] - b[2] * c[0]) +
               double(a[2]) * (b[0] * c[1] - b[1] * c[0]);
  }
  EXPECT_NEAR(volume6 / 6, 64, 1e-12);
  EXPECT_EQ(internal::ConvexHull2({{0, 0}, {2, 0}, {1, 1}, {2, 2}, {0, 2}, {1, 0}}).size(), 4u);
}

TEST(HullTest, DiametersMatchBruteForceOnRandomBlob) {
  std::mt19937 rng(3);
  std::bernoulli_distribution coin(0.6);
  const Index3 size = {9, 7, 6};
  std::vector<uint8_t> mask(size[0] * size[1] * size[2]);
  for (auto& m : mask) m = coin(rng);
  const Vec3 spacing = {0.7, 1.1, 2.3};
  const internal::SurfacePoints pts = internal::SurfaceVertices(mask, size);
  double d3 = 0, slice = 0;
  for (const auto& a : pts.half_index) {
    for (const auto& b : pts.half_index) {
      double d2 = 0;
      for (int d = 0; d < 3; ++d) d2 += std::pow((a[d] - b[d]) * spacing[d] / 2, 2);
      d3 = std::max(d3, d2);
      if (a[2] == b[2]) slice = std::max(slice, d2);
    }
  }
  const internal::Diameters got = internal::MaxDiameters(pts, spacing);
  EXPECT_NEAR(got.d3, std::sqrt(d3), 1e-9);
  EXPECT_NEAR(got.slice, std::sqrt(slice), 1e-9);
  EXPECT_GT(got.hull_volume_mm3, 0);
}

TEST(FamiliesTest, ParallelDispatchMatchesDirectCalls) {
  Case c = MakeCase({6, 5, 4}, [](int i, int j, int k) { return float((i * 7 + j * 3 + k) % 5); },
                    All());
  const Roi roi = RoiOf(c);
  const DiscretisedRoi d = Levels(roi, 1);
  FamilyInput in;
  in.intensity = &roi;
  in.discretised = &d;
  const std::vector<Family> families = {Family::kGlcm, Family::kGlrlm, Family::kShape};
  const auto results = ComputeFamilies(families, in, AllSettings{});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(Get(results[0], "Contrast"), Get(ComputeGlcm(d, {}), "Contrast"));
  EXPECT_EQ(Get(results[1], "RunEntropy"), Get(ComputeGlrlm(d, {}), "RunEntropy"));
  EXPECT_EQ(std::string(FamilyName(Family::kGlszm)), "glszm");
  EXPECT_EQ(FamilyFromName("ngtdm"), Family::kNgtdm);
}

// Sphere means by direct summation over every voxel centre within the 1 cm^3 sphere (the
// definition; the family convolves by FFT).
std::pair<double, double> BruteForcePeaks(const Case& c, const Roi& roi) {
  const double r = 10.0 * std::cbrt(3.0 / (4.0 * M_PI));
  const Vec3 sp = c.image.geometry().spacing_mm;
  const Index3 s = c.image.size();
  double local = -1e300, global = -1e300;
  const double top = *std::max_element(roi.values.begin(), roi.values.end());
  for (int64_t k = 0; k < s[2]; ++k) {
    for (int64_t j = 0; j < s[1]; ++j) {
      for (int64_t i = 0; i < s[0]; ++i) {
        if (!c.mask.at(i, j, k)) continue;
        double sum = 0;
        int64_t count = 0;
        for (int64_t kk = 0; kk < s[2]; ++kk) {
          for (int64_t jj = 0; jj < s[1]; ++jj) {
            for (int64_t ii = 0; ii < s[0]; ++ii) {
              const double dx = (ii - i) * sp[0], dy = (jj - j) * sp[1], dz = (kk - k) * sp[2];
              if (dx * dx + dy * dy + dz * dz > r * r) continue;
              sum += c.image.at(ii, jj, kk);
              ++count;
            }
          }
        }
        global = std::max(global, sum / count);
        if (c.image.at(i, j, k) == top) local = std::max(local, sum / count);
      }
    }
  }
  return {local, global};
}

TEST(LocalIntensityTest, FftSphereMeansMatchDirectSummation) {
  // Anisotropic voxels, an ROI touching two image faces (clipped spheres) and several
  // hottest voxels.
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> value(-300, 900);
  std::vector<float> noise(26 * 22 * 17);
  for (float& v : noise) v = value(rng);
  Case c = MakeCase(
      {26, 22, 17}, [&](int i, int j, int k) { return noise[i + 26 * (j + 22 * k)]; },
      [](int i, int j, int k) { return (i - 3) * (i - 3) + (j - 12) * (j - 12) + k * k < 60; },
      {0.9, 0.8, 1.25});
  c.image.at(2, 12, 0) = c.image.at(4, 11, 2) = 2000;
  const Roi roi = RoiOf(c);
  const auto [local, global] = BruteForcePeaks(c, roi);
  const StatusOr<FeatureList> f = ComputeLocalIntensity(c.image, roi);
  EXPECT_NEAR(Get(f, "LocalIntensityPeak"), local, 1e-10 * std::fabs(local));
  EXPECT_NEAR(Get(f, "GlobalIntensityPeak"), global, 1e-10 * std::fabs(global));
}

}  // namespace
}  // namespace amdrn::radiomics
