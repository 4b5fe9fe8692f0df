// TrainKFold (declared in trainer.h): the out-of-fold scheme around FitOne.
#include <algorithm>
#include <cmath>
#include <random>

#include "core/csv.h"
#include "core/file_util.h"
#include "core/logging.h"
#include "dl/score_model.h"
#include "dl/trainer.h"

namespace amdrn::dl {
namespace {

std::string FoldPath(const std::string& dir, int fold, const std::string& suffix) {
  return dir + "/fold_" + std::to_string(fold) + suffix;
}

// Stratified split of `pool` into training and early-stopping validation cases.
void SplitValidation(const std::vector<const TrainCase*>& pool, double fraction, uint64_t seed,
                     std::vector<const TrainCase*>* train, std::vector<const TrainCase*>* val) {
  std::mt19937_64 rng(seed);
  for (int label : {0, 1}) {
    std::vector<const TrainCase*> group;
    for (const TrainCase* t : pool) {
      if (t->label == label) group.push_back(t);
    }
    std::shuffle(group.begin(), group.end(), rng);
    size_t n_val = static_cast<size_t>(std::lround(fraction * group.size()));
    if (group.size() >= 2) n_val = std::clamp<size_t>(n_val, 1, group.size() - 1);
    for (size_t i = 0; i < group.size(); ++i) (i < n_val ? val : train)->push_back(group[i]);
  }
}

nlohmann::json FoldSummary(const FitResult& r) {
  return {{"epochs_run", r.epochs_run}, {"best_epoch", r.best_epoch},
          {"best_val_auc", r.best_val_auc}};
}

Status WriteTrainLog(const std::vector<FitResult>& folds, const std::string& path) {
  CsvTable table({"fold", "epoch", "lr", "train_loss", "val_loss", "val_auc", "samples_per_s"});
  for (const FitResult& r : folds) {
    for (const EpochLog& e : r.log) {
      AMDRN_RETURN_IF_ERROR(table.AddRow(
          {std::to_string(e.fold), std::to_string(e.epoch), FormatDouble(e.lr),
           FormatDouble(e.train_loss), FormatDouble(e.val_loss), FormatDouble(e.val_auc),
           FormatDouble(e.samples_per_s)}));
    }
  }
  return WriteCsv(path, table);
}

// Scores the held-out cases of one fold with that fold's best weights.
Status ScoreHeldOut(const std::vector<const TrainCase*>& held_out, const DlConfig& config,
                    int fold, const std::string& weights, std::vector<OofScore>* oof) {
  AMDRN_ASSIGN_OR_RETURN(ScoreModel model, ScoreModel::FromWeights(config, {weights}));
  for (const TrainCase* t : held_out) {
    AMDRN_ASSIGN_OR_RETURN(double logit, model.PredictLogit(t->roi));
    oof->push_back({t->case_id, fold, t->label, logit, Sigmoid(logit)});
  }
  return OkStatus();
}

// A fold finished by an earlier run: its summary and log from fold_<f>.json.
StatusOr<FitResult> ReadFinishedFold(const std::string& path) {
  AMDRN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.contains("best_epoch")) {
    return DataLossError("expected a fold summary in " + path + ", could not parse it");
  }
  FitResult r;
  r.finished = true;
  r.epochs_run = j.value("epochs_run", 0);
  r.best_epoch = j.value("best_epoch", 0);
  r.best_val_auc = j.value("best_val_auc", 0.0);
  for (const auto& e : j.value("log", nlohmann::json::array())) {
    r.log.push_back({e[0].get<int>(), e[1].get<int>(), e[2].get<double>(), e[3].get<double>(),
                     e[4].get<double>(), e[5].is_null() ? std::nan("") : e[5].get<double>(),
                     e[6].get<double>()});
  }
  return r;
}

Status WriteFinishedFold(const FitResult& r, const std::string& path) {
  nlohmann::json j = FoldSummary(r);
  nlohmann::json log = nlohmann::json::array();
  for (const EpochLog& e : r.log) {
    log.push_back({e.fold, e.epoch, e.lr, e.train_loss, e.val_loss,
                   std::isnan(e.val_auc) ? nlohmann::json() : nlohmann::json(e.val_auc),
                   e.samples_per_s});
  }
  j["log"] = log;
  return WriteFileAtomic(path, j.dump(1) + "\n");
}

}  // namespace

StatusOr<KFoldResult> TrainKFold(const std::vector<TrainCase>& cases, const DlConfig& config,
                                 const std::string& model_dir, bool resume) {
  AMDRN_RETURN_IF_ERROR(config.train.Validate());
  const int k = config.train.folds;
  std::vector<int> labels;
  for (const TrainCase& c : cases) labels.push_back(c.label);
  const std::vector<int> fold_of = AssignFolds(labels, k, config.train.seed);
  AMDRN_RETURN_IF_ERROR(MakeDirectories(model_dir));
  nlohmann::json model_json = ToJson(config);
  model_json["format"] = "amdrn-dl-score/1";
  AMDRN_RETURN_IF_ERROR(WriteFileAtomic(model_dir + "/model.json", model_json.dump(1) + "\n"));

  KFoldResult result;
  for (int f = 0; f < k; ++f) {
    std::vector<const TrainCase*> pool, held_out, train, val;
    for (size_t i = 0; i < cases.size(); ++i)
      (fold_of[i] == f ? held_out : pool).push_back(&cases[i]);
    SplitValidation(pool, config.train.val_fraction, config.train.seed * 31 + f, &train, &val);
    const std::string weights = FoldPath(model_dir, f, ".pt");
    const std::string summary = FoldPath(model_dir, f, ".json");
    FitResult fit;
    if (resume && PathExists(weights) && PathExists(summary)) {
      AMDRN_ASSIGN_OR_RETURN(fit, ReadFinishedFold(summary));
      AMDRN_LOG(Info) << "dl fold " << f + 1 << "/" << k << ": already trained, kept";
    } else {
      AMDRN_ASSIGN_OR_RETURN(
          fit, FitOne(train, val, config, f, FoldPath(model_dir, f, ".ckpt"), weights, resume));
      if (fit.finished) AMDRN_RETURN_IF_ERROR(WriteFinishedFold(fit, summary));
    }
    result.folds.push_back(fit);
    model_json["folds"][f] = FoldSummary(fit);
    if (!fit.finished) {
      AMDRN_RETURN_IF_ERROR(WriteTrainLog(result.folds, model_dir + "/train_log.csv"));
      AMDRN_LOG(Warn) << "dl fold " << f + 1 << " stopped by its budget after epoch "
                      << fit.epochs_run << "; rerun with --resume to continue";
      return result;
    }
    AMDRN_RETURN_IF_ERROR(ScoreHeldOut(held_out, config, f, weights, &result.oof));
  }
  std::stable_sort(result.oof.begin(), result.oof.end(), [&](const OofScore& a, const OofScore& b) {
    return a.case_id < b.case_id;
  });
  AMDRN_RETURN_IF_ERROR(WriteTrainLog(result.folds, model_dir + "/train_log.csv"));
  AMDRN_RETURN_IF_ERROR(WriteOofScores(result.oof, model_dir + "/oof_scores.csv"));
  AMDRN_RETURN_IF_ERROR(WriteFileAtomic(model_dir + "/model.json", model_json.dump(1) + "\n"));
  result.finished = true;
  return result;
}

}  // namespace amdrn::dl
