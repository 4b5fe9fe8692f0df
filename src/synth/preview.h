// PNG previews of a CBCT volume: axial, coronal and sagittal slices through one point, side by
// side, grey-windowed, optionally with label outlines. Used for quick looks at synthetic cases
// and the figures in docs/. Thread-safe (no shared state).
#ifndef AMDRN_SYNTH_PREVIEW_H_
#define AMDRN_SYNTH_PREVIEW_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/volume.h"

namespace amdrn::synth {

// Writes an 8-bit RGB PNG (atomically). `labels` may be null; when given it must share the
// image's geometry, and its outlines are drawn (1 sinus cyan, 2 membrane yellow, 3 bone red).
// Grey values map linearly from [window_lo, window_hi] to [0, 255]. Requires identity direction.
Status WritePreviewPng(const ImageF& image, const LabelMap* labels, const Vec3& point_lps,
                       double window_lo, double window_hi, const std::string& path);

// Encodes RGB pixels (row-major, 3 bytes per pixel) as PNG bytes.
std::string EncodePng(int width, int height, const std::vector<uint8_t>& rgb);

}  // namespace amdrn::synth

#endif  // AMDRN_SYNTH_PREVIEW_H_
