// Training the DL score: one network with early stopping on a validation AUC (FitOne), and the
// k-fold scheme that gives every training case an out-of-fold score from a model that never
// saw it (TrainKFold). Checkpoints are written atomically after every epoch and `resume`
// continues an interrupted run to the same weights as an uninterrupted one (CPU, same thread
// count). No LibTorch in this header. Not thread-safe: one training per process at a time.
#ifndef AMDRN_DL_TRAINER_H_
#define AMDRN_DL_TRAINER_H_

#include <string>
#include <vector>

#include "core/status.h"
#include "dl/config.h"
#include "dl/roi.h"

namespace amdrn::dl {

struct TrainCase {
  std::string case_id;
  int label = 0;  // 1 = implant failure
  RoiSample roi;
};

struct EpochLog {
  int fold = 0;
  int epoch = 0;  // 1-based
  double lr = 0;  // at the epoch's first step
  double train_loss = 0;
  double val_loss = 0;
  double val_auc = 0;  // NaN if the validation set has one class only
  double samples_per_s = 0;
};

struct FitResult {
  bool finished = false;  // false: stopped by a budget cap; the checkpoint allows --resume
  int epochs_run = 0;     // epochs completed in total (across resumes)
  int best_epoch = 0;
  double best_val_auc = 0;
  std::vector<EpochLog> log;
};

// Trains on `train` with early stopping on `val` (both non-empty, both classes in `train`).
// Writes `checkpoint_path` after each epoch; when finished writes the best weights to
// `weights_path`. With `resume` and an existing checkpoint, continues from it.
StatusOr<FitResult> FitOne(const std::vector<const TrainCase*>& train,
                           const std::vector<const TrainCase*>& val, const DlConfig& config,
                           int fold, const std::string& checkpoint_path,
                           const std::string& weights_path, bool resume);

// Stratified assignment of cases to k folds, deterministic for a seed: returns fold per case.
std::vector<int> AssignFolds(const std::vector<int>& labels, int k, uint64_t seed);

struct OofScore {
  std::string case_id;
  int fold = 0;
  int label = 0;
  double logit = 0;
  double probability = 0;
};

struct KFoldResult {
  bool finished = false;
  std::vector<OofScore> oof;  // complete only when finished
  std::vector<FitResult> folds;
};

// k-fold training into `model_dir`: model.json, fold_<f>.pt (weights), fold_<f>.ckpt
// (checkpoint), fold_<f>.json (summary), train_log.csv and oof_scores.csv. With `resume`,
// finished folds are kept and an interrupted one continues.
StatusOr<KFoldResult> TrainKFold(const std::vector<TrainCase>& cases, const DlConfig& config,
                                 const std::string& model_dir, bool resume);

// Writes case_id, fold, label, dl_logit, dl_probability (atomic).
Status WriteOofScores(const std::vector<OofScore>& scores, const std::string& path);

}  // namespace amdrn::dl

#endif  // AMDRN_DL_TRAINER_H_
