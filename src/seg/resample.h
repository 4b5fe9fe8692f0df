// Resampling of (z, y, x) arrays to a new shape, as nnU-Net v2's resample_data_or_seg:
// skimage-style grids (align_corners=False: source = (dest + 0.5) * in/out - 0.5), edge
// extension, clipping to the input range for data, orders 0 (nearest), 1 (linear) and 3
// (cubic B-spline with exact prefilter), applied separably axis by axis (a tensor-product
// spline is separable). Segmentations use per-label linear masks thresholded at 0.5 in label
// order. "Separate z" resamples in-plane with the order and the anisotropic axis with
// order_z. Pure functions; thread-safe.
#ifndef AMDRN_SEG_RESAMPLE_H_
#define AMDRN_SEG_RESAMPLE_H_

#include <array>
#include <cstdint>
#include <vector>

namespace amdrn::seg {

using Shape3 = std::array<int64_t, 3>;  // (d0, d1, d2) in array order; d2 is fastest
inline int64_t NumVoxels(const Shape3& s) { return s[0] * s[1] * s[2]; }

// nnU-Net's compute_new_shape: round(old_spacing / new_spacing * old_shape) per axis.
Shape3 ComputeNewShape(const Shape3& old_shape, const std::array<double, 3>& old_spacing,
                       const std::array<double, 3>& new_spacing);

// determine_do_sep_z_and_axis with force_separate_z = None: separate z if the current
// spacing has max/min > 3 (axis = its max), else if the new spacing does. Returns the axis,
// or -1 for no separate z (also when several axes tie for the max spacing).
int SeparateZAxis(const std::array<double, 3>& current_spacing,
                  const std::array<double, 3>& new_spacing, double anisotropy_threshold = 3.0);

// Resamples one float volume (shape `in`, C order) to `out`. `separate_z_axis` = -1 for a
// full 3D resampling with `order`; otherwise in-plane `order` and `order_z` along that axis.
// Order >= 1 results are clipped to the input's [min, max] (skimage clip=True). Identity when
// in == out (exact copy).
std::vector<float> ResampleData(const float* in, const Shape3& in_shape, const Shape3& out_shape,
                                int order = 3, int separate_z_axis = -1, int order_z = 0);

// Resamples a label volume: for each label value present (ascending, including -1 and 0),
// its binary mask is resampled with `order` and written where >= 0.5; voxels no label
// reaches stay 0. Order 0 is plain nearest. Separate z as above (order_z along that axis).
std::vector<int8_t> ResampleSeg(const int8_t* in, const Shape3& in_shape, const Shape3& out_shape,
                                int order = 1, int separate_z_axis = -1, int order_z = 0);

}  // namespace amdrn::seg

#endif  // AMDRN_SEG_RESAMPLE_H_
