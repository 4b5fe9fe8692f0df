#include "dl/cam_output.h"

#include <algorithm>

#include "io/volume_io.h"

namespace amdrn::dl {
namespace {

// Value at the k-th fraction of a copy of `values`.
float Quantile(std::vector<float> values, double q) {
  size_t k = static_cast<size_t>(q * (values.size() - 1));
  std::nth_element(values.begin(), values.begin() + k, values.end());
  return values[k];
}

}  // namespace

RgbImage RenderCamSlice(const RoiSample& roi, const std::vector<float>& cam, SlicePlane plane,
                        int scale) {
  const int64_t n0 = roi.grid.size[0], n1 = roi.grid.size[1], n2 = roi.grid.size[2];
  const float lo = Quantile(roi.image, 0.01), hi = Quantile(roi.image, 0.99);
  // (rows, columns) of the slice and the ROI voxel at (row, column).
  int64_t rows = plane == SlicePlane::kAxial ? n1 : n2;
  int64_t cols = plane == SlicePlane::kSagittal ? n1 : n0;
  auto voxel = [&](int64_t r, int64_t c) -> int64_t {
    switch (plane) {
      case SlicePlane::kAxial: return c + n0 * (r + n1 * (n2 / 2));
      case SlicePlane::kCoronal: return c + n0 * (n1 / 2 + n1 * (n2 - 1 - r));
      case SlicePlane::kSagittal: return n0 / 2 + n0 * (c + n1 * (n2 - 1 - r));
    }
    return 0;
  };
  RgbImage out;
  out.width = static_cast<int>(cols * scale);
  out.height = static_cast<int>(rows * scale);
  out.rgb.resize(static_cast<size_t>(out.width) * out.height * 3);
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      int64_t v = voxel(y / scale, x / scale);
      float base = hi > lo ? (roi.image[v] - lo) / (hi - lo) : 0.5f;
      BlendHeat(base, cam[v], 0.6f, &out.rgb[(static_cast<size_t>(y) * out.width + x) * 3]);
    }
  }
  return out;
}

StatusOr<CamFiles> WriteCamFiles(const RoiSample& roi, const std::vector<float>& cam,
                                 const Geometry& cbct_geometry, const std::string& prefix,
                                 int png_scale) {
  if (cam.size() != roi.image.size()) {
    return InvalidArgumentError("expected a Grad-CAM with one value per ROI voxel (" +
                                std::to_string(roi.image.size()) + "), found " +
                                std::to_string(cam.size()));
  }
  CamFiles files;
  files.overlay_path = prefix + "cam.nii.gz";
  ImageF overlay = MapRoiToVolume(cam, roi.grid, cbct_geometry);
  AMDRN_RETURN_IF_ERROR(io::WriteImage(overlay, files.overlay_path));
  const std::pair<SlicePlane, const char*> planes[] = {{SlicePlane::kAxial, "axial"},
                                                       {SlicePlane::kCoronal, "coronal"},
                                                       {SlicePlane::kSagittal, "sagittal"}};
  for (const auto& [plane, name] : planes) {
    std::string path = prefix + "cam_" + name + ".png";
    AMDRN_RETURN_IF_ERROR(WritePng(RenderCamSlice(roi, cam, plane, png_scale), path));
    files.png_paths.push_back(path);
  }
  return files;
}

}  // namespace amdrn::dl
