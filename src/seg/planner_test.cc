// Planner tests against the numbers in shared/reference/nnunet.md (nnU-Net v2 2.8.1).
#include "seg/planner.h"

#include <gtest/gtest.h>

#include "seg/fingerprint.h"
#include "seg/plans.h"

namespace amdrn::seg {
namespace {

RawDataset FourLabelDataset(int cases) {
  RawDataset ds;
  ds.name = "Dataset900_Test";
  ds.channel_names = {"CT"};
  ds.labels = {{"background", 0}, {"MS", 1}, {"SM", 2}, {"RAB", 3}};
  ds.num_training = cases;
  return ds;
}

Fingerprint UniformFingerprint(int cases, std::array<double, 3> spacing, std::array<int64_t, 3> shape) {
  Fingerprint fp;
  for (int i = 0; i < cases; ++i) {
    fp.spacings.push_back(spacing);
    fp.shapes_after_crop.push_back(shape);
  }
  fp.foreground_intensity_properties_per_channel.push_back({100, 90, 50, -500, 2000, 1500, -200});
  return fp;
}

Configuration Fullres(const RawDataset& ds, const Fingerprint& fp, PlannerPreset preset, double memory_gb) {
  PlannerOptions o;
  o.preset = preset;
  o.memory_budget_gb = memory_gb;
  StatusOr<Plans> plans = PlanExperiment(ds, fp, o);
  EXPECT_TRUE(plans.ok()) << plans.status().ToString();
  return plans->configurations.at("3d_fullres");
}

TEST(Topology, IsotropicPatch128HasSixStages) {
  Topology t = GetPoolAndConvProps({0.3, 0.3, 0.3}, {128, 128, 128});
  ASSERT_EQ(t.strides.size(), 6u);
  EXPECT_EQ(t.strides[0], (std::vector<int>{1, 1, 1}));
  for (size_t s = 1; s < 6; ++s) EXPECT_EQ(t.strides[s], (std::vector<int>{2, 2, 2}));
  for (const auto& k : t.kernel_sizes) EXPECT_EQ(k, (std::vector<int>{3, 3, 3}));
  EXPECT_EQ(t.patch_size, (std::vector<int>{128, 128, 128}));
}

TEST(Topology, AnisotropicAxisGetsInPlaneKernelsFirst) {
  Topology t = GetPoolAndConvProps({3.0, 0.7, 0.7}, {28, 256, 256});
  ASSERT_EQ(t.strides.size(), 7u);
  EXPECT_EQ(t.kernel_sizes[0], (std::vector<int>{1, 3, 3}));
  EXPECT_EQ(t.kernel_sizes[1], (std::vector<int>{1, 3, 3}));
  EXPECT_EQ(t.kernel_sizes[2], (std::vector<int>{3, 3, 3}));
  EXPECT_EQ(t.strides[1], (std::vector<int>{1, 2, 2}));
}

TEST(Topology, PatchIsRoundedUpToDivisibility) {
  Topology t = GetPoolAndConvProps({1, 1, 1}, {100, 100, 100});
  for (int d = 0; d < 3; ++d) EXPECT_EQ(t.patch_size[d] % t.shape_must_be_divisible_by[d], 0);
  EXPECT_GE(t.patch_size[0], 100);
}

TEST(FeatureMapSize, ResEncReferenceValue) {
  // The value nnU-Net quotes for ResEnc, 128^3, 3 classes, deep supervision on.
  Topology t = GetPoolAndConvProps({1, 1, 1}, {128, 128, 128});
  ArchitectureSpec a;
  a.network_class_name = kResidualEncoderUNet;
  a.n_stages = 6;
  a.features_per_stage = {32, 64, 128, 256, 320, 320};
  a.kernel_sizes = t.kernel_sizes;
  a.strides = t.strides;
  a.n_conv_per_stage = {1, 3, 4, 6, 6, 6};
  a.n_conv_per_stage_decoder = {1, 1, 1, 1, 1};
  EXPECT_EQ(ConvFeatureMapSize(a, {128, 128, 128}, 3, true), 558319104);
}

TEST(Planner, Isotropic03mmMedian400) {
  RawDataset ds = FourLabelDataset(20);
  Fingerprint fp = UniformFingerprint(20, {0.3, 0.3, 0.3}, {400, 400, 400});
  Configuration c = Fullres(ds, fp, PlannerPreset::kDefault, 8);
  EXPECT_EQ(c.patch_size, (std::vector<int>{128, 128, 128}));
  EXPECT_EQ(c.batch_size, 2);
  EXPECT_EQ(c.architecture.n_stages, 6);
  EXPECT_EQ(c.architecture.features_per_stage, (std::vector<int>{32, 64, 128, 256, 320, 320}));
  EXPECT_EQ(Fullres(ds, fp, PlannerPreset::kResEncM, 8).patch_size, (std::vector<int>{128, 128, 128}));
  EXPECT_EQ(Fullres(ds, fp, PlannerPreset::kResEncL, 24).patch_size, (std::vector<int>{192, 192, 192}));
}

TEST(Planner, Isotropic02mmMedian300x400x400) {
  RawDataset ds = FourLabelDataset(20);
  Fingerprint fp = UniformFingerprint(20, {0.2, 0.2, 0.2}, {300, 400, 400});
  Configuration c = Fullres(ds, fp, PlannerPreset::kDefault, 8);
  EXPECT_EQ(c.patch_size, (std::vector<int>{112, 160, 128}));
  EXPECT_EQ(c.architecture.strides.back(), (std::vector<int>{1, 2, 2}));
  EXPECT_EQ(Fullres(ds, fp, PlannerPreset::kResEncM, 8).patch_size, (std::vector<int>{112, 160, 128}));
  EXPECT_EQ(Fullres(ds, fp, PlannerPreset::kResEncL, 24).patch_size, (std::vector<int>{160, 224, 192}));
}

TEST(Planner, Anisotropic3x07mm) {
  RawDataset ds = FourLabelDataset(20);
  Fingerprint fp = UniformFingerprint(20, {3.0, 0.7, 0.7}, {60, 512, 512});
  Configuration c = Fullres(ds, fp, PlannerPreset::kDefault, 8);
  EXPECT_EQ(c.patch_size, (std::vector<int>{28, 256, 256}));
  EXPECT_EQ(c.architecture.n_stages, 7);
  EXPECT_EQ(c.architecture.kernel_sizes[0], (std::vector<int>{1, 3, 3}));
  EXPECT_EQ(c.architecture.kernel_sizes[1], (std::vector<int>{1, 3, 3}));
}

TEST(Planner, TargetSpacingAnisotropyException) {
  Fingerprint fp;
  // z spacing 5 mm (median) > 3 x 0.5 and z extent 20 x 3 < 400: 10th percentile is used.
  for (double z : {2.0, 4.0, 5.0, 5.0, 5.0, 6.0}) {
    fp.spacings.push_back({z, 0.5, 0.5});
    fp.shapes_after_crop.push_back({20, 400, 400});
  }
  std::vector<double> t = FullresTargetSpacing(fp);
  EXPECT_DOUBLE_EQ(t[0], 3.0);  // numpy percentile 10 of {2,4,5,5,5,6}
  EXPECT_DOUBLE_EQ(t[1], 0.5);
}

TEST(Planner, TransposePutsCoarsestAxisFirst) {
  RawDataset ds = FourLabelDataset(5);
  Fingerprint fp = UniformFingerprint(5, {0.5, 0.5, 2.0}, {200, 200, 60});
  StatusOr<Plans> plans = PlanExperiment(ds, fp, {});
  ASSERT_TRUE(plans.ok());
  EXPECT_EQ(plans->transpose_forward, (std::array<int, 3>{2, 0, 1}));
  EXPECT_EQ(plans->transpose_backward, (std::array<int, 3>{1, 2, 0}));
  EXPECT_DOUBLE_EQ(plans->configurations.at("3d_fullres").spacing[0], 2.0);
}

TEST(Planner, ComputeBudgetShrinksToFitIterationTime) {
  RawDataset ds = FourLabelDataset(20);
  Fingerprint fp = UniformFingerprint(20, {0.3, 0.3, 0.3}, {160, 160, 128});
  StatusOr<PlannerOptions> o = CpuBudgetPreset("quick", 2, 40.0);
  ASSERT_TRUE(o.ok());
  o->memory_budget_gb = 8;
  StatusOr<Plans> plans = PlanExperiment(ds, fp, *o);
  ASSERT_TRUE(plans.ok());
  const Configuration& c = plans->configurations.at("3d_fullres");
  EXPECT_LE(c.budget.estimated_seconds_per_iteration, 0.5);
  EXPECT_EQ(c.batch_size, 2);
  EXPECT_GT(c.budget.num_epochs * c.budget.num_iterations_per_epoch, 0);
  const double hours = c.budget.num_epochs * c.budget.num_iterations_per_epoch *
                       c.budget.estimated_seconds_per_iteration * (1 + 0.2 / 3) / 3600.0;
  EXPECT_LE(hours, 10.0 / 60.0 + 1e-9);
  EXPECT_GT(hours, 0.5 * 10.0 / 60.0);
}

TEST(Planner, SidedLabelsDropLeftRightMirroring) {
  RawDataset ds = FourLabelDataset(5);
  ds.labels = {{"background", 0}, {"sinus_left", 1}, {"sinus_right", 2}};
  Fingerprint fp = UniformFingerprint(5, {0.3, 0.3, 0.3}, {100, 100, 100});
  StatusOr<Plans> plans = PlanExperiment(ds, fp, {});
  ASSERT_TRUE(plans.ok());
  EXPECT_EQ(plans->mirror_axes, (std::vector<int>{0, 1}));
}

TEST(Plans, JsonRoundTrip) {
  RawDataset ds = FourLabelDataset(20);
  Fingerprint fp = UniformFingerprint(20, {0.3, 0.3, 0.3}, {400, 400, 400});
  StatusOr<Plans> plans = PlanExperiment(ds, fp, {});
  ASSERT_TRUE(plans.ok());
  Json j = PlansToJson(*plans);
  StatusOr<Plans> back = PlansFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(PlansToJson(*back).dump(), j.dump());
  EXPECT_EQ(j["configurations"]["3d_fullres"]["architecture"]["network_class_name"], kPlainConvUNet);
}

TEST(Plans, InheritanceAndErrors) {
  RawDataset ds = FourLabelDataset(20);
  PlannerOptions o;
  o.memory_budget_gb = 8;
  StatusOr<Plans> plans = PlanExperiment(ds, UniformFingerprint(20, {0.3, 0.3, 0.3}, {400, 400, 400}), o);
  ASSERT_TRUE(plans.ok());
  Json j = PlansToJson(*plans);
  j["configurations"]["3d_custom"] = {{"inherits_from", "3d_fullres"}, {"batch_size", 7}};
  StatusOr<Plans> back = PlansFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->configurations.at("3d_custom").batch_size, 7);
  EXPECT_EQ(back->configurations.at("3d_custom").patch_size, (std::vector<int>{128, 128, 128}));
  j["configurations"]["3d_custom"]["inherits_from"] = "missing";
  EXPECT_FALSE(PlansFromJson(j).ok());
  EXPECT_EQ(plans->GetConfiguration("nope").status().code(), StatusCode::kNotFound);
}

// A plans file as nnU-Net v2 writes it (ResEnc M, abridged to the keys amdrn reads plus a
// cascade configuration that inherits).
TEST(Plans, ReadsNnunetWrittenPlans) {
  const char* text = R"({
    "dataset_name": "Dataset123_Sinus", "plans_name": "nnUNetResEncUNetMPlans",
    "original_median_spacing_after_transp": [0.3, 0.3, 0.3],
    "original_median_shape_after_transp": [128, 160, 160], "image_reader_writer": "SimpleITKIO",
    "transpose_forward": [0, 1, 2], "transpose_backward": [0, 1, 2],
    "configurations": {
      "3d_fullres": {
        "data_identifier": "nnUNetPlans_3d_fullres", "preprocessor_name": "DefaultPreprocessor",
        "batch_size": 2, "patch_size": [128, 128, 128], "median_image_size_in_voxels": [128.0, 160.0, 160.0],
        "spacing": [0.3, 0.3, 0.3], "normalization_schemes": ["CTNormalization"], "use_mask_for_norm": [false],
        "resampling_fn_data": "resample_data_or_seg_to_shape",
        "resampling_fn_data_kwargs": {"is_seg": false, "order": 3, "order_z": 0, "force_separate_z": null},
        "architecture": {
          "network_class_name": "dynamic_network_architectures.architectures.unet.ResidualEncoderUNet",
          "arch_kwargs": {"n_stages": 6, "features_per_stage": [32, 64, 128, 256, 320, 320],
            "conv_op": "torch.nn.modules.conv.Conv3d",
            "kernel_sizes": [[3,3,3],[3,3,3],[3,3,3],[3,3,3],[3,3,3],[3,3,3]],
            "strides": [[1,1,1],[2,2,2],[2,2,2],[2,2,2],[2,2,2],[2,2,2]],
            "n_blocks_per_stage": [1, 3, 4, 6, 6, 6], "n_conv_per_stage_decoder": [1, 1, 1, 1, 1],
            "conv_bias": true, "norm_op": "torch.nn.modules.instancenorm.InstanceNorm3d",
            "norm_op_kwargs": {"eps": 1e-05, "affine": true}, "dropout_op": null, "dropout_op_kwargs": null,
            "nonlin": "torch.nn.LeakyReLU", "nonlin_kwargs": {"inplace": true}},
          "_kw_requires_import": ["conv_op", "norm_op", "dropout_op", "nonlin"]},
        "batch_dice": false},
      "3d_cascade_fullres": {"inherits_from": "3d_fullres", "previous_stage": "3d_lowres"},
      "3d_custom_net": {"inherits_from": "3d_fullres",
        "architecture": {"network_class_name": "my.custom.Net", "arch_kwargs": {}}}
    },
    "experiment_planner_used": "nnUNetPlannerResEncM", "label_manager": "LabelManager",
    "foreground_intensity_properties_per_channel": {"0": {"max": 3000.0, "mean": 400.0, "median": 380.0,
      "min": -1000.0, "percentile_00_5": -900.0, "percentile_99_5": 2500.0, "std": 300.0}}
  })";
  StatusOr<Plans> p = PlansFromJson(Json::parse(text));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const Configuration& c = p->configurations.at("3d_fullres");
  EXPECT_TRUE(c.architecture.IsResidualEncoder());
  EXPECT_EQ(c.architecture.n_conv_per_stage, (std::vector<int>{1, 3, 4, 6, 6, 6}));
  EXPECT_EQ(c.budget.num_epochs, 1000);  // nnU-Net's defaults when amdrn keys are absent
  EXPECT_EQ(p->mirror_axes, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(p->configurations.at("3d_cascade_fullres").previous_stage, "3d_lowres");
  EXPECT_EQ(p->configurations.at("3d_cascade_fullres").patch_size, c.patch_size);
  EXPECT_EQ(p->configurations.count("3d_custom_net"), 0u);  // unsupported network: skipped
  EXPECT_DOUBLE_EQ(p->foreground_intensity_properties_per_channel[0].percentile_99_5, 2500.0);
}

TEST(Fingerprint, PercentileMatchesNumpy) {
  std::vector<double> v = {5, 1, 4, 2, 3};
  EXPECT_DOUBLE_EQ(Percentile(v, 50), 3);
  EXPECT_DOUBLE_EQ(Percentile(v, 0.5), 1.02);
  EXPECT_DOUBLE_EQ(Percentile(v, 99.5), 4.98);
}

}  // namespace
}  // namespace amdrn::seg
