#include "io/dicom.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gdcmAttribute.h>
#include <gdcmImageWriter.h>
#include <gdcmScanner.h>
#include <gdcmTrace.h>
#include <gdcmUIDGenerator.h>
#include <itkGDCMImageIO.h>
#include <itkImageFileReader.h>
#include <itkImageSeriesReader.h>
#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "core/logging.h"
#include "io/itk_bridge.h"

namespace amdrn::io {
namespace fs = std::filesystem;

namespace {

constexpr const char* kSecondaryCapturePrefix = "1.2.840.10008.5.1.4.1.1.7";
constexpr const char* kCtImageStorage = "1.2.840.10008.5.1.4.1.1.2";
constexpr const char* kSecondaryCaptureStorage = "1.2.840.10008.5.1.4.1.1.7";

const gdcm::Tag kSopClass(0x0008, 0x0016), kSeriesUid(0x0020, 0x000e), kIpp(0x0020, 0x0032),
    kIop(0x0020, 0x0037), kFrames(0x0028, 0x0008), kPixelSpacing(0x0028, 0x0030),
    kImagerSpacing(0x0018, 0x1164), kModality(0x0008, 0x0060), kManufacturer(0x0008, 0x0070),
    kModel(0x0008, 0x1090), kPhotometric(0x0028, 0x0004), kIntercept(0x0028, 0x1052),
    kSlope(0x0028, 0x1053), kThickness(0x0018, 0x0050), kSpacingBetween(0x0018, 0x0088);

std::string Trim(const char* text) {
  if (!text) return "";
  std::string s(text);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  size_t start = s.find_first_not_of(' ');
  return start == std::string::npos ? "" : s.substr(start);
}

std::vector<double> ParseNumbers(const std::string& text) {
  std::vector<double> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, '\\')) {
    char* end = nullptr;
    double v = std::strtod(item.c_str(), &end);
    if (end == item.c_str()) return {};
    out.push_back(v);
  }
  return out;
}

bool HasDicmPreamble(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char buf[132];
  if (!in.read(buf, sizeof(buf))) return false;
  return std::memcmp(buf + 128, "DICM", 4) == 0;
}

bool IsDicomFile(const std::string& path) {
  return HasDicmPreamble(path) || FileExtension(path) == ".dcm";
}

