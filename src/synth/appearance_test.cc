#include "synth/appearance.h"

#include <gtest/gtest.h>

#include <cmath>

namespace amdrn::synth {
namespace {

Phantom MakePhantom(bool cylinder) {
  Anatomy a;
  a.residual_bone_height_mm = 6;
  a.membrane_type = MembraneType::kFlatThickening;
  a.membrane_thickness_mm = 4;
  a.sinus_width_mm = 16;
  PhantomOptions o;
  o.spacing_mm = 0.6;
  o.size = {56, 56, 48};
  o.cylindrical_fov = cylinder;
  Rng rng(21);
  return BuildPhantom(a, 16, o, rng).value();
}

// Voxels of `label` whose 26-neighbourhood (radius `r`) is all `label`: away from edges, blur
// and partial volume.
std::vector<float> Interior(const ImageF& image, const LabelMap& labels, uint8_t label, int r) {
  std::vector<float> out;
  const Index3& n = labels.size();
  for (int64_t k = r; k + r < n[2]; ++k)
    for (int64_t j = r; j + r < n[1]; ++j)
      for (int64_t i = r; i + r < n[0]; ++i) {
        bool inside = true;
        for (int dk = -r; dk <= r && inside; ++dk)
          for (int dj = -r; dj <= r && inside; ++dj)
            for (int di = -r; di <= r && inside; ++di)
              inside = labels.at(i + di, j + dj, k + dk) == label;
        if (inside) out.push_back(image.at(i, j, k));
      }
  return out;
}

double Mean(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += x;
  return s / v.size();
}
double Sd(const std::vector<float>& v) {
  const double m = Mean(v);
  double s = 0;
  for (float x : v) s += (x - m) * (x - m);
  return std::sqrt(s / (v.size() - 1));
}

TEST(ScannerProfiles, FourNamedProfilesAndALookupError) {
  ASSERT_EQ(ScannerProfiles().size(), 4u);
  EXPECT_TRUE(FindScannerProfile("cbct_b").ok());
  const Status s = FindScannerProfile("acme").status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("cbct_a"), std::string::npos);
}

// Grey-value statistics per tissue and profile: each profile maps tissues to its own grey
// range (uncalibrated, so profiles differ), keeps tissue order, and has the noise it declares.
TEST(RenderCbct, GreyValueStatisticsPerTissueAndProfile) {
  const Phantom cylinder = MakePhantom(true), box = MakePhantom(false);
  for (const ScannerProfile& p : ScannerProfiles()) {
    const Phantom& ph = p.cylindrical_fov ? cylinder : box;
    Rng rng(5);
    const ImageF img = RenderCbct(ph, p, rng);
    const std::vector<float> air = Interior(img, ph.labels, kMaxillarySinus, 2);
    const std::vector<float> mucosa = Interior(img, ph.labels, kSchneiderianMembrane, 1);
    const std::vector<float> bone = Interior(img, ph.labels, kResidualAlveolarBone, 1);
    ASSERT_GT(air.size(), 500u) << p.name;
    ASSERT_GT(mucosa.size(), 50u) << p.name;
    ASSERT_GT(bone.size(), 50u) << p.name;
    const double grey_per_hu = p.gain;
    // Sinus air sits at the profile's air grey value; noise as declared (within 35 %).
    EXPECT_NEAR(Mean(air), NominalGrey(p, -1000), 0.2 * p.noise_sd_hu * grey_per_hu + 15) << p.name;
    EXPECT_NEAR(Sd(air), p.noise_sd_hu * grey_per_hu, 0.35 * p.noise_sd_hu * grey_per_hu + 10)
        << p.name;
    // Thickened mucosa near water; cupping lowers it at most by `cupping` of its attenuation.
    EXPECT_NEAR(Mean(mucosa), NominalGrey(p, 35 - 0.5 * p.cupping * 1035), 150 * grey_per_hu)
        << p.name;
    // Residual bone between marrow and cortical bone, above soft tissue.
    EXPECT_GT(Mean(bone), NominalGrey(p, 150)) << p.name;
    EXPECT_LT(Mean(bone), NominalGrey(p, 1500)) << p.name;
    EXPECT_LT(Mean(air), Mean(mucosa)) << p.name;
    EXPECT_LT(Mean(mucosa), Mean(bone)) << p.name;
    // Outside a cylindrical field of view every voxel has the profile's outside value.
    if (p.cylindrical_fov) {
      EXPECT_EQ(img.at(0, 0, 0), p.outside_grey) << p.name;
    }
    for (float v : img.voxels()) {
      ASSERT_GE(v, p.grey_min);
      ASSERT_LE(v, p.grey_max);
      ASSERT_EQ(v, std::round(v));
    }
  }
}

TEST(RenderCbct, DeterministicForASeed) {
  const Phantom ph = MakePhantom(true);
  Rng a(9), b(9), c(10);
  const ImageF x = RenderCbct(ph, ScannerProfiles()[1], a),
               y = RenderCbct(ph, ScannerProfiles()[1], b);
  const ImageF z = RenderCbct(ph, ScannerProfiles()[1], c);
  EXPECT_EQ(x.voxels(), y.voxels());
  EXPECT_NE(x.voxels(), z.voxels());
}

TEST(GaussianBlur, PreservesTheMeanAndSpreadsAnImpulse) {
  Geometry g;
  g.size = {21, 21, 21};
  g.spacing_mm = {0.5, 0.5, 0.5};
  ImageF img(g, 0.0f);
  img.at(10, 10, 10) = 1000.0f;
  GaussianBlur(img, 0.5);
  double sum = 0;
  for (float v : img.voxels()) sum += v;
  EXPECT_NEAR(sum, 1000.0, 1e-2);
  EXPECT_NEAR(img.at(11, 10, 10) / img.at(10, 10, 10), std::exp(-0.5), 0.02);
}

}  // namespace
}  // namespace amdrn::synth
