// CSV tables (RFC 4180: comma-separated, double-quoted fields may hold commas, quotes and
// newlines). A CsvTable is a header plus rows of strings; numeric access treats "", "NA",
// "NaN" and "nan" as missing (NaN). Thread-compatible.
#ifndef AMDRN_CORE_CSV_H_
#define AMDRN_CORE_CSV_H_

#include <string>
#include <vector>

#include "core/status.h"

namespace amdrn {

class CsvTable {
 public:
  CsvTable() = default;
  explicit CsvTable(std::vector<std::string> header) : header_(std::move(header)) {}

  const std::vector<std::string>& header() const { return header_; }
  const std::vector<std::vector<std::string>>& rows() const { return rows_; }
  size_t num_rows() const { return rows_.size(); }
  size_t num_columns() const { return header_.size(); }

  // Index of a column, or -1.
  int ColumnIndex(const std::string& name) const;
  // The column's values; NotFound names the column and the file's columns.
  StatusOr<std::vector<std::string>> Column(const std::string& name) const;
  // The column parsed as numbers (missing -> NaN); InvalidArgument names the row and text
  // of the first value that is neither a number nor missing.
  StatusOr<std::vector<double>> NumericColumn(const std::string& name) const;

  // Requires: row.size() == num_columns().
  Status AddRow(std::vector<std::string> row);

  std::string ToString() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// Parses CSV text; the first record is the header. Every row must have as many fields as
// the header (InvalidArgument naming the line otherwise).
StatusOr<CsvTable> ParseCsv(const std::string& text, const std::string& source_name = "csv");
StatusOr<CsvTable> ReadCsv(const std::string& path);
// Atomic write.
Status WriteCsv(const std::string& path, const CsvTable& table);

// Quotes a field if it holds a comma, quote or newline.
std::string CsvEscape(const std::string& field);
// Shortest text that reads back as the same double ("NA" for NaN).
std::string FormatDouble(double value);
// True for "", "NA", "NaN", "nan", "N/A".
bool IsMissingText(const std::string& text);

}  // namespace amdrn

#endif  // AMDRN_CORE_CSV_H_
