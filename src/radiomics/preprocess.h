// Image and mask preprocessing before feature extraction, as PyRadiomics' loadImage /
// checkMask / resegmentMask / cropToTumorMask: whole-image normalisation, resampling of the
// ROI's neighbourhood (B-spline image, nearest-neighbour mask; IBSI grid alignment in IBSI
// mode), mask checks, mask correction, resegmentation, cropping, and the diagnostics_*
// values. Pure functions; thread-safe.
#ifndef AMDRN_RADIOMICS_PREPROCESS_H_
#define AMDRN_RADIOMICS_PREPROCESS_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/volume.h"
#include "radiomics/filters.h"

namespace amdrn::radiomics {

// Storage type of the image file: PyRadiomics keeps it through resampling, so resampled
// values of an integer image are truncated toward zero and clamped to the type's range.
struct PixelTypeInfo {
  bool integer = false;
  double min = 0.0, max = 0.0;  // representable range when `integer`
};
// Reads only the header of an image file (NotFound / DataLoss on failure).
StatusOr<PixelTypeInfo> ReadPixelTypeInfo(const std::string& path);

// Inclusive index bounds of a label in a mask.
struct BoundingBox {
  Index3 lower = {0, 0, 0};
  Index3 upper = {-1, -1, -1};
  Index3 Size() const {
    return {upper[0] - lower[0] + 1, upper[1] - lower[1] + 1, upper[2] - lower[2] + 1};
  }
};

// NotFound naming the labels present when `label` has no voxel.
StatusOr<BoundingBox> LabelBoundingBox(const LabelMap& mask, int label);
int64_t CountLabel(const LabelMap& mask, int label);

struct MaskCheckOptions {
  int label = 1;
  int minimum_roi_dimensions = 2;       // sides longer than one voxel required (1-3)
  std::optional<int> minimum_roi_size;  // the ROI must have more voxels than this
};

// PyRadiomics checkMask: label present, not a single voxel, enough dimensions and voxels.
// Errors are FailedPrecondition (NotFound when the label is absent).
StatusOr<BoundingBox> CheckMask(const LabelMap& mask, const MaskCheckOptions& options);

// Same grid within `tolerance` (SimpleITK-style: origin relative to spacing, direction
// absolute). FailedPrecondition naming what differs and how to fix it otherwise.
Status CheckImageMaskGeometry(const Geometry& image, const Geometry& mask, double tolerance);

// PyRadiomics correctMask: when the ROI lies inside the image's physical extent (1e-3
// voxel tolerance), resample the mask nearest-neighbour onto the image grid.
StatusOr<LabelMap> CorrectMask(const Geometry& image, const LabelMap& mask, int label);

// z-score over the whole image with the sample standard deviation (ITK/SimpleITK
// Normalize), outliers clipped at +-`remove_outliers` (in SD), then multiplied by `scale`.
RealVolume NormalizeImage(const RealVolume& image, double scale,
                          std::optional<double> remove_outliers);

struct ResampleOptions {
  std::vector<double> spacing_mm;  // 3 values; 0 keeps the mask's spacing on that axis
  std::string interpolator = "sitkBSpline";  // sitkNearestNeighbor, sitkLinear, sitkBSpline
  int pad_distance = 5;
  int label = 1;
  PixelTypeInfo pixel_type;  // integer source images are truncated as SimpleITK does
  // IBSI: grid centred on the original grid's centre (IBSI 2 "align grid centres"), mask
  // interpolated linearly and thresholded at 0.5; otherwise PyRadiomics' corner alignment.
  bool ibsi = false;
};

struct ImageAndMask {
  RealVolume image;
  LabelMap mask;
};

// PyRadiomics resampleImage: resamples only the ROI's bounding box plus `pad_distance` new
// voxels (clipped to the image), keeps a one-slice axis at its spacing, and when the
// spacing is already the image's just crops. Errors: InvalidArgument (options),
// FailedPrecondition (ROI outside the image).
StatusOr<ImageAndMask> ResampleImageAndMask(const RealVolume& image, const LabelMap& mask,
                                            const ResampleOptions& options);

// PyRadiomics resegmentMask: keeps ROI voxels inside [lower, upper] (one value: >= lower),
// thresholds absolute, relative to the ROI maximum, or in ROI standard deviations (sigma,
// population SD) around the ROI mean. FailedPrecondition when one voxel or fewer remain.
StatusOr<LabelMap> ResegmentMask(const RealVolume& image, const LabelMap& mask, int label,
                                 const std::vector<double>& range, const std::string& mode);

// PyRadiomics cropToTumorMask: the box grown by `pad` voxels, clipped to the image. The
// geometry of the results keeps physical positions (origin moved to the new corner).
ImageAndMask CropToBox(const RealVolume& image, const LabelMap& mask, const BoundingBox& box,
                       int pad);
template <typename T>
Volume<T> CropVolume(const Volume<T>& volume, const Index3& lower, const Index3& size);

// diagnostics_* values (without the "diagnostics_" prefix) as PyRadiomics' GeneralInfo,
// rendered like Python: "(0.78125, 0.78125, 6.5)". The image hashes are not produced.
using Diagnostics = std::vector<std::pair<std::string, std::string>>;
void AddImageDiagnostics(const RealVolume& image, const std::string& stage, Diagnostics* out);
void AddMaskDiagnostics(const RealVolume* image, const LabelMap& mask, int label,
                        const std::string& stage, Diagnostics* out);
// Number of 26-connected components of `label`.
int CountConnectedComponents(const LabelMap& mask, int label);
// Python repr of a float ("6.5", "1.0", "1e-05").
std::string PyRepr(double value);

// ---- implementation of the template ----
template <typename T>
Volume<T> CropVolume(const Volume<T>& volume, const Index3& lower, const Index3& size) {
  Geometry g = volume.geometry();
  g.origin_lps = g.IndexToPoint({static_cast<double>(lower[0]), static_cast<double>(lower[1]),
                                 static_cast<double>(lower[2])});
  g.size = size;
  Volume<T> out(g);
  for (int64_t k = 0; k < size[2]; ++k) {
    for (int64_t j = 0; j < size[1]; ++j) {
      const T* src = &volume.at(lower[0], lower[1] + j, lower[2] + k);
      std::copy(src, src + size[0], &out.at(0, j, k));
    }
  }
  return out;
}

}  // namespace amdrn::radiomics

#endif  // AMDRN_RADIOMICS_PREPROCESS_H_
