#include "anatomy/anatomy.h"

#include <gtest/gtest.h>

#include <cmath>

namespace amdrn::anatomy {
namespace {

// A 20x20x30 grid at 0.5 mm: bone block (label 3) over i 6..13, j 4..11 (footprint centre
// 9.5, 7.5), k 2..9 (8 voxels = 4 mm); membrane k 10..12 (1.5 mm); sinus lumen k 13..28 over
// i 2..17, with membrane lining its sides.
LabelMap MakeLabels() {
  Geometry g;
  g.size = {20, 20, 30};
  g.spacing_mm = {0.5, 0.5, 0.5};
  g.origin_lps = {-30, 10, -40};
  LabelMap l(g, 0);
  for (int k = 10; k < 29; ++k)
    for (int j = 2; j < 18; ++j)
      for (int i = 1; i < 19; ++i)
        l.at(i, j, k) = (k >= 13 && i >= 2 && i < 18 && j >= 3 && j < 17) ? 1 : 2;
  for (int k = 2; k < 10; ++k)
    for (int j = 4; j < 12; ++j)
      for (int i = 6; i < 14; ++i) l.at(i, j, k) = 3;
  return l;
}

TEST(MeasureSite, BoneHeightMembraneAndSiteOnABlock) {
  StatusOr<SiteMeasurements> m = MeasureSite(MakeLabels());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_DOUBLE_EQ(m->residual_bone_height_mm, 4.0);
  EXPECT_DOUBLE_EQ(m->membrane_thickness_mm, 1.5);
  // Centroid (9.5, 7.5) rounds to the nearest footprint column: (9, 7) or (10, 8) etc.
  EXPECT_NEAR(m->site_column_ijk[0], 9.5, 0.5);
  EXPECT_NEAR(m->site_column_ijk[1], 7.5, 0.5);
  EXPECT_EQ(m->site_column_ijk[2], 2);
  EXPECT_NEAR(m->site_crest_lps[2], -39.25, 1e-9);  // lower face of voxel k = 2
  EXPECT_NEAR(m->site_floor_lps[2] - m->site_crest_lps[2], 4.0, 1e-9);
  EXPECT_NEAR(m->bone_volume_ml, 8 * 8 * 8 * 0.125 / 1000.0, 1e-12);
  EXPECT_NEAR(m->sinus_volume_ml, m->sinus_lumen_volume_ml + m->membrane_volume_ml, 1e-12);
  // 10 mm above the floor (k = 9 + 20 = 29) is outside the cavity: no width.
  EXPECT_TRUE(std::isnan(m->sinus_width_mm));
}

TEST(MeasureSite, SinusWidthAlongLeftRight) {
  LabelMap l = MakeLabels();
  l.mutable_geometry().spacing_mm = {0.5, 0.5, 0.25};  // 10 mm = 40 voxels: still outside
  Geometry g = l.geometry();
  g.size = {20, 20, 60};
  LabelMap tall(g, 0);
  for (int k = 0; k < 30; ++k)
    for (int j = 0; j < 20; ++j)
      for (int i = 0; i < 20; ++i) tall.at(i, j, k) = l.at(i, j, k);
  for (int k = 29; k < 60; ++k)
    for (int i = 3; i < 15; ++i) tall.at(i, 7, k) = 1, tall.at(i, 8, k) = 1;
  StatusOr<SiteMeasurements> m = MeasureSite(tall);
  ASSERT_TRUE(m.ok());
  EXPECT_DOUBLE_EQ(m->residual_bone_height_mm, 2.0);
  EXPECT_DOUBLE_EQ(m->sinus_width_mm, 12 * 0.5);
}

TEST(MeasureSite, FlippedVerticalAxisGivesTheSameHeights) {
  LabelMap l = MakeLabels();
  Geometry g = l.geometry();
  g.direction = {1, 0, 0, 0, 1, 0, 0, 0, -1};  // k runs inferior
  LabelMap f(g, 0);
  for (int k = 0; k < 30; ++k)
    for (int j = 0; j < 20; ++j)
      for (int i = 0; i < 20; ++i) f.at(i, j, 29 - k) = l.at(i, j, k);
  StatusOr<SiteMeasurements> m = MeasureSite(f);
  ASSERT_TRUE(m.ok());
  EXPECT_DOUBLE_EQ(m->residual_bone_height_mm, 4.0);
  EXPECT_DOUBLE_EQ(m->membrane_thickness_mm, 1.5);
  EXPECT_GT(m->site_floor_lps[2], m->site_crest_lps[2]);
}

TEST(MeasureSite, NoBoneIsNotFound) {
  LabelMap l = MakeLabels();
  for (uint8_t& v : l.voxels())
    if (v == 3) v = 0;
  EXPECT_EQ(MeasureSite(l).status().code(), StatusCode::kNotFound);
}

TEST(MeasureSite, ObliqueDirectionIsUnimplemented) {
  LabelMap l = MakeLabels();
  const double c = std::cos(0.4), s = std::sin(0.4);
  l.mutable_geometry().direction = {1, 0, 0, 0, c, -s, 0, s, c};
  EXPECT_EQ(MeasureSite(l).status().code(), StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace amdrn::anatomy
