// seg_bench: speed and memory of amdrn's segmentation engine against PyTorch eager from
// Python (bench/seg_peer.py, Debian python3-torch) measured in the same run.
//   infer:  one 160x160x128 volume, one fold, no TTA, nnU-Net-sized plain U-Net (6 stages,
//           32-320 features, 128^3 patch): seconds fp32 / bf16, ratio to PyTorch, and the
//           agreement of the label maps (Dice between amdrn and PyTorch, bf16 and fp32).
//   train:  seconds per SGD iteration (deep supervision, batch 2) against PyTorch.
//   memory: peak resident memory of Predictor::Predict on a 400^3 volume with --model.
// Usage: seg_bench [--mode infer|train|memory|all] [--threads 2] [--volume 160,160,128]
//                  [--patch 128,128,128] [--train-patch 64,64,64] [--train-iters 3]
//                  [--model DIR] [--memory-size 400] [--no-peer] [--no-bf16]
#include <sys/resource.h>
#include <unistd.h>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "core/threads.h"
#include "seg/checkpoint.h"
#include "seg/network.h"
#include "seg/predictor.h"
#include "seg/sliding_window.h"
#include "seg/torch_threads.h"
#include "seg/trainer.h"

namespace amdrn::seg {
namespace {

namespace fs = std::filesystem;

struct Args {
  std::string mode = "all";
  int threads = 2;
  std::array<int64_t, 3> volume_ijk = {160, 160, 128};
  std::array<int64_t, 3> patch = {128, 128, 128};
  std::array<int64_t, 3> train_patch = {64, 64, 64};
  int train_iters = 3;
  std::string model_dir;
  int memory_size = 400;
  bool peer = true, bf16 = true;
};

std::array<int64_t, 3> Triple(const char* text) {
  std::array<int64_t, 3> v{};
  std::sscanf(text, "%ld,%ld,%ld", &v[0], &v[1], &v[2]);
  return v;
}

Args ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&] { return i + 1 < argc ? argv[++i] : ""; };
    if (k == "--mode") a.mode = next();
    else if (k == "--threads") a.threads = std::atoi(next());
    else if (k == "--volume") a.volume_ijk = Triple(next());
    else if (k == "--patch") a.patch = Triple(next());
    else if (k == "--train-patch") a.train_patch = Triple(next());
    else if (k == "--train-iters") a.train_iters = std::atoi(next());
    else if (k == "--model") a.model_dir = next();
    else if (k == "--memory-size") a.memory_size = std::atoi(next());
    else if (k == "--no-peer") a.peer = false;
    else if (k == "--no-bf16") a.bf16 = false;
  }
  return a;
}

// nnU-Net's default 3D plain U-Net for a 128^3 patch: 6 stages, 32-320 features.
NetworkSpec NnunetSizedSpec(int classes) {
  NetworkSpec s;
  s.num_classes = classes;
  s.features_per_stage = {32, 64, 128, 256, 320, 320};
  s.kernel_sizes.assign(6, {3, 3, 3});
  s.strides = {{1, 1, 1}, {2, 2, 2}, {2, 2, 2}, {2, 2, 2}, {2, 2, 2}, {2, 2, 2}};
  s.n_conv_per_stage.assign(6, 2);
  s.n_conv_per_stage_decoder.assign(5, 2);
  return s;
}

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string Run(const std::string& cmd) {
  std::string out;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return out;
  char buf[4096];
  while (fgets(buf, sizeof(buf), pipe)) out += buf;
  int rc = pclose(pipe);
  if (rc != 0) std::fprintf(stderr, "peer failed (%d): %s\n", rc, cmd.c_str());
  return out;
}

double JsonNumber(const std::string& text, const std::string& key) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  return j.is_object() && j.contains(key) ? j[key].get<double>() : std::nan("");
}

double MeanDice(const at::Tensor& a, const at::Tensor& b, int classes) {
  double sum = 0;
  int n = 0;
  for (int c = 1; c < classes; ++c) {
    double inter = (a.eq(c) & b.eq(c)).sum().item<double>();
    double total = a.eq(c).sum().item<double>() + b.eq(c).sum().item<double>();
    if (total > 0) sum += 2 * inter / total, ++n;
  }
  return n ? sum / n : std::nan("");
}

