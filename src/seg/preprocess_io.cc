// The .amdrnpp file format and the dataset-level preprocessing driver.
//
// Layout (little-endian): 8 bytes magic "AMDRNPP1"; uint64 header size H; H bytes of JSON
// header; zero padding to a multiple of 64 bytes; then at the offsets the header gives:
// float32 data (C, d0, d1, d2), int8 seg (d0, d1, d2) when "has_seg", and for each entry of
// "class_locations" ([label, count] pairs) count int32 (d0, d1, d2) triples. Every block
// starts at a multiple of 64 bytes, so a memory-mapped file can be read in place.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "core/file_util.h"
#include "core/logging.h"
#include "core/progress.h"
#include "seg/dataset.h"
#include "seg/preprocess.h"

namespace amdrn::seg {
namespace fs = std::filesystem;
namespace {

constexpr char kMagic[9] = "AMDRNPP1";
constexpr uint64_t kAlign = 64;

uint64_t AlignUp(uint64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

Json GeometryToJson(const Geometry& g) {
  return {{"size", g.size}, {"spacing_mm", g.spacing_mm}, {"origin_lps", g.origin_lps}, {"direction", g.direction}};
}

Geometry GeometryFromJson(const Json& j) {
  Geometry g;
  g.size = j.at("size").get<Index3>();
  g.spacing_mm = j.at("spacing_mm").get<Vec3>();
  g.origin_lps = j.at("origin_lps").get<Vec3>();
  g.direction = j.at("direction").get<std::array<double, 9>>();
  return g;
}

}  // namespace

Json CasePropertiesToJson(const CaseProperties& p) {
  Json j;
  j["original_geometry"] = GeometryToJson(p.original_geometry);
  j["transpose_forward"] = p.transpose_forward;
  j["spacing"] = p.spacing;
  j["shape_before_cropping"] = p.shape_before_cropping;
  j["bbox_used_for_cropping"] = p.bbox_used_for_cropping;
  j["shape_after_cropping_and_before_resampling"] = p.shape_after_cropping_and_before_resampling;
  j["target_spacing"] = p.target_spacing;
  j["shape_after_resampling"] = p.shape_after_resampling;
  return j;
}

StatusOr<CaseProperties> CasePropertiesFromJson(const Json& j) {
  CaseProperties p;
  try {
    p.original_geometry = GeometryFromJson(j.at("original_geometry"));
    p.transpose_forward = j.at("transpose_forward").get<std::array<int, 3>>();
    p.spacing = j.at("spacing").get<std::array<double, 3>>();
    p.shape_before_cropping = j.at("shape_before_cropping").get<Shape3>();
    p.bbox_used_for_cropping = j.at("bbox_used_for_cropping").get<BBox3>();
    p.shape_after_cropping_and_before_resampling = j.at("shape_after_cropping_and_before_resampling").get<Shape3>();
    p.target_spacing = j.at("target_spacing").get<std::array<double, 3>>();
    p.shape_after_resampling = j.at("shape_after_resampling").get<Shape3>();
  } catch (const std::exception& e) {
    return DataLossError(std::string("case properties are incomplete: ") + e.what());
  }
  return p;
}

Status WritePreprocessedCase(const PreprocessedCase& c, const std::string& path) {
  const uint64_t n = static_cast<uint64_t>(NumVoxels(c.shape));
  if (c.data.size() != n * c.num_channels || (!c.seg.empty() && c.seg.size() != n)) {
    return InternalError("preprocessed case " + c.case_id + " has buffers that do not match its shape");
  }
  Json h;
  h["version"] = 1;
  h["case_id"] = c.case_id;
  h["num_channels"] = c.num_channels;
  h["shape"] = c.shape;
  h["has_seg"] = !c.seg.empty();
  Json locs = Json::array();
  for (const auto& [label, v] : c.class_locations) locs.push_back({label, v.size()});
  h["class_locations"] = locs;
  h["properties"] = CasePropertiesToJson(c.properties);
  // Offsets depend on the header size, which depends on the offsets' digits: iterate once.
  uint64_t data_offset = 0;
  std::string text;
  for (int pass = 0; pass < 3; ++pass) {
    h["data_offset"] = data_offset;
    h["seg_offset"] = data_offset + n * 4 * c.num_channels;
    h["locations_offset"] = AlignUp(data_offset + n * 4 * c.num_channels + (c.seg.empty() ? 0 : n));
    text = h.dump();
    data_offset = AlignUp(16 + text.size());
  }
  return WriteAtomicWith(path, [&](const std::string& temp) {
    std::ofstream f(temp, std::ios::binary);
    const uint64_t header_size = text.size();
    f.write(kMagic, 8);
    f.write(reinterpret_cast<const char*>(&header_size), 8);
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
    std::string pad(data_offset - 16 - text.size(), '\0');
    f.write(pad.data(), static_cast<std::streamsize>(pad.size()));
    f.write(reinterpret_cast<const char*>(c.data.data()), static_cast<std::streamsize>(c.data.size() * 4));
    f.write(reinterpret_cast<const char*>(c.seg.data()), static_cast<std::streamsize>(c.seg.size()));
    const uint64_t written = data_offset + n * 4 * c.num_channels + c.seg.size();
    std::string pad2(AlignUp(written) - written, '\0');
    f.write(pad2.data(), static_cast<std::streamsize>(pad2.size()));
    for (const auto& [label, v] : c.class_locations) {
      f.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * 12));
    }
    f.close();
    if (!f) return ResourceExhaustedError("cannot write " + path + " (disk full?)");
    return OkStatus();
  });
}

