// Reading and writing volumes with exact geometry (LPS, see core/volume.h). Files: NIfTI
// (.nii, .nii.gz), NRRD (.nrrd, .nhdr), MetaImage (.mha, .mhd); reading also takes a DICOM
// series folder or a single (multi-frame) DICOM file. All writes are atomic.
// Thread-safe: functions share no state (ITK's own thread pool is sized by core/threads).
#ifndef AMDRN_IO_VOLUME_IO_H_
#define AMDRN_IO_VOLUME_IO_H_

#include <string>

#include "core/status.h"
#include "core/volume.h"

namespace amdrn::io {

// Storage type for written intensity images.
enum class PixelType { kFloat32, kInt16, kUInt8 };

struct WriteOptions {
  PixelType pixel_type = PixelType::kFloat32;  // kInt16 rounds and clamps to [-32768, 32767]
  bool compress = true;                        // gzip for .nii.gz and NRRD
};

// Reads an intensity image as float (rescale slope/intercept applied).
// NotFound if the path does not exist; DataLoss if it cannot be decoded.
StatusOr<ImageF> ReadImage(const std::string& path);

// Reads a label map. InvalidArgument if a voxel is negative, above 255 or not an integer.
StatusOr<LabelMap> ReadLabelMap(const std::string& path);

Status WriteImage(const ImageF& image, const std::string& path, const WriteOptions& options = {});
Status WriteLabelMap(const LabelMap& labels, const std::string& path);

// True for the file endings WriteImage accepts.
bool IsWritableVolumePath(const std::string& path);

}  // namespace amdrn::io

#endif  // AMDRN_IO_VOLUME_IO_H_
