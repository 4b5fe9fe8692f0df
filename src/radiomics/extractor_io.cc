// Result tables and cohort discovery for the extractor (declared in extractor.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "core/csv.h"
#include "core/file_util.h"
#include "radiomics/extractor.h"

namespace amdrn::radiomics {
namespace {

namespace fs = std::filesystem;

bool IsFeatureColumn(const std::string& name) {
  return name != "case_id" && name != "label" && name != "region" && name != "error" &&
         name.rfind("diagnostics_", 0) != 0;
}

std::vector<std::string> UnionColumns(const std::vector<TextRow>& rows) {
  std::vector<std::string> columns;
  std::set<std::string> seen;
  // Identity and diagnostics first, features after, each in first-appearance order.
  for (int pass = 0; pass < 2; ++pass) {
    for (const TextRow& row : rows) {
      for (const auto& cell : row) {
        if (IsFeatureColumn(cell.first) != (pass == 1)) continue;
        if (seen.insert(cell.first).second) columns.push_back(cell.first);
      }
    }
  }
  return columns;
}

// Strips the image extension (.nii.gz, .nii, .nrrd, .mha, .mhd, .nhdr).
std::string StripVolumeExtension(const std::string& name) {
  for (const char* ext : {".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd"}) {
    const std::string e = ext;
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) {
      return name.substr(0, name.size() - e.size());
    }
  }
  return "";
}

StatusOr<std::vector<CohortCase>> DiscoverNnunet(const fs::path& root,
                                                 const std::vector<int>& labels) {
  std::vector<CohortCase> cases;
  for (const char* split : {"Tr", "Ts"}) {
    const fs::path images = root / (std::string("images") + split);
    const fs::path masks = root / (std::string("labels") + split);
    if (!fs::is_directory(images) || !fs::is_directory(masks)) continue;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(images)) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      const std::string stem = StripVolumeExtension(file.filename().string());
      if (stem.size() < 5 || stem.compare(stem.size() - 5, 5, "_0000") != 0) continue;
      const std::string case_id = stem.substr(0, stem.size() - 5);
      const std::string ext = file.filename().string().substr(stem.size());
      cases.push_back({case_id, file.string(), (masks / (case_id + ext)).string(), labels});
    }
  }
  if (cases.empty()) {
    return NotFoundError("expected imagesTr/<case>_0000.<ext> and labelsTr/<case>.<ext> in " +
                         root.string() + ", found no case");
  }
  return cases;
}

StatusOr<std::vector<CohortCase>> DiscoverCsv(const std::string& path,
                                              const std::vector<int>& labels) {
  AMDRN_ASSIGN_OR_RETURN(CsvTable table, ReadCsv(path));
  const int image = table.ColumnIndex("image"), mask = table.ColumnIndex("mask");
  if (image < 0 || mask < 0) {
    return InvalidArgumentError("expected columns image and mask in " + path);
  }
  const int label = table.ColumnIndex("label"), id = table.ColumnIndex("case_id");
  const fs::path base = fs::path(path).parent_path();
  std::vector<CohortCase> cases;
  std::map<std::string, size_t> by_key;  // rows naming the same pair and case merge labels
  for (size_t r = 0; r < table.num_rows(); ++r) {
    const auto& row = table.rows()[r];
    auto resolve = [&](const std::string& p) {
      return fs::path(p).is_absolute() ? p : (base / p).string();
    };
    CohortCase c{id >= 0 ? row[id] : "", resolve(row[image]), resolve(row[mask]), labels};
    if (c.case_id.empty()) {
      c.case_id = StripVolumeExtension(fs::path(row[image]).filename().string());
      if (c.case_id.empty()) c.case_id = "case" + std::to_string(r + 1);
    }
    if (label >= 0 && !row[label].empty()) {
      char* end = nullptr;
      const long v = std::strtol(row[label].c_str(), &end, 10);
      if (*end != '\0' || v < 1 || v > 255) {
        return InvalidArgumentError(path + " row " + std::to_string(r + 2) +
                                    ": expected a label 1-255, found '" + row[label] + "'");
      }
      c.labels = {static_cast<int>(v)};
    }
    const std::string key = c.case_id + "\n" + c.image_path + "\n" + c.mask_path;
    auto it = by_key.find(key);
    if (it != by_key.end() && label >= 0) {
      cases[it->second].labels.push_back(c.labels[0]);
      continue;
    }
    by_key[key] = cases.size();
    cases.push_back(std::move(c));
  }
  return cases;
}

}  // namespace

