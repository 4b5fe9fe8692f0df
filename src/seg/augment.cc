#include "seg/augment.h"

#include <algorithm>
#include <cmath>

namespace amdrn::seg {
namespace {

constexpr double kPi = 3.14159265358979323846;

double Uniform(Rng& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}
bool Chance(Rng& rng, double p) { return p > 0 && Uniform(rng, 0, 1) < p; }

// Row vector times matrix, as batchgenerators' rotate_coords_3d.
std::array<double, 3> RowTimes(const std::array<double, 3>& v, const std::array<double, 9>& m) {
  return {v[0] * m[0] + v[1] * m[3] + v[2] * m[6], v[0] * m[1] + v[1] * m[4] + v[2] * m[7],
          v[0] * m[2] + v[1] * m[5] + v[2] * m[8]};
}

std::array<double, 9> RotX(double a) { return {1, 0, 0, 0, std::cos(a), -std::sin(a), 0, std::sin(a), std::cos(a)}; }
std::array<double, 9> RotY(double a) { return {std::cos(a), 0, std::sin(a), 0, 1, 0, -std::sin(a), 0, std::cos(a)}; }
std::array<double, 9> RotZ(double a) { return {std::cos(a), -std::sin(a), 0, std::sin(a), std::cos(a), 0, 0, 0, 1}; }

std::array<double, 9> MatMul(const std::array<double, 9>& a, const std::array<double, 9>& b) {
  std::array<double, 9> c{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) c[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
  return c;
}

// Separable Gaussian blur of one channel along `axis`, edge-replicated borders.
void BlurAxis(float* v, const Shape3& shape, int axis, double sigma) {
  const int radius = std::max(1, static_cast<int>(std::ceil(3.0 * sigma)));
  std::vector<double> kernel(2 * radius + 1);
  double sum = 0;
  for (int k = -radius; k <= radius; ++k) sum += kernel[k + radius] = std::exp(-0.5 * k * k / (sigma * sigma));
  for (double& k : kernel) k /= sum;
  const int64_t stride = axis == 0 ? shape[1] * shape[2] : axis == 1 ? shape[2] : 1;
  const int64_t n = shape[axis];
  std::vector<float> line(static_cast<size_t>(n));
  for (int64_t z = 0; z < (axis == 0 ? 1 : shape[0]); ++z) {
    for (int64_t y = 0; y < (axis == 1 ? 1 : shape[1]); ++y) {
      for (int64_t x = 0; x < (axis == 2 ? 1 : shape[2]); ++x) {
        float* base = v + (z * shape[1] + y) * shape[2] + x;
        for (int64_t i = 0; i < n; ++i) line[i] = base[i * stride];
        for (int64_t i = 0; i < n; ++i) {
          double acc = 0;
          for (int k = -radius; k <= radius; ++k) acc += kernel[k + radius] * line[std::clamp<int64_t>(i + k, 0, n - 1)];
          base[i * stride] = static_cast<float>(acc);
        }
      }
    }
  }
}

void Gamma(float* v, int64_t n, double gamma, bool invert) {
  if (n == 0) return;
  if (invert) for (int64_t i = 0; i < n; ++i) v[i] = -v[i];
  double mean = 0, ss = 0;
  for (int64_t i = 0; i < n; ++i) mean += v[i];
  mean /= n;
  for (int64_t i = 0; i < n; ++i) ss += (v[i] - mean) * (v[i] - mean);
  const double sd = std::sqrt(ss / n);
  auto [mn_it, mx_it] = std::minmax_element(v, v + n);
  const double mn = *mn_it, range = *mx_it - mn, safe = std::max(range, 1e-7);
  double mean2 = 0, ss2 = 0;
  for (int64_t i = 0; i < n; ++i) {
    v[i] = static_cast<float>(std::pow((v[i] - mn) / safe, gamma) * range + mn);
    mean2 += v[i];
  }
  mean2 /= n;
  for (int64_t i = 0; i < n; ++i) ss2 += (v[i] - mean2) * (v[i] - mean2);
  const double sd2 = std::max(std::sqrt(ss2 / n), 1e-7);
  for (int64_t i = 0; i < n; ++i) {
    v[i] = static_cast<float>((v[i] - mean2) / sd2 * sd + mean);
    if (invert) v[i] = -v[i];
  }
}

void LowResolution(float* v, const Shape3& shape, double zoom, bool dummy_2d) {
  Shape3 small;
  for (int d = 0; d < 3; ++d) {
    small[d] = (dummy_2d && d == 0) ? shape[d] : std::max<int64_t>(1, std::llround(shape[d] * zoom));
  }
  std::vector<float> down = ResampleData(v, shape, small, 0);
  std::vector<float> up = ResampleData(down.data(), small, shape, 1);
  std::copy(up.begin(), up.end(), v);
}

}  // namespace

double SampleBgContrast(const std::array<double, 2>& range, Rng& rng) {
  if (Uniform(rng, 0, 1) < 0.5 && range[0] < 1) return Uniform(rng, range[0], 1.0);
  return Uniform(rng, std::max(range[0], 1.0), range[1]);
}

bool UseDummy2dAugmentation(const Shape3& patch) {
  const int64_t mx = std::max({patch[0], patch[1], patch[2]});
  return static_cast<double>(mx) / patch[0] > 3.0;
}

Shape3 InitialPatchSize(const Shape3& final_patch, double max_rotation_rad, bool dummy_2d, double min_scale) {
  const double rot = std::min(std::abs(max_rotation_rad), 0.5 * kPi);
  Shape3 out;
  if (dummy_2d) {
    const double a = static_cast<double>(final_patch[1]), b = static_cast<double>(final_patch[2]);
    const double ra = std::abs(a * std::cos(rot) + b * std::sin(rot));
    const double rb = std::abs(-a * std::sin(rot) + b * std::cos(rot));
    out = {final_patch[0], static_cast<int64_t>(std::max(a, ra) / min_scale),
           static_cast<int64_t>(std::max(b, rb) / min_scale)};
    return out;
  }
  const std::array<double, 3> c = {static_cast<double>(final_patch[0]), static_cast<double>(final_patch[1]),
                                   static_cast<double>(final_patch[2])};
  std::array<double, 3> extent = c;
  for (const auto& m : {RotX(rot), RotY(rot), RotZ(rot)}) {
    const std::array<double, 3> r = RowTimes(c, m);
    for (int d = 0; d < 3; ++d) extent[d] = std::max(extent[d], std::abs(r[d]));
  }
  for (int d = 0; d < 3; ++d) out[d] = static_cast<int64_t>(extent[d] / min_scale);
  return out;
}

SpatialSample DrawSpatialTransform(const AugmentationParams& p, Rng& rng) {
  SpatialSample s;
  const bool rotate = Chance(rng, p.p_rotation);
  const bool scale = Chance(rng, p.p_scaling);
  std::array<double, 9> m = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  if (rotate) {
    if (p.dummy_2d) {
      m = RotX(Uniform(rng, -kPi, kPi));  // in-plane: axes 1 and 2
    } else {
      const double ax = Uniform(rng, -p.max_rotation_rad, p.max_rotation_rad);
      const double ay = Uniform(rng, -p.max_rotation_rad, p.max_rotation_rad);
      const double az = Uniform(rng, -p.max_rotation_rad, p.max_rotation_rad);
      m = MatMul(RotZ(az), MatMul(RotY(ay), RotX(ax)));
    }
  }
  if (scale) {
    const double f = Uniform(rng, p.scaling[0], p.scaling[1]);
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) {
        if (!(p.dummy_2d && c == 0)) m[r * 3 + c] *= f;
      }
    }
  }
  s.identity = !rotate && !scale;
  s.matrix = m;
  return s;
}

