#include "anatomy/anatomy.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace amdrn::anatomy {
namespace {

// The image axis most aligned with LPS axis `lps_axis`, and the sign of that alignment.
struct AxisMatch {
  int axis = -1;
  int sign = 1;
};

AxisMatch FindAxis(const Geometry& g, int lps_axis) {
  AxisMatch best;
  double best_cos = 0;
  for (int c = 0; c < 3; ++c) {
    const double v = g.direction[lps_axis * 3 + c];  // row lps_axis, column c
    if (std::abs(v) > best_cos) best_cos = std::abs(v), best = {c, v > 0 ? 1 : -1};
  }
  if (best_cos < 0.99) best.axis = -1;
  return best;
}

struct Footprint {
  double sum_a = 0, sum_b = 0;
  int64_t count = 0;
  std::vector<uint8_t> has_bone;  // per (a, b) column
};

}  // namespace

StatusOr<SiteMeasurements> MeasureSite(const LabelMap& labels) {
  const Geometry& g = labels.geometry();
  const AxisMatch up = FindAxis(g, 2), left = FindAxis(g, 0);
  if (up.axis < 0 || left.axis < 0 || up.axis == left.axis)
    return UnimplementedError(
        "expected a label map with an image axis along superior and one along left, "
        "found an oblique direction matrix; resample it first");
  const int ax_v = up.axis, ax_a = (ax_v + 1) % 3, ax_b = (ax_v + 2) % 3;
  const int64_t na = g.size[ax_a], nb = g.size[ax_b], nv = g.size[ax_v];
  const auto at = [&](int64_t a, int64_t b, int64_t v) {
    Index3 p;
    p[ax_a] = a, p[ax_b] = b, p[ax_v] = v;
    return p;
  };
  const auto label = [&](const Index3& p) { return labels.at(p[0], p[1], p[2]); };

  SiteMeasurements m;
  int64_t counts[4] = {0, 0, 0, 0};
  for (uint8_t l : labels.voxels())
    if (l < 4) counts[l]++;
  const double voxel_ml = g.VoxelVolumeMm3() / 1000.0;
  m.sinus_lumen_volume_ml = counts[1] * voxel_ml;
  m.membrane_volume_ml = counts[2] * voxel_ml;
  m.sinus_volume_ml = (counts[1] + counts[2]) * voxel_ml;
  m.bone_volume_ml = counts[3] * voxel_ml;
  if (counts[3] == 0)
    return NotFoundError("expected residual alveolar bone (label 3) in the label map, found none");

  // Footprint of the bone on the horizontal plane and its centroid.
  Footprint fp;
  fp.has_bone.assign(static_cast<size_t>(na * nb), 0);
  for (int64_t a = 0; a < na; ++a)
    for (int64_t b = 0; b < nb; ++b)
      for (int64_t v = 0; v < nv; ++v)
        if (label(at(a, b, v)) == 3) {
          fp.has_bone[a + na * b] = 1;
          fp.sum_a += a, fp.sum_b += b, fp.count++;
          break;
        }
  const double ca = fp.sum_a / fp.count, cb = fp.sum_b / fp.count;
  int64_t sa = -1, sb = -1;
  double best = std::numeric_limits<double>::infinity();
  for (int64_t a = 0; a < na; ++a)
    for (int64_t b = 0; b < nb; ++b) {
      if (!fp.has_bone[a + na * b]) continue;
      const double d = (a - ca) * (a - ca) + (b - cb) * (b - cb);
      if (d < best) best = d, sa = a, sb = b;
    }

  // Walk the site column upwards: bone run, then the membrane run above it.
  const auto v_at = [&](int64_t step) { return up.sign > 0 ? step : nv - 1 - step; };
  int64_t lo = -1, hi = -1;
  for (int64_t s = 0; s < nv; ++s)
    if (label(at(sa, sb, v_at(s))) == 3) {
      if (lo < 0) lo = s;
      hi = s;
    }
  const double sv = g.spacing_mm[ax_v];
  m.residual_bone_height_mm = (hi - lo + 1) * sv;
  int64_t membrane = 0;
  for (int64_t s = hi + 1; s < nv && label(at(sa, sb, v_at(s))) == 2; ++s) ++membrane;
  m.membrane_thickness_mm = membrane * sv;
  m.site_column_ijk = at(sa, sb, v_at(lo));
  Vec3 crest, floor;
  for (int c = 0; c < 3; ++c) crest[c] = floor[c] = static_cast<double>(m.site_column_ijk[c]);
  crest[ax_v] = v_at(lo) - 0.5 * up.sign;
  floor[ax_v] = v_at(hi) + 0.5 * up.sign;
  m.site_crest_lps = g.IndexToPoint(crest);
  m.site_floor_lps = g.IndexToPoint(floor);

  // Sinus width along left-right, 10 mm above the floor.
  m.sinus_width_mm = std::nan("");
  const int64_t s10 = hi + static_cast<int64_t>(std::llround(10.0 / sv));
  if (s10 < nv) {
    Index3 p = at(sa, sb, v_at(s10));
    const auto cavity = [&](const Index3& q) { return label(q) == 1 || label(q) == 2; };
    if (cavity(p)) {
      int64_t run = 1;
      for (int dir : {-1, 1}) {
        Index3 q = p;
        for (q[left.axis] += dir;
             q[left.axis] >= 0 && q[left.axis] < g.size[left.axis] && cavity(q);
             q[left.axis] += dir)
          ++run;
      }
      m.sinus_width_mm = run * g.spacing_mm[left.axis];
    }
  }
  return m;
}

std::string ToString(const SiteMeasurements& m) {
  char buffer[160];
  std::snprintf(
      buffer, sizeof(buffer), "RBH %.2f mm, membrane %.2f mm, sinus %.2f ml, width %.1f mm",
      m.residual_bone_height_mm, m.membrane_thickness_mm, m.sinus_volume_ml, m.sinus_width_mm);
  return buffer;
}

}  // namespace amdrn::anatomy
