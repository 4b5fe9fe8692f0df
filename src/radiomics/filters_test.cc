#include "radiomics/filters.h"

#include <gtest/gtest.h>
#include <itkLaplacianRecursiveGaussianImageFilter.h>

#include <cmath>
#include <map>

#include "io/itk_bridge.h"

namespace amdrn::radiomics {
namespace {

// 7x6x5 test image (i fastest) with spacing 0.5 x 0.7 x 1.1 mm:
// v = 1.5 i + 0.25 j^2 - 2 k + (i j k mod 7). Reference values below were produced by
// PyRadiomics 3.0.1 (pywt 1.9.0, SimpleITK 2.5.7) on the same array:
//   getWaveletImage / getLoGImage(sigma=[1.0]) / getGradientImage / getSquareImage ...
RealVolume TestImage() {
  Geometry g;
  g.size = {7, 6, 5};
  g.spacing_mm = {0.5, 0.7, 1.1};
  RealVolume image(g);
  for (int k = 0; k < 5; ++k) {
    for (int j = 0; j < 6; ++j) {
      for (int i = 0; i < 7; ++i) {
        image.at(i, j, k) = 1.5 * i + 0.25 * j * j - 2 * k + (i * j * k) % 7;
      }
    }
  }
  return image;
}

std::map<std::string, RealVolume> Collect(
    const std::function<Status(const DerivedImageFn&)>& run) {
  std::map<std::string, RealVolume> out;
  EXPECT_TRUE(run([&](const std::string& name, const RealVolume& image) {
                out[name] = image;
                return OkStatus();
              }).ok());
  return out;
}

TEST(LogSigmaNameTest, MatchesPythonFloatText) {
  EXPECT_EQ(LogSigmaName(1.0), "1-0");
  EXPECT_EQ(LogSigmaName(0.5), "0-5");
  EXPECT_EQ(LogSigmaName(3), "3-0");
  EXPECT_EQ(LogSigmaName(2.25), "2-25");
}

TEST(WaveletTest, MatchesPyRadiomicsCoif1) {
  const RealVolume image = TestImage();
  std::vector<std::string> order;
  auto images = Collect([&](const DerivedImageFn& fn) {
    return WaveletImages(image, {}, [&](const std::string& n, RealVolume&& v) {
      order.push_back(n);
      return fn(n, std::move(v));
    });
  });
  EXPECT_EQ(order, (std::vector<std::string>{"wavelet-LLH", "wavelet-LHL", "wavelet-LHH",
                                             "wavelet-HLL", "wavelet-HLH", "wavelet-HHL",
                                             "wavelet-HHH", "wavelet-LLL"}));
  // name -> value at (i4, j3, k2), (0, 0, 0), (6, 5, 4)
  const std::map<std::string, std::array<double, 3>> expected = {
      {"wavelet-LLH", {2.194288946240509, -0.214626218927134, -5.801678216853281}},
      {"wavelet-LHL", {-3.0024598922201204, 1.5085918880092017, 8.941128278354924}},
      {"wavelet-LHH", {1.764854356839525, -0.07507265815002834, 1.5566743521031645}},
      {"wavelet-HLL", {-2.4916143949238063, -0.363937654007588, 9.782500191387447}},
      {"wavelet-HLH", {-0.23911837020359272, 0.8521835102314688, 0.7372588369788899}},
      {"wavelet-HHL", {2.072760234997209, -0.10689317918675882, 1.5623738631701478}},
      {"wavelet-HHH", {0.5586632463900487, -0.3292507241856287, 0.7305479930811204}},
      {"wavelet-LLL", {22.22460294306093, 3.332228489341146, 18.841506769846696}}};
  for (const auto& [name, values] : expected) {
    const RealVolume& v = images.at(name);
    ASSERT_EQ(v.size(), image.size()) << name;
    EXPECT_NEAR(v.at(4, 3, 2), values[0], 1e-12) << name;
    EXPECT_NEAR(v.at(0, 0, 0), values[1], 1e-12) << name;
    EXPECT_NEAR(v.at(6, 5, 4), values[2], 1e-12) << name;
  }
}

TEST(WaveletTest, UndecimatedTransformKeepsEightTimesTheEnergy) {
  // Orthogonal filters, periodic extension, even sides: each 1D split doubles the energy.
  Geometry g;
  g.size = {8, 6, 4};
  RealVolume image(g);
  double energy = 0.0;
  for (int64_t n = 0; n < image.NumVoxels(); ++n) {
    image.data()[n] = std::sin(0.37 * n) * 10 + (n % 5);
    energy += image.data()[n] * image.data()[n];
  }
  for (const std::string wavelet : {"haar", "db3", "sym4", "coif2"}) {
    double total = 0.0;
    WaveletOptions options;
    options.wavelet = wavelet;
    ASSERT_TRUE(WaveletImages(image, options, [&](const std::string&, const RealVolume& v) {
                  for (double x : v.voxels()) total += x * x;
                  return OkStatus();
                }).ok());
    EXPECT_NEAR(total, 8 * energy, 1e-9 * energy) << wavelet;
  }
}

TEST(WaveletTest, SecondLevelAndForce2DNames) {
  const RealVolume image = TestImage();
  WaveletOptions options;
  options.level = 2;
  auto images =
      Collect([&](const DerivedImageFn& fn) { return WaveletImages(image, options, fn); });
  EXPECT_EQ(images.size(), 15u);  // 7 + 7 details and the level-2 approximation
  EXPECT_TRUE(images.count("wavelet2-HHH"));
  EXPECT_TRUE(images.count("wavelet2-LLL"));
  options = WaveletOptions();
  options.skip_axis = 2;  // force2D with force2Ddimension 0: no decomposition along z
  images = Collect([&](const DerivedImageFn& fn) { return WaveletImages(image, options, fn); });
  EXPECT_EQ(images.size(), 4u);
  EXPECT_TRUE(images.count("wavelet-HL"));
  options.wavelet = "nope";
  EXPECT_FALSE(WaveletImages(image, options, [](const std::string&, const RealVolume&) {
                 return OkStatus();
               }).ok());
}

TEST(LogTest, MatchesSimpleItkAndAppliesSizeRules) {
  const RealVolume image = TestImage();
  auto images = Collect([&](const DerivedImageFn& fn) { return LogImages(image, {1.0}, fn); });
  const RealVolume& log = images.at("log-sigma-1-0-mm-3D");
  EXPECT_NEAR(log.at(4, 3, 2), -1.5772302, 2e-6);  // SimpleITK float32 output
  EXPECT_NEAR(log.at(0, 0, 0), 1.1460665, 2e-6);
  // sigma 6 mm needs ceil(6 / 1.1) + 1 = 7 slices; the image has 5: skipped.
  images = Collect([&](const DerivedImageFn& fn) { return LogImages(image, {6.0, -1.0}, fn); });
  EXPECT_TRUE(images.empty());
}

// A less regular image for the region tests: odd sides, anisotropic spacing.
RealVolume NoisyImage(const Index3& size) {
  Geometry g;
  g.size = size;
  g.spacing_mm = {0.4, 0.3, 0.5};
  g.origin_lps = {-3, 2, 7};
  RealVolume image(g);
  uint32_t state = 12345;
  for (double& v : image.voxels()) {
    state = state * 1664525u + 1013904223u;
    v = std::round((state >> 8) % 2000) - 700.0;
  }
  return image;
}

TEST(LogTest, EqualsItkLaplacianRecursiveGaussianExactly) {
  // The recursion reproduces itk::LaplacianRecursiveGaussianImageFilter (as SimpleITK and
  // PyRadiomics run it) operation for operation.
  const RealVolume image = NoisyImage({23, 18, 15});
  for (double sigma : {0.7, 1.5, 3.0}) {
    using ItkReal = io::ItkImage<double>;
    auto filter = itk::LaplacianRecursiveGaussianImageFilter<ItkReal, ItkReal>::New();
    filter->SetInput(io::ToItk<double>(image));
    filter->SetNormalizeAcrossScale(true);
    filter->SetSigma(sigma);
    filter->Update();
    const RealVolume itk = io::FromItk<double>(filter->GetOutput());
    auto ours = Collect([&](const DerivedImageFn& fn) { return LogImages(image, {sigma}, fn); });
    ASSERT_EQ(ours.size(), 1u);
    const RealVolume& log = ours.begin()->second;
    ASSERT_EQ(log.size(), image.size());
    int64_t differ = 0;
    for (int64_t n = 0; n < image.NumVoxels(); ++n) differ += log.data()[n] != itk.data()[n];
    EXPECT_EQ(differ, 0) << "sigma " << sigma;
  }
}

// Compares a filter's output on `region` with its whole-image output, voxel by voxel.
void ExpectRegionEqualsWhole(const std::map<std::string, RealVolume>& whole,
                             const std::map<std::string, RealVolume>& part,
                             const FilterRegion& region) {
  ASSERT_EQ(whole.size(), part.size());
  for (const auto& [name, full] : whole) {
    const RealVolume& box = part.at(name);
    ASSERT_EQ(box.size(), region.size) << name;
    const Vec3 corner = full.geometry().IndexToPoint(
        {double(region.lower[0]), double(region.lower[1]), double(region.lower[2])});
    EXPECT_EQ(box.geometry().origin_lps, corner) << name;
    int64_t differ = 0;
    for (int64_t k = 0; k < region.size[2]; ++k) {
      for (int64_t j = 0; j < region.size[1]; ++j) {
        for (int64_t i = 0; i < region.size[0]; ++i) {
          differ += box.at(i, j, k) != full.at(region.lower[0] + i, region.lower[1] + j,
                                               region.lower[2] + k);
        }
      }
    }
    EXPECT_EQ(differ, 0) << name << " region at " << region.lower[0] << "," << region.lower[1]
                         << "," << region.lower[2];
  }
}

// Boxes inside, at the low corner, at the high corner and spanning an axis: values next to
// the box faces must not change, since PyRadiomics filters the whole image.
std::vector<FilterRegion> TestRegions(const Index3& size) {
  return {{{5, 4, 3}, {7, 6, 5}},
          {{0, 0, 0}, {4, 5, 3}},
          {{size[0] - 3, size[1] - 6, size[2] - 4}, {3, 6, 4}},
          {{0, 2, 1}, {size[0], 1, size[2] - 1}}};
}

TEST(LogTest, RegionEqualsTheWholeImage) {
  const RealVolume image = NoisyImage({23, 18, 15});
  const std::vector<double> sigmas = {0.6, 2.0};
  const auto whole =
      Collect([&](const DerivedImageFn& fn) { return LogImages(image, sigmas, fn); });
  for (const FilterRegion& region : TestRegions(image.size())) {
    const auto part =
        Collect([&](const DerivedImageFn& fn) { return LogImages(image, sigmas, fn, region); });
    ExpectRegionEqualsWhole(whole, part, region);
  }
}

TEST(WaveletTest, RegionEqualsTheWholeImage) {
  const RealVolume image = NoisyImage({23, 18, 15});  // odd sides: wrap-padded
  std::vector<WaveletOptions> variants(4);
  variants[1].wavelet = "db3";
  variants[2].level = 2;
  variants[2].start_level = 1;
  variants[3].skip_axis = 2;
  variants[3].wavelet = "haar";
  for (const WaveletOptions& options : variants) {
    const auto whole =
        Collect([&](const DerivedImageFn& fn) { return WaveletImages(image, options, fn); });
    EXPECT_EQ(whole.size(), options.skip_axis < 0 ? 7u * options.level + 1 : 4u);
    for (const FilterRegion& region : TestRegions(image.size())) {
      const auto part = Collect(
          [&](const DerivedImageFn& fn) { return WaveletImages(image, options, fn, region); });
      ExpectRegionEqualsWhole(whole, part, region);
    }
  }
}

TEST(GradientTest, MatchesSimpleItk) {
  StatusOr<RealVolume> g = GradientImage(TestImage(), true);
  ASSERT_TRUE(g.ok());
  EXPECT_NEAR(g->at(4, 3, 2), 5.1940584, 1e-6);
  EXPECT_NEAR(g->at(0, 0, 0), 1.7630469, 1e-6);
}

TEST(PointFiltersTest, MatchPyRadiomicsFormulas) {
  const RealVolume image = TestImage();
  EXPECT_NEAR(SquareImage(image).at(4, 3, 2), 3.2346153846153856, 1e-12);
  EXPECT_NEAR(SquareRootImage(image).at(4, 3, 2), 10.854146673046206, 1e-12);
  EXPECT_NEAR(LogarithmImage(image).at(4, 3, 2), 12.041160995879636, 1e-12);
  EXPECT_NEAR(ExponentialImage(image).at(4, 3, 2), 3.4691804159231014, 1e-12);
  EXPECT_EQ(ExponentialImage(image).at(0, 0, 0), 1.0);
  // Negative inputs keep their sign in square root and logarithm.
  Geometry g;
  g.size = {2, 1, 1};
  RealVolume signed_image(g);
  signed_image.at(0, 0, 0) = -4;
  signed_image.at(1, 0, 0) = 1;
  EXPECT_DOUBLE_EQ(SquareRootImage(signed_image).at(0, 0, 0), -4.0);  // -sqrt(4 * 4)
  EXPECT_DOUBLE_EQ(LogarithmImage(signed_image).at(0, 0, 0), -4.0);   // rescaled to max |x|
}

}  // namespace
}  // namespace amdrn::radiomics

