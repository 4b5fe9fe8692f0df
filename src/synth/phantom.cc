#include "synth/phantom.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace amdrn::synth {
namespace {

// Tissue classes of the phantom, turned into HU-like values after the bone texture is drawn.
enum Tissue : uint8_t {
  kAir,
  kSoft,
  kMucosa,
  kFluid,
  kBone,
  kEnamel,
  kDentin,
  kPulp,
  kPdl,
  kTitanium,
  kMetalCrown
};

double Clamp01(double v) { return std::min(1.0, std::max(0.0, v)); }
double Sq(double v) { return v * v; }
double Quad(double v) { return v * v * v * v; }

struct Root {
  double x0, y0, x1, y1, length, r0, r1;  // base at z=0.5, apex at z=length; radii base/apex
};

struct Tooth {
  bool present = false, implant = false, metal_crown = false;
  double yc = 0, rx = 4.5, ry = 4, rz = 3.8, crown_zc = -3.6;
  std::vector<Root> roots;
};

struct Polyp {
  double x, y, z, rh, rv;
};

// The continuous model in local millimetres: x buccal, y distal, z up; origin at the crest
// point of the implant site.
struct Shape {
  double rbh = 5, crest_curv = 0.1, w0 = 4, w_slope = 0.3;
  double kx = 0.04, ky = 0.02, tilt_y = 0;
  double xc = 0, yc = 0, zc = 20, ax = 8, ay = 16, az = 16, wall = 1.5;
  double mod_a[3] = {0, 0, 0}, mod_phase[3] = {0, 0, 0};
  double palate_z = 8, palate_t = 4, gum = 2, vest_top = 4, vest_w = 1.5, air_gap = 2;
  double cortex_mm = 1.0, gap = 4.5;
  bool septum = false;
  double septum_y = 5, septum_h = 8, septum_t = 1;
  MembraneType membrane = MembraneType::kHealthy;
  double lining = 1, fluid_level = -1e9, min_lining = 0.5;
  std::vector<Polyp> polyps;
  Tooth teeth[2];

