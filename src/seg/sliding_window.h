// Sliding-window inference as nnU-Net v2's predict_sliding_window_return_logits: pad to at
// least the patch size, tile with step 0.5 of the patch (nnU-Net's step positions), weight
// each tile's logits with a Gaussian importance map (sigma = patch / 8, scaled to max 10,
// zeros replaced by the smallest nonzero value), optionally average over mirrored inputs
// (test-time augmentation), divide by the summed weights, remove the padding. Accumulators
// are float32 (nnU-Net uses float16 to save GPU memory). Thread-compatible.
#ifndef AMDRN_SEG_SLIDING_WINDOW_H_
#define AMDRN_SEG_SLIDING_WINDOW_H_

#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/status.h"

namespace amdrn::seg {

using Patch3 = std::array<int64_t, 3>;

// Tile start positions along one axis: n = ceil((size - patch) / (patch * step)) + 1 steps,
// position i = round_half_even(i * (size - patch) / (n - 1)). Requires size >= patch.
std::vector<int64_t> SlidingWindowSteps(int64_t size, int64_t patch, double step);

// The importance map (float32, shape `patch`).
at::Tensor GaussianImportanceMap(const Patch3& patch, double sigma_scale = 1.0 / 8,
                                 double value_scale = 10.0);

struct SlidingWindowOptions {
  double step = 0.5;               // fraction of the patch between tiles, in (0, 1]
  bool gaussian = true;            // false: uniform weights
  std::vector<int> mirror_axes;    // array axes (0..2) for TTA; empty = no TTA
};

// Maps a batch of tiles (1, C, patch) to logits (1, K, patch).
using TilePredictor = std::function<at::Tensor(const at::Tensor& tiles)>;
// Called after each tile with (done, total).
using TileProgress = std::function<void(int64_t done, int64_t total)>;

// Logits (K, d0, d1, d2) float32 for `image` (C, d0, d1, d2) float32. InvalidArgument for
// a bad step, patch or mirror axis; InvalidArgument if a tile's output has the wrong shape.
StatusOr<at::Tensor> SlidingWindowPredict(const at::Tensor& image, int num_classes,
                                          const Patch3& patch, const TilePredictor& predict,
                                          const SlidingWindowOptions& options,
                                          const TileProgress& progress = {});

}  // namespace amdrn::seg

#endif  // AMDRN_SEG_SLIDING_WINDOW_H_
