// The experiment planner: nnU-Net v2's rules (target spacing with the anisotropy exception,
// transpose, topology from get_pool_and_conv_props, patch and batch size from the
// activation-memory model) with amdrn's CPU adaptations: the memory budget comes from host
// RAM instead of GPU memory, and an optional compute budget shrinks the network and the
// patch so one training iteration fits a time target, then sets epochs and iterations for a
// total training time. The rules are documented in docs/segmentation.md. Pure functions.
#ifndef AMDRN_SEG_PLANNER_H_
#define AMDRN_SEG_PLANNER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "seg/dataset.h"
#include "seg/fingerprint.h"
#include "seg/plans.h"

namespace amdrn::seg {

// get_pool_and_conv_props (nnU-Net network_topology.py).
struct Topology {
  std::vector<int> num_pool_per_axis;
  std::vector<std::vector<int>> strides;       // n_stages entries, the first all 1
  std::vector<std::vector<int>> kernel_sizes;  // n_stages entries, the last the 3x3x3 bottleneck
  std::vector<int> patch_size;                 // rounded up to shape_must_be_divisible_by
  std::vector<int> shape_must_be_divisible_by;
};
Topology GetPoolAndConvProps(const std::vector<double>& spacing, const std::vector<int>& patch_size,
                             int min_feature_map_size = 4, int max_numpool = 999999);

// dynamic_network_architectures' compute_conv_feature_map_size: the sum of C x voxels over
// every conv, transposed-conv and segmentation output of the network for one sample of
// `patch_size` (an activation count, not bytes).
int64_t ConvFeatureMapSize(const ArchitectureSpec& arch, const std::vector<int>& patch_size,
                           int num_classes, bool deep_supervision);

// Multiply-accumulates of one forward pass (convolutions, transposed convolutions and
// segmentation heads) for one sample; the compute model uses 3x this for forward+backward.
double ForwardMacs(const ArchitectureSpec& arch, const std::vector<int>& patch_size,
                   int input_channels, int num_classes, bool deep_supervision);

enum class PlannerPreset {
  kDefault,    // nnU-Net's ExperimentPlanner (PlainConvUNet, ref 560e6 at 8 GB)
  kResEncM,    // nnUNetPlannerResEncM (ResidualEncoderUNet, ref 680e6 at 8 GB, no bs cap)
  kResEncL,    // nnUNetPlannerResEncL (24 GB, ref 2.1e9)
  kResEncXL,   // nnUNetPlannerResEncXL (40 GB, ref 3.6e9)
};
StatusOr<PlannerPreset> ParsePlannerPreset(const std::string& name);  // "default", "resenc-m", ...

struct PlannerOptions {
  PlannerPreset preset = PlannerPreset::kDefault;
  // Memory for training activations in GB, playing the role of nnU-Net's GPU memory target.
  // <= 0: the preset's own target (8/8/24/40 GB) capped at MemoryBudgetFromHost().
  double memory_budget_gb = 0;
  // Compute budget. cpu_gflops <= 0 disables it (pure nnU-Net planning, 1000x250 schedule).
  double cpu_gflops = 0;                  // sustained fp32 training throughput, GFLOP/s
  double max_seconds_per_iteration = 0;   // per training iteration (batch); 0 = no limit
  double time_budget_hours = 0;           // whole training run; 0 = nnU-Net's 1000x250
  int min_base_features = 8;              // the compute rule never goes below this width
  std::string budget_preset_name = "nnunet";
  // Normalisation: "auto" (from channel names, nnU-Net's rule), "ct" or "zscore" for all.
  std::string normalization = "auto";
  std::vector<double> overwrite_target_spacing;  // (z, y, x); empty = nnU-Net's rule
  bool plan_2d = true;
  std::string plans_name;  // empty = the preset's nnU-Net name
};

// Convenience presets for CPU training: "quick" (minutes on 2 cores) and "full" (<= 3 h).
// Fills the compute-budget fields from the thread count and throughput estimate.
StatusOr<PlannerOptions> CpuBudgetPreset(const std::string& name, int threads, double cpu_gflops);

// Half the machine's physical RAM in GB (the rest is left to data, the OS and other jobs),
// divided by 2 because CPU training keeps fp32 activations where nnU-Net's GPU reference
// values assume mixed precision.
double MemoryBudgetFromHost();

// Default throughput estimate for fp32 3D convolution training on this CPU: `threads` x a
// per-core figure (see docs/segmentation.md). Overridable with --cpu-gflops.
double EstimateCpuGflops(int threads);

// nnU-Net's determine_fullres_target_spacing (median, anisotropy exception), array order.
std::vector<double> FullresTargetSpacing(const Fingerprint& fingerprint);

// Plans the dataset: "3d_fullres" (unless the median shape is 1 along the first axis) and
// "2d" (when options.plan_2d). InvalidArgument on an empty fingerprint or channel mismatch.
StatusOr<Plans> PlanExperiment(const RawDataset& dataset, const Fingerprint& fingerprint,
                               const PlannerOptions& options = {});

}  // namespace amdrn::seg

#endif  // AMDRN_SEG_PLANNER_H_