  double Floor(double x, double y) const { return rbh + kx * x * x + ky * y * y + tilt_y * y; }
  double Crest(double x) const { return crest_curv * x * x; }
  double HalfWidth(double z) const { return w0 + w_slope * std::max(z, 0.0); }
  double Modulation(double dy, double dz) const {
    const double psi = std::atan2(dz, dy);
    return 1.0 + mod_a[0] * std::cos(psi + mod_phase[0]) +
           mod_a[1] * std::cos(2 * psi + mod_phase[1]) +
           mod_a[2] * std::cos(3 * psi + mod_phase[2]);
  }
  // < 1 inside the sinus ellipsoid grown by `grow` mm (negative shrinks).
  double SinusLevel(double x, double y, double z, double grow) const {
    const double dx = x - xc, dy = y - yc, dz = z - zc;
    const double m = Modulation(dy, dz);
    return Sq(dx / (ax + grow)) + (Sq(dy / (ay + grow)) + Sq(dz / (az + grow))) / (m * m);
  }
  bool InCavity(double x, double y, double z, double inset) const {
    if (z <= Floor(x, y) + inset) return false;
    if (SinusLevel(x, y, z, -inset) >= 1.0) return false;
    if (septum && std::abs(y - septum_y) < 0.5 * septum_t + inset &&
        z < Floor(x, y) + septum_h + inset)
      return false;
    return true;
  }
  double Lining(double x, double y, double z) const {
    double t = lining;
    if (membrane == MembraneType::kFlatThickening)
      t *= (1.0 - 0.5 * Clamp01((z - rbh) / 25.0)) * (1.0 + 0.12 * std::sin(0.45 * y + 0.3 * x));
    return std::max(t, min_lining);
  }
  // Requires InCavity(x, y, z, 0). True for membrane (lining, polyp or fluid).
  bool IsMembrane(double x, double y, double z) const {
    if (z < fluid_level) return true;
    for (const Polyp& p : polyps)
      if (Sq((x - p.x) / p.rh) + Sq((y - p.y) / p.rh) + Sq((z - p.z) / p.rv) < 1.0) return true;
    return !InCavity(x, y, z, Lining(x, y, z));
  }
  // The alveolar process reaches a few mm above the sinus floor; above it only the sinus
  // walls and the palate are bone.
  double ProcessTop() const { return rbh + 3.0; }
  bool InBoneEnvelope(double x, double y, double z) const {
    if (z >= Crest(x) && z <= ProcessTop() && std::abs(x) <= HalfWidth(z)) return true;
    if (x <= 0 && z >= palate_z && z <= palate_z + palate_t) return true;
    return z >= Floor(x, y) - wall && SinusLevel(x, y, z, wall) < 1.0;
  }
  bool IsRab(double x, double y, double z) const {
    return std::abs(y) <= gap && std::abs(x) <= HalfWidth(z) && z >= Crest(x) && z < Floor(x, y) &&
           z < rbh + 3.0;
  }
};

// Tooth tissue at a local point, or kAir when the point is not in the tooth.
Tissue ToothTissue(const Tooth& t, double x, double y, double z) {
  if (!t.present) return kAir;
  const double dy = y - t.yc;
  if (std::abs(dy) > t.ry + 2.5 || std::abs(x) > t.rx + 3.5) return kAir;
  if (t.implant) {
    const double r = std::hypot(x, dy);
    if (z < 0.0 && z > t.crown_zc - t.rz && Sq(x / t.rx) + Sq(dy / t.ry) < 1) return kMetalCrown;
    if (r < 2.0 && z >= 0.0 && z < 10.0) return kTitanium;
    return kAir;
  }
  const double crown = Quad(x / t.rx) + Quad(dy / t.ry) + Sq((z - t.crown_zc) / t.rz);
  if (crown < 1.0 && z < 0.8) {
    if (t.metal_crown) return kMetalCrown;
    const double inner =
        Quad(x / (t.rx - 1.2)) + Quad(dy / (t.ry - 1.2)) + Sq((z - t.crown_zc) / (t.rz - 1.2));
    if (inner >= 1.0 && z < 0.0) return kEnamel;
    if (Sq(x / (0.35 * t.rx)) + Sq(dy / (0.35 * t.ry)) + Sq((z + 0.5) / 1.2) < 1.0) return kPulp;
    return kDentin;
  }
  for (const Root& r : t.roots) {
    if (z < -0.5 || z > r.length + 0.3) continue;
    const double f = Clamp01(z / r.length);
    const double cx = r.x0 + f * (r.x1 - r.x0), cy = t.yc + r.y0 + f * (r.y1 - r.y0);
    const double radius = r.r0 + f * (r.r1 - r.r0), d = std::hypot(x - cx, y - cy);
    if (z <= r.length && d < 0.3 * radius) return kPulp;
    if (z <= r.length && d < radius) return kDentin;
    if (d < radius + 0.25) return kPdl;
  }
  return kAir;
}

struct Voxel {
  Tissue tissue;
  uint8_t label;
};

Voxel Classify(const Shape& s, double x, double y, double z) {
  for (const Tooth& t : s.teeth) {
    const Tissue tissue = ToothTissue(t, x, y, z);
    if (tissue != kAir) return {tissue, kBackground};
  }
  if (s.InCavity(x, y, z, 0.0)) {
    if (!s.IsMembrane(x, y, z)) return {kAir, kMaxillarySinus};
    return {z < s.fluid_level ? kFluid : kMucosa, kSchneiderianMembrane};
  }
  if (s.InBoneEnvelope(x, y, z))
    return {kBone, s.IsRab(x, y, z) ? kResidualAlveolarBone : kBackground};
  // Gingiva and palatal mucosa over the bone.
  const double w = s.HalfWidth(std::min(z, s.ProcessTop()));
  const double crest = s.Crest(x);
  if (z >= crest - s.gum && z <= s.ProcessTop() + s.gum && std::abs(x) <= w + s.gum)
    return {kSoft, kBackground};
  if (x <= 0 && z >= s.palate_z - s.gum && z <= s.palate_z + s.palate_t + 1.0)
    return {kSoft, kBackground};
  // Below the crest: a thin air layer over tongue and cheeks.
  const double crest_soft = s.Crest(std::min(std::abs(x), s.w0 + s.gum));
  if (z < crest_soft - s.gum - s.air_gap) return {kSoft, kBackground};
  if (x > 0) {
    // Buccal vestibule: an air cleft beside the gingiva, closing towards its top; then cheek.
    const double cleft = s.vest_w * Clamp01((s.vest_top - z) / 3.0);
    return {z < s.vest_top && x < w + s.gum + cleft ? kAir : kSoft, kBackground};
  }
  return {kAir, kBackground};  // nasal cavity above the palate, oral cavity below it
}

Tooth MakeTooth(double yc, bool molar, Rng& rng) {
  Tooth t;
  t.present = true;
  t.yc = yc;
  t.rx = molar ? rng.Uniform(4.8, 5.6) : rng.Uniform(4.0, 4.6);
  t.ry = molar ? rng.Uniform(4.2, 5.0) : rng.Uniform(3.3, 3.8);
  t.rz = rng.Uniform(3.6, 4.4);
  t.crown_zc = -t.rz + rng.Uniform(0.3, 0.9);
  const double length = rng.Uniform(11.0, 14.5);
  if (molar) {  // two buccal roots and one palatal
    t.roots.push_back({2.2, -1.8, 3.0, -2.2, length - 1.0, 1.5, 0.6});
    t.roots.push_back({2.2, 1.8, 3.0, 2.0, length - 1.5, 1.4, 0.6});
    t.roots.push_back({-2.2, 0.0, -3.6, 0.0, length, 1.8, 0.7});
  } else {
    t.roots.push_back({0.0, 0.0, rng.Uniform(-0.5, 0.5), 0.0, length, 2.0, 0.6});
  }
  t.implant = rng.Bernoulli(0.08);
  t.metal_crown = t.implant || rng.Bernoulli(0.2);
  return t;
}

// Membrane of the given type: lining thickness, polyps or a fluid level.
void SampleMembrane(const Anatomy& a, double spacing_mm, Rng& rng, Shape& s) {
  s.membrane = a.membrane_type;
  s.min_lining = 1.1 * spacing_mm;
  switch (a.membrane_type) {
    case MembraneType::kHealthy:
      s.lining = a.membrane_thickness_mm;
      break;
    case MembraneType::kFlatThickening:
      s.lining = a.membrane_thickness_mm;
      break;
    case MembraneType::kPolypoid: {
      s.lining = rng.Uniform(0.8, 2.0);
      const int count = 1 + rng.Bernoulli(0.4);
      for (int i = 0; i < count; ++i) {
        const bool near_site = i == 0 && rng.Bernoulli(0.6);
        Polyp p;
        p.x = near_site ? rng.Uniform(-3, 3) : rng.Uniform(-6, 6);
        p.y = near_site ? rng.Uniform(-3, 3) : rng.Uniform(-12, 12);
        p.z = s.Floor(p.x, p.y);
        p.rh = rng.Uniform(3.0, 7.0);
        p.rv = i == 0 ? a.membrane_thickness_mm : rng.Uniform(3.0, a.membrane_thickness_mm);
        s.polyps.push_back(p);
      }
      break;
    }
    case MembraneType::kOpacification:
      s.lining = rng.Uniform(1.5, 3.0);
      s.fluid_level = s.rbh + a.membrane_thickness_mm;
      break;
  }
}

Shape SampleShape(const Anatomy& a, int site_fdi, double spacing_mm, Rng& rng) {
  Shape s;
  const bool molar = site_fdi % 10 != 5;
  s.rbh = a.residual_bone_height_mm;
  s.crest_curv = 1.0 / (2.0 * rng.Uniform(3.0, 6.0));
  s.w0 = rng.Uniform(3.2, 4.6);
  s.w_slope = rng.Uniform(0.25, 0.45);
  s.kx = rng.Uniform(0.02, 0.06);
  s.ky = rng.Uniform(0.01, 0.035);
  s.tilt_y = rng.Uniform(-0.06, 0.06);
  s.ay = rng.Uniform(14.0, 19.0);
  s.az = rng.Uniform(14.0, 20.0);
  s.xc = rng.Uniform(-1.0, 2.0);
  s.yc = rng.Uniform(-3.0, 3.0);
  s.zc = s.rbh + 0.75 * s.az;
  s.mod_a[0] = rng.Uniform(-0.06, 0.06);
  s.mod_a[1] = rng.Uniform(-0.05, 0.05);
  s.mod_a[2] = rng.Uniform(-0.03, 0.03);
  for (double& p : s.mod_phase) p = rng.Uniform(0.0, 2.0 * M_PI);
  // Solve the x radius so the cavity is sinus_width_mm wide at y = 0, 10 mm above the floor.
  const double dy = -s.yc, dz = s.rbh + 10.0 - s.zc, m = s.Modulation(dy, dz);
  const double rest = (Sq(dy / s.ay) + Sq(dz / s.az)) / (m * m);
  s.ax = 0.5 * a.sinus_width_mm / std::sqrt(std::max(0.05, 1.0 - rest));
  s.wall = rng.Uniform(1.0, 2.0);
  s.palate_z = rng.Uniform(6.0, 10.0);
  s.palate_t = rng.Uniform(3.0, 5.0);
  s.gum = rng.Uniform(1.5, 3.0);
  s.vest_top = rng.Uniform(2.0, 6.0);
  s.vest_w = rng.Uniform(0.5, 2.5);
  s.air_gap = rng.Uniform(1.0, 4.0);
  s.cortex_mm = rng.Uniform(0.6, 1.5);
  s.gap = molar ? rng.Uniform(4.5, 5.5) : rng.Uniform(3.4, 4.0);
  s.septum = a.septum;
  if (s.septum) {
    s.septum_y = (rng.Bernoulli(0.5) ? 1 : -1) * rng.Uniform(3.0, 10.0);
    s.septum_h = rng.Uniform(4.0, 12.0);
    s.septum_t = rng.Uniform(0.8, 1.5);
  }
  SampleMembrane(a, spacing_mm, rng, s);
  // Mesial neighbour: a premolar unless the site is the second molar; distal: a molar.
  const bool mesial_molar = site_fdi % 10 == 7;
  s.teeth[0] = MakeTooth(-(s.gap + (mesial_molar ? 5.0 : 3.8)), mesial_molar, rng);
  s.teeth[0].present = rng.Bernoulli(0.92);
  const double distal_probability = site_fdi % 10 == 7 ? 0.3 : 0.7;
  s.teeth[1] = MakeTooth(s.gap + 5.0, true, rng);
  s.teeth[1].present = rng.Bernoulli(distal_probability);
  return s;
}

}  // namespace