std::vector<std::string> ListDicomFiles(const std::string& folder) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (entry.is_regular_file() && IsDicomFile(entry.path().string())) {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string SopClassName(const std::string& uid) {
  if (uid == kCtImageStorage) return "CT Image Storage";
  if (uid == "1.2.840.10008.5.1.4.1.1.2.1") return "Enhanced CT Image Storage";
  if (uid == "1.2.840.10008.5.1.4.1.1.2.2") return "Legacy Converted Enhanced CT Image Storage";
  if (uid.rfind(kSecondaryCapturePrefix, 0) == 0) return "Secondary Capture Image Storage";
  if (uid == "1.2.840.10008.5.1.4.1.1.4") return "MR Image Storage";
  return uid.empty() ? "unknown" : "other (" + uid + ")";
}

Vec3 Cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double Dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

Status Refuse(DicomQcRecord* qc, const std::string& message) {
  qc->accepted = false;
  qc->refusal = message;
  return InvalidArgumentError(message);
}

// Fills the descriptive QC fields from the first file of the chosen series.
void DescribeSeries(const gdcm::Scanner& scanner, const std::string& file, DicomQcRecord* qc) {
  qc->sop_class_uid = Trim(scanner.GetValue(file.c_str(), kSopClass));
  qc->sop_class_name = SopClassName(qc->sop_class_uid);
  qc->modality = Trim(scanner.GetValue(file.c_str(), kModality));
  qc->manufacturer = Trim(scanner.GetValue(file.c_str(), kManufacturer));
  qc->model_name = Trim(scanner.GetValue(file.c_str(), kModel));
  qc->photometric = Trim(scanner.GetValue(file.c_str(), kPhotometric));
  auto slope = ParseNumbers(Trim(scanner.GetValue(file.c_str(), kSlope)));
  auto intercept = ParseNumbers(Trim(scanner.GetValue(file.c_str(), kIntercept)));
  if (!slope.empty()) qc->rescale_slope = slope[0];
  if (!intercept.empty()) qc->rescale_intercept = intercept[0];
  if (!ParseNumbers(Trim(scanner.GetValue(file.c_str(), kPixelSpacing))).empty()) {
    qc->pixel_spacing_source = "PixelSpacing";
  } else if (!ParseNumbers(Trim(scanner.GetValue(file.c_str(), kImagerSpacing))).empty()) {
    qc->pixel_spacing_source = "ImagerPixelSpacing";
    qc->warnings.push_back("no Pixel Spacing; Imager Pixel Spacing (detector plane) used");
  } else {
    qc->pixel_spacing_source = "none";
    qc->warnings.push_back("no pixel spacing tag; in-plane spacing defaults to 1 mm");
  }
}

// Checks orientation, positions, gaps and tilt of a single-frame series and sorts it.
Status CheckSliceGeometry(const gdcm::Scanner& scanner, const std::vector<std::string>& files,
                          const DicomPreflightOptions& options, DicomQcRecord* qc,
                          std::vector<std::string>* sorted_files) {
  std::vector<double> iop0 = ParseNumbers(Trim(scanner.GetValue(files[0].c_str(), kIop)));
  if (iop0.size() != 6) {
    return Refuse(qc, "expected Image Orientation (Patient) with 6 values in every slice, found '" +
                          Trim(scanner.GetValue(files[0].c_str(), kIop)) + "'");
  }
  Vec3 normal = Cross({iop0[0], iop0[1], iop0[2]}, {iop0[3], iop0[4], iop0[5]});
  std::vector<std::pair<double, std::string>> positions;
  Vec3 first_ipp{}, last_ipp{};
  std::vector<Vec3> ipps;
  for (const auto& file : files) {
    auto iop = ParseNumbers(Trim(scanner.GetValue(file.c_str(), kIop)));
    auto ipp = ParseNumbers(Trim(scanner.GetValue(file.c_str(), kIpp)));
    if (ipp.size() != 3) {
      return Refuse(qc, "expected Image Position (Patient) in every slice, found none in " +
                            fs::path(file).filename().string());
    }
    for (int e = 0; e < 6 && iop.size() == 6; ++e) {
      if (std::abs(iop[e] - iop0[e]) > 1e-4) {
        return Refuse(qc, "expected one Image Orientation (Patient) for the whole series, found "
                          "slices with different orientations");
      }
    }
    Vec3 p = {ipp[0], ipp[1], ipp[2]};
    ipps.push_back(p);
    positions.emplace_back(Dot(p, normal), file);
  }
  std::vector<size_t> order(files.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return positions[a].first < positions[b].first; });
  std::vector<double> gaps;
  for (size_t i = 1; i < order.size(); ++i) {
    gaps.push_back(positions[order[i]].first - positions[order[i - 1]].first);
  }
  for (double gap : gaps) {
    if (gap < 1e-3) {
      return Refuse(qc, "expected one slice per position, found two slices at the same position "
                        "(duplicate or mixed acquisitions)");
    }
  }
  std::vector<double> sorted_gaps = gaps;
  std::nth_element(sorted_gaps.begin(), sorted_gaps.begin() + sorted_gaps.size() / 2,
                   sorted_gaps.end());
  double median = sorted_gaps[sorted_gaps.size() / 2];
  qc->median_gap_mm = median;
  for (double gap : gaps) {
    qc->max_gap_deviation_mm = std::max(qc->max_gap_deviation_mm, std::abs(gap - median));
  }
  for (double gap : gaps) {
    double ratio = gap / median;
    if (ratio > 1.5) {
      char buf[200];
      std::snprintf(buf, sizeof(buf),
                    "expected evenly spaced slices %.4g mm apart, found a gap of %.4g mm "
                    "(about %d missing slice%s)",
                    median, gap, static_cast<int>(std::lround(ratio)) - 1,
                    std::lround(ratio) - 1 == 1 ? "" : "s");
      return Refuse(qc, buf);
    }
    if (std::abs(ratio - 1.0) > options.max_gap_deviation) {
      char buf[200];
      std::snprintf(buf, sizeof(buf),
                    "expected evenly spaced slices %.4g mm apart (within %.0f %%), found a gap of "
                    "%.4g mm (non-uniform spacing)",
                    median, options.max_gap_deviation * 100, gap);
      return Refuse(qc, buf);
    }
  }
  first_ipp = ipps[order.front()];
  last_ipp = ipps[order.back()];
  Vec3 progression = {last_ipp[0] - first_ipp[0], last_ipp[1] - first_ipp[1],
                      last_ipp[2] - first_ipp[2]};
  double length = std::sqrt(Dot(progression, progression));
  double cosine = std::min(1.0, std::abs(Dot(progression, normal)) / length);
  qc->tilt_degrees = std::acos(cosine) * 180.0 / M_PI;
  if (qc->tilt_degrees > options.max_tilt_degrees) {
    char buf[200];
    std::snprintf(buf, sizeof(buf),
                  "expected slices stacked along their normal (tilt at most %.2g degrees), found a "
                  "gantry tilt of %.2f degrees",
                  options.max_tilt_degrees, qc->tilt_degrees);
    return Refuse(qc, buf);
  }
  sorted_files->clear();
  for (size_t i : order) sorted_files->push_back(positions[i].second);
  return OkStatus();
}

