// Dataset reading, fingerprint, preprocessing and the batch generator on a tiny raw nnU-Net
// dataset written by the test itself (two labels, a zero border so cropping matters).
#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "core/file_util.h"
#include "io/volume_io.h"
#include "seg/data_loader.h"
#include "seg/dataset.h"
#include "seg/fingerprint.h"
#include "seg/planner.h"
#include "seg/preprocess.h"

namespace amdrn::seg {
namespace {
namespace fs = std::filesystem;

// A case: 24 x 20 x 16 voxels (i, j, k) at 0.5 x 0.6 x 0.7 mm, zero outside i in [2, 22),
// intensity 10 inside; label 1 (intensity 100) a ball, label 2 (intensity 200) a block.
void MakeCase(int index, ImageF* image, LabelMap* label) {
  Geometry g;
  g.size = {24, 20, 16};
  g.spacing_mm = {0.5, 0.6, 0.7};
  g.origin_lps = {-3, 2, 5};
  *image = ImageF(g, 0.0f);
  *label = LabelMap(g, 0);
  for (int64_t k = 0; k < 16; ++k)
    for (int64_t j = 0; j < 20; ++j)
      for (int64_t i = 2; i < 22; ++i) {
        image->at(i, j, k) = 10.0f + index;
        const double d = std::sqrt((i - 8.0) * (i - 8.0) + (j - 10.0) * (j - 10.0) + (k - 8.0) * (k - 8.0));
        if (d < 4) {
          label->at(i, j, k) = 1;
          image->at(i, j, k) = 100.0f;
        } else if (i >= 15 && i < 19 && j >= 4 && j < 8 && k >= 4 && k < 10) {
          label->at(i, j, k) = 2;
          image->at(i, j, k) = 200.0f;
        }
      }
}

std::string WriteDataset(const std::string& name, int cases, const std::string& labels_json =
                             R"({"background": 0, "ball": 1, "block": 2})") {
  const fs::path root = fs::path(testing::TempDir()) / ("amdrn_seg_" + name);
  fs::remove_all(root);
  fs::create_directories(root / "imagesTr");
  fs::create_directories(root / "labelsTr");
  for (int c = 0; c < cases; ++c) {
    ImageF image;
    LabelMap label;
    MakeCase(c, &image, &label);
    const std::string id = "case_" + std::to_string(c);
    EXPECT_TRUE(io::WriteImage(image, (root / "imagesTr" / (id + "_0000.nii.gz")).string()).ok());
    EXPECT_TRUE(io::WriteLabelMap(label, (root / "labelsTr" / (id + ".nii.gz")).string()).ok());
  }
  std::ofstream(root / "dataset.json") << R"({"channel_names": {"0": "CT"}, "labels": )" << labels_json
                                       << R"(, "numTraining": )" << cases << R"(, "file_ending": ".nii.gz"})";
  return root.string();
}

TEST(Dataset, ReadsLayout) {
  StatusOr<RawDataset> ds = ReadRawDataset(WriteDataset("layout", 3));
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->cases.size(), 3u);
  EXPECT_EQ(ds->NumClasses(), 3);
  EXPECT_EQ(ds->ForegroundLabels(), (std::vector<int>{1, 2}));
  EXPECT_EQ(ds->cases[1].id, "case_1");
  StatusOr<LoadedCase> c = LoadCase(*ds, ds->cases[0]);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->label.at(8, 10, 8), 1);
  EXPECT_FALSE(LabelsAreSided(*ds));
}

