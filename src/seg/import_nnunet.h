// Import of a trained nnU-Net v2 model folder (plans.json, dataset.json,
// fold_X/checkpoint_final.pth, optional crossval_results_folds_*/postprocessing.json) into
// an amdrn model folder (checkpoint.h). The .pth files are read in C++ (torch_pickle.h), so
// no Python is needed; the weights are validated against the network the plans describe.
// Thread-safe.
#ifndef AMDRN_SEG_IMPORT_NNUNET_H_
#define AMDRN_SEG_IMPORT_NNUNET_H_

#include <ATen/core/Tensor.h>

#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "seg/checkpoint.h"

namespace amdrn::seg {

// What amdrn uses from an nnU-Net checkpoint.
struct NnunetCheckpoint {
  std::map<std::string, at::Tensor> weights;  // network_weights, every name as stored
  std::vector<int> mirror_axes;               // inference_allowed_mirroring_axes
  std::string trainer_name;
  std::string configuration;                  // init_args.configuration, if present
  int64_t current_epoch = -1;
};

// NotFound / DataLoss (unreadable archive) / InvalidArgument (no network_weights).
StatusOr<NnunetCheckpoint> ReadNnunetCheckpoint(const std::string& path);

struct ImportOptions {
  std::vector<int> folds;                             // empty: every fold_<k> that has the file
  std::string checkpoint_file = "checkpoint_final.pth";
  std::string configuration;                          // empty: from the checkpoint
};

// Converts `nnunet_dir` into `model_dir` (created; existing files replaced). Returns the
// written model.json contents. NotFound for missing files; InvalidArgument when the weights
// do not fit the plans' network (e.g. a custom trainer architecture); Unimplemented for
// region-based or 2D models.
StatusOr<ModelInfo> ImportNnunetModel(const std::string& nnunet_dir, const std::string& model_dir,
                                      const ImportOptions& options = {});

}  // namespace amdrn::seg

#endif  // AMDRN_SEG_IMPORT_NNUNET_H_
