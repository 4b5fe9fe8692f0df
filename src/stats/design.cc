#include "stats/design.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace amdrn::stats {
namespace {

bool ParseNumber(const std::string& text, double* value) {
  if (text.empty()) return false;
  char* end = nullptr;
  *value = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

std::string Quote(const std::string& s) { return "'" + s + "'"; }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Levels sorted by byte order and the most frequent level (first in order on ties).
void LearnLevels(const std::vector<std::string>& values, VariableSpec* spec) {
  std::map<std::string, int> counts;
  for (const std::string& v : values) {
    if (!IsMissingText(v)) ++counts[v];
  }
  int best = -1;
  for (const auto& [level, count] : counts) {
    spec->levels.push_back(level);
    if (count > best) {
      best = count;
      spec->mode = level;
    }
  }
}

Status LearnVariable(const CsvTable& table, const std::string& name, const DesignOptions& o,
                     VariableSpec* spec) {
  AMDRN_ASSIGN_OR_RETURN(std::vector<std::string> values, table.Column(name));
  spec->name = name;
  std::vector<double> numbers;
  bool numeric = true;
  int missing = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    double d;
    if (IsMissingText(values[i])) {
      ++missing;
    } else if (ParseNumber(values[i], &d)) {
      if (!std::isfinite(d)) {
        return InvalidArgumentError("expected finite values in column " + Quote(name) +
                                    ", found " + values[i] + " in row " + std::to_string(i + 1));
      }
      numbers.push_back(d);
    } else {
      numeric = false;
    }
  }
  if (missing == static_cast<int>(values.size())) {
    return InvalidArgumentError("expected values in column " + Quote(name) + ", found none");
  }
  spec->categorical =
      !numeric || std::find(o.categorical.begin(), o.categorical.end(), name) != o.categorical.end();
  spec->indicator = o.missing == MissingPolicy::kImpute && missing > 0;
  if (spec->categorical) {
    LearnLevels(values, spec);
  } else {
    spec->median = Median(numbers);
  }
  return OkStatus();
}

Status ApplyReferenceLevels(const std::vector<std::string>& refs, DesignSpec* spec) {
  for (const std::string& r : refs) {
    const size_t eq = r.find('=');
    const std::string name = r.substr(0, eq), level = eq == std::string::npos ? "" : r.substr(eq + 1);
    auto var = std::find_if(spec->variables.begin(), spec->variables.end(),
                            [&](const VariableSpec& v) { return v.name == name; });
    if (var == spec->variables.end() || !var->categorical) {
      return InvalidArgumentError("expected a categorical model variable in reference level " +
                                  Quote(r) + ", found none named " + Quote(name));
    }
    auto it = std::find(var->levels.begin(), var->levels.end(), level);
    if (it == var->levels.end()) {
      return InvalidArgumentError("expected reference level " + Quote(level) + " among the levels of " +
                                  Quote(name) + ", found it absent");
    }
    std::rotate(var->levels.begin(), it, it + 1);
  }
  return OkStatus();
}

// Design columns contributed by one variable.
void AppendColumnNames(const VariableSpec& v, int index, DesignMatrix* d) {
  if (v.categorical) {
    for (size_t l = 1; l < v.levels.size(); ++l) {
      d->columns.push_back(v.name + v.levels[l]);
      d->variable_of.push_back(index);
    }
  } else {
    d->columns.push_back(v.name);
    d->variable_of.push_back(index);
  }
  if (v.indicator) {
    d->columns.push_back(v.name + "_missing");
    d->variable_of.push_back(index);
  }
}

// Writes one variable's columns for a row starting at column `c`; returns false when the
// value is missing and the policy drops the row.
StatusOr<bool> FillVariable(const VariableSpec& v, const std::string& text, MissingPolicy policy,
                            size_t row, double* out, int* imputed) {
  const bool missing = IsMissingText(text);
  if (missing && policy == MissingPolicy::kListwise) return false;
  if (missing && policy == MissingPolicy::kRefuse) {
    return InvalidArgumentError("expected a value in column " + Quote(v.name) + " row " +
                                std::to_string(row + 1) + ", found it missing (choose a missing-value policy)");
  }
  if (missing) ++*imputed;
  int c = 0;
  if (v.categorical) {
    const std::string level = missing ? v.mode : text;
    auto it = std::find(v.levels.begin(), v.levels.end(), level);
    if (it == v.levels.end()) {
      return InvalidArgumentError("expected a level of " + Quote(v.name) + " seen in training, found " +
                                  Quote(level) + " in row " + std::to_string(row + 1));
    }
    for (size_t l = 1; l < v.levels.size(); ++l) out[c++] = v.levels[l] == level ? 1.0 : 0.0;
  } else {
    double d = v.median;
    if (!missing && (!ParseNumber(text, &d) || !std::isfinite(d))) {
      return InvalidArgumentError("expected a finite number in column " + Quote(v.name) + " row " +
                                  std::to_string(row + 1) + ", found " + Quote(text));
    }
    out[c++] = d;
  }
  if (v.indicator) out[c] = missing ? 1.0 : 0.0;
  return true;
}

}  // namespace

