// Real (not synthetic) DICOM and NIfTI files from Debian's python3-pydicom and
// python3-nibabel test data, fetched at test time by scripts/fetch-test-data.sh into
// build/realdata/files. Expected values were read independently with pydicom.
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "io/volume_io.h"

namespace amdrn::io {
namespace {

namespace fs = std::filesystem;

std::string RealFile(const std::string& name) {
  const char* dir = std::getenv("AMDRN_REALDATA");
  return (fs::path(dir ? dir : "build/realdata/files") / name).string();
}

#define REQUIRE_REAL_FILE(name)                                                            \
  if (!fs::exists(RealFile(name))) {                                                       \
    GTEST_SKIP() << RealFile(name) << " absent: run scripts/fetch-test-data.sh (needs apt)"; \
  }

TEST(RealData, RtDoseMultiFrameMatchesPydicom) {
  REQUIRE_REAL_FILE("rtdose.dcm");
  DicomQcRecord qc;
  auto image = ReadImage(RealFile("rtdose.dcm"), {{}, &qc});
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(qc.source_kind, "multiframe");
  const Geometry& g = image->geometry();
  EXPECT_EQ(g.size, (Index3{10, 10, 15}));
  EXPECT_NEAR(g.spacing_mm[0], 10.0, 1e-9);
  EXPECT_NEAR(g.spacing_mm[2], 5.0, 1e-9);  // from Grid Frame Offset Vector
  EXPECT_NEAR(g.origin_lps[0], 189.43125, 1e-6);
  EXPECT_NEAR(g.origin_lps[1], 199.43125, 1e-6);
  EXPECT_NEAR(g.origin_lps[2], -761.87, 1e-6);
  double sum = 0, lo = 1e30, hi = -1e30;
  for (float v : image->voxels()) {
    sum += v;
    lo = std::min<double>(lo, v);
    hi = std::max<double>(hi, v);
  }
  EXPECT_EQ(lo, 795000);
  EXPECT_EQ(hi, 1254000);
  EXPECT_NEAR(sum / image->NumVoxels(), 1013273.3333, 1e-3);
  EXPECT_NE(qc.ToJson().find("not CT"), std::string::npos) << "modality warning expected";
}

TEST(RealData, SingleCtSliceIsRefused) {
  REQUIRE_REAL_FILE("CT_small.dcm");
  auto image = ReadImage(RealFile("CT_small.dcm"));
  EXPECT_EQ(image.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(image.status().message().find("single-frame"), std::string::npos);
}

TEST(RealData, SecondaryCaptureIsRefused) {
  REQUIRE_REAL_FILE("SC_rgb_rle_2frame.dcm");
  auto image = ReadImage(RealFile("SC_rgb_rle_2frame.dcm"));
  EXPECT_EQ(image.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(image.status().message().find("Secondary Capture"), std::string::npos);
}

TEST(RealData, NiftiRoundTripsThroughNrrd) {
  REQUIRE_REAL_FILE("anatomical.nii");
  auto in = ReadImage(RealFile("anatomical.nii"));
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(in->size(), (Index3{33, 41, 25}));
  std::string nrrd = (fs::temp_directory_path() / "amdrn_anatomical.nrrd").string();
  ASSERT_TRUE(WriteImage(*in, nrrd, {PixelType::kInt16}).ok());
  auto back = ReadImage(nrrd);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(CheckSameGeometry(in->geometry(), back->geometry(), "nifti", "nrrd", 1e-6).ok());
  EXPECT_EQ(in->voxels(), back->voxels());
  fs::remove(nrrd);
}

TEST(RealData, FourDimensionalNiftiIsRefused) {
  REQUIRE_REAL_FILE("example4d.nii.gz");
  auto info = ReadVolumeInfo(RealFile("example4d.nii.gz"));
  EXPECT_EQ(info.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(info.status().message().find("4 dimensions"), std::string::npos);
}

}  // namespace
}  // namespace amdrn::io
