#include "stats/clinical_model.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "stats/distributions.h"

namespace amdrn::stats {
namespace {

// Quasi-complete separation that glm's own check misses: IRLS converges, but a coefficient
// has run off to a large value with a standard error orders of magnitude larger (for example
// a missing-value indicator whose rows all share one outcome). Returns the first such term.
bool QuasiSeparated(const LogisticFit& fit, std::string* term) {
  for (int j = 0; j < fit.coefficients.size(); ++j) {
    if (std::abs(fit.coefficients[j]) > 8.0 && fit.standard_errors[j] > 50.0) {
      *term = fit.names[j];
      return true;
    }
  }
  return false;
}

// Columns of the design belonging to the given variables, in design order.
std::vector<int> ColumnsOf(const DesignMatrix& d, const std::vector<int>& variables) {
  std::vector<int> cols;
  for (size_t c = 0; c < d.columns.size(); ++c) {
    if (std::find(variables.begin(), variables.end(), d.variable_of[c]) != variables.end()) {
      cols.push_back(static_cast<int>(c));
    }
  }
  return cols;
}

StatusOr<LogisticFit> FitVariables(const DesignMatrix& d, const Eigen::VectorXd& y,
                                   const std::vector<int>& variables, LogisticOptions o) {
  const std::vector<int> cols = ColumnsOf(d, variables);
  o.names.clear();
  for (int c : cols) o.names.push_back(d.columns[c]);
  return FitLogistic(d.x(Eigen::all, cols), y, o);
}

std::vector<std::string> VariableNames(const DesignSpec& spec, const std::vector<int>& idx) {
  std::vector<std::string> names;
  for (int i : idx) names.push_back(spec.variables[i].name);
  return names;
}

// Univariable fits: one table row per term, one test per variable.
Status Screen(const DesignSpec& spec, const DesignMatrix& d, const Eigen::VectorXd& y,
              const ClinicalOptions& o, ClinicalModel* m, std::vector<int>* kept) {
  for (size_t v = 0; v < spec.variables.size(); ++v) {
    AMDRN_ASSIGN_OR_RETURN(LogisticFit fit, FitVariables(d, y, {static_cast<int>(v)}, o.logistic));
    std::vector<std::string> var_of(fit.names.size() - 1, spec.variables[v].name);
    for (const TermRow& row : TermRows(fit, var_of)) m->univariate.push_back(row);
    VariableTest t{spec.variables[v].name, static_cast<int>(fit.coefficients.size()) - 1, 1.0};
    t.p = t.df == 1 ? fit.p_values[1] : ModelLikelihoodRatio(fit).p_value;
    if (fit.separation) m->warnings.push_back("univariable fit of '" + t.variable + "' separates");
    m->univariate_tests.push_back(t);
    if (t.p < o.screen_p) kept->push_back(static_cast<int>(v));
  }
  return OkStatus();
}

// One backward step; returns false when no term is dropped.
StatusOr<bool> BackwardStep(const DesignMatrix& d, const Eigen::VectorXd& y,
                            const DesignSpec& spec, const ClinicalOptions& o,
                            std::vector<int>* current, ClinicalModel* m) {
  if (current->empty()) return false;
  AMDRN_ASSIGN_OR_RETURN(LogisticFit full, FitVariables(d, y, *current, o.logistic));
  int best = -1;
  double best_value = o.selection == Selection::kBackwardAic ? full.aic : o.stay_p;
  for (size_t k = 0; k < current->size(); ++k) {
    std::vector<int> reduced = *current;
    reduced.erase(reduced.begin() + k);
    AMDRN_ASSIGN_OR_RETURN(LogisticFit fit, FitVariables(d, y, reduced, o.logistic));
    if (o.selection == Selection::kBackwardAic) {
      if (fit.aic < best_value) {  // step(): strict improvement, ties keep "<none>"
        best_value = fit.aic;
        best = static_cast<int>(k);
      }
    } else {
      AMDRN_ASSIGN_OR_RETURN(LikelihoodRatioTest lrt, CompareNested(fit, full));
      if (lrt.p_value > best_value) {
        best_value = lrt.p_value;
        best = static_cast<int>(k);
      }
    }
  }
  if (best < 0) return false;
  m->steps.push_back({spec.variables[(*current)[best]].name, best_value});
  current->erase(current->begin() + best);
  return true;
}

}  // namespace

std::vector<TermRow> TermRows(const LogisticFit& fit, const std::vector<std::string>& variable_of) {
  std::vector<TermRow> rows;
  const int first = fit.has_intercept ? 1 : 0;
  for (Eigen::Index j = first; j < fit.coefficients.size(); ++j) {
    TermRow r;
    r.variable = variable_of[j - first];
    r.term = fit.names[j];
    r.estimate = fit.coefficients[j];
    r.se = fit.standard_errors[j];
    r.odds_ratio = fit.odds_ratios[j];
    r.lower = fit.or_lower[j];
    r.upper = fit.or_upper[j];
    r.p = fit.p_values[j];
    rows.push_back(r);
  }
  return rows;
}

StatusOr<ClinicalModel> FitClinicalModel(const CsvTable& table, const std::string& outcome,
                                         const std::vector<std::string>& candidates,
                                         const DesignOptions& design_options,
                                         const ClinicalOptions& options) {
  if (candidates.empty()) return InvalidArgumentError("expected candidate variables, found none");
  AMDRN_ASSIGN_OR_RETURN(DesignSpec spec, LearnDesign(table, candidates, design_options));
  AMDRN_ASSIGN_OR_RETURN(DesignMatrix d, BuildDesign(spec, table));
  AMDRN_ASSIGN_OR_RETURN(Eigen::VectorXd y_all, OutcomeColumn(table, outcome));
  const Eigen::VectorXd y = y_all(d.rows);
  ClinicalModel m;
  m.rows_used = static_cast<int>(d.rows.size());
  m.rows_dropped = d.rows_dropped;
  std::vector<int> current;
  AMDRN_RETURN_IF_ERROR(Screen(spec, d, y, options, &m, &current));
  m.screened = VariableNames(spec, current);
  if (current.empty()) m.warnings.push_back("no candidate passed univariable screening");
  if (options.selection != Selection::kNone) {
    for (;;) {
      AMDRN_ASSIGN_OR_RETURN(bool dropped, BackwardStep(d, y, spec, options, &current, &m));
      if (!dropped) break;
    }
  }
  m.selected = VariableNames(spec, current);
  LogisticOptions lo = options.logistic;
  AMDRN_ASSIGN_OR_RETURN(m.fit, FitVariables(d, y, current, lo));
  std::string quasi_term;
  if (!m.fit.separation && QuasiSeparated(m.fit, &quasi_term)) {
    m.fit.separation = true;
    m.warnings.push_back("term '" + quasi_term + "' has a huge estimate and standard error: "
                         "quasi-complete separation");
  }
  if (m.fit.separation) {
    m.warnings.push_back("the multivariable model separates the outcome (MLE does not exist)");
    if (options.firth_on_separation) {
      lo.firth = true;
      AMDRN_ASSIGN_OR_RETURN(m.fit, FitVariables(d, y, current, lo));
      m.warnings.push_back("refitted with Firth's penalised likelihood");
    }
  }
  std::vector<std::string> var_of;
  for (int c : ColumnsOf(d, current)) var_of.push_back(spec.variables[d.variable_of[c]].name);
  m.multivariable = TermRows(m.fit, var_of);
  for (int v : current) m.design.variables.push_back(spec.variables[v]);
  m.design.missing = spec.missing;
  return m;
}

}  // namespace amdrn::stats
