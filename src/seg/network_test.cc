#include "seg/network.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace amdrn::seg {
namespace {

NetworkSpec TinySpec(const std::string& class_name) {
  NetworkSpec spec;
  spec.class_name = class_name;
  spec.input_channels = 1;
  spec.num_classes = 3;
  spec.features_per_stage = {4, 8, 16};
  spec.kernel_sizes = {{1, 3, 3}, {3, 3, 3}, {3, 3, 3}};
  spec.strides = {{1, 1, 1}, {1, 2, 2}, {2, 2, 2}};
  spec.n_conv_per_stage = class_name == "PlainConvUNet" ? std::vector<int>{2, 2, 2}
                                                        : std::vector<int>{1, 3, 4};
  spec.n_conv_per_stage_decoder = {1, 1};
  return spec;
}

TEST(NetworkTest, PlainUNetHasNnunetNamesAndShapes) {
  auto net = UNet::Create(TinySpec("PlainConvUNet"), 1);
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  auto state = (*net)->StateDict();
  EXPECT_EQ(state.at("encoder.stages.0.0.convs.0.conv.weight").sizes(),
            (std::vector<int64_t>{4, 1, 1, 3, 3}));
  EXPECT_EQ(state.at("encoder.stages.2.0.convs.1.norm.bias").sizes(), (std::vector<int64_t>{16}));
  EXPECT_EQ(state.at("decoder.transpconvs.0.weight").sizes(),
            (std::vector<int64_t>{16, 8, 2, 2, 2}));
  EXPECT_EQ(state.at("decoder.stages.1.convs.0.conv.weight").sizes(),
            (std::vector<int64_t>{4, 8, 1, 3, 3}));
  EXPECT_EQ(state.at("decoder.seg_layers.1.weight").sizes(), (std::vector<int64_t>{3, 4, 1, 1, 1}));

  at::Tensor x = torch::randn({2, 1, 8, 16, 16});
  torch::NoGradGuard no_grad;
  at::Tensor y = (*net)->Forward(x);
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 3, 8, 16, 16}));
  auto ds = (*net)->ForwardDeepSupervision(x);
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_TRUE(torch::allclose(ds[0], y));
  EXPECT_EQ(ds[1].sizes(), (std::vector<int64_t>{2, 3, 8, 8, 8}));
}

TEST(NetworkTest, ResidualEncoderUNetBuildsBlocksAndSkips) {
  auto net = UNet::Create(TinySpec("ResidualEncoderUNet"), 1);
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  auto state = (*net)->StateDict();
  EXPECT_TRUE(state.count("encoder.stem.convs.0.conv.weight"));
  EXPECT_TRUE(state.count("encoder.stages.1.blocks.0.skip.1.conv.weight"));
  EXPECT_FALSE(state.count("encoder.stages.1.blocks.0.skip.1.conv.bias"));
  EXPECT_FALSE(state.count("encoder.stages.0.blocks.0.skip.0.conv.weight"));  // identity skip
  EXPECT_TRUE(state.count("encoder.stages.2.blocks.3.conv2.norm.weight"));
  EXPECT_EQ(state.at("encoder.stages.1.blocks.0.conv2.norm.weight").abs().sum().item<float>(), 0);
  torch::NoGradGuard no_grad;
  at::Tensor y = (*net)->Forward(torch::randn({1, 1, 4, 8, 8}));
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{1, 3, 4, 8, 8}));
}

TEST(NetworkTest, ArchitectureJsonRoundTrips) {
  NetworkSpec spec = TinySpec("ResidualEncoderUNet");
  nlohmann::json arch = NetworkSpecToArchitecture(spec);
  auto back = NetworkSpecFromArchitecture(arch, 1, 3);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->class_name, "ResidualEncoderUNet");
  EXPECT_EQ(back->kernel_sizes, spec.kernel_sizes);
  EXPECT_EQ(back->strides, spec.strides);
  EXPECT_EQ(back->n_conv_per_stage, spec.n_conv_per_stage);

  arch["arch_kwargs"]["norm_op"] = "torch.nn.BatchNorm3d";
  EXPECT_EQ(NetworkSpecFromArchitecture(arch, 1, 3).status().code(), StatusCode::kUnimplemented);
  arch["arch_kwargs"].erase("strides");
  EXPECT_FALSE(NetworkSpecFromArchitecture(arch, 1, 3).ok());
}

