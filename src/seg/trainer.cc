#include "seg/trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "core/file_util.h"
#include "core/logging.h"
#include "core/progress.h"

namespace amdrn::seg {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

nlohmann::json Number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }
double FromNumber(const nlohmann::json& j) {
  return j.is_number() ? j.get<double>() : std::numeric_limits<double>::quiet_NaN();
}

std::string FormatDice(const std::vector<double>& dice) {
  std::ostringstream out;
  out.precision(3);
  out << "[";
  for (size_t i = 0; i < dice.size(); ++i) out << (i ? " " : "") << dice[i];
  out << "]";
  return out.str();
}

}  // namespace

nlohmann::json EpochLogToJson(const EpochLog& log) {
  nlohmann::json dice = nlohmann::json::array();
  for (double d : log.dice_per_class) dice.push_back(Number(d));
  return {{"epoch", log.epoch},           {"lr", log.lr},
          {"train_loss", Number(log.train_loss)}, {"val_loss", Number(log.val_loss)},
          {"dice_per_class", dice},        {"mean_fg_dice", Number(log.mean_fg_dice)},
          {"ema_fg_dice", Number(log.ema_fg_dice)}, {"seconds", log.seconds},
          {"data_wait_share", log.data_wait_share}};
}

EpochLog EpochLogFromJson(const nlohmann::json& j) {
  EpochLog log;
  log.epoch = j.value("epoch", 0);
  log.lr = j.value("lr", 0.0);
  log.train_loss = FromNumber(j.value("train_loss", nlohmann::json()));
  log.val_loss = FromNumber(j.value("val_loss", nlohmann::json()));
  for (const auto& d : j.value("dice_per_class", nlohmann::json::array())) {
    log.dice_per_class.push_back(FromNumber(d));
  }
  log.mean_fg_dice = FromNumber(j.value("mean_fg_dice", nlohmann::json()));
  log.ema_fg_dice = FromNumber(j.value("ema_fg_dice", nlohmann::json()));
  log.seconds = j.value("seconds", 0.0);
  log.data_wait_share = j.value("data_wait_share", 0.0);
  return log;
}

std::vector<double> DeepSupervisionWeights(int n) {
  std::vector<double> w(n);
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    w[i] = (n > 1 && i == n - 1) ? 0.0 : 1.0 / std::pow(2.0, i);
    sum += w[i];
  }
  for (double& x : w) x /= sum;
  return w;
}

at::Tensor DiceCeLoss(const at::Tensor& logits, const at::Tensor& target, bool batch_dice,
                      double smooth) {
  at::Tensor ce = at::cross_entropy_loss(logits, target);
  const int64_t classes = logits.size(1);
  if (classes < 2) return ce;
  using at::indexing::Slice;
  at::Tensor probs = at::softmax(logits, 1).index({Slice(), Slice(1, at::indexing::None)});
  at::Tensor onehot = at::one_hot(target, classes).permute({0, 4, 1, 2, 3})
                          .index({Slice(), Slice(1, at::indexing::None)})
                          .to(probs.scalar_type());
  std::vector<int64_t> axes = {2, 3, 4};
  if (batch_dice) axes.insert(axes.begin(), 0);
  at::Tensor intersect = (probs * onehot).sum(axes);
  at::Tensor sum_pred = probs.sum(axes);
  at::Tensor sum_gt = onehot.sum(axes);
  at::Tensor dc = (2 * intersect + smooth) / (sum_gt + sum_pred + smooth).clamp_min(1e-8);
  return ce - dc.mean();
}

Trainer::Trainer(UNet* net, TrainerOptions options)
    : net_(net), options_(std::move(options)), lr_(options_.initial_lr) {
  momentum_.resize(net_->named_parameters().size());
}

double Trainer::PolyLearningRate(int epoch) const {
  double frac = 1.0 - static_cast<double>(epoch) / options_.num_epochs;
  return options_.initial_lr * std::pow(std::max(0.0, frac), options_.poly_exponent);
}

std::vector<at::Tensor> Trainer::Targets(const at::Tensor& seg, size_t n_outputs) const {
  // Output i is downsampled by the product of the strides of stages 1..i; nearest-exact
  // with an integer factor s keeps voxels s/2, s/2 + s, ...
  std::vector<at::Tensor> targets = {seg};
  std::array<int64_t, 3> factor = {1, 1, 1};
  const auto& strides = net_->spec().strides;
  for (size_t i = 1; i < n_outputs; ++i) {
    for (int a = 0; a < 3; ++a) factor[a] *= strides[i][a];
    using at::indexing::Slice;
    targets.push_back(seg.index({Slice(), Slice(factor[0] / 2, at::indexing::None, factor[0]),
                                 Slice(factor[1] / 2, at::indexing::None, factor[1]),
                                 Slice(factor[2] / 2, at::indexing::None, factor[2])}));
  }
  return targets;
}

