#include "io/dicom.h"

#include <algorithm>
#include <filesystem>
#include <random>

#include <gtest/gtest.h>
#include <itkGDCMImageIO.h>
#include <itkImageFileWriter.h>

#include "io/itk_bridge.h"
#include "io/volume_io.h"

namespace amdrn::io {
namespace {

namespace fs = std::filesystem;

class DicomTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("amdrn_dicom_test_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A CBCT-like ramp with an oblique in-plane orientation and HU-like values.
  static ImageF Volume(int nz = 6) {
    Geometry g;
    g.size = {7, 5, nz};
    g.spacing_mm = {0.3, 0.3, 0.4};
    g.origin_lps = {-12.5, 30.25, -7};
    g.direction = {0, -1, 0, 1, 0, 0, 0, 0, 1};
    ImageF v(g);
    for (int64_t n = 0; n < v.NumVoxels(); ++n) v.data()[n] = static_cast<float>(n * 7 % 900) - 1000;
    return v;
  }

  // Writes each slice of `image` as its own one-slice write, with slice k's origin moved by
  // `shift(k)`, all in one series.
  void WriteShifted(const ImageF& image, const std::function<Vec3(int)>& shift) {
    DicomWriteOptions options;
    options.series_uid = "1.2.826.0.1.3680043.2.1125.99.1";
    for (int k = 0; k < image.size()[2]; ++k) {
      Geometry g = image.geometry();
      g.size[2] = 1;
      g.origin_lps = image.geometry().IndexToPoint({0, 0, double(k)});
      Vec3 d = shift(k);
      for (int c = 0; c < 3; ++c) g.origin_lps[c] += d[c];
      ImageF slice(g, 0.0f);
      options.first_file_number = k;
      ASSERT_TRUE(WriteDicomSeries(slice, dir_.string(), options).ok());
    }
  }

  Status Preflight(DicomQcRecord* qc, const DicomPreflightOptions& options = {}) {
    std::vector<std::string> files;
    return PreflightDicom(dir_.string(), options, qc, &files);
  }

  fs::path dir_;
};

TEST_F(DicomTest, SeriesWithScrambledFileNamesReadsBackExactly) {
  ImageF in = Volume();
  DicomWriteOptions options;
  options.rescale_intercept = -1024;
  ASSERT_TRUE(WriteDicomSeries(in, dir_.string(), options).ok());
  std::vector<fs::path> files;
  for (auto& e : fs::directory_iterator(dir_)) files.push_back(e.path());
  std::shuffle(files.begin(), files.end(), std::mt19937(7));
  for (size_t n = 0; n < files.size(); ++n) {
    fs::rename(files[n], dir_ / ("IMG" + std::to_string((n * 37) % 101)));  // no .dcm ending
  }
  DicomQcRecord qc;
  auto out = ReadImage(dir_.string(), {{}, &qc});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(CheckSameGeometry(in.geometry(), out->geometry(), "written", "read", 1e-5).ok())
      << in.geometry().ToString() << " vs " << out->geometry().ToString();
  EXPECT_EQ(in.voxels(), out->voxels());
  EXPECT_TRUE(qc.accepted);
  EXPECT_EQ(qc.source_kind, "series");
  EXPECT_EQ(qc.num_slices, 6);
  EXPECT_EQ(qc.modality, "CT");
  EXPECT_DOUBLE_EQ(qc.rescale_intercept, -1024);
  EXPECT_NEAR(qc.median_gap_mm, 0.4, 1e-6);
  EXPECT_EQ(qc.ToJson().find("ANON"), std::string::npos) << "QC must not carry identifiers";
}

TEST_F(DicomTest, MultiFrameFileReadsAsOneVolume) {
  ImageF in = Volume();
  DicomWriteOptions options;
  options.multiframe = true;
  ASSERT_TRUE(WriteDicomSeries(in, dir_.string(), options).ok());
  std::string path = (dir_ / "volume.dcm").string();
  DicomQcRecord qc;
  auto out = ReadImage(path, {{}, &qc});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(qc.source_kind, "multiframe");
  EXPECT_EQ(out->size(), in.size());
  EXPECT_TRUE(CheckSameGeometry(in.geometry(), out->geometry(), "written", "read", 1e-5).ok())
      << out->geometry().ToString();
  EXPECT_EQ(in.voxels(), out->voxels());
}

TEST_F(DicomTest, RefusesGantryTilt) {
  WriteShifted(Volume(), [](int k) { return Vec3{0, 0.05 * k, 0}; });  // about 7 degrees
  DicomQcRecord qc;
  Status s = Preflight(&qc);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("gantry tilt"), std::string::npos) << s.message();
  EXPECT_FALSE(qc.accepted);
  EXPECT_NEAR(qc.tilt_degrees, std::atan(0.05 / 0.4) * 180 / M_PI, 0.05);
  DicomPreflightOptions lenient;
  lenient.max_tilt_degrees = 10;
  EXPECT_TRUE(Preflight(&qc, lenient).ok());
}

TEST_F(DicomTest, RefusesMissingSlices) {
  ImageF in = Volume(8);
  ASSERT_TRUE(WriteDicomSeries(in, dir_.string()).ok());
  fs::remove(dir_ / "slice_0004.dcm");
  DicomQcRecord qc;
  Status s = Preflight(&qc);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("1 missing slice"), std::string::npos) << s.message();
}

TEST_F(DicomTest, RefusesNonUniformSpacing) {
  WriteShifted(Volume(), [](int k) { return Vec3{0, 0, k >= 3 ? 0.1 : 0.0}; });
  DicomQcRecord qc;
  Status s = Preflight(&qc);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("non-uniform"), std::string::npos) << s.message();
}

TEST_F(DicomTest, RefusesMixedSeriesUnlessOneIsChosen) {
  ASSERT_TRUE(WriteDicomSeries(Volume(6), dir_.string()).ok());
  DicomWriteOptions second;
  second.first_file_number = 100;
  ASSERT_TRUE(WriteDicomSeries(Volume(4), dir_.string(), second).ok());
  DicomQcRecord qc;
  Status s = Preflight(&qc);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("found 2 mixed"), std::string::npos) << s.message();
  DicomPreflightOptions pick;
  pick.series_index = 2;
  auto out = ReadDicom(dir_.string(), pick, &qc);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->size()[2], 4);
}

TEST_F(DicomTest, RefusesDuplicatePositions) {
  DicomWriteOptions options;
  options.series_uid = "1.2.826.0.1.3680043.2.1125.99.2";
  ASSERT_TRUE(WriteDicomSeries(Volume(), dir_.string(), options).ok());
  options.first_file_number = 100;
  ASSERT_TRUE(WriteDicomSeries(Volume(), dir_.string(), options).ok());
  DicomQcRecord qc;
  Status s = Preflight(&qc);
  EXPECT_NE(s.message().find("same position"), std::string::npos) << s.message();
}

TEST_F(DicomTest, RefusesSecondaryCapture) {
  DicomWriteOptions options;
  options.secondary_capture = true;
  ASSERT_TRUE(WriteDicomSeries(Volume(), dir_.string(), options).ok());
  DicomQcRecord qc;
  Status s = Preflight(&qc);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("Secondary Capture"), std::string::npos) << s.message();
}

TEST_F(DicomTest, RefusesASingleSliceAndAnEmptyFolder) {
  DicomQcRecord qc;
  EXPECT_EQ(Preflight(&qc).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(WriteDicomSeries(Volume(1), dir_.string()).ok());
  Status s = Preflight(&qc);
  EXPECT_NE(s.message().find("one single-frame image"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace amdrn::io
