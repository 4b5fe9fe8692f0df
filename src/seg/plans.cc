#include "seg/plans.h"

#include <set>

#include "core/file_util.h"

namespace amdrn::seg {
namespace {

// Deep merge for "inherits_from": the child's keys replace the parent's.
Json Merge(Json parent, const Json& child) {
  for (auto it = child.begin(); it != child.end(); ++it) parent[it.key()] = it.value();
  return parent;
}

template <typename T>
Status Get(const Json& json, const char* key, T* out, bool required = true) {
  if (!json.contains(key) || json[key].is_null()) {
    if (!required) return OkStatus();
    return InvalidArgumentError(std::string("expected key \"") + key + "\" in plans, found none");
  }
  try {
    *out = json[key].get<T>();
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("plans key \"") + key + "\" has an unexpected type: " +
                                json[key].dump());
  }
  return OkStatus();
}

StatusOr<ArchitectureSpec> ArchitectureFromJson(const Json& json) {
  ArchitectureSpec a;
  AMDRN_RETURN_IF_ERROR(Get(json, "network_class_name", &a.network_class_name));
  if (a.network_class_name != kPlainConvUNet && a.network_class_name != kResidualEncoderUNet) {
    return UnimplementedError("expected network class PlainConvUNet or ResidualEncoderUNet, found " +
                              a.network_class_name);
  }
  if (!json.contains("arch_kwargs")) return InvalidArgumentError("expected architecture.arch_kwargs in plans");
  const Json& k = json["arch_kwargs"];
  AMDRN_RETURN_IF_ERROR(Get(k, "n_stages", &a.n_stages));
  AMDRN_RETURN_IF_ERROR(Get(k, "features_per_stage", &a.features_per_stage));
  AMDRN_RETURN_IF_ERROR(Get(k, "kernel_sizes", &a.kernel_sizes));
  AMDRN_RETURN_IF_ERROR(Get(k, "strides", &a.strides));
  const char* per_stage = a.IsResidualEncoder() ? "n_blocks_per_stage" : "n_conv_per_stage";
  AMDRN_RETURN_IF_ERROR(Get(k, per_stage, &a.n_conv_per_stage));
  AMDRN_RETURN_IF_ERROR(Get(k, "n_conv_per_stage_decoder", &a.n_conv_per_stage_decoder));
  AMDRN_RETURN_IF_ERROR(Get(k, "conv_bias", &a.conv_bias, false));
  if (k.contains("norm_op_kwargs") && k["norm_op_kwargs"].is_object()) {
    a.norm_eps = k["norm_op_kwargs"].value("eps", 1e-5);
    a.norm_affine = k["norm_op_kwargs"].value("affine", true);
  }
  if (k.contains("nonlin_kwargs") && k["nonlin_kwargs"].is_object()) {
    a.leaky_relu_slope = k["nonlin_kwargs"].value("negative_slope", 0.01);
  }
  const size_t s = static_cast<size_t>(a.n_stages);
  if (a.n_stages < 1 || a.features_per_stage.size() != s || a.kernel_sizes.size() != s ||
      a.strides.size() != s || a.n_conv_per_stage.size() != s ||
      a.n_conv_per_stage_decoder.size() != s - 1) {
    return InvalidArgumentError("expected arch_kwargs lists of n_stages (" + std::to_string(a.n_stages) +
                                ") entries (n_stages - 1 for the decoder), found other lengths");
  }
  return a;
}

Json ArchitectureToJson(const ArchitectureSpec& a, int dims) {
  Json k;
  k["n_stages"] = a.n_stages;
  k["features_per_stage"] = a.features_per_stage;
  k["conv_op"] = dims == 3 ? "torch.nn.modules.conv.Conv3d" : "torch.nn.modules.conv.Conv2d";
  k["kernel_sizes"] = a.kernel_sizes;
  k["strides"] = a.strides;
  k[a.IsResidualEncoder() ? "n_blocks_per_stage" : "n_conv_per_stage"] = a.n_conv_per_stage;
  k["n_conv_per_stage_decoder"] = a.n_conv_per_stage_decoder;
  k["conv_bias"] = a.conv_bias;
  k["norm_op"] = dims == 3 ? "torch.nn.modules.instancenorm.InstanceNorm3d"
                           : "torch.nn.modules.instancenorm.InstanceNorm2d";
  k["norm_op_kwargs"] = {{"eps", a.norm_eps}, {"affine", a.norm_affine}};
  k["dropout_op"] = nullptr;
  k["dropout_op_kwargs"] = nullptr;
  k["nonlin"] = "torch.nn.LeakyReLU";
  k["nonlin_kwargs"] = {{"inplace", true}};
  Json out;
  out["network_class_name"] = a.network_class_name;
  out["arch_kwargs"] = k;
  out["_kw_requires_import"] = {"conv_op", "norm_op", "dropout_op", "nonlin"};
  return out;
}

Json BudgetToJson(const TrainingBudget& b) {
  Json j;
  j["preset"] = b.preset;
  j["num_epochs"] = b.num_epochs;
  j["num_iterations_per_epoch"] = b.num_iterations_per_epoch;
  j["num_val_iterations_per_epoch"] = b.num_val_iterations_per_epoch;
  j["estimated_seconds_per_iteration"] = b.estimated_seconds_per_iteration;
  j["cpu_gflops"] = b.cpu_gflops;
  j["time_budget_hours"] = b.time_budget_hours;
  return j;
}

TrainingBudget BudgetFromJson(const Json& j) {
  TrainingBudget b;
  b.preset = j.value("preset", b.preset);
  b.num_epochs = j.value("num_epochs", b.num_epochs);
  b.num_iterations_per_epoch = j.value("num_iterations_per_epoch", b.num_iterations_per_epoch);
  b.num_val_iterations_per_epoch = j.value("num_val_iterations_per_epoch", b.num_val_iterations_per_epoch);
  b.estimated_seconds_per_iteration = j.value("estimated_seconds_per_iteration", 0.0);
  b.cpu_gflops = j.value("cpu_gflops", 0.0);
  b.time_budget_hours = j.value("time_budget_hours", 0.0);
  return b;
}

Json ResamplingKwargs(bool is_seg, int order) {
  return {{"is_seg", is_seg}, {"order", order}, {"order_z", 0}, {"force_separate_z", nullptr}};
}

StatusOr<Configuration> ConfigurationFromJson(const std::string& name, const Json& j) {
  Configuration c;
  c.name = name;
  c.json = j;
  AMDRN_RETURN_IF_ERROR(Get(j, "data_identifier", &c.data_identifier));
  AMDRN_RETURN_IF_ERROR(Get(j, "preprocessor_name", &c.preprocessor_name, false));
  AMDRN_RETURN_IF_ERROR(Get(j, "batch_size", &c.batch_size));
  AMDRN_RETURN_IF_ERROR(Get(j, "patch_size", &c.patch_size));
  AMDRN_RETURN_IF_ERROR(Get(j, "median_image_size_in_voxels", &c.median_image_size_in_voxels, false));
  AMDRN_RETURN_IF_ERROR(Get(j, "spacing", &c.spacing));
  AMDRN_RETURN_IF_ERROR(Get(j, "normalization_schemes", &c.normalization_schemes));
  AMDRN_RETURN_IF_ERROR(Get(j, "use_mask_for_norm", &c.use_mask_for_norm));
  AMDRN_RETURN_IF_ERROR(Get(j, "batch_dice", &c.batch_dice, false));
  AMDRN_RETURN_IF_ERROR(Get(j, "inherits_from", &c.inherits_from, false));
  AMDRN_RETURN_IF_ERROR(Get(j, "previous_stage", &c.previous_stage, false));
  AMDRN_RETURN_IF_ERROR(Get(j, "next_stage", &c.next_stage, false));
  if (!j.contains("architecture")) return InvalidArgumentError("expected \"architecture\" in configuration " + name);
  AMDRN_ASSIGN_OR_RETURN(c.architecture, ArchitectureFromJson(j["architecture"]));
  if (j.contains("amdrn_training_budget")) c.budget = BudgetFromJson(j["amdrn_training_budget"]);
  if (c.patch_size.size() != c.spacing.size() || (c.patch_size.size() != 2 && c.patch_size.size() != 3)) {
    return InvalidArgumentError("configuration " + name + ": expected patch_size and spacing of 2 or 3 "
                                "equal lengths, found " + std::to_string(c.patch_size.size()) + " and " +
                                std::to_string(c.spacing.size()));
  }
  if (c.normalization_schemes.size() != c.use_mask_for_norm.size()) {
    return InvalidArgumentError("configuration " + name + ": normalization_schemes and use_mask_for_norm "
                                "have different lengths");
  }
  return c;
}

Json ConfigurationToJson(const Configuration& c) {
  Json j = c.json.is_object() ? c.json : Json::object();
  j["data_identifier"] = c.data_identifier;
  j["preprocessor_name"] = c.preprocessor_name;
  j["batch_size"] = c.batch_size;
  j["patch_size"] = c.patch_size;
  j["median_image_size_in_voxels"] = c.median_image_size_in_voxels;
  j["spacing"] = c.spacing;
  j["normalization_schemes"] = c.normalization_schemes;
  j["use_mask_for_norm"] = c.use_mask_for_norm;
  if (!j.contains("resampling_fn_data")) {
    j["resampling_fn_data"] = "resample_data_or_seg_to_shape";
    j["resampling_fn_seg"] = "resample_data_or_seg_to_shape";
    j["resampling_fn_data_kwargs"] = ResamplingKwargs(false, 3);
    j["resampling_fn_seg_kwargs"] = ResamplingKwargs(true, 1);
    j["resampling_fn_probabilities"] = "resample_data_or_seg_to_shape";
    j["resampling_fn_probabilities_kwargs"] = ResamplingKwargs(false, 1);
  }
  j["architecture"] = ArchitectureToJson(c.architecture, static_cast<int>(c.patch_size.size()));
  j["batch_dice"] = c.batch_dice;
  if (!c.inherits_from.empty()) j["inherits_from"] = c.inherits_from;
  if (!c.previous_stage.empty()) j["previous_stage"] = c.previous_stage;
  if (!c.next_stage.empty()) j["next_stage"] = c.next_stage;
  j["amdrn_training_budget"] = BudgetToJson(c.budget);
  return j;
}

}  // namespace

