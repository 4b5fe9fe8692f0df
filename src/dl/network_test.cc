#include "dl/network.h"

#include <gtest/gtest.h>

#include "dl/batch.h"
#include "dl/grad_cam.h"

namespace amdrn::dl {
namespace {

// Hand count of trainable parameters, written independently of network.cc from the design:
// convs have no bias, BN has weight + bias, Linear layers have bias.
int64_t HandCount(const NetConfig& c) {
  auto attention = [&](int64_t ch) -> int64_t {
    int64_t h = std::max<int64_t>(ch / c.reduction, std::min<int64_t>(ch, 4));
    int64_t mlp = ch * h + h + h * ch + ch;
    if (c.attention == Attention::kCbam) return mlp + 2 * 343 + 2;
    if (c.attention == Attention::kSe) return mlp;
    return 0;
  };
  auto block = [&](int64_t in, int64_t out, int stride) -> int64_t {
    int64_t n = 27 * in * out + 2 * out + 27 * out * out + 2 * out + attention(out);
    if (stride != 1 || in != out) n += in * out + 2 * out;
    return n;
  };
  const int64_t w = c.base_width, k = c.stem_kernel;
  int64_t n = c.in_channels * w * k * k * k + 2 * w;
  const int blocks = c.depth == 18 ? 2 : 1;
  int64_t in = w;
  for (int s = 0; s < 4; ++s) {
    int64_t out = w << s;
    for (int b = 0; b < blocks; ++b) n += block(b == 0 ? in : out, out, (b == 0 && s > 0) ? 2 : 1);
    in = out;
  }
  return n + 8 * w + 1;
}

TEST(AttentionResNet3d, DefaultParameterCountMatchesHandCount) {
  NetConfig config;  // ResNet-10, width 16, CBAM r 8, 4 input channels, 7^3 stem
  AttentionResNet3d net(config);
  // 21984 stem + 14724 + 43156 + 170104 + 677440 stages + 129 fc, added up by hand.
  EXPECT_EQ(CountParameters(*net), 927537);
  EXPECT_EQ(HandCount(config), 927537);
}

TEST(AttentionResNet3d, ParameterCountsForEveryVariant) {
  for (int depth : {10, 18}) {
    for (Attention attention : {Attention::kCbam, Attention::kSe, Attention::kNone}) {
      NetConfig config;
      config.depth = depth;
      config.attention = attention;
      config.base_width = 8;
      config.stem_kernel = 3;
      AttentionResNet3d net(config);
      EXPECT_EQ(CountParameters(*net), HandCount(config))
          << "depth " << depth << " attention " << AttentionName(attention);
    }
  }
}

TEST(AttentionResNet3d, OutputShapesForA56CubedRoi) {
  NetConfig config;
  config.base_width = 4;
  AttentionResNet3d net(config);
  net->eval();
  torch::NoGradGuard no_grad;
  auto out = net->Run(torch::randn({2, 4, 56, 56, 56}));
  EXPECT_EQ(out.logit.sizes(), (std::vector<int64_t>{2}));
  // 56 -> stem stride 2 -> 28 -> 14 -> 7 -> 4 at stage 4 with 8w channels.
  EXPECT_EQ(out.features.sizes(), (std::vector<int64_t>{2, 32, 4, 4, 4}));
  config.cam_stage = 3;
  config.stem_max_pool = true;
  AttentionResNet3d pooled(config);
  pooled->eval();
  EXPECT_EQ(pooled->Run(torch::randn({1, 4, 56, 56, 56})).features.sizes(),
            (std::vector<int64_t>{1, 16, 4, 4, 4}));
}

TEST(AttentionResNet3d, SameSeedSameWeights) {
  NetConfig config;
  config.base_width = 4;
  torch::manual_seed(7);
  AttentionResNet3d a(config);
  torch::manual_seed(7);
  AttentionResNet3d b(config);
  auto sa = CopyState(*a), sb = CopyState(*b);
  ASSERT_EQ(sa.size(), sb.size());
  for (size_t i = 0; i < sa.size(); ++i) EXPECT_TRUE(torch::equal(sa[i].second, sb[i].second));
}

TEST(GradCam3d, HasTheInputSizeAndIsNonNegative) {
  NetConfig config;
  config.base_width = 4;
  config.stem_stride = 1;
  AttentionResNet3d net(config);
  torch::Tensor cam = GradCam3d(net, torch::randn({1, 4, 16, 16, 16}));
  EXPECT_EQ(cam.sizes(), (std::vector<int64_t>{1, 16, 16, 16}));
  EXPECT_GE(cam.min().item<float>(), 0.0f);
  for (const auto& p : net->parameters()) {
    if (p.grad().defined()) {
      EXPECT_EQ(p.grad().abs().sum().item<float>(), 0.0f);
    }
  }
  torch::Tensor normalised = MinMaxNormalise(cam[0]);
  EXPECT_FLOAT_EQ(normalised.max().item<float>(), cam.max().item<float>() > 0 ? 1.0f : 0.0f);
}

TEST(Augment, KeepsShapeAndMasksInRange) {
  std::mt19937_64 rng(3);
  torch::Tensor batch = torch::zeros({2, 4, 16, 16, 16});
  batch.narrow(1, 3, 1).fill_(1.0);
  AugmentOptions options;
  options.flip_lr = true;
  torch::Tensor out = Augment(batch, options, 1.0, rng);
  EXPECT_EQ(out.sizes(), batch.sizes());
  EXPECT_LE(out.narrow(1, 1, 3).max().item<float>(), 1.0f + 1e-5f);
  EXPECT_GE(out.narrow(1, 1, 3).min().item<float>(), -1e-5f);
  // The centre of a constant mask survives small rotations, scales and shifts.
  EXPECT_NEAR(out[0][3][8][8][8].item<float>(), 1.0f, 1e-5f);
}

}  // namespace
}  // namespace amdrn::dl
