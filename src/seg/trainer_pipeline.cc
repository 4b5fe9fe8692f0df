#include "seg/trainer_pipeline.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "core/file_util.h"
#include "core/logging.h"
#include "core/progress.h"
#include "io/volume_io.h"
#include "seg/checkpoint.h"
#include "seg/data_loader.h"
#include "seg/metrics.h"
#include "seg/predictor.h"
#include "seg/sliding_window.h"
#include "seg/split.h"
#include "seg/trainer.h"

namespace amdrn::seg {
namespace {

namespace fs = std::filesystem;

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

TrainBatch ToTensors(Batch batch) {
  const auto& p = batch.patch;
  TrainBatch out;
  out.data = torch::from_blob(batch.data.data(), {batch.batch_size, batch.channels, p[0], p[1], p[2]},
                              torch::kFloat).clone();
  out.seg = torch::from_blob(batch.seg.data(), {batch.batch_size, p[0], p[1], p[2]}, torch::kUInt8)
                .to(torch::kLong);
  return out;
}

// Batches `index`, `index + 1`, ... produced ahead by background threads; a request out of
// sequence (the first one, or after a resume) restarts the sequence there.
class BatchStream {
 public:
  BatchStream(std::shared_ptr<PreprocessedDataset> data, DataLoaderOptions options, int threads)
      : data_(std::move(data)), options_(std::move(options)) {
    for (int t = 0; t < threads; ++t) workers_.emplace_back([this] { Work(); });
  }
  ~BatchStream() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
  }

  // The batch, and the seconds spent waiting for it.
  TrainBatch Get(int64_t index, double* waited) {
    const double start = Now();
    if (workers_.empty()) {
      Batch b = GenerateBatch(*data_, options_, index);
      *waited += Now() - start;
      return ToTensors(std::move(b));
    }
    std::unique_lock<std::mutex> lock(mutex_);
    if (index != expected_) {
      ready_.clear();
      ++generation_;
      expected_ = next_claim_ = index;
      cv_.notify_all();
    }
    cv_.wait(lock, [&] { return ready_.count(index) > 0; });
    Batch b = std::move(ready_[index]);
    ready_.erase(index);
    expected_ = index + 1;
    cv_.notify_all();
    lock.unlock();
    *waited += Now() - start;
    return ToTensors(std::move(b));
  }

 private:
  void Work() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      cv_.wait(lock, [&] { return stop_ || (expected_ >= 0 && next_claim_ < expected_ + kDepth); });
      if (stop_) return;
      const int64_t index = next_claim_++;
      const int64_t generation = generation_;
      lock.unlock();
      Batch b = GenerateBatch(*data_, options_, index);
      lock.lock();
      if (generation == generation_) ready_[index] = std::move(b);  // else: a restart dropped it
      cv_.notify_all();
    }
  }

  static constexpr int64_t kDepth = 4;
  std::shared_ptr<PreprocessedDataset> data_;
  DataLoaderOptions options_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<int64_t, Batch> ready_;
  int64_t expected_ = -1, next_claim_ = 0, generation_ = 0;
  bool stop_ = false;
};

class DatasetSource : public BatchSource {
 public:
  DatasetSource(std::shared_ptr<PreprocessedDataset> train, std::shared_ptr<PreprocessedDataset> val,
                const DataLoaderOptions& options, int threads)
      : train_(train, options, threads), val_(val, ValOptions(options), threads > 0 ? 1 : 0) {}
  TrainBatch Train(int64_t index) override { return train_.Get(index, &wait_); }
  TrainBatch Validation(int64_t index) override { return val_.Get(index, &wait_); }
  double WaitSeconds() const override { return wait_; }

 private:
  static DataLoaderOptions ValOptions(DataLoaderOptions options) {
    options.augment = false;
    options.seed += 1;
    return options;
  }
  BatchStream train_, val_;
  double wait_ = 0;
};

struct RunContext {
  SegModelDescription desc;
  std::string plans_text, dataset_text;
  std::vector<std::string> case_ids;
  std::string case_dir;
  int epochs = 0, iterations = 0, val_iterations = 0;
};

