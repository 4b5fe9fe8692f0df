#include "seg/predictor.h"

#include <torch/torch.h>

#include <chrono>
#include <deque>

#include "core/file_util.h"
#include "core/logging.h"
#include "seg/sliding_window.h"

namespace amdrn::seg {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

std::array<int, 3> Triple(const std::vector<int>& v) {
  if (v.size() == 3) return {v[0], v[1], v[2]};
  int x = v.empty() ? 1 : v[0];
  return {x, x, x};
}

Status ParseDatasetJson(const nlohmann::json& dataset, SegModelDescription* desc) {
  const char* channels_key = dataset.contains("channel_names") ? "channel_names" : "modality";
  if (!dataset.contains(channels_key) || !dataset[channels_key].is_object() ||
      !dataset.contains("labels") || !dataset["labels"].is_object()) {
    return InvalidArgumentError("dataset.json should have channel_names and labels objects");
  }
  desc->num_channels = static_cast<int>(dataset[channels_key].size());
  std::map<int, std::string> labels;
  for (const auto& [name, value] : dataset["labels"].items()) {
    if (!value.is_number_integer()) {
      return UnimplementedError("region-based labels (label \"" + name +
                                "\" is a list) are not supported");
    }
    if (name == "ignore") continue;  // not an output class
    labels[value.get<int>()] = name;
  }
  desc->num_classes = static_cast<int>(labels.size());
  for (int v = 0; v < desc->num_classes; ++v) {
    if (!labels.count(v)) {
      return InvalidArgumentError("dataset.json labels should be consecutive from 0, missing " +
                                  std::to_string(v));
    }
    desc->label_names.push_back(labels[v]);
  }
  desc->file_ending = dataset.value("file_ending", ".nii.gz");
  return OkStatus();
}

}  // namespace

NetworkSpec NetworkSpecFromPlans(const ArchitectureSpec& arch, int input_channels,
                                 int num_classes) {
  NetworkSpec spec;
  spec.class_name = arch.IsResidualEncoder() ? "ResidualEncoderUNet" : "PlainConvUNet";
  spec.input_channels = input_channels;
  spec.num_classes = num_classes;
  spec.features_per_stage = arch.features_per_stage;
  for (const auto& k : arch.kernel_sizes) spec.kernel_sizes.push_back(Triple(k));
  for (const auto& s : arch.strides) spec.strides.push_back(Triple(s));
  spec.n_conv_per_stage = arch.n_conv_per_stage;
  spec.n_conv_per_stage_decoder = arch.n_conv_per_stage_decoder;
  spec.conv_bias = arch.conv_bias;
  spec.norm_eps = arch.norm_eps;
  spec.leaky_relu_slope = arch.leaky_relu_slope;
  return spec;
}

StatusOr<SegModelDescription> DescribeModel(const std::string& plans_json,
                                            const std::string& dataset_json,
                                            const std::string& configuration) {
  SegModelDescription desc;
  Json plans = Json::parse(plans_json, nullptr, false);
  nlohmann::json dataset = nlohmann::json::parse(dataset_json, nullptr, false);
  if (plans.is_discarded()) return InvalidArgumentError("plans.json is not valid JSON");
  if (dataset.is_discarded()) return InvalidArgumentError("dataset.json is not valid JSON");
  AMDRN_RETURN_IF_ERROR(ParseDatasetJson(dataset, &desc));
  AMDRN_ASSIGN_OR_RETURN(desc.plans, PlansFromJson(plans));
  AMDRN_ASSIGN_OR_RETURN(desc.config, desc.plans.GetConfiguration(configuration));
  if (!desc.config.Is3d()) {
    return UnimplementedError("configuration " + configuration +
                              " is 2D; amdrn runs 3D configurations only");
  }
  desc.spec = NetworkSpecFromPlans(desc.config.architecture, desc.num_channels, desc.num_classes);
  AMDRN_RETURN_IF_ERROR(ValidateNetworkSpec(desc.spec));
  return desc;
}

Predictor::~Predictor() = default;

StatusOr<std::unique_ptr<Predictor>> Predictor::Load(const std::string& model_dir,
                                                     const PredictOptions& options) {
  std::unique_ptr<Predictor> p(new Predictor());
  p->options_ = options;
  AMDRN_ASSIGN_OR_RETURN(p->info_, ReadModelInfo(model_dir));
  AMDRN_ASSIGN_OR_RETURN(std::string plans, ReadFileToString(model_dir + "/plans.json"));
  AMDRN_ASSIGN_OR_RETURN(std::string dataset, ReadFileToString(model_dir + "/dataset.json"));
  auto desc = DescribeModel(plans, dataset, p->info_.configuration);
  if (!desc.ok()) return desc.status().WithContext(model_dir);
  p->desc_ = std::move(desc).value();
  std::vector<int> folds = options.folds.empty() ? p->info_.folds : options.folds;
  for (int fold : folds) {
    std::string path = FoldDir(model_dir, fold) + "/" + p->info_.checkpoint_name;
    AMDRN_ASSIGN_OR_RETURN(Checkpoint ckpt, LoadCheckpoint(path));
    AMDRN_ASSIGN_OR_RETURN(auto net, UNet::Create(p->desc_.spec));
    Status loaded = net->LoadStateDict(ckpt.weights);
    if (!loaded.ok()) return loaded.WithContext(path);
    for (auto& param : net->parameters()) param.set_requires_grad(false);
    if (options.engine == InferenceEngine::kOneDnn) {
      FusedUNetOptions fused_options;
      fused_options.precision = options.precision;
      auto fused = FusedUNet::Create(*net, fused_options);
      if (!fused.ok()) return fused.status().WithContext(path);
      p->fused_.push_back(std::move(fused).value());
      net.reset();  // the fused engine holds its own copy of the weights
    } else {
      net->SetPrecision(options.precision);
    }
    p->nets_.push_back(std::move(net));
  }
  return p;
}