void AugmentIntensities(float* data, int channels, const Shape3& shape, const AugmentationParams& p, Rng& rng) {
  const int64_t n = NumVoxels(shape);
  if (Chance(rng, p.p_noise)) {
    const double sd = Uniform(rng, 0, p.noise_max_std);
    std::normal_distribution<float> noise(0.0f, static_cast<float>(sd));
    for (int64_t i = 0; i < n * channels; ++i) data[i] += noise(rng);
  }
  if (Chance(rng, p.p_blur)) {
    for (int c = 0; c < channels; ++c) {
      if (!Chance(rng, p.p_blur_per_channel)) continue;
      for (int axis = 0; axis < 3; ++axis) {
        const double sigma = Uniform(rng, p.blur_sigma[0], p.blur_sigma[1]);
        if (p.dummy_2d && axis == 0) continue;
        BlurAxis(data + c * n, shape, axis, sigma);
      }
    }
  }
  if (Chance(rng, p.p_brightness)) {
    for (int c = 0; c < channels; ++c) {
      const float f = static_cast<float>(SampleBgContrast(p.brightness, rng));
      for (int64_t i = 0; i < n; ++i) data[c * n + i] *= f;
    }
  }
  if (Chance(rng, p.p_contrast)) {
    for (int c = 0; c < channels; ++c) {
      float* v = data + c * n;
      const double f = SampleBgContrast(p.contrast, rng);
      double mean = 0;
      for (int64_t i = 0; i < n; ++i) mean += v[i];
      mean /= std::max<int64_t>(n, 1);
      auto [mn, mx] = std::minmax_element(v, v + n);
      const float lo = *mn, hi = *mx;
      for (int64_t i = 0; i < n; ++i) v[i] = std::clamp(static_cast<float>((v[i] - mean) * f + mean), lo, hi);
    }
  }
  if (Chance(rng, p.p_low_res)) {
    for (int c = 0; c < channels; ++c) {
      if (!Chance(rng, p.p_low_res_per_channel)) continue;
      LowResolution(data + c * n, shape, Uniform(rng, p.low_res_zoom[0], p.low_res_zoom[1]), p.dummy_2d);
    }
  }
  if (Chance(rng, p.p_gamma_inverted)) {
    for (int c = 0; c < channels; ++c) Gamma(data + c * n, n, SampleBgContrast(p.gamma, rng), true);
  }
  if (Chance(rng, p.p_gamma)) {
    for (int c = 0; c < channels; ++c) Gamma(data + c * n, n, SampleBgContrast(p.gamma, rng), false);
  }
}

void MirrorSample(float* data, int channels, int8_t* seg, const Shape3& shape, const std::vector<int>& axes,
                  Rng& rng) {
  const int64_t n = NumVoxels(shape);
  for (int axis : axes) {
    if (!Chance(rng, 0.5)) continue;
    const int64_t stride = axis == 0 ? shape[1] * shape[2] : axis == 1 ? shape[2] : 1;
    const int64_t len = shape[axis];
    const int64_t outer = n / (len * stride);
    auto flip = [&](auto* v) {
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t s = 0; s < stride; ++s) {
          auto* base = v + o * len * stride + s;
          for (int64_t i = 0, j = len - 1; i < j; ++i, --j) std::swap(base[i * stride], base[j * stride]);
        }
      }
    };
    for (int c = 0; c < channels; ++c) flip(data + c * n);
    if (seg != nullptr) flip(seg);
  }
}

}  // namespace amdrn::seg