TEST(NetworkTest, LoadStateDictChecksNamesAndShapes) {
  auto a = UNet::Create(TinySpec("PlainConvUNet"), 1);
  auto b = UNet::Create(TinySpec("PlainConvUNet"), 2);
  ASSERT_TRUE(a.ok() && b.ok());
  auto state = (*a)->StateDict();
  state["decoder.encoder.stages.0.0.convs.0.conv.weight"] =
      state["encoder.stages.0.0.convs.0.conv.weight"];  // nnU-Net alias: ignored
  ASSERT_TRUE((*b)->LoadStateDict(state).ok());
  torch::NoGradGuard no_grad;
  at::Tensor x = torch::randn({1, 1, 4, 8, 8});
  EXPECT_TRUE(torch::equal((*a)->Forward(x), (*b)->Forward(x)));

  auto bad = state;
  bad["decoder.seg_layers.0.weight"] = torch::zeros({2, 8, 1, 1, 1});
  Status status = (*b)->LoadStateDict(bad);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("decoder.seg_layers.0.weight"), std::string::npos);
  bad = state;
  bad.erase("decoder.seg_layers.0.bias");
  EXPECT_FALSE((*b)->LoadStateDict(bad).ok());
}

TEST(NetworkTest, Bf16InferenceStaysCloseToFloat) {
  auto net = UNet::Create(TinySpec("PlainConvUNet"), 3);
  ASSERT_TRUE(net.ok());
  torch::NoGradGuard no_grad;
  at::Tensor x = torch::randn({1, 1, 8, 16, 16});
  at::Tensor ref = (*net)->Forward(x);
  (*net)->SetPrecision(Precision::kBFloat16);
  at::Tensor low = (*net)->Forward(x);
  EXPECT_EQ(low.scalar_type(), at::kFloat);
  double rel = (low - ref).abs().max().item<double>() / ref.abs().max().item<double>();
  EXPECT_LT(rel, 0.1);
  EXPECT_GT(ref.argmax(1).eq(low.argmax(1)).to(at::kFloat).mean().item<double>(), 0.9);
}

// Mixed-precision training on both network classes: deep-supervision logits in float32 close
// to the float32 ones, and a backward pass that reaches every float32 weight.
TEST(NetworkTest, MixedPrecisionTrainingRunsBothClasses) {
  for (const char* name : {"PlainConvUNet", "ResidualEncoderUNet"}) {
    auto net = UNet::Create(TinySpec(name), 3);
    ASSERT_TRUE(net.ok()) << name;
    at::Tensor x = torch::randn({2, 1, 8, 16, 16});
    std::vector<at::Tensor> ref;
    {
      torch::NoGradGuard no_grad;
      ref = (*net)->ForwardDeepSupervision(x);
    }
    (*net)->SetMixedPrecisionTraining(true);
    std::vector<at::Tensor> low = (*net)->ForwardDeepSupervision(x);
    ASSERT_EQ(low.size(), ref.size()) << name;
    at::Tensor loss = torch::zeros({});
    for (size_t i = 0; i < low.size(); ++i) {
      EXPECT_EQ(low[i].scalar_type(), at::kFloat) << name;
      double rel = (low[i] - ref[i]).abs().max().item<double>() /
                   ref[i].abs().max().item<double>();
      EXPECT_LT(rel, 0.1) << name << " output " << i;
      loss = loss + low[i].square().mean();
    }
    loss.backward();
    for (const auto& [param, tensor] : (*net)->named_parameters()) {
      EXPECT_EQ(tensor.scalar_type(), at::kFloat) << name << " " << param;
      if (param.find("seg_layers") != std::string::npos) continue;
      ASSERT_TRUE(tensor.grad().defined()) << name << " " << param;
      EXPECT_EQ(tensor.grad().scalar_type(), at::kFloat) << name << " " << param;
    }
  }
}

}  // namespace
}  // namespace amdrn::seg
