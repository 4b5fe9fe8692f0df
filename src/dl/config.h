// Settings of the DL score: network shape, training recipe and augmentation, each with its
// default, plus their JSON form stored in a model folder's model.json. No LibTorch here.
// Thread-compatible plain structs.
#ifndef AMDRN_DL_CONFIG_H_
#define AMDRN_DL_CONFIG_H_

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "dl/roi.h"

namespace amdrn::dl {

enum class Attention { kCbam, kSe, kNone };

// 3D ResNet with attention in every residual block (see docs/dl-score.md).
struct NetConfig {
  int depth = 10;          // 10 (blocks 1-1-1-1) or 18 (2-2-2-2), BasicBlock
  int base_width = 16;     // channels of stage 1; stages use w, 2w, 4w, 8w
  int in_channels = 4;     // CBCT + MS, SM, RAB masks
  Attention attention = Attention::kCbam;
  int reduction = 8;       // channel-attention MLP: C -> max(C / reduction, 4) -> C
  int stem_kernel = 7;     // stem conv kernel (MONAI default 7)
  int stem_stride = 2;     // stem conv stride (56^3 input -> 28^3)
  bool stem_max_pool = false;  // 3x3x3 max-pool after the stem (MONAI default true)
  double dropout = 0.2;    // before the final linear layer
  int cam_stage = 4;       // Grad-CAM target: output of stage 3 or 4

  Status Validate() const;
};

enum class Loss { kWeightedBce, kFocal };

struct AugmentOptions {
  double rotate_deg = 10.0;       // uniform +-, about each axis
  double scale = 0.10;            // isotropic zoom in [1 - s, 1 + s]
  double shift_mm = 2.0;          // translation, uniform +- per axis
  double intensity_scale = 0.10;  // CBCT channel * U[1 - a, 1 + a]
  double intensity_shift = 0.10;  // CBCT channel + U[-b, b] (z-score units)
  double noise_sd = 0.05;         // Gaussian noise on the CBCT channel
  bool flip_lr = false;           // left-right mirror: off, the side carries anatomy
};

struct TrainOptions {
  int epochs = 40;
  int batch_size = 8;
  double lr = 1e-3;            // AdamW peak rate, cosine-annealed per step to 0
  double weight_decay = 1e-2;  // AdamW default
  Loss loss = Loss::kWeightedBce;  // BCE with pos_weight = #neg / #pos, or focal
  double focal_gamma = 2.0;
  double focal_alpha = 0.25;
  int patience = 10;           // epochs without a better validation AUC before stopping
  double val_fraction = 0.2;   // stratified share of each training set used for early stopping
  int folds = 5;               // k of the out-of-fold scheme
  uint64_t seed = 1;
  AugmentOptions augment;
  // Budget caps (0 = none). A capped run stops after its current epoch and leaves a
  // checkpoint, so --resume continues it; time caps make results depend on machine speed.
  int stop_after_epochs = 0;   // epochs run in this invocation (per fold)
  double time_budget_s = 0;    // wall-clock seconds per fold in this invocation

  Status Validate() const;
};

// Everything a trained model folder needs to reproduce its inputs.
struct DlConfig {
  RoiOptions roi;
  NetConfig net;
  TrainOptions train;
};

nlohmann::json ToJson(const DlConfig& config);
// InvalidArgument naming the first bad or missing field.
StatusOr<DlConfig> DlConfigFromJson(const nlohmann::json& json);

const char* AttentionName(Attention attention);
StatusOr<Attention> ParseAttention(const std::string& text);  // "cbam", "se", "none"
const char* LossName(Loss loss);
StatusOr<Loss> ParseLoss(const std::string& text);  // "bce", "focal"

}  // namespace amdrn::dl

#endif  // AMDRN_DL_CONFIG_H_
