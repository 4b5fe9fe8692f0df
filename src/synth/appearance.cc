#include "synth/appearance.h"

#include <algorithm>
#include <cmath>

namespace amdrn::synth {
namespace {

double Sq(double v) { return v * v; }

std::vector<ScannerProfile> MakeProfiles() {
  std::vector<ScannerProfile> p(4);
  // A: grey values close to HU, low noise, mild cupping.
  p[0] = {"cbct_a", "centre_a", 1.0,  0.0, 0.0, -1000, 3071, -1000, 0.35,
          40,       0.3,        0.08, 1.0, 0,   150,   true, 0.35};
  // B: unsigned 12-bit style grey values, more blur and noise, rings.
  p[1] = {"cbct_b", "centre_b", 0.85, 1100, 0.0, 0,   4095, 0,   0.45,
          65,       0.35,       0.15, 1.3,  12,  250, true, 0.30};
  // C: high-resolution mode, steep nonlinear mapping, noisy, full box reconstructed.
  p[2] = {"cbct_c", "centre_c", 1.3,  300, 0.08, -1024, 8191,  -1024, 0.28,
          85,       0.25,       0.05, 0.8, 0,    0,     false, 0.20};
  // D: an older unit (the default external centre): low contrast, strong cupping and streaks.
  p[3] = {"cbct_d", "centre_d", 0.7,  300, -0.04, -500, 3000, -500, 0.55,
          55,       0.45,       0.20, 1.6, 22,    300,  true, 0.15};
  return p;
}

void Blur1D(std::vector<float>& data, const Index3& size, int axis,
            const std::vector<float>& kernel) {
  const int radius = static_cast<int>(kernel.size() / 2);
  const int64_t stride[3] = {1, size[0], size[0] * size[1]};
  const int n = static_cast<int>(size[axis]);
  const int a1 = (axis + 1) % 3, a2 = (axis + 2) % 3;
  std::vector<float> line(n);
  for (int64_t p = 0; p < size[a1]; ++p)
    for (int64_t q = 0; q < size[a2]; ++q) {
      const int64_t base = p * stride[a1] + q * stride[a2];
      for (int m = 0; m < n; ++m) line[m] = data[base + m * stride[axis]];
      for (int m = 0; m < n; ++m) {
        float acc = 0;
        for (int t = -radius; t <= radius; ++t)
          acc += kernel[t + radius] * line[std::clamp(m + t, 0, n - 1)];
        data[base + m * stride[axis]] = acc;
      }
    }
}

std::vector<float> GaussianKernel(double sigma_vox) {
  const int radius = std::max(1, static_cast<int>(std::ceil(3.0 * sigma_vox)));
  std::vector<float> k(2 * radius + 1);
  double total = 0;
  for (int t = -radius; t <= radius; ++t)
    total += k[t + radius] = std::exp(-0.5 * Sq(t / sigma_vox));
  for (float& v : k) v = static_cast<float>(v / total);
  return k;
}

// Cupping: attenuation above air is scaled down towards the rotation axis.
void ApplyCupping(ImageF& mu, double cupping) {
  const Geometry& g = mu.geometry();
  const double cx = 0.5 * (g.size[0] - 1), cy = 0.5 * (g.size[1] - 1);
  const double r2max = Sq(0.5 * std::min(g.size[0], g.size[1]));
  for (int64_t k = 0; k < g.size[2]; ++k)
    for (int64_t j = 0; j < g.size[1]; ++j)
      for (int64_t i = 0; i < g.size[0]; ++i) {
        const double r2 = std::min(1.0, (Sq(i - cx) + Sq(j - cy)) / r2max);
        float& v = mu.at(i, j, k);
        v = static_cast<float>((v + 1000.0) * (1.0 - cupping * (1.0 - r2)) - 1000.0);
      }
}

// Metal streaks in axial planes: alternating bright and dark rays from each metal object and a
// dark band between two metal objects in the same slice (beam hardening).
void ApplyStreaks(ImageF& mu, const std::vector<MetalObject>& metal, double strength, Rng& rng) {
  if (metal.empty() || strength <= 0) return;
  const Geometry& g = mu.geometry();
  const double s = g.spacing_mm[0];
  struct Ray {
    double angle, sign, width;
  };
  std::vector<std::vector<Ray>> rays(metal.size());
  for (auto& r : rays)
    for (int n = 0; n < 14; ++n)
      r.push_back({rng.Uniform(0, M_PI), rng.Bernoulli(0.6) ? -1.0 : 1.0, rng.Uniform(0.3, 0.9)});
  for (int64_t k = 0; k < g.size[2]; ++k) {
    const double z = g.origin_lps[2] + k * s;
    std::vector<int> active;
    for (size_t m = 0; m < metal.size(); ++m)
      if (z >= metal[m].z_min_lps && z <= metal[m].z_max_lps) active.push_back(static_cast<int>(m));
    if (active.empty()) continue;
    for (int64_t j = 0; j < g.size[1]; ++j)
      for (int64_t i = 0; i < g.size[0]; ++i) {
        const double x = g.origin_lps[0] + i * s, y = g.origin_lps[1] + j * s;
        double delta = 0;
        for (int m : active) {
          const double dx = x - metal[m].axis_lps[0], dy = y - metal[m].axis_lps[1];
          const double r = std::hypot(dx, dy);
          if (r < metal[m].radius_mm) continue;
          const double theta = std::atan2(dy, dx);
          for (const Ray& ray : rays[m]) {
            const double perp = r * std::sin(theta - ray.angle);
            delta += ray.sign * 450.0 * std::exp(-Sq(perp / ray.width)) * std::exp(-r / 18.0);
          }
        }
        if (active.size() >= 2) {  // dark band along the segment joining the first two objects
          const Vec3& a = metal[active[0]].axis_lps;
          const Vec3& b = metal[active[1]].axis_lps;
          const double len = std::hypot(b[0] - a[0], b[1] - a[1]);
          const double t = std::clamp(
              ((x - a[0]) * (b[0] - a[0]) + (y - a[1]) * (b[1] - a[1])) / (len * len), 0.0, 1.0);
          const double d = std::hypot(x - a[0] - t * (b[0] - a[0]), y - a[1] - t * (b[1] - a[1]));
          delta -= 350.0 * std::exp(-Sq(d / 2.5));
        }
        mu.at(i, j, k) += static_cast<float>(strength * delta);
      }
  }
}

void AddNoise(ImageF& mu, double sd_hu, double corr_mm, Rng& rng) {
  if (sd_hu <= 0) return;
  const Geometry& g = mu.geometry();
  ImageF noise(g, 0.0f);
  for (float& v : noise.voxels()) v = static_cast<float>(rng.Normal());
  double gain = 1.0;  // variance kept by the correlation filter, per axis
  if (corr_mm > 0) {
    GaussianBlur(noise, corr_mm);
    const std::vector<float> k = GaussianKernel(corr_mm / g.spacing_mm[0]);
    double sum2 = 0;
    for (float w : k) sum2 += w * w;
    gain = std::pow(sum2, 1.5);
  }
  const float scale = static_cast<float>(sd_hu / std::sqrt(gain));
  for (size_t n = 0; n < mu.voxels().size(); ++n) mu.voxels()[n] += scale * noise.voxels()[n];
}

void AddRingsAndGlow(ImageF& mu, const ScannerProfile& p, Rng& rng) {
  const Geometry& g = mu.geometry();
  const double s = g.spacing_mm[0];
  const double cx = 0.5 * (g.size[0] - 1), cy = 0.5 * (g.size[1] - 1);
  const double radius_mm = (0.5 * std::min(g.size[0], g.size[1]) - 0.5) * s;
  double ring_r[5], ring_sign[5];
  for (int n = 0; n < 5; ++n)
    ring_r[n] = rng.Uniform(1.0, radius_mm), ring_sign[n] = rng.Bernoulli(0.5) ? 1 : -1;
  for (int64_t j = 0; j < g.size[1]; ++j)
    for (int64_t i = 0; i < g.size[0]; ++i) {
      const double r = std::hypot(i - cx, j - cy) * s;
      double delta = 0;
      for (int n = 0; n < 5 && p.ring_hu > 0; ++n)
        delta += ring_sign[n] * p.ring_hu * std::exp(-Sq((r - ring_r[n]) / 0.25));
      if (p.cylindrical_fov)
        delta += p.edge_glow_hu * std::exp(-std::max(0.0, radius_mm - r) / 1.5);
      if (delta == 0) continue;
      for (int64_t k = 0; k < g.size[2]; ++k) mu.at(i, j, k) += static_cast<float>(delta);
    }
}

}  // namespace

const std::vector<ScannerProfile>& ScannerProfiles() {
  static const std::vector<ScannerProfile> profiles = MakeProfiles();
  return profiles;
}

StatusOr<ScannerProfile> FindScannerProfile(const std::string& name) {
  std::string known;
  for (const ScannerProfile& p : ScannerProfiles()) {
    if (p.name == name) return p;
    known += (known.empty() ? "" : ", ") + p.name;
  }
  return NotFoundError("expected a scanner profile among " + known + " (or mixed), found '" + name +
                       "'");
}

double NominalGrey(const ScannerProfile& p, double hu) {
  const double grey = p.gain * hu + p.offset + p.nonlinear * 1000.0 * Sq(hu / 1000.0);
  return std::clamp(grey, p.grey_min, p.grey_max);
}

void GaussianBlur(ImageF& image, double sigma_mm) {
  if (sigma_mm <= 0) return;
  for (int axis = 0; axis < 3; ++axis) {
    const std::vector<float> k = GaussianKernel(sigma_mm / image.geometry().spacing_mm[axis]);
    Blur1D(image.voxels(), image.size(), axis, k);
  }
}

ImageF RenderCbct(const Phantom& phantom, const ScannerProfile& p, Rng& rng) {
  ImageF mu = phantom.hu;
  ApplyCupping(mu, p.cupping);
  ApplyStreaks(mu, phantom.metal_objects, p.streak, rng);
  GaussianBlur(mu, p.psf_sigma_mm);
  AddNoise(mu, p.noise_sd_hu, p.noise_corr_mm, rng);
  AddRingsAndGlow(mu, p, rng);
  for (size_t n = 0; n < mu.voxels().size(); ++n) {
    float& v = mu.voxels()[n];
    v = phantom.in_fov.voxels()[n] ? static_cast<float>(std::round(NominalGrey(p, v)))
                                   : static_cast<float>(p.outside_grey);
  }
  return mu;
}

}  // namespace amdrn::synth
