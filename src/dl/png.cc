#include "dl/png.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>

#include "core/file_util.h"

namespace amdrn::dl {
namespace {

void PutU32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((v >> shift) & 0xFF));
}

// Appends one chunk: length, type, data, CRC-32 of type + data.
void PutChunk(std::string* out, const char type[4], const std::string& data) {
  PutU32(out, static_cast<uint32_t>(data.size()));
  std::string body(type, 4);
  body += data;
  out->append(body);
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
  PutU32(out, static_cast<uint32_t>(crc));
}

}  // namespace

StatusOr<std::string> EncodePng(const RgbImage& image) {
  if (image.width <= 0 || image.height <= 0 ||
      image.rgb.size() != static_cast<size_t>(image.width) * image.height * 3) {
    return InvalidArgumentError("expected an RGB buffer of width x height x 3 bytes for a PNG");
  }
  // Scanlines with filter type 0 (none), deflated with zlib.
  const size_t row = static_cast<size_t>(image.width) * 3;
  std::string raw;
  raw.reserve((row + 1) * image.height);
  for (int y = 0; y < image.height; ++y) {
    raw.push_back('\0');
    raw.append(reinterpret_cast<const char*>(image.rgb.data() + y * row), row);
  }
  uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
  std::string packed(packed_size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(&packed[0]), &packed_size,
                reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()),
                Z_DEFAULT_COMPRESSION) != Z_OK) {
    return InternalError("zlib could not compress a PNG image");
  }
  packed.resize(packed_size);
  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string header;
  PutU32(&header, static_cast<uint32_t>(image.width));
  PutU32(&header, static_cast<uint32_t>(image.height));
  header += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit, RGB, deflate, filter 0, no interlace
  PutChunk(&png, "IHDR", header);
  PutChunk(&png, "IDAT", packed);
  PutChunk(&png, "IEND", "");
  return png;
}

Status WritePng(const RgbImage& image, const std::string& path) {
  AMDRN_ASSIGN_OR_RETURN(std::string bytes, EncodePng(image));
  return WriteFileAtomic(path, bytes);
}

void HeatColor(float value, uint8_t rgb[3]) {
  float v = std::clamp(value, 0.0f, 1.0f);
  auto channel = [&](float centre) {
    return static_cast<uint8_t>(
        std::lround(255 * std::clamp(1.5f - std::abs(4 * v - centre), 0.0f, 1.0f)));
  };
  rgb[0] = channel(3);
  rgb[1] = channel(2);
  rgb[2] = channel(1);
}

void BlendHeat(float base, float heat, float max_alpha, uint8_t rgb[3]) {
  uint8_t color[3];
  HeatColor(heat, color);
  float alpha = max_alpha * std::clamp((heat - 0.2f) / 0.8f, 0.0f, 1.0f);
  float grey = 255 * std::clamp(base, 0.0f, 1.0f);
  for (int c = 0; c < 3; ++c) {
    rgb[c] = static_cast<uint8_t>(std::lround((1 - alpha) * grey + alpha * color[c]));
  }
}

}  // namespace amdrn::dl
