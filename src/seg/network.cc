#include "seg/network.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <sstream>

namespace amdrn::seg {

struct UNet::Layer {
  int weight = -1;
  int bias = -1;
  int norm_weight = -1;  // -1: no norm
  int norm_bias = -1;
  std::array<int64_t, 3> stride = {1, 1, 1};
  std::array<int64_t, 3> padding = {0, 0, 0};
  bool nonlin = false;
};

// A plain stack of conv-norm-lrelu layers, or one ResNet-D BasicBlockD (layers = conv1,
// conv2; optional average pooling and 1x1 conv-norm on the skip path).
struct UNet::Block {
  std::vector<int> layers;
  bool residual = false;
  std::array<int64_t, 3> pool = {1, 1, 1};
  int skip_layer = -1;
};

namespace {

std::string Dims(const std::array<int, 3>& v) {
  std::ostringstream out;
  out << v[0] << "x" << v[1] << "x" << v[2];
  return out.str();
}

bool IsOne(const std::array<int, 3>& v) { return v[0] == 1 && v[1] == 1 && v[2] == 1; }

std::string ShortClassName(const std::string& name) {
  size_t dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

StatusOr<std::vector<std::array<int, 3>>> ParseTriples(const nlohmann::json& value,
                                                      const std::string& key, int n) {
  if (!value.is_array() || static_cast<int>(value.size()) != n) {
    return InvalidArgumentError("arch_kwargs." + key + " should be a list of " +
                                std::to_string(n) + " entries, found " + value.dump());
  }
  std::vector<std::array<int, 3>> out;
  for (const auto& entry : value) {
    if (entry.is_number_integer()) {
      int v = entry.get<int>();
      out.push_back({v, v, v});
    } else if (entry.is_array() && entry.size() == 3) {
      out.push_back({entry[0].get<int>(), entry[1].get<int>(), entry[2].get<int>()});
    } else {
      return InvalidArgumentError("arch_kwargs." + key + " entries should be 3 integers, found " +
                                  entry.dump());
    }
  }
  return out;
}

StatusOr<std::vector<int>> ParseInts(const nlohmann::json& value, const std::string& key, int n) {
  std::vector<int> out;
  if (value.is_number_integer()) return std::vector<int>(n, value.get<int>());
  if (!value.is_array() || static_cast<int>(value.size()) != n) {
    return InvalidArgumentError("arch_kwargs." + key + " should be a list of " +
                                std::to_string(n) + " integers, found " + value.dump());
  }
  for (const auto& entry : value) out.push_back(entry.get<int>());
  return out;
}

Status CheckOperators(const nlohmann::json& kwargs) {
  auto name_of = [&](const char* key) {
    return kwargs.contains(key) && kwargs[key].is_string() ? kwargs[key].get<std::string>() : "";
  };
  std::string conv = ShortClassName(name_of("conv_op"));
  std::string norm = ShortClassName(name_of("norm_op"));
  std::string nonlin = ShortClassName(name_of("nonlin"));
  if (!conv.empty() && conv != "Conv3d") {
    return UnimplementedError("only 3D networks (conv_op Conv3d) are supported, found " + conv);
  }
  if (!norm.empty() && norm != "InstanceNorm3d") {
    return UnimplementedError("only InstanceNorm3d normalisation is supported, found " + norm);
  }
  if (!nonlin.empty() && nonlin != "LeakyReLU") {
    return UnimplementedError("only the LeakyReLU nonlinearity is supported, found " + nonlin);
  }
  if (kwargs.contains("dropout_op") && !kwargs["dropout_op"].is_null()) {
    return UnimplementedError("networks with dropout are not supported");
  }
  if (kwargs.contains("norm_op_kwargs") && kwargs["norm_op_kwargs"].is_object() &&
      kwargs["norm_op_kwargs"].value("affine", true) == false) {
    return UnimplementedError("instance norm without affine parameters is not supported");
  }
  return OkStatus();
}

}  // namespace

std::array<int, 3> NetworkSpec::TotalStride() const {
  std::array<int, 3> total = {1, 1, 1};
  for (const auto& s : strides) {
    for (int a = 0; a < 3; ++a) total[a] *= s[a];
  }
  return total;
}

Status ValidateNetworkSpec(const NetworkSpec& spec) {
  int n = spec.num_stages();
  if (spec.class_name != "PlainConvUNet" && spec.class_name != "ResidualEncoderUNet") {
    return UnimplementedError("network class should be PlainConvUNet or ResidualEncoderUNet, found " +
                              spec.class_name);
  }
  if (n < 2) return InvalidArgumentError("a U-Net needs at least 2 stages, found " + std::to_string(n));
  if (static_cast<int>(spec.kernel_sizes.size()) != n || static_cast<int>(spec.strides.size()) != n ||
      static_cast<int>(spec.n_conv_per_stage.size()) != n ||
      static_cast<int>(spec.n_conv_per_stage_decoder.size()) != n - 1) {
    return InvalidArgumentError("network spec lists should have " + std::to_string(n) +
                                " entries per stage (decoder: one fewer)");
  }
  if (spec.input_channels < 1 || spec.num_classes < 1) {
    return InvalidArgumentError("network needs at least one input channel and one class");
  }
  for (int s = 0; s < n; ++s) {
    if (spec.features_per_stage[s] < 1 || spec.n_conv_per_stage[s] < 1 ||
        (s + 1 < n && spec.n_conv_per_stage_decoder[s] < 1)) {
      return InvalidArgumentError("stage " + std::to_string(s) +
                                  " should have positive features and conv counts");
    }
    for (int a = 0; a < 3; ++a) {
      if (spec.kernel_sizes[s][a] < 1 || spec.kernel_sizes[s][a] % 2 == 0 ||
          spec.strides[s][a] < 1) {
        return InvalidArgumentError("stage " + std::to_string(s) +
                                    " should have odd kernels and positive strides, found kernel " +
                                    Dims(spec.kernel_sizes[s]) + " stride " + Dims(spec.strides[s]));
      }
    }
  }
  return OkStatus();
}

StatusOr<NetworkSpec> NetworkSpecFromArchitecture(const nlohmann::json& architecture,
                                                  int input_channels, int num_classes) {
  if (!architecture.is_object() || !architecture.contains("arch_kwargs")) {
    return InvalidArgumentError("the configuration's architecture should be an object with "
                                "network_class_name and arch_kwargs");
  }
  try {
    NetworkSpec spec;
    spec.class_name = ShortClassName(architecture.value("network_class_name", "PlainConvUNet"));
    const nlohmann::json& kw = architecture["arch_kwargs"];
    AMDRN_RETURN_IF_ERROR(CheckOperators(kw));
    int n = kw.at("n_stages").get<int>();
    spec.input_channels = input_channels;
    spec.num_classes = num_classes;
    AMDRN_ASSIGN_OR_RETURN(spec.features_per_stage, ParseInts(kw.at("features_per_stage"),
                                                              "features_per_stage", n));
    AMDRN_ASSIGN_OR_RETURN(spec.kernel_sizes, ParseTriples(kw.at("kernel_sizes"), "kernel_sizes", n));
    AMDRN_ASSIGN_OR_RETURN(spec.strides, ParseTriples(kw.at("strides"), "strides", n));
    const char* per_stage = spec.residual() ? "n_blocks_per_stage" : "n_conv_per_stage";
    AMDRN_ASSIGN_OR_RETURN(spec.n_conv_per_stage, ParseInts(kw.at(per_stage), per_stage, n));
    AMDRN_ASSIGN_OR_RETURN(spec.n_conv_per_stage_decoder,
                           ParseInts(kw.at("n_conv_per_stage_decoder"), "n_conv_per_stage_decoder",
                                     n - 1));
    spec.conv_bias = kw.value("conv_bias", true);
    if (kw.contains("norm_op_kwargs") && kw["norm_op_kwargs"].is_object()) {
      spec.norm_eps = kw["norm_op_kwargs"].value("eps", 1e-5);
    }
    if (kw.contains("nonlin_kwargs") && kw["nonlin_kwargs"].is_object()) {
      spec.leaky_relu_slope = kw["nonlin_kwargs"].value("negative_slope", 0.01);
    }
    AMDRN_RETURN_IF_ERROR(ValidateNetworkSpec(spec));
    return spec;
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(std::string("the architecture's arch_kwargs are incomplete: ") +
                                e.what());
  }
}

nlohmann::json NetworkSpecToArchitecture(const NetworkSpec& spec) {
  nlohmann::json kw;
  kw["n_stages"] = spec.num_stages();
  kw["features_per_stage"] = spec.features_per_stage;
  kw["conv_op"] = "torch.nn.modules.conv.Conv3d";
  kw["kernel_sizes"] = spec.kernel_sizes;
  kw["strides"] = spec.strides;
  kw[spec.residual() ? "n_blocks_per_stage" : "n_conv_per_stage"] = spec.n_conv_per_stage;
  kw["n_conv_per_stage_decoder"] = spec.n_conv_per_stage_decoder;
  kw["conv_bias"] = spec.conv_bias;
  kw["norm_op"] = "torch.nn.modules.instancenorm.InstanceNorm3d";
  kw["norm_op_kwargs"] = {{"eps", spec.norm_eps}, {"affine", true}};
  kw["dropout_op"] = nullptr;
  kw["dropout_op_kwargs"] = nullptr;
  kw["nonlin"] = "torch.nn.LeakyReLU";
  kw["nonlin_kwargs"] = {{"inplace", true}};
  if (spec.leaky_relu_slope != 0.01) kw["nonlin_kwargs"]["negative_slope"] = spec.leaky_relu_slope;
  std::string module = "dynamic_network_architectures.architectures.unet.";
  return {{"network_class_name", module + spec.class_name},
          {"arch_kwargs", kw},
          {"_kw_requires_import", {"conv_op", "norm_op", "dropout_op", "nonlin"}}};
}

UNet::UNet(NetworkSpec spec) : spec_(std::move(spec)) {}
UNet::~UNet() = default;

StatusOr<std::unique_ptr<UNet>> UNet::Create(const NetworkSpec& spec, uint64_t seed) {
  AMDRN_RETURN_IF_ERROR(ValidateNetworkSpec(spec));
  std::unique_ptr<UNet> net(new UNet(spec));
  try {
    net->Build(seed);
  } catch (const std::exception& e) {
    return InternalError(std::string("building the network failed: ") + e.what());
  }
  return net;
}

int UNet::AddTensor(const std::string& name, std::vector<int64_t> shape) {
  params_.emplace_back(name, at::zeros(shape, at::kFloat));
  return static_cast<int>(params_.size()) - 1;
}

int UNet::AddConvNorm(const std::string& prefix, int in_ch, int out_ch,
                      const std::array<int, 3>& kernel, const std::array<int, 3>& stride,
                      bool bias, bool nonlin) {
  Layer layer;
  layer.weight = AddTensor(prefix + ".conv.weight", {out_ch, in_ch, kernel[0], kernel[1], kernel[2]});
  if (bias) layer.bias = AddTensor(prefix + ".conv.bias", {out_ch});
  layer.norm_weight = AddTensor(prefix + ".norm.weight", {out_ch});
  layer.norm_bias = AddTensor(prefix + ".norm.bias", {out_ch});
  params_[layer.norm_weight].second.fill_(1.0);
  for (int a = 0; a < 3; ++a) {
    layer.stride[a] = stride[a];
    layer.padding[a] = (kernel[a] - 1) / 2;
  }
  layer.nonlin = nonlin;
  layers_.push_back(layer);
  return static_cast<int>(layers_.size()) - 1;
}

void UNet::Build(uint64_t seed) {
  const NetworkSpec& s = spec_;
  const int n = s.num_stages();
  const std::array<int, 3> one = {1, 1, 1};
  int in = s.input_channels;
  encoder_.assign(n, {});
  if (s.residual()) {
    stem_.push_back(AddConvNorm("encoder.stem.convs.0", in, s.features_per_stage[0],
                                s.kernel_sizes[0], one, s.conv_bias, true));
    in = s.features_per_stage[0];
  }
  for (int st = 0; st < n; ++st) {
    const int out = s.features_per_stage[st];
    if (!s.residual()) {
      Block block;
      for (int i = 0; i < s.n_conv_per_stage[st]; ++i) {
        block.layers.push_back(AddConvNorm(
            "encoder.stages." + std::to_string(st) + ".0.convs." + std::to_string(i), in, out,
            s.kernel_sizes[st], i == 0 ? s.strides[st] : one, s.conv_bias, true));
        in = out;
      }
      encoder_[st].push_back(block);
      continue;
    }
    for (int b = 0; b < s.n_conv_per_stage[st]; ++b) {
      std::string prefix = "encoder.stages." + std::to_string(st) + ".blocks." + std::to_string(b);
      const std::array<int, 3> stride = b == 0 ? s.strides[st] : one;
      Block block;
      block.residual = true;
      block.layers.push_back(AddConvNorm(prefix + ".conv1", in, out, s.kernel_sizes[st], stride,
                                         s.conv_bias, true));
      block.layers.push_back(AddConvNorm(prefix + ".conv2", out, out, s.kernel_sizes[st], one,
                                         s.conv_bias, false));
      // The second norm starts at zero so each block begins as (nearly) the identity.
      params_[layers_[block.layers[1]].norm_weight].second.zero_();
      for (int a = 0; a < 3; ++a) block.pool[a] = stride[a];
      if (in != out) {
        block.skip_layer = AddConvNorm(prefix + ".skip." + (IsOne(stride) ? "0" : "1"), in, out,
                                       one, one, false, false);
      }
      encoder_[st].push_back(block);
      in = out;
    }
  }
  for (int d = 0; d + 1 < n; ++d) {
    const int below = s.features_per_stage[n - 1 - d];
    const int skip = s.features_per_stage[n - 2 - d];
    const auto& st = s.strides[n - 1 - d];
    std::string t = "decoder.transpconvs." + std::to_string(d);
    transp_.push_back(AddTensor(t + ".weight", {below, skip, st[0], st[1], st[2]}));
    if (s.conv_bias) AddTensor(t + ".bias", {skip});
    std::vector<int> layers;
    for (int i = 0; i < s.n_conv_per_stage_decoder[d]; ++i) {
      layers.push_back(AddConvNorm(
          "decoder.stages." + std::to_string(d) + ".convs." + std::to_string(i),
          i == 0 ? 2 * skip : skip, skip, s.kernel_sizes[n - 2 - d], one, s.conv_bias, true));
    }
    decoder_layers_.push_back(layers);
    Layer seg;
    std::string g = "decoder.seg_layers." + std::to_string(d);
    seg.weight = AddTensor(g + ".weight", {s.num_classes, skip, 1, 1, 1});
    seg.bias = AddTensor(g + ".bias", {s.num_classes});
    layers_.push_back(seg);
    seg_layers_.push_back(static_cast<int>(layers_.size()) - 1);
  }

  // Kaiming normal (a = 0.01, fan_in) for every conv and transposed-conv weight.
  at::Generator gen = at::detail::createCPUGenerator(seed);
  const double gain = std::sqrt(2.0 / (1.0 + 0.01 * 0.01));
  for (auto& [name, tensor] : params_) {
    if (tensor.dim() != 5) continue;
    int64_t fan_in = tensor.size(1) * tensor.size(2) * tensor.size(3) * tensor.size(4);
    tensor.normal_(0.0, gain / std::sqrt(static_cast<double>(fan_in)), gen);
  }
  for (auto& [name, tensor] : params_) tensor.set_requires_grad(true);
}

std::vector<at::Tensor> UNet::parameters() const {
  std::vector<at::Tensor> out;
  for (const auto& [name, tensor] : params_) out.push_back(tensor);
  return out;
}

int64_t UNet::NumParameters() const {
  int64_t total = 0;
  for (const auto& [name, tensor] : params_) total += tensor.numel();
  return total;
}

std::map<std::string, at::Tensor> UNet::StateDict() const {
  std::map<std::string, at::Tensor> out;
  for (const auto& [name, tensor] : params_) out[name] = tensor.detach();
  return out;
}

Status UNet::LoadStateDict(const std::map<std::string, at::Tensor>& state) {
  std::map<std::string, int> index;
  for (size_t i = 0; i < params_.size(); ++i) index[params_[i].first] = static_cast<int>(i);
  for (const auto& [name, tensor] : state) {
    if (index.count(name)) continue;
    if (name.rfind("decoder.encoder.", 0) == 0 || name.find(".all_modules.") != std::string::npos) {
      continue;
    }
    return InvalidArgumentError("the weights contain tensor '" + name +
                                "', which this " + spec_.class_name + " does not have");
  }
  at::NoGradGuard no_grad;
  for (auto& [name, param] : params_) {
    auto it = state.find(name);
    if (it == state.end()) {
      return InvalidArgumentError("the weights lack tensor '" + name + "'");
    }
    if (it->second.sizes() != param.sizes()) {
      std::ostringstream msg;
      msg << "tensor '" << name << "' should have shape " << param.sizes() << ", found "
          << it->second.sizes();
      return InvalidArgumentError(msg.str());
    }
    param.copy_(it->second.to(at::kFloat));
  }
  if (precision_ == Precision::kBFloat16) SetPrecision(precision_);
  return OkStatus();
}

void UNet::SetPrecision(Precision precision) {
  precision_ = precision;
  params_bf16_.clear();
  if (precision != Precision::kBFloat16) return;
  for (const auto& [name, tensor] : params_) params_bf16_.push_back(tensor.detach().to(at::kBFloat16));
}

at::Tensor UNet::RunLayer(const Layer& layer, const at::Tensor& x) const {
  if (mixed_bf16_) {
    // Like torch.autocast("cpu", bfloat16): weights cast inside the graph, activations kept
    // in bf16 through norm and nonlinearity (the CPU norm kernel accumulates in float32);
    // the logits of the segmentation heads leave in float32 for the loss.
    auto low = [&](int index) { return params_[index].second.to(at::kBFloat16); };
    at::Tensor y = at::conv3d(x.to(at::kBFloat16), low(layer.weight),
                              layer.bias >= 0 ? low(layer.bias) : at::Tensor(), layer.stride,
                              layer.padding);
    if (layer.norm_weight < 0) return y.to(at::kFloat);
    y = at::instance_norm(y, low(layer.norm_weight), low(layer.norm_bias), {}, {}, true, 0.1,
                          spec_.norm_eps, false);
    if (layer.nonlin) at::leaky_relu_(y, spec_.leaky_relu_slope);
    return y;
  }
  const bool bf16 = precision_ == Precision::kBFloat16;
  const auto& w = bf16 ? params_bf16_[layer.weight] : params_[layer.weight].second;
  at::Tensor bias;
  if (layer.bias >= 0) bias = bf16 ? params_bf16_[layer.bias] : params_[layer.bias].second;
  at::Tensor in = bf16 ? x.to(at::kBFloat16) : x;
  at::Tensor y = at::conv3d(in, w, bias, layer.stride, layer.padding);
  if (layer.norm_weight < 0) return bf16 ? y.to(at::kFloat) : y;
  if (bf16) y = y.to(at::kFloat);
  y = at::instance_norm(y, params_[layer.norm_weight].second, params_[layer.norm_bias].second, {},
                        {}, true, 0.1, spec_.norm_eps, false);
  if (layer.nonlin) at::leaky_relu_(y, spec_.leaky_relu_slope);
  return y;
}

at::Tensor UNet::RunBlock(const Block& block, const at::Tensor& x) const {
  at::Tensor y = x;
  for (int layer : block.layers) y = RunLayer(layers_[layer], y);
  if (!block.residual) return y;
  at::Tensor skip = x;
  if (block.pool[0] > 1 || block.pool[1] > 1 || block.pool[2] > 1) {
    skip = at::avg_pool3d(skip.to(at::kFloat), block.pool, block.pool);
  }
  if (block.skip_layer >= 0) skip = RunLayer(layers_[block.skip_layer], skip);
  y = y + skip.to(y.scalar_type());
  at::leaky_relu_(y, spec_.leaky_relu_slope);
  return y;
}

std::vector<at::Tensor> UNet::RunNetwork(const at::Tensor& input, bool all_outputs) const {
  const int n = spec_.num_stages();
  at::Tensor x = input;
  for (int layer : stem_) x = RunLayer(layers_[layer], x);
  std::vector<at::Tensor> skips;
  for (int st = 0; st < n; ++st) {
    for (const Block& block : encoder_[st]) x = RunBlock(block, x);
    skips.push_back(x);
  }
  std::vector<at::Tensor> outputs;
  for (int d = 0; d + 1 < n; ++d) {
    const auto& st = spec_.strides[n - 1 - d];
    at::Tensor bias;
    if (spec_.conv_bias) bias = params_[transp_[d] + 1].second;
    // Transposed convolutions stay float32 (LibTorch 1.13 has no bf16 ConvTranspose3d on
    // the CPU); in mixed precision their output joins the bf16 skip in bf16.
    x = at::conv_transpose3d(x.to(at::kFloat), params_[transp_[d]].second, bias,
                             {st[0], st[1], st[2]});
    x = at::cat({x.to(skips[n - 2 - d].scalar_type()), skips[n - 2 - d]}, 1);
    skips[n - 2 - d] = at::Tensor();  // release the skip as soon as it is used
    for (int layer : decoder_layers_[d]) x = RunLayer(layers_[layer], x);
    if (all_outputs || d + 2 == n) outputs.push_back(RunLayer(layers_[seg_layers_[d]], x));
  }
  std::reverse(outputs.begin(), outputs.end());
  return outputs;
}

at::Tensor UNet::Forward(const at::Tensor& input) const { return RunNetwork(input, false)[0]; }

std::vector<at::Tensor> UNet::ForwardDeepSupervision(const at::Tensor& input) const {
  return RunNetwork(input, true);
}

}  // namespace amdrn::seg
