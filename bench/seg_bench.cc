// seg_bench: speed and memory of amdrn's segmentation engine against PyTorch eager from
// Python (bench/seg_peer.py, Debian python3-torch) measured in the same run.
//   infer:  one 160x160x128 volume, one fold, no TTA, nnU-Net-sized plain U-Net (6 stages,
//           32-320 features, 128^3 patch, 4 tiles at step 0.5, Gaussian weighting): median
//           seconds of amdrn's fused engine (oneDNN, fused_unet.h) fp32 / bf16, amdrn's
//           LibTorch engine fp32 (bf16 with --eager-bf16) and PyTorch eager fp32 / bf16
//           (autocast), same weights; speed-ups against the faster PyTorch run, label
//           agreement with PyTorch fp32, and where the fused engine's time goes. Every run
//           gets one untimed warm-up tile. --compare-upsampling adds fused runs with oneDNN's
//           deconvolution instead of the pointwise upsampling (the default).
//   train:  seconds per SGD iteration (deep supervision, batch 2, random in-memory batches, so
//           no data loading) against PyTorch, float32 and (unless --no-bf16) mixed bf16 on
//           both sides (amdrn `seg train --bf16`, PyTorch torch.autocast("cpu", bfloat16)).
//           --train-plans P benchmarks the 3d_fullres network, patch and batch of plans P.
//   memory: peak resident memory of Predictor::Predict on a 400^3 volume, with --model or a
//           random-weight nnU-Net-sized model folder built here. Run it alone (or first, as
//           --mode all does): the figure is the process's high-water mark.
// Usage: seg_bench [--mode infer|train|memory|all] [--threads 2] [--volume 160,160,128]
//                  [--patch 128,128,128] [--repeats 1] [--layout blocked|ndhwc] [--no-eager]
//                  [--eager-bf16] [--bf16-deconv] [--compare-upsampling] [--no-peer] [--no-bf16]
//                  [--train-patch 64,64,64] [--train-iters 3] [--train-plans P.json]
//                  [--model DIR] [--memory-size 400] [--memory-step 0.5]
//                  [--engine onednn|libtorch] [--memory-bf16]
// Run from the repository root (the peer is bench/seg_peer.py, run with /usr/bin/python3).
#include <sys/resource.h>
#include <unistd.h>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "core/file_util.h"
#include "core/threads.h"
#include "seg/checkpoint.h"
#include "seg/fused_unet.h"
#include "seg/import_nnunet.h"
#include "seg/network.h"
#include "seg/plans.h"
#include "seg/predictor.h"
#include "seg/sliding_window.h"
#include "seg/torch_threads.h"
#include "seg/trainer.h"

