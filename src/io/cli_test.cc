// End-to-end checks of `amdrn info` and `amdrn convert` through the built binary: outputs,
// documented exit codes and error messages.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "io/dicom.h"
#include "io/volume_io.h"

namespace amdrn::io {
namespace {

namespace fs = std::filesystem;

struct CliRun {
  int exit_code;
  std::string output;  // stdout and stderr together
};

CliRun Amdrn(const std::string& args) {
  const char* binary = std::getenv("AMDRN_BINARY");
  std::string command = std::string(binary ? binary : "build/amdrn") + " " + args + " 2>&1";
  CliRun run{-1, ""};
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return run;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) run.output.append(buf, n);
  int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / "amdrn_cli_test";
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    Geometry g;
    g.size = {8, 6, 5};
    g.spacing_mm = {0.3, 0.3, 0.3};
    g.origin_lps = {10, -20, 5};
    image_ = ImageF(g);
    for (int64_t n = 0; n < image_.NumVoxels(); ++n) image_.data()[n] = float(n % 50) * 10 - 200;
    ASSERT_TRUE(WriteImage(image_, (dir_ / "cbct.nii.gz").string(), {PixelType::kInt16}).ok());
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) { return (dir_ / name).string(); }

  fs::path dir_;
  ImageF image_;
};

TEST_F(CliTest, HelpAndVersionExitZero) {
  EXPECT_EQ(Amdrn("--help").exit_code, 0);
  CliRun v = Amdrn("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.output.find("ITK 5."), std::string::npos) << v.output;
  EXPECT_NE(v.output.find("LibTorch"), std::string::npos);
  EXPECT_EQ(Amdrn("info --help").exit_code, 0);
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Amdrn("").exit_code, 2);
  EXPECT_EQ(Amdrn("no-such-command").exit_code, 2);
  EXPECT_EQ(Amdrn("info").exit_code, 2);
  EXPECT_EQ(Amdrn("info " + Path("cbct.nii.gz") + " --bogus").exit_code, 2);
  EXPECT_EQ(Amdrn("--log-level loud info x").exit_code, 2);
}

TEST_F(CliTest, InfoPrintsGeometryAndIntensities) {
  CliRun r = Amdrn("info --json " + Path("cbct.nii.gz"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\"stored_type\": \"short\""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\"min\": -200.0"), std::string::npos) << r.output;
  CliRun text = Amdrn("info " + Path("cbct.nii.gz"));
  EXPECT_NE(text.output.find("8 x 6 x 5 voxels"), std::string::npos) << text.output;
}

TEST_F(CliTest, MissingInputExitsThree) {
  CliRun r = Amdrn("info " + Path("absent.nii.gz"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.output.find("amdrn info: error: expected a volume file"), std::string::npos) << r.output;
}

TEST_F(CliTest, RefusedDicomExitsEightAndWritesQc) {
  DicomWriteOptions sc;
  sc.secondary_capture = true;
  ASSERT_TRUE(WriteDicomSeries(image_, Path("sc"), sc).ok());
  CliRun r = Amdrn("info " + Path("sc") + " --qc " + Path("qc.json"));
  EXPECT_EQ(r.exit_code, 8) << r.output;
  EXPECT_TRUE(fs::exists(Path("qc.json")));
}

TEST_F(CliTest, ConvertRoundTripsThroughEveryFormat) {
  std::string previous = Path("cbct.nii.gz");
  for (const char* name : {"a.nrrd", "b.mha", "c.nii", "dicom_out/", "d.nii.gz"}) {
    CliRun r = Amdrn("convert " + previous + " " + Path(name));
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.output;
    previous = Path(name);
  }
  auto back = ReadImage(previous);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(CheckSameGeometry(image_.geometry(), back->geometry(), "first", "last", 1e-5).ok())
      << back->geometry().ToString();
  EXPECT_EQ(image_.voxels(), back->voxels());
}

TEST_F(CliTest, LabelMapWithOtherGeometryExitsFour) {
  LabelMap labels(image_.geometry(), 0);
  labels.at(2, 2, 2) = 3;
  ASSERT_TRUE(WriteLabelMap(labels, Path("same.nii.gz")).ok());
  CliRun ok = Amdrn("info " + Path("cbct.nii.gz") + " --labels " + Path("same.nii.gz"));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("label   3:     1 voxels"), std::string::npos) << ok.output;
  labels.mutable_geometry().spacing_mm[0] = 0.4;
  ASSERT_TRUE(WriteLabelMap(labels, Path("other.nii.gz")).ok());
  CliRun bad = Amdrn("info " + Path("cbct.nii.gz") + " --labels " + Path("other.nii.gz"));
  EXPECT_EQ(bad.exit_code, 4) << bad.output;
  EXPECT_NE(bad.output.find("spacings differ"), std::string::npos) << bad.output;
}

TEST_F(CliTest, ConvertToSegNrrdAndBadOutputs) {
  LabelMap labels(image_.geometry(), 0);
  labels.at(1, 1, 1) = 2;
  ASSERT_TRUE(WriteLabelMap(labels, Path("labels.nii.gz")).ok());
  EXPECT_EQ(Amdrn("convert " + Path("labels.nii.gz") + " " + Path("l.seg.nrrd")).exit_code, 0);
  EXPECT_EQ(Amdrn("convert " + Path("cbct.nii.gz") + " " + Path("x.png")).exit_code, 8);
  EXPECT_EQ(Amdrn("convert " + Path("cbct.nii.gz") + " " + Path("y.nii") + " --type int64").exit_code, 8);
}

}  // namespace
}  // namespace amdrn::io