namespace {

// 1D squared distance transform of f (Felzenszwalb & Huttenlocher), sample step `step_mm`.
void DistanceTransform1D(const float* f, int n, double step_mm, float* out, std::vector<int>& v,
                         std::vector<double>& zz) {
  const double w = step_mm * step_mm;
  const auto intersect = [&](int q, int p) {
    return ((f[q] + w * q * q) - (f[p] + w * double(p) * p)) / (2.0 * w * (q - p));
  };
  int k = 0;
  v[0] = 0;
  zz[0] = -std::numeric_limits<double>::infinity();
  zz[1] = std::numeric_limits<double>::infinity();
  for (int q = 1; q < n; ++q) {
    double s = intersect(q, v[k]);
    while (s <= zz[k]) s = intersect(q, v[--k]);
    ++k;
    v[k] = q;
    zz[k] = s;
    zz[k + 1] = std::numeric_limits<double>::infinity();
  }
  k = 0;
  for (int q = 0; q < n; ++q) {
    while (zz[k + 1] < q) ++k;
    out[q] = static_cast<float>(w * Sq(q - v[k]) + f[v[k]]);
  }
}

// Value noise: pseudo-random lattice values in [-1, 1] from a hash of the lattice point (no
// storage, any extent), smooth (cubic Hermite) interpolation.
class ValueNoise {
 public:
  ValueNoise(const Vec3& cell_mm, Rng& rng) : cell_(cell_mm), seed_(rng.Next()) {}
  double At(double x, double y, double z) const {
    const double gx = x / cell_[0], gy = y / cell_[1], gz = z / cell_[2];
    const double fx0 = std::floor(gx), fy0 = std::floor(gy), fz0 = std::floor(gz);
    const int64_t ix = static_cast<int64_t>(fx0), iy = static_cast<int64_t>(fy0),
                  iz = static_cast<int64_t>(fz0);
    const double fx = Smooth(gx - fx0), fy = Smooth(gy - fy0), fz = Smooth(gz - fz0);
    double result = 0;
    for (int c = 0; c < 8; ++c) {
      const int dx = c & 1, dy = (c >> 1) & 1, dz = (c >> 2) & 1;
      const double weight = (dx ? fx : 1 - fx) * (dy ? fy : 1 - fy) * (dz ? fz : 1 - fz);
      result += weight * Lattice(ix + dx, iy + dy, iz + dz);
    }
    return result;
  }

