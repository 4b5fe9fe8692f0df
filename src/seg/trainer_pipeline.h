// `amdrn seg train` end to end: preprocessed cases (preprocess.h) -> cross-validation split
// (splits_final.json) -> batches from background threads (data_loader.h's GenerateBatch,
// deterministic per batch index) -> Trainer -> amdrn model folder (checkpoint.h), then the
// final sliding-window validation of each fold and the choice of largest-component
// post-processing on the cross-validation predictions (nnU-Net's rule). Not thread-safe.
#ifndef AMDRN_SEG_TRAINER_PIPELINE_H_
#define AMDRN_SEG_TRAINER_PIPELINE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace amdrn::seg {

struct TrainRunOptions {
  std::string preprocessed_dir;        // holds <data_identifier>/, gt_segmentations/, ...
  std::string plans_path;              // empty: <preprocessed_dir>/nnUNetPlans.json
  std::string dataset_json_path;       // empty: <preprocessed_dir>/dataset.json
  std::string configuration = "3d_fullres";
  std::string model_dir;
  std::vector<int> folds = {0};        // -1 = "all": train on every case, validate on them
  int num_folds = 5;
  // Budget overrides; <= 0 takes the plans' amdrn_training_budget (nnU-Net: 1000/250/50).
  int epochs = 0, iterations_per_epoch = 0, val_iterations = 0;
  int stop_after_epochs = 0;           // > 0: stop this run early (resume later)
  bool resume = false;
  uint64_t seed = 0;
  int data_threads = 1;                // background batch producers
  bool final_validation = true;        // sliding-window validation of the fold's val cases
  bool bf16 = false;                   // mixed-precision training (UNet::SetMixedPrecisionTraining)
  bool quiet = false;
};

// Trains the requested folds. Writes model_dir/{plans.json,dataset.json,model.json} and
// fold_<k>/{checkpoint_*.pt,validation/,summary.json}.
Status TrainModel(const TrainRunOptions& options);

// Chooses post-processing from each fold's validation predictions against the references
// in <preprocessed_dir>/gt_segmentations and records it in model.json.
Status DeterminePostprocessing(const std::string& model_dir, const std::string& gt_dir);

}  // namespace amdrn::seg

#endif  // AMDRN_SEG_TRAINER_PIPELINE_H_
