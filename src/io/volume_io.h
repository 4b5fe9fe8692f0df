// Reading and writing volumes with exact geometry (LPS, see core/volume.h). Files: NIfTI
// (.nii, .nii.gz), NRRD (.nrrd, .nhdr), MetaImage (.mha, .mhd); reading also takes a DICOM
// series folder or a single (multi-frame) DICOM file. All writes are atomic.
// Thread-safe: functions share no state (ITK's own thread pool is sized by core/threads).
#ifndef AMDRN_IO_VOLUME_IO_H_
#define AMDRN_IO_VOLUME_IO_H_

#include <string>

#include "core/status.h"
#include "core/volume.h"
#include "io/dicom.h"

namespace amdrn::io {

// Storage type for written intensity images.
enum class PixelType { kFloat32, kInt16, kUInt8 };

struct WriteOptions {
  PixelType pixel_type = PixelType::kFloat32;  // kInt16 rounds and clamps to [-32768, 32767]
  bool compress = true;                        // gzip for .nii.gz and NRRD
};

struct ReadOptions {
  DicomPreflightOptions dicom;
  DicomQcRecord* dicom_qc = nullptr;  // filled when the input is DICOM, if set
};

// Reads an intensity image as float (rescale slope/intercept applied). A folder or a file
// with the DICM preamble goes through the DICOM pre-flight (io/dicom.h).
// NotFound if the path does not exist; DataLoss if it cannot be decoded; InvalidArgument
// when the DICOM pre-flight refuses it.
StatusOr<ImageF> ReadImage(const std::string& path, const ReadOptions& options = {});

// What a volume file holds, without patient identifiers.
struct VolumeInfo {
  Geometry geometry;
  std::string format;          // "NIfTI", "NRRD", "MetaImage", "DICOM"
  std::string component_type;  // "int16", "uint8", "float32", ...
  int num_components = 1;
  std::string modality;        // DICOM only
  std::string manufacturer;    // DICOM only
};

// Reads the header (and, for DICOM, runs the pre-flight). The intensity range needs the
// voxels: use ReadImage.
StatusOr<VolumeInfo> ReadVolumeInfo(const std::string& path, const ReadOptions& options = {});

// Reads a label map. InvalidArgument if a voxel is negative, above 255 or not an integer.
StatusOr<LabelMap> ReadLabelMap(const std::string& path);

Status WriteImage(const ImageF& image, const std::string& path, const WriteOptions& options = {});
// A ".seg.nrrd" path writes a 3D Slicer segmentation (io/segmentation.h) with amdrn's
// segment names and colours.
Status WriteLabelMap(const LabelMap& labels, const std::string& path);

// True for the file endings WriteImage accepts.
bool IsWritableVolumePath(const std::string& path);

}  // namespace amdrn::io

#endif  // AMDRN_IO_VOLUME_IO_H_
