// IBSI-only intensity families: the intensity-volume histogram ("ivh") and local intensity
// peaks ("loc").
#include <unsupported/Eigen/FFT>

#include <algorithm>
#include <cmath>
#include <complex>

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
    for (double x : roi.values) {
      if (x != std::floor(x)) {
        return InvalidArgumentError(
            "IVH without discretisation expects integer intensities, found " + std::to_string(x));
      }
    }
    const int64_t n = static_cast<int64_t>(*hi - *lo) + 1;
    grid.value.resize(n);
    grid.count.assign(n, 0);
    for (int64_t g = 0; g < n; ++g) grid.value[g] = x0 + g;
    for (double x : roi.values) ++grid.count[static_cast<int64_t>(x - x0)];
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

// Smallest n' >= n of the form 4 * 2^a 3^b 5^c (fast radices; multiples of 4 keep kissfft's
// real transforms on their fast path).
int64_t FftSize(int64_t n) {
  for (int64_t m = std::max<int64_t>(n, 4);; ++m) {
    if (m % 4) continue;
    int64_t r = m;
    for (int f : {2, 3, 5}) {
      while (r % f == 0) r /= f;
    }
    if (r == 1) return m;
  }
}

using Complex = std::complex<double>;

// Real 3D array of size m (i fastest) <-> its half spectrum ((m0/2 + 1) x m1 x m2), unscaled.
// Lines along each axis are transformed in parallel chunks.
void Fft3(std::vector<double>* real, std::vector<Complex>* spectrum, const Index3& m,
          bool forward) {
  const int64_t h = m[0] / 2 + 1;
  if (forward) spectrum->assign(h * m[1] * m[2], Complex());
  auto chunks = [](int64_t count, const std::function<void(int64_t, int64_t)>& fn) {
    const int parts = static_cast<int>(std::min<int64_t>(count, 16));
    internal::ParallelFor(parts, [&](int p) { fn(count * p / parts, count * (p + 1) / parts); });
  };
  auto along_x = [&] {
    chunks(m[1] * m[2], [&](int64_t begin, int64_t end) {
      Eigen::FFT<double> fft;
      fft.SetFlag(Eigen::FFT<double>::HalfSpectrum);
      fft.SetFlag(Eigen::FFT<double>::Unscaled);
      for (int64_t r = begin; r < end; ++r) {
        double* x = real->data() + r * m[0];
        Complex* y = spectrum->data() + r * h;
        if (forward) fft.fwd(y, x, m[0]);
        else fft.inv(x, y, m[0]);
      }
    });
  };
  // Complex lines along axis 1 or 2 of the half spectrum.
  auto along = [&](int axis) {
    const int64_t n = m[axis], stride = axis == 1 ? h : h * m[1];
    const int64_t lines = h * m[1] * m[2] / n;
    chunks(lines, [&](int64_t begin, int64_t end) {
      Eigen::FFT<double> fft;
      fft.SetFlag(Eigen::FFT<double>::Unscaled);
      std::vector<Complex> a(n), b(n);
      for (int64_t l = begin; l < end; ++l) {
        const int64_t base = axis == 1 ? (l % h) + (l / h) * h * m[1] : l;
        Complex* p = spectrum->data() + base;
        for (int64_t t = 0; t < n; ++t) a[t] = p[t * stride];
        if (forward) fft.fwd(b.data(), a.data(), n);
        else fft.inv(b.data(), a.data(), n);
        for (int64_t t = 0; t < n; ++t) p[t * stride] = b[t];
      }
    });
  };
  if (forward) {
    along_x();
    along(1);
    along(2);
  } else {
    along(2);
    along(1);
    along_x();
  }
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
  int reach_j = 0, reach_k = 0, reach_i = 0;
  for (const SphereRow& r : rows) {
    reach_i = std::max(reach_i, r.w);
    reach_j = std::max(reach_j, std::abs(r.dj));
    reach_k = std::max(reach_k, std::abs(r.dk));
  }
  // Region: the ROI box grown by the sphere's reach, clipped to the image.
  const Index3 s = image.size();
  const int reach[3] = {reach_i, reach_j, reach_k};
  Index3 lo{}, hi{};
  for (int a = 0; a < 3; ++a) {
    lo[a] = std::max<int64_t>(0, roi.box_begin_ijk[a] - reach[a]);
    hi[a] = std::min<int64_t>(s[a], roi.box_begin_ijk[a] + roi.size[a] + reach[a]);
  }
  const int64_t n0 = hi[0] - lo[0], n1 = hi[1] - lo[1], n2 = hi[2] - lo[2];
  // Sphere sums of the whole region at once: the region (zero-padded so the circular
  // convolution does not wrap) convolved with the sphere's indicator by FFT, O(M log M).
  const Index3 m = {FftSize(n0 + reach_i), FftSize(n1 + reach_j), FftSize(n2 + reach_k)};
  std::vector<double> grid(static_cast<size_t>(m[0] * m[1] * m[2]), 0.0), kernel(grid.size(), 0.0);
  for (int64_t k = 0; k < n2; ++k) {
    for (int64_t j = 0; j < n1; ++j) {
      const float* src = image.data() + image.Offset(lo[0], lo[1] + j, lo[2] + k);
      std::copy(src, src + n0, grid.begin() + m[0] * (j + m[1] * k));
    }
  }
  int64_t full_count = 0;
  for (const SphereRow& r : rows) {
    const int64_t row = m[0] * ((r.dj + m[1]) % m[1] + m[1] * ((r.dk + m[2]) % m[2]));
    for (int di = -r.w; di <= r.w; ++di) kernel[row + (di + m[0]) % m[0]] = 1.0;
    full_count += 2 * r.w + 1;
  }
  {
    std::vector<Complex> g, kk;
    Fft3(&grid, &g, m, true);
    Fft3(&kernel, &kk, m, true);
    kernel = std::vector<double>();
    for (size_t n = 0; n < g.size(); ++n) g[n] *= kk[n];
    kk = std::vector<Complex>();
    Fft3(&grid, &g, m, false);
  }
  const double scale = 1.0 / (static_cast<double>(m[0]) * m[1] * m[2]);
  // Mean of the image voxels whose centres lie in the sphere around region voxel (i, j, k);
  // near the image border the sphere is clipped and the voxels are counted row by row.
  auto sphere_mean = [&](int64_t i, int64_t j, int64_t k) {
    const double sum = grid[i + m[0] * (j + m[1] * k)] * scale;
    if (i >= reach_i && j >= reach_j && k >= reach_k && i + reach_i < n0 && j + reach_j < n1 &&
        k + reach_k < n2) {
      return sum / full_count;
    }
    int64_t count = 0;
    for (const SphereRow& r : rows) {
      const int64_t jj = j + r.dj, kk = k + r.dk;
      if (jj < 0 || kk < 0 || jj >= n1 || kk >= n2) continue;
      count += std::min<int64_t>(n0, i + r.w + 1) - std::max<int64_t>(0, i - r.w);
    }
    return sum / count;
  };
  const double max_value = *std::max_element(roi.values.begin(), roi.values.end());
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
