// End-to-end test of `amdrn seg plan`, `seg preprocess` and `seg evaluate` (the verb functions
// called directly) on a tiny raw dataset of five cases.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "cli/seg_verbs.h"
#include "core/file_util.h"
#include "io/volume_io.h"
#include "seg/plans.h"
#include "seg/preprocess.h"

namespace amdrn::seg {
namespace {
namespace fs = std::filesystem;

int RunVerb(int (*verb)(int, char**), std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return verb(static_cast<int>(argv.size()), argv.data());
}

std::string MakeRawDataset() {
  const fs::path root = fs::path(testing::TempDir()) / "amdrn_seg_cli_raw";
  fs::remove_all(root);
  fs::create_directories(root / "imagesTr");
  fs::create_directories(root / "labelsTr");
  for (int c = 0; c < 5; ++c) {
    Geometry g;
    g.size = {20, 18, 12};
    g.spacing_mm = {0.4, 0.4, 0.6};
    ImageF image(g, -1000.0f + c);
    LabelMap label(g, 0);
    for (int64_t k = 3; k < 9; ++k)
      for (int64_t j = 4; j < 12 + c % 3; ++j)
        for (int64_t i = 5; i < 15; ++i) {
          label.at(i, j, k) = j < 8 ? 1 : 2;
          image.at(i, j, k) = j < 8 ? 300.0f : 1200.0f;
        }
    const std::string id = "sinus_00" + std::to_string(c);
    EXPECT_TRUE(io::WriteImage(image, (root / "imagesTr" / (id + "_0000.nii.gz")).string()).ok());
    EXPECT_TRUE(io::WriteLabelMap(label, (root / "labelsTr" / (id + ".nii.gz")).string()).ok());
  }
  std::ofstream(root / "dataset.json") << R"({"name": "Dataset901_Cli", "channel_names": {"0": "CBCT"},
      "labels": {"background": 0, "MS": 1, "SM": 2}, "numTraining": 5, "file_ending": ".nii.gz"})";
  return root.string();
}

TEST(SegDataCli, PlanPreprocessEvaluate) {
  const std::string raw = MakeRawDataset();
  const std::string out = (fs::path(testing::TempDir()) / "amdrn_seg_cli_pp").string();
  fs::remove_all(out);
  ASSERT_EQ(RunVerb(cli::RunSegPlan, {"amdrn seg plan", "-i", raw, "-o", out, "--budget", "quick", "--cpu-gflops",
                                  "40", "--fingerprint-samples", "10000", "-t", "1"}),
            0);
  EXPECT_TRUE(PathExists(out + "/dataset_fingerprint.json"));
  EXPECT_TRUE(PathExists(out + "/splits_final.json"));
  StatusOr<Plans> plans = ReadPlans(out + "/nnUNetPlans.json");
  ASSERT_TRUE(plans.ok()) << plans.status().ToString();
  const Configuration& c = plans->configurations.at("3d_fullres");
  EXPECT_EQ(c.normalization_schemes[0], kZScoreNormalization);  // "CBCT" is not "CT"
  EXPECT_EQ(c.budget.preset, "quick");

  ASSERT_EQ(RunVerb(cli::RunSegPreprocess, {"amdrn seg preprocess", "-i", raw, "-o", out, "-t", "2"}), 0);
  StatusOr<PreprocessedCase> pc = ReadPreprocessedCase(out + "/" + c.data_identifier + "/sinus_002.amdrnpp");
  ASSERT_TRUE(pc.ok()) << pc.status().ToString();
  EXPECT_EQ(pc->class_locations.size(), 2u);

  // The references against themselves: Dice 1, HD95 0.
  ASSERT_EQ(RunVerb(cli::RunSegEvaluate, {"amdrn seg evaluate", "-r", out + "/gt_segmentations", "-p",
                                      out + "/gt_segmentations", "--dataset-json", raw + "/dataset.json", "-o",
                                      out + "/summary.json", "--csv", out + "/summary.csv"}),
            0);
  Json summary = Json::parse(*ReadFileToString(out + "/summary.json"));
  EXPECT_DOUBLE_EQ(summary["mean"]["1"]["Dice"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(summary["mean"]["2"]["HD95_mm"].get<double>(), 0.0);

  EXPECT_EQ(RunVerb(cli::RunSegPlan, {"amdrn seg plan", "-i", raw + "_missing", "-o", out}), 3);
  EXPECT_EQ(RunVerb(cli::RunSegPlan, {"amdrn seg plan", "--bogus"}), 2);
}

}  // namespace
}  // namespace amdrn::seg
