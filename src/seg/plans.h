// Plans: the structs behind nnU-Net v2's plans.json (one Plans, several Configurations such
// as "3d_fullres" and "2d"), read and written in nnU-Net's format so plans travel between
// amdrn and nnU-Net. All per-axis vectors are in nnU-Net array order *after*
// transpose_forward (axis 0 is the slowest, normally z). amdrn additions live under keys
// starting with "amdrn_", which nnU-Net ignores. Plain values; thread-compatible.
#ifndef AMDRN_SEG_PLANS_H_
#define AMDRN_SEG_PLANS_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace amdrn::seg {

using Json = nlohmann::ordered_json;  // keeps nnU-Net's key order (sort_keys=False)

inline constexpr char kPlainConvUNet[] =
    "dynamic_network_architectures.architectures.unet.PlainConvUNet";
inline constexpr char kResidualEncoderUNet[] =
    "dynamic_network_architectures.architectures.unet.ResidualEncoderUNet";

// Normalisation scheme class names, as in nnU-Net.
inline constexpr char kCTNormalization[] = "CTNormalization";
inline constexpr char kZScoreNormalization[] = "ZScoreNormalization";
inline constexpr char kNoNormalization[] = "NoNormalization";
inline constexpr char kRescaleTo01Normalization[] = "RescaleTo01Normalization";
inline constexpr char kRGBTo01Normalization[] = "RGBTo01Normalization";

// Foreground intensity statistics of one channel over the dataset (fingerprint).
struct IntensityProperties {
  double mean = 0, median = 0, std = 0, min = 0, max = 0;
  double percentile_99_5 = 0, percentile_00_5 = 0;
};

// arch_kwargs of dynamic_network_architectures' PlainConvUNet / ResidualEncoderUNet.
struct ArchitectureSpec {
  std::string network_class_name = kPlainConvUNet;
  int n_stages = 0;
  std::vector<int> features_per_stage;
  std::vector<std::vector<int>> kernel_sizes;  // [stage][axis]
  std::vector<std::vector<int>> strides;       // [stage][axis]; stage 0 is all 1
  // PlainConvUNet: convs per encoder stage ("n_conv_per_stage"); ResidualEncoderUNet:
  // residual blocks per stage ("n_blocks_per_stage").
  std::vector<int> n_conv_per_stage;
  std::vector<int> n_conv_per_stage_decoder;  // n_stages - 1 entries
  bool conv_bias = true;
  double norm_eps = 1e-5;
  bool norm_affine = true;
  double leaky_relu_slope = 0.01;  // PyTorch's default; nnU-Net passes only inplace=True

  bool IsResidualEncoder() const { return network_class_name == kResidualEncoderUNet; }
};

// amdrn addition: the training budget the CPU-aware planner chose (see planner.h).
struct TrainingBudget {
  int num_epochs = 1000;
  int num_iterations_per_epoch = 250;
  int num_val_iterations_per_epoch = 50;
  double estimated_seconds_per_iteration = 0;  // from the compute model; 0 = unknown
  double cpu_gflops = 0;                       // throughput assumed by the compute model
  double time_budget_hours = 0;                // 0 = nnU-Net defaults, no budget
  std::string preset = "nnunet";              // "quick", "full" or "nnunet"
};

struct Configuration {
  std::string name;  // key in plans.json, e.g. "3d_fullres"
  std::string data_identifier;
  std::string preprocessor_name = "DefaultPreprocessor";
  int batch_size = 2;
  std::vector<int> patch_size;                     // 3 entries (3D) or 2 (2D)
  std::vector<double> median_image_size_in_voxels;
  std::vector<double> spacing;                     // target spacing, mm
  std::vector<std::string> normalization_schemes;  // one per channel
  std::vector<bool> use_mask_for_norm;             // one per channel
  ArchitectureSpec architecture;
  bool batch_dice = false;
  std::string inherits_from, previous_stage, next_stage;  // empty when absent
  TrainingBudget budget;  // "amdrn_training_budget"
  Json json;              // every key as read, so unknown keys survive a round trip

  bool Is3d() const { return patch_size.size() == 3; }
};

struct Plans {
  std::string dataset_name;
  std::string plans_name = "nnUNetPlans";
  std::vector<double> original_median_spacing_after_transp;
  std::vector<double> original_median_shape_after_transp;
  std::string image_reader_writer = "SimpleITKIO";
  std::array<int, 3> transpose_forward = {0, 1, 2};
  std::array<int, 3> transpose_backward = {0, 1, 2};
  std::map<std::string, Configuration> configurations;  // resolved (inheritance applied)
  std::vector<std::string> configuration_order;         // order in the file
  std::string experiment_planner_used = "ExperimentPlanner";
  std::string label_manager = "LabelManager";
  std::vector<IntensityProperties> foreground_intensity_properties_per_channel;
  // amdrn addition ("amdrn_mirror_axes"): array axes (after transpose) that training and
  // test-time augmentation may flip; the left-right axis is absent when labels are sided.
  std::vector<int> mirror_axes = {0, 1, 2};
  Json json;  // as read

  // The named configuration; NotFound lists the available names.
  StatusOr<Configuration> GetConfiguration(const std::string& name) const;
};

// JSON conversion. PlansFromJson resolves "inherits_from" (deep copy of the parent, then the
// child's keys) and validates shapes (InvalidArgument naming the key).
StatusOr<Plans> PlansFromJson(const Json& json);
Json PlansToJson(const Plans& plans);
StatusOr<Plans> ReadPlans(const std::string& path);
Status WritePlans(const Plans& plans, const std::string& path);  // atomic

Json IntensityPropertiesToJson(const IntensityProperties& p);
StatusOr<IntensityProperties> IntensityPropertiesFromJson(const Json& json);

}  // namespace amdrn::seg

#endif  // AMDRN_SEG_PLANS_H_
