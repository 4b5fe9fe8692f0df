#include "synth/phantom.h"

#include "synth/maxilla.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace amdrn::synth {
namespace {

using internal::Column;
using internal::Maxilla;
using internal::Tissue;
using namespace internal;  // tissue classes

double Clamp01(double v) { return std::min(1.0, std::max(0.0, v)); }
double Sq(double v) { return v * v; }

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

// The site lies within 2 mm of a point 3.5 mm buccal of the axial centre (so the field of view
// reaches the palate and nasal cavity), with the crest about 30 % up the field of view; the
// scanner-frame position of the site is jittered by 3 mm.
Placement PlaceSite(const PhantomOptions& o, int site_fdi, Rng& rng) {
  const double s = o.spacing_mm;
  Placement p;
  p.side = site_fdi / 10 == 1 ? -1.0 : 1.0;
  p.geo.size = o.size;
  p.geo.spacing_mm = {s, s, s};
  const Vec3 site_index = {
      0.5 * (o.size[0] - 1) + (p.side * 3.5 + rng.Uniform(-2, 2)) / s,
      0.5 * (o.size[1] - 1) + rng.Uniform(-2, 2) / s,
      (std::clamp(0.3 * o.size[2] * s, 6.0, 12.0) + rng.Uniform(-1.5, 1.5)) / s};
  p.site_lps = {p.side * 32.0 + rng.Uniform(-3, 3), 8.0 + rng.Uniform(-3, 3),
                -38.0 + rng.Uniform(-3, 3)};
  for (int a = 0; a < 3; ++a) p.geo.origin_lps[a] = p.site_lps[a] - s * site_index[a];
  return p;
}

// Where the floor rises steeply (over roots, septa) the lining, drawn along the vertical, can
// be thinner than a voxel across the slope: lumen voxels touching bone or tooth become lining,
// so the membrane label always separates lumen from hard tissue.
void LineLumen(std::vector<uint8_t>& tissue, LabelMap& labels) {
  const Index3& n = labels.size();
  const int64_t stride[3] = {1, n[0], n[0] * n[1]};
  std::vector<size_t> lined;
  size_t idx = 0;
  for (int64_t k = 0; k < n[2]; ++k)
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i, ++idx) {
        if (labels.voxels()[idx] != kMaxillarySinus) continue;
        const int64_t at[3] = {i, j, k};
        for (int a = 0; a < 3; ++a)
          for (int d : {-1, 1}) {
            if (at[a] + d < 0 || at[a] + d >= n[a]) continue;
            const uint8_t t = tissue[idx + d * stride[a]];
            if (t != kAir && t != kMucosa && t != kFluid && t != kSoft) lined.push_back(idx);
          }
      }
  for (size_t m : lined) {
    labels.voxels()[m] = kSchneiderianMembrane;
    tissue[m] = kMucosa;
  }
}

// Evaluates the continuous model at every voxel centre, column by column: tissue classes,
// labels, metal mask.
std::vector<uint8_t> Rasterise(const Maxilla& model, const Placement& p, Phantom& ph) {
  const Geometry& g = p.geo;
  const double s = g.spacing_mm[0];
  const int64_t slice = g.size[0] * g.size[1];
  std::vector<uint8_t> tissue(g.NumVoxels());
  for (int64_t j = 0; j < g.size[1]; ++j)
    for (int64_t i = 0; i < g.size[0]; ++i) {
      const Column c = model.ColumnAt(p.side * (g.origin_lps[0] + i * s - p.site_lps[0]),
                                      g.origin_lps[1] + j * s - p.site_lps[1]);
      for (int64_t k = 0; k < g.size[2]; ++k) {
        const size_t idx = static_cast<size_t>(k * slice + j * g.size[0] + i);
        Tissue t;
        uint8_t label;
        model.Classify(c, g.origin_lps[2] + k * s - p.site_lps[2], &t, &label);
        tissue[idx] = t;
        ph.labels.voxels()[idx] = label;
        ph.metal.voxels()[idx] = t == kMetalCrown || t == kTitanium;
      }
    }
  LineLumen(tissue, ph.labels);
  return tissue;
}

