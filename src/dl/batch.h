// Turning ROI samples into network input tensors, and the 3D training augmentation (random
// affine by grid sampling, intensity scale/shift/noise, optional left-right flip). Internal to
// dl/ (includes LibTorch). Also the one place that sizes LibTorch's thread pool from
// core/threads. Functions are thread-compatible; augmentation draws from the caller's RNG and
// from LibTorch's global generator (seeded by the trainer per epoch).
#ifndef AMDRN_DL_BATCH_H_
#define AMDRN_DL_BATCH_H_

#include <random>
#include <vector>

#include <torch/types.h>

#include "dl/config.h"
#include "dl/roi.h"

namespace amdrn::dl {

// Number of input channels built from an ROI: CBCT, MS, SM, RAB.
inline constexpr int kRoiChannels = 4;

// [kRoiChannels, n, n, n] float: the normalised CBCT then one indicator mask per label.
torch::Tensor RoiToTensor(const RoiSample& roi);
// [B, kRoiChannels, n, n, n]. Requires: every sample has the same grid size.
torch::Tensor StackRois(const std::vector<const RoiSample*>& rois);

// Returns an augmented copy of `batch` ([B, 4, n, n, n]); `voxel_mm` converts the shift.
torch::Tensor Augment(const torch::Tensor& batch, const AugmentOptions& options, double voxel_mm,
                      std::mt19937_64& rng);

// Registers (once per process) the core/threads hook that sets at::set_num_threads.
void EnsureTorchThreadHook();

}  // namespace amdrn::dl

#endif  // AMDRN_DL_BATCH_H_
