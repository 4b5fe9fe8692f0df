#include "seg/import_nnunet.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <torch/torch.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/file_util.h"
#include "seg/checkpoint.h"
#include "seg/predictor.h"
#include "seg/test_tensors.h"

namespace amdrn::seg {
namespace {

namespace fs = std::filesystem;

std::string TempDir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("amdrn_seg_nn_" + name + "_" +
                                              std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

// Imports `nnunet_dir` and checks the amdrn forward pass against the PyTorch reference.
void ExpectImportMatchesPytorch(const std::string& nnunet_dir, const std::string& tag) {
  std::string model_dir = TempDir(tag);
  auto info = ImportNnunetModel(nnunet_dir, model_dir);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->configuration, "3d_fullres");
  EXPECT_EQ(info->folds, std::vector<int>{0});
  EXPECT_EQ(info->mirror_axes, (std::vector<int>{0, 1, 2}));

  auto plans = ReadFileToString(model_dir + "/plans.json");
  auto dataset = ReadFileToString(model_dir + "/dataset.json");
  ASSERT_TRUE(plans.ok() && dataset.ok());
  auto desc = DescribeModel(*plans, *dataset, "3d_fullres");
  ASSERT_TRUE(desc.ok()) << desc.status().ToString();
  auto ckpt = LoadCheckpoint(FoldDir(model_dir, 0) + "/checkpoint_final.pt");
  ASSERT_TRUE(ckpt.ok()) << ckpt.status().ToString();
  auto net = UNet::Create(desc->spec);
  ASSERT_TRUE(net.ok());
  ASSERT_TRUE((*net)->LoadStateDict(ckpt->weights).ok());

  auto ref = nlohmann::json::parse(*ReadFileToString(nnunet_dir + "/reference.json"));
  at::Tensor x = ReadRawFloatTensor(nnunet_dir + "/reference_input.f32",
                                    ref["input_shape"].get<std::vector<int64_t>>());
  at::Tensor expected = ReadRawFloatTensor(nnunet_dir + "/reference_output.f32",
                                           ref["output_shape"].get<std::vector<int64_t>>());
  torch::NoGradGuard no_grad;
  at::Tensor y = (*net)->Forward(x);
  ASSERT_EQ(y.sizes(), expected.sizes());
  double max_err = (y - expected).abs().max().item<double>();
  double scale = expected.abs().max().item<double>();
  EXPECT_LT(max_err, 1e-4 * std::max(1.0, scale)) << "max |amdrn - pytorch| = " << max_err;
  fs::remove_all(model_dir);
}

TEST(ImportNnunetTest, CommittedFixtureMatchesPytorchForward) {
  ExpectImportMatchesPytorch("testdata/seg/nnunet_plain", "fixture");
}

TEST(ImportNnunetTest, ReadsCheckpointMetadataWithNumpyAndCudaStorages) {
  auto ckpt = ReadNnunetCheckpoint("testdata/seg/nnunet_plain/fold_0/checkpoint_final.pth");
  ASSERT_TRUE(ckpt.ok()) << ckpt.status().ToString();
  EXPECT_EQ(ckpt->trainer_name, "nnUNetTrainer");
  EXPECT_EQ(ckpt->current_epoch, 2);
  EXPECT_EQ(ckpt->configuration, "3d_fullres");
  EXPECT_TRUE(ckpt->weights.count("encoder.stages.0.0.convs.0.all_modules.0.weight"));
  EXPECT_TRUE(ckpt->weights.count("decoder.encoder.stages.1.0.convs.1.norm.bias"));
}

bool PythonTorchAvailable() {
  return std::system("/usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1") == 0;
}

TEST(ImportNnunetTest, FreshPythonFoldersMatchPytorchForward) {
  if (!PythonTorchAvailable()) GTEST_SKIP() << "/usr/bin/python3 has no torch/numpy";
  for (const std::string arch : {"plain", "resenc"}) {
    std::string dir = TempDir("py_" + arch);
    std::string cmd = "/usr/bin/python3 tools/make_nnunet_folder.py --out " + dir + " --arch " +
                      arch + " --seed 11";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    ExpectImportMatchesPytorch(dir, "pyimport_" + arch);
    fs::remove_all(dir);
  }
}

TEST(ImportNnunetTest, UnreadableCheckpointGivesClearError) {
  std::string dir = TempDir("broken");
  fs::copy("testdata/seg/nnunet_plain", dir, fs::copy_options::recursive);
  { std::ofstream(dir + "/fold_0/checkpoint_final.pth") << "not a zip archive"; }
  auto info = ImportNnunetModel(dir, dir + "/out");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(info.status().message().find("checkpoint_final.pth"), std::string::npos);

  auto ckpt = LoadCheckpoint(dir + "/fold_0/checkpoint_final.pth");
  EXPECT_EQ(ckpt.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(LoadCheckpoint(dir + "/missing.pt").status().code(), StatusCode::kNotFound);
  // A real torch.save archive that is not an amdrn checkpoint.
  auto foreign = LoadCheckpoint("testdata/seg/nnunet_plain/fold_0/checkpoint_final.pth");
  EXPECT_EQ(foreign.status().code(), StatusCode::kDataLoss);
  fs::remove_all(dir);
}

TEST(ImportNnunetTest, MissingFilesAreNotFound) {
  std::string dir = TempDir("empty");
  EXPECT_EQ(ImportNnunetModel(dir, dir + "/out").status().code(), StatusCode::kNotFound);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace amdrn::seg