Json IntensityPropertiesToJson(const IntensityProperties& p) {
  return {{"max", p.max},   {"mean", p.mean},
          {"median", p.median}, {"min", p.min},
          {"percentile_00_5", p.percentile_00_5}, {"percentile_99_5", p.percentile_99_5},
          {"std", p.std}};
}

StatusOr<IntensityProperties> IntensityPropertiesFromJson(const Json& j) {
  IntensityProperties p;
  AMDRN_RETURN_IF_ERROR(Get(j, "mean", &p.mean));
  AMDRN_RETURN_IF_ERROR(Get(j, "median", &p.median, false));
  AMDRN_RETURN_IF_ERROR(Get(j, "std", &p.std));
  AMDRN_RETURN_IF_ERROR(Get(j, "min", &p.min, false));
  AMDRN_RETURN_IF_ERROR(Get(j, "max", &p.max, false));
  AMDRN_RETURN_IF_ERROR(Get(j, "percentile_99_5", &p.percentile_99_5));
  AMDRN_RETURN_IF_ERROR(Get(j, "percentile_00_5", &p.percentile_00_5));
  return p;
}

StatusOr<Configuration> Plans::GetConfiguration(const std::string& name) const {
  auto it = configurations.find(name);
  if (it != configurations.end()) return it->second;
  std::string names;
  for (const auto& [n, c] : configurations) names += (names.empty() ? "" : ", ") + n;
  return NotFoundError("expected configuration \"" + name + "\" in the plans, found only: " + names);
}

