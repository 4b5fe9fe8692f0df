#include "core/csv.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "core/file_util.h"

namespace amdrn {

int CsvTable::ColumnIndex(const std::string& name) const {
  for (size_t c = 0; c < header_.size(); ++c) {
    if (header_[c] == name) return static_cast<int>(c);
  }
  return -1;
}

StatusOr<std::vector<std::string>> CsvTable::Column(const std::string& name) const {
  int c = ColumnIndex(name);
  if (c < 0) {
    std::string have;
    for (size_t i = 0; i < header_.size() && i < 12; ++i) have += (i ? ", " : "") + header_[i];
    if (header_.size() > 12) have += ", ...";
    return NotFoundError("expected a column named '" + name + "', found columns: " + have);
  }
  std::vector<std::string> out;
  out.reserve(rows_.size());
  for (const auto& row : rows_) out.push_back(row[c]);
  return out;
}

StatusOr<std::vector<double>> CsvTable::NumericColumn(const std::string& name) const {
  AMDRN_ASSIGN_OR_RETURN(std::vector<std::string> text, Column(name));
  std::vector<double> out(text.size());
  for (size_t r = 0; r < text.size(); ++r) {
    if (IsMissingText(text[r])) {
      out[r] = std::numeric_limits<double>::quiet_NaN();
      continue;
    }
    char* end = nullptr;
    out[r] = std::strtod(text[r].c_str(), &end);
    while (end && (*end == ' ' || *end == '\t' || *end == '\r')) ++end;
    if (end == text[r].c_str() || (end && *end != '\0')) {
      return InvalidArgumentError("column '" + name + "' row " + std::to_string(r + 1) +
                                  ": expected a number, found '" + text[r] + "'");
    }
  }
  return out;
}

Status CsvTable::AddRow(std::vector<std::string> row) {
  if (row.size() != header_.size()) {
    return InternalError("CSV row has " + std::to_string(row.size()) + " fields, header has " +
                         std::to_string(header_.size()));
  }
  rows_.push_back(std::move(row));
  return OkStatus();
}

std::string CsvEscape(const std::string& field) {
  if (field.find_first_of(",\"\n\r") == std::string::npos) return field;
  std::string out = "\"";
  for (char ch : field) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

std::string CsvTable::ToString() const {
  std::string out;
  auto line = [&out](const std::vector<std::string>& fields) {
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i) out += ',';
      out += CsvEscape(fields[i]);
    }
    out += '\n';
  };
  line(header_);
  for (const auto& row : rows_) line(row);
  return out;
}

StatusOr<CsvTable> ParseCsv(const std::string& text, const std::string& source_name) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool in_quotes = false, field_started = false;
  size_t line = 1;
  auto end_record = [&]() {
    record.push_back(field);
    field.clear();
    field_started = false;
    if (!(record.size() == 1 && record[0].empty())) records.push_back(record);
    record.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (in_quotes) {
      if (ch == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (ch == '\n') ++line;
        field += ch;
      }
    } else if (ch == '"' && !field_started) {
      in_quotes = true;
      field_started = true;
    } else if (ch == ',') {
      record.push_back(field);
      field.clear();
      field_started = false;
    } else if (ch == '\n') {
      end_record();
      ++line;
    } else if (ch == '\r') {
      // CRLF line ends: drop the CR.
    } else {
      field += ch;
      field_started = true;
    }
  }
  if (in_quotes) {
    return InvalidArgumentError(source_name + ": expected a closing quote, found end of file");
  }
  if (field_started || !record.empty()) end_record();
  if (records.empty()) {
    return InvalidArgumentError(source_name + ": expected a header line, found an empty file");
  }
  CsvTable table(records[0]);
  for (size_t r = 1; r < records.size(); ++r) {
    if (records[r].size() != table.num_columns()) {
      return InvalidArgumentError(source_name + " record " + std::to_string(r + 1) +
                                  ": expected " + std::to_string(table.num_columns()) +
                                  " fields like the header, found " +
                                  std::to_string(records[r].size()));
    }
    AMDRN_RETURN_IF_ERROR(table.AddRow(records[r]));
  }
  return table;
}

StatusOr<CsvTable> ReadCsv(const std::string& path) {
  AMDRN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseCsv(text, path);
}

Status WriteCsv(const std::string& path, const CsvTable& table) {
  return WriteFileAtomic(path, table.ToString());
}

std::string FormatDouble(double value) {
  if (std::isnan(value)) return "NA";
  if (std::isinf(value)) return value > 0 ? "Inf" : "-Inf";
  char buf[32];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}

bool IsMissingText(const std::string& text) {
  return text.empty() || text == "NA" || text == "NaN" || text == "nan" || text == "N/A";
}

}  // namespace amdrn
