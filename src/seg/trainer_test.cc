#include "seg/trainer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <filesystem>

#include "core/file_util.h"

namespace amdrn::seg {
namespace {

namespace fs = std::filesystem;

NetworkSpec SmallSpec() {
  NetworkSpec spec;
  spec.input_channels = 1;
  spec.num_classes = 3;
  spec.features_per_stage = {4, 8, 16};
  spec.kernel_sizes = {{3, 3, 3}, {3, 3, 3}, {3, 3, 3}};
  spec.strides = {{1, 1, 1}, {2, 2, 2}, {2, 2, 2}};
  spec.n_conv_per_stage = {1, 1, 1};
  spec.n_conv_per_stage_decoder = {1, 1};
  return spec;
}

// One 8x16x16 case: a ball (label 1) and a slab (label 2) on a noisy background.
TrainBatch MakeCase(uint64_t noise_seed) {
  at::Tensor z = torch::arange(8).view({-1, 1, 1}).expand({8, 16, 16});
  at::Tensor y = torch::arange(16).view({1, -1, 1}).expand({8, 16, 16});
  at::Tensor x = torch::arange(16).view({1, 1, -1}).expand({8, 16, 16});
  at::Tensor ball = ((z - 4).pow(2) + (y - 6).pow(2) + (x - 7).pow(2)) < 10;
  at::Tensor slab = (y >= 11) & (y < 14);
  at::Tensor seg = torch::zeros({8, 16, 16}, torch::kLong);
  seg.masked_fill_(ball, 1);
  seg.masked_fill_(slab, 2);
  auto gen = at::detail::createCPUGenerator(noise_seed);
  at::Tensor noise = at::normal(0.0, 0.3, {8, 16, 16}, gen);
  at::Tensor image = seg.to(torch::kFloat) + noise;
  return {image.view({1, 1, 8, 16, 16}), seg.view({1, 8, 16, 16})};
}

class CaseSource : public BatchSource {
 public:
  TrainBatch Train(int64_t index) override { return MakeCase(1000 + index); }
  TrainBatch Validation(int64_t index) override { return MakeCase(5000 + index); }
};

double MeanForegroundDice(const at::Tensor& pred, const at::Tensor& seg) {
  double sum = 0;
  for (int c = 1; c <= 2; ++c) {
    double tp = (pred.eq(c) & seg.eq(c)).sum().item<double>();
    double denom = pred.eq(c).sum().item<double>() + seg.eq(c).sum().item<double>();
    sum += 2 * tp / denom;
  }
  return sum / 2;
}

TEST(TrainerTest, DeepSupervisionWeightsFollowNnunet) {
  auto w = DeepSupervisionWeights(5);
  EXPECT_NEAR(w[0], 0.5333, 1e-4);
  EXPECT_NEAR(w[1], 0.2667, 1e-4);
  EXPECT_NEAR(w[3], 0.0667, 1e-4);
  EXPECT_EQ(w[4], 0.0);
  EXPECT_EQ(DeepSupervisionWeights(1), std::vector<double>{1.0});
}

TEST(TrainerTest, DiceCeLossOfPerfectPredictionIsMinusOne) {
  at::Tensor seg = torch::randint(0, 3, {2, 4, 4, 4}, torch::kLong);
  at::Tensor logits = at::one_hot(seg, 3).permute({0, 4, 1, 2, 3}).to(torch::kFloat) * 50;
  double loss = DiceCeLoss(logits, seg, false).item<double>();
  EXPECT_NEAR(loss, -1.0, 1e-4);  // CE ~ 0, soft Dice ~ 1
  EXPECT_NEAR(DiceCeLoss(logits, seg, true).item<double>(), -1.0, 1e-4);
}

// Trains a fresh tiny net on one case for 400 iterations and returns its foreground Dice on
// that case (predicted in float32); every weight must still be float32.
double OverfitDice(bool mixed_precision) {
  at::set_num_threads(1);
  auto net = UNet::Create(SmallSpec(), 3);
  EXPECT_TRUE(net.ok());
  if (!net.ok()) return 0;
  (*net)->SetMixedPrecisionTraining(mixed_precision);
  TrainerOptions options;
  options.quiet = true;
  Trainer trainer(net->get(), options);
  trainer.SetLearningRate(1e-2);
  TrainBatch batch = MakeCase(1);
  for (int it = 0; it < 400; ++it) trainer.TrainStep(batch);
  for (const auto& [name, p] : (*net)->named_parameters()) {
    EXPECT_EQ(p.scalar_type(), at::kFloat) << name;  // master weights stay float32
  }
  torch::NoGradGuard no_grad;
  (*net)->SetMixedPrecisionTraining(false);
  at::Tensor pred = (*net)->Forward(batch.data).argmax(1);
  return MeanForegroundDice(pred, batch.seg);
}

TEST(TrainerTest, TinyNetOverfitsOneCase) { EXPECT_GT(OverfitDice(false), 0.9); }

TEST(TrainerTest, TinyNetOverfitsOneCaseInMixedPrecision) { EXPECT_GT(OverfitDice(true), 0.9); }

// Mixed precision reaches every float32 weight through the casts, with gradients close to the
// float32 ones (bf16 keeps 8 significant bits).
TEST(TrainerTest, MixedPrecisionGradientsFollowFloat32) {
  at::set_num_threads(1);
  auto net = UNet::Create(SmallSpec(), 5);
  ASSERT_TRUE(net.ok());
  TrainBatch batch = MakeCase(2);
  // All gradients as one flat vector (deep-supervision heads get none here: zeros).
  auto gradients = [&](bool mixed) {
    (*net)->SetMixedPrecisionTraining(mixed);
    for (auto& p : (*net)->parameters()) p.mutable_grad() = at::Tensor();
    at::Tensor loss = DiceCeLoss((*net)->Forward(batch.data), batch.seg, false);
    loss.backward();
    std::vector<at::Tensor> g;
    for (auto& p : (*net)->parameters()) {
      g.push_back(p.grad().defined() ? p.grad().flatten() : torch::zeros({p.numel()}));
    }
    return torch::cat(g);
  };
  at::Tensor all_ref = gradients(false), all_low = gradients(true);
  ASSERT_EQ(all_ref.numel(), all_low.numel());
  EXPECT_EQ(all_low.scalar_type(), at::kFloat);
  const double cosine =
      (all_ref * all_low).sum().item<double>() / (all_ref.norm() * all_low.norm()).item<double>();
  EXPECT_GT(cosine, 0.99);
  const double rel = (all_low - all_ref).norm().item<double>() / all_ref.norm().item<double>();
  EXPECT_LT(rel, 0.1);
  EXPECT_GT(rel, 0.0);  // the bf16 path really ran
}

TEST(TrainerTest, ResumeReproducesTheInterruptedRun) {
  at::set_num_threads(1);
  fs::path root = fs::temp_directory_path() / ("amdrn_trainer_" + std::to_string(::getpid()));
  fs::remove_all(root);
  TrainerOptions options;
  options.num_epochs = 4;
  options.iterations_per_epoch = 3;
  options.val_iterations = 2;
  options.quiet = true;
  CaseSource source;

  // Uninterrupted reference run.
  auto net_a = UNet::Create(SmallSpec(), 5);
  ASSERT_TRUE(net_a.ok());
  Trainer a(net_a->get(), options);
  ASSERT_TRUE(a.Run(&source, (root / "a").string(), false).ok());
  EXPECT_TRUE(PathExists((root / "a/checkpoint_final.pt").string()));
  EXPECT_FALSE(PathExists((root / "a/checkpoint_latest.pt").string()));

  // Interrupted after 2 epochs ("killed"), then resumed by a fresh process-like trainer
  // whose network starts from different weights.
  auto net_b = UNet::Create(SmallSpec(), 5);
  TrainerOptions stop = options;
  stop.stop_after_epochs = 2;
  Trainer b(net_b->get(), stop);
  ASSERT_TRUE(b.Run(&source, (root / "b").string(), false).ok());
  ASSERT_TRUE(PathExists((root / "b/checkpoint_latest.pt").string()));
  EXPECT_FALSE(PathExists((root / "b/checkpoint_final.pt").string()));
  auto latest = LoadCheckpoint((root / "b/checkpoint_latest.pt").string());
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->meta["epoch"], 2);
  // Every parameter has a momentum buffer except the lowest-resolution head, whose
  // deep-supervision weight is 0 (no gradient, as in nnU-Net).
  EXPECT_EQ(latest->momentum.size(), (*net_b)->named_parameters().size() - 2);
  EXPECT_FALSE(latest->momentum.count("decoder.seg_layers.0.weight"));

