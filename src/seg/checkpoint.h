// amdrn segmentation model folders and checkpoints.
//
// A model folder holds nnU-Net's plans.json and dataset.json, model.json (amdrn: which
// configuration, folds, mirror axes, post-processing) and fold_<k>/checkpoint_final.pt.
// A checkpoint is a torch.save-compatible zip (written by torch::pickle_save, readable by
// Python's torch.load) holding a dict: "format", "version", "network_weights" (nnU-Net's
// canonical parameter names), "optimizer_momentum" (SGD buffers by parameter name) and
// "meta" (JSON text: architecture, epoch, logs, EMA, ...). Writes are atomic. Thread-safe.
#ifndef AMDRN_SEG_CHECKPOINT_H_
#define AMDRN_SEG_CHECKPOINT_H_

#include <ATen/core/Tensor.h>

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace amdrn::seg {

inline constexpr char kCheckpointFormat[] = "amdrn-seg-checkpoint";
inline constexpr int kCheckpointVersion = 1;
inline constexpr char kModelFormat[] = "amdrn-seg-model";

struct Checkpoint {
  std::map<std::string, at::Tensor> weights;
  std::map<std::string, at::Tensor> momentum;  // empty in inference-only checkpoints
  nlohmann::json meta = nlohmann::json::object();
};

// Writes `checkpoint` to `path` atomically (temporary file + rename).
Status SaveCheckpoint(const Checkpoint& checkpoint, const std::string& path);
// NotFound if `path` is missing; DataLoss naming the file if it is not an amdrn checkpoint
// (truncated, another format, or written by a newer amdrn).
StatusOr<Checkpoint> LoadCheckpoint(const std::string& path);

// model.json of a model folder.
struct ModelInfo {
  std::string configuration = "3d_fullres";
  std::vector<int> folds;
  std::vector<int> mirror_axes = {0, 1, 2};  // array axes TTA may flip
  std::string source = "amdrn";              // "amdrn" or "nnU-Net import"
  std::string checkpoint_name = "checkpoint_final.pt";
  // Post-processing chosen on cross-validation: labels (foreground values) for which only
  // the largest connected component is kept; `postprocess_foreground` applies it first to
  // the union of all foreground labels. Empty: none.
  bool postprocess_foreground = false;
  std::vector<int> postprocess_labels;
  nlohmann::json extra = nlohmann::json::object();  // provenance (trainer, budget, ...)
};

nlohmann::json ModelInfoToJson(const ModelInfo& info);
StatusOr<ModelInfo> ModelInfoFromJson(const nlohmann::json& json);
// NotFound / InvalidArgument naming model.json.
StatusOr<ModelInfo> ReadModelInfo(const std::string& model_dir);
Status WriteModelInfo(const ModelInfo& info, const std::string& model_dir);

std::string FoldDir(const std::string& model_dir, int fold);

}  // namespace amdrn::seg

#endif  // AMDRN_SEG_CHECKPOINT_H_