StatusOr<Plans> PlansFromJson(const Json& json) {
  Plans p;
  p.json = json;
  AMDRN_RETURN_IF_ERROR(Get(json, "dataset_name", &p.dataset_name));
  AMDRN_RETURN_IF_ERROR(Get(json, "plans_name", &p.plans_name));
  AMDRN_RETURN_IF_ERROR(Get(json, "original_median_spacing_after_transp", &p.original_median_spacing_after_transp, false));
  AMDRN_RETURN_IF_ERROR(Get(json, "original_median_shape_after_transp", &p.original_median_shape_after_transp, false));
  AMDRN_RETURN_IF_ERROR(Get(json, "image_reader_writer", &p.image_reader_writer, false));
  AMDRN_RETURN_IF_ERROR(Get(json, "transpose_forward", &p.transpose_forward));
  AMDRN_RETURN_IF_ERROR(Get(json, "transpose_backward", &p.transpose_backward));
  AMDRN_RETURN_IF_ERROR(Get(json, "experiment_planner_used", &p.experiment_planner_used, false));
  AMDRN_RETURN_IF_ERROR(Get(json, "label_manager", &p.label_manager, false));
  AMDRN_RETURN_IF_ERROR(Get(json, "amdrn_mirror_axes", &p.mirror_axes, false));
  std::set<int> axes(p.transpose_forward.begin(), p.transpose_forward.end());
  if (axes != std::set<int>{0, 1, 2}) return InvalidArgumentError("expected transpose_forward to permute 0, 1, 2");
  if (json.contains("foreground_intensity_properties_per_channel")) {
    const Json& f = json["foreground_intensity_properties_per_channel"];
    for (size_t ch = 0; ch < f.size(); ++ch) {
      std::string key = std::to_string(ch);
      if (!f.contains(key)) return InvalidArgumentError("expected intensity properties for channel " + key);
      AMDRN_ASSIGN_OR_RETURN(IntensityProperties ip, IntensityPropertiesFromJson(f[key]));
      p.foreground_intensity_properties_per_channel.push_back(ip);
    }
  }
  if (!json.contains("configurations") || !json["configurations"].is_object()) {
    return InvalidArgumentError("expected a \"configurations\" object in the plans");
  }
  const Json& configs = json["configurations"];
  for (auto it = configs.begin(); it != configs.end(); ++it) {
    Json resolved = it.value();
    std::set<std::string> seen{it.key()};
    while (resolved.contains("inherits_from")) {
      std::string parent = resolved["inherits_from"].get<std::string>();
      if (!configs.contains(parent) || seen.count(parent)) {
        return InvalidArgumentError("configuration " + it.key() + " inherits from \"" + parent +
                                    "\", which is missing or circular");
      }
      seen.insert(parent);
      Json child = resolved;
      child.erase("inherits_from");
      resolved = Merge(configs[parent], child);
    }
    // Keep the declared parent for round trips.
    if (it.value().contains("inherits_from")) resolved["inherits_from"] = it.value()["inherits_from"];
    StatusOr<Configuration> c = ConfigurationFromJson(it.key(), resolved);
    if (!c.ok()) {
      // A configuration amdrn cannot run (e.g. a custom architecture) must not hide the others.
      if (c.status().code() == StatusCode::kUnimplemented) continue;
      return c.status().WithContext("configuration " + it.key());
    }
    p.configuration_order.push_back(it.key());
    p.configurations[it.key()] = std::move(*c);
  }
  return p;
}