StatusOr<at::Tensor> Predictor::PredictLogits(const at::Tensor& preprocessed, int64_t* tiles) {
  c10::InferenceMode guard;
  const auto& ps = desc_.config.patch_size;
  Patch3 patch = {ps[0], ps[1], ps[2]};
  SlidingWindowOptions sw;
  sw.step = options_.step;
  if (options_.mirror_tta) sw.mirror_axes = info_.mirror_axes;
  at::Tensor sum;
  int64_t count = 0;
  for (size_t fold = 0; fold < nets_.size(); ++fold) {
    const UNet* model = nets_[fold].get();
    FusedUNet* fused = fused_.empty() ? nullptr : fused_[fold].get();
    Status failed = OkStatus();
    TilePredictor predict = [&](const at::Tensor& x) {
      if (!fused) return model->Forward(x);
      auto y = fused->Forward(x);
      if (!y.ok()) {
        failed = y.status();
        throw std::runtime_error(failed.ToString());
      }
      return std::move(y).value();
    };
    StatusOr<at::Tensor> logits = InternalError("no prediction");
    try {
      logits = SlidingWindowPredict(preprocessed, desc_.num_classes, patch, predict, sw,
                                    [&count](int64_t, int64_t) { ++count; });
    } catch (const std::exception& e) {
      if (!failed.ok()) return failed;
      return InternalError(std::string("the network failed on a tile: ") + e.what());
    }
    if (!logits.ok()) return logits.status();
    sum = sum.defined() ? sum.add_(*logits) : *logits;
  }
  if (tiles) *tiles = count;
  return nets_.size() > 1 ? sum.div_(static_cast<double>(nets_.size())) : sum;
}

StatusOr<LabelMap> Predictor::Predict(const std::vector<ImageF>& channels, CaseTiming* timing) {
  if (static_cast<int>(channels.size()) != desc_.num_channels) {
    return FailedPreconditionError("the model expects " + std::to_string(desc_.num_channels) +
                                   " input channel(s), found " + std::to_string(channels.size()));
  }
  CaseTiming local;
  CaseTiming& t = timing ? *timing : local;
  auto start = std::chrono::steady_clock::now();
  AMDRN_ASSIGN_OR_RETURN(PreprocessedCase pp,
                         PreprocessCase(channels, nullptr, desc_.plans, desc_.config, "case"));
  t.preprocess_s = Seconds(start);

  start = std::chrono::steady_clock::now();
  at::Tensor image = torch::from_blob(pp.data.data(),
                                      {pp.num_channels, pp.shape[0], pp.shape[1], pp.shape[2]},
                                      at::kFloat);
  AMDRN_ASSIGN_OR_RETURN(at::Tensor logits, PredictLogits(image, &t.tiles));
  t.network_s = Seconds(start);

  start = std::chrono::steady_clock::now();
  logits = logits.contiguous();
  pp.data = {};  // free the preprocessed image before the export resampling
  AMDRN_ASSIGN_OR_RETURN(LabelMap labels, LogitsToOriginalLabels(logits.data_ptr<float>(),
                                                                 desc_.num_classes, pp.properties));
  if (options_.postprocess) ApplyPostprocessing(info_, &labels);
  t.export_s = Seconds(start);
  return labels;
}

void KeepLargestComponent(LabelMap* labels, int label) {
  const Index3 n = labels->size();
  uint8_t* v = labels->data();
  auto in_mask = [&](int64_t i) { return label < 0 ? v[i] > 0 : v[i] == label; };
  std::vector<int32_t> component(labels->NumVoxels(), -1);
  std::vector<int64_t> sizes;
  std::deque<int64_t> queue;
  for (int64_t start = 0; start < labels->NumVoxels(); ++start) {
    if (!in_mask(start) || component[start] >= 0) continue;
    const int32_t id = static_cast<int32_t>(sizes.size());
    int64_t size = 0;
    component[start] = id;
    queue.push_back(start);
    while (!queue.empty()) {
      int64_t cur = queue.front();
      queue.pop_front();
      ++size;
      int64_t i = cur % n[0], j = (cur / n[0]) % n[1], k = cur / (n[0] * n[1]);
      for (int dk = -1; dk <= 1; ++dk) {
        for (int dj = -1; dj <= 1; ++dj) {
          for (int di = -1; di <= 1; ++di) {
            int64_t a = i + di, b = j + dj, c = k + dk;
            if (a < 0 || b < 0 || c < 0 || a >= n[0] || b >= n[1] || c >= n[2]) continue;
            int64_t idx = a + n[0] * (b + n[1] * c);
            if (component[idx] < 0 && in_mask(idx)) {
              component[idx] = id;
              queue.push_back(idx);
            }
          }
        }
      }
    }
    sizes.push_back(size);
  }
  if (sizes.size() < 2) return;
  int64_t largest = *std::max_element(sizes.begin(), sizes.end());
  for (int64_t i = 0; i < labels->NumVoxels(); ++i) {
    if (component[i] >= 0 && sizes[component[i]] != largest) v[i] = 0;
  }
}

void ApplyPostprocessing(const ModelInfo& info, LabelMap* labels) {
  if (info.postprocess_foreground) KeepLargestComponent(labels, -1);
  for (int label : info.postprocess_labels) KeepLargestComponent(labels, label);
}

}  // namespace amdrn::seg
