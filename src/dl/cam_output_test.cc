#include "dl/cam_output.h"

#include <zlib.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "core/file_util.h"
#include "io/volume_io.h"

namespace amdrn::dl {
namespace {

namespace fs = std::filesystem;

uint32_t ReadU32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (int b = 0; b < 4; ++b) v = (v << 8) | static_cast<uint8_t>(s[at + b]);
  return v;
}

TEST(Png, EncodesHeaderAndDeflatedScanlines) {
  RgbImage image;
  image.width = 3;
  image.height = 2;
  image.rgb = {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90};
  auto png = EncodePng(image);
  ASSERT_TRUE(png.ok());
  ASSERT_EQ(png->substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(png->substr(12, 4), "IHDR");
  EXPECT_EQ(ReadU32(*png, 16), 3u);
  EXPECT_EQ(ReadU32(*png, 20), 2u);
  // IHDR chunk is 8 + 13 + 4 bytes from offset 8; IDAT follows.
  const size_t idat = 8 + 25;
  ASSERT_EQ(png->substr(idat + 4, 4), "IDAT");
  uint32_t length = ReadU32(*png, idat);
  std::vector<uint8_t> raw(2 * (1 + 9));
  uLongf raw_size = raw.size();
  ASSERT_EQ(uncompress(raw.data(), &raw_size,
                       reinterpret_cast<const Bytef*>(png->data() + idat + 8), length),
            Z_OK);
  EXPECT_EQ(raw_size, raw.size());
  EXPECT_EQ(raw[0], 0);     // filter byte
  EXPECT_EQ(raw[1], 255);   // first pixel red
  EXPECT_EQ(raw[10], 0);    // second row filter byte
  EXPECT_EQ(raw[19], 90);   // last byte
  EXPECT_EQ(png->substr(png->size() - 8, 4), "IEND");
  image.rgb.pop_back();
  EXPECT_EQ(EncodePng(image).status().code(), StatusCode::kInvalidArgument);
}

TEST(Png, HeatColoursRunFromBlueToRed) {
  uint8_t cold[3], hot[3], none[3];
  HeatColor(0.0f, cold);
  HeatColor(1.0f, hot);
  EXPECT_GT(cold[2], 100);
  EXPECT_EQ(cold[0], 0);
  EXPECT_GT(hot[0], 100);
  EXPECT_EQ(hot[2], 0);
  BlendHeat(0.5f, 0.0f, 0.6f, none);  // no heat: plain grey
  EXPECT_EQ(none[0], none[1]);
  EXPECT_EQ(none[1], none[2]);
}

RoiSample SmallRoi(const Vec3& centre) {
  RoiOptions options;
  options.box_mm = 4;
  options.voxel_mm = 1;
  RoiSample roi;
  roi.grid = RoiGeometry(centre, options);
  roi.image.assign(64, 0.0f);
  roi.labels.assign(64, 0);
  for (int v = 0; v < 64; ++v) roi.image[v] = static_cast<float>(v / 16);  // brighter upwards
  return roi;
}

TEST(CamOutput, CoronalSliceShowsSuperiorAtTheTop) {
  RoiSample roi = SmallRoi({0, 0, 0});
  std::vector<float> cam(64, 0.0f);
  RgbImage slice = RenderCamSlice(roi, cam, SlicePlane::kCoronal, 2);
  EXPECT_EQ(slice.width, 8);
  EXPECT_EQ(slice.height, 8);
  EXPECT_GT(slice.rgb[0], slice.rgb[(7 * 8) * 3]);  // top row (k = 3) brighter than bottom
}

TEST(CamOutput, WritesOverlayInTheCbctGeometryAndThreePngs) {
  Geometry cbct;
  cbct.size = {10, 10, 10};
  cbct.origin_lps = {-5, -5, -5};
  RoiSample roi = SmallRoi({0, 0, 0});
  std::vector<float> cam(64, 0.5f);
  std::string dir = (fs::temp_directory_path() / "amdrn_dl_cam_test").string();
  fs::remove_all(dir);
  auto files = WriteCamFiles(roi, cam, cbct, dir + "/x_");
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->png_paths.size(), 3u);
  for (const auto& p : files->png_paths) EXPECT_TRUE(PathExists(p)) << p;
  auto overlay = io::ReadImage(files->overlay_path);
  ASSERT_TRUE(overlay.ok());
  EXPECT_TRUE(overlay->geometry().SameAs(cbct));
  EXPECT_FLOAT_EQ(overlay->at(5, 5, 5), 0.5f);  // point (0, 0, 0): inside the box
  EXPECT_FLOAT_EQ(overlay->at(0, 0, 0), 0.0f);
  EXPECT_EQ(WriteCamFiles(roi, std::vector<float>(3), cbct, dir + "/y_").status().code(),
            StatusCode::kInvalidArgument);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace amdrn::dl