  auto net_c = UNet::Create(SmallSpec(), 99);
  Trainer c(net_c->get(), options);
  ASSERT_TRUE(c.Run(&source, (root / "b").string(), true).ok());
  EXPECT_EQ(c.epoch(), 4);
  ASSERT_EQ(c.logs().size(), a.logs().size());
  for (size_t e = 0; e < a.logs().size(); ++e) {
    EXPECT_NEAR(c.logs()[e].train_loss, a.logs()[e].train_loss, 1e-6) << "epoch " << e;
    EXPECT_NEAR(c.logs()[e].ema_fg_dice, a.logs()[e].ema_fg_dice, 1e-6) << "epoch " << e;
  }
  auto wa = (*net_a)->StateDict();
  auto wc = (*net_c)->StateDict();
  for (const auto& [name, tensor] : wa) {
    EXPECT_TRUE(torch::allclose(tensor, wc.at(name), 1e-5, 1e-6)) << name;
  }
  EXPECT_DOUBLE_EQ(c.best_ema(), a.best_ema());
  fs::remove_all(root);
}

TEST(TrainerTest, ResumeFromUnreadableCheckpointFails) {
  fs::path dir = fs::temp_directory_path() / ("amdrn_trainer_bad_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  ASSERT_TRUE(WriteFileAtomic((dir / "checkpoint_latest.pt").string(), "garbage").ok());
  auto net = UNet::Create(SmallSpec(), 1);
  TrainerOptions options;
  options.quiet = true;
  Trainer trainer(net->get(), options);
  CaseSource source;
  Status status = trainer.Run(&source, dir.string(), true);
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("checkpoint_latest.pt"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace amdrn::seg