 private:
  static double Smooth(double t) { return t * t * (3 - 2 * t); }
  double Lattice(int64_t i, int64_t j, int64_t k) const {
    uint64_t h = seed_ ^ (static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ULL) ^
                 (static_cast<uint64_t>(j) * 0xC2B2AE3D27D4EB4FULL) ^
                 (static_cast<uint64_t>(k) * 0x165667B19E3779F9ULL);
    h = SplitMix64(&h);
    return static_cast<double>(h >> 11) * 0x1.0p-52 - 1.0;
  }
  Vec3 cell_;
  uint64_t seed_;
};

// A uniformly random rotation (from a random unit quaternion), row-major.
std::array<double, 9> RandomRotation(Rng& rng) {
  double q[4], n = 0;
  for (double& v : q) n += Sq(v = rng.Normal());
  n = std::sqrt(n);
  const double w = q[0] / n, x = q[1] / n, y = q[2] / n, z = q[3] / n;
  return {1 - 2 * (y * y + z * z), 2 * (x * y - z * w),     2 * (x * z + y * w),
          2 * (x * y + z * w),     1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
          2 * (x * z - y * w),     2 * (y * z + x * w),     1 - 2 * (x * x + y * y)};
}

// Partial bone fraction of trabecular voxels. Trabeculae are the near-zero sheets of a smooth
// random field (ridged noise: plates and rods around marrow cells), whose cell size is the
// trabecular spacing, stretched 1.4x vertically; two octaves on randomly rotated lattices
// avoid axis-aligned patterns. A soft threshold, solved so the mean fraction equals the bone
// volume fraction, gives the partial-volume bone content of each voxel.
std::vector<float> TrabecularFraction(const Geometry& g, const std::vector<uint8_t>& is_trab,
                                      double bvtv, double spacing_mm, Rng& rng) {
  const ValueNoise coarse({spacing_mm, spacing_mm, spacing_mm}, rng);
  const ValueNoise fine({0.5 * spacing_mm, 0.5 * spacing_mm, 0.5 * spacing_mm}, rng);
  const std::array<double, 9> r1 = RandomRotation(rng), r2 = RandomRotation(rng);
  const auto rotated = [&](const std::array<double, 9>& r, double x, double y, double z, int c) {
    return r[3 * c] * x + r[3 * c + 1] * y + r[3 * c + 2] * z;
  };
  std::vector<float> field(is_trab.size(), 0.0f);
  std::vector<float> sample;
  size_t idx = 0;
  for (int64_t k = 0; k < g.size[2]; ++k)
    for (int64_t j = 0; j < g.size[1]; ++j)
      for (int64_t i = 0; i < g.size[0]; ++i, ++idx) {
        if (!is_trab[idx]) continue;
        const double x = i * g.spacing_mm[0], y = j * g.spacing_mm[1],
                     z = k * g.spacing_mm[2] / 1.4;
        const double a =
            coarse.At(rotated(r1, x, y, z, 0), rotated(r1, x, y, z, 1), rotated(r1, x, y, z, 2));
        const double b =
            fine.At(rotated(r2, x, y, z, 0), rotated(r2, x, y, z, 1), rotated(r2, x, y, z, 2));
        field[idx] = static_cast<float>(-std::abs(a + 0.45 * b));
        if (idx % 5 == 0) sample.push_back(field[idx]);
      }
  if (sample.empty()) return field;
  const double soft = 0.12;
  double lo = -4, hi = 1;
  for (int it = 0; it < 30; ++it) {
    const double thr = 0.5 * (lo + hi);
    double mean = 0;
    for (float f : sample) mean += Clamp01(0.5 + (f - thr) / (2 * soft));
    mean /= sample.size();
    (mean > bvtv ? lo : hi) = thr;
  }
  const double thr = 0.5 * (lo + hi);
  for (size_t n = 0; n < field.size(); ++n)
    if (is_trab[n]) field[n] = static_cast<float>(Clamp01(0.5 + (field[n] - thr) / (2 * soft)));
  return field;
}

float TissueHu(Tissue t) {
  switch (t) {
    case kAir:
      return -1000;
    case kSoft:
      return 45;
    case kMucosa:
      return 35;
    case kFluid:
      return 12;
    case kBone:
      return 0;  // set from the texture
    case kEnamel:
      return 2700;
    case kDentin:
      return 1750;
    case kPulp:
      return 40;
    case kPdl:
      return 60;
    case kTitanium:
      return 7000;
    case kMetalCrown:
      return 12000;
  }
  return 0;
}

// Ray-marches the continuous model along `dir` from `start` (local mm) while `inside` holds;
// returns the distance travelled (step 0.005 mm, at most `max_mm`).
template <typename Pred>
double MarchWhile(const Vec3& start, const Vec3& dir, double max_mm, Pred inside) {
  double t = 0;
  while (t < max_mm && inside(start[0] + t * dir[0], start[1] + t * dir[1], start[2] + t * dir[2]))
    t += 0.005;
  return t;
}

}  // namespace

