// ROC analysis as pROC 1.18 does it with direction "<" and levels c(0, 1) (a higher score
// means a case is more likely; never auto-flipped): the ROC curve at midpoint thresholds,
// AUC with DeLong variance and CI (ci.auc, method "delong"), the paired DeLong test of two
// scores on the same patients (roc.test), Youden cut-offs (coords "best") and the
// classification metrics clinicians read at a fixed cut-off. Pure functions, thread-safe.
#ifndef AMDRN_STATS_ROC_H_
#define AMDRN_STATS_ROC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace amdrn::stats {

// Checks an outcome/score pair: equal sizes, outcome exactly 0 or 1, every score finite, at
// least one case (1) and one control (0). `what` names the score in error messages.
Status CheckBinaryScores(const std::vector<double>& outcome, const std::vector<double>& score,
                         const std::string& what);

struct RocPoint {
  double threshold = 0;  // positive when score >= threshold
  double sensitivity = 0;
  double specificity = 0;
};

struct RocCurve {
  // Ascending thresholds: -Inf, midpoints between consecutive distinct scores, +Inf.
  std::vector<RocPoint> points;
  int n_cases = 0;
  int n_controls = 0;
};

// pROC roc(outcome, score, levels = c(0, 1), direction = "<"). Errors: CheckBinaryScores.
StatusOr<RocCurve> ComputeRoc(const std::vector<double>& outcome, const std::vector<double>& score);

// AUC alone (Mann-Whitney, ties 1/2), O(N log N). Errors: CheckBinaryScores.
StatusOr<double> ComputeAuc(const std::vector<double>& outcome, const std::vector<double>& score);

struct AucResult {
  double auc = 0;       // Mann-Whitney theta, ties count 1/2
  double variance = 0;  // DeLong: S10/m + S01/n
  double se = 0;        // sqrt(variance)
  double ci_lower = 0;  // auc -/+ qnorm((1 + conf_level) / 2) * se, clipped to [0, 1]
  double ci_upper = 0;
  double conf_level = 0.95;
  int n_cases = 0;
  int n_controls = 0;
  std::vector<std::string> warnings;  // e.g. a class with fewer than 8 patients
};

// AUC with DeLong variance and CI (pROC ci.auc(method = "delong")), O(N log N).
// Errors: CheckBinaryScores; FailedPrecondition when a class has a single patient (the DeLong
// variance is 0/0 there, pROC returns NaN).
StatusOr<AucResult> ComputeAucDelong(const std::vector<double>& outcome,
                                     const std::vector<double>& score, double conf_level = 0.95);

struct PairedDelongResult {
  double auc1 = 0, auc2 = 0;
  double difference = 0;  // auc1 - auc2
  double se = 0;          // sqrt(L S L'), L = (1, -1)
  double z = 0;           // difference / se; 0 when both are 0 (identical curves)
  double p_value = 1;     // two-sided
  double ci_lower = 0;    // difference -/+ qnorm((1 + conf_level) / 2) * se
  double ci_upper = 0;
  double correlation = 0;  // correlation of the two AUC estimates
  double conf_level = 0.95;
};

// Paired DeLong test (pROC roc.test(method = "delong", paired = TRUE)) of two scores of the
// same patients. Errors: as ComputeAucDelong for each score; InvalidArgument on size mismatch.
StatusOr<PairedDelongResult> PairedDelongTest(const std::vector<double>& outcome,
                                              const std::vector<double>& score1,
                                              const std::vector<double>& score2,
                                              double conf_level = 0.95);

// All thresholds maximising sensitivity + specificity (pROC coords(roc, "best",
// best.method = "youden"), tied optima all returned, ascending). Ties are decided exactly on
// counts (tp * n_controls + tn * n_cases), not on rounded doubles.
std::vector<RocPoint> YoudenOptima(const RocCurve& curve);

// The cut-off amdrn fixes on training data: the first (lowest) Youden optimum, i.e. pROC's
// coords(...)[1, ] — among tied optima the most sensitive one.
StatusOr<double> YoudenCutoff(const std::vector<double>& outcome, const std::vector<double>& score);

struct Proportion {
  double estimate = 0;  // NaN when the denominator is 0
  double ci_lower = 0;  // Wilson score interval (R: prop.test(x, n, correct = FALSE))
  double ci_upper = 0;
  int64_t numerator = 0;
  int64_t denominator = 0;
};

// x / n with its Wilson score CI at `conf_level`.
Proportion WilsonProportion(int64_t x, int64_t n, double conf_level = 0.95);

struct CutoffMetrics {
  double cutoff = 0;
  int64_t tp = 0, fp = 0, tn = 0, fn = 0;
  Proportion sensitivity, specificity, ppv, npv, accuracy;
  double balanced_accuracy = 0;
  double f1 = 0;           // 2 TP / (2 TP + FP + FN); NaN when TP + FP + FN = 0
  double f1_ci_lower = 0;  // percentile bootstrap (resampling patients), NaN if not run
  double f1_ci_upper = 0;
  int f1_bootstrap_replicates = 0;
};

struct CutoffOptions {
  double conf_level = 0.95;
  int f1_bootstrap = 2000;   // 0 = no F1 CI
  uint64_t seed = 20240607;  // bootstrap seed (amdrn's own generator, not R's)
};

// Classification metrics with positive = score >= cutoff. Errors: CheckBinaryScores.
StatusOr<CutoffMetrics> MetricsAtCutoff(const std::vector<double>& outcome,
                                        const std::vector<double>& score, double cutoff,
                                        const CutoffOptions& options = {});

}  // namespace amdrn::stats

#endif  // AMDRN_STATS_ROC_H_
