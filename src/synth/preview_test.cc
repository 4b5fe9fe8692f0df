#include "synth/preview.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "core/file_util.h"

namespace amdrn::synth {
namespace {

uint32_t ReadU32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (int n = 0; n < 4; ++n) v = (v << 8) | static_cast<uint8_t>(s[at + n]);
  return v;
}

TEST(EncodePng, ValidSignatureChunksAndPixels) {
  const int w = 3, h = 2;
  std::vector<uint8_t> rgb(w * h * 3);
  for (size_t n = 0; n < rgb.size(); ++n) rgb[n] = static_cast<uint8_t>(n * 13);
  const std::string png = EncodePng(w, h, rgb);
  ASSERT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(png.substr(12, 4), "IHDR");
  EXPECT_EQ(ReadU32(png, 16), 3u);
  EXPECT_EQ(ReadU32(png, 20), 2u);
  // IHDR CRC covers type and data.
  EXPECT_EQ(ReadU32(png, 29), crc32(0L, reinterpret_cast<const Bytef*>(png.data() + 12), 17));
  const size_t idat = 33;
  ASSERT_EQ(png.substr(idat + 4, 4), "IDAT");
  const uint32_t len = ReadU32(png, idat);
  std::vector<uint8_t> raw(h * (w * 3 + 1));
  uLongf raw_len = raw.size();
  ASSERT_EQ(
      uncompress(raw.data(), &raw_len, reinterpret_cast<const Bytef*>(png.data() + idat + 8), len),
      Z_OK);
  ASSERT_EQ(raw_len, raw.size());
  for (int y = 0; y < h; ++y) {
    EXPECT_EQ(raw[y * (w * 3 + 1)], 0);  // filter type none
    for (int x = 0; x < w * 3; ++x) EXPECT_EQ(raw[y * (w * 3 + 1) + 1 + x], rgb[y * w * 3 + x]);
  }
  EXPECT_EQ(png.substr(png.size() - 8, 4), "IEND");
}

TEST(WritePreviewPng, RejectsMismatchedLabels) {
  Geometry g;
  g.size = {8, 8, 8};
  ImageF img(g, 0.0f);
  Geometry other = g;
  other.size = {8, 8, 9};
  LabelMap labels(other, 0);
  EXPECT_EQ(WritePreviewPng(img, &labels, {0, 0, 0}, 0, 1, "/tmp/amdrn_preview_bad.png").code(),
            StatusCode::kFailedPrecondition);
  EXPECT_FALSE(PathExists("/tmp/amdrn_preview_bad.png"));
}

}  // namespace
}  // namespace amdrn::synth
