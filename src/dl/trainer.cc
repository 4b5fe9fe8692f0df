#include "dl/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>

#include <torch/nn/functional/loss.h>
#include <torch/optim/adamw.h>
#include <torch/serialize.h>

#include "core/csv.h"
#include "core/file_util.h"
#include "core/logging.h"
#include "core/progress.h"
#include "dl/batch.h"
#include "dl/metrics.h"
#include "dl/network.h"

namespace amdrn::dl {
namespace {

namespace F = torch::nn::functional;
constexpr double kPi = 3.14159265358979323846;

// Training state that a checkpoint carries besides weights and optimizer moments.
struct Counters {
  int epochs_done = 0;
  int best_epoch = 0;
  double best_auc = -1;  // -1: nothing yet; NaN AUCs compare by loss only
  double best_loss = 1e300;
  int bad_epochs = 0;
  bool stopped_early = false;
  std::vector<EpochLog> log;
};

uint64_t EpochSeed(uint64_t seed, int fold, int epoch) {
  uint64_t h = seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(fold) * 1000003ull + epoch;
  h ^= h >> 31;
  return h * 0xBF58476D1CE4E5B9ull;
}

torch::Tensor LossFor(const torch::Tensor& logits, const torch::Tensor& y,
                      const TrainOptions& o, double pos_weight) {
  if (o.loss == Loss::kFocal) {
    torch::Tensor ce = F::binary_cross_entropy_with_logits(
        logits, y, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone));
    torch::Tensor p = torch::sigmoid(logits);
    torch::Tensor p_t = p * y + (1 - p) * (1 - y);
    torch::Tensor alpha_t = o.focal_alpha * y + (1 - o.focal_alpha) * (1 - y);
    return (alpha_t * ce * torch::pow(1 - p_t, o.focal_gamma)).mean();
  }
  return F::binary_cross_entropy_with_logits(
      logits, y,
      F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(
          torch::full({1}, pos_weight, torch::kFloat32)));
}

torch::Tensor Labels(const std::vector<const TrainCase*>& cases) {
  torch::Tensor y = torch::empty({static_cast<int64_t>(cases.size())}, torch::kFloat32);
  for (size_t i = 0; i < cases.size(); ++i) y[i] = static_cast<float>(cases[i]->label);
  return y;
}

// Logits of `cases` in eval mode, batch by batch.
std::vector<double> PredictLogits(AttentionResNet3d& net,
                                  const std::vector<const TrainCase*>& cases, int batch_size) {
  torch::NoGradGuard no_grad;
  net->eval();
  std::vector<double> out;
  for (size_t start = 0; start < cases.size(); start += batch_size) {
    std::vector<const RoiSample*> rois;
    for (size_t i = start; i < std::min(cases.size(), start + batch_size); ++i) {
      rois.push_back(&cases[i]->roi);
    }
    torch::Tensor logits = net->forward(StackRois(rois)).contiguous();
    for (int64_t i = 0; i < logits.size(0); ++i) out.push_back(logits[i].item<double>());
  }
  return out;
}

void SaveCheckpoint(const std::string& path, AttentionResNet3d& net, AttentionResNet3d& best,
                    torch::optim::AdamW& optimizer, const Counters& c) {
  torch::serialize::OutputArchive archive, net_archive, best_archive, opt_archive;
  net->save(net_archive);
  best->save(best_archive);
  optimizer.save(opt_archive);
  archive.write("net", net_archive);
  archive.write("best", best_archive);
  archive.write("optimizer", opt_archive);
  archive.write("counters", torch::tensor({static_cast<int64_t>(c.epochs_done),
                                           static_cast<int64_t>(c.best_epoch),
                                           static_cast<int64_t>(c.bad_epochs),
                                           static_cast<int64_t>(c.stopped_early)}));
  archive.write("best_metrics", torch::tensor({c.best_auc, c.best_loss}, torch::kFloat64));
  torch::Tensor log = torch::zeros({static_cast<int64_t>(c.log.size()), 7}, torch::kFloat64);
  for (size_t i = 0; i < c.log.size(); ++i) {
    const EpochLog& e = c.log[i];
    double row[7] = {double(e.fold), double(e.epoch), e.lr, e.train_loss, e.val_loss, e.val_auc,
                     e.samples_per_s};
    for (int j = 0; j < 7; ++j) log[i][j] = row[j];
  }
  archive.write("log", log);
  Status status = WriteAtomicWith(path, [&](const std::string& temp) {
    archive.save_to(temp);
    return OkStatus();
  });
  if (!status.ok()) throw std::runtime_error(status.message());
}

void LoadCheckpoint(const std::string& path, AttentionResNet3d& net, AttentionResNet3d& best,
                    torch::optim::AdamW& optimizer, Counters* c) {
  torch::serialize::InputArchive archive, net_archive, best_archive, opt_archive;
  archive.load_from(path);
  archive.read("net", net_archive);
  archive.read("best", best_archive);
  archive.read("optimizer", opt_archive);
  net->load(net_archive);
  best->load(best_archive);
  optimizer.load(opt_archive);
  torch::Tensor counters, metrics, log;
  archive.read("counters", counters);
  archive.read("best_metrics", metrics);
  archive.read("log", log);
  c->epochs_done = counters[0].item<int>();
  c->best_epoch = counters[1].item<int>();
  c->bad_epochs = counters[2].item<int>();
  c->stopped_early = counters[3].item<int>() != 0;
  c->best_auc = metrics[0].item<double>();
  c->best_loss = metrics[1].item<double>();
  c->log.clear();
  for (int64_t i = 0; i < log.size(0); ++i) {
    EpochLog e;
    e.fold = log[i][0].item<int>();
    e.epoch = log[i][1].item<int>();
    e.lr = log[i][2].item<double>();
    e.train_loss = log[i][3].item<double>();
    e.val_loss = log[i][4].item<double>();
    e.val_auc = log[i][5].item<double>();
    e.samples_per_s = log[i][6].item<double>();
    c->log.push_back(e);
  }
}

struct EpochContext {
  const std::vector<const TrainCase*>* train;
  const DlConfig* config;
  int fold;
  double pos_weight;
  int64_t steps_per_epoch;
};

// One pass over the training set; returns the mean loss and fills the log's lr and rate.
double TrainEpoch(AttentionResNet3d& net, torch::optim::AdamW& optimizer, const EpochContext& ctx,
                  int epoch, EpochLog* log) {
  const TrainOptions& o = ctx.config->train;
  const uint64_t seed = EpochSeed(o.seed, ctx.fold, epoch);
  torch::manual_seed(seed);
  std::mt19937_64 rng(seed);
  std::vector<const TrainCase*> order = *ctx.train;
  std::shuffle(order.begin(), order.end(), rng);
  net->train();
  Progress bar("dl fold " + std::to_string(ctx.fold + 1) + " epoch " + std::to_string(epoch + 1),
               ctx.steps_per_epoch);
  auto start = std::chrono::steady_clock::now();
  double loss_sum = 0;
  const double total_steps = static_cast<double>(o.epochs) * ctx.steps_per_epoch;
  for (int64_t step = 0; step < ctx.steps_per_epoch; ++step) {
    size_t from = step * o.batch_size, to = std::min(order.size(), from + o.batch_size);
    std::vector<const TrainCase*> cases(order.begin() + from, order.begin() + to);
    std::vector<const RoiSample*> rois;
    for (const TrainCase* c : cases) rois.push_back(&c->roi);
    double lr =
        0.5 * o.lr * (1 + std::cos(kPi * (epoch * ctx.steps_per_epoch + step) / total_steps));
    if (step == 0) log->lr = lr;
    for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
    torch::Tensor x = Augment(StackRois(rois), o.augment, ctx.config->roi.voxel_mm, rng);
    torch::Tensor loss = LossFor(net->forward(x), Labels(cases), o, ctx.pos_weight);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    loss_sum += loss.item<double>() * cases.size();
    bar.Update(step + 1);
    bar.SetDetail("loss " + std::to_string(loss.item<double>()).substr(0, 6));
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  log->samples_per_s = order.size() / std::max(seconds, 1e-9);
  return loss_sum / order.size();
}

// Validation AUC and unweighted BCE; updates the early-stopping counters.
void ValidateEpoch(AttentionResNet3d& net, AttentionResNet3d& best,
                   const std::vector<const TrainCase*>& val, const DlConfig& config,
                   EpochLog* log, Counters* c) {
  std::vector<double> logits = PredictLogits(net, val, config.train.batch_size);
  std::vector<int> labels;
  double loss = 0;
  for (size_t i = 0; i < val.size(); ++i) {
    labels.push_back(val[i]->label);
    double z = logits[i];
    loss += std::max(z, 0.0) - z * val[i]->label + std::log1p(std::exp(-std::abs(z)));
  }
  log->val_loss = loss / val.size();
  log->val_auc = MannWhitneyAuc(logits, labels);
  double auc = std::isnan(log->val_auc) ? -1 : log->val_auc;
  bool better = auc > c->best_auc + 1e-12 ||
                (std::abs(auc - c->best_auc) <= 1e-12 && log->val_loss < c->best_loss);
  if (better) {
    c->best_auc = auc;
    c->best_loss = log->val_loss;
    c->best_epoch = log->epoch;
    c->bad_epochs = 0;
    LoadState(*best, CopyState(*net));
  } else if (++c->bad_epochs >= config.train.patience) {
    c->stopped_early = true;
  }
}

Status SaveWeights(AttentionResNet3d& net, const std::string& path) {
  return WriteAtomicWith(path, [&](const std::string& temp) {
    torch::serialize::OutputArchive archive;
    net->save(archive);
    archive.save_to(temp);
    return OkStatus();
  });
}

StatusOr<FitResult> FitOneUnchecked(const std::vector<const TrainCase*>& train,
                                    const std::vector<const TrainCase*>& val,
                                    const DlConfig& config, int fold,
                                    const std::string& checkpoint_path,
                                    const std::string& weights_path, bool resume) {
  const TrainOptions& o = config.train;
  torch::manual_seed(EpochSeed(o.seed, fold, -1));
  AttentionResNet3d net(config.net), best(config.net);
  LoadState(*best, CopyState(*net));
  torch::optim::AdamW optimizer(net->parameters(),
                                torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay));
  Counters c;
  if (resume && PathExists(checkpoint_path)) {
    LoadCheckpoint(checkpoint_path, net, best, optimizer, &c);
    AMDRN_LOG(Info) << "dl fold " << fold + 1 << ": resuming after epoch " << c.epochs_done;
  }
  int positives = 0;
  for (const TrainCase* t : train) positives += t->label;
  EpochContext ctx{&train, &config, fold,
                   static_cast<double>(train.size() - positives) / std::max(positives, 1),
                   static_cast<int64_t>((train.size() + o.batch_size - 1) / o.batch_size)};
  auto start = std::chrono::steady_clock::now();
  int run_here = 0;
  while (c.epochs_done < o.epochs && !c.stopped_early) {
    EpochLog log;
    log.fold = fold;
    log.epoch = c.epochs_done + 1;
    log.train_loss = TrainEpoch(net, optimizer, ctx, c.epochs_done, &log);
    ValidateEpoch(net, best, val, config, &log, &c);
    c.log.push_back(log);
    ++c.epochs_done;
    ++run_here;
    char line[256];
    std::snprintf(line, sizeof(line),
                  "dl fold %d epoch %d/%d lr %.2e loss %.4f val_loss %.4f val_auc %.4f "
                  "%.1f samples/s (best %.4f @ %d)",
                  fold + 1, log.epoch, o.epochs, log.lr, log.train_loss, log.val_loss,
                  log.val_auc, log.samples_per_s, c.best_auc, c.best_epoch);
    AMDRN_LOG(Info) << line;
    SaveCheckpoint(checkpoint_path, net, best, optimizer, c);
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if ((o.stop_after_epochs > 0 && run_here >= o.stop_after_epochs) ||
        (o.time_budget_s > 0 && elapsed >= o.time_budget_s)) {
      break;
    }
  }
  FitResult result;
  result.finished = c.epochs_done >= o.epochs || c.stopped_early;
  result.epochs_run = c.epochs_done;
  result.best_epoch = c.best_epoch;
  result.best_val_auc = c.best_auc;
  result.log = c.log;
  if (result.finished) AMDRN_RETURN_IF_ERROR(SaveWeights(best, weights_path));
  return result;
}

}  // namespace

