// Minimal PNG writer (8-bit RGB, no interlace, zlib from the system) for Grad-CAM slices, and
// the colour mapping used to draw a heat map over a grey CBCT slice. Thread-safe: pure
// functions; writes are atomic.
#ifndef AMDRN_DL_PNG_H_
#define AMDRN_DL_PNG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace amdrn::dl {

// An 8-bit RGB image, rows top to bottom, 3 bytes per pixel.
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;
};

// Encodes `image` as PNG bytes. InvalidArgument if the buffer size does not match.
StatusOr<std::string> EncodePng(const RgbImage& image);
Status WritePng(const RgbImage& image, const std::string& path);

// Colour of a heat value in [0, 1] ("jet": blue, cyan, yellow, red).
void HeatColor(float value, uint8_t rgb[3]);

// Grey `base` in [0, 1] blended with the heat colour of `heat` in [0, 1]; the heat's opacity
// grows with its value (alpha = max_alpha * (heat - 0.2) / 0.8), so regions below 0.2 show the
// CBCT unchanged.
void BlendHeat(float base, float heat, float max_alpha, uint8_t rgb[3]);

}  // namespace amdrn::dl

#endif  // AMDRN_DL_PNG_H_