// Groups files by Series Instance UID, largest series first.
std::vector<std::vector<std::string>> GroupBySeries(const gdcm::Scanner& scanner,
                                                    const std::vector<std::string>& files) {
  std::map<std::string, std::vector<std::string>> by_uid;
  for (const auto& file : files) by_uid[Trim(scanner.GetValue(file.c_str(), kSeriesUid))].push_back(file);
  std::vector<std::vector<std::string>> groups;
  for (auto& [uid, group] : by_uid) groups.push_back(std::move(group));
  std::stable_sort(groups.begin(), groups.end(),
                   [](const auto& a, const auto& b) { return a.size() > b.size(); });
  return groups;
}

}  // namespace

std::string DicomQcRecord::ToJson() const {
  nlohmann::json j = {
      {"source_kind", source_kind},       {"num_files", num_files},
      {"num_series", num_series},         {"num_slices", num_slices},
      {"sop_class_uid", sop_class_uid},   {"sop_class_name", sop_class_name},
      {"modality", modality},             {"manufacturer", manufacturer},
      {"model_name", model_name},         {"photometric_interpretation", photometric},
      {"rescale_slope", rescale_slope},   {"rescale_intercept", rescale_intercept},
      {"pixel_spacing_source", pixel_spacing_source},
      {"tilt_degrees", tilt_degrees},     {"median_gap_mm", median_gap_mm},
      {"max_gap_deviation_mm", max_gap_deviation_mm},
      {"warnings", warnings},             {"accepted", accepted},
      {"refusal", refusal}};
  return j.dump(2) + "\n";
}

static void QuietGdcm() {
  // GDCM prints its warnings on stderr; amdrn reports problems through the QC record.
  static bool once = [] {
    gdcm::Trace::WarningOff();
    gdcm::Trace::DebugOff();
    return true;
  }();
  (void)once;
}

bool LooksLikeDicom(const std::string& path) {
  if (IsDirectory(path)) return !ListDicomFiles(path).empty();
  return PathExists(path) && IsDicomFile(path);
}

