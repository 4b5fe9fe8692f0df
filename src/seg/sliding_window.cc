#include "seg/sliding_window.h"

#include <torch/torch.h>

#include <cfenv>
#include <cmath>
#include <sstream>

namespace amdrn::seg {

std::vector<int64_t> SlidingWindowSteps(int64_t size, int64_t patch, double step) {
  const double target = static_cast<double>(patch) * step;
  const int64_t n = static_cast<int64_t>(std::ceil((size - patch) / target)) + 1;
  std::vector<int64_t> steps;
  const double actual = n > 1 ? static_cast<double>(size - patch) / (n - 1) : 0.0;
  for (int64_t i = 0; i < n; ++i) {
    steps.push_back(static_cast<int64_t>(std::nearbyint(actual * i)));  // numpy's round: half to even
  }
  return steps;
}

at::Tensor GaussianImportanceMap(const Patch3& patch, double sigma_scale, double value_scale) {
  // A delta at patch // 2 smoothed by scipy's gaussian_filter (truncate 4 sigma) is the
  // product of 1D Gaussians, cut to zero beyond the truncation radius.
  std::array<at::Tensor, 3> axes;
  for (int a = 0; a < 3; ++a) {
    const double sigma = patch[a] * sigma_scale;
    const int64_t centre = patch[a] / 2;
    const int64_t radius = static_cast<int64_t>(4.0 * sigma + 0.5);
    std::vector<float> values(patch[a]);
    for (int64_t i = 0; i < patch[a]; ++i) {
      const double d = static_cast<double>(i - centre);
      values[i] = std::abs(i - centre) > radius || sigma <= 0
                      ? (i == centre ? 1.0f : 0.0f)
                      : static_cast<float>(std::exp(-d * d / (2 * sigma * sigma)));
    }
    axes[a] = torch::tensor(values);
  }
  at::Tensor map = axes[0].view({-1, 1, 1}) * axes[1].view({1, -1, 1}) * axes[2].view({1, 1, -1});
  map = map / map.max() * value_scale;
  at::Tensor nonzero = map.masked_select(map > 0);
  map.masked_fill_(map == 0, nonzero.min().item<float>());
  return map.contiguous();
}

namespace {

Status ValidateInputs(const at::Tensor& image, const Patch3& patch,
                      const SlidingWindowOptions& options) {
  if (image.dim() != 4) return InvalidArgumentError("the image should be (C, d0, d1, d2)");
  if (!(options.step > 0 && options.step <= 1)) {
    return InvalidArgumentError("the sliding-window step should be in (0, 1], found " +
                                std::to_string(options.step));
  }
  for (int a = 0; a < 3; ++a) {
    if (patch[a] < 1) return InvalidArgumentError("the patch size should be positive");
  }
  for (int axis : options.mirror_axes) {
    if (axis < 0 || axis > 2) {
      return InvalidArgumentError("mirror axes should be 0, 1 or 2, found " + std::to_string(axis));
    }
  }
  return OkStatus();
}

// Mean of the logits over the input and its mirrored copies (all non-empty axis subsets).
at::Tensor PredictWithMirroring(const at::Tensor& tile, const TilePredictor& predict,
                                const std::vector<int>& mirror_axes) {
  at::Tensor sum = predict(tile);
  const int n = static_cast<int>(mirror_axes.size());
  for (int mask = 1; mask < (1 << n); ++mask) {
    std::vector<int64_t> dims;
    for (int i = 0; i < n; ++i) {
      if (mask & (1 << i)) dims.push_back(mirror_axes[i] + 2);
    }
    sum.add_(predict(tile.flip(dims)).flip(dims));
  }
  return n ? sum.div_(static_cast<double>(1 << n)) : sum;
}

}  // namespace

StatusOr<at::Tensor> SlidingWindowPredict(const at::Tensor& image, int num_classes,
                                          const Patch3& patch, const TilePredictor& predict,
                                          const SlidingWindowOptions& options,
                                          const TileProgress& progress) {
  AMDRN_RETURN_IF_ERROR(ValidateInputs(image, patch, options));
  // Pad symmetrically with zeros to at least the patch size.
  std::vector<int64_t> pad;  // F.pad order: last axis first
  std::array<int64_t, 3> below{}, size{};
  for (int a = 2; a >= 0; --a) {
    int64_t diff = std::max<int64_t>(0, patch[a] - image.size(a + 1));
    below[a] = diff / 2;
    pad.push_back(diff / 2);
    pad.push_back(diff - diff / 2);
  }
  at::Tensor padded = at::constant_pad_nd(image.to(at::kFloat), pad, 0).contiguous();
  for (int a = 0; a < 3; ++a) size[a] = padded.size(a + 1);

  std::array<std::vector<int64_t>, 3> steps;
  for (int a = 0; a < 3; ++a) steps[a] = SlidingWindowSteps(size[a], patch[a], options.step);
  const int64_t total = static_cast<int64_t>(steps[0].size() * steps[1].size() * steps[2].size());
  at::Tensor weight = options.gaussian ? GaussianImportanceMap(patch)
                                       : at::ones({patch[0], patch[1], patch[2]});
  at::Tensor logits = at::zeros({num_classes, size[0], size[1], size[2]});
  at::Tensor counts = at::zeros({size[0], size[1], size[2]});
  int64_t done = 0;
  for (int64_t z : steps[0]) {
    for (int64_t y : steps[1]) {
      for (int64_t x : steps[2]) {
        using at::indexing::Slice;
        at::Tensor tile = padded.index({Slice(), Slice(z, z + patch[0]), Slice(y, y + patch[1]),
                                        Slice(x, x + patch[2])}).unsqueeze(0).contiguous();
        at::Tensor out = PredictWithMirroring(tile, predict, options.mirror_axes);
        if (out.dim() != 5 || out.size(1) != num_classes || out.size(2) != patch[0] ||
            out.size(3) != patch[1] || out.size(4) != patch[2]) {
          std::ostringstream msg;
          msg << "the network returned logits of shape " << out.sizes() << " for a tile of "
              << tile.sizes() << ", expected " << num_classes << " classes at the patch size";
          return InvalidArgumentError(msg.str());
        }
        logits.index({Slice(), Slice(z, z + patch[0]), Slice(y, y + patch[1]),
                      Slice(x, x + patch[2])}).add_(out[0].to(at::kFloat) * weight);
        counts.index({Slice(z, z + patch[0]), Slice(y, y + patch[1]), Slice(x, x + patch[2])})
            .add_(weight);
        if (progress) progress(++done, total);
      }
    }
  }
  logits.div_(counts);
  using at::indexing::Slice;
  return logits
      .index({Slice(), Slice(below[0], below[0] + image.size(1)),
              Slice(below[1], below[1] + image.size(2)), Slice(below[2], below[2] + image.size(3))})
      .contiguous();
}

}  // namespace amdrn::seg