std::vector<float> SquaredDistanceMm2(const LabelMap& feature) {
  const Geometry& g = feature.geometry();
  const float kHuge = 1e20f;
  std::vector<float> d(feature.voxels().size());
  for (size_t n = 0; n < d.size(); ++n) d[n] = feature.voxels()[n] ? 0.0f : kHuge;
  const int64_t stride[3] = {1, g.size[0], g.size[0] * g.size[1]};
  for (int axis = 0; axis < 3; ++axis) {
    const int n = static_cast<int>(g.size[axis]);
    std::vector<float> line(n), out(n);
    std::vector<int> v(n);
    std::vector<double> zz(n + 1);
    const int a1 = (axis + 1) % 3, a2 = (axis + 2) % 3;
    for (int64_t p = 0; p < g.size[a1]; ++p)
      for (int64_t q = 0; q < g.size[a2]; ++q) {
        const int64_t base = p * stride[a1] + q * stride[a2];
        for (int m = 0; m < n; ++m) line[m] = d[base + m * stride[axis]];
        DistanceTransform1D(line.data(), n, g.spacing_mm[axis], out.data(), v, zz);
        for (int m = 0; m < n; ++m) d[base + m * stride[axis]] = out[m];
      }
  }
  return d;
}

namespace {

// Where the phantom sits: the voxel grid and the implant site in LPS.
struct Placement {
  Geometry geo;
  Vec3 site_lps;
  double side;  // local x (buccal) = side * L: -1 right maxilla, +1 left
};

// The site lies within 2 mm of the axial centre with the crest about a quarter up the field of
// view; the scanner-frame position of the site is jittered by 3 mm.
Placement PlaceSite(const PhantomOptions& o, int site_fdi, Rng& rng) {
  const double s = o.spacing_mm;
  Placement p;
  p.side = site_fdi / 10 == 1 ? -1.0 : 1.0;
  p.geo.size = o.size;
  p.geo.spacing_mm = {s, s, s};
  const Vec3 site_index = {
      0.5 * (o.size[0] - 1) + rng.Uniform(-2, 2) / s,
      0.5 * (o.size[1] - 1) + rng.Uniform(-2, 2) / s,
      (std::clamp(0.27 * o.size[2] * s, 6.0, 12.0) + rng.Uniform(-1.5, 1.5)) / s};
  p.site_lps = {p.side * 32.0 + rng.Uniform(-3, 3), 8.0 + rng.Uniform(-3, 3),
                -38.0 + rng.Uniform(-3, 3)};
  for (int a = 0; a < 3; ++a) p.geo.origin_lps[a] = p.site_lps[a] - s * site_index[a];
  return p;
}

// Evaluates the continuous model at every voxel centre: tissue classes, labels, metal mask.
std::vector<uint8_t> Rasterise(const Shape& shape, const Placement& p, Phantom& ph) {
  const Geometry& g = p.geo;
  const double s = g.spacing_mm[0];
  std::vector<uint8_t> tissue(g.NumVoxels());
  size_t idx = 0;
  for (int64_t k = 0; k < g.size[2]; ++k)
    for (int64_t j = 0; j < g.size[1]; ++j)
      for (int64_t i = 0; i < g.size[0]; ++i, ++idx) {
        const double x = p.side * (g.origin_lps[0] + i * s - p.site_lps[0]);
        const double y = g.origin_lps[1] + j * s - p.site_lps[1];
        const double z = g.origin_lps[2] + k * s - p.site_lps[2];
        const Voxel v = Classify(shape, x, y, z);
        tissue[idx] = v.tissue;
        ph.labels.voxels()[idx] = v.label;
        ph.metal.voxels()[idx] = v.tissue == kMetalCrown || v.tissue == kTitanium;
      }
  return tissue;
}

// HU of every voxel. Bone within cortex_mm of non-bone is cortical; the rest is trabecular
// with the textured bone fraction. Soft tissue gets a smooth +-12 HU field.
void AssignAttenuation(const Shape& shape, const Anatomy& anatomy,
                       const std::vector<uint8_t>& tissue, Rng& rng, ImageF& hu) {
  const Geometry& g = hu.geometry();
  const double s = g.spacing_mm[0];
  LabelMap not_bone(g, 1);
  for (size_t n = 0; n < tissue.size(); ++n) not_bone.voxels()[n] = tissue[n] != kBone;
  const std::vector<float> d2 = SquaredDistanceMm2(not_bone);
  std::vector<uint8_t> is_trab(tissue.size(), 0);
  for (size_t n = 0; n < tissue.size(); ++n)
    is_trab[n] = tissue[n] == kBone && d2[n] > Sq(shape.cortex_mm);
  const std::vector<float> frac =
      TrabecularFraction(g, is_trab, anatomy.bone_density_bvtv, anatomy.trabecular_spacing_mm, rng);
  const ValueNoise soft_field({6.0, 6.0, 6.0}, rng);
  const float cortical_hu = static_cast<float>(1250.0 + 700.0 * anatomy.bone_density_bvtv);
  size_t idx = 0;
  for (int64_t k = 0; k < g.size[2]; ++k)
    for (int64_t j = 0; j < g.size[1]; ++j)
      for (int64_t i = 0; i < g.size[0]; ++i, ++idx) {
        const Tissue t = static_cast<Tissue>(tissue[idx]);
        float v = TissueHu(t);
        if (t == kBone) v = is_trab[idx] ? 15.0f + 1385.0f * frac[idx] : cortical_hu;
        if (t == kSoft || t == kMucosa)
          v += static_cast<float>(12.0 * soft_field.At(i * s, j * s, k * s));
        hu.voxels()[idx] = v;
      }
}

// Reconstructed field of view: a cylinder about the vertical axis; labels are cleared outside.
void MaskCylinder(Phantom& ph) {
  const Geometry& g = ph.labels.geometry();
  const double cx = 0.5 * (g.size[0] - 1), cy = 0.5 * (g.size[1] - 1);
  const double radius = 0.5 * std::min(g.size[0], g.size[1]) - 0.5;
  size_t idx = 0;
  for (int64_t k = 0; k < g.size[2]; ++k)
    for (int64_t j = 0; j < g.size[1]; ++j)
      for (int64_t i = 0; i < g.size[0]; ++i, ++idx)
        if (Sq(i - cx) + Sq(j - cy) > radius * radius) {
          ph.in_fov.voxels()[idx] = 0;
          ph.labels.voxels()[idx] = kBackground;
        }
}

std::vector<MetalObject> MetalObjects(const Shape& shape, const Vec3& site_lps) {
  std::vector<MetalObject> out;
  for (const Tooth& t : shape.teeth) {
    if (!t.present || !t.metal_crown) continue;
    MetalObject m;
    m.axis_lps = {site_lps[0], site_lps[1] + t.yc, 0};
    m.z_min_lps = site_lps[2] + t.crown_zc - t.rz;
    m.z_max_lps = site_lps[2] + (t.implant ? 10.0 : 0.8);
    m.radius_mm = std::max(t.rx, t.ry);
    out.push_back(m);
  }
  return out;
}

// Truth from the continuous model (ray-marched) and, for the volume, from the labels.
PhantomTruth MeasureTruth(const Shape& shape, const Placement& p, const Phantom& ph) {
  PhantomTruth tr;
  tr.right_side = p.side < 0;
  tr.buccal_direction_lps = {p.side, 0, 0};
  tr.site_crest_lps = p.site_lps;
  tr.site_floor_lps = {p.site_lps[0], p.site_lps[1], p.site_lps[2] + shape.rbh};
  tr.residual_bone_height_mm = shape.rbh;
  tr.membrane_thickness_site_mm =
      MarchWhile({0, 0, shape.rbh + 1e-6}, {0, 0, 1}, 60.0, [&](double x, double y, double z) {
        return shape.InCavity(x, y, z, 0) && shape.IsMembrane(x, y, z);
      });
  const double zw = shape.rbh + 10.0;
  const auto cavity = [&](double x, double y, double z) { return shape.InCavity(x, y, z, 0); };
  tr.sinus_width_mm = MarchWhile({shape.xc, 0, zw}, {1, 0, 0}, 60.0, cavity) +
                      MarchWhile({shape.xc, 0, zw}, {-1, 0, 0}, 60.0, cavity);
  int64_t sinus_voxels = 0;
  for (uint8_t l : ph.labels.voxels())
    sinus_voxels += l == kMaxillarySinus || l == kSchneiderianMembrane;
  tr.sinus_volume_ml = sinus_voxels * p.geo.VoxelVolumeMm3() / 1000.0;
  tr.septum_height_mm = shape.septum ? shape.septum_h : 0.0;
  for (const Tooth& t : shape.teeth) tr.teeth_present += t.present;
  tr.metal_objects = static_cast<int>(ph.metal_objects.size());
  return tr;
}

}  // namespace

