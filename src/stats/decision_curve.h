// Decision curve analysis (Vickers & Elkin 2006; dcurves semantics): net benefit of treating
// patients whose predicted risk is >= a threshold probability, against treat-all and
// treat-none, over a threshold grid. Pure functions, thread-safe.
#ifndef AMDRN_STATS_DECISION_CURVE_H_
#define AMDRN_STATS_DECISION_CURVE_H_

#include <cstdint>
#include <vector>

#include "core/status.h"

namespace amdrn::stats {

struct DecisionCurvePoint {
  double threshold = 0;
  int64_t tp = 0, fp = 0;               // patients with p >= threshold, by outcome
  double net_benefit = 0;               // TP/n - FP/n * t / (1 - t)
  double treat_all = 0;                 // prevalence - (1 - prevalence) * t / (1 - t)
  double treat_none = 0;                // always 0
  double standardized_net_benefit = 0;  // net_benefit / prevalence
  // (net_benefit - treat_all) * (1 - t) / t * 100: net interventions avoided per 100
  // patients compared with treating all (dcurves' net_intervention_avoided).
  double interventions_avoided_per_100 = 0;
};

// R seq(0.01, 0.99, by = 0.01): 0.01 + k * 0.01, k = 0..98 (the grid dcurves users know).
std::vector<double> DefaultDecisionThresholds();

// Net benefit at each threshold. Errors: CheckProbabilities (outcome 0/1, p in [0, 1], both
// classes); InvalidArgument for a threshold outside (0, 1) (t = 0 and 1 are undefined).
StatusOr<std::vector<DecisionCurvePoint>> DecisionCurve(const std::vector<double>& outcome,
                                                        const std::vector<double>& prob,
                                                        const std::vector<double>& thresholds);

}  // namespace amdrn::stats

#endif  // AMDRN_STATS_DECISION_CURVE_H_