Json PlansToJson(const Plans& p) {
  Json j;
  j["dataset_name"] = p.dataset_name;
  j["plans_name"] = p.plans_name;
  j["original_median_spacing_after_transp"] = p.original_median_spacing_after_transp;
  j["original_median_shape_after_transp"] = p.original_median_shape_after_transp;
  j["image_reader_writer"] = p.image_reader_writer;
  j["transpose_forward"] = p.transpose_forward;
  j["transpose_backward"] = p.transpose_backward;
  Json configs = Json::object();
  for (const std::string& name : p.configuration_order) {
    auto it = p.configurations.find(name);
    if (it != p.configurations.end()) configs[name] = ConfigurationToJson(it->second);
  }
  for (const auto& [name, c] : p.configurations) {
    if (!configs.contains(name)) configs[name] = ConfigurationToJson(c);
  }
  j["configurations"] = configs;
  j["experiment_planner_used"] = p.experiment_planner_used;
  j["label_manager"] = p.label_manager;
  Json props = Json::object();
  for (size_t ch = 0; ch < p.foreground_intensity_properties_per_channel.size(); ++ch) {
    props[std::to_string(ch)] = IntensityPropertiesToJson(p.foreground_intensity_properties_per_channel[ch]);
  }
  j["foreground_intensity_properties_per_channel"] = props;
  j["amdrn_mirror_axes"] = p.mirror_axes;
  return j;
}

StatusOr<Plans> ReadPlans(const std::string& path) {
  AMDRN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  Json json;
  try {
    json = Json::parse(text);
  } catch (const std::exception& e) {
    return InvalidArgumentError("cannot parse " + path + " as JSON: " + e.what());
  }
  StatusOr<Plans> plans = PlansFromJson(json);
  if (!plans.ok()) return plans.status().WithContext(path);
  return plans;
}

Status WritePlans(const Plans& plans, const std::string& path) {
  return WriteFileAtomic(path, PlansToJson(plans).dump(4) + "\n");
}

}  // namespace amdrn::seg