StatusOr<RunContext> PrepareRun(const TrainRunOptions& o) {
  RunContext ctx;
  std::string plans_path = o.plans_path.empty() ? o.preprocessed_dir + "/nnUNetPlans.json" : o.plans_path;
  std::string dataset_path =
      o.dataset_json_path.empty() ? o.preprocessed_dir + "/dataset.json" : o.dataset_json_path;
  AMDRN_ASSIGN_OR_RETURN(ctx.plans_text, ReadFileToString(plans_path));
  AMDRN_ASSIGN_OR_RETURN(ctx.dataset_text, ReadFileToString(dataset_path));
  auto desc = DescribeModel(ctx.plans_text, ctx.dataset_text, o.configuration);
  if (!desc.ok()) return desc.status().WithContext(plans_path);
  ctx.desc = std::move(desc).value();
  ctx.case_dir = o.preprocessed_dir + "/" + ctx.desc.config.data_identifier;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(ctx.case_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (FileExtension(name) == kPreprocessedExtension) {
      ctx.case_ids.push_back(name.substr(0, name.size() - std::string(kPreprocessedExtension).size()));
    }
  }
  std::sort(ctx.case_ids.begin(), ctx.case_ids.end());
  if (ctx.case_ids.empty()) {
    return FailedPreconditionError("no preprocessed cases in " + ctx.case_dir +
                                   "; run `amdrn seg preprocess` first");
  }
  const TrainingBudget& budget = ctx.desc.config.budget;
  ctx.epochs = o.epochs > 0 ? o.epochs : budget.num_epochs;
  ctx.iterations = o.iterations_per_epoch > 0 ? o.iterations_per_epoch : budget.num_iterations_per_epoch;
  ctx.val_iterations = o.val_iterations > 0 ? o.val_iterations : budget.num_val_iterations_per_epoch;
  return ctx;
}

DataLoaderOptions LoaderOptions(const RunContext& ctx, uint64_t seed) {
  DataLoaderOptions d;
  const auto& ps = ctx.desc.config.patch_size;
  d.patch_size = {ps[0], ps[1], ps[2]};
  d.batch_size = ctx.desc.config.batch_size;
  d.augmentation.mirror_axes = ctx.desc.plans.mirror_axes;
  d.augmentation.dummy_2d = UseDummy2dAugmentation(d.patch_size);
  for (bool b : ctx.desc.config.use_mask_for_norm) d.zero_outside_mask.push_back(b);
  d.seed = seed;
  d.num_threads = 0;
  return d;
}

// Sliding-window prediction of each validation case, exported to the original geometry and
// scored against gt_segmentations; writes validation/<case><ending> and summary.json.
Status ValidateFold(const RunContext& ctx, const TrainRunOptions& o, const UNet& net,
                    const std::vector<std::string>& val_ids, const std::string& fold_dir) {
  const std::string out_dir = fold_dir + "/validation";
  AMDRN_RETURN_IF_ERROR(MakeDirectories(out_dir));
  const auto& ps = ctx.desc.config.patch_size;
  std::vector<int> labels;
  for (int c = 1; c < ctx.desc.num_classes; ++c) labels.push_back(c);
  Progress bar("validate", static_cast<int64_t>(val_ids.size()));
  for (const std::string& id : val_ids) {
    AMDRN_ASSIGN_OR_RETURN(PreprocessedCase pc,
                           ReadPreprocessedCase(ctx.case_dir + "/" + id + kPreprocessedExtension));
    at::Tensor image = torch::from_blob(pc.data.data(), {pc.num_channels, pc.shape[0], pc.shape[1],
                                                         pc.shape[2]}, torch::kFloat);
    c10::InferenceMode guard;
    SlidingWindowOptions sw;
    AMDRN_ASSIGN_OR_RETURN(at::Tensor logits,
                           SlidingWindowPredict(image, ctx.desc.num_classes, {ps[0], ps[1], ps[2]},
                                                [&net](const at::Tensor& x) { return net.Forward(x); },
                                                sw));
    logits = logits.contiguous();
    AMDRN_ASSIGN_OR_RETURN(LabelMap pred, LogitsToOriginalLabels(logits.data_ptr<float>(),
                                                                 ctx.desc.num_classes, pc.properties));
    AMDRN_RETURN_IF_ERROR(io::WriteLabelMap(pred, out_dir + "/" + id + ctx.desc.file_ending));
    bar.Increment();
  }
  MetricsOptions mo;
  mo.surface_metrics = false;
  AMDRN_ASSIGN_OR_RETURN(EvaluationSummary summary,
                         EvaluateFolders(o.preprocessed_dir + "/gt_segmentations", out_dir, labels,
                                         ctx.desc.file_ending, mo, 1, true));
  return WriteFileAtomic(fold_dir + "/summary.json", SummaryToJson(summary, mo).dump(2) + "\n");
}

