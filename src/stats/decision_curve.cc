#include "stats/decision_curve.h"

#include <algorithm>
#include <string>

#include "stats/calibration.h"

namespace amdrn::stats {

std::vector<double> DefaultDecisionThresholds() {
  std::vector<double> t;
  for (int k = 0; k <= 98; ++k) t.push_back(0.01 + k * 0.01);
  return t;
}

StatusOr<std::vector<DecisionCurvePoint>> DecisionCurve(const std::vector<double>& outcome,
                                                        const std::vector<double>& prob,
                                                        const std::vector<double>& thresholds) {
  AMDRN_RETURN_IF_ERROR(CheckProbabilities(outcome, prob));
  for (double t : thresholds) {
    if (!(t > 0 && t < 1)) {
      return InvalidArgumentError("expected decision thresholds strictly between 0 and 1, found " +
                                  std::to_string(t));
    }
  }
  const double n = prob.size();
  double events = 0;
  for (double y : outcome) events += y;
  const double prevalence = events / n;
  std::vector<DecisionCurvePoint> curve;
  for (double t : thresholds) {
    DecisionCurvePoint pt;
    pt.threshold = t;
    for (size_t i = 0; i < prob.size(); ++i) {
      if (prob[i] < t) continue;
      (outcome[i] == 1 ? pt.tp : pt.fp) += 1;
    }
    const double odds = t / (1 - t);
    pt.net_benefit = pt.tp / n - pt.fp / n * odds;
    pt.treat_all = prevalence - (1 - prevalence) * odds;
    pt.standardized_net_benefit = pt.net_benefit / prevalence;
    pt.interventions_avoided_per_100 = (pt.net_benefit - pt.treat_all) / odds * 100;
    curve.push_back(pt);
  }
  return curve;
}

}  // namespace amdrn::stats