namespace amdrn::seg {
namespace {

namespace fs = std::filesystem;
using bench::Median;

struct Args {
  std::string mode = "all";
  int threads = 2;
  std::array<int64_t, 3> volume_ijk = {160, 160, 128};
  std::array<int64_t, 3> patch = {128, 128, 128};
  std::array<int64_t, 3> train_patch = {64, 64, 64};
  int train_iters = 3;
  std::string train_plans;
  std::string model_dir;
  int memory_size = 400;
  double memory_step = 0.5;
  int repeats = 1;
  std::string layout = "blocked";  // fused engine activations: blocked (nCdhw16c) or ndhwc
  std::string engine = "onednn";   // memory mode
  bool peer = true, bf16 = true, eager = true, eager_bf16 = false, bf16_deconv = false;
  bool memory_bf16 = false, compare_upsampling = false;
};

bool Triple(const std::string& text, std::array<int64_t, 3>* v) {
  char tail = 0;
  return std::sscanf(text.c_str(), "%ld,%ld,%ld%c", &(*v)[0], &(*v)[1], &(*v)[2], &tail) == 3 &&
         (*v)[0] > 0 && (*v)[1] > 0 && (*v)[2] > 0;
}

bool Number(const std::string& text, double* v) {
  char* end = nullptr;
  *v = std::strtod(text.c_str(), &end);
  return !text.empty() && *end == 0;
}

// Parses the options; on a bad one prints one sentence and returns false.
bool ParseArgs(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto fail = [&](const std::string& why) {
      std::fprintf(stderr,
                   "seg_bench: error: %s (see the usage at the top of bench/seg_bench.cc)\n",
                   why.c_str());
      return false;
    };
    const bool flag = k == "--no-eager" || k == "--eager-bf16" || k == "--bf16-deconv" ||
                      k == "--no-peer" || k == "--no-bf16" || k == "--memory-bf16" ||
                      k == "--compare-upsampling";
    if (flag) {
      if (k == "--no-eager") a->eager = false;
      if (k == "--eager-bf16") a->eager_bf16 = true;
      if (k == "--bf16-deconv") a->bf16_deconv = true;
      if (k == "--no-peer") a->peer = false;
      if (k == "--no-bf16") a->bf16 = false;
      if (k == "--memory-bf16") a->memory_bf16 = true;
      if (k == "--compare-upsampling") a->compare_upsampling = true;
      continue;
    }
    if (i + 1 >= argc) return fail("unknown option or missing value: " + k);
    const std::string v = argv[++i];
    double x = 0;
    bool ok = true;
    if (k == "--mode") {
      a->mode = v;
      ok = v == "infer" || v == "train" || v == "memory" || v == "all";
    } else if (k == "--threads") {
      ok = Number(v, &x) && x >= 1;
      a->threads = static_cast<int>(x);
    } else if (k == "--volume") {
      ok = Triple(v, &a->volume_ijk);
    } else if (k == "--patch") {
      ok = Triple(v, &a->patch);
    } else if (k == "--train-patch") {
      ok = Triple(v, &a->train_patch);
    } else if (k == "--train-iters") {
      ok = Number(v, &x) && x >= 1;
      a->train_iters = static_cast<int>(x);
    } else if (k == "--train-plans") {
      a->train_plans = v;
    } else if (k == "--model") {
      a->model_dir = v;
    } else if (k == "--memory-size") {
      ok = Number(v, &x) && x >= 1;
      a->memory_size = static_cast<int>(x);
    } else if (k == "--memory-step") {
      ok = Number(v, &a->memory_step) && a->memory_step > 0 && a->memory_step <= 1;
    } else if (k == "--repeats") {
      ok = Number(v, &x) && x >= 1;
      a->repeats = static_cast<int>(x);
    } else if (k == "--layout") {
      a->layout = v;
      ok = v == "blocked" || v == "ndhwc";
    } else if (k == "--engine") {
      a->engine = v;
      ok = v == "onednn" || v == "libtorch";
    } else {
      return fail("unknown option " + k);
    }
    if (!ok) return fail("bad value for " + k + ": " + v);
  }
  return true;
}

// "load 1.52 1.10 0.80" (1, 5 and 15 minutes), printed beside every figure.
std::string LoadAverage() {
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) != 3) return "load unknown";
  char text[64];
  std::snprintf(text, sizeof(text), "load %.2f %.2f %.2f", load[0], load[1], load[2]);
  return text;
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

// Fraction of voxels with the same label.
double Agreement(const at::Tensor& a, const at::Tensor& b) {
  if (!a.defined() || !b.defined() || a.sizes() != b.sizes()) return std::nan("");
  return a.eq(b).to(at::kDouble).mean().item<double>();
}

struct InferRun {
  std::string name;
  double seconds = std::nan("");
  at::Tensor labels;
  std::map<std::string, double> profile;  // fused runs: seconds per operation kind, 1 repeat
};

// Median seconds of `repeats` sliding-window predictions after one untimed warm-up tile
// (the first tile of a shape builds oneDNN primitives in every engine); labels of the last.
InferRun TimeSlidingWindow(const std::string& name, const at::Tensor& image, int classes,
                           const Args& a, const TilePredictor& predict,
                           FusedUNet* fused = nullptr) {
  InferRun run;
  run.name = name;
  using at::indexing::Slice;
  at::Tensor tile = image.index({Slice(), Slice(0, a.patch[0]), Slice(0, a.patch[1]),
                                 Slice(0, a.patch[2])}).unsqueeze(0).contiguous();
  auto t = std::chrono::steady_clock::now();
  (void)predict(tile);
  const double warm_up = Since(t);
  if (fused) fused->ResetProfile();
  std::vector<double> seconds;
  for (int r = 0; r < a.repeats; ++r) {
    t = std::chrono::steady_clock::now();
    at::Tensor logits = SlidingWindowPredict(image, classes, a.patch, predict, {}).value();
    seconds.push_back(Since(t));
    run.labels = logits.argmax(0);
  }
  run.seconds = Median(seconds);
  std::printf("  %-22s %7.2f s  (runs:", name.c_str(), run.seconds);
  for (double s : seconds) std::printf(" %.2f", s);
  std::printf("; warm-up tile %.2f s; %s)\n", warm_up, LoadAverage().c_str());
  std::fflush(stdout);
  return run;
}

