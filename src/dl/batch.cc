#include "dl/batch.h"

#include <cmath>
#include <mutex>

#include <ATen/Parallel.h>
#include <torch/nn/functional/vision.h>

#include "core/threads.h"

namespace amdrn::dl {
namespace {

namespace F = torch::nn::functional;

constexpr double kPi = 3.14159265358979323846;

// 3x3 rotation R = Rz * Ry * Rx (angles in radians) times an isotropic scale.
std::array<double, 9> RotationScale(double ax, double ay, double az, double scale) {
  double cx = std::cos(ax), sx = std::sin(ax), cy = std::cos(ay), sy = std::sin(ay),
         cz = std::cos(az), sz = std::sin(az);
  std::array<double, 9> r = {cz * cy, cz * sy * sx - sz * cx, cz * sy * cx + sz * sx,
                             sz * cy, sz * sy * sx + cz * cx, sz * sy * cx - cz * sx,
                             -sy,     cy * sx,                cy * cx};
  for (double& v : r) v *= scale;
  return r;
}

}  // namespace

torch::Tensor RoiToTensor(const RoiSample& roi) {
  const int64_t n0 = roi.grid.size[0], n1 = roi.grid.size[1], n2 = roi.grid.size[2];
  torch::Tensor out = torch::empty({kRoiChannels, n2, n1, n0}, torch::kFloat32);
  float* p = out.data_ptr<float>();
  const int64_t voxels = n0 * n1 * n2;
  std::copy(roi.image.begin(), roi.image.end(), p);
  for (int c = 1; c < kRoiChannels; ++c) {
    float* q = p + c * voxels;
    for (int64_t v = 0; v < voxels; ++v) q[v] = roi.labels[v] == c ? 1.0f : 0.0f;
  }
  return out;
}

torch::Tensor StackRois(const std::vector<const RoiSample*>& rois) {
  std::vector<torch::Tensor> items;
  items.reserve(rois.size());
  for (const RoiSample* roi : rois) items.push_back(RoiToTensor(*roi));
  return torch::stack(items);
}

torch::Tensor Augment(const torch::Tensor& batch, const AugmentOptions& o, double voxel_mm,
                      std::mt19937_64& rng) {
  const int64_t b = batch.size(0);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  torch::Tensor theta = torch::zeros({b, 3, 4}, torch::kFloat32);
  torch::Tensor gain = torch::ones({b, 1, 1, 1, 1}), offset = torch::zeros({b, 1, 1, 1, 1});
  std::vector<bool> flip(b, false);
  // Normalised grid coordinates span the box: one unit is half its edge.
  const double half_edge_mm = 0.5 * batch.size(4) * voxel_mm;
  for (int64_t s = 0; s < b; ++s) {
    double deg = o.rotate_deg * kPi / 180.0;
    auto r = RotationScale(deg * unit(rng), deg * unit(rng), deg * unit(rng),
                           1.0 + o.scale * unit(rng));
    for (int row = 0; row < 3; ++row) {
      for (int col = 0; col < 3; ++col) theta[s][row][col] = r[row * 3 + col];
      theta[s][row][3] = o.shift_mm * unit(rng) / half_edge_mm;
    }
    gain[s] = 1.0 + o.intensity_scale * unit(rng);
    offset[s] = o.intensity_shift * unit(rng);
    flip[s] = o.flip_lr && unit(rng) > 0;
  }
  torch::Tensor grid = F::affine_grid(theta, batch.sizes(), /*align_corners=*/false);
  auto sample = [&](const torch::Tensor& x, bool border) {
    auto options = F::GridSampleFuncOptions().mode(torch::kBilinear).align_corners(false);
    if (border) options.padding_mode(torch::kBorder);
    return F::grid_sample(x, grid, options);
  };
  torch::Tensor image = sample(batch.narrow(1, 0, 1), true);
  torch::Tensor masks = sample(batch.narrow(1, 1, batch.size(1) - 1), false);
  image = image * gain + offset;
  if (o.noise_sd > 0) image = image + o.noise_sd * torch::randn_like(image);
  torch::Tensor out = torch::cat({image, masks}, 1);
  for (int64_t s = 0; s < b; ++s) {
    if (flip[s]) out[s] = out[s].flip({3});
  }
  return out;
}

void EnsureTorchThreadHook() {
  static std::once_flag once;
  std::call_once(once,
                 [] { AddThreadCountHook([](int threads) { at::set_num_threads(threads); }); });
}

}  // namespace amdrn::dl
