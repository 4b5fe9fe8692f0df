// The two linear filters of PyRadiomics' default-heavy workloads, computed only where the
// features need them: Laplacian of Gaussian (ITK's recursive Gaussian, as SimpleITK runs it)
// and the undecimated wavelet (pywt.swtn with periodic extension). Both are separable, so a
// box of the output needs only whole lines along each axis through the box (recursive
// filter) or the box plus the filter's support (wavelet); every output value is computed by
// the same operations in the same order as on the whole image, so it is identical.
#include <itkRecursiveGaussianImageFilter.h>

#include <algorithm>
#include <cmath>
#include <mutex>

#include "core/logging.h"
#include "radiomics/filters.h"

namespace amdrn::radiomics {
namespace {

// Values over a box of the image grid (i fastest). For the wavelet the lower corner may lie
// outside the grid: coordinates are taken modulo the (padded) image size.
template <typename T>
struct Block {
  Index3 lower = {0, 0, 0};
  Index3 size = {0, 0, 0};
  std::vector<T> v;

  void Allocate() { v.assign(static_cast<size_t>(size[0] * size[1] * size[2]), T()); }
  int64_t Stride(int axis) const { return axis == 0 ? 1 : axis == 1 ? size[0] : size[0] * size[1]; }
};

// A read-only view of whole-image voxels as a block.
template <typename T>
struct View {
  const T* data;
  Index3 lower;
  Index3 size;
  int64_t Stride(int axis) const { return axis == 0 ? 1 : axis == 1 ? size[0] : size[0] * size[1]; }
};

template <typename T>
View<T> ViewOf(const Block<T>& b) { return {b.v.data(), b.lower, b.size}; }

// ---- recursive Gaussian (Deriche, 4th order, as itk::RecursiveGaussianImageFilter) ----

struct IirCoefficients {
  double n[4], d[4], m[4], bn[4], bm[4];
};

// Reads ITK's coefficients (they depend on sigma, spacing, order and normalisation only), so
// the recursion below runs on exactly the numbers ITK would use.
using ItkDouble = itk::Image<double, 3>;
class CoefficientProbe : public itk::RecursiveGaussianImageFilter<ItkDouble, ItkDouble> {
 public:
  using Self = CoefficientProbe;
  using Pointer = itk::SmartPointer<Self>;
  itkNewMacro(Self);

  IirCoefficients Read(double spacing) {
    SetUp(spacing);
    return {{m_N0, m_N1, m_N2, m_N3}, {m_D1, m_D2, m_D3, m_D4}, {m_M1, m_M2, m_M3, m_M4},
            {m_BN1, m_BN2, m_BN3, m_BN4}, {m_BM1, m_BM2, m_BM3, m_BM4}};
  }

