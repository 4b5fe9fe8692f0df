#include "synth/maxilla.h"

#include <gtest/gtest.h>

#include <cmath>

#include "synth/phantom.h"

namespace amdrn::synth {
namespace {

using internal::Column;
using internal::Maxilla;

Anatomy MakeAnatomy(double rbh, MembraneType type, double thickness, double width) {
  Anatomy a;
  a.residual_bone_height_mm = rbh;
  a.membrane_type = type;
  a.membrane_thickness_mm = thickness;
  a.bone_density_bvtv = 0.25;
  a.trabecular_spacing_mm = 1.2;
  a.sinus_width_mm = width;
  a.septum = false;
  return a;
}

struct Site {
  int fdi;
  double rbh, width;
  uint64_t seed;
};

const Site kSites[] = {{15, 1.2, 10.5, 1}, {16, 3.0, 14.0, 2}, {17, 7.5, 19.5, 3},
                       {26, 11.8, 16.0, 4}, {25, 5.0, 12.0, 5}, {27, 2.0, 18.0, 6}};

// The local point at arch coordinates (u, v): the arch point plus v along the outward normal.
void LocalAt(const Maxilla& m, double u, double v, double* x, double* y) {
  double x0, y0, x1, y1;
  m.ArchPoint(u - 0.01, &x0, &y0);
  m.ArchPoint(u + 0.01, &x1, &y1);
  const double tx = x1 - x0, ty = y1 - y0, n = std::hypot(tx, ty);
  m.ArchPoint(u, x, y);
  *x += v * ty / n;  // outward (buccal) normal of a distal-going tangent
  *y -= v * tx / n;
}

bool IsBone(const Maxilla& m, const Column& c, double z) {
  internal::Tissue t;
  uint8_t label;
  m.Classify(c, z, &t, &label);
  return t == internal::kBone;
}

TEST(Maxilla, ArchCurvesMediallyAndTheEdentulousRidgeIsResorbed) {
  for (const Site& s : kSites) {
    Rng rng(s.seed);
    const Maxilla m = internal::SampleMaxilla(
        MakeAnatomy(s.rbh, MembraneType::kHealthy, 0.8, s.width), s.fdi, 0.5, rng);
    double x, y;
    m.ArchPoint(-15.0, &x, &y);
    EXPECT_LT(x, -2.0) << s.fdi;  // 15 mm mesially the ridge has turned medially
    EXPECT_LT(y, -9.0) << s.fdi;
    const Column site = m.ColumnAt(0, 0);
    EXPECT_NEAR(site.u, 0.0, 1e-6);
    EXPECT_NEAR(site.v, 0.0, 1e-6);
    EXPECT_NEAR(site.floor - site.crest, s.rbh, 1e-9);
    for (const internal::Tooth& t : m.teeth) {
      if (!t.present) continue;
      const Column c = m.ColumnAt(t.x, t.y);
      EXPECT_NEAR(c.u, t.uc, 1e-3);
      EXPECT_GT(c.width0, site.width0);  // wider ridge next to the teeth
      EXPECT_LT(c.crest, site.crest);    // and a crest further from the sinus
    }
  }
}

TEST(Maxilla, PalateIsMedialToTheArchAndJoinsIt) {
  for (const Site& s : kSites) {
    Rng rng(s.seed);
    const Maxilla m = internal::SampleMaxilla(
        MakeAnatomy(s.rbh, MembraneType::kHealthy, 0.8, s.width), s.fdi, 0.5, rng);
    double previous = -1e9;
    int columns = 0;
    // From the ridge centre to 2 mm from the midline along the site's coronal line: the oral
    // surface of the palate rises (the vault), bone lies just above it and continues without a
    // gap from the ridge, and the oral cavity lies below its mucosa.
    for (double x = 0.0; x > -(m.arch_x0 - 2.0); x -= 0.25) {
      const Column c = m.ColumnAt(x, 0.0);
      // (Near the ridge the process's palatal plate is the oral surface, not the vault.)
      // Nor where the sinus floor, lower under the residual bone, blends into the palate.
      if (-c.v <= m.ProcessHalfWidth(c, c.palate_oral) + 0.3 ||
          -c.v <= m.RabHalfWidth(m.gap, m.rbh + 1.0) + 4.0)
        continue;
      ++columns;
      EXPECT_GE(c.palate_oral, previous - 1e-9) << s.fdi << " x " << x;
      previous = c.palate_oral;
      EXPECT_TRUE(IsBone(m, c, c.palate_oral + 0.3)) << s.fdi << " x " << x;
      EXPECT_FALSE(IsBone(m, c, c.palate_oral - 0.3)) << s.fdi << " x " << x;
      EXPECT_LT(c.palate_oral + 1.0, m.nasal_floor) << s.fdi << " x " << x;
    }
    EXPECT_GT(columns, 10) << s.fdi;
    EXPECT_GT(previous, m.ColumnAt(0, 0).crest + 5.0) << s.fdi;  // a vault, not a shelf
  }
}

TEST(Maxilla, RootsEndUnderTheSinusFloor) {
  int roots = 0, protruding = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed)
    for (const Site& s : kSites) {
      Rng rng(seed * 31 + s.seed);
      const Maxilla m = internal::SampleMaxilla(
          MakeAnatomy(s.rbh, MembraneType::kHealthy, 0.8, s.width), s.fdi, 0.5, rng);
      for (const internal::Tooth& t : m.teeth) {
        if (!t.present) continue;
        for (const internal::Root& r : t.roots) {
          double x, y;
          LocalAt(m, t.uc + r.a1, r.b1, &x, &y);
          const Column c = m.ColumnAt(x, y);
          // Bone of at least the root's cover lies between apex and sinus.
          EXPECT_GE(c.floor, r.z1 + r.r1 + 0.25 + 0.9 * r.cover) << s.fdi << " tooth " << t.digit;
          ++roots;
          // A protrusion: the apex stands above the floor's trough around it.
          protruding += r.z1 > m.BaseFloor(c.u, c.v);
        }
      }
    }
  EXPECT_GT(roots, 300);
  EXPECT_GT(protruding, 20);  // low floors: roots bulge into the sinus under thin bone
  EXPECT_LT(protruding, roots);
}

PhantomOptions Grid(double spacing_mm) {
  PhantomOptions o;
  o.spacing_mm = spacing_mm;
  o.size = {static_cast<int64_t>(std::lround(36 / spacing_mm)),
            static_cast<int64_t>(std::lround(36 / spacing_mm)),
            static_cast<int64_t>(std::lround(30 / spacing_mm))};
  return o;
}

// HU of the phantom before any scanner effect: air -1000, soft tissue 45 +- 12, mucosa
// 35 +- 12, fluid 12, PDL 60, pulp 40, bone >= 15, dentin 1750, enamel 2700.
bool IsHardTissue(float hu) { return hu >= 59.0f; }

TEST(Phantom, SinusIsWalledByBoneOrTeethWithinTheFieldOfView) {
  for (const Site& s : kSites) {
    Rng rng(s.seed);
    StatusOr<Phantom> ph = BuildPhantom(
        MakeAnatomy(s.rbh, MembraneType::kFlatThickening, 3.0, s.width), s.fdi, Grid(0.6), rng);
    ASSERT_TRUE(ph.ok()) << ph.status().ToString();
    const Index3& n = ph->labels.size();
    int64_t cavity = 0, leaks = 0;
    for (int64_t k = 1; k + 1 < n[2]; ++k)
      for (int64_t j = 1; j + 1 < n[1]; ++j)
        for (int64_t i = 1; i + 1 < n[0]; ++i) {
          const uint8_t l = ph->labels.at(i, j, k);
          if (l != kMaxillarySinus && l != kSchneiderianMembrane) continue;
          ++cavity;
          const int64_t nb[6][3] = {{i + 1, j, k}, {i - 1, j, k}, {i, j + 1, k},
                                    {i, j - 1, k}, {i, j, k + 1}, {i, j, k - 1}};
          for (const auto& q : nb) {
            if (!ph->in_fov.at(q[0], q[1], q[2])) continue;
            const uint8_t m = ph->labels.at(q[0], q[1], q[2]);
            if (m == kMaxillarySinus || m == kSchneiderianMembrane) continue;
            const bool leak = !IsHardTissue(ph->hu.at(q[0], q[1], q[2]));
            leaks += leak;
            if (leak)
              ADD_FAILURE() << s.fdi << " at " << i << " " << j << " " << k << " label " << int(l)
                            << " next to hu " << ph->hu.at(q[0], q[1], q[2]) << " at " << q[0]
                            << " " << q[1] << " " << q[2];
          }
        }
    EXPECT_GT(cavity, 1000) << s.fdi;
    EXPECT_EQ(leaks, 0) << s.fdi;
  }
}

TEST(Phantom, ResidualBoneLabelFollowsCrestAndFloor) {
  for (const Site& s : kSites) {
    const double spacing = 0.5;
    Rng rng(s.seed), model_rng(s.seed);
    const Anatomy a = MakeAnatomy(s.rbh, MembraneType::kHealthy, 0.8, s.width);
    StatusOr<Phantom> ph = BuildPhantom(a, s.fdi, Grid(spacing), rng);
    ASSERT_TRUE(ph.ok()) << ph.status().ToString();
    // BuildPhantom draws the model first, so the same stream gives the same model.
    const Maxilla m = internal::SampleMaxilla(a, s.fdi, spacing, model_rng);
    const Geometry& g = ph->labels.geometry();
    const PhantomTruth& tr = ph->truth;
    const double side = tr.right_side ? -1.0 : 1.0;
    int64_t columns = 0;
    double top_min = 1e9, top_max = -1e9;
    for (int64_t j = 0; j < g.size[1]; ++j)
      for (int64_t i = 0; i < g.size[0]; ++i) {
        int64_t lo = -1, hi = -1;
        for (int64_t k = 0; k < g.size[2]; ++k)
          if (ph->labels.at(i, j, k) == kResidualAlveolarBone) {
            if (lo < 0) lo = k;
            hi = k;
            const float hu = ph->hu.at(i, j, k);
            EXPECT_TRUE(hu >= 15.0f && hu < 1700.0f) << "label 3 on a non-bone voxel";
          }
        if (lo < 0) continue;
        ++columns;
        const Vec3 p = g.IndexToPoint({double(i), double(j), double(lo)});
        const Column c =
            m.ColumnAt(side * (p[0] - tr.site_crest_lps[0]), p[1] - tr.site_crest_lps[1]);
        const double z_lo = p[2] - tr.site_crest_lps[2], z_hi = z_lo + (hi - lo) * spacing;
        // The label spans the bone from the crest up to the sinus floor of its own column.
        EXPECT_NEAR(z_hi, c.floor - 0.5 * spacing, 0.5 * spacing + 1e-6);
        if (std::abs(c.v) <= m.w_res) {  // nearer the sides the plates bound it, not the crest
          EXPECT_NEAR(z_lo, c.crest + 0.5 * spacing, 0.5 * spacing + 1e-6);
        }
        EXPECT_LE(std::abs(c.u), m.gap + 1e-6);
        top_min = std::min(top_min, z_hi);
        top_max = std::max(top_max, z_hi);
      }
    EXPECT_GT(columns, 50) << s.fdi;
    EXPECT_GE(top_max - top_min, spacing) << s.fdi << ": the floor is not flat";
  }
}

}  // namespace
}  // namespace amdrn::synth
