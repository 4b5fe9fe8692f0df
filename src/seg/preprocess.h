// Preprocessing of one case as nnU-Net v2's DefaultPreprocessor.run_case: transpose to the
// plans' axis order, crop to the nonzero region (seg = -1 outside it), normalise each
// channel with the plans' scheme, resample to the configuration's spacing, sample class
// locations for foreground oversampling. Also the inverse mapping of a prediction back to
// the original image geometry, and the on-disk format of preprocessed cases (".amdrnpp",
// documented in docs/segmentation.md). Arrays are C-order (channel, d0, d1, d2) floats in
// nnU-Net array order (z, y, x after transpose_forward), i.e. for the identity transpose
// exactly the memory order of an amdrn Volume. Pure functions; thread-safe.
#ifndef AMDRN_SEG_PREPROCESS_H_
#define AMDRN_SEG_PREPROCESS_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/volume.h"
#include "seg/plans.h"
#include "seg/resample.h"

namespace amdrn::seg {

// What the inverse mapping needs (nnU-Net's properties .pkl).
struct CaseProperties {
  Geometry original_geometry;         // of the input image, ITK order (for export)
  std::array<int, 3> transpose_forward = {0, 1, 2};  // the plans' permutation that was applied
  std::array<double, 3> spacing{};    // original spacing, array order after transpose
  Shape3 shape_before_cropping{};     // after transpose
  std::array<std::array<int64_t, 2>, 3> bbox_used_for_cropping{};  // [start, end), after transpose
  Shape3 shape_after_cropping_and_before_resampling{};
  std::array<double, 3> target_spacing{};  // the configuration's spacing (3D), after transpose
  Shape3 shape_after_resampling{};
};

struct PreprocessedCase {
  std::string case_id;
  int num_channels = 0;
  Shape3 shape{};           // = properties.shape_after_resampling
  std::vector<float> data;  // num_channels * NumVoxels(shape)
  std::vector<int8_t> seg;  // NumVoxels(shape), -1 outside the nonzero mask; empty without label
  // Foreground label -> sampled voxel positions (array order) for oversampling.
  std::map<int, std::vector<std::array<int32_t, 3>>> class_locations;
  CaseProperties properties;
};

// Permutes a (z, y, x) C-order array: out axis d = in axis perm[d].
template <typename T>
std::vector<T> TransposeArray(const T* in, const Shape3& in_shape, const std::array<int, 3>& perm);
Shape3 PermuteShape(const Shape3& shape, const std::array<int, 3>& perm);

using BBox3 = std::array<std::array<int64_t, 2>, 3>;  // half-open [start, end) per axis

// nnU-Net's crop_to_nonzero mask: union over channels of value != 0, then holes filled
// (background not 6-connected to the border becomes foreground).
std::vector<uint8_t> NonzeroMask(const std::vector<const float*>& channels, const Shape3& shape);
// Half-open bounding box of the nonzero voxels of `mask`; the whole volume if it is empty.
BBox3 MaskBoundingBox(const uint8_t* mask, const Shape3& shape);
// Copies the box out of a C-order array.
template <typename T>
std::vector<T> CropArray(const T* in, const Shape3& shape, const BBox3& box);

// Normalises one channel in place with `scheme` (a kXxxNormalization name). `mask` (may be
// null) marks the nonzero region (seg >= 0); with `use_mask`, z-score statistics come from it
// and voxels outside are set to 0. InvalidArgument for an unknown scheme.
Status NormalizeChannel(float* values, int64_t n, const std::string& scheme, bool use_mask,
                        const int8_t* mask, const IntensityProperties& properties);

// Preprocesses one case for `config` (3D configurations only). `label` may be null
// (inference): the seg is then 0 inside and -1 outside the nonzero mask and no class
// locations are sampled. Requires: channels share one geometry (LoadCase checks it).
// `seed` drives class-location sampling (nnU-Net: 1234).
StatusOr<PreprocessedCase> PreprocessCase(const std::vector<ImageF>& channels,
                                          const LabelMap* label, const Plans& plans,
                                          const Configuration& config, const std::string& case_id,
                                          uint32_t seed = 1234);

// Inverse mapping of a prediction: `logits` (num_classes x NumVoxels(shape_after_resampling),
// C order, any monotone score such as logits or probabilities) are resampled per class
// (linear, nnU-Net's resampling_fn_probabilities rule) to the cropped shape, arg-maxed,
// pasted into the uncropped volume and transposed back. The result has
// properties.original_geometry. Requires num_classes <= 256.
StatusOr<LabelMap> LogitsToOriginalLabels(const float* logits, int num_classes,
                                          const CaseProperties& properties);

// The same for a label array already at shape_after_resampling (nearest-free: per-label
// linear resampling as for training segmentations).
StatusOr<LabelMap> LabelsToOriginal(const uint8_t* labels, const CaseProperties& properties);

// On-disk format. WritePreprocessedCase is atomic. ReadPreprocessedCase checks the magic,
// version and sizes (DataLoss on truncation or corruption).
Status WritePreprocessedCase(const PreprocessedCase& c, const std::string& path);
StatusOr<PreprocessedCase> ReadPreprocessedCase(const std::string& path);
// Reads only the header: everything except data, seg and class locations.
StatusOr<PreprocessedCase> ReadPreprocessedHeader(const std::string& path);
inline constexpr char kPreprocessedExtension[] = ".amdrnpp";
// Parses and checks the header of a memory image of a .amdrnpp file (for memory mapping).
StatusOr<Json> ParsePreprocessedHeader(const char* bytes, size_t size, const std::string& path);

// Preprocesses every training case of the raw dataset at `raw_folder` for configuration
// `config_name` into `out_folder`/<data_identifier>/<case>.amdrnpp, and copies the labels to
// `out_folder`/gt_segmentations/ for evaluation. `threads` cases run in parallel. Existing
// files are overwritten. Progress is reported per case.
Status PreprocessDataset(const std::string& raw_folder, const Plans& plans,
                         const std::string& config_name, const std::string& out_folder,
                         int threads = 1);

Json CasePropertiesToJson(const CaseProperties& p);
StatusOr<CaseProperties> CasePropertiesFromJson(const Json& json);

}  // namespace amdrn::seg

#endif  // AMDRN_SEG_PREPROCESS_H_
