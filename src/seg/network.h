// The nnU-Net v2 networks (dynamic_network_architectures' PlainConvUNet and
// ResidualEncoderUNet) as a functional LibTorch model: parameters are plain tensors keyed by
// nnU-Net's canonical state-dict names, so nnU-Net checkpoints map onto them 1:1. A UNet is
// thread-compatible: concurrent Forward calls in inference mode are safe, training is not.
#ifndef AMDRN_SEG_NETWORK_H_
#define AMDRN_SEG_NETWORK_H_

#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace amdrn::seg {

// The network topology, as nnU-Net's `architecture.arch_kwargs` describe it. Array axes are
// nnU-Net's (z, y, x) after transpose_forward.
struct NetworkSpec {
  std::string class_name = "PlainConvUNet";  // or "ResidualEncoderUNet"
  int input_channels = 1;
  int num_classes = 2;                       // background included
  std::vector<int> features_per_stage;       // one per stage
  std::vector<std::array<int, 3>> kernel_sizes;
  std::vector<std::array<int, 3>> strides;   // strides[0] is normally {1, 1, 1}
  // Plain: conv blocks per encoder stage; ResidualEncoderUNet: residual blocks per stage.
  std::vector<int> n_conv_per_stage;
  std::vector<int> n_conv_per_stage_decoder;  // one per decoder stage (stages - 1)
  bool conv_bias = true;
  double norm_eps = 1e-5;
  double leaky_relu_slope = 0.01;

  int num_stages() const { return static_cast<int>(features_per_stage.size()); }
  bool residual() const { return class_name == "ResidualEncoderUNet"; }
  // Product of the strides per axis: input sizes must be multiples of it.
  std::array<int, 3> TotalStride() const;
};

// Checks lengths and values; InvalidArgument naming the first inconsistency.
Status ValidateNetworkSpec(const NetworkSpec& spec);

// Parses nnU-Net's configuration `architecture` object ({network_class_name, arch_kwargs,
// _kw_requires_import}). The class name may be the short or the fully qualified
// dynamic_network_architectures name. `input_channels` and `num_classes` come from the
// dataset (they are not part of arch_kwargs). Unimplemented for other network classes or
// operators (2D convolutions, batch norm, dropout).
StatusOr<NetworkSpec> NetworkSpecFromArchitecture(const nlohmann::json& architecture,
                                                  int input_channels, int num_classes);
// The inverse: an `architecture` object nnU-Net can instantiate.
nlohmann::json NetworkSpecToArchitecture(const NetworkSpec& spec);

// Compute precision of inference. kBFloat16 runs convolutions in bfloat16 and keeps
// transposed convolutions (unsupported in bf16 by LibTorch 1.13 on the CPU), instance
// norm statistics and the output in float32.
enum class Precision { kFloat32, kBFloat16 };

class UNet {
 public:
  // Builds the network with nnU-Net's initialisation (Kaiming normal with a = 0.01, zero
  // biases, unit norms; zeroed second norm in residual blocks), seeded by `seed`.
  static StatusOr<std::unique_ptr<UNet>> Create(const NetworkSpec& spec, uint64_t seed = 0);
  ~UNet();

  const NetworkSpec& spec() const { return spec_; }

  // Canonical (deduplicated) nnU-Net parameter names and tensors, in a fixed order.
  const std::vector<std::pair<std::string, at::Tensor>>& named_parameters() const {
    return params_;
  }
  std::vector<at::Tensor> parameters() const;
  int64_t NumParameters() const;

  // Copies tensors by canonical name. Extra names that are nnU-Net aliases
  // (`decoder.encoder.*`, `*.all_modules.*`) are ignored; any other extra or missing name,
  // or a shape mismatch, is InvalidArgument naming the tensor.
  Status LoadStateDict(const std::map<std::string, at::Tensor>& state);
  std::map<std::string, at::Tensor> StateDict() const;  // detached, shared storage

  // Full-resolution logits (N, classes, z, y, x) for input (N, channels, z, y, x) whose
  // size is a multiple of spec().TotalStride(). Differentiable when the parameters
  // require grad and grad mode is on.
  at::Tensor Forward(const at::Tensor& input) const;
  // Deep-supervision logits, highest resolution first (stages - 1 outputs).
  std::vector<at::Tensor> ForwardDeepSupervision(const at::Tensor& input) const;

  // Inference precision (float32 by default). Keeps a bf16 copy of the convolution
  // weights; call again after changing parameters.
  void SetPrecision(Precision precision);
  Precision precision() const { return precision_; }

  // Mixed-precision training (off by default), like torch.autocast("cpu", bfloat16):
  // convolutions cast their input and the float32 master weights to bf16 inside the autograd
  // graph, so gradients reach the float32 weights; activations stay bf16 through instance norm
  // (float32 statistics) and LeakyReLU; transposed convolutions and the logits are float32.
  // Independent of SetPrecision, which serves inference without gradients.
  void SetMixedPrecisionTraining(bool on) { mixed_bf16_ = on; }

 private:
  struct Layer;
  struct Block;
  explicit UNet(NetworkSpec spec);
  void Build(uint64_t seed);
  int AddTensor(const std::string& name, std::vector<int64_t> shape);
  int AddConvNorm(const std::string& prefix, int in_ch, int out_ch,
                  const std::array<int, 3>& kernel, const std::array<int, 3>& stride, bool bias,
                  bool nonlin);
  at::Tensor RunLayer(const Layer& layer, const at::Tensor& x) const;
  at::Tensor RunBlock(const Block& block, const at::Tensor& x) const;
  std::vector<at::Tensor> RunNetwork(const at::Tensor& input, bool all_outputs) const;

  NetworkSpec spec_;
  std::vector<std::pair<std::string, at::Tensor>> params_;
  std::vector<at::Tensor> params_bf16_;  // parallel to params_ when precision is bf16
  std::vector<Layer> layers_;
  std::vector<int> stem_;                   // ResidualEncoderUNet stem layers
  std::vector<std::vector<Block>> encoder_;  // per stage: blocks in order
  std::vector<int> transp_;     // per decoder stage: weight index (bias = index + 1)
  std::vector<std::vector<int>> decoder_layers_;
  std::vector<int> seg_layers_;
  Precision precision_ = Precision::kFloat32;
  bool mixed_bf16_ = false;
};

}  // namespace amdrn::seg

#endif  // AMDRN_SEG_NETWORK_H_
