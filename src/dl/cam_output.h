// Writing a Grad-CAM for review: a float NIfTI overlay in the CBCT's own geometry (the ROI box
// mapped back to its physical place, 0 outside it) and PNG slices through the box centre
// (axial, coronal, sagittal) with the CBCT underneath. No LibTorch. Thread-safe.
#ifndef AMDRN_DL_CAM_OUTPUT_H_
#define AMDRN_DL_CAM_OUTPUT_H_

#include <string>
#include <vector>

#include "core/status.h"
#include "core/volume.h"
#include "dl/png.h"
#include "dl/roi.h"

namespace amdrn::dl {

struct CamFiles {
  std::string overlay_path;             // <prefix>cam.nii.gz
  std::vector<std::string> png_paths;   // <prefix>cam_axial.png, _coronal, _sagittal
};

// Slice of the ROI through its centre with the CBCT (ROI image, window from its 1st to 99th
// percentile) under the heat map, each voxel drawn as `scale` x `scale` pixels. Orientation:
// axial rows anterior -> posterior, columns right -> left (radiological); coronal and
// sagittal rows superior -> inferior.
enum class SlicePlane { kAxial, kCoronal, kSagittal };
RgbImage RenderCamSlice(const RoiSample& roi, const std::vector<float>& cam, SlicePlane plane,
                        int scale);

// Writes the overlay and the three PNGs with paths starting `prefix` (a folder plus an
// optional file-name stem). Requires cam.size() == roi.image.size().
StatusOr<CamFiles> WriteCamFiles(const RoiSample& roi, const std::vector<float>& cam,
                                 const Geometry& cbct_geometry, const std::string& prefix,
                                 int png_scale = 4);

}  // namespace amdrn::dl

#endif  // AMDRN_DL_CAM_OUTPUT_H_
