#include "dl/roi.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <string>

#include "anatomy/anatomy.h"

namespace amdrn::dl {
namespace {

// Voxel offsets of the largest 6-connected component of `label` (empty if none).
std::vector<int64_t> LargestComponent(const LabelMap& labels, uint8_t label) {
  const Index3& n = labels.size();
  std::vector<uint8_t> seen(labels.NumVoxels(), 0);
  std::vector<int64_t> best, current;
  std::deque<int64_t> queue;
  const int64_t strides[3] = {1, n[0], n[0] * n[1]};
  for (int64_t start = 0; start < labels.NumVoxels(); ++start) {
    if (seen[start] || labels.data()[start] != label) continue;
    current.clear();
    seen[start] = 1;
    queue.push_back(start);
    while (!queue.empty()) {
      int64_t v = queue.front();
      queue.pop_front();
      current.push_back(v);
      const int64_t ijk[3] = {v % n[0], (v / n[0]) % n[1], v / (n[0] * n[1])};
      for (int axis = 0; axis < 3; ++axis) {
        for (int step : {-1, 1}) {
          int64_t c = ijk[axis] + step;
          if (c < 0 || c >= n[axis]) continue;
          int64_t w = v + step * strides[axis];
          if (!seen[w] && labels.data()[w] == label) {
            seen[w] = 1;
            queue.push_back(w);
          }
        }
      }
    }
    if (current.size() > best.size()) best.swap(current);
  }
  return best;
}

Vec3 OffsetToPoint(const Geometry& g, int64_t v) {
  Vec3 ijk = {static_cast<double>(v % g.size[0]), static_cast<double>((v / g.size[0]) % g.size[1]),
              static_cast<double>(v / (g.size[0] * g.size[1]))};
  return g.IndexToPoint(ijk);
}

// Lowest (most inferior, smallest S) MS point near the bone centroid in the axial plane;
// falls back to the MS voxel nearest the centroid. False if there is no MS voxel.
bool FindSinusFloor(const LabelMap& labels, const Vec3& centroid, double radius_mm,
                    Vec3* floor_lps) {
  const Geometry& g = labels.geometry();
  double best_s = std::numeric_limits<double>::infinity();
  double nearest_d2 = std::numeric_limits<double>::infinity();
  Vec3 nearest = {0, 0, 0};
  bool any = false, in_column = false;
  for (int64_t v = 0; v < labels.NumVoxels(); ++v) {
    if (labels.data()[v] != kLabelSinus) continue;
    Vec3 p = OffsetToPoint(g, v);
    double dl = p[0] - centroid[0], dp = p[1] - centroid[1], ds = p[2] - centroid[2];
    double axial2 = dl * dl + dp * dp;
    any = true;
    if (axial2 <= radius_mm * radius_mm && p[2] < best_s) {
      best_s = p[2];
      in_column = true;
    }
    if (axial2 + ds * ds < nearest_d2) {
      nearest_d2 = axial2 + ds * ds;
      nearest = p;
    }
  }
  if (!any) return false;
  *floor_lps = in_column ? Vec3{centroid[0], centroid[1], best_s} : nearest;
  return true;
}

}  // namespace

int RoiOptions::EdgeVoxels() const {
  return static_cast<int>(std::lround(box_mm / voxel_mm));
}

Status RoiOptions::Validate() const {
  if (!(box_mm > 0) || !(voxel_mm > 0)) {
    return InvalidArgumentError("expected positive ROI box and voxel sizes, found box " +
                                std::to_string(box_mm) + " mm and voxel " +
                                std::to_string(voxel_mm) + " mm");
  }
  int n = EdgeVoxels();
  if (n < 4 || n > 256) {
    return InvalidArgumentError("expected 4 to 256 ROI voxels per edge (box / voxel), found " +
                                std::to_string(n));
  }
  return OkStatus();
}

StatusOr<ImplantSite> FindImplantSite(const LabelMap& labels, const RoiOptions& options) {
  // The anatomy module's site column is the shared definition of the implant site; its own
  // fallback below covers volumes it refuses (no image axis near superior).
  auto measured = anatomy::MeasureSite(labels);
  if (measured.ok()) {
    ImplantSite site;
    for (int a = 0; a < 3; ++a) {
      site.bone_centroid_lps[a] = 0.5 * (measured->site_crest_lps[a] + measured->site_floor_lps[a]);
      site.sinus_floor_lps[a] = measured->site_floor_lps[a];
      site.center_lps[a] = 0.5 * (site.bone_centroid_lps[a] + site.sinus_floor_lps[a]);
    }
    site.floor_found = true;
    return site;
  }
  if (measured.status().code() == StatusCode::kNotFound) {
    return FailedPreconditionError(
        "expected residual alveolar bone (label 3) in the label map to place the DL region of "
        "interest, found none");
  }
  return FindImplantSiteByCentroid(labels, options);
}

StatusOr<ImplantSite> FindImplantSiteByCentroid(const LabelMap& labels,
                                                const RoiOptions& options) {
  std::vector<int64_t> bone = LargestComponent(labels, kLabelBone);
  if (bone.empty()) {
    return FailedPreconditionError(
        "expected residual alveolar bone (label 3) in the label map to place the DL region of "
        "interest, found none");
  }
  ImplantSite site;
  Vec3 sum = {0, 0, 0};
  for (int64_t v : bone) {
    Vec3 p = OffsetToPoint(labels.geometry(), v);
    for (int a = 0; a < 3; ++a) sum[a] += p[a];
  }
  for (int a = 0; a < 3; ++a) site.bone_centroid_lps[a] = sum[a] / bone.size();
  site.center_lps = site.bone_centroid_lps;
  site.floor_found = FindSinusFloor(labels, site.bone_centroid_lps,
                                    options.floor_search_radius_mm, &site.sinus_floor_lps);
  if (site.floor_found) {
    for (int a = 0; a < 3; ++a) {
      site.center_lps[a] = 0.5 * (site.bone_centroid_lps[a] + site.sinus_floor_lps[a]);
    }
  }
  return site;
}

Geometry RoiGeometry(const Vec3& center_lps, const RoiOptions& options) {
  Geometry g;
  int n = options.EdgeVoxels();
  g.size = {n, n, n};
  g.spacing_mm = {options.voxel_mm, options.voxel_mm, options.voxel_mm};
  double half = 0.5 * (n - 1) * options.voxel_mm;
  for (int a = 0; a < 3; ++a) g.origin_lps[a] = center_lps[a] - half;
  return g;
}

float IntensityNorm::Apply(float v) const {
  return (std::clamp(v, low, high) - mean) / sd;
}

IntensityNorm ComputeIntensityNorm(const ImageF& cbct) {
  // Statistics from at most ~2M voxels taken at a fixed stride: deterministic and fast.
  const int64_t total = cbct.NumVoxels();
  const int64_t stride = std::max<int64_t>(1, total / 2000000);
  std::vector<float> values;
  values.reserve(total / stride + 1);
  for (int64_t v = 0; v < total; v += stride) values.push_back(cbct.data()[v]);
  IntensityNorm norm;
  if (values.empty()) return norm;
  auto quantile = [&](double q) {
    size_t k = static_cast<size_t>(q * (values.size() - 1));
    std::nth_element(values.begin(), values.begin() + k, values.end());
    return values[k];
  };
  norm.low = quantile(0.005);
  norm.high = quantile(0.995);
  double sum = 0, sum2 = 0;
  for (float v : values) {
    double c = std::clamp(v, norm.low, norm.high);
    sum += c;
    sum2 += c * c;
  }
  double mean = sum / values.size();
  double var = std::max(0.0, sum2 / values.size() - mean * mean);
  norm.mean = static_cast<float>(mean);
  norm.sd = static_cast<float>(std::max(std::sqrt(var), 1e-6));
  return norm;
}

float SampleTrilinear(const float* values, const Index3& size, const Vec3& ijk, float outside) {
  double c[3];
  for (int a = 0; a < 3; ++a) {
    if (ijk[a] < -0.5 || ijk[a] > size[a] - 0.5) return outside;
    c[a] = std::clamp(ijk[a], 0.0, static_cast<double>(size[a] - 1));
  }
  int64_t i0 = std::min<int64_t>(static_cast<int64_t>(c[0]), size[0] - 1);
  int64_t j0 = std::min<int64_t>(static_cast<int64_t>(c[1]), size[1] - 1);
  int64_t k0 = std::min<int64_t>(static_cast<int64_t>(c[2]), size[2] - 1);
  int64_t i1 = std::min(i0 + 1, size[0] - 1), j1 = std::min(j0 + 1, size[1] - 1),
          k1 = std::min(k0 + 1, size[2] - 1);
  double fi = c[0] - i0, fj = c[1] - j0, fk = c[2] - k0;
  auto at = [&](int64_t i, int64_t j, int64_t k) {
    return static_cast<double>(values[i + size[0] * (j + size[1] * k)]);
  };
  double c00 = at(i0, j0, k0) * (1 - fi) + at(i1, j0, k0) * fi;
  double c10 = at(i0, j1, k0) * (1 - fi) + at(i1, j1, k0) * fi;
  double c01 = at(i0, j0, k1) * (1 - fi) + at(i1, j0, k1) * fi;
  double c11 = at(i0, j1, k1) * (1 - fi) + at(i1, j1, k1) * fi;
  double c0 = c00 * (1 - fj) + c10 * fj, c1 = c01 * (1 - fj) + c11 * fj;
  return static_cast<float>(c0 * (1 - fk) + c1 * fk);
}

StatusOr<RoiSample> ExtractRoi(const ImageF& cbct, const LabelMap& labels,
                               const RoiOptions& options) {
  AMDRN_RETURN_IF_ERROR(options.Validate());
  AMDRN_RETURN_IF_ERROR(
      CheckSameGeometry(cbct.geometry(), labels.geometry(), "CBCT", "label map"));
  RoiSample roi;
  AMDRN_ASSIGN_OR_RETURN(roi.site, FindImplantSite(labels, options));
  roi.grid = RoiGeometry(roi.site.center_lps, options);
  const IntensityNorm norm = ComputeIntensityNorm(cbct);
  const Geometry& src = cbct.geometry();
  const int64_t n = roi.grid.size[0];
  roi.image.resize(n * n * n);
  roi.labels.resize(n * n * n);
  for (int64_t k = 0; k < n; ++k) {
    for (int64_t j = 0; j < n; ++j) {
      for (int64_t i = 0; i < n; ++i) {
        Vec3 ijk = src.PointToIndex(roi.grid.IndexToPoint({double(i), double(j), double(k)}));
        int64_t o = i + n * (j + n * k);
        roi.image[o] = norm.Apply(SampleTrilinear(cbct.data(), src.size, ijk, norm.low));
        Index3 r = {std::llround(ijk[0]), std::llround(ijk[1]), std::llround(ijk[2])};
        roi.labels[o] = labels.Contains(r[0], r[1], r[2]) ? labels.at(r[0], r[1], r[2]) : 0;
      }
    }
  }
  return roi;
}

ImageF MapRoiToVolume(const std::vector<float>& roi_values, const Geometry& roi_grid,
                      const Geometry& target) {
  ImageF out(target, 0.0f);
  // Visit only the target's index box that covers the ROI's eight corners.
  Vec3 lo = {1e300, 1e300, 1e300}, hi = {-1e300, -1e300, -1e300};
  for (int corner = 0; corner < 8; ++corner) {
    Vec3 ijk;
    for (int a = 0; a < 3; ++a) ijk[a] = (corner >> a & 1) ? roi_grid.size[a] - 0.5 : -0.5;
    Vec3 t = target.PointToIndex(roi_grid.IndexToPoint(ijk));
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::min(lo[a], t[a]);
      hi[a] = std::max(hi[a], t[a]);
    }
  }
  Index3 from, to;
  for (int a = 0; a < 3; ++a) {
    from[a] = std::max<int64_t>(0, static_cast<int64_t>(std::floor(lo[a])));
    to[a] = std::min<int64_t>(target.size[a] - 1, static_cast<int64_t>(std::ceil(hi[a])));
  }
  for (int64_t k = from[2]; k <= to[2]; ++k) {
    for (int64_t j = from[1]; j <= to[1]; ++j) {
      for (int64_t i = from[0]; i <= to[0]; ++i) {
        Vec3 r = roi_grid.PointToIndex(target.IndexToPoint({double(i), double(j), double(k)}));
        out.at(i, j, k) = SampleTrilinear(roi_values.data(), roi_grid.size, r, 0.0f);
      }
    }
  }
  return out;
}

}  // namespace amdrn::dl
