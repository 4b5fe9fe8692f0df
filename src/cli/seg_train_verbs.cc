// amdrn seg train | predict | import-nnunet: the verbs that run the network (LibTorch).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/seg_verbs.h"
#include "core/file_util.h"
#include "core/logging.h"
#include "core/threads.h"
#include "io/segmentation.h"
#include "io/volume_io.h"
#include "seg/dataset.h"
#include "seg/import_nnunet.h"
#include "seg/predictor.h"
#include "seg/torch_threads.h"
#include "seg/trainer_pipeline.h"

namespace amdrn::cli {
namespace {

namespace fs = std::filesystem;

StatusOr<std::vector<int>> ParseFolds(const std::string& text) {
  if (text == "all") return std::vector<int>{-1};
  std::vector<int> folds;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    try {
      size_t used = 0;
      int fold = std::stoi(item, &used);
      if (used != item.size() || fold < 0) throw std::invalid_argument(item);
      folds.push_back(fold);
    } catch (const std::exception&) {
      return InvalidArgumentError("--fold should be 'all' or comma-separated fold numbers, found '" +
                                  text + "'");
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return folds;
}

void SetThreads(int threads) {
  seg::InstallTorchThreadHook();
  ApplyThreadCount(threads);
}

}  // namespace

int RunSegTrain(int argc, char** argv) {
  seg::TrainRunOptions o;
  std::string folds = "0";
  int threads = 0;
  CLI::App app("Train a U-Net fold from `amdrn seg preprocess` output, as nnU-Net v2's "
               "nnUNetTrainer (Dice + CE with deep supervision, SGD Nesterov, poly lr). "
               "Budget defaults come from the plans (amdrn_training_budget).",
               argv[0]);
  app.add_option("--preprocessed", o.preprocessed_dir,
                 "Folder written by `amdrn seg preprocess`")->required();
  app.add_option("--out", o.model_dir, "Model folder to write (fold_<k>/ inside)")->required();
  app.add_option("--plans", o.plans_path, "plans.json (default: PREPROCESSED/nnUNetPlans.json)");
  app.add_option("--dataset-json", o.dataset_json_path,
                 "dataset.json (default: PREPROCESSED/dataset.json)");
  app.add_option("--configuration,-c", o.configuration, "Plans configuration")->capture_default_str();
  app.add_option("--fold,-f", folds, "Fold(s): 0-4, comma-separated, or 'all' (train on every case)")
      ->capture_default_str();
  app.add_option("--epochs", o.epochs, "Epochs (0: the plans' budget)")->capture_default_str();
  app.add_option("--iters-per-epoch", o.iterations_per_epoch,
                 "Training iterations per epoch (0: the plans' budget)")->capture_default_str();
  app.add_option("--val-iters", o.val_iterations,
                 "Validation iterations per epoch (0: the plans' budget)")->capture_default_str();
  app.add_option("--stop-after", o.stop_after_epochs,
                 "Stop after this many epochs in this run, to continue with --resume (0: never)")
      ->capture_default_str();
  app.add_flag("--resume", o.resume, "Continue from fold_<k>/checkpoint_latest.pt");
  app.add_option("--seed", o.seed, "Seed of initialisation and batches")->capture_default_str();
  app.add_option("--threads", threads, "LibTorch threads (0: AMDRN_THREADS or all cores)")
      ->capture_default_str();
  app.add_option("--data-threads", o.data_threads,
                 "Background threads producing augmented batches (0: in the training thread)")
      ->capture_default_str();
  app.add_flag("--bf16", o.bf16,
               "Mixed-precision training: bf16 convolutions and activations, float32 master "
               "weights, norm statistics and loss. Fast only on CPUs with native bf16 "
               "(AVX512_BF16 or AMX)");
  bool no_validation = false;
  app.add_flag("--no-validation", no_validation,
               "Skip the final sliding-window validation and post-processing choice");
  if (int code = ParseArgs(app, argc, argv); code >= 0) return code;
  auto parsed = ParseFolds(folds);
  if (!parsed.ok()) return ReportError("seg train", parsed.status());
  o.folds = *parsed;
  o.final_validation = !no_validation;
  SetThreads(threads);
  Status status = seg::TrainModel(o);
  if (!status.ok()) return ReportError("seg train", status);
  return kExitOk;
}

namespace {

// Input cases: a folder of nnU-Net-named images ({CASE}_0000{ending}) or single files.
StatusOr<std::vector<seg::RawCase>> InputCases(const std::vector<std::string>& inputs,
                                               const seg::SegModelDescription& desc) {
  std::vector<seg::RawCase> cases;
  for (const std::string& input : inputs) {
    if (IsDirectory(input)) {
      AMDRN_ASSIGN_OR_RETURN(auto listed,
                             seg::ListImageCases(input, desc.num_channels, desc.file_ending));
      cases.insert(cases.end(), listed.begin(), listed.end());
      continue;
    }
    if (!PathExists(input)) return NotFoundError("input " + input + " does not exist");
    if (desc.num_channels != 1) {
      return FailedPreconditionError("the model needs " + std::to_string(desc.num_channels) +
                                     " channels: give a folder of {CASE}_0000, {CASE}_0001, ... channel files");
    }
    std::string name = fs::path(input).filename().string();
    std::string id = name.substr(0, name.size() - FileExtension(name).size());
    if (id.size() > 5 && id.compare(id.size() - 5, 1, "_") == 0) id = id.substr(0, id.size() - 5);
    cases.push_back({id, {input}, ""});
  }
  if (cases.empty()) return NotFoundError("no input images found");
  return cases;
}

Status WritePrediction(const LabelMap& labels, const std::string& path,
                       const seg::SegModelDescription& desc) {
  if (FileExtension(path) != ".seg.nrrd") return io::WriteLabelMap(labels, path);
  std::vector<io::Segment> segments = io::DefaultSegments(labels);
  for (auto& s : segments) {
    if (s.label < static_cast<int>(desc.label_names.size())) s.name = desc.label_names[s.label];
  }
  return io::WriteSegNrrd(labels, path, segments);
}

Status PredictCases(const std::string& model_dir, const std::vector<std::string>& inputs,
                    const std::string& out_dir, const std::string& format,
                    const seg::PredictOptions& options) {
  AMDRN_ASSIGN_OR_RETURN(auto predictor, seg::Predictor::Load(model_dir, options));
  AMDRN_ASSIGN_OR_RETURN(auto cases, InputCases(inputs, predictor->description()));
  AMDRN_RETURN_IF_ERROR(MakeDirectories(out_dir));
  for (const auto& c : cases) {
    std::vector<ImageF> channels;
    for (const auto& path : c.image_paths) {
      AMDRN_ASSIGN_OR_RETURN(ImageF image, io::ReadImage(path));
      channels.push_back(std::move(image));
    }
    seg::CaseTiming timing;
    auto labels = predictor->Predict(channels, &timing);
    if (!labels.ok()) return labels.status().WithContext("case " + c.id);
    std::string ext = format.empty() ? predictor->description().file_ending : format;
    if (ext[0] != '.') ext = "." + ext;
    auto start = std::chrono::steady_clock::now();
    AMDRN_RETURN_IF_ERROR(WritePrediction(*labels, out_dir + "/" + c.id + ext,
                                          predictor->description()));
    double write_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s: %s, preprocess %.2f s, network %.2f s (%lld tiles), export %.2f s, "
                "write %.2f s\n",
                c.id.c_str(), labels->geometry().ToString().c_str(), timing.preprocess_s,
                timing.network_s, static_cast<long long>(timing.tiles), timing.export_s, write_s);
    std::fflush(stdout);
  }
  return OkStatus();
}

}  // namespace

int RunSegPredict(int argc, char** argv) {
  std::string model_dir, out_dir, folds, format;
  std::vector<std::string> inputs;
  seg::PredictOptions o;
  int threads = 0;
  bool bf16 = false, no_postprocess = false;
  std::string engine = "onednn";
  CLI::App app("Segment images with an amdrn model (trained or imported from nnU-Net): sliding "
               "window with Gaussian weighting, optional mirroring TTA, fold ensemble, output "
               "in the input geometry.", argv[0]);
  app.add_option("--model,-m", model_dir, "Model folder")->required();
  app.add_option("--input,-i", inputs,
                 "Image file(s), or folder(s) of {CASE}_0000<ending> channel images")->required();
  app.add_option("--out,-o", out_dir, "Output folder (<case><format>)")->required();
  app.add_option("--folds", folds, "Comma-separated folds to ensemble (default: all in the model)");
  app.add_option("--step", o.step, "Sliding-window step as a fraction of the patch")
      ->capture_default_str();
  app.add_flag("--tta", o.mirror_tta, "Mirroring test-time augmentation (8x slower in 3D)");
  app.add_flag("--bf16", bf16,
               "bfloat16 convolutions (transposed convolutions, norm statistics and the logits "
               "stay float32). Fast only on CPUs with native bf16 (AVX512_BF16 or AMX)");
  app.add_option("--engine", engine,
                 "onednn: fused oneDNN engine; libtorch: eager LibTorch operators")
      ->check(CLI::IsMember({"onednn", "libtorch"}))
      ->capture_default_str();
  app.add_flag("--no-postprocess", no_postprocess,
               "Skip the model's largest-component post-processing");
  app.add_option("--format", format,
                 "Output ending: .nii.gz, .nrrd, .mha or .seg.nrrd (default: the model's)");
  app.add_option("--threads", threads,
                 "Threads of the network (LibTorch and oneDNN; 0: AMDRN_THREADS or all cores)")
      ->capture_default_str();
  if (int code = ParseArgs(app, argc, argv); code >= 0) return code;
  if (!folds.empty()) {
    auto parsed = ParseFolds(folds);
    if (!parsed.ok() || (*parsed)[0] < 0) {
      return ReportError("seg predict", InvalidArgumentError("--folds should list fold numbers"));
    }
    o.folds = *parsed;
  }
  o.precision = bf16 ? seg::Precision::kBFloat16 : seg::Precision::kFloat32;
  o.engine = engine == "libtorch" ? seg::InferenceEngine::kLibTorch : seg::InferenceEngine::kOneDnn;
  o.postprocess = !no_postprocess;
  SetThreads(threads);
  Status status = PredictCases(model_dir, inputs, out_dir, format, o);
  if (!status.ok()) return ReportError("seg predict", status);
  return kExitOk;
}

int RunSegImportNnunet(int argc, char** argv) {
  std::string in_dir, out_dir, folds;
  seg::ImportOptions o;
  CLI::App app("Convert a trained nnU-Net v2 model folder (plans.json, dataset.json, "
               "fold_X/checkpoint_final.pth) into an amdrn model. No Python needed.", argv[0]);
  app.add_option("--nnunet", in_dir,
                 "nnU-Net results folder, e.g. .../Dataset001_X/nnUNetTrainer__nnUNetPlans__3d_fullres")
      ->required();
  app.add_option("--out", out_dir, "amdrn model folder to write")->required();
  app.add_option("--folds", folds, "Comma-separated folds (default: every fold_<k> present)");
  app.add_option("--checkpoint", o.checkpoint_file, "Checkpoint file name in each fold")
      ->capture_default_str();
  app.add_option("--configuration", o.configuration,
                 "Plans configuration (default: the checkpoint's)");
  if (int code = ParseArgs(app, argc, argv); code >= 0) return code;
  if (!folds.empty()) {
    auto parsed = ParseFolds(folds);
    if (!parsed.ok() || (*parsed)[0] < 0) {
      return ReportError("seg import-nnunet", InvalidArgumentError("--folds should list fold numbers"));
    }
    o.folds = *parsed;
  }
  seg::InstallTorchThreadHook();
  auto info = seg::ImportNnunetModel(in_dir, out_dir, o);
  if (!info.ok()) return ReportError("seg import-nnunet", info.status());
  std::printf("imported %zu fold(s) of configuration %s into %s\n", info->folds.size(),
              info->configuration.c_str(), out_dir.c_str());
  return kExitOk;
}

}  // namespace amdrn::cli
