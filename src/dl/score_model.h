// A trained DL-score model ready to use: the configuration from model.json plus one network
// per fold; the score of a case is the mean of the fold networks' logits (probability =
// sigmoid of that mean). Also 3D Grad-CAM on the ensemble. No LibTorch in this header.
// Not thread-safe: networks keep autograd state during Grad-CAM; use one ScoreModel per thread.
#ifndef AMDRN_DL_SCORE_MODEL_H_
#define AMDRN_DL_SCORE_MODEL_H_

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "dl/config.h"
#include "dl/roi.h"

namespace amdrn::dl {

enum class Precision { kFloat32, kBFloat16 };

class ScoreModel {
 public:
  // Reads `model_dir`/model.json and fold_<f>.pt for f < folds. Unavailable if a file is
  // missing, cannot be decoded or does not fit the configured network (CLI exit code 5).
  static StatusOr<ScoreModel> Load(const std::string& model_dir);
  // An ensemble of the given weight files for one configuration.
  static StatusOr<ScoreModel> FromWeights(const DlConfig& config,
                                          const std::vector<std::string>& weight_paths);

  const DlConfig& config() const;
  int num_members() const;

  // Logit of each member for one case. FailedPrecondition if the ROI grid does not match the
  // configured ROI size. kBFloat16 runs the networks under CPU autocast.
  StatusOr<std::vector<double>> MemberLogits(const RoiSample& roi,
                                             Precision precision = Precision::kFloat32) const;
  // Mean of MemberLogits.
  StatusOr<double> PredictLogit(const RoiSample& roi,
                                Precision precision = Precision::kFloat32) const;

  // Grad-CAM of the failure logit at the configured stage, summed over members, upsampled
  // trilinearly to the ROI grid and min-max normalised to [0, 1] (0 everywhere if flat).
  StatusOr<std::vector<float>> GradCam(const RoiSample& roi) const;

 private:
  struct Impl;
  explicit ScoreModel(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

double Sigmoid(double logit);

}  // namespace amdrn::dl

#endif  // AMDRN_DL_SCORE_MODEL_H_