TEST(Dataset, BadInputErrors) {
  const std::string root = WriteDataset("bad", 2);
  // Missing channel: declare two channels.
  std::ofstream(fs::path(root) / "dataset.json")
      << R"({"channel_names": {"0": "CT", "1": "MR"}, "labels": {"background": 0, "ball": 1, "block": 2},
            "file_ending": ".nii.gz"})";
  StatusOr<RawDataset> missing = ReadRawDataset(root);
  EXPECT_EQ(missing.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.status().message().find("_0001"), std::string::npos) << missing.status().message();
  // Unknown label value: only background and ball declared.
  std::ofstream(fs::path(root) / "dataset.json")
      << R"({"channel_names": {"0": "CT"}, "labels": {"background": 0, "ball": 1}, "file_ending": ".nii.gz"})";
  StatusOr<RawDataset> ds = ReadRawDataset(root);
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(LoadCase(*ds, ds->cases[0]).status().code(), StatusCode::kInvalidArgument);
  // Label geometry mismatch.
  LabelMap small(Geometry{{10, 10, 10}, {0.5, 0.6, 0.7}, {-3, 2, 5}, {1, 0, 0, 0, 1, 0, 0, 0, 1}}, 0);
  ASSERT_TRUE(io::WriteLabelMap(small, (fs::path(root) / "labelsTr" / "case_1.nii.gz").string()).ok());
  EXPECT_EQ(LoadCase(*ds, ds->cases[1]).status().code(), StatusCode::kFailedPrecondition);
  // Empty dataset, regions, missing background.
  fs::remove_all(fs::path(root) / "imagesTr");
  fs::create_directories(fs::path(root) / "imagesTr");
  EXPECT_EQ(ReadRawDataset(root).status().code(), StatusCode::kFailedPrecondition);
  std::ofstream(fs::path(root) / "dataset.json")
      << R"({"channel_names": {"0": "CT"}, "labels": {"background": 0, "both": [1, 2]}, "file_ending": ".nii.gz"})";
  EXPECT_EQ(ReadRawDataset(root).status().code(), StatusCode::kInvalidArgument);
  std::ofstream(fs::path(root) / "dataset.json")
      << R"({"channel_names": {"0": "CT"}, "labels": {"ball": 1}, "file_ending": ".nii.gz"})";
  EXPECT_EQ(ReadRawDataset(root).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadRawDataset(root + "_absent").status().code(), StatusCode::kNotFound);
}

TEST(Fingerprint, CropShapesSpacingsAndIntensities) {
  StatusOr<RawDataset> ds = ReadRawDataset(WriteDataset("fp", 2));
  ASSERT_TRUE(ds.ok());
  FingerprintOptions fo;
  fo.total_foreground_samples = 1e5;
  StatusOr<Fingerprint> fp = ExtractFingerprint(*ds, fo);
  ASSERT_TRUE(fp.ok()) << fp.status().ToString();
  for (int d = 0; d < 3; ++d) EXPECT_NEAR(fp->spacings[0][d], 0.7 - 0.1 * d, 1e-6);  // (z, y, x)
  EXPECT_EQ(fp->shapes_after_crop[0], (std::array<int64_t, 3>{16, 20, 20}));
  EXPECT_NEAR(fp->median_relative_size_after_cropping, 20.0 / 24.0, 1e-12);
  const IntensityProperties& p = fp->foreground_intensity_properties_per_channel[0];
  EXPECT_GE(p.min, 100);
  EXPECT_LE(p.max, 200);
  EXPECT_DOUBLE_EQ(p.percentile_00_5, 100);
  EXPECT_DOUBLE_EQ(p.percentile_99_5, 200);
  EXPECT_GT(p.mean, 100);
  EXPECT_LT(p.mean, 200);
  StatusOr<Fingerprint> back = FingerprintFromJson(FingerprintToJson(*fp));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->shapes_after_crop, fp->shapes_after_crop);
}

TEST(Normalization, CtAndZScore) {
  IntensityProperties p;
  p.mean = 10;
  p.std = 2;
  p.percentile_00_5 = 0;
  p.percentile_99_5 = 20;
  std::vector<float> v = {-5, 10, 14, 40};
  ASSERT_TRUE(NormalizeChannel(v.data(), 4, kCTNormalization, false, nullptr, p).ok());
  EXPECT_EQ(v, (std::vector<float>{-5, 0, 2, 5}));
  std::vector<float> z = {1, 2, 3, 100};
  std::vector<int8_t> mask = {0, 1, 0, -1};
  ASSERT_TRUE(NormalizeChannel(z.data(), 4, kZScoreNormalization, true, mask.data(), p).ok());
  const float sd = std::sqrt(2.0f / 3.0f);
  EXPECT_NEAR(z[0], -1 / sd, 1e-5);
  EXPECT_NEAR(z[1], 0, 1e-6);
  EXPECT_EQ(z[3], 0.0f);
  EXPECT_FALSE(NormalizeChannel(z.data(), 4, "Foo", false, nullptr, p).ok());
}

