// nnU-Net v2's training augmentations (batchgeneratorsv2 pipeline of get_training_transforms)
// with its probabilities and ranges, on one sample's float patch (C, d0, d1, d2) and int8
// seg (d0, d1, d2). The spatial part (rotation, scaling) is applied while cutting the patch
// (see data_loader.h); this file holds its parameters, the intensity transforms and the
// mirroring. Each function draws from the Rng it is given, so a seed fixes the result.
// Thread-compatible (each worker owns its Rng).
#ifndef AMDRN_SEG_AUGMENT_H_
#define AMDRN_SEG_AUGMENT_H_

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "seg/resample.h"

namespace amdrn::seg {

using Rng = std::mt19937_64;

struct AugmentationParams {
  // SpatialTransform: rotation about every axis with p_rotation, angles U(-max, max);
  // one scale factor for all axes with p_scaling. Elastic deformation is off (as nnU-Net).
  double p_rotation = 0.2;
  double max_rotation_rad = 30.0 * 3.14159265358979323846 / 180.0;
  double p_scaling = 0.2;
  std::array<double, 2> scaling = {0.7, 1.4};
  bool dummy_2d = false;  // anisotropic patch: rotate and scale in-plane only (+-180 deg)
  double p_noise = 0.1;   // Gaussian noise, std ~ U(0, 0.1), same std for all channels
  double noise_max_std = 0.1;
  double p_blur = 0.2;    // sigma ~ U(0.5, 1) per axis and channel, each channel with p 0.5
  std::array<double, 2> blur_sigma = {0.5, 1.0};
  double p_blur_per_channel = 0.5;
  double p_brightness = 0.15;  // multiplicative, factor from BGContrast(0.75, 1.25)
  std::array<double, 2> brightness = {0.75, 1.25};
  double p_contrast = 0.15;  // (x - mean) * f + mean, clipped to the original range
  std::array<double, 2> contrast = {0.75, 1.25};
  double p_low_res = 0.25;  // per channel with p 0.5, zoom U(0.5, 1): nearest down, linear up
  std::array<double, 2> low_res_zoom = {0.5, 1.0};
  double p_low_res_per_channel = 0.5;
  double p_gamma_inverted = 0.1;  // gamma from BGContrast(0.7, 1.5), stats retained
  double p_gamma = 0.3;
  std::array<double, 2> gamma = {0.7, 1.5};
  std::vector<int> mirror_axes = {0, 1, 2};  // each flipped with p 0.5
};

// nnU-Net's get_patch_size: the extent of the final patch rotated by the maximum angle about
// each axis (capped at 90 deg), divided by the smallest scale (0.85 in nnU-Net's trainer).
// With dummy_2d only axes 1 and 2 grow (pass the in-plane maximum, pi in nnU-Net).
Shape3 InitialPatchSize(const Shape3& final_patch, double max_rotation_rad, bool dummy_2d,
                        double min_scale = 0.85);

// nnU-Net's rule: dummy 2D augmentation when max(patch) / patch[0] > 3.
bool UseDummy2dAugmentation(const Shape3& patch);

// The spatial transform drawn for one sample: destination voxel p (patch coordinates, centred)
// samples the source at centre + matrix * p. Identity when neither rotation nor scaling fired.
struct SpatialSample {
  bool identity = true;
  std::array<double, 9> matrix = {1, 0, 0, 0, 1, 0, 0, 0, 1};  // row-major, array axes
};
SpatialSample DrawSpatialTransform(const AugmentationParams& params, Rng& rng);

// The intensity transforms 2-8 of nnU-Net's list, in its order, then mirroring of data and
// seg together. `data` holds `channels` x NumVoxels(shape).
void AugmentIntensities(float* data, int channels, const Shape3& shape,
                        const AugmentationParams& params, Rng& rng);
void MirrorSample(float* data, int channels, int8_t* seg, const Shape3& shape,
                  const std::vector<int>& axes, Rng& rng);

// BGContrast: 50 % U(lo, 1), else U(max(lo, 1), hi) (the lower branch only if lo < 1).
double SampleBgContrast(const std::array<double, 2>& range, Rng& rng);

}  // namespace amdrn::seg

#endif  // AMDRN_SEG_AUGMENT_H_
