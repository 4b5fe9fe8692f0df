// IBSI-only intensity families: the intensity-volume histogram ("ivh") and local intensity
// peaks ("loc").
#include <algorithm>
#include <cmath>

#include "radiomics/features.h"
#include "radiomics/texture_common.h"

namespace amdrn::radiomics {
namespace {
using internal::Add;

// Intensity grid of the IVH: value of each grid point and the count of ROI voxels on it.
struct IvhGrid {
  std::vector<double> value;
  std::vector<int64_t> count;
};

StatusOr<IvhGrid> MakeIvhGrid(const Roi& roi, const IvhSettings& settings) {
  IvhGrid grid;
  const DiscretisationSettings& s = settings.discretisation;
  if (s.mode == BinningMode::kNone) {
    // Integer intensities (e.g. CT): grid = every integer from the minimum to the maximum.
    const auto [lo, hi] = std::minmax_element(roi.values.begin(), roi.values.end());
    const double x0 = *lo;
    for (float x : roi.values) {
      if (x != std::floor(x)) {
        return InvalidArgumentError(
            "IVH without discretisation expects integer intensities, found " + std::to_string(x));
      }
    }
    const int64_t n = static_cast<int64_t>(*hi - *lo) + 1;
    grid.value.resize(n);
    grid.count.assign(n, 0);
    for (int64_t g = 0; g < n; ++g) grid.value[g] = x0 + g;
    for (float x : roi.values) ++grid.count[static_cast<int64_t>(x - x0)];
    return grid;
  }
  DiscretisationSettings ds = s;
  ds.ibsi = true;
  AMDRN_ASSIGN_OR_RETURN(DiscretisedRoi d, Discretise(roi, ds));
  const int ng = std::max(d.num_levels, d.max_level);
  grid.value.resize(ng);
  grid.count.assign(ng, 0);
  const double x_min = s.ibsi_min.value_or(*std::min_element(roi.values.begin(), roi.values.end()));
  for (int g = 1; g <= ng; ++g) {
    // Fixed bin size: bin centres; fixed bin number: the levels themselves.
    grid.value[g - 1] =
        s.mode == BinningMode::kFixedBinWidth ? x_min + (g - 0.5) * s.bin_width : g;
  }
  for (int64_t o : d.voxels) ++grid.count[d.levels[o] - 1];
  return grid;
}

}  // namespace

StatusOr<FeatureList> ComputeIntensityVolumeHistogram(const Roi& roi, const IvhSettings& settings) {
  if (roi.values.empty()) return internal::EmptyRoiError("IVH");
  AMDRN_ASSIGN_OR_RETURN(IvhGrid grid, MakeIvhGrid(roi, settings));
  const size_t n = grid.value.size();
  // volume[g]: fraction of voxels with intensity >= grid value g.
  std::vector<double> volume(n + 1, 0.0);
  const double total = static_cast<double>(roi.values.size());
  for (size_t g = n; g-- > 0;) volume[g] = volume[g + 1] + grid.count[g];
  for (double& v : volume) v /= total;
  const double x_lo = grid.value.front(), x_hi = grid.value.back();

  // V_x (BC2M): volume fraction with intensity fraction (x - x_lo) / (x_hi - x_lo) >= x.
  auto volume_at = [&](double fraction) {
    if (x_hi == x_lo) return internal::kNaN;
    for (size_t g = 0; g < n; ++g) {
      if ((grid.value[g] - x_lo) / (x_hi - x_lo) >= fraction) return volume[g];
    }
    return 0.0;
  };
  // I_x (GBPN): lowest intensity whose volume fraction is at most x.
  auto intensity_at = [&](double fraction) {
    for (size_t g = 0; g < n; ++g) {
      if (volume[g] <= fraction) return grid.value[g];
    }
    return x_hi + (n > 1 ? grid.value[1] - grid.value[0] : 1.0);
  };
  const double v10 = volume_at(0.1), v90 = volume_at(0.9);
  const double i10 = intensity_at(0.1), i90 = intensity_at(0.9);
  FeatureList f;
  // fraction of voxels with intensity fraction >= 0.10
  Add(&f, "VolumeAtIntensityFraction10", v10, "BC2M");
  // fraction of voxels with intensity fraction >= 0.90
  Add(&f, "VolumeAtIntensityFraction90", v90, "BC2M");
  // lowest intensity reached by at most 10 % of the volume
  Add(&f, "IntensityAtVolumeFraction10", i10, "GBPN");
  // lowest intensity reached by at most 90 % of the volume
  Add(&f, "IntensityAtVolumeFraction90", i90, "GBPN");
  Add(&f, "VolumeFractionDifference", v10 - v90, "DDTU");     // V10 - V90
  Add(&f, "IntensityFractionDifference", i10 - i90, "CNV2");  // I10 - I90
  if (x_hi == x_lo) {
    for (Feature& e : f) {
      if (std::isnan(e.value)) e.reason = "flat ROI: intensity fractions are undefined";
    }
  }
  internal::SortByName(&f);
  return f;
}

namespace {

// Sphere of 1 cm^3 (radius (3 / (4 pi))^(1/3) cm) as rows along i: for each (dj, dk) the
// half-width w of the row of voxel centres within the radius.
struct SphereRow {
  int dj, dk, w;
};

std::vector<SphereRow> SphereRows(const Vec3& spacing_mm) {
  const double r = 10.0 * std::cbrt(3.0 / (4.0 * M_PI));
  const int rj = static_cast<int>(r / spacing_mm[1]), rk = static_cast<int>(r / spacing_mm[2]);
  std::vector<SphereRow> rows;
  for (int dk = -rk; dk <= rk; ++dk) {
    for (int dj = -rj; dj <= rj; ++dj) {
      const double rest = r * r - std::pow(dj * spacing_mm[1], 2) - std::pow(dk * spacing_mm[2], 2);
      if (rest < 0) continue;
      rows.push_back({dj, dk, static_cast<int>(std::sqrt(rest) / spacing_mm[0] + 1e-9)});
    }
  }
  return rows;
}

}  // namespace

StatusOr<FeatureList> ComputeLocalIntensity(const ImageF& image, const Roi& roi) {
  if (roi.values.empty()) return internal::EmptyRoiError("local intensity");
  if (image.size() != roi.source_geometry.size) {
    return FailedPreconditionError("local intensity expects the image the ROI was cut from (" +
                                   roi.source_geometry.ToString() + "), found " +
                                   image.geometry().ToString());
  }
  const std::vector<SphereRow> rows = SphereRows(roi.spacing_mm);
  // Region: the ROI box grown by the sphere radius, clipped to the image.
  const Index3 s = image.size();
  Index3 lo{}, hi{};
  for (int a = 0; a < 3; ++a) {
    const int64_t reach = static_cast<int64_t>(11.0 / roi.spacing_mm[a]) + 1;
    lo[a] = std::max<int64_t>(0, roi.box_begin_ijk[a] - reach);
    hi[a] = std::min<int64_t>(s[a], roi.box_begin_ijk[a] + roi.size[a] + reach);
  }
  const int64_t n0 = hi[0] - lo[0], n1 = hi[1] - lo[1], n2 = hi[2] - lo[2];
  // Prefix sums along i of every region row: prefix[row * (n0 + 1) + i] = sum of x < i.
  std::vector<double> prefix(static_cast<size_t>((n0 + 1) * n1 * n2));
  for (int64_t k = 0; k < n2; ++k) {
    for (int64_t j = 0; j < n1; ++j) {
      double* p = prefix.data() + (j + n1 * k) * (n0 + 1);
      const float* src = image.data() + image.Offset(lo[0], lo[1] + j, lo[2] + k);
      double acc = 0;
      p[0] = 0;
      for (int64_t i = 0; i < n0; ++i) p[i + 1] = (acc += src[i]);
    }
  }
  // Mean of the image voxels whose centres lie in the sphere around region voxel (i, j, k).
  // Fast path when the sphere stays inside the region: precomputed prefix-row offsets.
  int reach_j = 0, reach_k = 0, reach_i = 0;
  std::vector<int64_t> lo_off, hi_off;
  for (const SphereRow& r : rows) {
    reach_i = std::max(reach_i, r.w);
    reach_j = std::max(reach_j, std::abs(r.dj));
    reach_k = std::max(reach_k, std::abs(r.dk));
    const int64_t row = (r.dj + n1 * static_cast<int64_t>(r.dk)) * (n0 + 1);
    lo_off.push_back(row - r.w);
    hi_off.push_back(row + r.w + 1);
  }
  int64_t full_count = 0;
  for (const SphereRow& r : rows) full_count += 2 * r.w + 1;
  auto sphere_mean = [&](int64_t i, int64_t j, int64_t k) {
    if (i >= reach_i && j >= reach_j && k >= reach_k && i + reach_i < n0 && j + reach_j < n1 &&
        k + reach_k < n2) {
      const double* p = prefix.data() + (j + n1 * k) * (n0 + 1) + i;
      double sum = 0;
      for (size_t r = 0; r < lo_off.size(); ++r) sum += p[hi_off[r]] - p[lo_off[r]];
      return sum / full_count;
    }
    double sum = 0;
    int64_t count = 0;
    for (const SphereRow& r : rows) {
      const int64_t jj = j + r.dj, kk = k + r.dk;
      if (jj < 0 || kk < 0 || jj >= n1 || kk >= n2) continue;
      const int64_t a = std::max<int64_t>(0, i - r.w), b = std::min<int64_t>(n0, i + r.w + 1);
      const double* p = prefix.data() + (jj + n1 * kk) * (n0 + 1);
      sum += p[b] - p[a];
      count += b - a;
    }
    return sum / count;
  };
  const float max_value = *std::max_element(roi.values.begin(), roi.values.end());
  const int64_t n = roi.NumVoxels();
  std::vector<double> means(n);
  const int parts = static_cast<int>(std::min<int64_t>(n, 64));
  internal::ParallelFor(parts, [&](int part) {
    for (int64_t v = n * part / parts; v < n * (part + 1) / parts; ++v) {
      const int64_t o = roi.voxels[v];
      const int64_t i = o % roi.size[0], j = (o / roi.size[0]) % roi.size[1],
                    k = o / (roi.size[0] * roi.size[1]);
      means[v] = sphere_mean(i + roi.box_begin_ijk[0] - lo[0], j + roi.box_begin_ijk[1] - lo[1],
                             k + roi.box_begin_ijk[2] - lo[2]);
    }
  });
  double local = -1e300, global = -1e300;
  for (int64_t v = 0; v < n; ++v) {
    global = std::max(global, means[v]);
    if (roi.values[v] == max_value) local = std::max(local, means[v]);
  }
  FeatureList f;
  Add(&f, "LocalIntensityPeak", local, "VJGA");    // max sphere mean over the hottest voxels
  Add(&f, "GlobalIntensityPeak", global, "0F91");  // max sphere mean over all ROI voxels
  internal::SortByName(&f);
  return f;
}

}  // namespace amdrn::radiomics
