#include "io/volume_io.h"

#include <filesystem>

#include <gtest/gtest.h>

namespace amdrn::io {
namespace {

namespace fs = std::filesystem;

ImageF Ramp() {
  Geometry g;
  g.size = {5, 4, 3};
  g.spacing_mm = {0.3, 0.35, 0.4};
  g.origin_lps = {-12.5, 30.25, -7};
  g.direction = {0, -1, 0, 1, 0, 0, 0, 0, 1};
  ImageF v(g);
  for (int64_t n = 0; n < v.NumVoxels(); ++n) v.data()[n] = static_cast<float>(n) - 20.5f;
  return v;
}

class VolumeIoTest : public ::testing::TestWithParam<std::string> {};

TEST_P(VolumeIoTest, FloatRoundTripKeepsGeometryAndValues) {
  fs::path dir = fs::temp_directory_path() / "amdrn_io_test";
  fs::create_directories(dir);
  std::string path = (dir / ("ramp" + GetParam())).string();
  ImageF in = Ramp();
  ASSERT_TRUE(WriteImage(in, path).ok());
  auto out = ReadImage(path);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(CheckSameGeometry(in.geometry(), out->geometry(), "written", "read", 1e-5).ok())
      << in.geometry().ToString() << " vs " << out->geometry().ToString();
  EXPECT_EQ(in.voxels(), out->voxels());
  fs::remove(path);
}

INSTANTIATE_TEST_SUITE_P(Formats, VolumeIoTest,
                         ::testing::Values(".nii", ".nii.gz", ".nrrd", ".mha"));

TEST(VolumeIo, MissingFileIsNotFound) {
  EXPECT_EQ(ReadImage("/nonexistent/x.nii.gz").status().code(), StatusCode::kNotFound);
}

TEST(VolumeIo, UnknownOutputEndingIsRefused) {
  EXPECT_EQ(WriteImage(Ramp(), "/tmp/x.png").code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace amdrn::io
