#include "seg/import_nnunet.h"

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>

#include "core/file_util.h"
#include "core/logging.h"
#include "seg/network.h"
#include "seg/plans.h"
#include "seg/predictor.h"
#include "seg/torch_pickle.h"

namespace amdrn::seg {
namespace {

namespace fs = std::filesystem;

std::vector<int> AvailableFolds(const std::string& dir, const std::string& file) {
  std::vector<int> folds;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("fold_", 0) != 0 || !PathExists(entry.path().string() + "/" + file)) continue;
    try {
      folds.push_back(std::stoi(name.substr(5)));
    } catch (const std::exception&) {
      // fold_all and other names are not numbered folds.
    }
  }
  std::sort(folds.begin(), folds.end());
  return folds;
}

// nnU-Net's postprocessing.json: remove_all_but_largest_component_from_segmentation with
// labels_or_regions = all foreground labels (the union step) or single labels.
void ReadPostprocessing(const std::string& nnunet_dir, int num_classes, ModelInfo* info) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(nnunet_dir, ec)) {
    std::string path = entry.path().string() + "/postprocessing.json";
    if (entry.path().filename().string().rfind("crossval_results_folds", 0) != 0 ||
        !PathExists(path)) {
      continue;
    }
    auto text = ReadFileToString(path);
    if (!text.ok()) continue;
    nlohmann::json pp = nlohmann::json::parse(*text, nullptr, false);
    if (pp.is_discarded() || !pp.contains("postprocessing_kwargs")) continue;
    for (const auto& kwargs : pp["postprocessing_kwargs"]) {
      const auto& labels = kwargs.value("labels_or_regions", nlohmann::json());
      if (labels.is_number_integer()) {
        info->postprocess_labels.push_back(labels.get<int>());
      } else if (labels.is_array() && static_cast<int>(labels.size()) == num_classes - 1) {
        info->postprocess_foreground = true;
      } else if (labels.is_array() && labels.size() == 1) {
        info->postprocess_labels.push_back(labels[0].get<int>());
      }
    }
    AMDRN_LOG(Info) << "import-nnunet: post-processing taken from " << path;
    return;
  }
}

}  // namespace

StatusOr<NnunetCheckpoint> ReadNnunetCheckpoint(const std::string& path) {
  AMDRN_ASSIGN_OR_RETURN(PyValuePtr root, ReadTorchSave(path));
  PyValuePtr weights = root ? root->Get("network_weights") : nullptr;
  if (!weights || weights->kind != PyValue::Kind::kDict) {
    return InvalidArgumentError(path + " is not an nnU-Net checkpoint: it has no network_weights");
  }
  NnunetCheckpoint out;
  for (const auto& [key, value] : weights->dict) {
    if (key->kind != PyValue::Kind::kString || value->kind != PyValue::Kind::kTensor) {
      return InvalidArgumentError(path + ": network_weights should map names to tensors");
    }
    out.weights[key->text] = value->tensor;
  }
  if (PyValuePtr axes = root->Get("inference_allowed_mirroring_axes")) {
    for (const auto& item : axes->items) {
      if (item->kind == PyValue::Kind::kInt) out.mirror_axes.push_back(item->int_value);
    }
  }
  if (PyValuePtr name = root->Get("trainer_name"); name && name->IsString()) {
    out.trainer_name = name->text;
  }
  if (PyValuePtr epoch = root->Get("current_epoch"); epoch && epoch->kind == PyValue::Kind::kInt) {
    out.current_epoch = epoch->int_value;
  }
  if (PyValuePtr init = root->Get("init_args")) {
    if (PyValuePtr config = init->Get("configuration"); config && config->IsString()) {
      out.configuration = config->text;
    }
  }
  return out;
}

StatusOr<ModelInfo> ImportNnunetModel(const std::string& nnunet_dir, const std::string& model_dir,
                                      const ImportOptions& options) {
  for (const char* name : {"plans.json", "dataset.json"}) {
    if (!PathExists(nnunet_dir + "/" + name)) {
      return NotFoundError(nnunet_dir + " is not an nnU-Net model folder: " + name + " is missing");
    }
  }
  std::vector<int> folds =
      options.folds.empty() ? AvailableFolds(nnunet_dir, options.checkpoint_file) : options.folds;
  if (folds.empty()) {
    return NotFoundError(nnunet_dir + " has no fold_<k>/" + options.checkpoint_file);
  }
  AMDRN_ASSIGN_OR_RETURN(std::string plans_text, ReadFileToString(nnunet_dir + "/plans.json"));
  AMDRN_ASSIGN_OR_RETURN(std::string dataset_text, ReadFileToString(nnunet_dir + "/dataset.json"));

  ModelInfo info;
  info.source = "nnU-Net import";
  info.folds = folds;
  nlohmann::json trainers = nlohmann::json::array();
  for (size_t i = 0; i < folds.size(); ++i) {
    std::string path = FoldDir(nnunet_dir, folds[i]) + "/" + options.checkpoint_file;
    AMDRN_ASSIGN_OR_RETURN(NnunetCheckpoint ckpt, ReadNnunetCheckpoint(path));
    if (i == 0) {
      info.configuration = !options.configuration.empty() ? options.configuration
                           : !ckpt.configuration.empty() ? ckpt.configuration
                                                         : "3d_fullres";
      if (!ckpt.mirror_axes.empty()) info.mirror_axes = ckpt.mirror_axes;
    }
    trainers.push_back(ckpt.trainer_name);
    if (ckpt.trainer_name.rfind("nnUNetTrainer", 0) != 0) {
      AMDRN_LOG(Warn) << "import-nnunet: trainer " << ckpt.trainer_name
                      << " is not an nnUNetTrainer; its network must still match the plans";
    }
    // Validate against the network the plans describe before writing anything.
    AMDRN_ASSIGN_OR_RETURN(SegModelDescription desc,
                           DescribeModel(plans_text, dataset_text, info.configuration));
    AMDRN_ASSIGN_OR_RETURN(auto net, UNet::Create(desc.spec));
    Status loaded = net->LoadStateDict(ckpt.weights);
    if (!loaded.ok()) return loaded.WithContext(path);
    Checkpoint out;
    out.weights = net->StateDict();
    out.meta = {{"source", "nnU-Net import"},
                {"trainer_name", ckpt.trainer_name},
                {"nnunet_epoch", ckpt.current_epoch},
                {"architecture", NetworkSpecToArchitecture(desc.spec)}};
    AMDRN_RETURN_IF_ERROR(SaveCheckpoint(out, FoldDir(model_dir, folds[i]) + "/" +
                                                  info.checkpoint_name));
    if (i == 0) ReadPostprocessing(nnunet_dir, desc.num_classes, &info);
  }
  info.extra = {{"trainer_names", trainers}, {"imported_from", nnunet_dir}};
  AMDRN_RETURN_IF_ERROR(WriteFileAtomic(model_dir + "/plans.json", plans_text));
  AMDRN_RETURN_IF_ERROR(WriteFileAtomic(model_dir + "/dataset.json", dataset_text));
  AMDRN_RETURN_IF_ERROR(WriteModelInfo(info, model_dir));
  return info;
}

}  // namespace amdrn::seg
