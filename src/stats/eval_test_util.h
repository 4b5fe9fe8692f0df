// Test-only helpers shared by the evaluation tests: reading the R reference tables in
// testdata/stats/eval (written by make_reference.R with %.17g doubles).
#ifndef AMDRN_STATS_EVAL_TEST_UTIL_H_
#define AMDRN_STATS_EVAL_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/csv.h"

namespace amdrn::stats::testing {

inline const char kEvalDir[] = "testdata/stats/eval/";

inline CsvTable LoadTable(const std::string& name) {
  StatusOr<CsvTable> t = ReadCsv(std::string(kEvalDir) + name);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? *t : CsvTable();
}

inline double ParseNumber(const std::string& text) {
  if (text == "NA") return std::numeric_limits<double>::quiet_NaN();
  if (text == "Inf") return std::numeric_limits<double>::infinity();
  if (text == "-Inf") return -std::numeric_limits<double>::infinity();
  return std::strtod(text.c_str(), nullptr);
}

// "a;b;c" -> {a, b, c}.
inline std::vector<double> ParseList(const std::string& text) {
  std::vector<double> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ';')) out.push_back(ParseNumber(item));
  return out;
}

inline std::vector<double> Column(const CsvTable& t, const std::string& name) {
  StatusOr<std::vector<double>> c = t.NumericColumn(name);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : std::vector<double>();
}

inline std::string Cell(const CsvTable& t, size_t row, const std::string& column) {
  return t.rows()[row][t.ColumnIndex(column)];
}

// The cohort's rows for one set ("train" / "validation" / "" for all) as named columns.
inline std::map<std::string, std::vector<double>> CohortColumns(const std::string& set) {
  const CsvTable t = LoadTable("cohort.csv");
  std::map<std::string, std::vector<double>> out;
  const int set_col = t.ColumnIndex("set");
  for (const auto& row : t.rows()) {
    if (!set.empty() && row[set_col] != set) continue;
    for (size_t j = 0; j < t.num_columns(); ++j) {
      if (t.header()[j] == "id" || t.header()[j] == "set") continue;
      out[t.header()[j]].push_back(ParseNumber(row[j]));
    }
  }
  return out;
}

}  // namespace amdrn::stats::testing

#endif  // AMDRN_STATS_EVAL_TEST_UTIL_H_
