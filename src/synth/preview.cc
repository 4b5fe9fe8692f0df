#include "synth/preview.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "core/file_util.h"

namespace amdrn::synth {
namespace {

void PutU32(std::string& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xFF));
}

void PutChunk(std::string& out, const char* type, const std::string& data) {
  PutU32(out, static_cast<uint32_t>(data.size()));
  const std::string body = std::string(type, 4) + data;
  out += body;
  PutU32(out, static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(body.data()),
                                          static_cast<uInt>(body.size()))));
}

constexpr std::array<std::array<uint8_t, 3>, 4> kLabelColours = {
    {{0, 0, 0}, {0, 220, 255}, {255, 220, 0}, {255, 40, 40}}};

// One slice as RGB: axis 2 axial (i right-left flipped to radiological view), 1 coronal,
// 0 sagittal; superior up in the last two.
struct Slice {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
};

Slice RenderSlice(const ImageF& image, const LabelMap* labels, int axis, const Index3& at,
                  double lo, double hi) {
  const Index3& n = image.size();
  const int u_axis = axis == 0 ? 1 : 0, v_axis = axis == 2 ? 1 : 2;
  Slice s;
  s.width = static_cast<int>(n[u_axis]);
  s.height = static_cast<int>(n[v_axis]);
  s.rgb.assign(static_cast<size_t>(s.width) * s.height * 3, 0);
  const auto index = [&](int u, int v) {
    Index3 p = at;
    p[u_axis] = u;
    p[v_axis] = v;
    return p;
  };
  for (int row = 0; row < s.height; ++row)
    for (int u = 0; u < s.width; ++u) {
      // Axial: anterior (low j) at the top. Coronal/sagittal: superior (high k) at the top.
      const int v = axis == 2 ? row : s.height - 1 - row;
      const Index3 p = index(u, v);
      const float g = image.at(p[0], p[1], p[2]);
      const uint8_t grey =
          static_cast<uint8_t>(std::clamp((g - lo) / (hi - lo), 0.0, 1.0) * 255.0 + 0.5);
      uint8_t* px = &s.rgb[(static_cast<size_t>(row) * s.width + u) * 3];
      px[0] = px[1] = px[2] = grey;
      if (!labels) continue;
      const uint8_t l = labels->at(p[0], p[1], p[2]);
      if (l == 0 || l > 3) continue;
      bool edge = false;
      for (const auto& d : {std::array<int, 2>{1, 0}, {-1, 0}, {0, 1}, {0, -1}}) {
        const int uu = u + d[0], vv = v + d[1];
        if (uu < 0 || vv < 0 || uu >= s.width || vv >= s.height) continue;
        const Index3 q = index(uu, vv);
        edge |= labels->at(q[0], q[1], q[2]) != l;
      }
      if (edge) std::copy(kLabelColours[l].begin(), kLabelColours[l].end(), px);
    }
  return s;
}

}  // namespace

std::string EncodePng(int width, int height, const std::vector<uint8_t>& rgb) {
  std::string raw;
  raw.reserve(static_cast<size_t>(height) * (width * 3 + 1));
  for (int y = 0; y < height; ++y) {
    raw.push_back(0);  // filter: none
    raw.append(reinterpret_cast<const char*>(&rgb[static_cast<size_t>(y) * width * 3]), width * 3);
  }
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::string z(size, '\0');
  compress2(reinterpret_cast<Bytef*>(&z[0]), &size, reinterpret_cast<const Bytef*>(raw.data()),
            static_cast<uLong>(raw.size()), 6);
  z.resize(size);
  std::string ihdr;
  PutU32(ihdr, static_cast<uint32_t>(width));
  PutU32(ihdr, static_cast<uint32_t>(height));
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, deflate, no interlace
  std::string png("\x89PNG\r\n\x1a\n", 8);
  PutChunk(png, "IHDR", ihdr);
  PutChunk(png, "IDAT", z);
  PutChunk(png, "IEND", "");
  return png;
}

Status WritePreviewPng(const ImageF& image, const LabelMap* labels, const Vec3& point_lps,
                       double window_lo, double window_hi, const std::string& path) {
  if (!image.geometry().IsIdentityDirection())
    return UnimplementedError("previews need an identity direction matrix, found another one");
  if (labels)
    AMDRN_RETURN_IF_ERROR(
        CheckSameGeometry(image.geometry(), labels->geometry(), "image", "labels"));
  const Vec3 c = image.geometry().PointToIndex(point_lps);
  Index3 at;
  for (int a = 0; a < 3; ++a)
    at[a] = std::clamp<int64_t>(std::llround(c[a]), 0, image.size()[a] - 1);
  std::vector<Slice> slices;
  for (int axis : {2, 1, 0})
    slices.push_back(RenderSlice(image, labels, axis, at, window_lo, window_hi));
  // Nearest-neighbour upscaling so small grids stay legible (panels of at least 320 pixels).
  int largest = 1;
  for (const Slice& s : slices) largest = std::max({largest, s.width, s.height});
  const int scale = std::max(1, (320 + largest - 1) / largest);
  if (scale > 1) {
    for (Slice& s : slices) {
      Slice big;
      big.width = s.width * scale, big.height = s.height * scale;
      big.rgb.resize(static_cast<size_t>(big.width) * big.height * 3);
      for (int y = 0; y < big.height; ++y)
        for (int x = 0; x < big.width; ++x)
          std::copy_n(&s.rgb[(static_cast<size_t>(y / scale) * s.width + x / scale) * 3], 3,
                      &big.rgb[(static_cast<size_t>(y) * big.width + x) * 3]);
      s = std::move(big);
    }
  }
  int width = 0, height = 0;
  for (const Slice& s : slices) width += s.width + 4, height = std::max(height, s.height);
  std::vector<uint8_t> rgb(static_cast<size_t>(width) * height * 3, 0);
  int x0 = 0;
  for (const Slice& s : slices) {
    for (int y = 0; y < s.height; ++y)
      std::copy(&s.rgb[static_cast<size_t>(y) * s.width * 3],
                &s.rgb[static_cast<size_t>(y + 1) * s.width * 3],
                &rgb[(static_cast<size_t>(y) * width + x0) * 3]);
    x0 += s.width + 4;
  }
  return WriteFileAtomic(path, EncodePng(width, height, rgb));
}

}  // namespace amdrn::synth