 protected:
  CoefficientProbe() = default;
};

IirCoefficients GaussianCoefficients(double sigma_mm, double spacing_mm, bool second_order) {
  static std::mutex mutex;  // ITK's object factory is not meant for concurrent creation
  std::lock_guard<std::mutex> lock(mutex);
  CoefficientProbe::Pointer probe = CoefficientProbe::New();
  probe->SetSigma(sigma_mm);
  probe->SetNormalizeAcrossScale(true);
  probe->SetOrder(second_order ? itk::GaussianOrderEnum::SecondOrder
                               : itk::GaussianOrderEnum::ZeroOrder);
  return probe->Read(spacing_mm);
}

constexpr int kLanes = 16;  // lines filtered together (the inner loop vectorises over them)

// ITK's RecursiveSeparableImageFilter::FilterDataArray on kLanes interleaved lines
// (x[t * kLanes + l] is sample t of line l): causal and anti-causal passes whose border
// values are assumed to extend to infinity, summed. Same operations in the same order.
// Built for AVX2 too (picked at run time); AVX2 without FMA keeps every rounding step.
__attribute__((target_clones("avx2", "default")))
void FilterLanes(const IirCoefficients& c, const double* x, double* out, double* anti,
                 int64_t ln) {
  const double n0 = c.n[0], n1 = c.n[1], n2 = c.n[2], n3 = c.n[3];
  const double d1 = c.d[0], d2 = c.d[1], d3 = c.d[2], d4 = c.d[3];
  const double m1 = c.m[0], m2 = c.m[1], m3 = c.m[2], m4 = c.m[3];
  constexpr int L = kLanes;
  for (int l = 0; l < L; ++l) {
    const double v = x[l], x1 = x[L + l], x2 = x[2 * L + l], x3 = x[3 * L + l];
    double y0 = v * n0 + v * n1 + v * n2 + v * n3;
    double y1 = x1 * n0 + v * n1 + v * n2 + v * n3;
    double y2 = x2 * n0 + x1 * n1 + v * n2 + v * n3;
    double y3 = x3 * n0 + x2 * n1 + x1 * n2 + v * n3;
    y0 -= v * c.bn[0] + v * c.bn[1] + v * c.bn[2] + v * c.bn[3];
    y1 -= y0 * d1 + v * c.bn[1] + v * c.bn[2] + v * c.bn[3];
    y2 -= y1 * d1 + y0 * d2 + v * c.bn[2] + v * c.bn[3];
    y3 -= y2 * d1 + y1 * d2 + y0 * d3 + v * c.bn[3];
    out[l] = y0;
    out[L + l] = y1;
    out[2 * L + l] = y2;
    out[3 * L + l] = y3;
  }
  for (int64_t t = 4; t < ln; ++t) {
    const double* xt = x + t * L;
    double* o = out + t * L;
    for (int l = 0; l < L; ++l) {
      double y = xt[l] * n0 + xt[l - L] * n1 + xt[l - 2 * L] * n2 + xt[l - 3 * L] * n3;
      y -= o[l - L] * d1 + o[l - 2 * L] * d2 + o[l - 3 * L] * d3 + o[l - 4 * L] * d4;
      o[l] = y;
    }
  }
  const int64_t e = ln - 1;
  for (int l = 0; l < L; ++l) {
    const double v = x[e * L + l], x1 = x[(e - 1) * L + l], x2 = x[(e - 2) * L + l];
    double y0 = v * m1 + v * m2 + v * m3 + v * m4;  // y_k: anti-causal output at e - k
    double y1 = v * m1 + v * m2 + v * m3 + v * m4;
    double y2 = x1 * m1 + v * m2 + v * m3 + v * m4;
    double y3 = x2 * m1 + x1 * m2 + v * m3 + v * m4;
    y0 -= v * c.bm[0] + v * c.bm[1] + v * c.bm[2] + v * c.bm[3];
    y1 -= y0 * d1 + v * c.bm[1] + v * c.bm[2] + v * c.bm[3];
    y2 -= y1 * d1 + y0 * d2 + v * c.bm[2] + v * c.bm[3];
    y3 -= y2 * d1 + y1 * d2 + y0 * d3 + v * c.bm[3];
    anti[e * L + l] = y0;
    anti[(e - 1) * L + l] = y1;
    anti[(e - 2) * L + l] = y2;
    anti[(e - 3) * L + l] = y3;
  }
  for (int64_t t = ln - 4; t > 0; --t) {
    const double* xt = x + t * L;
    double* a = anti + (t - 1) * L;
    for (int l = 0; l < L; ++l) {
      double y = xt[l] * m1 + xt[l + L] * m2 + xt[l + 2 * L] * m3 + xt[l + 3 * L] * m4;
      y -= a[l + L] * d1 + a[l + 2 * L] * d2 + a[l + 3 * L] * d3 + a[l + 4 * L] * d4;
      a[l] = y;
    }
  }
  for (int64_t n = 0; n < ln * L; ++n) out[n] += anti[n];
}

// One recursive pass along `axis`: `in` spans the whole image along `axis`; `out` (lower,
// size set) is a sub-box of `in`. Each line through `out` is filtered whole and its samples
// inside `out` are stored as float (ITK's float intermediate images).
template <typename Tin>
void RecursivePass(const View<Tin>& in, int axis, const IirCoefficients& c, Block<float>* out) {
  out->Allocate();
  const int la = axis == 0 ? 1 : 0;  // lanes run along this axis
  const int wa = 3 - axis - la;
  const int64_t ln = in.size[axis];
  std::vector<double> x(ln * kLanes, 0.0), y(ln * kLanes), anti(ln * kLanes);
  const int64_t in_step = in.Stride(axis), in_lane = in.Stride(la), in_w = in.Stride(wa);
  const int64_t out_step = out->Stride(axis), out_lane = out->Stride(la), out_w = out->Stride(wa);
  const int64_t t0 = out->lower[axis] - in.lower[axis];
  for (int64_t w = 0; w < out->size[wa]; ++w) {
    for (int64_t l0 = 0; l0 < out->size[la]; l0 += kLanes) {
      const int count = static_cast<int>(std::min<int64_t>(kLanes, out->size[la] - l0));
      const Tin* src = in.data + (out->lower[wa] - in.lower[wa] + w) * in_w +
                       (out->lower[la] - in.lower[la] + l0) * in_lane;
      if (axis == 0) {
        for (int l = 0; l < count; ++l) {
          const Tin* line = src + l * in_lane;
          for (int64_t t = 0; t < ln; ++t) x[t * kLanes + l] = line[t];
        }
      } else {
        for (int64_t t = 0; t < ln; ++t) {
          for (int l = 0; l < count; ++l) x[t * kLanes + l] = src[t * in_step + l * in_lane];
        }
      }
      FilterLanes(c, x.data(), y.data(), anti.data(), ln);
      float* dst = out->v.data() + w * out_w + l0 * out_lane;
      for (int64_t t = 0; t < out->size[axis]; ++t) {
        for (int l = 0; l < count; ++l) {
          dst[t * out_step + l * out_lane] = static_cast<float>(y[(t0 + t) * kLanes + l]);
        }
      }
    }
  }
}

// ---- undecimated wavelet ----

constexpr double kSqrt2 = 1.41421356237309504880168872420969808;

struct WaveletTable {
  const char* name;
  double scale;
  std::vector<double> coefficients;
};

const std::vector<WaveletTable>& Wavelets() {
  static const std::vector<WaveletTable>* table = new std::vector<WaveletTable>{
#include "radiomics/filters_wavelets.inc"
  };
  return *table;
}

}  // namespace

// Decomposition filters as PyWavelets builds them from the scaling coefficients c:
// dec_lo[i] = c[L-1-i], dec_hi[i] = (-1)^(L-1-i) c[i].
Status WaveletFilters(const std::string& name, std::vector<double>* lo, std::vector<double>* hi) {
  std::string key = name == "haar" ? "db1" : name;
  for (const WaveletTable& w : Wavelets()) {
    if (key != w.name) continue;
    const size_t n = w.coefficients.size();
    lo->resize(n);
    hi->resize(n);
    for (size_t i = 0; i < n; ++i) {
      (*lo)[i] = w.coefficients[n - 1 - i] * w.scale;
      (*hi)[i] = (((n - 1 - i) % 2) ? -1.0 : 1.0) * w.coefficients[i] * w.scale;
    }
    return OkStatus();
  }
  return InvalidArgumentError("expected a wavelet among haar, db1-db10, sym2-sym10, coif1-coif5, "
                              "found '" + name + "'");
}

namespace {

// Coordinates [start, start + count) along one axis, taken modulo the axis' period.
struct AxisRange {
  int64_t start = 0, count = 0;
};

int64_t Mod(int64_t a, int64_t n) {
  const int64_t r = a % n;
  return r < 0 ? r + n : r;
}

// Inputs needed along an axis for outputs `r` of a periodic convolution with a filter of
// `taps` taps (out[o] uses x[o + taps/2 - j], j < taps); the whole period when that is less.
AxisRange ExpandRange(const AxisRange& r, int taps, int64_t period) {
  const int64_t half = taps / 2;
  AxisRange e{r.start + half - (taps - 1), r.count + taps - 1};
  if (e.count >= period) e = {0, period};
  return e;
}

// pywt's periodized SWT step along `axis`: out[o] = sum_j f[j] x[(o + F/2 - j) mod N] for
// the outputs `target` (other axes as in `in`).
Block<double> ConvolvePeriodic(const Block<double>& in, int axis, const std::vector<double>& f,
                               const AxisRange& target, int64_t period) {
  Block<double> out;
  out.lower = in.lower;
  out.size = in.size;
  out.lower[axis] = target.start;
  out.size[axis] = target.count;
  out.Allocate();
  const int taps = static_cast<int>(f.size());
  const int64_t half = taps / 2;
  // index[o * taps + j]: position in `in` along `axis` of tap j of output o.
  std::vector<int64_t> index(target.count * taps);
  for (int64_t o = 0; o < target.count; ++o) {
    for (int j = 0; j < taps; ++j) {
      index[o * taps + j] = Mod(target.start + o + half - j - in.lower[axis], period);
    }
  }
  if (axis == 0) {
    const int64_t rows = in.size[1] * in.size[2];
    for (int64_t r = 0; r < rows; ++r) {
      const double* line = in.v.data() + r * in.size[0];
      double* dst = out.v.data() + r * out.size[0];
      for (int64_t o = 0; o < target.count; ++o) {
        double sum = 0.0;
        for (int j = 0; j < taps; ++j) sum += f[j] * line[index[o * taps + j]];
        dst[o] = sum;
      }
    }
    return out;
  }
  // Axes 1 and 2: whole rows along i at once (same per-voxel order, vectorised over i).
  const int64_t nx = in.size[0];
  const int64_t outer = axis == 1 ? in.size[2] : 1;
  const int64_t in_outer = axis == 1 ? in.size[0] * in.size[1] : 0;
  const int64_t out_outer = axis == 1 ? out.size[0] * out.size[1] : 0;
  const int64_t mid = axis == 1 ? 1 : in.size[1];  // rows per slab along j when axis == 2
  const int64_t in_step = in.Stride(axis), out_step = out.Stride(axis);
  for (int64_t q = 0; q < outer; ++q) {
    for (int64_t j = 0; j < mid; ++j) {
      const double* src = in.v.data() + q * in_outer + j * nx;
      double* dst = out.v.data() + q * out_outer + j * nx;
      for (int64_t o = 0; o < target.count; ++o) {
        double* d = dst + o * out_step;
        std::fill(d, d + nx, 0.0);
        for (int t = 0; t < taps; ++t) {
          const double* s = src + index[o * taps + t] * in_step;
          const double ft = f[t];
          for (int64_t i = 0; i < nx; ++i) d[i] += ft * s[i];
        }
      }
    }
  }
  return out;
}

RealVolume BlockToVolume(Block<double>&& b, const Geometry& image, const FilterRegion& r,
                         const Index3& period) {
  Geometry g = image;
  g.size = r.size;
  g.origin_lps = image.IndexToPoint({double(r.lower[0]), double(r.lower[1]), double(r.lower[2])});
  RealVolume out;
  out.mutable_geometry() = g;
  if (b.lower == r.lower && b.size == r.size) {
    out.voxels() = std::move(b.v);
    return out;
  }
  out.voxels().resize(g.NumVoxels());
  for (int64_t k = 0; k < r.size[2]; ++k) {
    const int64_t bk = Mod(r.lower[2] + k - b.lower[2], period[2]);
    for (int64_t j = 0; j < r.size[1]; ++j) {
      const int64_t bj = Mod(r.lower[1] + j - b.lower[1], period[1]);
      for (int64_t i = 0; i < r.size[0]; ++i) {
        const int64_t bi = Mod(r.lower[0] + i - b.lower[0], period[0]);
        out.at(i, j, k) = b.v[bi + b.size[0] * (bj + b.size[1] * bk)];
      }
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> SupportedWavelets() {
  std::vector<std::string> names = {"haar"};
  for (const WaveletTable& w : Wavelets()) names.push_back(w.name);
  return names;
}

FilterRegion FilterRegion::Resolve(const Geometry& image) const {
  if (size[0] <= 0 || size[1] <= 0 || size[2] <= 0) return {{0, 0, 0}, image.size};
  return *this;
}

Status LogImages(const RealVolume& image, const std::vector<double>& sigmas_mm,
                 const DerivedImageFn& fn, const FilterRegion& region) {
  const Geometry& g = image.geometry();
  if (std::min({g.size[0], g.size[1], g.size[2]}) < 4) {
    AMDRN_LOG(Warn) << "LoG skipped: the image has a side under 4 voxels (" << g.ToString() << ")";
    return OkStatus();
  }
  const FilterRegion box = region.Resolve(g);
  for (double sigma : sigmas_mm) {
    bool fits = sigma > 0.0;
    for (int c = 0; c < 3 && fits; ++c) {
      fits = g.size[c] >= std::ceil(sigma / g.spacing_mm[c]) + 1;
    }
    if (!fits) {
      AMDRN_LOG(Warn) << "LoG sigma " << sigma << " mm skipped: it must be > 0 and every side must "
                      << "have at least ceil(sigma / spacing) + 1 voxels";
      continue;
    }
    // As itk::LaplacianRecursiveGaussianImageFilter: for each axis d, the second derivative
    // along d, then smoothing along the other two axes in increasing order (float images in
    // between), accumulated in float as sum + second / spacing_d^2.
    std::vector<float> sum(static_cast<size_t>(box.size[0] * box.size[1] * box.size[2]), 0.0f);
    const View<double> whole{image.data(), {0, 0, 0}, g.size};
    for (int d = 0; d < 3; ++d) {
      const int a1 = d == 0 ? 1 : 0, a2 = d == 2 ? 1 : 2;
      Block<float> first, second, third;
      first.size = g.size;
      first.lower[d] = box.lower[d];
      first.size[d] = box.size[d];
      RecursivePass(whole, d, GaussianCoefficients(sigma, g.spacing_mm[d], true), &first);
      second.lower = first.lower;
      second.size = first.size;
      second.lower[a1] = box.lower[a1];
      second.size[a1] = box.size[a1];
      RecursivePass(ViewOf(first), a1, GaussianCoefficients(sigma, g.spacing_mm[a1], false),
                    &second);
      first = Block<float>();
      third.lower = box.lower;
      third.size = box.size;
      RecursivePass(ViewOf(second), a2, GaussianCoefficients(sigma, g.spacing_mm[a2], false),
                    &third);
      const double spacing2 = g.spacing_mm[d] * g.spacing_mm[d];
      for (size_t n = 0; n < sum.size(); ++n) {
        sum[n] = static_cast<float>(sum[n] + third.v[n] * (1.0 / spacing2));
      }
    }
    Geometry out_geometry = g;
    out_geometry.size = box.size;
    out_geometry.origin_lps =
        g.IndexToPoint({double(box.lower[0]), double(box.lower[1]), double(box.lower[2])});
    RealVolume out(out_geometry);
    std::copy(sum.begin(), sum.end(), out.voxels().begin());
    AMDRN_RETURN_IF_ERROR(fn("log-sigma-" + LogSigmaName(sigma) + "-mm-3D", std::move(out)));
  }
  return OkStatus();
}

Status WaveletImages(const RealVolume& image, const WaveletOptions& options,
                     const DerivedImageFn& fn, const FilterRegion& region) {
  if (options.level < 1 || options.start_level < 0) {
    return InvalidArgumentError("expected wavelet level >= 1 and start_level >= 0, found level " +
                                std::to_string(options.level) + ", start_level " +
                                std::to_string(options.start_level));
  }
  std::vector<double> lo, hi;
  AMDRN_RETURN_IF_ERROR(WaveletFilters(options.wavelet, &lo, &hi));
  const int taps = static_cast<int>(lo.size());
  std::vector<int> axes;
  for (int a = 0; a < 3; ++a) {
    if (a != options.skip_axis) axes.push_back(a);
  }
  const Geometry& g = image.geometry();
  const FilterRegion box = region.Resolve(g);
  // PyRadiomics wrap-pads odd sides by one voxel; the transform is periodic on that grid.
  Index3 period = g.size;
  for (int c = 0; c < 3; ++c) period[c] += period[c] % 2;
  const int levels = options.start_level + options.level;
  // out[l]: ranges where level l's outputs are needed; the last level's are the region.
  std::vector<std::array<AxisRange, 3>> out(levels + 1);
  for (int c = 0; c < 3; ++c) out[levels - 1][c] = {box.lower[c], box.size[c]};
  for (int l = levels - 1; l >= 0; --l) {
    std::array<AxisRange, 3> in = out[l];
    for (int a : axes) in[a] = ExpandRange(out[l][a], taps, period[a]);
    if (l > 0) out[l - 1] = in;
    else out[levels] = in;  // the input of the first level
  }
  Block<double> data;
  for (int c = 0; c < 3; ++c) {
    data.lower[c] = out[levels][c].start;
    data.size[c] = out[levels][c].count;
  }
  data.Allocate();
  for (int64_t k = 0; k < data.size[2]; ++k) {
    const int64_t sk = Mod(data.lower[2] + k, period[2]) % g.size[2];
    for (int64_t j = 0; j < data.size[1]; ++j) {
      const int64_t sj = Mod(data.lower[1] + j, period[1]) % g.size[1];
      for (int64_t i = 0; i < data.size[0]; ++i) {
        const int64_t si = Mod(data.lower[0] + i, period[0]) % g.size[0];
        data.v[i + data.size[0] * (j + data.size[1] * k)] = image.at(si, sj, sk);
      }
    }
  }
  const std::string lows(axes.size(), 'L');
  for (int level = 0; level < levels; ++level) {
    const std::array<AxisRange, 3>& target = out[level];
    if (level < options.start_level) {
      for (int a : axes) data = ConvolvePeriodic(data, a, lo, target[a], period[a]);
      continue;
    }
    const int idx = level - options.start_level + 1;
    const std::string prefix = idx == 1 ? "wavelet-" : "wavelet" + std::to_string(idx) + "-";
    // Depth-first over the decomposition tree so at most one image per axis is alive; the
    // approximation (all L) becomes the next level's input and is yielded last.
    Block<double> approximation;
    std::function<Status(const Block<double>&, size_t, const std::string&)> descend =
        [&](const Block<double>& current, size_t depth, const std::string& name) -> Status {
      const int a = axes[depth];
      for (const char letter : {'L', 'H'}) {
        Block<double> next =
            ConvolvePeriodic(current, a, letter == 'L' ? lo : hi, target[a], period[a]);
        const std::string child = name + letter;
        if (depth + 1 < axes.size()) {
          AMDRN_RETURN_IF_ERROR(descend(next, depth + 1, child));
        } else if (child == lows) {
          approximation = std::move(next);
        } else {
          AMDRN_RETURN_IF_ERROR(
              fn(prefix + child, BlockToVolume(std::move(next), g, box, period)));
        }
      }
      return OkStatus();
    };
    AMDRN_RETURN_IF_ERROR(descend(data, 0, ""));
    data = std::move(approximation);
  }
  const std::string name =
      options.level == 1 ? "wavelet-" : "wavelet" + std::to_string(options.level) + "-";
  return fn(name + lows, BlockToVolume(std::move(data), g, box, period));
}

}  // namespace amdrn::radiomics
