// Turns CSV columns into a numeric design matrix the way R's model.matrix does for the
// variables clinicians use: numeric columns as they are, categorical columns as factors
// with treatment contrasts (one 0/1 column per non-reference level, named like R, e.g.
// "sitemolar"; the reference is the first level, sorted by byte order unless given).
// The learnt DesignSpec (levels, imputation values) is applied unchanged to new data.
// Thread-compatible value types; functions are pure.
#ifndef AMDRN_STATS_DESIGN_H_
#define AMDRN_STATS_DESIGN_H_

#include <string>
#include <vector>

#include <Eigen/Dense>
#include <nlohmann/json.hpp>

#include "core/csv.h"
#include "core/status.h"

namespace amdrn::stats {

// How missing values ("", NA, NaN) are handled, fixed at training and reused at prediction.
enum class MissingPolicy {
  kRefuse,    // any missing value is an error naming the column and row
  kListwise,  // rows with a missing value in a used column are dropped and counted
  kImpute,    // training median (numeric) or mode (categorical) plus a 0/1 indicator
              // column "<name>_missing" for variables that had missing training values
};

struct VariableSpec {
  std::string name;
  bool categorical = false;
  std::vector<std::string> levels;  // categorical: levels[0] is the reference
  double median = 0;                // numeric imputation value (training median)
  std::string mode;                 // categorical imputation value (training mode)
  bool indicator = false;           // an indicator column is added (kImpute only)
};

struct DesignSpec {
  std::vector<VariableSpec> variables;
  MissingPolicy missing = MissingPolicy::kRefuse;
};

struct DesignOptions {
  MissingPolicy missing = MissingPolicy::kRefuse;
  // Columns to treat as categorical even when numeric (e.g. coded 0/1/2); text columns
  // are categorical automatically.
  std::vector<std::string> categorical;
  // Optional reference levels, "column=level".
  std::vector<std::string> reference_levels;
};

struct DesignMatrix {
  Eigen::MatrixXd x;                 // rows = rows kept, no intercept column
  std::vector<std::string> columns;  // model.matrix column names
  std::vector<int> variable_of;      // for each column, index into spec.variables
  std::vector<int> rows;             // CSV row index (0-based) of each design row
  int rows_dropped = 0;              // listwise deletion count
  std::vector<int> imputed;          // per variable, number of values imputed
};

// Learns types, levels and imputation values of `variables` from the training table.
// Errors: NotFound for a missing column; InvalidArgument for Inf, a column with no values,
// or an unknown reference level.
StatusOr<DesignSpec> LearnDesign(const CsvTable& table, const std::vector<std::string>& variables,
                                 const DesignOptions& options);

// Builds the design of `table` with a learnt spec. New categorical levels unseen in
// training are an InvalidArgument error naming the level.
StatusOr<DesignMatrix> BuildDesign(const DesignSpec& spec, const CsvTable& table);

// Outcome column as 0/1: numbers 0/1, or two distinct labels where `positive` names the
// event (empty: the numerically larger or byte-order later label).
StatusOr<Eigen::VectorXd> OutcomeColumn(const CsvTable& table, const std::string& column,
                                        const std::string& positive = "");

nlohmann::json DesignToJson(const DesignSpec& spec);
StatusOr<DesignSpec> DesignFromJson(const nlohmann::json& j);

}  // namespace amdrn::stats

#endif  // AMDRN_STATS_DESIGN_H_