Status PreflightDicom(const std::string& path, const DicomPreflightOptions& options,
                      DicomQcRecord* qc, std::vector<std::string>* sorted_files) {
  QuietGdcm();
  *qc = DicomQcRecord();
  if (!PathExists(path)) return NotFoundError("expected a DICOM folder or file at " + path + ", found nothing");
  std::vector<std::string> files =
      IsDirectory(path) ? ListDicomFiles(path) : std::vector<std::string>{path};
  qc->num_files = static_cast<int>(files.size());
  if (files.empty()) return Refuse(qc, "expected DICOM files in " + path + ", found none");

  gdcm::Scanner scanner;
  for (const gdcm::Tag& tag : {kSopClass, kSeriesUid, kIpp, kIop, kFrames, kPixelSpacing,
                               kImagerSpacing, kModality, kManufacturer, kModel, kPhotometric,
                               kIntercept, kSlope, kThickness, kSpacingBetween}) {
    scanner.AddTag(tag);
  }
  if (!scanner.Scan(files)) return DataLossError("cannot scan the DICOM files in " + path);
  for (const auto& file : files) {
    if (!scanner.IsKey(file.c_str())) {
      return DataLossError("expected a readable DICOM file, found " + fs::path(file).filename().string() +
                           " unreadable");
    }
  }
  auto groups = GroupBySeries(scanner, files);
  qc->num_series = static_cast<int>(groups.size());
  std::vector<std::string> series;
  if (groups.size() > 1) {
    if (options.series_index < 1 || options.series_index > static_cast<int>(groups.size())) {
      std::string sizes;
      for (size_t g = 0; g < groups.size(); ++g) sizes += (g ? ", " : "") + std::to_string(groups[g].size());
      return Refuse(qc, "expected one DICOM series in " + path + ", found " +
                            std::to_string(groups.size()) + " mixed (files per series: " + sizes +
                            "); choose one with --series N or separate them");
    }
    series = groups[options.series_index - 1];
    qc->warnings.push_back("folder holds " + std::to_string(groups.size()) +
                           " series; series " + std::to_string(options.series_index) + " read");
  } else {
    series = groups[0];
  }
  DescribeSeries(scanner, series[0], qc);
  if (qc->modality != "CT") {
    qc->warnings.push_back("modality " + (qc->modality.empty() ? std::string("missing") : qc->modality) +
                           " is not CT; intensities may not be CBCT grey values");
  }
  if (qc->sop_class_uid.rfind(kSecondaryCapturePrefix, 0) == 0 && !options.allow_secondary_capture) {
    return Refuse(qc, "expected CT or CBCT images, found Secondary Capture images (screen captures "
                      "whose geometry tags are not reliable)");
  }
  auto frames = ParseNumbers(Trim(scanner.GetValue(series[0].c_str(), kFrames)));
  if (series.size() == 1 && !frames.empty() && frames[0] > 1) {
    qc->source_kind = "multiframe";
    qc->num_slices = static_cast<int>(frames[0]);
    *sorted_files = series;
    qc->accepted = true;
    return OkStatus();
  }
  qc->source_kind = "series";
  if (series.size() < 2) {
    return Refuse(qc, "expected a 3D series of at least 2 slices or a multi-frame file, found one "
                      "single-frame image");
  }
  AMDRN_RETURN_IF_ERROR(CheckSliceGeometry(scanner, series, options, qc, sorted_files));
  qc->num_slices = static_cast<int>(sorted_files->size());
  qc->accepted = true;
  return OkStatus();
}

