// Training as nnU-Net v2's nnUNetTrainer: deep-supervision Dice + cross-entropy loss
// (soft Dice on softmax without background, smooth 1e-5, batch Dice per plans; output
// weights 1/2^i normalised with the lowest resolution dropped), SGD with Nesterov momentum
// 0.99 and weight decay 3e-5, poly learning rate (exponent 0.9, set per epoch), gradient
// clipping at norm 12, validation pseudo Dice from hard TP/FP/FN and its EMA (0.9/0.1),
// checkpoint_latest after every epoch, checkpoint_best when the EMA improves and
// checkpoint_final at the end, all atomic, and resume from checkpoint_latest.
// Batches come from a BatchSource indexed by batch number, so a resumed run sees exactly
// the batches the interrupted one would have. Not thread-safe: one Trainer per thread.
#ifndef AMDRN_SEG_TRAINER_H_
#define AMDRN_SEG_TRAINER_H_

#include <ATen/core/Tensor.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "seg/checkpoint.h"
#include "seg/network.h"

namespace amdrn::seg {

struct TrainerOptions {
  int num_epochs = 1000;
  int iterations_per_epoch = 250;
  int val_iterations = 50;
  double initial_lr = 1e-2;
  double momentum = 0.99;
  double weight_decay = 3e-5;
  double poly_exponent = 0.9;
  double grad_clip_norm = 12.0;
  bool batch_dice = false;      // from the plans' configuration
  double dice_smooth = 1e-5;
  bool deep_supervision = true;
  int stop_after_epochs = 0;    // > 0: return after this many epochs in this run (budgeting)
  bool quiet = false;           // no progress bar or per-epoch log line
};

// One batch: data (B, C, d0, d1, d2) float32, seg (B, d0, d1, d2) int64 labels.
struct TrainBatch {
  at::Tensor data;
  at::Tensor seg;
};

// Deterministic batches by index. Implementations may prefetch in background threads.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual TrainBatch Train(int64_t index) = 0;
  virtual TrainBatch Validation(int64_t index) = 0;
  // Seconds the trainer spent blocked waiting for batches so far.
  virtual double WaitSeconds() const { return 0; }
};

struct EpochLog {
  int epoch = 0;  // 0-based
  double lr = 0, train_loss = 0, val_loss = 0;
  std::vector<double> dice_per_class;  // foreground classes, pseudo Dice (NaN if absent)
  double mean_fg_dice = 0, ema_fg_dice = 0;
  double seconds = 0, data_wait_share = 0;
};

nlohmann::json EpochLogToJson(const EpochLog& log);
EpochLog EpochLogFromJson(const nlohmann::json& json);

// The deep-supervision loss weights for `n` outputs (highest resolution first).
std::vector<double> DeepSupervisionWeights(int n);
// nnU-Net's DC_and_CE_loss for one output: CE + (-soft Dice). `target` int64 (B, spatial).
at::Tensor DiceCeLoss(const at::Tensor& logits, const at::Tensor& target, bool batch_dice,
                      double smooth = 1e-5);

class Trainer {
 public:
  // `net` must outlive the Trainer; its parameters are trained in place.
  Trainer(UNet* net, TrainerOptions options);

  // Trains until options.num_epochs (or stop_after_epochs in this run), writing checkpoints
  // into `fold_dir`. With `resume`, continues from fold_dir/checkpoint_latest.pt (or returns
  // at once if checkpoint_final.pt exists). `meta` is stored in every checkpoint.
  Status Run(BatchSource* source, const std::string& fold_dir, bool resume,
             const nlohmann::json& meta = nlohmann::json::object());

  // One SGD step on a batch; returns the loss. lr as set by SetLearningRate.
  double TrainStep(const TrainBatch& batch);
  // Validation loss of a batch; adds hard TP/FP/FN per foreground class to the counters.
  double ValidationStep(const TrainBatch& batch, std::vector<double>* tp, std::vector<double>* fp,
                        std::vector<double>* fn);
  void SetLearningRate(double lr) { lr_ = lr; }
  double PolyLearningRate(int epoch) const;

  Checkpoint ToCheckpoint(const nlohmann::json& meta) const;
  // Restores weights, momentum, epoch, EMA and logs. InvalidArgument on mismatching tensors.
  Status FromCheckpoint(const Checkpoint& checkpoint);

  int epoch() const { return epoch_; }  // completed epochs
  double best_ema() const { return best_ema_; }
  const std::vector<EpochLog>& logs() const { return logs_; }

 private:
  EpochLog RunEpoch(BatchSource* source);
  std::vector<at::Tensor> Targets(const at::Tensor& seg, size_t n_outputs) const;
  at::Tensor Loss(const std::vector<at::Tensor>& outputs, const at::Tensor& seg) const;
  void SgdStep();

  UNet* net_;
  TrainerOptions options_;
  std::vector<at::Tensor> momentum_;  // parallel to net_->named_parameters()
  double lr_;
  int epoch_ = 0;
  double best_ema_ = -1;
  std::vector<EpochLog> logs_;
};

}  // namespace amdrn::seg

#endif  // AMDRN_SEG_TRAINER_H_
