#include "seg/fused_unet.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "core/file_util.h"
#include "seg/checkpoint.h"
#include "seg/import_nnunet.h"
#include "seg/predictor.h"
#include "seg/test_tensors.h"

namespace amdrn::seg {
namespace {

namespace fs = std::filesystem;

// Odd channel counts (3 inputs, 5 classes; 21 features unless `wide`, which keeps every
// width a multiple of 16 so the blocked layout is used), an anisotropic stride and a
// {1, 3, 3} kernel.
NetworkSpec SmallSpec(bool residual, bool wide = false) {
  NetworkSpec s;
  s.class_name = residual ? "ResidualEncoderUNet" : "PlainConvUNet";
  s.input_channels = 3;
  s.num_classes = 5;
  s.features_per_stage = wide ? std::vector<int>{16, 32, 48} : std::vector<int>{16, 21, 32};
  s.kernel_sizes = {{1, 3, 3}, {3, 3, 3}, {3, 3, 3}};
  s.strides = {{1, 1, 1}, {1, 2, 2}, {2, 2, 2}};
  s.n_conv_per_stage = residual ? std::vector<int>{1, 2, 2} : std::vector<int>{2, 2, 2};
  s.n_conv_per_stage_decoder = {1, 2};
  return s;
}

// A network whose every parameter is random (nnU-Net's initialisation zeroes the biases and
// some norm weights, which would hide mistakes).
std::unique_ptr<UNet> RandomNet(const NetworkSpec& spec, uint64_t seed) {
  auto net = std::move(UNet::Create(spec, seed).value());
  auto gen = at::detail::createCPUGenerator(seed + 100);
  std::map<std::string, at::Tensor> state;
  for (const auto& [name, t] : net->named_parameters()) {
    at::Tensor v = t.detach().clone();
    if (name.find(".norm.weight") != std::string::npos) {
      v = at::empty(t.sizes()).uniform_(0.5, 1.5, gen);
    } else if (t.dim() == 1) {
      v = at::empty(t.sizes()).normal_(0.0, 0.2, gen);
    }
    state[name] = v;
  }
  EXPECT_TRUE(net->LoadStateDict(state).ok());
  for (auto& p : net->parameters()) p.set_requires_grad(false);
  return net;
}

at::Tensor RandomInput(std::vector<int64_t> shape, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  return at::normal(0.0, 1.0, shape, gen);
}

double RelativeError(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>() / std::max(1e-12, b.abs().max().item<double>());
}

double ArgmaxAgreement(const at::Tensor& a, const at::Tensor& b) {
  return a.argmax(1).eq(b.argmax(1)).to(at::kDouble).mean().item<double>();
}

struct Case {
  bool residual;
  ActivationLayout layout;  // requested
  int64_t batch;
  bool wide;
};

// Blocked only when asked for and every width is a multiple of 16.
ActivationLayout ExpectedLayout(const Case& c) {
  return c.layout == ActivationLayout::kBlocked16 && c.wide ? ActivationLayout::kBlocked16
                                                            : ActivationLayout::kChannelsLast;
}

class FusedUNetTest : public ::testing::TestWithParam<Case> {};

TEST_P(FusedUNetTest, Float32MatchesEagerForward) {
  const Case c = GetParam();
  auto net = RandomNet(SmallSpec(c.residual, c.wide), 3);
  at::Tensor x = RandomInput({c.batch, 3, 6, 16, 12}, 7);
  c10::InferenceMode guard;
  at::Tensor expected = net->Forward(x);
  FusedUNetOptions options;
  options.layout = c.layout;
  auto fused = FusedUNet::Create(*net, options);
  ASSERT_TRUE(fused.ok()) << fused.status().ToString();
  EXPECT_EQ((*fused)->layout(), ExpectedLayout(c));
  auto y = (*fused)->Forward(x);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  ASSERT_EQ(y->sizes(), expected.sizes());
  EXPECT_LT(RelativeError(*y, expected), 1e-4);
}

TEST_P(FusedUNetTest, BFloat16IsCloseAndAgreesOnLabels) {
  const Case c = GetParam();
  auto net = RandomNet(SmallSpec(c.residual, c.wide), 4);
  at::Tensor x = RandomInput({c.batch, 3, 8, 32, 32}, 8);
  c10::InferenceMode guard;
  at::Tensor expected = net->Forward(x);
  FusedUNetOptions options;
  options.layout = c.layout;
  options.precision = Precision::kBFloat16;
  auto fused = FusedUNet::Create(*net, options);
  ASSERT_TRUE(fused.ok()) << fused.status().ToString();
  EXPECT_EQ((*fused)->layout(), ExpectedLayout(c));
  auto y = (*fused)->Forward(x);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  ASSERT_EQ(y->sizes(), expected.sizes());
  EXPECT_LT(RelativeError(*y, expected), 0.08);
  EXPECT_GT(ArgmaxAgreement(*y, expected), 0.99);
}

// Pointwise upsampling (1x1x1 convolution + depth-to-space) against oneDNN's deconvolution, in
// both layouts and precisions; the spec's upsampling strides are (2, 2, 2) and (1, 2, 2).
TEST_P(FusedUNetTest, PointwiseUpsamplingEqualsDeconvolution) {
  const Case c = GetParam();
  auto net = RandomNet(SmallSpec(c.residual, c.wide), 9);
  at::Tensor x = RandomInput({c.batch, 3, 8, 16, 24}, 10);
  c10::InferenceMode guard;
  for (Precision precision : {Precision::kFloat32, Precision::kBFloat16}) {
    FusedUNetOptions options;
    options.layout = c.layout;
    options.precision = precision;
    options.profile = true;
    auto pointwise = std::move(FusedUNet::Create(*net, options).value());
    options.pointwise_upsampling = false;
    options.bf16_deconv = true;  // both paths in the same precision
    auto deconv = std::move(FusedUNet::Create(*net, options).value());
    at::Tensor a = pointwise->Forward(x).value();
    at::Tensor b = deconv->Forward(x).value();
    const bool f32 = precision == Precision::kFloat32;
    EXPECT_LT(RelativeError(a, b), f32 ? 1e-5 : 0.05) << (f32 ? "float32" : "bfloat16");
    EXPECT_EQ(pointwise->profile().count("shuffle"), 1u);
    EXPECT_EQ(deconv->profile().count("shuffle"), 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Networks, FusedUNetTest,
    ::testing::Values(Case{false, ActivationLayout::kBlocked16, 1, true},
                      Case{false, ActivationLayout::kBlocked16, 2, true},
                      Case{true, ActivationLayout::kBlocked16, 1, true},
                      Case{true, ActivationLayout::kBlocked16, 2, true},
                      Case{false, ActivationLayout::kBlocked16, 1, false},
                      Case{true, ActivationLayout::kBlocked16, 2, false},
                      Case{false, ActivationLayout::kChannelsLast, 2, false},
                      Case{true, ActivationLayout::kChannelsLast, 1, true}),
    [](const ::testing::TestParamInfo<Case>& info) {
      return std::string(info.param.residual ? "Residual" : "Plain") +
             (info.param.layout == ActivationLayout::kBlocked16 ? "Blocked" : "ChannelsLast") +
             (info.param.wide ? "Wide" : "Odd") + "Batch" + std::to_string(info.param.batch);
    });

TEST(FusedUNetShapeTest, SeveralTileShapesMatchEagerForward) {
  // Tile shapes are multiples of the total stride (2, 4, 4); none is a cube.
  const std::vector<std::vector<int64_t>> shapes = {
      {1, 3, 2, 4, 4}, {1, 3, 4, 8, 12}, {1, 3, 10, 12, 8}, {1, 3, 6, 20, 16}};
  for (int variant = 0; variant < 4; ++variant) {
    const bool residual = variant & 1, wide = variant & 2;
    auto net = RandomNet(SmallSpec(residual, wide), 11);
    c10::InferenceMode guard;
    auto fused = std::move(FusedUNet::Create(*net).value());
    for (size_t i = 0; i < shapes.size(); ++i) {
      at::Tensor x = RandomInput(shapes[i], 20 + i);
      auto y = fused->Forward(x);
      ASSERT_TRUE(y.ok()) << y.status().ToString();
      at::Tensor expected = net->Forward(x);
      ASSERT_EQ(y->sizes(), expected.sizes());
      EXPECT_LT(RelativeError(*y, expected), 1e-4)
          << (residual ? "residual " : "plain ") << (wide ? "wide " : "odd ") << x.sizes();
    }
  }
}

TEST(FusedUNetCacheTest, RepeatedCallsWithOtherShapesGiveTheSameResult) {
  auto net = RandomNet(SmallSpec(true, true), 5);
  at::Tensor a = RandomInput({1, 3, 6, 16, 12}, 1);
  at::Tensor b = RandomInput({2, 3, 4, 8, 20}, 2);
  c10::InferenceMode guard;
  auto fused = std::move(FusedUNet::Create(*net).value());
  at::Tensor first = fused->Forward(a).value();
  at::Tensor other = fused->Forward(b).value();
  at::Tensor again = fused->Forward(a).value();
  at::Tensor third = fused->Forward(a * 2).value();
  EXPECT_TRUE(at::equal(first, again));
  EXPECT_LT(RelativeError(other, net->Forward(b)), 1e-4);
  EXPECT_LT(RelativeError(third, net->Forward(a * 2)), 1e-4);
}

TEST(FusedUNetThreadsTest, OneAndTwoThreadsAgree) {
  auto net = RandomNet(SmallSpec(false, true), 6);
  at::Tensor x = RandomInput({1, 3, 8, 32, 32}, 3);
  c10::InferenceMode guard;
  auto fused = std::move(FusedUNet::Create(*net).value());
  const int before = at::get_num_threads();
  at::set_num_threads(1);
  at::Tensor one = fused->Forward(x).value();
  at::set_num_threads(2);
  at::Tensor two = fused->Forward(x).value();
  at::set_num_threads(before);
  EXPECT_LT(RelativeError(one, two), 1e-5);
}

TEST(FusedUNetInputTest, RejectsWrongChannelsTypeAndSize) {
  auto net = RandomNet(SmallSpec(false), 7);
  auto fused = std::move(FusedUNet::Create(*net).value());
  EXPECT_EQ(fused->Forward(at::zeros({1, 2, 6, 16, 12})).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(fused->Forward(at::zeros({1, 3, 6, 16, 12}, at::kDouble)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(fused->Forward(at::zeros({1, 3, 5, 16, 12})).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(fused->Forward(at::zeros({3, 6, 16, 12})).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(fused->Forward(at::zeros({1, 3, 0, 16, 12})).status().code(),
            StatusCode::kInvalidArgument);
  auto bad = fused->Forward(at::zeros({1, 3, 6, 15, 12}));
  EXPECT_NE(bad.status().message().find("multiple of the total stride"), std::string::npos)
      << bad.status().ToString();
}

TEST(FusedUNetImportTest, NnunetFixtureMatchesPytorchForward) {
  const std::string nnunet_dir = "testdata/seg/nnunet_plain";
  fs::path model_dir = fs::temp_directory_path() /
                       ("amdrn_fused_unet_" + std::to_string(::getpid()));
  fs::remove_all(model_dir);
  auto info = ImportNnunetModel(nnunet_dir, model_dir.string());
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  auto plans = ReadFileToString(model_dir.string() + "/plans.json");
  auto dataset = ReadFileToString(model_dir.string() + "/dataset.json");
  ASSERT_TRUE(plans.ok() && dataset.ok());
  auto desc = DescribeModel(*plans, *dataset, "3d_fullres");
  ASSERT_TRUE(desc.ok()) << desc.status().ToString();
  auto ckpt = LoadCheckpoint(FoldDir(model_dir.string(), 0) + "/checkpoint_final.pt");
  ASSERT_TRUE(ckpt.ok()) << ckpt.status().ToString();
  auto net = std::move(UNet::Create(desc->spec).value());
  ASSERT_TRUE(net->LoadStateDict(ckpt->weights).ok());
  fs::remove_all(model_dir);

  auto ref = nlohmann::json::parse(*ReadFileToString(nnunet_dir + "/reference.json"));
  at::Tensor x = ReadRawFloatTensor(nnunet_dir + "/reference_input.f32",
                                    ref["input_shape"].get<std::vector<int64_t>>());
  at::Tensor expected = ReadRawFloatTensor(nnunet_dir + "/reference_output.f32",
                                           ref["output_shape"].get<std::vector<int64_t>>());
  c10::InferenceMode guard;
  auto fused = std::move(FusedUNet::Create(*net).value());
  auto y = fused->Forward(x);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  ASSERT_EQ(y->sizes(), expected.sizes());
  double max_err = (*y - expected).abs().max().item<double>();
  EXPECT_LT(max_err, 1e-4 * std::max(1.0, expected.abs().max().item<double>()));
}

// The committed nnU-Net fixture imported into a temporary amdrn model folder.
class ImportedModel {
 public:
  ImportedModel() {
    dir_ = fs::temp_directory_path() / ("amdrn_fused_predictor_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    status_ = ImportNnunetModel("testdata/seg/nnunet_plain", dir_.string()).status();
  }
  ~ImportedModel() { fs::remove_all(dir_); }
  const Status& status() const { return status_; }
  std::string dir() const { return dir_.string(); }

 private:
  fs::path dir_;
  Status status_;
};

TEST(PredictorEngineTest, OneDnnAndLibTorchGiveTheSameLogitsAndLabels) {
  ImportedModel model;
  ASSERT_TRUE(model.status().ok()) << model.status().ToString();
  PredictOptions options;
  options.postprocess = false;
  options.engine = InferenceEngine::kLibTorch;
  auto eager = Predictor::Load(model.dir(), options);
  ASSERT_TRUE(eager.ok()) << eager.status().ToString();
  options.engine = InferenceEngine::kOneDnn;
  auto fused = Predictor::Load(model.dir(), options);
  ASSERT_TRUE(fused.ok()) << fused.status().ToString();

  // Preprocessed arrays larger than the 8x16x16 patch, so several overlapping tiles.
  at::Tensor pre = RandomInput({1, 13, 29, 21}, 31);
  int64_t tiles = 0;
  auto a = (*eager)->PredictLogits(pre, &tiles);
  auto b = (*fused)->PredictLogits(pre);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_GT(tiles, 4);
  EXPECT_LT(RelativeError(*b, *a), 1e-4);

  // A whole case: an image on the model's 0.4 x 0.4 x 0.6 mm grid (i, j, k).
  Geometry g;
  g.size = {30, 26, 14};
  g.spacing_mm = {0.4, 0.4, 0.6};
  ImageF image(g);
  for (int64_t k = 0; k < g.size[2]; ++k) {
    for (int64_t j = 0; j < g.size[1]; ++j) {
      for (int64_t i = 0; i < g.size[0]; ++i) {
        image.at(i, j, k) =
            static_cast<float>(400 * std::sin(0.4 * i) * std::cos(0.3 * j) + 30 * k);
      }
    }
  }
  auto la = (*eager)->Predict({image});
  auto lb = (*fused)->Predict({image});
  ASSERT_TRUE(la.ok() && lb.ok());
  ASSERT_EQ(la->NumVoxels(), lb->NumVoxels());
  int64_t differ = 0;
  for (int64_t v = 0; v < la->NumVoxels(); ++v) differ += la->data()[v] != lb->data()[v];
  // float32 rounding may flip a voxel whose two best logits tie to ~1e-6: allow 0.1 %.
  EXPECT_LE(differ, la->NumVoxels() / 1000) << differ << " voxels differ";
}

TEST(PredictorEngineTest, BFloat16LabelsAgreeWithFloat32) {
  ImportedModel model;
  ASSERT_TRUE(model.status().ok()) << model.status().ToString();
  PredictOptions options;
  auto fp32 = Predictor::Load(model.dir(), options);
  options.precision = Precision::kBFloat16;
  auto bf16 = Predictor::Load(model.dir(), options);
  ASSERT_TRUE(fp32.ok() && bf16.ok());
  at::Tensor pre = RandomInput({1, 8, 32, 16}, 32);
  auto a = (*fp32)->PredictLogits(pre);
  auto b = (*bf16)->PredictLogits(pre);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_LT(RelativeError(*b, *a), 0.08);
  EXPECT_GT(a->argmax(0).eq(b->argmax(0)).to(at::kDouble).mean().item<double>(), 0.98);
}

}  // namespace
}  // namespace amdrn::seg
