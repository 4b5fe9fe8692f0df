#include "dl/config.h"

#include <string>

namespace amdrn::dl {
namespace {

using nlohmann::json;

template <typename T>
Status Read(const json& object, const char* key, T* value) {
  if (!object.is_object() || !object.contains(key)) {
    return InvalidArgumentError(std::string("expected field '") + key +
                                "' in the DL model configuration, found none");
  }
  try {
    *value = object.at(key).get<T>();
  } catch (const json::exception& e) {
    return InvalidArgumentError(std::string("expected a value of the right type for '") + key +
                                "' in the DL model configuration: " + e.what());
  }
  return OkStatus();
}

}  // namespace

Status NetConfig::Validate() const {
  if (depth != 10 && depth != 18) {
    return InvalidArgumentError("expected network depth 10 or 18, found " + std::to_string(depth));
  }
  if (base_width < 1 || in_channels < 1 || reduction < 1) {
    return InvalidArgumentError("expected positive network width, input channels and reduction");
  }
  if (stem_kernel < 1 || stem_kernel % 2 == 0 || stem_stride < 1 || stem_stride > 4) {
    return InvalidArgumentError("expected an odd stem kernel and a stem stride of 1 to 4, found " +
                                std::to_string(stem_kernel) + " and " +
                                std::to_string(stem_stride));
  }
  if (cam_stage != 3 && cam_stage != 4) {
    return InvalidArgumentError("expected Grad-CAM stage 3 or 4, found " +
                                std::to_string(cam_stage));
  }
  if (dropout < 0 || dropout >= 1) {
    return InvalidArgumentError("expected dropout in [0, 1), found " + std::to_string(dropout));
  }
  return OkStatus();
}

Status TrainOptions::Validate() const {
  if (epochs < 1 || batch_size < 2) {
    return InvalidArgumentError("expected at least 1 epoch and a batch size of at least 2, found " +
                                std::to_string(epochs) + " and " + std::to_string(batch_size));
  }
  if (!(lr > 0) || weight_decay < 0) {
    return InvalidArgumentError("expected a positive learning rate and non-negative weight decay");
  }
  if (folds < 2 || folds > 20) {
    return InvalidArgumentError("expected 2 to 20 folds, found " + std::to_string(folds));
  }
  if (!(val_fraction > 0 && val_fraction < 0.5)) {
    return InvalidArgumentError("expected a validation fraction in (0, 0.5), found " +
                                std::to_string(val_fraction));
  }
  if (patience < 1) return InvalidArgumentError("expected patience of at least 1 epoch");
  return OkStatus();
}

const char* AttentionName(Attention attention) {
  switch (attention) {
    case Attention::kCbam: return "cbam";
    case Attention::kSe: return "se";
    case Attention::kNone: return "none";
  }
  return "none";
}

StatusOr<Attention> ParseAttention(const std::string& text) {
  if (text == "cbam") return Attention::kCbam;
  if (text == "se") return Attention::kSe;
  if (text == "none") return Attention::kNone;
  return InvalidArgumentError("expected attention cbam, se or none, found '" + text + "'");
}

const char* LossName(Loss loss) { return loss == Loss::kFocal ? "focal" : "bce"; }

StatusOr<Loss> ParseLoss(const std::string& text) {
  if (text == "bce") return Loss::kWeightedBce;
  if (text == "focal") return Loss::kFocal;
  return InvalidArgumentError("expected loss bce or focal, found '" + text + "'");
}

nlohmann::json ToJson(const DlConfig& c) {
  const AugmentOptions& a = c.train.augment;
  return json{
      {"roi", {{"box_mm", c.roi.box_mm}, {"voxel_mm", c.roi.voxel_mm},
               {"floor_search_radius_mm", c.roi.floor_search_radius_mm}}},
      {"net", {{"depth", c.net.depth}, {"base_width", c.net.base_width},
               {"in_channels", c.net.in_channels}, {"attention", AttentionName(c.net.attention)},
               {"reduction", c.net.reduction}, {"stem_kernel", c.net.stem_kernel},
               {"stem_stride", c.net.stem_stride}, {"stem_max_pool", c.net.stem_max_pool},
               {"dropout", c.net.dropout}, {"cam_stage", c.net.cam_stage}}},
      {"train", {{"epochs", c.train.epochs}, {"batch_size", c.train.batch_size},
                 {"lr", c.train.lr}, {"weight_decay", c.train.weight_decay},
                 {"loss", LossName(c.train.loss)}, {"focal_gamma", c.train.focal_gamma},
                 {"focal_alpha", c.train.focal_alpha}, {"patience", c.train.patience},
                 {"val_fraction", c.train.val_fraction}, {"folds", c.train.folds},
                 {"seed", c.train.seed}, {"stop_after_epochs", c.train.stop_after_epochs},
                 {"time_budget_s", c.train.time_budget_s},
                 {"augment", {{"rotate_deg", a.rotate_deg}, {"scale", a.scale},
                              {"shift_mm", a.shift_mm}, {"intensity_scale", a.intensity_scale},
                              {"intensity_shift", a.intensity_shift},
                              {"noise_sd", a.noise_sd}, {"flip_lr", a.flip_lr}}}}}};
}

StatusOr<DlConfig> DlConfigFromJson(const nlohmann::json& j) {
  DlConfig c;
  if (!j.is_object() || !j.contains("roi") || !j.contains("net") || !j.contains("train")) {
    return InvalidArgumentError("expected 'roi', 'net' and 'train' in the DL model configuration");
  }
  const json &r = j["roi"], &n = j["net"], &t = j["train"];
  AMDRN_RETURN_IF_ERROR(Read(r, "box_mm", &c.roi.box_mm));
  AMDRN_RETURN_IF_ERROR(Read(r, "voxel_mm", &c.roi.voxel_mm));
  AMDRN_RETURN_IF_ERROR(Read(r, "floor_search_radius_mm", &c.roi.floor_search_radius_mm));
  std::string attention, loss;
  AMDRN_RETURN_IF_ERROR(Read(n, "depth", &c.net.depth));
  AMDRN_RETURN_IF_ERROR(Read(n, "base_width", &c.net.base_width));
  AMDRN_RETURN_IF_ERROR(Read(n, "in_channels", &c.net.in_channels));
  AMDRN_RETURN_IF_ERROR(Read(n, "attention", &attention));
  AMDRN_ASSIGN_OR_RETURN(c.net.attention, ParseAttention(attention));
  AMDRN_RETURN_IF_ERROR(Read(n, "reduction", &c.net.reduction));
  AMDRN_RETURN_IF_ERROR(Read(n, "stem_kernel", &c.net.stem_kernel));
  AMDRN_RETURN_IF_ERROR(Read(n, "stem_stride", &c.net.stem_stride));
  AMDRN_RETURN_IF_ERROR(Read(n, "stem_max_pool", &c.net.stem_max_pool));
  AMDRN_RETURN_IF_ERROR(Read(n, "dropout", &c.net.dropout));
  AMDRN_RETURN_IF_ERROR(Read(n, "cam_stage", &c.net.cam_stage));
  AMDRN_RETURN_IF_ERROR(Read(t, "epochs", &c.train.epochs));
  AMDRN_RETURN_IF_ERROR(Read(t, "batch_size", &c.train.batch_size));
  AMDRN_RETURN_IF_ERROR(Read(t, "lr", &c.train.lr));
  AMDRN_RETURN_IF_ERROR(Read(t, "weight_decay", &c.train.weight_decay));
  AMDRN_RETURN_IF_ERROR(Read(t, "loss", &loss));
  AMDRN_ASSIGN_OR_RETURN(c.train.loss, ParseLoss(loss));
  AMDRN_RETURN_IF_ERROR(Read(t, "focal_gamma", &c.train.focal_gamma));
  AMDRN_RETURN_IF_ERROR(Read(t, "focal_alpha", &c.train.focal_alpha));
  AMDRN_RETURN_IF_ERROR(Read(t, "patience", &c.train.patience));
  AMDRN_RETURN_IF_ERROR(Read(t, "val_fraction", &c.train.val_fraction));
  AMDRN_RETURN_IF_ERROR(Read(t, "folds", &c.train.folds));
  AMDRN_RETURN_IF_ERROR(Read(t, "seed", &c.train.seed));
  AMDRN_RETURN_IF_ERROR(Read(t, "stop_after_epochs", &c.train.stop_after_epochs));
  AMDRN_RETURN_IF_ERROR(Read(t, "time_budget_s", &c.train.time_budget_s));
  if (t.contains("augment")) {
    const json& a = t["augment"];
    AugmentOptions& o = c.train.augment;
    AMDRN_RETURN_IF_ERROR(Read(a, "rotate_deg", &o.rotate_deg));
    AMDRN_RETURN_IF_ERROR(Read(a, "scale", &o.scale));
    AMDRN_RETURN_IF_ERROR(Read(a, "shift_mm", &o.shift_mm));
    AMDRN_RETURN_IF_ERROR(Read(a, "intensity_scale", &o.intensity_scale));
    AMDRN_RETURN_IF_ERROR(Read(a, "intensity_shift", &o.intensity_shift));
    AMDRN_RETURN_IF_ERROR(Read(a, "noise_sd", &o.noise_sd));
    AMDRN_RETURN_IF_ERROR(Read(a, "flip_lr", &o.flip_lr));
  }
  AMDRN_RETURN_IF_ERROR(c.roi.Validate());
  AMDRN_RETURN_IF_ERROR(c.net.Validate());
  AMDRN_RETURN_IF_ERROR(c.train.Validate());
  return c;
}

}  // namespace amdrn::dl
