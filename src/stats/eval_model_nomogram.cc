#include "stats/eval_model_nomogram.h"

#include <string>

namespace amdrn::stats {
namespace {

StatusOr<DesignMatrix> CheckedDesign(const LinearModel& model, const CsvTable& table) {
  AMDRN_ASSIGN_OR_RETURN(DesignMatrix d, BuildDesign(model.design, table));
  if (d.columns != model.columns) {
    return FailedPreconditionError("expected the model's " + std::to_string(model.columns.size()) +
                                   " design columns, found " + std::to_string(d.columns.size()) +
                                   " different ones (a corrupted or mismatched model file)");
  }
  return d;
}

// Coefficient of design column j on the raw scale: coef / scale.
double RawCoefficient(const LinearModel& m, int j) {
  const double s = m.scale.size() ? m.scale[j] : 1.0;
  return m.coefficients[j] / s;
}

// Groups design columns into nomogram terms.
void MakeTerms(const LinearModel& model, const DesignMatrix& d, ModelNomogram* out) {
  std::vector<bool> used(d.columns.size(), false);
  for (size_t v = 0; v < model.design.variables.size(); ++v) {
    const VariableSpec& spec = model.design.variables[v];
    if (!spec.categorical) continue;
    NomogramTermInput t;
    t.name = spec.name;
    t.categorical = true;
    std::vector<int> cols;
    for (size_t l = 0; l < spec.levels.size(); ++l) {
      double coef = 0;
      for (size_t j = 0; j < d.columns.size(); ++j) {
        if (l > 0 && d.variable_of[j] == static_cast<int>(v) &&
            d.columns[j] == spec.name + spec.levels[l]) {
          coef = RawCoefficient(model, j);
          used[j] = true;
          cols.push_back(j);
        }
      }
      t.levels.push_back(spec.levels[l]);
      t.level_coefficients.push_back(coef);
    }
    out->terms.push_back(t);
    out->term_columns.push_back(cols);
  }
  for (size_t j = 0; j < d.columns.size(); ++j) {
    if (used[j]) continue;
    NomogramTermInput t;
    t.name = d.columns[j];
    t.coefficient = RawCoefficient(model, j);
    t.training_values.assign(d.x.col(j).data(), d.x.col(j).data() + d.x.rows());
    out->terms.push_back(t);
    out->term_columns.push_back({static_cast<int>(j)});
  }
}

std::vector<NomogramValue> RowValues(const ModelNomogram& m, const DesignMatrix& d, int i) {
  std::vector<NomogramValue> values;
  for (size_t t = 0; t < m.terms.size(); ++t) {
    const NomogramTermInput& term = m.terms[t];
    NomogramValue v;
    if (term.categorical) {
      v.level = term.levels[0];
      for (int j : m.term_columns[t]) {
        if (d.x(i, j) == 1) v.level = d.columns[j].substr(term.name.size());
      }
    } else {
      v.number = d.x(i, m.term_columns[t][0]);
    }
    values.push_back(v);
  }
  return values;
}

}  // namespace

StatusOr<ModelNomogram> NomogramFromModel(const LinearModel& model, const CsvTable& training,
                                          const NomogramOptions& options) {
  AMDRN_ASSIGN_OR_RETURN(const DesignMatrix d, CheckedDesign(model, training));
  ModelNomogram out;
  out.intercept = model.intercept;
  for (Eigen::Index j = 0; j < model.coefficients.size(); ++j) {
    if (model.center.size()) out.intercept -= RawCoefficient(model, j) * model.center[j];
  }
  MakeTerms(model, d, &out);
  std::vector<double> lp(d.x.rows(), out.intercept);
  for (Eigen::Index i = 0; i < d.x.rows(); ++i) {
    for (Eigen::Index j = 0; j < d.x.cols(); ++j) lp[i] += RawCoefficient(model, j) * d.x(i, j);
  }
  AMDRN_ASSIGN_OR_RETURN(out.nomogram, BuildNomogram(out.intercept, out.terms, lp, options));
  out.training_x = d.x;
  out.training_rows = d.rows;
  return out;
}

StatusOr<TablePoints> ScoreTable(const ModelNomogram& nomogram, const LinearModel& model,
                                 const CsvTable& table) {
  AMDRN_ASSIGN_OR_RETURN(const DesignMatrix d, CheckedDesign(model, table));
  TablePoints out;
  out.rows = d.rows;
  out.rows_dropped = d.rows_dropped;
  for (Eigen::Index i = 0; i < d.x.rows(); ++i) {
    AMDRN_ASSIGN_OR_RETURN(PatientPoints p, ScorePatient(nomogram.nomogram, nomogram.terms,
                                                         RowValues(nomogram, d, i)));
    out.points.push_back(std::move(p));
  }
  return out;
}

}  // namespace amdrn::stats