TEST(Crop, NonzeroMaskFillsHoles) {
  const Shape3 s = {5, 5, 5};
  std::vector<float> v(125, 0.0f);
  for (int z = 1; z < 4; ++z)
    for (int y = 1; y < 4; ++y)
      for (int x = 1; x < 4; ++x) v[(z * 5 + y) * 5 + x] = 1;
  v[(2 * 5 + 2) * 5 + 2] = 0;  // a hole
  std::vector<uint8_t> m = NonzeroMask({v.data()}, s);
  EXPECT_EQ(m[(2 * 5 + 2) * 5 + 2], 1);
  EXPECT_EQ(m[0], 0);
  BBox3 box = MaskBoundingBox(m.data(), s);
  for (int d = 0; d < 3; ++d) EXPECT_EQ(box[d], (std::array<int64_t, 2>{1, 4}));
}

struct Prepared {
  RawDataset ds;
  Plans plans;
  Configuration config;
};

Prepared Prepare(const std::string& name, int cases, std::vector<double> spacing = {}) {
  Prepared p;
  p.ds = *ReadRawDataset(WriteDataset(name, cases));
  FingerprintOptions fo;
  fo.total_foreground_samples = 1e5;
  Fingerprint fp = *ExtractFingerprint(p.ds, fo);
  PlannerOptions o;
  o.memory_budget_gb = 8;
  o.overwrite_target_spacing = spacing;
  p.plans = *PlanExperiment(p.ds, fp, o);
  p.config = p.plans.configurations.at("3d_fullres");
  return p;
}

TEST(Preprocess, InverseMappingRestoresLabelsExactlyWithoutResampling) {
  Prepared p = Prepare("inverse", 2);
  LoadedCase c = *LoadCase(p.ds, p.ds.cases[0]);
  StatusOr<PreprocessedCase> pc = PreprocessCase(c.channels, &c.label, p.plans, p.config, "case_0");
  ASSERT_TRUE(pc.ok()) << pc.status().ToString();
  EXPECT_EQ(pc->shape, (Shape3{16, 20, 20}));
  // CT normalisation with the dataset's constants.
  const IntensityProperties& ip = p.plans.foreground_intensity_properties_per_channel[0];
  EXPECT_NEAR(pc->data[0], (std::clamp(10.0, ip.percentile_00_5, ip.percentile_99_5) - ip.mean) / ip.std, 1e-5);
  EXPECT_EQ(pc->class_locations.size(), 2u);
  std::vector<uint8_t> labels(pc->seg.size());
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = pc->seg[i] < 0 ? 0 : pc->seg[i];
  StatusOr<LabelMap> back = LabelsToOriginal(labels.data(), pc->properties);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->geometry().SameAs(c.label.geometry()));
  EXPECT_EQ(back->voxels(), c.label.voxels());
  // One-hot logits give the same labels.
  std::vector<float> logits(3 * labels.size(), 0.0f);
  for (size_t i = 0; i < labels.size(); ++i) logits[labels[i] * labels.size() + i] = 1.0f;
  StatusOr<LabelMap> from_logits = LogitsToOriginalLabels(logits.data(), 3, pc->properties);
  ASSERT_TRUE(from_logits.ok());
  EXPECT_EQ(from_logits->voxels(), c.label.voxels());
}

TEST(Preprocess, ResamplingRoundTripKeepsGeometryAndMostLabels) {
  Prepared p = Prepare("resampled", 2, {1.4, 1.0, 1.0});
  LoadedCase c = *LoadCase(p.ds, p.ds.cases[1]);
  StatusOr<PreprocessedCase> pc = PreprocessCase(c.channels, &c.label, p.plans, p.config, "case_1");
  ASSERT_TRUE(pc.ok());
  EXPECT_EQ(pc->shape, (Shape3{8, 12, 10}));
  std::vector<uint8_t> labels(pc->seg.size());
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = pc->seg[i] < 0 ? 0 : pc->seg[i];
  StatusOr<LabelMap> back = LabelsToOriginal(labels.data(), pc->properties);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->geometry().SameAs(c.label.geometry()));
  int64_t inter = 0, a = 0, b = 0;
  for (size_t i = 0; i < back->voxels().size(); ++i) {
    a += c.label.voxels()[i] == 1;
    b += back->voxels()[i] == 1;
    inter += c.label.voxels()[i] == 1 && back->voxels()[i] == 1;
  }
  EXPECT_GT(2.0 * inter / (a + b), 0.8);
}

