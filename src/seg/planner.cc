#include "seg/planner.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "core/logging.h"

namespace amdrn::seg {
namespace {

constexpr double kAnisoThreshold = 3.0;
constexpr int kBaseFeatures = 32;
constexpr int kMinFeatureMapEdge = 4;
constexpr int kMinBatchSize = 2;

struct PresetConstants {
  const char* network;
  const char* plans_name;
  const char* planner_name;
  double vram_target_gb;
  double ref_3d, ref_2d, ref_gb;
  double max_dataset_covered;
  bool residual;
};

PresetConstants ConstantsFor(PlannerPreset preset) {
  switch (preset) {
    case PlannerPreset::kResEncM:
      return {kResidualEncoderUNet, "nnUNetResEncUNetMPlans", "nnUNetPlannerResEncM", 8, 680e6, 135e6, 8, 1.0, true};
    case PlannerPreset::kResEncL:
      return {kResidualEncoderUNet, "nnUNetResEncUNetLPlans", "nnUNetPlannerResEncL", 24, 2.1e9, 380e6, 24, 1.0, true};
    case PlannerPreset::kResEncXL:
      return {kResidualEncoderUNet, "nnUNetResEncUNetXLPlans", "nnUNetPlannerResEncXL", 40, 3.6e9, 560e6, 40, 1.0, true};
    case PlannerPreset::kDefault:
    default:
      return {kPlainConvUNet, "nnUNetPlans", "ExperimentPlanner", 8, 560e6, 85e6, 8, 0.05, false};
  }
}

std::vector<int> Floordiv(const std::vector<int>& a, const std::vector<int>& b) {
  std::vector<int> out(a.size());
  for (size_t i = 0; i < a.size(); ++i) out[i] = a[i] / b[i];
  return out;
}

double Prod(const std::vector<int>& v) {
  double p = 1;
  for (int x : v) p *= x;
  return p;
}

// Feature-map sizes of each encoder stage's output for `patch`.
std::vector<std::vector<int>> StageSizes(const ArchitectureSpec& arch, const std::vector<int>& patch) {
  std::vector<std::vector<int>> sizes;
  std::vector<int> size = patch;
  for (int s = 0; s < arch.n_stages; ++s) {
    size = Floordiv(size, arch.strides[s]);
    sizes.push_back(size);
  }
  return sizes;
}

}  // namespace

Topology GetPoolAndConvProps(const std::vector<double>& spacing, const std::vector<int>& patch_size,
                             int min_feature_map_size, int max_numpool) {
  const int dim = static_cast<int>(spacing.size());
  std::vector<double> current_spacing = spacing;
  std::vector<double> current_size(patch_size.begin(), patch_size.end());
  Topology t;
  t.strides.push_back(std::vector<int>(dim, 1));
  t.num_pool_per_axis.assign(dim, 0);
  std::vector<int> kernel(dim, 1);
  while (true) {
    std::vector<int> valid;
    for (int d = 0; d < dim; ++d) {
      if (current_size[d] >= 2 * min_feature_map_size) valid.push_back(d);
    }
    if (valid.empty()) break;
    double min_valid_spacing = 1e300;
    for (int d : valid) min_valid_spacing = std::min(min_valid_spacing, current_spacing[d]);
    std::vector<int> pool_axes;
    for (int d : valid) {
      if (current_spacing[d] / min_valid_spacing < 2 && t.num_pool_per_axis[d] < max_numpool) pool_axes.push_back(d);
    }
    if (pool_axes.size() == 1 && current_size[pool_axes[0]] < 3 * min_feature_map_size) break;
    if (pool_axes.empty()) break;
    const double min_spacing = *std::min_element(current_spacing.begin(), current_spacing.end());
    for (int d = 0; d < dim; ++d) {
      if (kernel[d] != 3 && current_spacing[d] / min_spacing < 2) kernel[d] = 3;
    }
    std::vector<int> stride(dim, 1);
    for (int d : pool_axes) {
      stride[d] = 2;
      t.num_pool_per_axis[d] += 1;
      current_spacing[d] *= 2;
      current_size[d] = std::ceil(current_size[d] / 2);
    }
    t.strides.push_back(stride);
    t.kernel_sizes.push_back(kernel);
  }
  t.kernel_sizes.push_back(std::vector<int>(dim, 3));
  t.patch_size = patch_size;
  for (int d = 0; d < dim; ++d) {
    int div = 1 << t.num_pool_per_axis[d];
    t.shape_must_be_divisible_by.push_back(div);
    if (t.patch_size[d] % div != 0) t.patch_size[d] += div - t.patch_size[d] % div;
  }
  return t;
}

int64_t ConvFeatureMapSize(const ArchitectureSpec& arch, const std::vector<int>& patch, int num_classes,
                           bool deep_supervision) {
  const std::vector<std::vector<int>> sizes = StageSizes(arch, patch);
  const auto& f = arch.features_per_stage;
  int64_t total = 0;
  std::vector<int> input = patch;
  if (arch.IsResidualEncoder()) total += static_cast<int64_t>(f[0] * Prod(patch));  // stem
  for (int s = 0; s < arch.n_stages; ++s) {
    const double vox = Prod(sizes[s]);
    const int n = arch.n_conv_per_stage[s];
    if (arch.IsResidualEncoder()) {
      const int in_channels = s == 0 ? f[0] : f[s - 1];
      const bool projection = in_channels != f[s] || sizes[s] != input;
      total += static_cast<int64_t>(f[s] * vox) * (2 * n + (projection ? 1 : 0));
    } else {
      total += static_cast<int64_t>(f[s] * vox) * n;
    }
    input = sizes[s];
  }
  for (int s = 0; s + 1 < arch.n_stages; ++s) {  // decoder, bottleneck first
    const int level = arch.n_stages - 2 - s;
    const double vox = Prod(sizes[level]);
    total += static_cast<int64_t>(f[level] * vox) * arch.n_conv_per_stage_decoder[s];
    total += static_cast<int64_t>(f[level] * vox);  // transposed conv
    if (deep_supervision || s == arch.n_stages - 2) total += static_cast<int64_t>(num_classes * vox);
  }
  return total;
}

double ForwardMacs(const ArchitectureSpec& arch, const std::vector<int>& patch, int input_channels,
                   int num_classes, bool deep_supervision) {
  const std::vector<std::vector<int>> sizes = StageSizes(arch, patch);
  const auto& f = arch.features_per_stage;
  auto kvol = [&](int s) { return Prod(arch.kernel_sizes[s]); };
  double macs = 0;
  int in = input_channels;
  if (arch.IsResidualEncoder()) {
    macs += Prod(patch) * f[0] * in * kvol(0);
    in = f[0];
  }
  for (int s = 0; s < arch.n_stages; ++s) {
    const double vox = Prod(sizes[s]);
    for (int c = 0; c < arch.n_conv_per_stage[s]; ++c) {
      if (arch.IsResidualEncoder()) {
        macs += vox * f[s] * in * kvol(s) + vox * f[s] * f[s] * kvol(s);
        if (c == 0 && in != f[s]) macs += vox * f[s] * in;  // 1x1 projection
      } else {
        macs += vox * f[s] * in * kvol(s);
      }
      in = f[s];
    }
  }
  for (int s = 0; s + 1 < arch.n_stages; ++s) {
    const int level = arch.n_stages - 2 - s;
    const double vox = Prod(sizes[level]);
    macs += vox * f[level] * f[level + 1];  // transposed conv, kernel = stride
    macs += vox * f[level] * 2 * f[level] * kvol(level);
    for (int c = 1; c < arch.n_conv_per_stage_decoder[s]; ++c) macs += vox * f[level] * f[level] * kvol(level);
    if (deep_supervision || s == arch.n_stages - 2) macs += vox * f[level] * num_classes;
  }
  return macs;
}

StatusOr<PlannerPreset> ParsePlannerPreset(const std::string& name) {
  if (name == "default" || name == "nnUNetPlans") return PlannerPreset::kDefault;
  if (name == "resenc-m" || name == "ResEncM") return PlannerPreset::kResEncM;
  if (name == "resenc-l" || name == "ResEncL") return PlannerPreset::kResEncL;
  if (name == "resenc-xl" || name == "ResEncXL") return PlannerPreset::kResEncXL;
  return InvalidArgumentError("expected planner default, resenc-m, resenc-l or resenc-xl, found \"" + name + "\"");
}

double MemoryBudgetFromHost() {
  const double pages = static_cast<double>(sysconf(_SC_PHYS_PAGES));
  const double page_size = static_cast<double>(sysconf(_SC_PAGE_SIZE));
  if (pages <= 0 || page_size <= 0) return 8.0;
  const double ram_gb = pages * page_size / (1024.0 * 1024.0 * 1024.0);
  return ram_gb * 0.5 / 2.0;
}

double EstimateCpuGflops(int threads) {
  // fp32 3D convolution training (forward + backward) in LibTorch/oneDNN on an AVX2 core
  // sustains roughly a quarter of its ~80 GFLOP/s FMA peak.
  constexpr double kGflopsPerCore = 20.0;
  return std::max(1, threads) * kGflopsPerCore;
}

StatusOr<PlannerOptions> CpuBudgetPreset(const std::string& name, int threads, double cpu_gflops) {
  PlannerOptions o;
  o.cpu_gflops = cpu_gflops > 0 ? cpu_gflops : EstimateCpuGflops(threads);
  o.budget_preset_name = name;
  if (name == "quick") {
    o.max_seconds_per_iteration = 0.5;
    o.time_budget_hours = 10.0 / 60.0;
  } else if (name == "full") {
    o.max_seconds_per_iteration = 3.0;
    o.time_budget_hours = 3.0;
  } else if (name == "nnunet") {
    o.cpu_gflops = 0;
  } else {
    return InvalidArgumentError("expected budget preset quick, full or nnunet, found \"" + name + "\"");
  }
  return o;
}

std::vector<double> FullresTargetSpacing(const Fingerprint& fp) {
  std::vector<double> target(3), median_size(3);
  for (int d = 0; d < 3; ++d) {
    std::vector<double> sp, sz;
    for (size_t i = 0; i < fp.spacings.size(); ++i) {
      sp.push_back(fp.spacings[i][d]);
      sz.push_back(static_cast<double>(fp.shapes_after_crop[i][d]));
    }
    target[d] = Percentile(sp, 50);
    median_size[d] = Percentile(sz, 50);
  }
  const int worst = static_cast<int>(std::max_element(target.begin(), target.end()) - target.begin());
  double other_max_spacing = 0, other_min_size = 1e300;
  for (int d = 0; d < 3; ++d) {
    if (d == worst) continue;
    other_max_spacing = std::max(other_max_spacing, target[d]);
    other_min_size = std::min(other_min_size, median_size[d]);
  }
  const bool aniso_spacing = target[worst] > kAnisoThreshold * other_max_spacing;
  const bool aniso_voxels = median_size[worst] * kAnisoThreshold < other_min_size;
  if (aniso_spacing && aniso_voxels) {
    std::vector<double> axis;
    for (const auto& s : fp.spacings) axis.push_back(s[worst]);
    double t = Percentile(axis, 10);
    if (t < other_max_spacing) t = std::max(other_max_spacing, t) + 1e-5;
    target[worst] = t;
  }
  return target;
}

namespace {

struct PlanContext {
  PresetConstants preset;
  int num_channels = 1;
  int num_classes = 2;
  double memory_gb = 8;
  const PlannerOptions* options = nullptr;
};

ArchitectureSpec MakeArchitecture(const PlanContext& ctx, const Topology& topo, int base_features,
                                  int max_features) {
  ArchitectureSpec a;
  a.network_class_name = ctx.preset.network;
  a.n_stages = static_cast<int>(topo.strides.size());
  for (int s = 0; s < a.n_stages; ++s) {
    a.features_per_stage.push_back(std::min(max_features, base_features << std::min(s, 20)));
  }
  a.kernel_sizes = topo.kernel_sizes;
  a.strides = topo.strides;
  static const int kResBlocks[] = {1, 3, 4, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6};
  for (int s = 0; s < a.n_stages; ++s) {
    a.n_conv_per_stage.push_back(ctx.preset.residual ? kResBlocks[std::min(s, 15)] : 2);
  }
  a.n_conv_per_stage_decoder.assign(a.n_stages - 1, ctx.preset.residual ? 1 : 2);
  return a;
}

// nnU-Net's shrink step: reduce the axis with the largest patch / median ratio (ties: the
// last) by its divisibility step, recomputed once on the trial patch.
std::vector<int> ShrinkPatch(const std::vector<double>& spacing, const std::vector<int>& patch,
                             const std::vector<double>& median_shape, const Topology& topo) {
  int axis = 0;
  double worst = -1;
  for (size_t d = 0; d < patch.size(); ++d) {
    double r = patch[d] / median_shape[d];
    if (r >= worst) {
      worst = r;
      axis = static_cast<int>(d);
    }
  }
  std::vector<int> trial = patch;
  trial[axis] -= topo.shape_must_be_divisible_by[axis];
  Topology t = GetPoolAndConvProps(spacing, trial, kMinFeatureMapEdge, 999999);
  std::vector<int> out = patch;
  out[axis] -= t.shape_must_be_divisible_by[axis];
  return out;
}

double SecondsPerIteration(const ArchitectureSpec& a, const std::vector<int>& patch, int batch,
                           const PlanContext& ctx) {
  const double macs = ForwardMacs(a, patch, ctx.num_channels, ctx.num_classes, true);
  return batch * 3.0 * 2.0 * macs / (ctx.options->cpu_gflops * 1e9);
}

bool CanShrink(const std::vector<int>& patch, const Topology& topo) {
  for (size_t d = 0; d < patch.size(); ++d) {
    if (patch[d] - topo.shape_must_be_divisible_by[d] >= 2 * kMinFeatureMapEdge) return true;
  }
  return false;
}

// The compute rule (docs/segmentation.md): batch size 2; for base widths 16, 8, ... down to
// min_base_features (never above nnU-Net's 32), start from the memory-planned patch and apply
// nnU-Net's shrink step until one iteration fits max_seconds_per_iteration. A width is given up
// for the next smaller one once its patch would fall below 1/8 of the memory-planned volume;
// at the smallest width the patch shrinks as far as the topology allows.
void ApplyComputeBudget(const PlanContext& ctx, const std::vector<double>& spacing,
                        const std::vector<double>& median_shape, Configuration* c, int max_features) {
  const PlannerOptions& o = *ctx.options;
  c->batch_size = kMinBatchSize;
  const std::vector<int> memory_patch = c->patch_size;
  const double memory_voxels = Prod(memory_patch);
  Topology topo;
  ArchitectureSpec arch;
  for (int base = kBaseFeatures; base >= 1; base /= 2) {
    const bool last = base / 2 < std::max(1, o.min_base_features);
    std::vector<int> patch = memory_patch;
    while (true) {
      topo = GetPoolAndConvProps(spacing, patch, kMinFeatureMapEdge, 999999);
      arch = MakeArchitecture(ctx, topo, base, std::max(base, max_features * base / kBaseFeatures));
      if (SecondsPerIteration(arch, topo.patch_size, c->batch_size, ctx) <= o.max_seconds_per_iteration) break;
      if (!CanShrink(topo.patch_size, topo)) break;
      std::vector<int> smaller = ShrinkPatch(spacing, topo.patch_size, median_shape, topo);
      if (!last && Prod(smaller) < memory_voxels / 8.0) break;
      patch = smaller;
    }
    if (last || SecondsPerIteration(arch, topo.patch_size, c->batch_size, ctx) <= o.max_seconds_per_iteration) break;
  }
  c->patch_size = topo.patch_size;
  c->architecture = arch;
  c->budget.cpu_gflops = o.cpu_gflops;
  c->budget.estimated_seconds_per_iteration = SecondsPerIteration(arch, topo.patch_size, c->batch_size, ctx);
}

// Epochs and iterations for the time budget: at least 50 epochs (poly schedule, EMA and
// checkpoint granularity), at most nnU-Net's 1000 x 250; validation adds 20 % forward-only
// iterations (~7 % of a training iteration's cost).
void ApplyTimeBudget(const PlannerOptions& o, Configuration* c) {
  TrainingBudget& b = c->budget;
  b.preset = o.budget_preset_name;
  b.time_budget_hours = o.time_budget_hours;
  if (o.time_budget_hours <= 0 || b.estimated_seconds_per_iteration <= 0) return;
  const double per_iteration = b.estimated_seconds_per_iteration * (1.0 + 0.2 / 3.0);
  const double total = std::min(1000.0 * 250.0, o.time_budget_hours * 3600.0 / per_iteration);
  int per_epoch = total >= 250.0 * 50 ? 250 : std::max(10, static_cast<int>(std::lround(total / 50)));
  b.num_iterations_per_epoch = per_epoch;
  b.num_epochs = std::max(1, std::min(1000, static_cast<int>(total / per_epoch)));
  b.num_val_iterations_per_epoch = std::max(2, per_epoch / 5);
}

Configuration PlanConfiguration(const PlanContext& ctx, const std::vector<double>& spacing,
                                const std::vector<double>& median_shape, double approx_n_voxels,
                                const std::string& name, const std::string& data_identifier) {
  const int dim = static_cast<int>(spacing.size());
  const int max_features = dim == 3 ? 320 : 512;
  // Initial patch: aspect ratio 1/spacing, volume of 256^3 (2D: 2048^2), clipped to the median.
  std::vector<double> inv(dim);
  double prod_inv = 1;
  for (int d = 0; d < dim; ++d) prod_inv *= (inv[d] = 1.0 / spacing[d]);
  const double target = dim == 3 ? std::pow(256.0, 3) : std::pow(2048.0, 2);
  std::vector<int> patch(dim);
  for (int d = 0; d < dim; ++d) {
    patch[d] = static_cast<int>(std::nearbyint(inv[d] * std::pow(target / prod_inv, 1.0 / dim)));
    patch[d] = std::min(patch[d], static_cast<int>(median_shape[d]));
  }
  Topology topo = GetPoolAndConvProps(spacing, patch, kMinFeatureMapEdge, 999999);
  ArchitectureSpec arch = MakeArchitecture(ctx, topo, kBaseFeatures, max_features);
  std::map<std::string, int64_t> cache;
  auto estimate_of = [&](const ArchitectureSpec& a, const std::vector<int>& p) {
    std::string key;
    for (int v : p) key += std::to_string(v) + ",";
    for (const auto& st : a.strides) for (int v : st) key += std::to_string(v);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    return cache[key] = ConvFeatureMapSize(a, p, ctx.num_classes, false);
  };
  const double reference = (dim == 3 ? ctx.preset.ref_3d : ctx.preset.ref_2d) * ctx.memory_gb / ctx.preset.ref_gb;
  const double ref_bs = dim == 3 ? 2 : 12;
  int64_t estimate = estimate_of(arch, topo.patch_size);
  while (estimate / ref_bs * 2 > reference && CanShrink(topo.patch_size, topo)) {
    patch = ShrinkPatch(spacing, topo.patch_size, median_shape, topo);
    topo = GetPoolAndConvProps(spacing, patch, kMinFeatureMapEdge, 999999);
    arch = MakeArchitecture(ctx, topo, kBaseFeatures, max_features);
    estimate = estimate_of(arch, topo.patch_size);
  }
  int batch = static_cast<int>(std::nearbyint(reference / estimate * ref_bs));
  const int cap = static_cast<int>(std::nearbyint(approx_n_voxels * ctx.preset.max_dataset_covered /
                                                  Prod(topo.patch_size)));
  batch = std::max(std::min(batch, cap), kMinBatchSize);

  Configuration c;
  c.name = name;
  c.data_identifier = data_identifier;
  c.batch_size = batch;
  c.patch_size = topo.patch_size;
  c.median_image_size_in_voxels = median_shape;
  c.spacing = spacing;
  c.architecture = arch;
  c.budget.preset = "nnunet";
  if (ctx.options->cpu_gflops > 0) {
    if (ctx.options->max_seconds_per_iteration > 0) {
      ApplyComputeBudget(ctx, spacing, median_shape, &c, max_features);
    } else {
      c.budget.cpu_gflops = ctx.options->cpu_gflops;
      c.budget.estimated_seconds_per_iteration = SecondsPerIteration(arch, c.patch_size, c.batch_size, ctx);
    }
    ApplyTimeBudget(*ctx.options, &c);
  }
  return c;
}

StatusOr<std::vector<std::string>> NormalizationSchemes(const RawDataset& ds, const std::string& mode) {
  std::vector<std::string> schemes;
  for (const std::string& raw : ds.channel_names) {
    std::string name = raw;
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (mode == "ct") {
      schemes.push_back(kCTNormalization);
    } else if (mode == "zscore") {
      schemes.push_back(kZScoreNormalization);
    } else if (mode != "auto") {
      return InvalidArgumentError("expected normalization auto, ct or zscore, found \"" + mode + "\"");
    } else if (name == "ct") {
      schemes.push_back(kCTNormalization);
    } else if (name == "nonorm") {
      schemes.push_back(kNoNormalization);
    } else if (name == "rescale_to_0_1") {
      schemes.push_back(kRescaleTo01Normalization);
    } else if (name == "rgb_to_0_1") {
      schemes.push_back(kRGBTo01Normalization);
    } else {
      schemes.push_back(kZScoreNormalization);
    }
  }
  return schemes;
}

// Per-axis median of the case shapes after resampling to `spacing`.
std::vector<double> MedianResampledShape(const Fingerprint& fp, const std::vector<double>& spacing) {
  std::vector<double> out(3);
  for (int d = 0; d < 3; ++d) {
    std::vector<double> v;
    for (size_t i = 0; i < fp.spacings.size(); ++i) {
      v.push_back(std::nearbyint(fp.spacings[i][d] / spacing[d] * fp.shapes_after_crop[i][d]));
    }
    out[d] = Percentile(v, 50);
  }
  return out;
}

}  // namespace

namespace {

StatusOr<std::vector<double>> ResolveTargetSpacing(const Fingerprint& fp, const PlannerOptions& options) {
  if (options.overwrite_target_spacing.empty()) return FullresTargetSpacing(fp);
  if (options.overwrite_target_spacing.size() != 3) {
    return InvalidArgumentError("expected 3 values for the target spacing, found " +
                                std::to_string(options.overwrite_target_spacing.size()));
  }
  return options.overwrite_target_spacing;
}

// Transposes, the original medians and the transposed target spacing and median shape.
void SetAxes(const Fingerprint& fp, const std::vector<double>& spacing, Plans* plans, std::vector<double>* spacing_t,
             std::vector<double>* median_t) {
  const int worst = static_cast<int>(std::max_element(spacing.begin(), spacing.end()) - spacing.begin());
  plans->transpose_forward = {worst, worst == 0 ? 1 : 0, worst == 2 ? 1 : 2};
  for (int i = 0; i < 3; ++i) plans->transpose_backward[plans->transpose_forward[i]] = i;
  const std::vector<double> median_shape = MedianResampledShape(fp, spacing);
  spacing_t->assign(3, 0);
  median_t->assign(3, 0);
  for (int d = 0; d < 3; ++d) {
    const int axis = plans->transpose_forward[d];
    std::vector<double> sp, sz;
    for (size_t i = 0; i < fp.spacings.size(); ++i) {
      sp.push_back(fp.spacings[i][axis]);
      sz.push_back(static_cast<double>(fp.shapes_after_crop[i][axis]));
    }
    plans->original_median_spacing_after_transp.push_back(Percentile(sp, 50));
    plans->original_median_shape_after_transp.push_back(Percentile(sz, 50));
    (*spacing_t)[d] = spacing[axis];
    (*median_t)[d] = median_shape[axis];
  }
}

void SetMirrorAxes(const RawDataset& dataset, Plans* plans) {
  plans->mirror_axes = {0, 1, 2};
  if (!LabelsAreSided(dataset)) return;
  // TODO: the left-right axis is taken for an identity-direction scan after transpose; read
  // the direction of the first case when datasets with oblique scans and sided labels appear.
  const int lr_axis = plans->transpose_backward[2];
  plans->mirror_axes.erase(std::remove(plans->mirror_axes.begin(), plans->mirror_axes.end(), lr_axis),
                           plans->mirror_axes.end());
}

}  // namespace

StatusOr<Plans> PlanExperiment(const RawDataset& dataset, const Fingerprint& fp, const PlannerOptions& options) {
  if (fp.spacings.empty()) return InvalidArgumentError("expected a fingerprint with at least one case, found none");
  if (static_cast<int>(fp.foreground_intensity_properties_per_channel.size()) != dataset.NumChannels()) {
    return InvalidArgumentError("the fingerprint has " +
                                std::to_string(fp.foreground_intensity_properties_per_channel.size()) +
                                " channels, dataset.json " + std::to_string(dataset.NumChannels()));
  }
  PlanContext ctx;
  ctx.preset = ConstantsFor(options.preset);
  ctx.num_channels = dataset.NumChannels();
  ctx.num_classes = dataset.NumClasses();
  ctx.options = &options;
  ctx.memory_gb = options.memory_budget_gb > 0 ? options.memory_budget_gb
                                               : std::min(ctx.preset.vram_target_gb, MemoryBudgetFromHost());
  AMDRN_ASSIGN_OR_RETURN(std::vector<double> spacing, ResolveTargetSpacing(fp, options));
  AMDRN_ASSIGN_OR_RETURN(std::vector<std::string> schemes, NormalizationSchemes(dataset, options.normalization));
  Plans plans;
  plans.dataset_name = dataset.name;
  plans.plans_name = options.plans_name.empty() ? ctx.preset.plans_name : options.plans_name;
  plans.experiment_planner_used = ctx.preset.planner_name;
  plans.foreground_intensity_properties_per_channel = fp.foreground_intensity_properties_per_channel;
  std::vector<double> spacing_t, median_t;
  SetAxes(fp, spacing, &plans, &spacing_t, &median_t);
  SetMirrorAxes(dataset, &plans);
  const double n_voxels = median_t[0] * median_t[1] * median_t[2] * std::max(1, dataset.num_training);
  std::vector<bool> use_mask;
  for (const std::string& s : schemes) {
    use_mask.push_back(s == kZScoreNormalization && fp.median_relative_size_after_cropping < 0.75);
  }
  // ResEnc presets share nnU-Net's data identifiers with the default plans.
  const std::string prefix = options.plans_name.empty() && ctx.preset.residual ? "nnUNetPlans" : plans.plans_name;
  auto add = [&](Configuration c, bool batch_dice) {
    c.normalization_schemes = schemes;
    c.use_mask_for_norm = use_mask;
    c.batch_dice = batch_dice;
    plans.configuration_order.push_back(c.name);
    plans.configurations[c.name] = std::move(c);
  };
  if (options.plan_2d) {
    add(PlanConfiguration(ctx, {spacing_t[1], spacing_t[2]}, {median_t[1], median_t[2]}, n_voxels, "2d",
                          prefix + "_2d"),
        true);
  }
  // TODO: 3d_lowres and the cascade are not planned (CBCT crops of the sinus region fit the
  // full-resolution patch); without a lowres stage nnU-Net sets fullres batch_dice False.
  if (median_t[0] != 1) {
    add(PlanConfiguration(ctx, spacing_t, median_t, n_voxels, "3d_fullres", prefix + "_3d_fullres"), false);
  }
  return plans;
}

}  // namespace amdrn::seg
