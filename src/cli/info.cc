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
  auto d = [&g](int e) { return g.direction[e] + 0.0; };  // prints -0 as 0
  std::printf("direction:     [%g %g %g; %g %g %g; %g %g %g]%s\n", d(0), d(1), d(2), d(3), d(4),
              d(5), d(6), d(7), d(8), g.IsIdentityDirection() ? " (identity)" : "");
  std::printf("stored type:   %s%s\n", info.component_type.c_str(),
              info.num_components > 1 ? (" x " + std::to_string(info.num_components)).c_str() : "");
  std::printf("intensity:     min %g, max %g, mean %.6g, sd %.6g\n", stats.min, stats.max,
              stats.mean, stats.sd);
  if (!info.modality.empty()) std::printf("modality:      %s\n", info.modality.c_str());
  if (!info.manufacturer.empty()) std::printf("manufacturer:  %s\n", info.manufacturer.c_str());
}

// Checks that `labels_path` matches the image's grid and prints voxel counts and volumes
// per label.
int DescribeLabels(const ImageF& image, const std::string& labels_path, bool json) {
  auto labels = io::ReadLabelMap(labels_path);
  if (!labels.ok()) return ReportError("info", labels.status());
  Status same = CheckSameGeometry(image.geometry(), labels->geometry(), "image", "label map");
  if (!same.ok()) return ReportError("info", same);
  int64_t counts[256] = {0};
  for (uint8_t v : labels->voxels()) ++counts[v];
  nlohmann::json j = nlohmann::json::array();
  for (int label = 1; label < 256; ++label) {
    if (!counts[label]) continue;
    double ml = counts[label] * image.geometry().VoxelVolumeMm3() / 1000.0;
    j.push_back({{"label", label}, {"voxels", counts[label]}, {"volume_ml", ml}});
    if (!json) std::printf("label %3d:     %lld voxels, %.4g ml\n", label, static_cast<long long>(counts[label]), ml);
  }
  if (json) std::printf("%s\n", nlohmann::json({{"labels", j}}).dump(2).c_str());
  return kExitOk;
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
  std::string labels_path;
  app.add_option("--labels", labels_path,
                 "a label map to check against the image's geometry; prints volume per label");
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
  if (!labels_path.empty()) return DescribeLabels(*image, labels_path, json);
  return kExitOk;
}

}  // namespace

AMDRN_REGISTER_COMMAND("info", "describe a CBCT volume (geometry, type, intensities)", RunInfo);

}  // namespace amdrn::cli