TEST(Preprocess, FileRoundTripAndCorruption) {
  Prepared p = Prepare("file", 2);
  LoadedCase c = *LoadCase(p.ds, p.ds.cases[0]);
  PreprocessedCase pc = *PreprocessCase(c.channels, &c.label, p.plans, p.config, "case_0");
  const std::string path = (fs::path(testing::TempDir()) / "case_0.amdrnpp").string();
  ASSERT_TRUE(WritePreprocessedCase(pc, path).ok());
  StatusOr<PreprocessedCase> back = ReadPreprocessedCase(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->data, pc.data);
  EXPECT_EQ(back->seg, pc.seg);
  EXPECT_EQ(back->class_locations, pc.class_locations);
  EXPECT_EQ(back->properties.bbox_used_for_cropping, pc.properties.bbox_used_for_cropping);
  std::string bytes = *ReadFileToString(path);
  ASSERT_TRUE(WriteFileAtomic(path, bytes.substr(0, bytes.size() / 2)).ok());
  EXPECT_EQ(ReadPreprocessedCase(path).status().code(), StatusCode::kDataLoss);
  ASSERT_TRUE(WriteFileAtomic(path, "not a case").ok());
  EXPECT_EQ(ReadPreprocessedCase(path).status().code(), StatusCode::kDataLoss);
}

std::shared_ptr<PreprocessedDataset> PreprocessedFolder(const std::string& name, int cases) {
  Prepared p = Prepare(name, cases);
  const std::string out = (fs::path(testing::TempDir()) / ("amdrn_pp_" + name)).string();
  EXPECT_TRUE(PreprocessDataset(p.ds.root, p.plans, "3d_fullres", out, 2).ok());
  EXPECT_TRUE(PathExists(out + "/gt_segmentations/case_0.nii.gz"));
  StatusOr<std::shared_ptr<PreprocessedDataset>> ds =
      PreprocessedDataset::Open(out + "/" + p.config.data_identifier, p.ds.CaseIds());
  EXPECT_TRUE(ds.ok()) << ds.status().ToString();
  return *ds;
}

bool HasForeground(const Batch& b, int j) {
  const int64_t n = NumVoxels(b.patch);
  for (int64_t i = 0; i < n; ++i) {
    if (b.seg[j * n + i] > 0) return true;
  }
  return false;
}

TEST(DataLoader, ForegroundOversamplingRate) {
  auto ds = PreprocessedFolder("oversample", 3);
  DataLoaderOptions o;
  o.patch_size = {8, 8, 8};
  o.batch_size = 3;  // round(3 * 0.67) = 2: the last sample of each batch is forced
  o.augment = false;
  o.seed = 7;
  int forced = 0, forced_with_fg = 0, total = 0;
  for (int64_t b = 0; b < 60; ++b) {
    Batch batch = GenerateBatch(*ds, o, b);
    ASSERT_EQ(batch.data.size(), 3u * 512u);
    for (int j = 0; j < 3; ++j) {
      ++total;
      if (batch.forced_foreground[j]) {
        ++forced;
        forced_with_fg += HasForeground(batch, j);
      }
    }
  }
  EXPECT_NEAR(static_cast<double>(forced) / total, 1.0 / 3.0, 1e-12);
  EXPECT_EQ(forced_with_fg, forced);
}

TEST(DataLoader, AugmentationIsDeterministicForASeedAndThreadCount) {
  auto ds = PreprocessedFolder("determinism", 2);
  DataLoaderOptions o;
  o.patch_size = {8, 12, 12};
  o.batch_size = 2;
  o.seed = 42;
  o.augmentation.p_rotation = 1.0;  // exercise the spatial transform every time
  o.num_threads = 0;
  std::vector<Batch> sync;
  {
    auto loader = std::move(DataLoader::Create(ds, o)).value();
    for (int i = 0; i < 6; ++i) sync.push_back(loader->Next());
  }
  o.num_threads = 2;
  auto loader = std::move(DataLoader::Create(ds, o)).value();
  for (int i = 0; i < 6; ++i) {
    Batch b = loader->Next();
    EXPECT_EQ(b.index, i);
    EXPECT_EQ(b.data, sync[i].data);
    EXPECT_EQ(b.seg, sync[i].seg);
  }
  EXPECT_GE(loader->WaitShare(), 0.0);
  EXPECT_LE(loader->WaitShare(), 1.0);
  o.seed = 43;
  EXPECT_NE(GenerateBatch(*ds, o, 0).data, sync[0].data);
  for (uint8_t v : sync[0].seg) EXPECT_LE(v, 2);
}

