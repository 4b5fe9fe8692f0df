// The evaluation report clinicians read for each model score of a cohort: ROC with DeLong
// AUC CI, the cut-off (fixed from training, or the Youden optimum of this cohort, flagged),
// metrics with CIs at that cut-off, and for probability scores calibration (val.prob, HL,
// smoothed and grouped curves) and the decision curve; written as CSV/JSON plus SVG figures.
// Functions are pure apart from WriteEvaluation's file output; thread-safe.
#ifndef AMDRN_STATS_EVALUATION_H_
#define AMDRN_STATS_EVALUATION_H_

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "stats/calibration.h"
#include "stats/decision_curve.h"
#include "stats/roc.h"

namespace amdrn::stats {

struct EvaluateOptions {
  // Cut-offs fixed on training data, by score name; scores without one get this cohort's
  // Youden cut-off, reported with cutoff_source "youden_this_cohort" (optimistic).
  std::map<std::string, double> fixed_cutoffs;
  double conf_level = 0.95;
  int f1_bootstrap = 2000;
  uint64_t seed = 20240607;
  int hl_groups = 10;
  std::vector<double> dca_thresholds = DefaultDecisionThresholds();
};

struct ScoreEvaluation {
  std::string name;
  int n = 0;
  RocCurve roc;
  AucResult auc;
  double cutoff = 0;
  std::string cutoff_source;  // "fixed" or "youden_this_cohort"
  CutoffMetrics metrics;
  bool is_probability = false;  // every value in [0, 1]: calibration and DCA computed
  std::optional<ValProbResult> valprob;
  std::optional<HosmerLemeshowResult> hosmer_lemeshow;
  Curve smooth_calibration;  // lowess(p, y, iter = 0) on a 0.01..0.99 grid
  std::vector<DecisionCurvePoint> decision_curve;
  std::vector<std::string> warnings;  // e.g. calibration skipped and why
};

// Evaluates one score. Errors: those of ComputeAucDelong / MetricsAtCutoff (missing or
// non-finite scores, one class, a class of one patient). Calibration problems (e.g. a single
// predicted value) become warnings, not errors.
StatusOr<ScoreEvaluation> EvaluateScore(const std::string& name, const std::vector<double>& outcome,
                                        const std::vector<double>& score,
                                        const EvaluateOptions& options = {});

nlohmann::json EvaluationToJson(const ScoreEvaluation& e);

// Writes into `dir` (created if needed): metrics.csv (one row per score), evaluation.json,
// cutoffs.csv (score,cutoff: reusable with --cutoff-from), roc_<score>.csv, roc.svg, and for
// probability scores calibration_<score>.csv, calibration_groups_<score>.csv,
// calibration_<score>.svg, decision_curve.csv and decision_curve.svg. `title` labels figures.
Status WriteEvaluation(const std::vector<ScoreEvaluation>& results, const std::string& title,
                       const std::string& dir);

}  // namespace amdrn::stats

#endif  // AMDRN_STATS_EVALUATION_H_
