// An inference-only engine for a trained UNet (network.h) on oneDNN: convolutions and
// transposed convolutions are oneDNN primitives with weights reordered once, activations stay
// in one oneDNN layout from input to logits, and instance norm + LeakyReLU (+ the residual
// add) run as one fused kernel of ours. Primitives and buffers are built once per input shape
// and thread count and reused, as the sliding window calls the same tile shape again and
// again. A FusedUNet copies the weights it needs, so it does not refer to the UNet after
// Create. Not thread-safe: one Forward at a time (it reuses its buffers).
#ifndef AMDRN_SEG_FUSED_UNET_H_
#define AMDRN_SEG_FUSED_UNET_H_

#include <ATen/core/Tensor.h>

#include <map>
#include <memory>
#include <string>

#include "core/status.h"
#include "seg/network.h"

namespace amdrn::seg {

// Memory layout of the activations between layers.
enum class ActivationLayout {
  // oneDNN nCdhw16c: channels in blocks of 16, voxels, 16 lanes. Used only when every stage's
  // width is a multiple of 16 (oneDNN 2.6 has no fast kernel otherwise); else channels-last.
  kBlocked16,
  kChannelsLast,  // ndhwc
};

struct FusedUNetOptions {
  // kBFloat16: every convolution and transposed convolution in bfloat16 (activations stored
  // in bf16), norm statistics and arithmetic in float32, logits float32.
  Precision precision = Precision::kFloat32;
  ActivationLayout layout = ActivationLayout::kBlocked16;
  // With kBFloat16: run the transposed convolutions in bf16 too. Off by default, they run in
  // float32 (input converted, output rounded to bf16): oneDNN 2.6's bf16 deconvolution was
  // slower than its float32 one on the machine measured (docs/segmentation.md).
  bool bf16_deconv = false;
  // Runs a transposed convolution whose kernel equals its stride (nnU-Net's upsampling) as a
  // 1x1x1 convolution to kernel-volume x outputs channels followed by a depth-to-space copy,
  // in the activation precision; off: oneDNN's deconvolution primitive.
  bool pointwise_upsampling = true;
  // Accumulates seconds per operation kind (waits after each step; a little slower).
  bool profile = false;
};

class FusedUNet {
 public:
  // Copies and reorders `net`'s weights. InvalidArgument for a spec the engine cannot run;
  // Internal if oneDNN refuses a primitive. When the CPU lacks AVX-512, bf16 falls back to
  // float32 (with a warning); without native bf16 (avx512_core_bf16) oneDNN emulates it,
  // which is slower than float32.
  static StatusOr<std::unique_ptr<FusedUNet>> Create(const UNet& net,
                                                     const FusedUNetOptions& options = {});
  ~FusedUNet();

  // Full-resolution logits (N, classes, z, y, x) float32, as UNet::Forward, for a float32
  // input (N, channels, z, y, x) whose spatial size is a multiple of spec().TotalStride().
  // InvalidArgument for another type, channel count or size.
  StatusOr<at::Tensor> Forward(const at::Tensor& input);

  const NetworkSpec& spec() const;
  // The precision and layout actually used (float32 after a fallback; channels-last for
  // widths that are not multiples of 16).
  Precision precision() const;
  ActivationLayout layout() const;
  // Seconds per operation kind ("conv", "deconv", "shuffle", "norm", "concat", "pool",
  // "reorder"; the 1x1x1 convolutions of pointwise upsampling count as "deconv") since the last
  // ResetProfile, when options.profile is set.
  const std::map<std::string, double>& profile() const;
  void ResetProfile();

  // Whether this CPU runs bf16 convolutions natively (oneDNN ISA avx512_core_bf16 or above).
  static bool NativeBf16();
  // oneDNN's name of the CPU instruction set it dispatches to.
  static std::string CpuIsaName();

  struct Impl;  // opaque: the weights, primitives and buffers (fused_unet.cc)

 private:
  explicit FusedUNet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace amdrn::seg

#endif  // AMDRN_SEG_FUSED_UNET_H_
