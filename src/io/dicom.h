// DICOM input for CBCT: a series folder (one file per slice) or one multi-frame file, read
// through ITK + GDCM after a pre-flight check that refuses what would silently give wrong
// geometry: gantry tilt, non-uniform or missing slices, several series in one folder,
// secondary-capture images, inconsistent orientation. The check fills a QC record that can
// be written as JSON. QC records never hold patient identifiers or UIDs.
// Also writes a volume as a DICOM CT series (for tests and for PACS-side checks).
// Thread-safe: no shared state.
#ifndef AMDRN_IO_DICOM_H_
#define AMDRN_IO_DICOM_H_

#include <string>
#include <vector>

#include "core/status.h"
#include "core/volume.h"

namespace amdrn::io {

struct DicomPreflightOptions {
  // Largest accepted angle, in degrees, between the slice normal (from Image Orientation)
  // and the direction in which slice positions advance.
  double max_tilt_degrees = 0.5;
  // Largest accepted deviation of any slice gap from the median gap, relative to it.
  double max_gap_deviation = 0.05;
  bool allow_secondary_capture = false;
  // When a folder holds several series: 1-based index of the series to read, in the order
  // `amdrn info` lists them (largest first). 0 refuses mixed folders.
  int series_index = 0;
};

struct DicomQcRecord {
  std::string source_kind;  // "series" or "multiframe"
  int num_files = 0;
  int num_series = 0;
  int num_slices = 0;
  std::string sop_class_uid;
  std::string sop_class_name;
  std::string modality;
  std::string manufacturer;
  std::string model_name;
  std::string photometric;
  double rescale_slope = 1.0;
  double rescale_intercept = 0.0;
  std::string pixel_spacing_source;  // "PixelSpacing", "ImagerPixelSpacing" or "none"
  double tilt_degrees = 0.0;
  double median_gap_mm = 0.0;
  double max_gap_deviation_mm = 0.0;
  std::vector<std::string> warnings;
  bool accepted = false;
  std::string refusal;  // the error message when refused

  std::string ToJson() const;
};

// True if `path` is a folder holding at least one DICOM file, or a file with the DICM
// preamble or a .dcm ending.
bool LooksLikeDicom(const std::string& path);

// Runs the pre-flight check. On acceptance `sorted_files` holds the slice files in the
// order of their position along the slice normal (one entry for a multi-frame file).
// InvalidArgument with a one-sentence reason on refusal; the QC record is filled either way.
Status PreflightDicom(const std::string& path, const DicomPreflightOptions& options,
                      DicomQcRecord* qc, std::vector<std::string>* sorted_files);

// Pre-flight, then reads the volume as float (rescale applied), LPS geometry.
StatusOr<ImageF> ReadDicom(const std::string& path, const DicomPreflightOptions& options,
                           DicomQcRecord* qc);

struct DicomWriteOptions {
  std::string manufacturer = "amdrn";
  std::string series_description = "amdrn volume";
  double rescale_intercept = 0.0;  // stored = round((value - intercept) / slope)
  double rescale_slope = 1.0;
  bool secondary_capture = false;  // write the Secondary Capture SOP class (for tests)
  std::string series_uid;          // empty: a new UID
  int first_file_number = 0;       // files are named slice_NNNN.dcm from this number on
  // One multi-frame CT file (volume.dcm) instead of one file per slice, as several dental
  // CBCT exports do (classic CT class, no per-frame positions; slice spacing in Spacing
  // Between Slices).
  bool multiframe = false;
};

// Writes one CT Image Storage file per slice (int16, explicit VR little endian) into
// `folder`, named slice_0000.dcm, ..., or one multi-frame file (options.multiframe). The
// folder is created; existing files are kept. Each file is written atomically.
Status WriteDicomSeries(const ImageF& image, const std::string& folder,
                        const DicomWriteOptions& options = {});

}  // namespace amdrn::io

#endif  // AMDRN_IO_DICOM_H_
