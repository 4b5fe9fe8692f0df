// 3D Grad-CAM (Selvaraju et al.) for the attention ResNet: channel weights are the mean
// gradient of the failure logit over the target stage's voxels; the map is ReLU of the
// weighted channel sum, upsampled trilinearly to the input size. Internal to dl/ (LibTorch).
// Not thread-safe for one network (it runs a backward pass).
#ifndef AMDRN_DL_GRAD_CAM_H_
#define AMDRN_DL_GRAD_CAM_H_

#include <torch/types.h>

#include "dl/network.h"

namespace amdrn::dl {

// Raw (not normalised) Grad-CAM, [N, D, H, W] at the input's spatial size. Runs the network
// in eval mode and leaves its parameter gradients zeroed. `sign` -1 explains the "no failure"
// direction instead.
torch::Tensor GradCam3d(AttentionResNet3d& net, const torch::Tensor& input, double sign = 1.0);

// Min-max normalisation to [0, 1] of one map (all zeros if max == min).
torch::Tensor MinMaxNormalise(const torch::Tensor& map);

}  // namespace amdrn::dl

#endif  // AMDRN_DL_GRAD_CAM_H_