InferRun TimeFused(const std::string& name, const UNet& net, Precision precision,
                   const at::Tensor& image, int classes, const Args& a,
                   bool pointwise_upsampling = true) {
  FusedUNetOptions options;
  options.pointwise_upsampling = pointwise_upsampling;
  options.precision = precision;
  options.layout = a.layout == "ndhwc" ? ActivationLayout::kChannelsLast
                                       : ActivationLayout::kBlocked16;
  options.profile = true;
  options.bf16_deconv = a.bf16_deconv;
  auto t = std::chrono::steady_clock::now();
  auto fused = std::move(FusedUNet::Create(net, options).value());
  std::printf("  %-22s created in %.2f s (weights copied; reordered on the first tile)\n",
              name.c_str(), Since(t));
  auto predict = [&](const at::Tensor& x) { return fused->Forward(x).value(); };
  InferRun run = TimeSlidingWindow(name, image, classes, a, predict, fused.get());
  run.profile = fused->profile();
  return run;
}

// Prints where the fused engine's time goes.
void PrintProfile(const InferRun& run, int repeats) {
  double total = 0;
  for (const auto& [kind, s] : run.profile) total += s;
  std::printf("    %s breakdown (per volume):", run.name.c_str());
  for (const auto& [kind, s] : run.profile) {
    std::printf(" %s %.2f s (%.0f%%)", kind.c_str(), s / repeats, 100 * s / total);
  }
  double convs = 0;
  for (const char* kind : {"conv", "deconv"}) {
    auto it = run.profile.find(kind);
    if (it != run.profile.end()) convs += it->second;
  }
  std::printf("\n    (de)convolutions are %.1f%% of the fused run\n", 100 * convs / total);
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
  std::printf("infer: volume %ldx%ldx%ld (i,j,k), patch %s, %ld parameters, %d threads, "
              "%d repeat(s), oneDNN ISA %s, fused layout %s, synthetic data, %s\n",
              a.volume_ijk[0], a.volume_ijk[1], a.volume_ijk[2], Dims(a.patch).c_str(),
              static_cast<long>(net->NumParameters()), a.threads, a.repeats,
              FusedUNet::CpuIsaName().c_str(), a.layout.c_str(), LoadAverage().c_str());
  c10::InferenceMode guard;
  std::vector<InferRun> runs;
  auto eager = [&](const at::Tensor& x) { return net->Forward(x); };
  if (a.eager) {
    runs.push_back(TimeSlidingWindow("amdrn libtorch fp32", image, classes, a, eager));
    if (a.eager_bf16) {
      net->SetPrecision(Precision::kBFloat16);
      runs.push_back(TimeSlidingWindow("amdrn libtorch bf16", image, classes, a, eager));
      net->SetPrecision(Precision::kFloat32);
    }
  }
  runs.push_back(TimeFused("amdrn fused fp32", *net, Precision::kFloat32, image, classes, a));
  PrintProfile(runs.back(), a.repeats);
  if (a.bf16) {
    runs.push_back(TimeFused("amdrn fused bf16", *net, Precision::kBFloat16, image, classes, a));
    PrintProfile(runs.back(), a.repeats);
  }
  if (a.compare_upsampling) {
    runs.push_back(TimeFused("amdrn fused fp32 deconv", *net, Precision::kFloat32, image, classes,
                             a, /*pointwise_upsampling=*/false));
    PrintProfile(runs.back(), a.repeats);
    if (a.bf16) {
      runs.push_back(TimeFused("amdrn fused bf16 deconv", *net, Precision::kBFloat16, image,
                               classes, a, /*pointwise_upsampling=*/false));
      PrintProfile(runs.back(), a.repeats);
    }
  }

  if (a.peer) {
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
        << c.size(2) << "," << c.size(3) << " --patch " << Dims(a.patch) << " --classes "
        << classes << " --threads " << a.threads << " --repeats " << a.repeats;
    for (bool bf16 : {false, true}) {
      if (bf16 && !a.bf16) continue;
      InferRun run;
      run.name = bf16 ? "pytorch eager bf16" : "pytorch eager fp32";
      fs::remove(tmp + "/labels.u8");
      std::string out = Run(cmd.str() + (bf16 ? " --bf16" : "") + " --labels-out " + tmp +
                            "/labels.u8");
      run.seconds = JsonNumber(out, "seconds");
      auto bytes = ReadFileToString(tmp + "/labels.u8");
      if (bytes.ok() && static_cast<int64_t>(bytes->size()) == runs[0].labels.numel()) {
        run.labels = torch::from_blob(bytes->data(), runs[0].labels.sizes(), torch::kUInt8)
                         .to(torch::kLong);
      }
      std::printf("  %-22s %7.2f s  (median of the peer's runs; warm-up tile %.2f s; %s)%s\n",
                  run.name.c_str(), run.seconds, JsonNumber(out, "warm_up_seconds"),
                  LoadAverage().c_str(),
                  bf16 ? "\n    (torch.autocast bf16: Conv3d in bf16, ConvTranspose3d in fp32)"
                       : "");
      std::fflush(stdout);
      runs.push_back(run);
    }
  }

  // The fp32 reference labels: PyTorch fp32 when it ran, else amdrn eager (or fused) fp32.
  const InferRun* ref = &runs[0];
  double best_peer = std::nan("");
  for (const auto& r : runs) {
    if (r.name == "pytorch eager fp32" && r.labels.defined()) ref = &r;
    if (r.name.rfind("pytorch", 0) == 0 && !std::isnan(r.seconds)) {
      best_peer = std::isnan(best_peer) ? r.seconds : std::min(best_peer, r.seconds);
    }
  }
  std::printf("  summary (speed-up = faster PyTorch run / this run; labels vs %s):\n",
              ref->name.c_str());
  for (const auto& r : runs) {
    std::printf("  %-22s %7.2f s  speed-up %5.2fx  label agreement %.5f  mean Dice %.4f\n",
                r.name.c_str(), r.seconds, best_peer / r.seconds, Agreement(r.labels, ref->labels),
                r.labels.defined() ? MeanDice(r.labels, ref->labels, classes) : std::nan(""));
  }
}