StatusOr<DesignSpec> LearnDesign(const CsvTable& table, const std::vector<std::string>& variables,
                                 const DesignOptions& options) {
  DesignSpec spec;
  spec.missing = options.missing;
  for (const std::string& name : variables) {
    VariableSpec v;
    AMDRN_RETURN_IF_ERROR(LearnVariable(table, name, options, &v));
    spec.variables.push_back(std::move(v));
  }
  AMDRN_RETURN_IF_ERROR(ApplyReferenceLevels(options.reference_levels, &spec));
  return spec;
}

StatusOr<DesignMatrix> BuildDesign(const DesignSpec& spec, const CsvTable& table) {
  DesignMatrix d;
  std::vector<int> source;
  for (size_t k = 0; k < spec.variables.size(); ++k) {
    const int col = table.ColumnIndex(spec.variables[k].name);
    if (col < 0) {
      return NotFoundError("expected column " + Quote(spec.variables[k].name) +
                           " in the input table, found it absent");
    }
    source.push_back(col);
    AppendColumnNames(spec.variables[k], static_cast<int>(k), &d);
  }
  d.imputed.assign(spec.variables.size(), 0);
  std::vector<double> row_values(d.columns.size());
  std::vector<double> data;
  for (size_t r = 0; r < table.num_rows(); ++r) {
    size_t c = 0;
    bool keep = true;
    for (size_t k = 0; k < spec.variables.size() && keep; ++k) {
      AMDRN_ASSIGN_OR_RETURN(keep, FillVariable(spec.variables[k], table.rows()[r][source[k]],
                                                spec.missing, r, &row_values[c], &d.imputed[k]));
      c += std::count(d.variable_of.begin(), d.variable_of.end(), static_cast<int>(k));
    }
    if (!keep) {
      ++d.rows_dropped;
      continue;
    }
    d.rows.push_back(static_cast<int>(r));
    data.insert(data.end(), row_values.begin(), row_values.end());
  }
  d.x = Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      data.data(), d.rows.size(), d.columns.size());
  return d;
}

StatusOr<Eigen::VectorXd> OutcomeColumn(const CsvTable& table, const std::string& column,
                                        const std::string& positive) {
  AMDRN_ASSIGN_OR_RETURN(std::vector<std::string> values, table.Column(column));
  std::vector<std::string> labels;
  for (size_t i = 0; i < values.size(); ++i) {
    if (IsMissingText(values[i])) {
      return InvalidArgumentError("expected an outcome in every row of " + Quote(column) +
                                  ", found it missing in row " + std::to_string(i + 1));
    }
    if (std::find(labels.begin(), labels.end(), values[i]) == labels.end()) labels.push_back(values[i]);
  }
  if (labels.size() != 2) {
    return InvalidArgumentError("expected exactly two outcome values in " + Quote(column) +
                                ", found " + std::to_string(labels.size()));
  }
  double a, b;
  const bool numeric = ParseNumber(labels[0], &a) && ParseNumber(labels[1], &b);
  std::string event = positive;
  if (event.empty()) {
    event = numeric ? (a > b ? labels[0] : labels[1]) : std::max(labels[0], labels[1]);
  } else if (event != labels[0] && event != labels[1]) {
    return InvalidArgumentError("expected the event label " + Quote(event) + " in " + Quote(column) +
                                ", found only " + Quote(labels[0]) + " and " + Quote(labels[1]));
  }
  Eigen::VectorXd y(values.size());
  for (size_t i = 0; i < values.size(); ++i) y[i] = values[i] == event ? 1.0 : 0.0;
  return y;
}

nlohmann::json DesignToJson(const DesignSpec& spec) {
  nlohmann::json vars = nlohmann::json::array();
  for (const VariableSpec& v : spec.variables) {
    nlohmann::json j = {{"name", v.name}, {"categorical", v.categorical}, {"indicator", v.indicator}};
    if (v.categorical) {
      j["levels"] = v.levels;
      j["mode"] = v.mode;
    } else {
      j["median"] = v.median;
    }
    vars.push_back(j);
  }
  const char* policy = spec.missing == MissingPolicy::kImpute     ? "impute"
                       : spec.missing == MissingPolicy::kListwise ? "listwise"
                                                                  : "refuse";
  return {{"variables", vars}, {"missing", policy}};
}

StatusOr<DesignSpec> DesignFromJson(const nlohmann::json& j) {
  DesignSpec spec;
  try {
    const std::string policy = j.at("missing").get<std::string>();
    if (policy == "impute") {
      spec.missing = MissingPolicy::kImpute;
    } else if (policy == "listwise") {
      spec.missing = MissingPolicy::kListwise;
    } else if (policy != "refuse") {
      return InvalidArgumentError("expected missing policy impute, listwise or refuse, found " +
                                  Quote(policy));
    }
    for (const nlohmann::json& jv : j.at("variables")) {
      VariableSpec v;
      v.name = jv.at("name").get<std::string>();
      v.categorical = jv.at("categorical").get<bool>();
      v.indicator = jv.at("indicator").get<bool>();
      if (v.categorical) {
        v.levels = jv.at("levels").get<std::vector<std::string>>();
        v.mode = jv.at("mode").get<std::string>();
      } else {
        v.median = jv.at("median").get<double>();
      }
      spec.variables.push_back(std::move(v));
    }
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(std::string("expected a design object in the model file, found: ") +
                                e.what());
  }
  return spec;
}

}  // namespace amdrn::stats
