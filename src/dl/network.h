// The 3D attention ResNet behind the DL score (LibTorch modules): BasicBlock ResNet-10/18
// whose residual branch ends in CBAM (channel then spatial gate) or an SE gate, global average
// pool, dropout and one logit (implant failure). Internal to dl/: only dl's .cc files include
// this header, so LibTorch headers stay out of the rest of amdrn. Modules are not thread-safe.
#ifndef AMDRN_DL_NETWORK_H_
#define AMDRN_DL_NETWORK_H_

#include <string>
#include <utility>
#include <vector>

#include <torch/nn.h>

#include "dl/config.h"

namespace amdrn::dl {

// Channel gate of CBAM (and SE without the max branch): shared MLP C -> hidden -> C on the
// global average (and max) pooled features, sigmoid, channel-wise scale.
class ChannelGateImpl : public torch::nn::Module {
 public:
  ChannelGateImpl(int channels, int hidden, bool use_max_pool);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
  bool use_max_pool_;
};
TORCH_MODULE(ChannelGate);

// Spatial gate of CBAM: channel-wise max and mean -> 7x7x7 conv -> BN -> sigmoid -> scale.
class SpatialGateImpl : public torch::nn::Module {
 public:
  SpatialGateImpl();
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv3d conv_{nullptr};
  torch::nn::BatchNorm3d bn_{nullptr};
};
TORCH_MODULE(SpatialGate);

// conv3-BN-ReLU-conv3-BN-attention, plus the shortcut (1x1x1 conv + BN when the shape
// changes), then ReLU.
class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int in_channels, int out_channels, int stride, const NetConfig& config);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv3d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::BatchNorm3d bn1_{nullptr}, bn2_{nullptr};
  ChannelGate channel_gate_{nullptr};
  SpatialGate spatial_gate_{nullptr};
  torch::nn::Sequential shortcut_{nullptr};
};
TORCH_MODULE(BasicBlock);

// Hidden width of a channel-attention MLP: max(C / reduction, min(C, 4)).
int AttentionHidden(int channels, int reduction);

class AttentionResNet3dImpl : public torch::nn::Module {
 public:
  explicit AttentionResNet3dImpl(const NetConfig& config);

  struct Output {
    torch::Tensor logit;     // [N]
    torch::Tensor features;  // [N, C, d, h, w] of stage config.cam_stage (Grad-CAM target)
  };
  // Input [N, in_channels, D, H, W] (W runs along the ROI's i axis).
  Output Run(const torch::Tensor& x);
  torch::Tensor forward(const torch::Tensor& x) { return Run(x).logit; }

  const NetConfig& config() const { return config_; }

 private:
  NetConfig config_;
  torch::nn::Conv3d stem_conv_{nullptr};
  torch::nn::BatchNorm3d stem_bn_{nullptr};
  std::vector<torch::nn::Sequential> stages_;
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Linear fc_{nullptr};
};
TORCH_MODULE(AttentionResNet3d);

// Number of trainable parameters.
int64_t CountParameters(const torch::nn::Module& module);

// Parameters and buffers by name (deep copies), and loading them back (shapes must match).
using StateDict = std::vector<std::pair<std::string, torch::Tensor>>;
StateDict CopyState(const torch::nn::Module& module);
void LoadState(torch::nn::Module& module, const StateDict& state);

}  // namespace amdrn::dl

#endif  // AMDRN_DL_NETWORK_H_
