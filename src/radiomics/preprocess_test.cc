#include "radiomics/preprocess.h"

#include <gtest/gtest.h>

#include <cmath>

namespace amdrn::radiomics {
namespace {

LabelMap EmptyMask(Index3 size) {
  Geometry g;
  g.size = size;
  return LabelMap(g, 0);
}

TEST(CheckMaskTest, RejectsAbsentSingleVoxelFlatAndSmallRois) {
  LabelMap mask = EmptyMask({5, 5, 5});
  StatusOr<BoundingBox> box = CheckMask(mask, {});
  EXPECT_EQ(box.status().code(), StatusCode::kNotFound);
  EXPECT_NE(box.status().message().find("the mask is empty"), std::string::npos);

  mask.at(2, 2, 2) = 2;
  box = CheckMask(mask, {});
  EXPECT_EQ(box.status().code(), StatusCode::kNotFound);
  EXPECT_NE(box.status().message().find("labels present: 2"), std::string::npos);

  mask.at(2, 2, 2) = 1;
  box = CheckMask(mask, {});
  EXPECT_EQ(box.status().code(), StatusCode::kFailedPrecondition);  // single voxel

  mask.at(3, 2, 2) = 1;  // a line: 1 dimension
  EXPECT_FALSE(CheckMask(mask, {1, 2, std::nullopt}).ok());
  box = CheckMask(mask, {1, 1, std::nullopt});
  ASSERT_TRUE(box.ok());
  EXPECT_EQ(box->lower, (Index3{2, 2, 2}));
  EXPECT_EQ(box->Size(), (Index3{2, 1, 1}));
  EXPECT_FALSE(CheckMask(mask, {1, 1, 2}).ok());  // 2 voxels: not more than minimumROISize 2
  EXPECT_TRUE(CheckMask(mask, {1, 1, 1}).ok());
}

TEST(ResegmentTest, AbsoluteRelativeAndSigmaModes) {
  Geometry g;
  g.size = {5, 1, 1};
  RealVolume image(g);
  LabelMap mask(g, 1);
  for (int i = 0; i < 5; ++i) image.at(i, 0, 0) = i * 10;  // 0 10 20 30 40
  StatusOr<LabelMap> m = ResegmentMask(image, mask, 1, {10, 30}, "absolute");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(CountLabel(*m, 1), 3);
  m = ResegmentMask(image, mask, 1, {0.5}, "relative");  // >= 20
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(CountLabel(*m, 1), 3);
  // mean 20, population SD sqrt(200) = 14.14: [-1, 1] SD keeps 10, 20, 30.
  m = ResegmentMask(image, mask, 1, {-1, 1}, "sigma");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(CountLabel(*m, 1), 3);
  EXPECT_EQ(ResegmentMask(image, mask, 1, {35, 100}, "absolute").status().code(),
            StatusCode::kFailedPrecondition);  // one voxel left
  EXPECT_FALSE(ResegmentMask(image, mask, 1, {1, 2}, "bogus").ok());
}

TEST(NormalizeTest, SampleStandardDeviationOutliersAndScale) {
  Geometry g;
  g.size = {4, 1, 1};
  RealVolume image(g);
  for (int i = 0; i < 4; ++i) image.at(i, 0, 0) = i;  // mean 1.5, sample SD sqrt(5/3)
  RealVolume n = NormalizeImage(image, 100, std::nullopt);
  EXPECT_NEAR(n.at(0, 0, 0), -1.5 / std::sqrt(5.0 / 3.0) * 100, 1e-9);
  n = NormalizeImage(image, 1, 1.0);
  EXPECT_DOUBLE_EQ(n.at(0, 0, 0), -1.0);
  EXPECT_DOUBLE_EQ(n.at(3, 0, 0), 1.0);
}

TEST(ResampleTest, PyRadiomicsGridAroundTheRoi) {
  Geometry g;
  g.size = {20, 20, 10};
  g.spacing_mm = {1, 1, 2};
  g.origin_lps = {10, 20, 30};
  RealVolume image(g);
  for (int64_t n = 0; n < image.NumVoxels(); ++n) image.data()[n] = static_cast<double>(n % 97);
  LabelMap mask(g, 0);
  for (int k = 4; k <= 5; ++k) {
    for (int j = 8; j <= 11; ++j) {
      for (int i = 6; i <= 9; ++i) mask.at(i, j, k) = 1;
    }
  }
  ResampleOptions options;
  options.spacing_mm = {2, 2, 2};
  options.pad_distance = 1;
  StatusOr<ImageAndMask> r = ResampleImageAndMask(image, mask, options);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Geometry& out = r->image.geometry();
  // x: bounds floor((6 - 0.5) * 0.5 - 1) = 1 .. ceil((10 - 0.5) * 0.5 + 1) = 6 -> 6 voxels.
  EXPECT_EQ(out.size, (Index3{6, 6, 6}));
  EXPECT_EQ(out.spacing_mm, (Vec3{2, 2, 2}));
  // Origin: index 0.5 * (2 - 1) / 1 + 1 / 0.5 = 2.5 along x -> 12.5 mm.
  EXPECT_NEAR(out.origin_lps[0], 12.5, 1e-12);
  EXPECT_NEAR(out.origin_lps[2], 30 + 2 * 2, 1e-12);  // z: floor(3.5 - 1) = 2
  EXPECT_EQ(CountLabel(r->mask, 1), 2 * 2 * 2);
  // Same spacing: only a crop with padding.
  options.spacing_mm = {1, 1, 2};
  r = ResampleImageAndMask(image, mask, options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->image.size(), (Index3{6, 6, 4}));
  EXPECT_EQ(r->image.at(0, 0, 0), image.at(5, 7, 3));
}

TEST(ResampleTest, IntegerImagesAreTruncatedLikeSimpleItk) {
  Geometry g;
  g.size = {8, 8, 8};
  RealVolume image(g);
  for (int64_t n = 0; n < image.NumVoxels(); ++n) image.data()[n] = static_cast<double>(n % 13);
  LabelMap mask(g, 0);
  for (int i = 2; i < 6; ++i) mask.at(i, i, i) = mask.at(i, i, 3) = 1;
  ResampleOptions options;
  options.spacing_mm = {0.7, 0.7, 0.7};
  options.pixel_type = {true, -32768, 32767};
  StatusOr<ImageAndMask> r = ResampleImageAndMask(image, mask, options);
  ASSERT_TRUE(r.ok());
  for (double v : r->image.voxels()) EXPECT_EQ(v, std::trunc(v));
}

TEST(ConnectedComponentsTest, UsesFullConnectivity) {
  LabelMap mask = EmptyMask({4, 4, 4});
  mask.at(0, 0, 0) = mask.at(1, 1, 1) = 1;  // corner neighbours: one component
  mask.at(3, 3, 3) = 1;
  EXPECT_EQ(CountConnectedComponents(mask, 1), 2);
}

TEST(PyReprTest, FormatsLikePython) {
  EXPECT_EQ(PyRepr(6.5), "6.5");
  EXPECT_EQ(PyRepr(1.0), "1.0");
  EXPECT_EQ(PyRepr(0.1), "0.1");
  EXPECT_EQ(PyRepr(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(PyRepr(123456.0), "123456.0");
}

TEST(DiagnosticsTest, MaskDiagnosticsAsPyRadiomics) {
  Geometry g;
  g.size = {4, 4, 4};
  g.spacing_mm = {0.5, 0.5, 1};
  RealVolume image(g, 3.0);
  LabelMap mask(g, 0);
  mask.at(1, 1, 1) = mask.at(2, 1, 1) = 1;
  Diagnostics d;
  AddMaskDiagnostics(&image, mask, 1, "original", &d);
  std::map<std::string, std::string> m(d.begin(), d.end());
  EXPECT_EQ(m["Mask-original_BoundingBox"], "(1, 1, 1, 2, 1, 1)");
  EXPECT_EQ(m["Mask-original_VoxelNum"], "2");
  EXPECT_EQ(m["Mask-original_VolumeNum"], "1");
  EXPECT_EQ(m["Mask-original_CenterOfMassIndex"], "(1.5, 1.0, 1.0)");
  EXPECT_EQ(m["Mask-original_CenterOfMass"], "(0.75, 0.5, 1.0)");
  EXPECT_EQ(m["Mask-original_Mean"], "3.0");
}

TEST(GeometryTest, MismatchIsAClearError) {
  Geometry a, b;
  a.size = b.size = {3, 3, 3};
  b.spacing_mm = {1, 1, 2};
  Status s = CheckImageMaskGeometry(a, b, 1e-4);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("correctMask"), std::string::npos);
}

}  // namespace
}  // namespace amdrn::radiomics