StatusOr<Json> ParsePreprocessedHeader(const char* bytes, size_t size, const std::string& path) {
  if (size < 16 || std::memcmp(bytes, kMagic, 8) != 0) {
    return DataLossError("expected an amdrn preprocessed case (magic AMDRNPP1) in " + path + ", found other data");
  }
  uint64_t header_size;
  std::memcpy(&header_size, bytes + 8, 8);
  if (16 + header_size > size) return DataLossError(path + " is truncated inside its header");
  try {
    Json h = Json::parse(std::string(bytes + 16, header_size));
    if (h.value("version", 0) != 1) return DataLossError(path + " has an unsupported format version");
    return h;
  } catch (const std::exception& e) {
    return DataLossError("cannot parse the header of " + path + ": " + e.what());
  }
}

namespace {

StatusOr<PreprocessedCase> CaseFromHeader(const Json& h, const std::string& path) {
  PreprocessedCase c;
  try {
    c.case_id = h.at("case_id").get<std::string>();
    c.num_channels = h.at("num_channels").get<int>();
    c.shape = h.at("shape").get<Shape3>();
  } catch (const std::exception& e) {
    return DataLossError("incomplete header in " + path + ": " + e.what());
  }
  AMDRN_ASSIGN_OR_RETURN(c.properties, CasePropertiesFromJson(h.at("properties")));
  return c;
}

}  // namespace

StatusOr<PreprocessedCase> ReadPreprocessedHeader(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return NotFoundError("expected a preprocessed case at " + path + ", found nothing");
  char start[16];
  f.read(start, 16);
  if (!f) return DataLossError(path + " is shorter than a header");
  uint64_t header_size;
  std::memcpy(&header_size, start + 8, 8);
  if (header_size > (1u << 30)) return DataLossError(path + " has an implausible header size");
  std::string buf(16 + header_size, '\0');
  std::memcpy(buf.data(), start, 16);
  f.read(buf.data() + 16, static_cast<std::streamsize>(header_size));
  AMDRN_ASSIGN_OR_RETURN(Json h, ParsePreprocessedHeader(buf.data(), f ? buf.size() : 0, path));
  return CaseFromHeader(h, path);
}

StatusOr<PreprocessedCase> ReadPreprocessedCase(const std::string& path) {
  if (!PathExists(path)) return NotFoundError("expected a preprocessed case at " + path + ", found nothing");
  AMDRN_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  AMDRN_ASSIGN_OR_RETURN(Json h, ParsePreprocessedHeader(bytes.data(), bytes.size(), path));
  AMDRN_ASSIGN_OR_RETURN(PreprocessedCase c, CaseFromHeader(h, path));
  const uint64_t n = static_cast<uint64_t>(NumVoxels(c.shape));
  const uint64_t data_offset = h.at("data_offset"), seg_offset = h.at("seg_offset");
  uint64_t loc_offset = h.at("locations_offset");
  uint64_t end = loc_offset;
  for (const Json& e : h.at("class_locations")) end += e.at(1).get<uint64_t>() * 12;
  if (end > bytes.size() || seg_offset < data_offset + n * 4 * c.num_channels) {
    return DataLossError(path + " is truncated: expected " + std::to_string(end) + " bytes, found " +
                         std::to_string(bytes.size()));
  }
  c.data.resize(n * c.num_channels);
  std::memcpy(c.data.data(), bytes.data() + data_offset, n * 4 * c.num_channels);
  if (h.at("has_seg").get<bool>()) {
    c.seg.resize(n);
    std::memcpy(c.seg.data(), bytes.data() + seg_offset, n);
  }
  for (const Json& e : h.at("class_locations")) {
    auto& v = c.class_locations[e.at(0).get<int>()];
    v.resize(e.at(1).get<size_t>());
    std::memcpy(v.data(), bytes.data() + loc_offset, v.size() * 12);
    loc_offset += v.size() * 12;
  }
  return c;
}

Status PreprocessDataset(const std::string& raw_folder, const Plans& plans, const std::string& config_name,
                         const std::string& out_folder, int threads) {
  AMDRN_ASSIGN_OR_RETURN(RawDataset ds, ReadRawDataset(raw_folder));
  AMDRN_ASSIGN_OR_RETURN(Configuration config, plans.GetConfiguration(config_name));
  const fs::path case_dir = fs::path(out_folder) / config.data_identifier;
  const fs::path gt_dir = fs::path(out_folder) / "gt_segmentations";
  AMDRN_RETURN_IF_ERROR(MakeDirectories(case_dir.string()));
  AMDRN_RETURN_IF_ERROR(MakeDirectories(gt_dir.string()));
  std::atomic<size_t> next{0};
  std::mutex mutex;
  Status first_error;
  Progress progress("preprocess " + config_name, static_cast<int64_t>(ds.cases.size()));
  auto work = [&] {
    for (size_t i = next++; i < ds.cases.size(); i = next++) {
      const RawCase& rc = ds.cases[i];
      Status s = [&]() -> Status {
        AMDRN_ASSIGN_OR_RETURN(LoadedCase loaded, LoadCase(ds, rc, true));
        AMDRN_ASSIGN_OR_RETURN(PreprocessedCase pc, PreprocessCase(loaded.channels, &loaded.label, plans, config, rc.id));
        AMDRN_RETURN_IF_ERROR(WritePreprocessedCase(pc, (case_dir / (rc.id + kPreprocessedExtension)).string()));
        AMDRN_ASSIGN_OR_RETURN(std::string label_bytes, ReadFileToString(rc.label_path));
        return WriteFileAtomic((gt_dir / (rc.id + ds.file_ending)).string(), label_bytes);
      }();
      std::lock_guard<std::mutex> lock(mutex);
      if (!s.ok() && first_error.ok()) first_error = s.WithContext("case " + rc.id);
      progress.Increment();
      if (!first_error.ok()) return;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, threads); ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  progress.Finish();
  return first_error;
}

}  // namespace amdrn::seg
