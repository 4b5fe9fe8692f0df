// `amdrn convert IN OUT`: between DICOM (in), NIfTI, NRRD, MHA, Slicer .seg.nrrd and DICOM
// series (out, when OUT is a folder), geometry preserved exactly.

#include <cmath>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/dicom_flags.h"
#include "core/file_util.h"
#include "core/logging.h"
#include "io/volume_io.h"

namespace amdrn::cli {
namespace {

bool AllIntegersWithin(const ImageF& image, double lo, double hi) {
  for (float v : image.voxels()) {
    if (v != std::floor(v) || v < lo || v > hi) return false;
  }
  return true;
}

// The stored type for `--type auto`: the narrowest of uint8, int16, float32 that holds
// every voxel exactly.
io::PixelType AutoType(const ImageF& image) {
  if (AllIntegersWithin(image, 0, 255)) return io::PixelType::kUInt8;
  if (AllIntegersWithin(image, -32768, 32767)) return io::PixelType::kInt16;
  return io::PixelType::kFloat32;
}

StatusOr<io::PixelType> ParseType(const std::string& text, const ImageF& image) {
  if (text == "auto") return AutoType(image);
  if (text == "float32") return io::PixelType::kFloat32;
  if (text == "int16") return io::PixelType::kInt16;
  if (text == "uint8") return io::PixelType::kUInt8;
  return InvalidArgumentError("expected --type auto, float32, int16 or uint8, found '" + text + "'");
}

bool IsFolderTarget(const std::string& out) {
  return (!out.empty() && out.back() == '/') || IsDirectory(out) || FileExtension(out).empty();
}

int RunConvert(int argc, char** argv) {
  CLI::App app("Convert a volume between formats with its geometry unchanged. Inputs: DICOM "
               "folder or file, NIfTI, NRRD, MHA, .seg.nrrd. Outputs by OUT's ending: .nii, "
               ".nii.gz, .nrrd, .mha, .seg.nrrd (Slicer segmentation), or a folder (DICOM CT series).",
               "amdrn convert");
  std::string in, out, type = "auto";
  bool labels = false;
  DicomFlags dicom;
  app.add_option("in", in, "input volume")->required();
  app.add_option("out", out, "output file or folder")->required();
  app.add_option("--type", type, "stored voxel type: auto, float32, int16 or uint8")->capture_default_str();
  app.add_flag("--labels", labels, "treat the input as a label map (implied by a .seg.nrrd output)");
  dicom.AddTo(app);
  if (int rc = ParseArgs(app, argc, argv); rc >= 0) return rc;

  if (labels || FileExtension(out) == ".seg.nrrd") {
    auto map = io::ReadLabelMap(in);
    if (!map.ok()) return ReportError("convert", map.status());
    Status s = io::WriteLabelMap(*map, out);
    if (!s.ok()) return ReportError("convert", s);
    AMDRN_LOG(Info) << "wrote label map " << map->geometry().ToString();
    return kExitOk;
  }
  io::DicomQcRecord qc;
  auto image = io::ReadImage(in, {dicom.options, &qc});
  if (!dicom.qc_path.empty() && qc.num_files > 0) {
    Status s = WriteFileAtomic(dicom.qc_path, qc.ToJson());
    if (!s.ok()) return ReportError("convert", s);
  }
  if (!image.ok()) return ReportError("convert", image.status());
  Status s;
  if (IsFolderTarget(out)) {
    s = io::WriteDicomSeries(*image, out);
  } else {
    auto pixel_type = ParseType(type, *image);
    if (!pixel_type.ok()) return ReportError("convert", pixel_type.status());
    s = io::WriteImage(*image, out, {*pixel_type, true});
  }
  if (!s.ok()) return ReportError("convert", s);
  AMDRN_LOG(Info) << "wrote " << image->geometry().ToString();
  return kExitOk;
}

}  // namespace

AMDRN_REGISTER_COMMAND("convert", "convert a volume between DICOM, NIfTI, NRRD, MHA, .seg.nrrd",
                       RunConvert);

}  // namespace amdrn::cli