Status TrainFold(const RunContext& ctx, const TrainRunOptions& o, int fold) {
  std::vector<std::string> train_ids = ctx.case_ids, val_ids = ctx.case_ids;
  if (fold >= 0) {
    AMDRN_ASSIGN_OR_RETURN(auto splits, LoadOrCreateSplits(o.preprocessed_dir + "/splits_final.json",
                                                           ctx.case_ids, o.num_folds));
    AMDRN_ASSIGN_OR_RETURN(Split split, GetFold(splits, fold));
    train_ids = split.train;
    val_ids = split.val;
  }
  AMDRN_ASSIGN_OR_RETURN(auto train_data, PreprocessedDataset::Open(ctx.case_dir, train_ids));
  AMDRN_ASSIGN_OR_RETURN(auto val_data, PreprocessedDataset::Open(ctx.case_dir, val_ids));
  DatasetSource source(train_data, val_data, LoaderOptions(ctx, o.seed), o.data_threads);

  AMDRN_ASSIGN_OR_RETURN(auto net, UNet::Create(ctx.desc.spec, o.seed));
  net->SetMixedPrecisionTraining(o.bf16);
  TrainerOptions t;
  t.num_epochs = ctx.epochs;
  t.iterations_per_epoch = ctx.iterations;
  t.val_iterations = ctx.val_iterations;
  t.batch_dice = ctx.desc.config.batch_dice;
  t.stop_after_epochs = o.stop_after_epochs;
  t.quiet = o.quiet;
  Trainer trainer(net.get(), t);
  const std::string fold_dir = FoldDir(o.model_dir, fold < 0 ? 0 : fold);
  nlohmann::json meta = {{"fold", fold < 0 ? nlohmann::json("all") : nlohmann::json(fold)},
                         {"configuration", o.configuration},
                         {"budget", {{"epochs", t.num_epochs}, {"iterations_per_epoch", t.iterations_per_epoch},
                                     {"val_iterations", t.val_iterations}}},
                         {"seed", o.seed},
                         {"precision", o.bf16 ? "mixed bf16" : "float32"}};
  AMDRN_LOG(Info) << "fold " << fold << ": " << train_ids.size() << " training / " << val_ids.size()
                  << " validation cases, " << net->NumParameters() << " parameters, " << t.num_epochs
                  << " epochs x " << t.iterations_per_epoch << " iterations"
                  << (o.bf16 ? ", mixed bf16" : "");
  AMDRN_RETURN_IF_ERROR(trainer.Run(&source, fold_dir, o.resume, meta));
  if (!PathExists(fold_dir + "/checkpoint_final.pt")) return OkStatus();  // stopped early
  if (trainer.epoch() == 0) {  // finished in an earlier run: load the final weights
    AMDRN_ASSIGN_OR_RETURN(Checkpoint ckpt, LoadCheckpoint(fold_dir + "/checkpoint_final.pt"));
    AMDRN_RETURN_IF_ERROR(net->LoadStateDict(ckpt.weights));
  }
  if (!o.final_validation) return OkStatus();
  net->SetMixedPrecisionTraining(false);  // validation predicts like `seg predict` (float32)
  return ValidateFold(ctx, o, *net, val_ids, fold_dir);
}

double Dice(const LabelMap& ref, const LabelMap& pred, int label) {
  int64_t tp = 0, n_ref = 0, n_pred = 0;
  for (int64_t i = 0; i < ref.NumVoxels(); ++i) {
    bool r = ref.data()[i] == label, p = pred.data()[i] == label;
    tp += r && p;
    n_ref += r;
    n_pred += p;
  }
  return n_ref + n_pred ? 2.0 * tp / (n_ref + n_pred) : std::nan("");
}

// Per-label mean Dice over cases (NaN-skipping).
std::vector<double> MeanDice(const std::vector<LabelMap>& refs, const std::vector<LabelMap>& preds,
                             int num_classes) {
  std::vector<double> means;
  for (int c = 1; c < num_classes; ++c) {
    double sum = 0;
    int n = 0;
    for (size_t i = 0; i < refs.size(); ++i) {
      double d = Dice(refs[i], preds[i], c);
      if (std::isfinite(d)) sum += d, ++n;
    }
    means.push_back(n ? sum / n : std::nan(""));
  }
  return means;
}

double Mean(const std::vector<double>& v) {
  double sum = 0;
  int n = 0;
  for (double x : v) {
    if (std::isfinite(x)) sum += x, ++n;
  }
  return n ? sum / n : std::nan("");
}

