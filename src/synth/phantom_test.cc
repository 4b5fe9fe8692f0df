#include "synth/phantom.h"

#include <gtest/gtest.h>

#include <cmath>

#include "anatomy/anatomy.h"

namespace amdrn::synth {
namespace {

Anatomy MakeAnatomy(double rbh, MembraneType type, double thickness, bool septum) {
  Anatomy a;
  a.residual_bone_height_mm = rbh;
  a.membrane_type = type;
  a.membrane_thickness_mm = thickness;
  a.bone_density_bvtv = 0.3;
  a.trabecular_spacing_mm = 1.2;
  a.sinus_width_mm = 14;
  a.septum = septum;
  return a;
}

PhantomOptions SmallGrid(double spacing_mm) {
  PhantomOptions o;
  o.spacing_mm = spacing_mm;
  o.size = {static_cast<int64_t>(std::lround(30 / spacing_mm)),
            static_cast<int64_t>(std::lround(30 / spacing_mm)),
            static_cast<int64_t>(std::lround(28 / spacing_mm))};
  return o;
}

// No lumen voxel touches bone: the membrane (label 2) always lies between them.
int64_t LumenBoneContacts(const LabelMap& l) {
  int64_t contacts = 0;
  const Index3& n = l.size();
  for (int64_t k = 1; k + 1 < n[2]; ++k)
    for (int64_t j = 1; j + 1 < n[1]; ++j)
      for (int64_t i = 1; i + 1 < n[0]; ++i) {
        if (l.at(i, j, k) != kMaxillarySinus) continue;
        contacts += l.at(i + 1, j, k) == kResidualAlveolarBone ||
                    l.at(i - 1, j, k) == kResidualAlveolarBone ||
                    l.at(i, j + 1, k) == kResidualAlveolarBone ||
                    l.at(i, j - 1, k) == kResidualAlveolarBone ||
                    l.at(i, j, k + 1) == kResidualAlveolarBone ||
                    l.at(i, j, k - 1) == kResidualAlveolarBone;
      }
  return contacts;
}

TEST(SquaredDistance, ExactOnAnAnisotropicGrid) {
  Geometry g;
  g.size = {7, 6, 5};
  g.spacing_mm = {0.5, 1.0, 2.0};
  LabelMap f(g, 0);
  f.at(1, 2, 3) = 1;
  f.at(6, 5, 0) = 1;
  const std::vector<float> d2 = SquaredDistanceMm2(f);
  for (int k = 0; k < 5; ++k)
    for (int j = 0; j < 6; ++j)
      for (int i = 0; i < 7; ++i) {
        const double a =
            std::pow(0.5 * (i - 1), 2) + std::pow(1.0 * (j - 2), 2) + std::pow(2.0 * (k - 3), 2);
        const double b =
            std::pow(0.5 * (i - 6), 2) + std::pow(1.0 * (j - 5), 2) + std::pow(2.0 * k, 2);
        EXPECT_NEAR(d2[f.Offset(i, j, k)], std::min(a, b), 1e-4) << i << " " << j << " " << k;
      }
}

struct Case {
  double rbh;
  MembraneType type;
  double thickness;
  bool septum;
  int site;
  double spacing;
};

class PhantomSemantics : public ::testing::TestWithParam<Case> {};

TEST_P(PhantomSemantics, LabelsAreConsistentAndMeasurableFromLabelsAlone) {
  const Case c = GetParam();
  Rng rng(static_cast<uint64_t>(c.rbh * 100 + c.site));
  StatusOr<Phantom> ph = BuildPhantom(MakeAnatomy(c.rbh, c.type, c.thickness, c.septum), c.site,
                                      SmallGrid(c.spacing), rng);
  ASSERT_TRUE(ph.ok()) << ph.status().ToString();
  EXPECT_EQ(LumenBoneContacts(ph->labels), 0);

  StatusOr<anatomy::SiteMeasurements> m = anatomy::MeasureSite(ph->labels);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const PhantomTruth& t = ph->truth;
  // Residual bone height on the labels equals the truth within one voxel.
  EXPECT_NEAR(m->residual_bone_height_mm, t.residual_bone_height_mm, c.spacing);
  // The site found from the labels is the true implant axis (within a voxel horizontally).
  EXPECT_NEAR(m->site_floor_lps[0], t.site_floor_lps[0], c.spacing);
  EXPECT_NEAR(m->site_floor_lps[1], t.site_floor_lps[1], c.spacing);
  EXPECT_NEAR(m->site_floor_lps[2], t.site_floor_lps[2], c.spacing);
  // The membrane lies directly on the floor; its drawn thickness matches within a voxel.
  EXPECT_GT(m->membrane_thickness_mm, 0.0);
  const Geometry& g = ph->labels.geometry();
  const double top_z = g.origin_lps[2] + (g.size[2] - 0.5) * c.spacing;  // the run stops at the FOV
  EXPECT_NEAR(m->membrane_thickness_mm,
              std::min(t.membrane_thickness_site_mm, top_z - t.site_floor_lps[2]), 1.5 * c.spacing);
  EXPECT_NEAR(m->sinus_volume_ml, t.sinus_volume_ml, 1e-9);
  if (!std::isnan(m->sinus_width_mm)) {
    EXPECT_NEAR(m->sinus_width_mm, t.sinus_width_mm, 2.5 * c.spacing);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Anatomies, PhantomSemantics,
    ::testing::Values(Case{1.3, MembraneType::kHealthy, 0.5, false, 16, 0.6},
                      Case{4.7, MembraneType::kFlatThickening, 4.0, true, 26, 0.6},
                      Case{8.2, MembraneType::kPolypoid, 7.0, false, 15, 0.5},
                      Case{11.6, MembraneType::kOpacification, 9.0, true, 27, 0.6},
                      Case{3.1, MembraneType::kHealthy, 1.0, true, 17, 0.3}));

TEST(BuildPhantom, RejectsATooSmallFieldOfView) {
  Rng rng(1);
  PhantomOptions o;
  o.spacing_mm = 0.5;
  o.size = {20, 20, 20};
  EXPECT_EQ(
      BuildPhantom(MakeAnatomy(5, MembraneType::kHealthy, 1, false), 16, o, rng).status().code(),
      StatusCode::kInvalidArgument);
}

TEST(BuildPhantom, MirrorsLeftAndRight) {
  Rng a(3), b(3);
  StatusOr<Phantom> right =
      BuildPhantom(MakeAnatomy(5, MembraneType::kHealthy, 1, false), 16, SmallGrid(0.6), a);
  StatusOr<Phantom> left =
      BuildPhantom(MakeAnatomy(5, MembraneType::kHealthy, 1, false), 26, SmallGrid(0.6), b);
  ASSERT_TRUE(right.ok() && left.ok());
  EXPECT_LT(right->truth.site_crest_lps[0], 0);  // patient right is -L
  EXPECT_GT(left->truth.site_crest_lps[0], 0);
  EXPECT_EQ(right->truth.buccal_direction_lps[0], -1);
}

}  // namespace
}  // namespace amdrn::synth
