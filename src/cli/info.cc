// `amdrn info PATH [--json]`: geometry, stored type, intensity range and, for DICOM,
// modality and manufacturer. Never prints patient identifiers.

#include <cmath>
#include <cstdio>
#include <limits>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/dicom_flags.h"
#include "core/csv.h"
#include "core/file_util.h"
#include "io/volume_io.h"

namespace amdrn::cli {
namespace {

struct Stats {
  double min = 0, max = 0, mean = 0, sd = 0;
};

Stats Intensity(const ImageF& image) {
  Stats s;
  if (image.empty()) return s;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, sum = 0, sum2 = 0;
  for (float v : image.voxels()) {
    lo = std::min<double>(lo, v);
    hi = std::max<double>(hi, v);
    sum += v;
    sum2 += static_cast<double>(v) * v;
  }
  double n = static_cast<double>(image.NumVoxels());
  s.min = lo;
  s.max = hi;
  s.mean = sum / n;
  s.sd = std::sqrt(std::max(0.0, sum2 / n - s.mean * s.mean));
  return s;
}

nlohmann::json ToJson(const io::VolumeInfo& info, const Stats& stats) {
  const Geometry& g = info.geometry;
  nlohmann::json j = {
      {"format", info.format},
      {"size", g.size},
      {"spacing_mm", g.spacing_mm},
      {"origin_lps", g.origin_lps},
      {"direction", g.direction},
      {"field_of_view_mm",
       {g.size[0] * g.spacing_mm[0], g.size[1] * g.spacing_mm[1], g.size[2] * g.spacing_mm[2]}},
      {"stored_type", info.component_type},
      {"components", info.num_components},
      {"intensity", {{"min", stats.min}, {"max", stats.max}, {"mean", stats.mean}, {"sd", stats.sd}}}};
  if (!info.modality.empty()) j["modality"] = info.modality;
  if (!info.manufacturer.empty()) j["manufacturer"] = info.manufacturer;
  return j;
}

void PrintText(const io::VolumeInfo& info, const Stats& stats) {
  const Geometry& g = info.geometry;
  std::printf("format:        %s\n", info.format.c_str());
  std::printf("size:          %lld x %lld x %lld voxels\n", static_cast<long long>(g.size[0]),
              static_cast<long long>(g.size[1]), static_cast<long long>(g.size[2]));
  std::printf("spacing:       %g x %g x %g mm\n", g.spacing_mm[0], g.spacing_mm[1], g.spacing_mm[2]);
  std::printf("field of view: %.4g x %.4g x %.4g mm\n", g.size[0] * g.spacing_mm[0],
              g.size[1] * g.spacing_mm[1], g.size[2] * g.spacing_mm[2]);
  std::printf("origin (LPS):  %g, %g, %g mm\n", g.origin_lps[0], g.origin_lps[1], g.origin_lps[2]);
  std::printf("direction:     [%g %g %g; %g %g %g; %g %g %g]%s\n", g.direction[0], g.direction[1],
              g.direction[2], g.direction[3], g.direction[4], g.direction[5], g.direction[6],
              g.direction[7], g.direction[8], g.IsIdentityDirection() ? " (identity)" : "");
  std::printf("stored type:   %s%s\n", info.component_type.c_str(),
              info.num_components > 1 ? (" x " + std::to_string(info.num_components)).c_str() : "");
  std::printf("intensity:     min %g, max %g, mean %.6g, sd %.6g\n", stats.min, stats.max,
              stats.mean, stats.sd);
  if (!info.modality.empty()) std::printf("modality:      %s\n", info.modality.c_str());
  if (!info.manufacturer.empty()) std::printf("manufacturer:  %s\n", info.manufacturer.c_str());
}

int RunInfo(int argc, char** argv) {
  CLI::App app("Describe a CBCT volume: geometry, stored type, intensity range; for DICOM also "
               "modality and manufacturer (never patient identifiers).",
               "amdrn info");
  std::string path;
  bool json = false;
  DicomFlags dicom;
  app.add_option("path", path, "volume file (NIfTI, NRRD, MHA) or DICOM folder/file")->required();
  app.add_flag("--json", json, "print JSON instead of text");
  dicom.AddTo(app);
  if (int rc = ParseArgs(app, argc, argv); rc >= 0) return rc;

  io::DicomQcRecord qc;
  io::ReadOptions options{dicom.options, &qc};
  auto image = io::ReadImage(path, options);
  if (!dicom.qc_path.empty() && qc.num_files > 0) {
    Status s = WriteFileAtomic(dicom.qc_path, qc.ToJson());
    if (!s.ok()) return ReportError("info", s);
  }
  if (!image.ok()) return ReportError("info", image.status());
  io::VolumeInfo info;
  if (io::LooksLikeDicom(path)) {
    info.geometry = image->geometry();
    info.format = "DICOM (" + qc.source_kind + ", " + qc.sop_class_name + ")";
    info.component_type = "int16 stored, rescale " + FormatDouble(qc.rescale_slope) + "/" +
                          FormatDouble(qc.rescale_intercept);
    info.modality = qc.modality;
    info.manufacturer = qc.manufacturer;
  } else {
    auto header = io::ReadVolumeInfo(path);
    if (!header.ok()) return ReportError("info", header.status());
    info = *header;
  }
  Stats stats = Intensity(*image);
  if (json) {
    std::printf("%s\n", ToJson(info, stats).dump(2).c_str());
  } else {
    PrintText(info, stats);
  }
  return kExitOk;
}

}  // namespace

AMDRN_REGISTER_COMMAND("info", "describe a CBCT volume (geometry, type, intensities)", RunInfo);

}  // namespace amdrn::cli