TextRow ToTextRow(const ExtractionRow& row) {
  TextRow out = {{"case_id", row.case_id},
                 {"label", std::to_string(row.label)},
                 {"region", row.region},
                 {"error", row.status.ok() ? "" : row.status.message()}};
  for (const auto& d : row.diagnostics) out.push_back({"diagnostics_" + d.first, d.second});
  for (const auto& f : row.features) {
    out.push_back({f.first, std::isnan(f.second) ? "nan" : FormatDouble(f.second)});
  }
  return out;
}

StatusOr<std::vector<TextRow>> ReadRowsFile(const std::string& path) {
  std::vector<TextRow> rows;
  if (FileExtension(path) == ".json") {
    AMDRN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
    nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_array()) {
      return DataLossError("expected a JSON array of rows in " + path);
    }
    for (const auto& object : doc) {
      TextRow row;
      for (auto it = object.begin(); it != object.end(); ++it) {
        std::string value;
        if (it->is_string()) {
          value = it->get<std::string>();
        } else if (it->is_null()) {
          value = "nan";
        } else if (it->is_number()) {
          value = FormatDouble(it->get<double>());
        } else {
          value = it->dump();
        }
        row.push_back({it.key(), value});
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }
  AMDRN_ASSIGN_OR_RETURN(CsvTable table, ReadCsv(path));
  for (const auto& cells : table.rows()) {
    TextRow row;
    for (size_t c = 0; c < cells.size(); ++c) row.push_back({table.header()[c], cells[c]});
    rows.push_back(std::move(row));
  }
  return rows;
}

Status WriteRowsFile(const std::string& path, const std::vector<TextRow>& rows) {
  const std::vector<std::string> columns = UnionColumns(rows);
  if (path != "-" && FileExtension(path) == ".json") {
    nlohmann::ordered_json doc = nlohmann::ordered_json::array();
    for (const TextRow& row : rows) {
      nlohmann::ordered_json object;
      for (const auto& cell : row) {
        if (!IsFeatureColumn(cell.first)) {
          object[cell.first] = cell.second;
        } else if (cell.second == "nan" || IsMissingText(cell.second)) {
          object[cell.first] = nullptr;
        } else {
          object[cell.first] = std::strtod(cell.second.c_str(), nullptr);
        }
      }
      doc.push_back(std::move(object));
    }
    return WriteFileAtomic(path, doc.dump(1) + "\n");
  }
  CsvTable table(columns);
  for (const TextRow& row : rows) {
    std::map<std::string, std::string> cells(row.begin(), row.end());
    std::vector<std::string> values;
    for (const std::string& c : columns) values.push_back(cells.count(c) ? cells[c] : "");
    AMDRN_RETURN_IF_ERROR(table.AddRow(std::move(values)));
  }
  if (path == "-") {
    std::fputs(table.ToString().c_str(), stdout);
    return OkStatus();
  }
  return WriteCsv(path, table);
}

StatusOr<std::vector<CohortCase>> DiscoverCohort(const std::string& path,
                                                 const std::vector<int>& default_labels) {
  if (!PathExists(path)) return NotFoundError("cohort not found: " + path);
  if (IsDirectory(path)) return DiscoverNnunet(fs::path(path), default_labels);
  return DiscoverCsv(path, default_labels);
}

}  // namespace amdrn::radiomics
