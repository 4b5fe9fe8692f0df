// Prediction with an amdrn segmentation model folder (checkpoint.h): nnU-Net v2's
// predict_from_raw_data for one case: preprocess (preprocess.h), sliding window per fold
// (sliding_window.h) with optional mirroring TTA, average the folds' logits, map back to
// the input geometry (linear resampling of the logits, argmax, un-crop, un-transpose),
// optional largest-component post-processing. A Predictor is thread-compatible: one case
// at a time per Predictor (the network parallelises inside each layer). The network runs on
// the fused oneDNN engine (fused_unet.h) by default, or eagerly through LibTorch.
#ifndef AMDRN_SEG_PREDICTOR_H_
#define AMDRN_SEG_PREDICTOR_H_

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/volume.h"
#include "seg/checkpoint.h"
#include "seg/fused_unet.h"
#include "seg/network.h"
#include "seg/plans.h"
#include "seg/preprocess.h"

namespace amdrn::seg {

// What a model's plans and dataset.json say about its network and outputs.
struct SegModelDescription {
  Plans plans;
  Configuration config;
  NetworkSpec spec;
  int num_channels = 1;
  int num_classes = 2;                    // background included
  std::vector<std::string> label_names;   // by label value
  std::string file_ending = ".nii.gz";
};

// Parses plans.json and dataset.json text. InvalidArgument for malformed files; NotFound
// for an unknown configuration; Unimplemented for region-based labels or 2D configurations.
StatusOr<SegModelDescription> DescribeModel(const std::string& plans_json,
                                            const std::string& dataset_json,
                                            const std::string& configuration);
// The network spec of a plans configuration.
NetworkSpec NetworkSpecFromPlans(const ArchitectureSpec& arch, int input_channels,
                                 int num_classes);

// Which implementation runs the network's forward pass.
enum class InferenceEngine {
  kOneDnn,    // FusedUNet: oneDNN primitives + fused instance norm (the default)
  kLibTorch,  // UNet::Forward, eager LibTorch operators
};

struct PredictOptions {
  std::vector<int> folds;           // empty: all folds of the model
  double step = 0.5;                // sliding-window step as a fraction of the patch
  bool mirror_tta = false;          // mirroring test-time augmentation (x8 for 3 axes)
  Precision precision = Precision::kFloat32;
  InferenceEngine engine = InferenceEngine::kOneDnn;
  bool postprocess = true;          // apply the model's largest-component rules
};

struct CaseTiming {
  double preprocess_s = 0, network_s = 0, export_s = 0;
  int64_t tiles = 0;
};

class Predictor {
 public:
  // Reads `model_dir`. NotFound / DataLoss / InvalidArgument name the offending file.
  static StatusOr<std::unique_ptr<Predictor>> Load(const std::string& model_dir,
                                                   const PredictOptions& options);
  ~Predictor();

  const SegModelDescription& description() const { return desc_; }
  const ModelInfo& info() const { return info_; }

  // Labels on the channels' geometry. FailedPrecondition if the channel count differs from
  // the model's.
  StatusOr<LabelMap> Predict(const std::vector<ImageF>& channels, CaseTiming* timing = nullptr);

  // Fold-averaged logits (K, d0, d1, d2) for an already preprocessed array (C, d0, d1, d2).
  StatusOr<at::Tensor> PredictLogits(const at::Tensor& preprocessed, int64_t* tiles = nullptr);

 private:
  Predictor() = default;

  SegModelDescription desc_;
  ModelInfo info_;
  PredictOptions options_;
  // One per fold: the eager network (null with the oneDNN engine) and the fused engine
  // (empty with the LibTorch engine).
  std::vector<std::unique_ptr<UNet>> nets_;
  std::vector<std::unique_ptr<FusedUNet>> fused_;
};

// Keeps only the largest 26-connected component of the voxels where `mask(label)` holds
// (ties: all largest kept); removed voxels become 0. `label` < 0 means all foreground.
void KeepLargestComponent(LabelMap* labels, int label);
// Applies the rules of `info` (foreground union first, then per label).
void ApplyPostprocessing(const ModelInfo& info, LabelMap* labels);

}  // namespace amdrn::seg

#endif  // AMDRN_SEG_PREDICTOR_H_