void BenchTraining(const Args& a, const std::string& tmp_dir) {
  int classes = 4, batch = 2, channels = 1;
  NetworkSpec spec = NnunetSizedSpec(classes);
  std::array<int64_t, 3> p = a.train_patch;
  std::string what = "nnU-Net-sized U-Net";
  if (!a.train_plans.empty()) {
    auto plans = ReadPlans(a.train_plans);
    auto config = plans.ok() ? plans->GetConfiguration("3d_fullres")
                             : StatusOr<Configuration>(plans.status());
    if (!config.ok() || !config->Is3d()) {
      std::printf("train: cannot use %s: %s\n", a.train_plans.c_str(),
                  config.ok() ? "expected a 3D 3d_fullres configuration"
                              : config.status().ToString().c_str());
      return;
    }
    spec = NetworkSpecFromPlans(config->architecture, channels, classes);
    batch = config->batch_size;
    for (int d = 0; d < 3; ++d) p[d] = config->patch_size[d];
    what = "the planned 3d_fullres U-Net";
  }
  const std::string tmp = tmp_dir + "/train_arch.json";
  (void)WriteFileAtomic(tmp, NetworkSpecToArchitecture(spec).dump());
  for (bool mixed : {false, true}) {
    if (mixed && !a.bf16) break;
    auto net = std::move(UNet::Create(spec, 0).value());
    net->SetMixedPrecisionTraining(mixed);
    TrainerOptions options;
    options.quiet = true;
    Trainer trainer(net.get(), options);
    auto make = [&] {
      return TrainBatch{torch::randn({batch, channels, p[0], p[1], p[2]}),
                        torch::randint(0, classes, {batch, p[0], p[1], p[2]}, torch::kLong)};
    };
    trainer.TrainStep(make());  // warm-up
    std::vector<double> times;
    for (int i = 0; i < a.train_iters; ++i) {
      TrainBatch b = make();
      auto t = std::chrono::steady_clock::now();
      trainer.TrainStep(b);
      times.push_back(Since(t));
    }
    const double amdrn_s = Median(times);
    const char* precision = mixed ? "mixed bf16" : "fp32";
    std::printf("train %s: batch %d, patch %s, %s (%lld parameters), %d threads, random "
                "in-memory batches (no data loading): amdrn %.2f s/iteration (%.3f it/s; "
                "median of %d; %s)\n", precision, batch, Dims(p).c_str(), what.c_str(),
                static_cast<long long>(net->NumParameters()), a.threads, amdrn_s, 1 / amdrn_s,
                a.train_iters, LoadAverage().c_str());
    if (!a.peer) continue;
    std::ostringstream cmd;
    cmd << "/usr/bin/python3 bench/seg_peer.py train --arch " << tmp << " --classes " << classes
        << " --channels " << channels << " --patch " << Dims(p) << " --batch " << batch
        << " --iters " << a.train_iters << " --threads " << a.threads << (mixed ? " --bf16" : "");
    double peer_s = JsonNumber(Run(cmd.str()), "seconds_per_iteration");
    std::printf("  pytorch %s %.2f s/iteration (%.3f it/s); amdrn speed-up %.2fx (%s)\n",
                precision, peer_s, 1 / peer_s, peer_s / amdrn_s, LoadAverage().c_str());
  }
}