StatusOr<FitResult> FitOne(const std::vector<const TrainCase*>& train,
                           const std::vector<const TrainCase*>& val, const DlConfig& config,
                           int fold, const std::string& checkpoint_path,
                           const std::string& weights_path, bool resume) {
  AMDRN_RETURN_IF_ERROR(config.net.Validate());
  AMDRN_RETURN_IF_ERROR(config.train.Validate());
  int positives = 0;
  for (const TrainCase* t : train) positives += t->label;
  if (train.size() < 2 || val.empty() || positives == 0 ||
      positives == static_cast<int>(train.size())) {
    return InvalidArgumentError(
        "expected a training set with both outcomes and a non-empty validation set, found " +
        std::to_string(train.size()) + " training cases (" + std::to_string(positives) +
        " failures) and " + std::to_string(val.size()) + " validation cases");
  }
  EnsureTorchThreadHook();
  try {
    return FitOneUnchecked(train, val, config, fold, checkpoint_path, weights_path, resume);
  } catch (const std::exception& e) {
    return InternalError("DL training failed in fold " + std::to_string(fold + 1) + ": " +
                         e.what());
  }
}

std::vector<int> AssignFolds(const std::vector<int>& labels, int k, uint64_t seed) {
  std::mt19937_64 rng(seed ^ 0x5DEECE66Dull);
  std::vector<int> folds(labels.size(), 0);
  int next = 0;
  for (int label : {0, 1}) {
    std::vector<size_t> idx;
    for (size_t i = 0; i < labels.size(); ++i) {
      if ((labels[i] == 1) == (label == 1)) idx.push_back(i);
    }
    std::shuffle(idx.begin(), idx.end(), rng);
    for (size_t i : idx) folds[i] = next++ % k;
  }
  return folds;
}

Status WriteOofScores(const std::vector<OofScore>& scores, const std::string& path) {
  CsvTable table({"case_id", "fold", "label", "dl_logit", "dl_probability"});
  for (const OofScore& s : scores) {
    AMDRN_RETURN_IF_ERROR(table.AddRow({s.case_id, std::to_string(s.fold), std::to_string(s.label),
                                        FormatDouble(s.logit), FormatDouble(s.probability)}));
  }
  return WriteCsv(path, table);
}

}  // namespace amdrn::dl