// HU of every voxel. Bone within cortex_mm of non-bone is cortical (plates, lamina dura, sinus
// and nasal walls); the rest is trabecular with the textured bone fraction. Soft tissue gets a
// smooth +-12 HU field.
void AssignAttenuation(const Maxilla& model, const Anatomy& anatomy,
                       const std::vector<uint8_t>& tissue, Rng& rng, ImageF& hu) {
  const Geometry& g = hu.geometry();
  const double s = g.spacing_mm[0];
  LabelMap not_bone(g, 1);
  for (size_t n = 0; n < tissue.size(); ++n) not_bone.voxels()[n] = tissue[n] != kBone;
  const std::vector<float> d2 = SquaredDistanceMm2(not_bone);
  std::vector<uint8_t> is_trab(tissue.size(), 0);
  for (size_t n = 0; n < tissue.size(); ++n)
    is_trab[n] = tissue[n] == kBone && d2[n] > Sq(model.cortex_mm);
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

std::vector<MetalObject> MetalObjects(const Maxilla& model, const Placement& p) {
  std::vector<MetalObject> out;
  for (const internal::Tooth& t : model.teeth) {
    if (!t.present || !t.metal_crown) continue;
    MetalObject m;
    m.axis_lps = {p.site_lps[0] + p.side * t.x, p.site_lps[1] + t.y, 0};
    m.z_min_lps = p.site_lps[2] + t.z_occ - t.cusp;
    m.z_max_lps = p.site_lps[2] + (t.implant ? t.z_cej + 10.0 : t.z_cej + 0.3);
    m.radius_mm = std::max(t.ra, t.rb);
    out.push_back(m);
  }
  return out;
}

// Truth from the continuous model (ray-marched) and, for the volume, from the labels.
PhantomTruth MeasureTruth(const Maxilla& model, const Placement& p, const Phantom& ph) {
  PhantomTruth tr;
  tr.right_side = p.side < 0;
  tr.buccal_direction_lps = {p.side, 0, 0};
  tr.site_crest_lps = p.site_lps;
  tr.site_floor_lps = {p.site_lps[0], p.site_lps[1], p.site_lps[2] + model.rbh};
  tr.residual_bone_height_mm = model.rbh;
  // Membrane along the axis, in fine steps on the axis column.
  const Column axis = model.ColumnAt(0, 0);
  double t = 0;
  for (double z = model.rbh + 1e-6; t < 60.0; t += 0.005, z += 0.005)
    if (!model.InCavity(axis, z, 0) || !model.IsMembrane(axis, z)) break;
  tr.membrane_thickness_site_mm = t;
  const double start[3] = {0, 0, model.rbh + 10.0};
  const double plus[3] = {1, 0, 0}, minus[3] = {-1, 0, 0};
  const auto cavity = [&](double x, double y, double z) {
    return model.InCavity(model.ColumnAt(x, y), z, 0);
  };
  tr.sinus_width_mm =
      MarchWhile(start, plus, 60.0, cavity) + MarchWhile(start, minus, 60.0, cavity);
  int64_t sinus_voxels = 0;
  for (uint8_t l : ph.labels.voxels())
    sinus_voxels += l == kMaxillarySinus || l == kSchneiderianMembrane;
  tr.sinus_volume_ml = sinus_voxels * p.geo.VoxelVolumeMm3() / 1000.0;
  tr.septum_height_mm = model.septum ? model.septum_h : 0.0;
  for (const internal::Tooth& t : model.teeth) tr.teeth_present += t.present;
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
  const Maxilla model = internal::SampleMaxilla(anatomy, site_fdi, s_mm, rng);
  const Placement placement = PlaceSite(options, site_fdi, rng);
  Phantom ph;
  ph.hu = ImageF(placement.geo, 0.0f);
  ph.labels = LabelMap(placement.geo, kBackground);
  ph.metal = LabelMap(placement.geo, 0);
  ph.in_fov = LabelMap(placement.geo, 1);
  const std::vector<uint8_t> tissue = Rasterise(model, placement, ph);
  AssignAttenuation(model, anatomy, tissue, rng, ph.hu);
  if (options.cylindrical_fov) MaskCylinder(ph);
  ph.metal_objects = MetalObjects(model, placement);
  ph.truth = MeasureTruth(model, placement, ph);
  return ph;
}

}  // namespace amdrn::synth
