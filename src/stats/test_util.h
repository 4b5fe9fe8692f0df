// Helpers shared by the stats tests: read the R reference tables in testdata/stats.
// Test-only; not part of amdrn_stats.
#ifndef AMDRN_STATS_TEST_UTIL_H_
#define AMDRN_STATS_TEST_UTIL_H_

#include <string>
#include <vector>

#include <Eigen/Dense>
#include <gtest/gtest.h>

#include "core/csv.h"

namespace amdrn::stats::testing {

inline CsvTable LoadTable(const std::string& file) {
  StatusOr<CsvTable> t = ReadCsv("testdata/stats/" + file);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? *t : CsvTable();
}

inline Eigen::VectorXd Column(const CsvTable& t, const std::string& name) {
  StatusOr<std::vector<double>> v = t.NumericColumn(name);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  if (!v.ok()) return Eigen::VectorXd();
  return Eigen::Map<const Eigen::VectorXd>(v->data(), v->size());
}

inline Eigen::MatrixXd Columns(const CsvTable& t, const std::vector<std::string>& names) {
  Eigen::MatrixXd x(t.num_rows(), names.size());
  for (size_t j = 0; j < names.size(); ++j) x.col(j) = Column(t, names[j]);
  return x;
}

// Rows of `t` whose column `key` equals `value`.
inline CsvTable Filter(const CsvTable& t, const std::string& key, const std::string& value) {
  CsvTable out(t.header());
  const int k = t.ColumnIndex(key);
  for (const auto& row : t.rows()) {
    if (row[k] == value) {
      EXPECT_TRUE(out.AddRow(row).ok());
    }
  }
  return out;
}

inline double RelDiff(double a, double b) {
  return std::fabs(a - b) / std::max(1.0, std::max(std::fabs(a), std::fabs(b)));
}

}  // namespace amdrn::stats::testing

#endif  // AMDRN_STATS_TEST_UTIL_H_