std::string Dims(const std::array<int64_t, 3>& v) {
  return std::to_string(v[0]) + "," + std::to_string(v[1]) + "," + std::to_string(v[2]);
}

void BenchInference(const Args& a, const std::string& tmp) {
  const int classes = 4;
  auto net = std::move(UNet::Create(NnunetSizedSpec(classes), 0).value());
  for (auto& p : net->parameters()) p.set_requires_grad(false);
  // A smooth random image (z, y, x) = (k, j, i).
  auto gen = at::detail::createCPUGenerator(1);
  at::Tensor image = at::normal(0.0, 1.0, {1, 1, a.volume_ijk[2] / 8, a.volume_ijk[1] / 8,
                                           a.volume_ijk[0] / 8}, gen);
  image = at::upsample_trilinear3d(image, {a.volume_ijk[2], a.volume_ijk[1], a.volume_ijk[0]},
                                   false)[0].contiguous();
  std::printf("infer: volume %ldx%ldx%ld (i,j,k), patch %s, %ld parameters, %d threads\n",
              a.volume_ijk[0], a.volume_ijk[1], a.volume_ijk[2], Dims(a.patch).c_str(),
              static_cast<long>(net->NumParameters()), a.threads);
  c10::InferenceMode guard;
  SlidingWindowOptions sw;
  auto predict = [&](const at::Tensor& x) { return net->Forward(x); };
  auto t = std::chrono::steady_clock::now();
  at::Tensor fp32 = SlidingWindowPredict(image, classes, a.patch, predict, sw).value().argmax(0);
  double fp32_s = Since(t);
  double bf16_s = std::nan(""), bf16_dice = std::nan("");
  if (a.bf16) {
    net->SetPrecision(Precision::kBFloat16);
    t = std::chrono::steady_clock::now();
    at::Tensor bf16 = SlidingWindowPredict(image, classes, a.patch, predict, sw).value().argmax(0);
    bf16_s = Since(t);
    bf16_dice = MeanDice(fp32, bf16, classes);
    net->SetPrecision(Precision::kFloat32);
  }
  std::printf("  amdrn   fp32 %.1f s   bf16 %.1f s   (bf16/fp32 label Dice %.4f)\n", fp32_s, bf16_s,
              bf16_dice);
  if (!a.peer) return;

  Checkpoint ckpt;
  ckpt.weights = net->StateDict();
  (void)SaveCheckpoint(ckpt, tmp + "/weights.pt");
  (void)WriteFileAtomic(tmp + "/arch.json", NetworkSpecToArchitecture(net->spec()).dump());
  at::Tensor c = image.contiguous();
  (void)WriteFileAtomic(tmp + "/volume.f32",
                        std::string(static_cast<const char*>(c.data_ptr()), c.numel() * 4));
  std::ostringstream cmd;
  cmd << "/usr/bin/python3 bench/seg_peer.py infer --arch " << tmp << "/arch.json --weights "
      << tmp << "/weights.pt --volume " << tmp << "/volume.f32 --shape 1," << c.size(1) << ","
      << c.size(2) << "," << c.size(3) << " --patch " << Dims(a.patch) << " --classes " << classes
      << " --threads " << a.threads;
  double peer_fp32 = JsonNumber(Run(cmd.str() + " --labels-out " + tmp + "/labels.u8"), "seconds");
  double peer_bf16 = a.bf16 ? JsonNumber(Run(cmd.str() + " --bf16"), "seconds") : std::nan("");
  auto bytes = ReadFileToString(tmp + "/labels.u8");
  double agree = std::nan("");
  if (bytes.ok() && static_cast<int64_t>(bytes->size()) == fp32.numel()) {
    at::Tensor peer = torch::from_blob(bytes->data(), fp32.sizes(), torch::kUInt8).to(torch::kLong);
    agree = MeanDice(fp32, peer, classes);
  }
  double best_peer = std::isnan(peer_bf16) ? peer_fp32 : std::min(peer_fp32, peer_bf16);
  double best_amdrn = std::isnan(bf16_s) ? fp32_s : std::min(fp32_s, bf16_s);
  std::printf("  pytorch fp32 %.1f s   bf16 %.1f s   (amdrn/pytorch fp32 label Dice %.4f)\n",
              peer_fp32, peer_bf16, agree);
  std::printf("  speed-up: fp32 %.2fx, bf16 %.2fx, best amdrn vs best pytorch %.2fx\n",
              peer_fp32 / fp32_s, peer_bf16 / bf16_s, best_peer / best_amdrn);
}

