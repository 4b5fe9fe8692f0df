#include "seg/sliding_window.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace amdrn::seg {
namespace {

TEST(SlidingWindowTest, StepsMatchNnunet) {
  EXPECT_EQ(SlidingWindowSteps(128, 128, 0.5), (std::vector<int64_t>{0}));
  EXPECT_EQ(SlidingWindowSteps(160, 128, 0.5), (std::vector<int64_t>{0, 32}));
  EXPECT_EQ(SlidingWindowSteps(400, 128, 0.5), (std::vector<int64_t>{0, 54, 109, 163, 218, 272}));
  // 5 steps over 10 voxels: 2.5 and 7.5 round half to even like numpy.
  EXPECT_EQ(SlidingWindowSteps(16, 6, 0.5), (std::vector<int64_t>{0, 2, 5, 8, 10}));
}

TEST(SlidingWindowTest, GaussianPeaksAtCentreWithMaxTen) {
  at::Tensor g = GaussianImportanceMap({8, 16, 12});
  EXPECT_FLOAT_EQ(g.max().item<float>(), 10.0f);
  EXPECT_FLOAT_EQ(g[4][8][6].item<float>(), 10.0f);
  EXPECT_GT(g.min().item<float>(), 0.0f);
  EXPECT_LT(g[0][0][0].item<float>(), g[1][1][1].item<float>());
}

TEST(SlidingWindowTest, CoversEveryVoxelAndNormalisesWeights) {
  // A "network" returning constant logits per class: the weighted average must return
  // exactly those constants everywhere, which needs every voxel covered and the weights
  // divided out correctly (including the padded, smaller-than-patch axis).
  at::Tensor image = torch::rand({1, 5, 23, 37});
  int64_t calls = 0;
  auto predict = [&calls](const at::Tensor& tile) {
    ++calls;
    at::Tensor out = torch::empty({1, 2, tile.size(2), tile.size(3), tile.size(4)});
    out[0][0].fill_(1.5);
    out[0][1].fill_(-2.0);
    return out;
  };
  SlidingWindowOptions options;
  auto logits = SlidingWindowPredict(image, 2, {8, 16, 16}, predict, options);
  ASSERT_TRUE(logits.ok()) << logits.status().ToString();
  EXPECT_EQ(logits->sizes(), (std::vector<int64_t>{2, 5, 23, 37}));
  EXPECT_NEAR((*logits)[0].min().item<float>(), 1.5, 1e-5);
  EXPECT_NEAR((*logits)[0].max().item<float>(), 1.5, 1e-5);
  EXPECT_NEAR((*logits)[1].max().item<float>(), -2.0, 1e-5);
  EXPECT_EQ(calls, 1 * 2 * 4);  // steps: z {0}, y {0, 7}, x {0, 7, 14, 21}
}

TEST(SlidingWindowTest, IdentityNetworkReproducesTheImage) {
  at::Tensor image = torch::rand({2, 9, 20, 20});
  auto predict = [](const at::Tensor& tile) { return tile.clone(); };
  SlidingWindowOptions options;
  options.mirror_axes = {0, 1, 2};
  auto logits = SlidingWindowPredict(image, 2, {8, 8, 8}, predict, options);
  ASSERT_TRUE(logits.ok());
  EXPECT_TRUE(torch::allclose(*logits, image, 1e-5, 1e-5));
}

TEST(SlidingWindowTest, RejectsBadOptionsAndOutputs) {
  at::Tensor image = torch::rand({1, 8, 8, 8});
  auto predict = [](const at::Tensor& tile) { return tile; };
  SlidingWindowOptions options;
  options.step = 0;
  EXPECT_FALSE(SlidingWindowPredict(image, 1, {8, 8, 8}, predict, options).ok());
  options.step = 0.5;
  options.mirror_axes = {3};
  EXPECT_FALSE(SlidingWindowPredict(image, 1, {8, 8, 8}, predict, options).ok());
  options.mirror_axes = {};
  EXPECT_FALSE(SlidingWindowPredict(image, 3, {8, 8, 8}, predict, options).ok());
}

}  // namespace
}  // namespace amdrn::seg
