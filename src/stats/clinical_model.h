// The clinical model as clinicians report it: univariable logistic screening of candidate
// variables, then multivariable selection (backward by AIC exactly as R's step(), or
// backward by likelihood-ratio p as drop1(test = "Chisq")), producing the univariable and
// multivariable tables (OR, 95 % CI, p). Factors enter and leave as a whole.
// Pure functions, thread-safe.
#ifndef AMDRN_STATS_CLINICAL_MODEL_H_
#define AMDRN_STATS_CLINICAL_MODEL_H_

#include <string>
#include <vector>

#include "core/csv.h"
#include "stats/design.h"
#include "stats/logistic.h"

namespace amdrn::stats {

enum class Selection { kNone, kBackwardAic, kBackwardP };

struct ClinicalOptions {
  double screen_p = 0.05;  // univariable p below this enters the multivariable model; 1 = all
  Selection selection = Selection::kBackwardAic;
  double stay_p = 0.05;    // kBackwardP: drop the least significant term while p > stay_p
  bool firth_on_separation = false;  // refit the final model with Firth when it separates
  LogisticOptions logistic;          // weights, offset and names are ignored
};

struct TermRow {
  std::string variable, term;
  double estimate = 0, se = 0, odds_ratio = 0, lower = 0, upper = 0, p = 0;
};

struct VariableTest {
  std::string variable;
  int df = 1;
  double p = 1;  // Wald p for one column, likelihood-ratio p for a factor with > 2 levels
};

struct SelectionStep {
  std::string dropped;
  double criterion = 0;  // AIC after the drop (kBackwardAic) or the dropped term's LR p
};

struct ClinicalModel {
  DesignSpec design;                     // the selected variables only
  std::vector<std::string> screened, selected;
  std::vector<VariableTest> univariate_tests;
  std::vector<TermRow> univariate, multivariable;
  std::vector<SelectionStep> steps;
  LogisticFit fit;
  int rows_used = 0, rows_dropped = 0;
  std::vector<std::string> warnings;
};

// Fits the clinical model of `outcome` on `candidates`. Rows are those of the design of all
// candidates (listwise deletion, imputation or refusal per `design_options.missing`).
StatusOr<ClinicalModel> FitClinicalModel(const CsvTable& table, const std::string& outcome,
                                         const std::vector<std::string>& candidates,
                                         const DesignOptions& design_options,
                                         const ClinicalOptions& options);

// The rows of a fit's coefficient table (intercept excluded), `variable` from the design.
std::vector<TermRow> TermRows(const LogisticFit& fit, const std::vector<std::string>& variable_of);

}  // namespace amdrn::stats

#endif  // AMDRN_STATS_CLINICAL_MODEL_H_
