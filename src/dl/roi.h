// The DL score's region of interest: a cube of fixed physical size centred on the implant
// site (residual alveolar bone and the sinus floor above it), found from the label map alone
// and resampled onto an isotropic grid whose axes run along L, P and S. Also maps values on
// that grid (e.g. a Grad-CAM) back into a scan's own geometry. No LibTorch here.
// Thread-safe: free functions without shared state.
#ifndef AMDRN_DL_ROI_H_
#define AMDRN_DL_ROI_H_

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "core/volume.h"

namespace amdrn::dl {

// Label values of the segmentation (nnU-Net dataset convention of amdrn).
inline constexpr uint8_t kLabelSinus = 1;     // maxillary sinus (MS)
inline constexpr uint8_t kLabelMembrane = 2;  // Schneiderian membrane (SM)
inline constexpr uint8_t kLabelBone = 3;      // residual alveolar bone (RAB)

struct RoiOptions {
  double box_mm = 28.0;   // edge of the cubic box, mm
  double voxel_mm = 0.5;  // isotropic spacing of the resampled box, mm (28 / 0.5 -> 56^3)
  // The sinus floor is searched among MS voxels within this distance (in the axial L-P plane)
  // of the bone centroid; if none, the MS voxel nearest the centroid is used.
  double floor_search_radius_mm = 4.0;

  // Voxels along each edge: round(box_mm / voxel_mm).
  int EdgeVoxels() const;
  // InvalidArgument unless 4 <= EdgeVoxels() <= 256 and both lengths are positive.
  Status Validate() const;
};

struct ImplantSite {
  Vec3 bone_centroid_lps = {0, 0, 0};  // centre of the residual bone at the site
  Vec3 sinus_floor_lps = {0, 0, 0};    // sinus floor above it
  bool floor_found = false;            // false when the label map has no MS voxel
  Vec3 center_lps = {0, 0, 0};         // box centre: bone centre, raised halfway to the floor
};

// Finds the implant site from the label map with anatomy::MeasureSite (the site column through
// the bone footprint: bone centre = midpoint of crest and floor); volumes that MeasureSite
// refuses (oblique) fall back to FindImplantSiteByCentroid. FailedPrecondition without RAB.
StatusOr<ImplantSite> FindImplantSite(const LabelMap& labels, const RoiOptions& options);

// Fallback: centroid of the largest 6-connected RAB component, and the lowest MS voxel within
// floor_search_radius_mm of it in the axial plane (else the MS voxel nearest to it).
StatusOr<ImplantSite> FindImplantSiteByCentroid(const LabelMap& labels, const RoiOptions& options);

// The ROI grid centred on `center_lps`: EdgeVoxels()^3 voxels of voxel_mm, identity direction.
Geometry RoiGeometry(const Vec3& center_lps, const RoiOptions& options);

// A case's ROI: the normalised CBCT (trilinear) and the labels (nearest) on the ROI grid,
// i fastest. Points outside the scan read as the scan's low clip value and label 0.
struct RoiSample {
  Geometry grid;
  ImplantSite site;
  std::vector<float> image;
  std::vector<uint8_t> labels;
};

// Per-scan intensity normalisation (documented in docs/dl-score.md): clip to the scan's 0.5th
// and 99.5th percentiles, then z-score with the clipped scan's mean and SD.
struct IntensityNorm {
  float low = 0, high = 1, mean = 0, sd = 1;
  float Apply(float v) const;
};
IntensityNorm ComputeIntensityNorm(const ImageF& cbct);

// Requires the same geometry for `cbct` and `labels` (FailedPrecondition otherwise).
StatusOr<RoiSample> ExtractRoi(const ImageF& cbct, const LabelMap& labels,
                               const RoiOptions& options);

// Resamples `roi_values` (on `roi_grid`, i fastest) into `target` by trilinear interpolation;
// voxels of `target` outside the ROI get 0.
ImageF MapRoiToVolume(const std::vector<float>& roi_values, const Geometry& roi_grid,
                      const Geometry& target);

// Trilinear interpolation of `values` on a size[0] x size[1] x size[2] grid at continuous
// index `ijk`; `outside` beyond the grid (within half a voxel the edge value is used).
float SampleTrilinear(const float* values, const Index3& size, const Vec3& ijk, float outside);

}  // namespace amdrn::dl

#endif  // AMDRN_DL_ROI_H_
