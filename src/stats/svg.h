// Publication-style SVG figures of the evaluation results, written by amdrn itself: ROC
// curves with AUC (95 % CI) legends, calibration plots (ideal / apparent / bias-corrected,
// grouped observed rates), decision curves (models, treat-all, treat-none) and the rms-style
// nomogram. Output is deterministic: fixed sizes, fixed palette, coordinates printed with two
// decimals and tick labels with the shortest round text. Pure functions, thread-safe.
#ifndef AMDRN_STATS_SVG_H_
#define AMDRN_STATS_SVG_H_

#include <string>
#include <vector>

#include "stats/calibration.h"
#include "stats/decision_curve.h"
#include "stats/eval_pretty.h"
#include "stats/nomogram.h"
#include "stats/roc.h"

namespace amdrn::stats {

struct RocSeries {
  std::string label;  // e.g. "Nomogram"
  RocCurve curve;
  AucResult auc;
};

// ROC curves (x = 1 - specificity, y = sensitivity) with the chance diagonal.
std::string RocSvg(const std::vector<RocSeries>& series, const std::string& title);

struct CalibrationPlot {
  std::string title;
  Curve apparent;                        // e.g. lowess at a grid, or rms calibrated.orig
  Curve corrected;                       // optional bias-corrected curve (empty = none)
  std::vector<CalibrationGroup> groups;  // optional grouped observed rates with Wilson CIs
  std::vector<double> predicted;         // optional rug of predicted probabilities
};

// Calibration plot on [0, 1] x [0, 1] with the ideal diagonal.
std::string CalibrationSvg(const CalibrationPlot& plot);

struct DecisionSeries {
  std::string label;
  std::vector<DecisionCurvePoint> points;
};

// Net benefit against threshold probability for each model, plus treat-all (from the first
// series) and treat-none. The y axis runs from -0.05 to just above the prevalence.
std::string DecisionCurveSvg(const std::vector<DecisionSeries>& series, const std::string& title);

// The nomogram: Points axis, one axis per predictor, Total Points, Linear Predictor, Risk.
std::string NomogramSvg(const Nomogram& nomogram, const std::string& risk_label);

}  // namespace amdrn::stats

#endif  // AMDRN_STATS_SVG_H_
