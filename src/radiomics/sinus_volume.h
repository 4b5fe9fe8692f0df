// A synthetic CBCT-like test volume shared by bench/radiomics_bench and the tests that
// check its features against PyRadiomics (the exact voxels matter: keep it unchanged).
#ifndef AMDRN_RADIOMICS_SINUS_VOLUME_H_
#define AMDRN_RADIOMICS_SINUS_VOLUME_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

#include "core/volume.h"

namespace amdrn::radiomics {

// A CBCT-like volume: soft tissue, maxillary bone with trabecular texture, an air-filled
// sinus (MS) lined by a 1-2 voxel membrane (SM), residual alveolar bone below (RAB), noise
// and a slight beam-hardening ramp; grey values in an uncalibrated HU-like range.
inline void MakeSinusVolume(const Index3& size, double spacing_mm, ImageF* image, LabelMap* mask) {
  Geometry g;
  g.size = size;
  g.spacing_mm = {spacing_mm, spacing_mm, spacing_mm};
  *image = ImageF(g);
  *mask = LabelMap(g, 0);
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.0f, 35.0f);
  const double cx = size[0] * 0.5, cy = size[1] * 0.5, cz = size[2] * 0.55;
  const double rx = size[0] * 0.30, ry = size[1] * 0.25, rz = size[2] * 0.30;
  const double membrane = 1.6 / spacing_mm * 0.3;  // about 1.6 voxels at 0.3 mm
  for (int64_t k = 0; k < size[2]; ++k) {
    for (int64_t j = 0; j < size[1]; ++j) {
      for (int64_t i = 0; i < size[0]; ++i) {
        const double dx = (i - cx) / rx, dy = (j - cy) / ry, dz = (k - cz) / rz;
        const double r = std::sqrt(dx * dx + dy * dy + dz * dz);
        const double shell = (r - 1.0) * std::min({rx, ry, rz});  // voxels outside the cavity
        const double trabecular = 250 * std::sin(0.9 * i) * std::sin(0.8 * j + 0.3 * k) *
                                  std::cos(0.7 * k + 0.2 * i);
        float v = 40.0f;  // soft tissue
        uint8_t label = 0;
        if (shell < 0) {
          v = -850.0f + 40 * std::sin(0.2 * i + 0.1 * k);  // air with streaks
          label = 1;
        } else if (shell < membrane) {
          v = 60.0f + 30 * std::cos(0.5 * j);
          label = 2;
        } else if (shell < 10 && k < cz - rz * 0.3) {
          v = 900.0f + static_cast<float>(trabecular);
          label = 3;
        } else if (shell < 14) {
          v = 700.0f + static_cast<float>(0.5 * trabecular);
        }
        v += 0.4f * static_cast<float>(i) + noise(rng);
        image->at(i, j, k) = std::round(v);
        mask->at(i, j, k) = label;
      }
    }
  }
}

}  // namespace amdrn::radiomics

#endif  // AMDRN_RADIOMICS_SINUS_VOLUME_H_