StatusOr<ImageF> ReadDicom(const std::string& path, const DicomPreflightOptions& options,
                           DicomQcRecord* qc) {
  std::vector<std::string> files;
  AMDRN_RETURN_IF_ERROR(PreflightDicom(path, options, qc, &files));
  auto gdcm_io = itk::GDCMImageIO::New();
  ItkImage<float>::Pointer image;
  try {
    if (qc->source_kind == "series") {
      auto reader = itk::ImageSeriesReader<ItkImage<float>>::New();
      reader->SetImageIO(gdcm_io);
      reader->SetFileNames(files);
      reader->Update();
      image = reader->GetOutput();
    } else {
      auto reader = itk::ImageFileReader<ItkImage<float>>::New();
      reader->SetImageIO(gdcm_io);
      reader->SetFileName(files[0]);
      reader->Update();
      image = reader->GetOutput();
    }
  } catch (const itk::ExceptionObject& e) {
    return DataLossError("cannot decode the DICOM pixel data in " + path + ": " + e.GetDescription());
  }
  ImageF volume = FromItk<float>(image.GetPointer());
  if (qc->source_kind == "multiframe" && std::abs(volume.geometry().spacing_mm[2] - 1.0) < 1e-9) {
    // Classic multi-frame CT exports often lack per-frame positions; GDCM then reports 1 mm.
    gdcm::Scanner scanner;
    scanner.AddTag(kSpacingBetween);
    scanner.AddTag(kThickness);
    scanner.Scan({files[0]});
    auto between = ParseNumbers(Trim(scanner.GetValue(files[0].c_str(), kSpacingBetween)));
    auto thickness = ParseNumbers(Trim(scanner.GetValue(files[0].c_str(), kThickness)));
    double z = !between.empty() ? between[0] : (!thickness.empty() ? thickness[0] : 0.0);
    if (z > 0 && std::abs(z - 1.0) > 1e-6) {
      volume.mutable_geometry().spacing_mm[2] = z;
      qc->warnings.push_back("multi-frame file without per-frame spacing; slice spacing taken from " +
                             std::string(!between.empty() ? "Spacing Between Slices" : "Slice Thickness"));
    }
  }
  AMDRN_LOG(Debug) << "DICOM " << qc->source_kind << ": " << volume.geometry().ToString();
  return volume;
}

