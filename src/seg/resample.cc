#include "seg/resample.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace amdrn::seg {
namespace {

constexpr int kSplinePad = 12;  // edge samples added before the cubic prefilter (as scipy)
constexpr int64_t kBlock = 2048;  // columns processed together along a strided axis

// Source coordinate of destination index j (skimage / align_corners=False).
inline double SourceCoordinate(int64_t j, double scale) { return (j + 0.5) * scale - 0.5; }

inline int64_t Mirror(int64_t i, int64_t n) {
  if (n == 1) return 0;
  const int64_t period = 2 * (n - 1);
  i = std::abs(i) % period;
  return i < n ? i : period - i;
}

// In-place cubic B-spline prefilter of `rows` (n rows of `width` doubles), mirror boundary.
void PrefilterCubic(double* rows, int64_t n, int64_t width) {
  if (n < 2) return;
  const double z = std::sqrt(3.0) - 2.0;
  for (int64_t i = 0; i < n * width; ++i) rows[i] *= 6.0;
  // Causal initialisation: sum of z^k c[k] over the horizon (mirror-symmetric extension).
  const int64_t horizon = std::min<int64_t>(n, 30);
  std::vector<double> init(width, 0.0);
  double zk = 1.0;
  for (int64_t k = 0; k < horizon; ++k, zk *= z) {
    for (int64_t w = 0; w < width; ++w) init[w] += zk * rows[k * width + w];
  }
  for (int64_t w = 0; w < width; ++w) rows[w] = init[w];
  for (int64_t k = 1; k < n; ++k) {
    double* cur = rows + k * width;
    const double* prev = cur - width;
    for (int64_t w = 0; w < width; ++w) cur[w] += z * prev[w];
  }
  double* last = rows + (n - 1) * width;
  const double* before = last - width;
  for (int64_t w = 0; w < width; ++w) last[w] = (z / (z * z - 1.0)) * (last[w] + z * before[w]);
  for (int64_t k = n - 2; k >= 0; --k) {
    double* cur = rows + k * width;
    const double* next = cur + width;
    for (int64_t w = 0; w < width; ++w) cur[w] = z * (next[w] - cur[w]);
  }
}

inline void CubicWeights(double t, double w[4]) {
  const double t2 = t * t, t3 = t2 * t;
  w[0] = (1 - t) * (1 - t) * (1 - t) / 6.0;
  w[1] = (3 * t3 - 6 * t2 + 4) / 6.0;
  w[2] = (-3 * t3 + 3 * t2 + 3 * t + 1) / 6.0;
  w[3] = t3 / 6.0;
}

// Resamples a block of `width` columns along one axis: src is n_in rows, dst n_out rows.
void ResampleRows(const double* src, int64_t n_in, double* dst, int64_t n_out, int64_t width, int order) {
  const double scale = static_cast<double>(n_in) / n_out;
  for (int64_t j = 0; j < n_out; ++j) {
    double x = SourceCoordinate(j, scale);
    double* out = dst + j * width;
    if (order == 0) {
      const int64_t i = std::clamp<int64_t>(static_cast<int64_t>(std::floor(x + 0.5)), 0, n_in - 1);
      std::copy(src + i * width, src + (i + 1) * width, out);
    } else if (order == 1) {
      x = std::clamp(x, 0.0, static_cast<double>(n_in - 1));
      const int64_t i0 = static_cast<int64_t>(std::floor(x));
      const int64_t i1 = std::min(i0 + 1, n_in - 1);
      const double t = x - i0;
      const double* a = src + i0 * width;
      const double* b = src + i1 * width;
      for (int64_t w = 0; w < width; ++w) out[w] = a[w] + t * (b[w] - a[w]);
    } else {
      // `src` is the prefiltered, edge-padded line: real sample i sits at i + kSplinePad.
      const int64_t n_pad = n_in + 2 * kSplinePad;
      x += kSplinePad;
      const int64_t i0 = static_cast<int64_t>(std::floor(x));
      double wt[4];
      CubicWeights(x - i0, wt);
      std::fill(out, out + width, 0.0);
      for (int k = 0; k < 4; ++k) {
        const double* row = src + Mirror(i0 - 1 + k, n_pad) * width;
        for (int64_t w = 0; w < width; ++w) out[w] += wt[k] * row[w];
      }
    }
  }
}

// Resamples axis `axis` of a C-order array of `shape` to length n_out.
std::vector<float> ResampleAxis(const std::vector<float>& in, const Shape3& shape, int axis, int64_t n_out,
                                int order) {
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= shape[d];
  for (int d = axis + 1; d < 3; ++d) inner *= shape[d];
  const int64_t n_in = shape[axis];
  std::vector<float> out(static_cast<size_t>(outer * n_out * inner));
  const int pad = order == 3 ? kSplinePad : 0;
  std::vector<double> src, dst;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t b0 = 0; b0 < inner; b0 += kBlock) {
      const int64_t width = std::min(kBlock, inner - b0);
      src.assign(static_cast<size_t>((n_in + 2 * pad) * width), 0.0);
      for (int64_t i = -pad; i < n_in + pad; ++i) {
        const int64_t clamped = std::clamp<int64_t>(i, 0, n_in - 1);  // edge padding
        const float* row = in.data() + (o * n_in + clamped) * inner + b0;
        double* dst_row = src.data() + (i + pad) * width;
        for (int64_t w = 0; w < width; ++w) dst_row[w] = row[w];
      }
      if (order == 3) PrefilterCubic(src.data(), n_in + 2 * pad, width);
      dst.resize(static_cast<size_t>(n_out * width));
      ResampleRows(src.data(), n_in, dst.data(), n_out, width, order);
      for (int64_t j = 0; j < n_out; ++j) {
        float* row = out.data() + (o * n_out + j) * inner + b0;
        const double* from = dst.data() + j * width;
        for (int64_t w = 0; w < width; ++w) row[w] = static_cast<float>(from[w]);
      }
    }
  }
  return out;
}

}  // namespace