TEST(DataLoader, InitialPatchSizeAsNnunet) {
  // 128^3 with +-30 deg: 128 (cos 30 + sin 30) / 0.85 = 205.9.
  EXPECT_EQ(InitialPatchSize({128, 128, 128}, 30.0 * M_PI / 180.0, false), (Shape3{205, 205, 205}));
  EXPECT_TRUE(UseDummy2dAugmentation({20, 256, 256}));
  EXPECT_EQ(InitialPatchSize({20, 256, 256}, M_PI, true), (Shape3{20, 301, 301}));
}

TEST(Augment, IntensityTransformsKeepShapeAndStatistics) {
  const Shape3 s = {6, 7, 8};
  const int64_t n = NumVoxels(s);
  std::vector<float> v(static_cast<size_t>(2 * n));
  for (int64_t i = 0; i < 2 * n; ++i) v[i] = static_cast<float>(std::sin(i * 0.1) + 0.001 * i);
  AugmentationParams all;
  all.p_noise = all.p_blur = all.p_brightness = all.p_contrast = all.p_low_res = all.p_gamma = 1.0;
  all.p_gamma_inverted = 0.0;
  all.p_blur_per_channel = all.p_low_res_per_channel = 1.0;
  Rng a(5), b(5);
  std::vector<float> x = v, y = v;
  AugmentIntensities(x.data(), 2, s, all, a);
  AugmentIntensities(y.data(), 2, s, all, b);
  EXPECT_EQ(x, y);  // same seed, same result
  EXPECT_NE(x, v);
  // Gamma alone retains mean and sd.
  AugmentationParams gamma_only = all;
  gamma_only.p_noise = gamma_only.p_blur = gamma_only.p_brightness = gamma_only.p_contrast = 0;
  gamma_only.p_low_res = 0;
  std::vector<float> g = v;
  Rng r(9);
  AugmentIntensities(g.data(), 1, s, gamma_only, r);
  double m0 = 0, m1 = 0;
  for (int64_t i = 0; i < n; ++i) {
    m0 += v[i];
    m1 += g[i];
  }
  EXPECT_NEAR(m0 / n, m1 / n, 1e-4);
  // Mirroring the same axes twice restores data and seg.
  std::vector<int8_t> seg(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) seg[i] = static_cast<int8_t>(i % 3);
  std::vector<float> m = v;
  std::vector<int8_t> ms = seg;
  Rng r1(11), r2(11);
  MirrorSample(m.data(), 2, ms.data(), s, {0, 1, 2}, r1);
  MirrorSample(m.data(), 2, ms.data(), s, {0, 1, 2}, r2);
  EXPECT_EQ(m, v);
  EXPECT_EQ(ms, seg);
}

TEST(Dataset, SidedLabelsAndLeftRightAxis) {
  RawDataset ds;
  ds.labels = {{"background", 0}, {"sinus L", 1}};
  EXPECT_TRUE(LabelsAreSided(ds));
  ds.labels = {{"background", 0}, {"maxillary_sinus", 1}, {"residual_alveolar_bone", 3}};
  EXPECT_FALSE(LabelsAreSided(ds));
  Geometry g;
  EXPECT_EQ(LeftRightArrayAxis(g), 2);  // identity: x = ITK axis i = array axis 2
  g.direction = {0, 0, 1, 0, 1, 0, 1, 0, 0};  // ITK axis k runs along LPS x
  EXPECT_EQ(LeftRightArrayAxis(g), 0);
}

TEST(DataLoader, EmptyDatasetIsRejected) {
  EXPECT_EQ(DataLoader::Create(nullptr, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PreprocessedDataset::Open("/nonexistent_amdrn", {"x"}).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace amdrn::seg