StatusOr<Phantom> BuildPhantom(const Anatomy& anatomy, int site_fdi, const PhantomOptions& options,
                               Rng& rng) {
  const double s_mm = options.spacing_mm;
  const Vec3 extent = {options.size[0] * s_mm, options.size[1] * s_mm, options.size[2] * s_mm};
  if (extent[0] < 20 || extent[1] < 20 || extent[2] < 24 || s_mm < 0.05 || s_mm > 1.5)
    return InvalidArgumentError(
        "expected a field of view of at least 20x20x24 mm with voxels of 0.05-1.5 mm, found " +
        std::to_string(extent[0]) + "x" + std::to_string(extent[1]) + "x" +
        std::to_string(extent[2]) + " mm at " + std::to_string(s_mm) + " mm");
  const Shape shape = SampleShape(anatomy, site_fdi, s_mm, rng);
  const Placement placement = PlaceSite(options, site_fdi, rng);
  Phantom ph;
  ph.hu = ImageF(placement.geo, 0.0f);
  ph.labels = LabelMap(placement.geo, kBackground);
  ph.metal = LabelMap(placement.geo, 0);
  ph.in_fov = LabelMap(placement.geo, 1);
  const std::vector<uint8_t> tissue = Rasterise(shape, placement, ph);
  AssignAttenuation(shape, anatomy, tissue, rng, ph.hu);
  if (options.cylindrical_fov) MaskCylinder(ph);
  ph.metal_objects = MetalObjects(shape, placement.site_lps);
  ph.truth = MeasureTruth(shape, placement, ph);
  return ph;
}

}  // namespace amdrn::synth
