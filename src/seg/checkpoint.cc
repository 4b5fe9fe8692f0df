#include "seg/checkpoint.h"

#include <torch/serialize.h>
#include <torch/torch.h>

#include "core/file_util.h"

namespace amdrn::seg {
namespace {

c10::Dict<std::string, at::Tensor> ToDict(const std::map<std::string, at::Tensor>& tensors) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [name, tensor] : tensors) dict.insert(name, tensor.detach().contiguous());
  return dict;
}

StatusOr<std::map<std::string, at::Tensor>> FromDict(const c10::IValue& value,
                                                     const std::string& what) {
  if (!value.isGenericDict()) return DataLossError(what + " should be a dict of tensors");
  std::map<std::string, at::Tensor> out;
  for (const auto& entry : value.toGenericDict()) {
    if (!entry.key().isString() || !entry.value().isTensor()) {
      return DataLossError(what + " should map names to tensors");
    }
    out[entry.key().toStringRef()] = entry.value().toTensor();
  }
  return out;
}

}  // namespace

Status SaveCheckpoint(const Checkpoint& checkpoint, const std::string& path) {
  std::vector<char> bytes;
  try {
    c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
    root.insert(std::string("format"), std::string(kCheckpointFormat));
    root.insert(std::string("version"), static_cast<int64_t>(kCheckpointVersion));
    root.insert(std::string("network_weights"), ToDict(checkpoint.weights));
    root.insert(std::string("optimizer_momentum"), ToDict(checkpoint.momentum));
    root.insert(std::string("meta"), checkpoint.meta.dump());
    bytes = torch::pickle_save(c10::IValue(root));
  } catch (const std::exception& e) {
    return InternalError(std::string("serialising the checkpoint failed: ") + e.what());
  }
  return WriteFileAtomic(path, std::string(bytes.begin(), bytes.end()));
}

StatusOr<Checkpoint> LoadCheckpoint(const std::string& path) {
  if (!PathExists(path)) return NotFoundError("checkpoint " + path + " does not exist");
  AMDRN_ASSIGN_OR_RETURN(std::string content, ReadFileToString(path));
  c10::IValue root;
  try {
    root = torch::pickle_load(std::vector<char>(content.begin(), content.end()));
  } catch (const std::exception& e) {
    std::string what = e.what();
    return DataLossError("checkpoint " + path +
                         " is unreadable (expected an amdrn checkpoint, a torch.save zip): " +
                         what.substr(0, what.find('\n')));
  }
  if (!root.isGenericDict()) {
    return DataLossError("checkpoint " + path + " should hold a dict, found another object");
  }
  auto dict = root.toGenericDict();
  if (!dict.contains("format") || !dict.at("format").isString() ||
      dict.at("format").toStringRef() != kCheckpointFormat) {
    return DataLossError("checkpoint " + path + " is not an amdrn segmentation checkpoint " +
                         "(for an nnU-Net checkpoint use `amdrn seg import-nnunet`)");
  }
  int64_t version = dict.contains("version") ? dict.at("version").toInt() : -1;
  if (version != kCheckpointVersion) {
    return DataLossError("checkpoint " + path + " has format version " + std::to_string(version) +
                         ", this amdrn reads version " + std::to_string(kCheckpointVersion));
  }
  Checkpoint checkpoint;
  AMDRN_ASSIGN_OR_RETURN(checkpoint.weights,
                         FromDict(dict.at("network_weights"), path + ": network_weights"));
  if (dict.contains("optimizer_momentum")) {
    AMDRN_ASSIGN_OR_RETURN(checkpoint.momentum,
                           FromDict(dict.at("optimizer_momentum"), path + ": optimizer_momentum"));
  }
  try {
    checkpoint.meta = nlohmann::json::parse(dict.at("meta").toStringRef());
  } catch (const std::exception& e) {
    return DataLossError("checkpoint " + path + " has unreadable metadata: " + e.what());
  }
  return checkpoint;
}

nlohmann::json ModelInfoToJson(const ModelInfo& info) {
  return {{"format", kModelFormat},
          {"version", 1},
          {"configuration", info.configuration},
          {"folds", info.folds},
          {"mirror_axes", info.mirror_axes},
          {"source", info.source},
          {"checkpoint_name", info.checkpoint_name},
          {"postprocessing",
           {{"largest_component_foreground", info.postprocess_foreground},
            {"largest_component_labels", info.postprocess_labels}}},
          {"extra", info.extra}};
}

StatusOr<ModelInfo> ModelInfoFromJson(const nlohmann::json& json) {
  try {
    if (json.value("format", "") != kModelFormat) {
      return InvalidArgumentError("model.json should have format \"" + std::string(kModelFormat) +
                                  "\", found " + json.value("format", std::string("none")));
    }
    ModelInfo info;
    info.configuration = json.at("configuration").get<std::string>();
    info.folds = json.at("folds").get<std::vector<int>>();
    info.mirror_axes = json.at("mirror_axes").get<std::vector<int>>();
    info.source = json.value("source", "amdrn");
    info.checkpoint_name = json.value("checkpoint_name", "checkpoint_final.pt");
    if (json.contains("postprocessing")) {
      const auto& pp = json["postprocessing"];
      info.postprocess_foreground = pp.value("largest_component_foreground", false);
      info.postprocess_labels = pp.value("largest_component_labels", std::vector<int>{});
    }
    if (json.contains("extra")) info.extra = json["extra"];
    if (info.folds.empty()) return InvalidArgumentError("model.json lists no folds");
    return info;
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(std::string("model.json is incomplete: ") + e.what());
  }
}

StatusOr<ModelInfo> ReadModelInfo(const std::string& model_dir) {
  std::string path = model_dir + "/model.json";
  if (!PathExists(path)) {
    return NotFoundError(model_dir + " is not an amdrn segmentation model (no model.json)");
  }
  AMDRN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded()) return InvalidArgumentError(path + " is not valid JSON");
  auto info = ModelInfoFromJson(json);
  if (!info.ok()) return info.status().WithContext(path);
  return info;
}

Status WriteModelInfo(const ModelInfo& info, const std::string& model_dir) {
  return WriteFileAtomic(model_dir + "/model.json", ModelInfoToJson(info).dump(2) + "\n");
}

std::string FoldDir(const std::string& model_dir, int fold) {
  return model_dir + "/fold_" + std::to_string(fold);
}

}  // namespace amdrn::seg
