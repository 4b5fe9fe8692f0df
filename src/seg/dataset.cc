#include "seg/dataset.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include "core/file_util.h"
#include "io/volume_io.h"

namespace amdrn::seg {
namespace fs = std::filesystem;

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Expands $VAR and ${VAR} and makes relative paths relative to `root`.
std::string ResolvePath(const std::string& root, const std::string& path) {
  static const std::regex var(R"(\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?)");
  std::string out;
  auto begin = std::sregex_iterator(path.begin(), path.end(), var);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    out += path.substr(last, it->position() - last);
    const char* value = std::getenv((*it)[1].str().c_str());
    out += value ? value : "";
    last = it->position() + it->length();
  }
  out += path.substr(last);
  fs::path p(out);
  return p.is_absolute() ? out : (fs::path(root) / p).string();
}

Status ParseChannels(const nlohmann::json& json, RawDataset* ds) {
  const char* key = json.contains("channel_names") ? "channel_names" : "modality";
  if (!json.contains(key) || !json[key].is_object() || json[key].empty()) {
    return InvalidArgumentError("expected a non-empty \"channel_names\" object in dataset.json, found none");
  }
  std::map<int, std::string> by_index;
  for (auto& [k, v] : json[key].items()) {
    char* end = nullptr;
    long index = std::strtol(k.c_str(), &end, 10);
    if (*end != '\0' || index < 0 || !v.is_string()) {
      return InvalidArgumentError("expected channel_names entries like \"0\": \"CT\", found \"" + k + "\"");
    }
    by_index[static_cast<int>(index)] = v.get<std::string>();
  }
  int expected = 0;
  for (auto& [index, name] : by_index) {
    if (index != expected++) {
      return InvalidArgumentError("expected channel indices 0.." + std::to_string(by_index.size() - 1) +
                                  " in channel_names, found a gap at " + std::to_string(expected - 1));
    }
    ds->channel_names.push_back(name);
  }
  return OkStatus();
}

Status ParseLabels(const nlohmann::json& json, RawDataset* ds) {
  if (!json.contains("labels") || !json["labels"].is_object()) {
    return InvalidArgumentError("expected a \"labels\" object in dataset.json, found none");
  }
  for (auto& [name, value] : json["labels"].items()) {
    if (value.is_array()) {
      return InvalidArgumentError("label \"" + name + "\" is a region (a list of values); amdrn "
                                  "supports plain labels only");
    }
    if (!value.is_number_integer()) {
      return InvalidArgumentError("expected an integer value for label \"" + name + "\", found " + value.dump());
    }
    if (Lower(name) == "ignore") {
      return InvalidArgumentError("dataset.json has an \"ignore\" label; amdrn does not support "
                                  "partially annotated datasets");
    }
    ds->labels.emplace_back(name, value.get<int>());
  }
  std::sort(ds->labels.begin(), ds->labels.end(),
            [](const auto& a, const auto& b) { return a.second < b.second; });
  if (ds->labels.empty() || ds->labels[0].second != 0 || Lower(ds->labels[0].first) != "background") {
    return InvalidArgumentError("expected \"background\": 0 in dataset.json labels, found it missing or "
                                "with another value");
  }
  for (size_t i = 0; i < ds->labels.size(); ++i) {
    if (ds->labels[i].second != static_cast<int>(i)) {
      return InvalidArgumentError("expected consecutive label values 0.." + std::to_string(ds->labels.size() - 1) +
                                  ", found " + std::to_string(ds->labels[i].second) + " for \"" +
                                  ds->labels[i].first + "\"");
    }
  }
  if (ds->labels.size() > 256) {
    return InvalidArgumentError("expected at most 255 foreground labels, found " +
                                std::to_string(ds->labels.size() - 1));
  }
  return OkStatus();
}

}  // namespace

std::vector<int> RawDataset::ForegroundLabels() const {
  std::vector<int> out;
  for (const auto& [name, value] : labels) {
    if (value > 0) out.push_back(value);
  }
  return out;
}