std::vector<LabelMap> WithLargestComponent(std::vector<LabelMap> preds, int label) {
  for (auto& p : preds) KeepLargestComponent(&p, label);
  return preds;
}

}  // namespace

Status DeterminePostprocessing(const std::string& model_dir, const std::string& gt_dir) {
  AMDRN_ASSIGN_OR_RETURN(ModelInfo info, ReadModelInfo(model_dir));
  std::vector<LabelMap> refs, preds;
  int num_classes = 0;
  for (int fold : info.folds) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(FoldDir(model_dir, fold) + "/validation", ec)) {
      std::string ref_path = gt_dir + "/" + entry.path().filename().string();
      if (!PathExists(ref_path)) continue;
      AMDRN_ASSIGN_OR_RETURN(LabelMap pred, io::ReadLabelMap(entry.path().string()));
      AMDRN_ASSIGN_OR_RETURN(LabelMap ref, io::ReadLabelMap(ref_path));
      if (!pred.geometry().SameAs(ref.geometry())) continue;
      for (uint8_t v : ref.voxels()) num_classes = std::max(num_classes, v + 1);
      refs.push_back(std::move(ref));
      preds.push_back(std::move(pred));
    }
  }
  if (refs.empty()) return OkStatus();
  // nnU-Net's rule: largest component of the foreground union if the mean Dice improves and
  // no class gets worse; then per label if that label's Dice improves.
  std::vector<double> base = MeanDice(refs, preds, num_classes);
  std::vector<LabelMap> fg = WithLargestComponent(preds, -1);
  std::vector<double> with_fg = MeanDice(refs, fg, num_classes);
  bool no_worse = true;
  for (size_t c = 0; c < base.size(); ++c) {
    if (std::isfinite(base[c]) && with_fg[c] < base[c]) no_worse = false;
  }
  info.postprocess_foreground = Mean(with_fg) > Mean(base) && no_worse;
  if (info.postprocess_foreground) preds = std::move(fg), base = with_fg;
  info.postprocess_labels.clear();
  for (int c = 1; c < num_classes; ++c) {
    std::vector<LabelMap> trial = WithLargestComponent(preds, c);
    std::vector<double> dice = MeanDice(refs, trial, num_classes);
    if (dice[c - 1] > base[c - 1]) {
      info.postprocess_labels.push_back(c);
      preds = std::move(trial);
      base = dice;
    }
  }
  AMDRN_LOG(Info) << "post-processing on " << refs.size() << " validation cases: largest component"
                  << (info.postprocess_foreground ? " of the foreground," : "") << " for "
                  << info.postprocess_labels.size() << " label(s)";
  return WriteModelInfo(info, model_dir);
}

Status TrainModel(const TrainRunOptions& options) {
  AMDRN_ASSIGN_OR_RETURN(RunContext ctx, PrepareRun(options));
  AMDRN_RETURN_IF_ERROR(MakeDirectories(options.model_dir));
  AMDRN_RETURN_IF_ERROR(WriteFileAtomic(options.model_dir + "/plans.json", ctx.plans_text));
  AMDRN_RETURN_IF_ERROR(WriteFileAtomic(options.model_dir + "/dataset.json", ctx.dataset_text));
  ModelInfo info;
  if (auto existing = ReadModelInfo(options.model_dir); existing.ok()) info = *existing;
  info.configuration = options.configuration;
  info.mirror_axes = ctx.desc.plans.mirror_axes;
  for (int fold : options.folds) {
    AMDRN_RETURN_IF_ERROR(TrainFold(ctx, options, fold));
    int stored = fold < 0 ? 0 : fold;
    if (PathExists(FoldDir(options.model_dir, stored) + "/checkpoint_final.pt") &&
        std::find(info.folds.begin(), info.folds.end(), stored) == info.folds.end()) {
      info.folds.push_back(stored);
      std::sort(info.folds.begin(), info.folds.end());
    }
  }
  info.extra["trainer"] = "amdrn nnUNetTrainer";
  if (info.folds.empty()) {
    AMDRN_LOG(Info) << "training stopped before a fold finished; resume with --resume";
    return OkStatus();
  }
  AMDRN_RETURN_IF_ERROR(WriteModelInfo(info, options.model_dir));
  if (options.final_validation) {
    AMDRN_RETURN_IF_ERROR(
        DeterminePostprocessing(options.model_dir, options.preprocessed_dir + "/gt_segmentations"));
  }
  return OkStatus();
}

}  // namespace amdrn::seg