void BenchTraining(const Args& a) {
  const int classes = 4, batch = 2;
  auto net = std::move(UNet::Create(NnunetSizedSpec(classes), 0).value());
  TrainerOptions options;
  options.quiet = true;
  Trainer trainer(net.get(), options);
  const auto& p = a.train_patch;
  auto make = [&] {
    return TrainBatch{torch::randn({batch, 1, p[0], p[1], p[2]}),
                      torch::randint(0, classes, {batch, p[0], p[1], p[2]}, torch::kLong)};
  };
  trainer.TrainStep(make());  // warm-up
  auto t = std::chrono::steady_clock::now();
  for (int i = 0; i < a.train_iters; ++i) trainer.TrainStep(make());
  double amdrn_s = Since(t) / a.train_iters;
  std::printf("train: batch %d, patch %s, nnU-Net-sized U-Net: amdrn %.2f s/iteration "
              "(%.3f it/s)\n", batch, Dims(p).c_str(), amdrn_s, 1 / amdrn_s);
  if (!a.peer) return;
  std::string tmp = fs::temp_directory_path() / "amdrn_seg_bench_arch.json";
  (void)WriteFileAtomic(tmp, NetworkSpecToArchitecture(net->spec()).dump());
  std::ostringstream cmd;
  cmd << "/usr/bin/python3 bench/seg_peer.py train --arch " << tmp << " --classes " << classes
      << " --patch " << Dims(p) << " --batch " << batch << " --iters " << a.train_iters
      << " --threads " << a.threads;
  double peer_s = JsonNumber(Run(cmd.str()), "seconds_per_iteration");
  std::printf("  pytorch %.2f s/iteration (%.3f it/s); amdrn speed-up %.2fx\n", peer_s, 1 / peer_s,
              peer_s / amdrn_s);
}

void BenchMemory(const Args& a) {
  if (a.model_dir.empty()) {
    std::printf("memory: skipped (give --model DIR)\n");
    return;
  }
  PredictOptions options;
  auto predictor = Predictor::Load(a.model_dir, options);
  if (!predictor.ok()) {
    std::printf("memory: %s\n", predictor.status().ToString().c_str());
    return;
  }
  Geometry g;
  g.size = {a.memory_size, a.memory_size, a.memory_size};
  const auto& spacing = (*predictor)->description().config.spacing;
  g.spacing_mm = {spacing[2], spacing[1], spacing[0]};  // the model's own resolution
  ImageF image(g);
  for (int64_t k = 0; k < g.size[2]; ++k) {
    for (int64_t j = 0; j < g.size[1]; ++j) {
      for (int64_t i = 0; i < g.size[0]; ++i) {
        image.at(i, j, k) = static_cast<float>(1000 * std::sin(i * 0.05) * std::cos(j * 0.04) + k);
      }
    }
  }
  struct rusage before;
  getrusage(RUSAGE_SELF, &before);
  auto t = std::chrono::steady_clock::now();
  CaseTiming timing;
  auto labels = (*predictor)->Predict({image}, &timing);
  struct rusage after;
  getrusage(RUSAGE_SELF, &after);
  std::printf("memory: %d^3 volume, %ld tiles, %.1f s: peak RSS %.2f GiB (input alone %.2f GiB, "
              "%s)\n", a.memory_size, static_cast<long>(timing.tiles), Since(t),
              after.ru_maxrss / 1048576.0, g.NumVoxels() * 4 / 1073741824.0,
              labels.ok() ? "ok" : labels.status().ToString().c_str());
}

}  // namespace
}  // namespace amdrn::seg

int main(int argc, char** argv) {
  using namespace amdrn::seg;
  Args a = ParseArgs(argc, argv);
  InstallTorchThreadHook();
  amdrn::SetThreadCount(a.threads);
  std::string tmp = (fs::temp_directory_path() / ("amdrn_seg_bench_" + std::to_string(getpid())))
                        .string();
  fs::create_directories(tmp);
  if (a.mode == "infer" || a.mode == "all") BenchInference(a, tmp);
  if (a.mode == "train" || a.mode == "all") BenchTraining(a);
  if (a.mode == "memory" || a.mode == "all") BenchMemory(a);
  fs::remove_all(tmp);
  return 0;
}