std::vector<std::string> RawDataset::CaseIds() const {
  std::vector<std::string> ids;
  for (const RawCase& c : cases) ids.push_back(c.id);
  return ids;
}

StatusOr<std::vector<RawCase>> ListImageCases(const std::string& images_folder, int num_channels,
                                              const std::string& file_ending) {
  if (!IsDirectory(images_folder)) {
    return NotFoundError("expected an image folder at " + images_folder + ", found nothing");
  }
  std::map<std::string, std::set<int>> channels;
  const std::regex pattern("^(.+)_(\\d\\d\\d\\d)$");
  for (const auto& entry : fs::directory_iterator(images_folder)) {
    std::string name = entry.path().filename().string();
    if (name.size() <= file_ending.size() ||
        name.compare(name.size() - file_ending.size(), file_ending.size(), file_ending) != 0) {
      continue;
    }
    std::smatch m;
    std::string stem = name.substr(0, name.size() - file_ending.size());
    if (!std::regex_match(stem, m, pattern)) continue;
    channels[m[1].str()].insert(std::stoi(m[2].str()));
  }
  std::vector<RawCase> cases;
  for (const auto& [id, present] : channels) {
    RawCase c;
    c.id = id;
    for (int ch = 0; ch < num_channels; ++ch) {
      if (!present.count(ch)) {
        char buf[16];
        std::snprintf(buf, sizeof(buf), "_%04d", ch);
        return FailedPreconditionError("case " + id + " has no channel file " + id + buf + file_ending +
                                       " in " + images_folder + " (expected " +
                                       std::to_string(num_channels) + " channels)");
      }
      char buf[16];
      std::snprintf(buf, sizeof(buf), "_%04d", ch);
      c.image_paths.push_back((fs::path(images_folder) / (id + buf + file_ending)).string());
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

namespace {

StatusOr<std::vector<RawCase>> CasesFromJsonDict(const nlohmann::json& dict, const RawDataset& ds) {
  std::vector<RawCase> cases;
  for (auto& [id, entry] : dict.items()) {
    RawCase c;
    c.id = id;
    if (!entry.contains("images") || !entry["images"].is_array()) {
      return InvalidArgumentError("expected an \"images\" list for case " + id + " in dataset.json");
    }
    for (const auto& p : entry["images"]) c.image_paths.push_back(ResolvePath(ds.root, p.get<std::string>()));
    if (static_cast<int>(c.image_paths.size()) != ds.NumChannels()) {
      return FailedPreconditionError("case " + id + " lists " + std::to_string(c.image_paths.size()) +
                                     " images, expected " + std::to_string(ds.NumChannels()) + " channels");
    }
    if (entry.contains("label")) c.label_path = ResolvePath(ds.root, entry["label"].get<std::string>());
    cases.push_back(std::move(c));
  }
  std::sort(cases.begin(), cases.end(), [](const RawCase& a, const RawCase& b) { return a.id < b.id; });
  return cases;
}

}  // namespace

StatusOr<RawDataset> ReadRawDataset(const std::string& folder) {
  RawDataset ds;
  ds.root = folder;
  std::string json_path = (fs::path(folder) / "dataset.json").string();
  if (!PathExists(json_path)) return NotFoundError("expected " + json_path + ", found no such file");
  AMDRN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(json_path));
  try {
    ds.json = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    return InvalidArgumentError("cannot parse " + json_path + " as JSON: " + e.what());
  }
  if (!ds.json.contains("file_ending") || !ds.json["file_ending"].is_string()) {
    return InvalidArgumentError("expected a \"file_ending\" string (e.g. \".nii.gz\") in " + json_path);
  }
  ds.file_ending = ds.json["file_ending"].get<std::string>();
  ds.name = ds.json.value("name", fs::path(folder).filename().string());
  ds.num_training = ds.json.value("numTraining", 0);
  AMDRN_RETURN_IF_ERROR(ParseChannels(ds.json, &ds).WithContext(json_path));
  AMDRN_RETURN_IF_ERROR(ParseLabels(ds.json, &ds).WithContext(json_path));

  if (ds.json.contains("dataset") && ds.json["dataset"].is_object()) {
    AMDRN_ASSIGN_OR_RETURN(ds.cases, CasesFromJsonDict(ds.json["dataset"], ds));
  } else {
    std::string images = (fs::path(folder) / "imagesTr").string();
    AMDRN_ASSIGN_OR_RETURN(ds.cases, ListImageCases(images, ds.NumChannels(), ds.file_ending));
    for (RawCase& c : ds.cases) {
      c.label_path = (fs::path(folder) / "labelsTr" / (c.id + ds.file_ending)).string();
    }
  }
  if (ds.cases.empty()) {
    return FailedPreconditionError("expected training cases in " + folder + "/imagesTr named "
                                   "<case>_0000" + ds.file_ending + ", found none");
  }
  for (const RawCase& c : ds.cases) {
    if (c.label_path.empty() || !PathExists(c.label_path)) {
      return FailedPreconditionError("case " + c.id + " has no label file (expected " +
                                     (c.label_path.empty() ? std::string("a \"label\" entry") : c.label_path) + ")");
    }
  }
  if (ds.num_training == 0) ds.num_training = static_cast<int>(ds.cases.size());
  return ds;
}

StatusOr<LoadedCase> LoadCase(const RawDataset& dataset, const RawCase& raw_case, bool with_label) {
  LoadedCase out;
  for (size_t ch = 0; ch < raw_case.image_paths.size(); ++ch) {
    if (!PathExists(raw_case.image_paths[ch])) {
      return NotFoundError("case " + raw_case.id + ": expected channel " + std::to_string(ch) + " at " +
                           raw_case.image_paths[ch] + ", found nothing");
    }
    AMDRN_ASSIGN_OR_RETURN(ImageF image, io::ReadImage(raw_case.image_paths[ch]));
    if (!out.channels.empty()) {
      AMDRN_RETURN_IF_ERROR(CheckSameGeometry(out.channels[0].geometry(), image.geometry(), "channel 0",
                                              "channel " + std::to_string(ch))
                                .WithContext("case " + raw_case.id));
    }
    out.channels.push_back(std::move(image));
  }
  if (static_cast<int>(out.channels.size()) != dataset.NumChannels()) {
    return FailedPreconditionError("case " + raw_case.id + " has " + std::to_string(out.channels.size()) +
                                   " channels, expected " + std::to_string(dataset.NumChannels()));
  }
  if (!with_label || raw_case.label_path.empty()) return out;
  AMDRN_ASSIGN_OR_RETURN(out.label, io::ReadLabelMap(raw_case.label_path));
  AMDRN_RETURN_IF_ERROR(CheckSameGeometry(out.channels[0].geometry(), out.label.geometry(), "image", "label")
                            .WithContext("case " + raw_case.id));
  const int max_label = dataset.NumClasses() - 1;
  for (uint8_t v : out.label.voxels()) {
    if (v > max_label) {
      return InvalidArgumentError("case " + raw_case.id + ": expected label values 0-" +
                                  std::to_string(max_label) + " (dataset.json labels), found " +
                                  std::to_string(v));
    }
  }
  return out;
}

bool LabelsAreSided(const RawDataset& dataset) {
  static const std::regex sided(R"((^|[^a-z])(left|right|l|r|lt|rt)([^a-z]|$))");
  for (const auto& [name, value] : dataset.labels) {
    if (value == 0) continue;
    if (std::regex_search(Lower(name), sided)) return true;
  }
  return false;
}

int LeftRightArrayAxis(const Geometry& geometry) {
  // Column c of the direction matrix is image axis c (i, j, k) in LPS; row 0 is LPS x (L-R).
  int best_itk_axis = 0;
  double best = -1;
  for (int c = 0; c < 3; ++c) {
    double v = std::abs(geometry.direction[c]);
    if (v > best) {
      best = v;
      best_itk_axis = c;
    }
  }
  return 2 - best_itk_axis;  // ITK axis i, j, k is array axis 2, 1, 0
}

}  // namespace amdrn::seg
