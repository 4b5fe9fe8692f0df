// Small metrics the DL trainer needs for early stopping (no LibTorch). Reported figures use
// stats/ (ROC with DeLong CI); this AUC is the same Mann-Whitney statistic without the CI.
// Thread-safe: pure functions.
#ifndef AMDRN_DL_METRICS_H_
#define AMDRN_DL_METRICS_H_

#include <vector>

namespace amdrn::dl {

// AUC = P(score of a positive > score of a negative) + 0.5 P(tie), higher score = positive.
// NaN when either class is absent. Requires: scores.size() == labels.size(), labels 0/1.
double MannWhitneyAuc(const std::vector<double>& scores, const std::vector<int>& labels);

// Share of cases with (score >= threshold) == label.
double Accuracy(const std::vector<double>& scores, const std::vector<int>& labels,
                double threshold);

}  // namespace amdrn::dl

#endif  // AMDRN_DL_METRICS_H_
