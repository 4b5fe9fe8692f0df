#include "dl/roi.h"

#include <cmath>

#include <gtest/gtest.h>

#include "dl/config.h"
#include "dl/metrics.h"

namespace amdrn::dl {
namespace {

// 40x40x40 grid at 0.5 mm, origin (10, -5, 20): bone block i,j in [16, 24), k in [8, 14);
// sinus above it from k = 14 (floor) to 30, wider than the bone; a small bone speck elsewhere.
LabelMap Anatomy() {
  Geometry g;
  g.size = {40, 40, 40};
  g.spacing_mm = {0.5, 0.5, 0.5};
  g.origin_lps = {10, -5, 20};
  LabelMap labels(g, 0);
  for (int k = 0; k < 40; ++k) {
    for (int j = 0; j < 40; ++j) {
      for (int i = 0; i < 40; ++i) {
        if (i >= 16 && i < 24 && j >= 16 && j < 24 && k >= 8 && k < 14)
          labels.at(i, j, k) = kLabelBone;
        if (i >= 10 && i < 30 && j >= 10 && j < 30 && k >= 14 && k < 30)
          labels.at(i, j, k) = kLabelSinus;
      }
    }
  }
  labels.at(2, 2, 2) = kLabelBone;  // speck: not the largest component
  return labels;
}

TEST(ImplantSite, SiteColumnFromTheAnatomyModule) {
  auto site = FindImplantSite(Anatomy(), RoiOptions());
  ASSERT_TRUE(site.ok()) << site.status().ToString();
  // Bone spans k 8..13: crest at index 7.5, floor at 13.5; the column is at i, j 19 or 20.
  EXPECT_NEAR(site->sinus_floor_lps[2], 20 + 0.5 * 13.5, 1e-9);
  EXPECT_NEAR(site->bone_centroid_lps[2], 20 + 0.5 * 10.5, 1e-9);
  EXPECT_NEAR(site->center_lps[2], 20 + 0.5 * 12, 1e-9);
  EXPECT_NEAR(site->center_lps[0], 10 + 0.5 * 19.5, 0.26);
  EXPECT_NEAR(site->center_lps[1], -5 + 0.5 * 19.5, 0.26);
}

TEST(ImplantSite, CentroidFallbackUsesLargestBoneComponentAndFloorAbove) {
  RoiOptions options;
  auto site = FindImplantSiteByCentroid(Anatomy(), options);
  ASSERT_TRUE(site.ok()) << site.status().ToString();
  // Bone centroid index (19.5, 19.5, 10.5) -> point origin + 0.5 * index.
  EXPECT_NEAR(site->bone_centroid_lps[0], 10 + 0.5 * 19.5, 1e-9);
  EXPECT_NEAR(site->bone_centroid_lps[1], -5 + 0.5 * 19.5, 1e-9);
  EXPECT_NEAR(site->bone_centroid_lps[2], 20 + 0.5 * 10.5, 1e-9);
  ASSERT_TRUE(site->floor_found);
  EXPECT_NEAR(site->sinus_floor_lps[2], 20 + 0.5 * 14, 1e-9);
  EXPECT_NEAR(site->center_lps[2], 20 + 0.5 * (10.5 + 14) / 2, 1e-9);
  EXPECT_NEAR(site->center_lps[0], site->bone_centroid_lps[0], 1e-9);
}

TEST(ImplantSite, NoBoneIsAnError) {
  LabelMap labels = Anatomy();
  for (auto& v : labels.voxels()) v = v == kLabelBone ? 0 : v;
  auto site = FindImplantSite(labels, RoiOptions());
  EXPECT_EQ(site.status().code(), StatusCode::kFailedPrecondition);
}

TEST(ImplantSite, NoSinusCentresOnTheBone) {
  LabelMap labels = Anatomy();
  for (auto& v : labels.voxels()) v = v == kLabelSinus ? 0 : v;
  auto site = FindImplantSiteByCentroid(labels, RoiOptions());
  ASSERT_TRUE(site.ok());
  EXPECT_FALSE(site->floor_found);
  EXPECT_EQ(site->center_lps, site->bone_centroid_lps);
}

TEST(RoiOptions, RejectsBadSizes) {
  RoiOptions options;
  EXPECT_EQ(options.EdgeVoxels(), 56);
  EXPECT_TRUE(options.Validate().ok());
  options.voxel_mm = 0;
  EXPECT_FALSE(options.Validate().ok());
  options.voxel_mm = 0.01;
  EXPECT_FALSE(options.Validate().ok());
}

TEST(ExtractRoi, ResamplesImageAndLabelsOnAnLpsGrid) {
  LabelMap labels = Anatomy();
  ImageF image(labels.geometry(), 0.0f);
  // Intensity ramp along S so the normalised ROI must increase along its k axis.
  for (int k = 0; k < 40; ++k)
    for (int j = 0; j < 40; ++j)
      for (int i = 0; i < 40; ++i) image.at(i, j, k) = static_cast<float>(k);
  RoiOptions options;
  options.box_mm = 8;
  options.voxel_mm = 1;
  auto roi = ExtractRoi(image, labels, options);
  ASSERT_TRUE(roi.ok()) << roi.status().ToString();
  const int n = 8;
  ASSERT_EQ(roi->image.size(), size_t(n * n * n));
  EXPECT_LT(roi->image[0], roi->image[n * n * (n - 1)]);
  // Centre voxel (3.5 along each axis) sits at the site centre.
  Vec3 centre = roi->grid.IndexToPoint({3.5, 3.5, 3.5});
  for (int a = 0; a < 3; ++a) EXPECT_NEAR(centre[a], roi->site.center_lps[a], 1e-9);
  // Centre (z = 26 mm, scan index 12) is inside the bone, the top layer inside the sinus.
  EXPECT_EQ(roi->labels[3 + n * (3 + n * 3)], kLabelBone);
  EXPECT_EQ(roi->labels[3 + n * (3 + n * 7)], kLabelSinus);
}

TEST(ExtractRoi, GeometryMismatchIsAnError) {
  LabelMap labels = Anatomy();
  Geometry other = labels.geometry();
  other.spacing_mm = {0.4, 0.4, 0.4};
  ImageF image(other, 0.0f);
  auto roi = ExtractRoi(image, labels, RoiOptions());
  EXPECT_EQ(roi.status().code(), StatusCode::kFailedPrecondition);
}

TEST(MapRoiToVolume, PlacesTheBoxBackAtItsPhysicalPosition) {
  Geometry target;
  target.size = {30, 30, 30};
  target.spacing_mm = {1, 1, 1};
  target.direction = {0, -1, 0, 1, 0, 0, 0, 0, 1};  // rotated scan axes
  RoiOptions options;
  options.box_mm = 6.5;
  options.voxel_mm = 0.5;
  Vec3 centre = target.IndexToPoint({15, 15, 15});
  Geometry roi = RoiGeometry(centre, options);
  std::vector<float> ones(roi.NumVoxels(), 1.0f);
  ImageF out = MapRoiToVolume(ones, roi, target);
  EXPECT_FLOAT_EQ(out.at(15, 15, 15), 1.0f);
  EXPECT_FLOAT_EQ(out.at(17, 13, 17), 1.0f);
  EXPECT_FLOAT_EQ(out.at(19, 15, 15), 0.0f);
  EXPECT_FLOAT_EQ(out.at(0, 0, 0), 0.0f);
  double sum = 0;
  for (float v : out.voxels()) sum += v;
  EXPECT_NEAR(sum, 7 * 7 * 7, 1e-4);  // scan voxels within 3.25 mm of the centre per axis
}

TEST(Metrics, MannWhitneyAucWithTies) {
  EXPECT_DOUBLE_EQ(MannWhitneyAuc({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}), 0.75);
  EXPECT_DOUBLE_EQ(MannWhitneyAuc({0.5, 0.5, 0.5, 0.5}, {0, 1, 0, 1}), 0.5);
  EXPECT_TRUE(std::isnan(MannWhitneyAuc({0.1, 0.2}, {1, 1})));
  EXPECT_DOUBLE_EQ(Accuracy({0.1, 0.9, 0.6}, {0, 1, 0}, 0.5), 2.0 / 3.0);
}

TEST(DlConfig, JsonRoundTripAndMissingField) {
  DlConfig config;
  config.net.attention = Attention::kSe;
  config.train.augment.flip_lr = true;
  auto back = DlConfigFromJson(ToJson(config));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->net.attention, Attention::kSe);
  EXPECT_TRUE(back->train.augment.flip_lr);
  EXPECT_EQ(ToJson(*back), ToJson(config));
  nlohmann::json broken = ToJson(config);
  broken["net"].erase("depth");
  EXPECT_EQ(DlConfigFromJson(broken).status().code(), StatusCode::kInvalidArgument);
  broken = ToJson(config);
  broken["net"]["depth"] = 34;
  EXPECT_EQ(DlConfigFromJson(broken).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace amdrn::dl