at::Tensor Trainer::Loss(const std::vector<at::Tensor>& outputs, const at::Tensor& seg) const {
  std::vector<at::Tensor> targets = Targets(seg, outputs.size());
  std::vector<double> weights = DeepSupervisionWeights(static_cast<int>(outputs.size()));
  at::Tensor loss;
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (weights[i] == 0) continue;
    at::Tensor term = weights[i] * DiceCeLoss(outputs[i], targets[i], options_.batch_dice,
                                              options_.dice_smooth);
    loss = loss.defined() ? loss + term : term;
  }
  return loss;
}

void Trainer::SgdStep() {
  // torch.optim.SGD(momentum, nesterov=True, weight_decay), dampening 0.
  torch::NoGradGuard no_grad;
  const auto& params = net_->named_parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    at::Tensor p = params[i].second;
    at::Tensor grad = p.grad();
    if (!grad.defined()) continue;
    at::Tensor d_p = grad.add(p, options_.weight_decay);
    if (!momentum_[i].defined()) {
      momentum_[i] = d_p.clone();
    } else {
      momentum_[i].mul_(options_.momentum).add_(d_p);
    }
    d_p.add_(momentum_[i], options_.momentum);
    p.add_(d_p, -lr_);
    grad.zero_();
  }
}

double Trainer::TrainStep(const TrainBatch& batch) {
  at::Tensor loss;
  if (options_.deep_supervision) {
    loss = Loss(net_->ForwardDeepSupervision(batch.data), batch.seg);
  } else {
    loss = Loss({net_->Forward(batch.data)}, batch.seg);
  }
  loss.backward();
  torch::nn::utils::clip_grad_norm_(net_->parameters(), options_.grad_clip_norm);
  SgdStep();
  return loss.item<double>();
}

double Trainer::ValidationStep(const TrainBatch& batch, std::vector<double>* tp,
                               std::vector<double>* fp, std::vector<double>* fn) {
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> outputs = options_.deep_supervision
                                        ? net_->ForwardDeepSupervision(batch.data)
                                        : std::vector<at::Tensor>{net_->Forward(batch.data)};
  double loss = Loss(outputs, batch.seg).item<double>();
  at::Tensor pred = outputs[0].argmax(1);
  const int classes = net_->spec().num_classes;
  tp->resize(classes - 1);
  fp->resize(classes - 1);
  fn->resize(classes - 1);
  for (int c = 1; c < classes; ++c) {
    at::Tensor p = pred.eq(c), g = batch.seg.eq(c);
    (*tp)[c - 1] += (p & g).sum().item<double>();
    (*fp)[c - 1] += (p & ~g).sum().item<double>();
    (*fn)[c - 1] += (~p & g).sum().item<double>();
  }
  return loss;
}

EpochLog Trainer::RunEpoch(BatchSource* source) {
  EpochLog log;
  log.epoch = epoch_;
  log.lr = lr_ = PolyLearningRate(epoch_);
  const double start = Now(), wait_start = source->WaitSeconds();
  std::unique_ptr<Progress> bar;
  if (!options_.quiet) {
    bar = std::make_unique<Progress>("epoch " + std::to_string(epoch_ + 1) + "/" +
                                         std::to_string(options_.num_epochs),
                                     options_.iterations_per_epoch + options_.val_iterations);
  }
  double sum = 0;
  for (int it = 0; it < options_.iterations_per_epoch; ++it) {
    sum += TrainStep(source->Train(static_cast<int64_t>(epoch_) * options_.iterations_per_epoch + it));
    if (bar) {
      bar->SetDetail("loss " + std::to_string(sum / (it + 1)).substr(0, 7));
      bar->Update(it + 1);
    }
  }
  log.train_loss = sum / std::max(1, options_.iterations_per_epoch);
  std::vector<double> tp, fp, fn;
  sum = 0;
  for (int it = 0; it < options_.val_iterations; ++it) {
    sum += ValidationStep(source->Validation(static_cast<int64_t>(epoch_) * options_.val_iterations + it),
                          &tp, &fp, &fn);
    if (bar) bar->Update(options_.iterations_per_epoch + it + 1);
  }
  log.val_loss = options_.val_iterations ? sum / options_.val_iterations
                                         : std::numeric_limits<double>::quiet_NaN();
  double dice_sum = 0;
  int dice_n = 0;
  for (size_t c = 0; c < tp.size(); ++c) {
    double denom = 2 * tp[c] + fp[c] + fn[c];
    double d = denom > 0 ? 2 * tp[c] / denom : std::numeric_limits<double>::quiet_NaN();
    log.dice_per_class.push_back(d);
    if (std::isfinite(d)) dice_sum += d, ++dice_n;
  }
  log.mean_fg_dice = dice_n ? dice_sum / dice_n : std::numeric_limits<double>::quiet_NaN();
  double prev = logs_.empty() ? std::numeric_limits<double>::quiet_NaN() : logs_.back().ema_fg_dice;
  log.ema_fg_dice = std::isfinite(prev) ? 0.9 * prev + 0.1 * log.mean_fg_dice : log.mean_fg_dice;
  log.seconds = Now() - start;
  log.data_wait_share = log.seconds > 0 ? (source->WaitSeconds() - wait_start) / log.seconds : 0;
  return log;
}

