#include "dl/network.h"

#include <algorithm>
#include <string>

namespace amdrn::dl {
namespace {

namespace nn = torch::nn;

nn::Conv3d Conv(int in, int out, int kernel, int stride) {
  return nn::Conv3d(
      nn::Conv3dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

// Kaiming normal (fan_out, ReLU) for convolutions, BN weight 1 and bias 0 (MONAI's init).
void InitWeights(nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& m : module.modules(/*include_self=*/false)) {
    if (auto* conv = m->as<nn::Conv3d>()) {
      nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
    } else if (auto* bn = m->as<nn::BatchNorm3d>()) {
      nn::init::ones_(bn->weight);
      nn::init::zeros_(bn->bias);
    }
  }
}

}  // namespace

int AttentionHidden(int channels, int reduction) {
  return std::max(channels / reduction, std::min(channels, 4));
}

ChannelGateImpl::ChannelGateImpl(int channels, int hidden, bool use_max_pool)
    : use_max_pool_(use_max_pool) {
  fc1_ = register_module("fc1", nn::Linear(channels, hidden));
  fc2_ = register_module("fc2", nn::Linear(hidden, channels));
}

torch::Tensor ChannelGateImpl::forward(const torch::Tensor& x) {
  auto mlp = [&](const torch::Tensor& v) { return fc2_(torch::relu(fc1_(v))); };
  torch::Tensor logits = mlp(x.mean({2, 3, 4}));
  if (use_max_pool_) logits = logits + mlp(x.amax({2, 3, 4}));
  return x * torch::sigmoid(logits).view({x.size(0), x.size(1), 1, 1, 1});
}

SpatialGateImpl::SpatialGateImpl() {
  conv_ = register_module("conv", Conv(2, 1, 7, 1));
  bn_ = register_module("bn", nn::BatchNorm3d(nn::BatchNormOptions(1).eps(1e-5).momentum(0.01)));
}

torch::Tensor SpatialGateImpl::forward(const torch::Tensor& x) {
  torch::Tensor pooled =
      torch::cat({std::get<0>(x.max(1, /*keepdim=*/true)), x.mean(1, /*keepdim=*/true)}, 1);
  return x * torch::sigmoid(bn_(conv_(pooled)));
}

BasicBlockImpl::BasicBlockImpl(int in_channels, int out_channels, int stride,
                               const NetConfig& config) {
  conv1_ = register_module("conv1", Conv(in_channels, out_channels, 3, stride));
  bn1_ = register_module("bn1", nn::BatchNorm3d(out_channels));
  conv2_ = register_module("conv2", Conv(out_channels, out_channels, 3, 1));
  bn2_ = register_module("bn2", nn::BatchNorm3d(out_channels));
  int hidden = AttentionHidden(out_channels, config.reduction);
  if (config.attention == Attention::kCbam) {
    channel_gate_ = register_module("channel_gate", ChannelGate(out_channels, hidden, true));
    spatial_gate_ = register_module("spatial_gate", SpatialGate());
  } else if (config.attention == Attention::kSe) {
    channel_gate_ = register_module("se_gate", ChannelGate(out_channels, hidden, false));
  }
  if (stride != 1 || in_channels != out_channels) {
    shortcut_ = register_module(
        "shortcut", nn::Sequential(Conv(in_channels, out_channels, 1, stride),
                                   nn::BatchNorm3d(out_channels)));
  }
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = torch::relu(bn1_(conv1_(x)));
  y = bn2_(conv2_(y));
  if (channel_gate_) y = channel_gate_(y);
  if (spatial_gate_) y = spatial_gate_(y);
  return torch::relu(y + (shortcut_ ? shortcut_->forward(x) : x));
}

AttentionResNet3dImpl::AttentionResNet3dImpl(const NetConfig& config) : config_(config) {
  const int w = config.base_width;
  stem_conv_ = register_module(
      "stem_conv", Conv(config.in_channels, w, config.stem_kernel, config.stem_stride));
  stem_bn_ = register_module("stem_bn", nn::BatchNorm3d(w));
  const int blocks = config.depth == 18 ? 2 : 1;
  int in = w;
  for (int s = 0; s < 4; ++s) {
    int out = w << s;
    nn::Sequential stage;
    for (int b = 0; b < blocks; ++b) {
      stage->push_back(BasicBlock(b == 0 ? in : out, out, (b == 0 && s > 0) ? 2 : 1, config));
    }
    stages_.push_back(register_module("stage" + std::to_string(s + 1), stage));
    in = out;
  }
  dropout_ = register_module("dropout", nn::Dropout(config.dropout));
  fc_ = register_module("fc", nn::Linear(in, 1));
  InitWeights(*this);
}

AttentionResNet3dImpl::Output AttentionResNet3dImpl::Run(const torch::Tensor& x) {
  torch::Tensor y = torch::relu(stem_bn_(stem_conv_(x)));
  if (config_.stem_max_pool) {
    y = torch::max_pool3d(y, /*kernel_size=*/3, /*stride=*/2, /*padding=*/1);
  }
  Output out;
  for (size_t s = 0; s < stages_.size(); ++s) {
    y = stages_[s]->forward(y);
    if (static_cast<int>(s) + 1 == config_.cam_stage) out.features = y;
  }
  out.logit = fc_(dropout_(y.mean({2, 3, 4}))).squeeze(1);
  return out;
}

int64_t CountParameters(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

StateDict CopyState(const torch::nn::Module& module) {
  StateDict state;
  for (const auto& item : module.named_parameters()) {
    state.emplace_back(item.key(), item.value().detach().clone());
  }
  for (const auto& item : module.named_buffers()) {
    state.emplace_back(item.key(), item.value().detach().clone());
  }
  return state;
}

void LoadState(torch::nn::Module& module, const StateDict& state) {
  torch::NoGradGuard no_grad;
  auto params = module.named_parameters();
  auto buffers = module.named_buffers();
  for (const auto& [name, value] : state) {
    if (auto* p = params.find(name)) {
      p->copy_(value);
    } else if (auto* b = buffers.find(name)) {
      b->copy_(value);
    }
  }
}

}  // namespace amdrn::dl