namespace {

// Fills a gdcm writer for frames [k0, k0 + frames) of `image`.
void FillDicomWriter(const ImageF& image, int64_t k0, int64_t frames, const DicomWriteOptions& options,
                     const std::string& study_uid, const std::string& series_uid,
                     const std::string& frame_uid, gdcm::UIDGenerator& uid, gdcm::ImageWriter* writer) {
  const Geometry& g = image.geometry();
  const int64_t nx = g.size[0], ny = g.size[1];
  std::vector<int16_t> voxels(static_cast<size_t>(nx * ny * frames));
  for (int64_t n = 0; n < nx * ny * frames; ++n) {
    double stored = (image.data()[k0 * nx * ny + n] - options.rescale_intercept) / options.rescale_slope;
    voxels[n] = static_cast<int16_t>(std::clamp(std::round(stored), -32768.0, 32767.0));
  }
  gdcm::Image& im = writer->GetImage();
  im.SetNumberOfDimensions(frames > 1 ? 3 : 2);
  im.SetDimension(0, static_cast<unsigned int>(nx));
  im.SetDimension(1, static_cast<unsigned int>(ny));
  if (frames > 1) im.SetDimension(2, static_cast<unsigned int>(frames));
  Vec3 ipp = g.IndexToPoint({0, 0, static_cast<double>(k0)});
  double cosines[6] = {g.direction[0], g.direction[3], g.direction[6],
                       g.direction[1], g.direction[4], g.direction[7]};
  for (unsigned c = 0; c < 3; ++c) im.SetOrigin(c, ipp[c]);  // SetOrigin(double*) stops at 2D
  im.SetDirectionCosines(cosines);
  for (unsigned c = 0; c < 3; ++c) im.SetSpacing(c, g.spacing_mm[c]);
  im.SetPixelFormat(gdcm::PixelFormat::INT16);
  im.SetPhotometricInterpretation(gdcm::PhotometricInterpretation::MONOCHROME2);
  im.SetIntercept(options.rescale_intercept);
  im.SetSlope(options.rescale_slope);
  im.SetTransferSyntax(gdcm::TransferSyntax::ExplicitVRLittleEndian);
  gdcm::DataElement pixels(gdcm::Tag(0x7fe0, 0x0010));
  pixels.SetByteValue(reinterpret_cast<const char*>(voxels.data()),
                      static_cast<uint32_t>(voxels.size() * sizeof(int16_t)));
  im.SetDataElement(pixels);

  gdcm::DataSet& ds = writer->GetFile().GetDataSet();
  auto put = [&ds](uint16_t group, uint16_t element, const std::string& value, gdcm::VR vr) {
    gdcm::DataElement de(gdcm::Tag(group, element));
    de.SetVR(vr);
    std::string v = value;
    if (v.size() % 2) v += (vr == gdcm::VR::UI) ? '\0' : ' ';
    de.SetByteValue(v.data(), static_cast<uint32_t>(v.size()));
    ds.Replace(de);
  };
  char number[32];
  put(0x0008, 0x0016, options.secondary_capture ? kSecondaryCaptureStorage : kCtImageStorage, gdcm::VR::UI);
  put(0x0008, 0x0018, uid.Generate(), gdcm::VR::UI);
  put(0x0008, 0x0060, "CT", gdcm::VR::CS);
  put(0x0008, 0x0070, options.manufacturer, gdcm::VR::LO);
  put(0x0008, 0x103e, options.series_description, gdcm::VR::LO);
  put(0x0010, 0x0010, "ANONYMOUS", gdcm::VR::PN);
  put(0x0010, 0x0020, "ANON", gdcm::VR::LO);
  put(0x0020, 0x000d, study_uid, gdcm::VR::UI);
  put(0x0020, 0x000e, series_uid, gdcm::VR::UI);
  put(0x0020, 0x0052, frame_uid, gdcm::VR::UI);
  put(0x0020, 0x0011, "1", gdcm::VR::IS);
  put(0x0020, 0x0013, std::to_string(k0 + 1 + options.first_file_number), gdcm::VR::IS);
  put(0x0008, 0x0020, "20260101", gdcm::VR::DA);
  put(0x0008, 0x0030, "120000", gdcm::VR::TM);
  std::snprintf(number, sizeof(number), "%.6g", g.spacing_mm[2]);
  put(0x0018, 0x0050, number, gdcm::VR::DS);
  if (frames > 1) put(0x0018, 0x0088, number, gdcm::VR::DS);
}

}  // namespace

Status WriteDicomSeries(const ImageF& image, const std::string& folder,
                        const DicomWriteOptions& options) {
  QuietGdcm();
  AMDRN_RETURN_IF_ERROR(MakeDirectories(folder));
  gdcm::UIDGenerator uid;
  std::string study_uid = uid.Generate();
  std::string series_uid = options.series_uid.empty() ? uid.Generate() : options.series_uid;
  std::string frame_uid = uid.Generate();
  const int64_t nz = image.size()[2];
  const int64_t per_file = options.multiframe ? nz : 1;
  for (int64_t k = 0; k < nz; k += per_file) {
    gdcm::ImageWriter writer;
    FillDicomWriter(image, k, per_file, options, study_uid, series_uid, frame_uid, uid, &writer);
    char name[32];
    if (options.multiframe) {
      std::snprintf(name, sizeof(name), "volume.dcm");
    } else {
      std::snprintf(name, sizeof(name), "slice_%04lld.dcm",
                    static_cast<long long>(k + options.first_file_number));
    }
    std::string path = (fs::path(folder) / name).string();
    AMDRN_RETURN_IF_ERROR(WriteAtomicWith(path, [&](const std::string& temp) {
      writer.SetFileName(temp.c_str());
      if (!writer.Write()) return InvalidArgumentError("cannot write DICOM file " + path);
      return OkStatus();
    }));
  }
  return OkStatus();
}

}  // namespace amdrn::io