namespace amdrn::radiomics {
namespace {

TEST(Lbp3dTest, MatchesPyRadiomics) {
  // Reference: PyRadiomics 3.0.1 getLBP3DImage (scipy 1.14, trimesh 5.2) on TestImage() with
  // ROI voxels (i4, j3, k2), (i3, j3, k2), (i3, j2, k1). At (i3, j3, k2) some samples equal the
  // centre value up to rounding, so the >= test flips between spline implementations: only its
  // kurtosis is compared.
  const RealVolume image = TestImage();
  LabelMap roi(image.geometry(), 0);
  roi.at(4, 3, 2) = roi.at(3, 3, 2) = roi.at(3, 2, 1) = 1;
  auto images = Collect([&](const DerivedImageFn& fn) { return Lbp3dImages(image, roi, {}, fn); });
  ASSERT_EQ(images.size(), 3u);
  const std::map<std::string, std::array<double, 3>> expected = {
      {"lbp-3D-m1", {12.377303004581199, 10.314419170484335, 0.0}},
      {"lbp-3D-m2", {13.116233368640831, 12.987700916830528, 0.0}},
      {"lbp-3D-k", {-0.6293938180743059, -0.8036701427872375, -0.4789024414024925}}};
  for (const auto& [name, values] : expected) {
    const RealVolume& v = images.at(name);
    EXPECT_NEAR(v.at(4, 3, 2), values[0], 1e-6) << name;
    if (name == "lbp-3D-k") {
      EXPECT_NEAR(v.at(3, 3, 2), values[1], 1e-6) << name;
    }
    EXPECT_NEAR(v.at(3, 2, 1), values[2], 1e-6) << name;
    EXPECT_EQ(v.at(0, 0, 0), 0.0) << name;  // outside the ROI
  }
}

}  // namespace
}  // namespace amdrn::radiomics