Status Trainer::Run(BatchSource* source, const std::string& fold_dir, bool resume,
                    const nlohmann::json& meta) {
  const std::string latest = fold_dir + "/checkpoint_latest.pt";
  const std::string final_path = fold_dir + "/checkpoint_final.pt";
  if (resume && PathExists(final_path)) {
    AMDRN_LOG(Info) << "training of " << fold_dir << " already finished; nothing to resume";
    return OkStatus();
  }
  if (resume && PathExists(latest)) {
    AMDRN_ASSIGN_OR_RETURN(Checkpoint ckpt, LoadCheckpoint(latest));
    AMDRN_RETURN_IF_ERROR(FromCheckpoint(ckpt));
    AMDRN_LOG(Info) << "resuming " << fold_dir << " after epoch " << epoch_;
  }
  AMDRN_RETURN_IF_ERROR(MakeDirectories(fold_dir));
  int run_epochs = 0;
  while (epoch_ < options_.num_epochs) {
    if (options_.stop_after_epochs > 0 && run_epochs >= options_.stop_after_epochs) {
      return OkStatus();
    }
    EpochLog log;
    try {
      log = RunEpoch(source);
    } catch (const std::exception& e) {
      std::string what = e.what();
      return InternalError("training epoch " + std::to_string(epoch_) +
                           " failed: " + what.substr(0, what.find('\n')));
    }
    logs_.push_back(log);
    ++epoch_;
    ++run_epochs;
    bool improved = std::isfinite(log.ema_fg_dice) && log.ema_fg_dice > best_ema_;
    if (improved) best_ema_ = log.ema_fg_dice;
    if (!options_.quiet) {
      char line[256];
      std::snprintf(line, sizeof(line),
                    "epoch %d/%d: train loss %.4f, val loss %.4f, pseudo Dice %s, EMA %.4f%s, "
                    "lr %.5f, %.1f s, data wait %.1f %%",
                    epoch_, options_.num_epochs, log.train_loss, log.val_loss,
                    FormatDice(log.dice_per_class).c_str(), log.ema_fg_dice,
                    improved ? " (best)" : "", log.lr, log.seconds, 100 * log.data_wait_share);
      AMDRN_LOG(Info) << line;
    }
    Checkpoint ckpt = ToCheckpoint(meta);
    if (improved) AMDRN_RETURN_IF_ERROR(SaveCheckpoint(ckpt, fold_dir + "/checkpoint_best.pt"));
    AMDRN_RETURN_IF_ERROR(SaveCheckpoint(ckpt, latest));
  }
  AMDRN_RETURN_IF_ERROR(SaveCheckpoint(ToCheckpoint(meta), final_path));
  std::remove(latest.c_str());
  return OkStatus();
}

Checkpoint Trainer::ToCheckpoint(const nlohmann::json& meta) const {
  Checkpoint ckpt;
  ckpt.weights = net_->StateDict();
  const auto& params = net_->named_parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    if (momentum_[i].defined()) ckpt.momentum[params[i].first] = momentum_[i];
  }
  ckpt.meta = meta;
  ckpt.meta["epoch"] = epoch_;
  ckpt.meta["best_ema"] = best_ema_;
  ckpt.meta["architecture"] = NetworkSpecToArchitecture(net_->spec());
  nlohmann::json logs = nlohmann::json::array();
  for (const auto& log : logs_) logs.push_back(EpochLogToJson(log));
  ckpt.meta["logs"] = logs;
  return ckpt;
}

Status Trainer::FromCheckpoint(const Checkpoint& checkpoint) {
  AMDRN_RETURN_IF_ERROR(net_->LoadStateDict(checkpoint.weights));
  const auto& params = net_->named_parameters();
  momentum_.assign(params.size(), at::Tensor());
  for (size_t i = 0; i < params.size(); ++i) {
    auto it = checkpoint.momentum.find(params[i].first);
    if (it == checkpoint.momentum.end()) continue;
    if (it->second.sizes() != params[i].second.sizes()) {
      return InvalidArgumentError("momentum buffer of " + params[i].first +
                                  " does not match the parameter's shape");
    }
    momentum_[i] = it->second.clone();
  }
  epoch_ = checkpoint.meta.value("epoch", 0);
  best_ema_ = checkpoint.meta.value("best_ema", -1.0);
  logs_.clear();
  for (const auto& log : checkpoint.meta.value("logs", nlohmann::json::array())) {
    logs_.push_back(EpochLogFromJson(log));
  }
  return OkStatus();
}

}  // namespace amdrn::seg
