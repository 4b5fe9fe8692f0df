#include "dl/score_model.h"

#include <cmath>
#include <fstream>

#include <ATen/autocast_mode.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/serialize.h>

#include "core/file_util.h"
#include "dl/batch.h"
#include "dl/grad_cam.h"
#include "dl/network.h"

namespace amdrn::dl {

struct ScoreModel::Impl {
  DlConfig config;
  std::vector<AttentionResNet3d> members;
};

namespace {

namespace F = torch::nn::functional;

// Enables CPU bf16 autocast for its lifetime when asked.
class AutocastScope {
 public:
  explicit AutocastScope(bool enable) : enabled_(enable) {
    if (!enabled_) return;
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(true);
  }
  ~AutocastScope() {
    if (!enabled_) return;
    at::autocast::set_cpu_enabled(false);
    at::autocast::clear_cache();
  }

 private:
  bool enabled_;
};

Status CheckRoi(const DlConfig& config, const RoiSample& roi) {
  const int n = config.roi.EdgeVoxels();
  if (roi.grid.size != Index3{n, n, n} ||
      roi.image.size() != static_cast<size_t>(n) * n * n || roi.labels.size() != roi.image.size()) {
    return FailedPreconditionError("expected a " + std::to_string(n) +
                                   "^3 ROI for this model, found " + roi.grid.ToString());
  }
  return OkStatus();
}

}  // namespace

torch::Tensor GradCam3d(AttentionResNet3d& net, const torch::Tensor& input, double sign) {
  torch::AutoGradMode grad_mode(true);
  net->eval();
  net->zero_grad();
  AttentionResNet3dImpl::Output out = net->Run(input);
  out.features.retain_grad();
  (sign * out.logit.sum()).backward();
  torch::Tensor weights = out.features.grad().mean({2, 3, 4}, /*keepdim=*/true);
  torch::Tensor cam = torch::relu((weights * out.features).sum(1, /*keepdim=*/true)).detach();
  net->zero_grad();
  std::vector<int64_t> size = {input.size(2), input.size(3), input.size(4)};
  cam = F::interpolate(cam, F::InterpolateFuncOptions()
                                .size(size)
                                .mode(torch::kTrilinear)
                                .align_corners(false));
  return cam.squeeze(1);
}

torch::Tensor MinMaxNormalise(const torch::Tensor& map) {
  double lo = map.min().item<double>(), hi = map.max().item<double>();
  if (!(hi > lo)) return torch::zeros_like(map);
  return (map - lo) / (hi - lo);
}

double Sigmoid(double logit) { return 1.0 / (1.0 + std::exp(-logit)); }

StatusOr<ScoreModel> ScoreModel::FromWeights(const DlConfig& config,
                                             const std::vector<std::string>& weight_paths) {
  AMDRN_RETURN_IF_ERROR(config.net.Validate());
  EnsureTorchThreadHook();
  auto impl = std::make_shared<Impl>();
  impl->config = config;
  for (const std::string& path : weight_paths) {
    if (!PathExists(path)) {
      return UnavailableError("expected DL model weights at " + path + ", found no file");
    }
    AttentionResNet3d net(config.net);
    try {
      torch::serialize::InputArchive archive;
      archive.load_from(path);
      net->load(archive);
    } catch (const std::exception& e) {
      return UnavailableError("expected DL weights matching model.json in " + path +
                              ", could not load them: " + e.what());
    }
    net->eval();
    impl->members.push_back(net);
  }
  if (impl->members.empty()) return UnavailableError("expected at least one DL model member");
  return ScoreModel(impl);
}

StatusOr<ScoreModel> ScoreModel::Load(const std::string& model_dir) {
  if (!PathExists(model_dir + "/model.json")) {
    return UnavailableError("expected a DL model folder with model.json at " + model_dir +
                            ", found none");
  }
  AMDRN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(model_dir + "/model.json"));
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return UnavailableError("expected JSON in " + model_dir + "/model.json, could not parse it");
  }
  auto config = DlConfigFromJson(json);
  if (!config.ok()) return UnavailableError(config.status().message());
  std::vector<std::string> paths;
  for (int f = 0; f < config->train.folds; ++f) {
    paths.push_back(model_dir + "/fold_" + std::to_string(f) + ".pt");
  }
  return FromWeights(*config, paths);
}

const DlConfig& ScoreModel::config() const { return impl_->config; }
int ScoreModel::num_members() const { return static_cast<int>(impl_->members.size()); }

StatusOr<std::vector<double>> ScoreModel::MemberLogits(const RoiSample& roi,
                                                       Precision precision) const {
  AMDRN_RETURN_IF_ERROR(CheckRoi(impl_->config, roi));
  std::vector<double> logits;
  try {
    torch::NoGradGuard no_grad;
    AutocastScope autocast(precision == Precision::kBFloat16);
    torch::Tensor x = RoiToTensor(roi).unsqueeze(0);
    for (AttentionResNet3d& net : impl_->members) {
      net->eval();
      logits.push_back(net->forward(x).to(torch::kFloat64).item<double>());
    }
  } catch (const std::exception& e) {
    return InternalError(std::string("DL inference failed: ") + e.what());
  }
  return logits;
}

StatusOr<double> ScoreModel::PredictLogit(const RoiSample& roi, Precision precision) const {
  AMDRN_ASSIGN_OR_RETURN(std::vector<double> logits, MemberLogits(roi, precision));
  double sum = 0;
  for (double z : logits) sum += z;
  return sum / logits.size();
}

StatusOr<std::vector<float>> ScoreModel::GradCam(const RoiSample& roi) const {
  AMDRN_RETURN_IF_ERROR(CheckRoi(impl_->config, roi));
  try {
    torch::Tensor x = RoiToTensor(roi).unsqueeze(0);
    torch::Tensor sum;
    for (AttentionResNet3d& net : impl_->members) {
      torch::Tensor cam = GradCam3d(net, x);
      sum = sum.defined() ? sum + cam : cam;
    }
    torch::Tensor cam = MinMaxNormalise(sum[0]).contiguous();
    return std::vector<float>(cam.data_ptr<float>(), cam.data_ptr<float>() + cam.numel());
  } catch (const std::exception& e) {
    return InternalError(std::string("Grad-CAM failed: ") + e.what());
  }
}

}  // namespace amdrn::dl