// A model folder with the nnU-Net-sized network and random weights: the committed nnU-Net
// fixture imported, its 3d_fullres configuration given the big network, a 128^3 patch and
// 0.3 mm spacing.
std::string RandomModelFolder(const std::string& tmp) {
  std::string dir = tmp + "/model";
  auto info = ImportNnunetModel("testdata/seg/nnunet_plain", dir);
  if (!info.ok()) {
    std::printf("memory: %s\n", info.status().ToString().c_str());
    return "";
  }
  Json plans = Json::parse(ReadFileToString(dir + "/plans.json").value());
  Json& config = plans["configurations"]["3d_fullres"];
  const NetworkSpec spec = NnunetSizedSpec(4);
  config["architecture"] = Json::parse(NetworkSpecToArchitecture(spec).dump());
  config["patch_size"] = {128, 128, 128};
  config["spacing"] = {0.3, 0.3, 0.3};
  (void)WriteFileAtomic(dir + "/plans.json", plans.dump(2));
  Checkpoint ckpt;
  ckpt.weights = UNet::Create(spec, 0).value()->StateDict();
  (void)SaveCheckpoint(ckpt, FoldDir(dir, 0) + "/" + info->checkpoint_name);
  return dir;
}

void BenchMemory(const Args& a, const std::string& tmp) {
  std::string model_dir = a.model_dir.empty() ? RandomModelFolder(tmp) : a.model_dir;
  if (model_dir.empty()) return;
  PredictOptions options;
  options.step = a.memory_step;
  options.engine = a.engine == "libtorch" ? InferenceEngine::kLibTorch : InferenceEngine::kOneDnn;
  options.precision = a.memory_bf16 ? Precision::kBFloat16 : Precision::kFloat32;
  auto predictor = Predictor::Load(model_dir, options);
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
  std::printf("memory: %d^3 volume, %s engine, %s, step %.2f, %ld tiles, %d threads, %.1f s "
              "(network %.1f s): peak RSS %.2f GiB (%.2f GiB before the prediction, with the "
              "input image of %.2f GiB; %s), %s\n", a.memory_size, a.engine.c_str(),
              a.memory_bf16 ? "bf16" : "fp32", a.memory_step, static_cast<long>(timing.tiles),
              a.threads, Since(t), timing.network_s, after.ru_maxrss / 1048576.0,
              before.ru_maxrss / 1048576.0, g.NumVoxels() * 4 / 1073741824.0,
              labels.ok() ? "ok" : labels.status().ToString().c_str(), LoadAverage().c_str());
}

}  // namespace
}  // namespace amdrn::seg

int main(int argc, char** argv) {
  using namespace amdrn::seg;
  Args a;
  if (!ParseArgs(argc, argv, &a)) return 2;
  InstallTorchThreadHook();
  amdrn::SetThreadCount(a.threads);
  std::string tmp = (fs::temp_directory_path() / ("amdrn_seg_bench_" + std::to_string(getpid())))
                        .string();
  fs::create_directories(tmp);
  // Memory first: its figure is the process's high-water mark.
  if (a.mode == "memory" || a.mode == "all") BenchMemory(a, tmp);
  if (a.mode == "infer" || a.mode == "all") BenchInference(a, tmp);
  if (a.mode == "train" || a.mode == "all") BenchTraining(a, tmp);
  fs::remove_all(tmp);
  return 0;
}