Shape3 ComputeNewShape(const Shape3& old_shape, const std::array<double, 3>& old_spacing,
                       const std::array<double, 3>& new_spacing) {
  Shape3 out;
  for (int d = 0; d < 3; ++d) {
    out[d] = static_cast<int64_t>(std::nearbyint(old_spacing[d] / new_spacing[d] * old_shape[d]));
  }
  return out;
}

int SeparateZAxis(const std::array<double, 3>& current, const std::array<double, 3>& target,
                  double threshold) {
  auto axis_of = [&](const std::array<double, 3>& s) {
    const double mx = *std::max_element(s.begin(), s.end());
    const double mn = *std::min_element(s.begin(), s.end());
    if (mx / mn <= threshold) return -2;  // not anisotropic
    int count = 0, axis = -1;
    for (int d = 0; d < 3; ++d) {
      if (s[d] == mx) {
        ++count;
        axis = d;
      }
    }
    return count == 1 ? axis : -1;
  };
  int a = axis_of(current);
  if (a == -2) a = axis_of(target);
  return a < 0 ? -1 : a;
}

std::vector<float> ResampleData(const float* in, const Shape3& in_shape, const Shape3& out_shape, int order,
                                int separate_z_axis, int order_z) {
  std::vector<float> cur(in, in + NumVoxels(in_shape));
  if (in_shape == out_shape) return cur;
  float lo = 0, hi = 0;
  if (!cur.empty()) {
    auto [mn, mx] = std::minmax_element(cur.begin(), cur.end());
    lo = *mn;
    hi = *mx;
  }
  Shape3 shape = in_shape;
  bool smooth = false;
  for (int d = 0; d < 3; ++d) {
    if (shape[d] == out_shape[d]) continue;
    const int o = d == separate_z_axis ? order_z : order;
    smooth = smooth || o > 0;
    cur = ResampleAxis(cur, shape, d, out_shape[d], o);
    shape[d] = out_shape[d];
  }
  if (smooth) {
    for (float& v : cur) v = std::clamp(v, lo, hi);
  }
  return cur;
}

std::vector<int8_t> ResampleSeg(const int8_t* in, const Shape3& in_shape, const Shape3& out_shape, int order,
                                int separate_z_axis, int order_z) {
  const int64_t n_in = NumVoxels(in_shape);
  if (in_shape == out_shape) return std::vector<int8_t>(in, in + n_in);
  std::vector<int8_t> out(static_cast<size_t>(NumVoxels(out_shape)), 0);
  if (order == 0 && (separate_z_axis < 0 || order_z == 0)) {
    std::vector<float> as_float(in, in + n_in);
    std::vector<float> r = ResampleData(as_float.data(), in_shape, out_shape, 0, -1, 0);
    for (size_t i = 0; i < r.size(); ++i) out[i] = static_cast<int8_t>(r[i]);
    return out;
  }
  std::set<int8_t> labels(in, in + n_in);
  std::vector<float> mask(static_cast<size_t>(n_in));
  for (int8_t label : labels) {
    for (int64_t i = 0; i < n_in; ++i) mask[i] = in[i] == label ? 1.0f : 0.0f;
    std::vector<float> r = ResampleData(mask.data(), in_shape, out_shape, order, separate_z_axis, order_z);
    for (size_t i = 0; i < r.size(); ++i) {
      if (r[i] >= 0.5f) out[i] = label;
    }
  }
  return out;
}

}  // namespace amdrn::seg
