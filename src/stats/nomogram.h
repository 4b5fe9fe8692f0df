// rms-style nomogram of a logistic model (rms 6.5 nomogram() defaults: maxscale 100,
// nint 10, datadist limits = training min/max, variables with <= 10 distinct training values
// shown at those values): per-predictor point axes, the total-points axis, the linear
// predictor axis and the risk axis, plus each patient's points breakdown. Axis ticks come
// from R's pretty(), so they are the ticks R users see. Pure functions, thread-safe.
#ifndef AMDRN_STATS_NOMOGRAM_H_
#define AMDRN_STATS_NOMOGRAM_H_

#include <string>
#include <vector>

#include "core/status.h"

namespace amdrn::stats {

// One model term as the nomogram sees it.
struct NomogramTermInput {
  std::string name;
  bool categorical = false;
  // Numeric: the coefficient and the training values (their range and distinct values set
  // the axis).
  double coefficient = 0;
  std::vector<double> training_values;
  // Categorical: every level (reference first) and its coefficient (reference 0).
  std::vector<std::string> levels;
  std::vector<double> level_coefficients;
};

struct NomogramOptions {
  double max_scale = 100;        // points of the widest predictor
  int nint = 10;                 // pretty() n for every axis
  int discrete_max_unique = 10;  // datadist n.unique: at most this many values -> shown as is
  // Risk-axis ticks; empty = pretty(plogis(range(lp.at)), n = nint) as rms.
  std::vector<double> fun_at;
  // lp axis ticks; empty = pretty(range(training linear predictor), n = nint) as rms.
  std::vector<double> lp_at;
};

struct NomogramAxis {
  std::string name;
  bool categorical = false;
  std::vector<double> values;       // numeric axis values (pretty ticks or distinct values)
  std::vector<std::string> labels;  // tick labels (levels for categorical)
  std::vector<double> term;         // coefficient * value (log-odds contribution)
  std::vector<double> points;       // scale * (term - min term)
};

struct Nomogram {
  std::vector<NomogramAxis> predictors;
  double max_scale = 100;        // points of the widest predictor
  double scale = 0;              // points per logit unit (rms info$sc)
  double shifted_intercept = 0;  // beta0 + sum of per-axis minimum terms (rms info$Intercept)
  std::vector<double> total_points_ticks;
  std::vector<double> lp_ticks, lp_tick_points;      // lp values and their total points
  std::vector<double> risk_ticks, risk_tick_points;  // probabilities and their total points
};

// Builds the nomogram of P(y) = plogis(intercept + sum of terms). `training_lp` is the fitted
// linear predictor of the training patients (for rms's default lp axis). Errors:
// InvalidArgument for no terms, empty or non-finite training values, a categorical term with
// mismatched level/coefficient lists, or non-finite coefficients; FailedPrecondition when
// every term has zero range (no axis can span the points scale).
StatusOr<Nomogram> BuildNomogram(double intercept, const std::vector<NomogramTermInput>& terms,
                                 const std::vector<double>& training_lp,
                                 const NomogramOptions& options = {});

// One patient's value of a term: numeric value, or the level for categorical terms.
struct NomogramValue {
  double number = 0;
  std::string level;
};

struct PatientPoints {
  std::vector<double> points;  // per predictor, in nomogram order
  double total_points = 0;
  double linear_predictor = 0;  // shifted_intercept + total_points / scale
  double probability = 0;
  bool outside_axis = false;  // a value lies outside its axis (points beyond the drawn range)
};

// Points of one patient (rms: sc * (beta x - min term)). Errors: InvalidArgument for a value
// count mismatch, a non-finite number or an unknown level.
StatusOr<PatientPoints> ScorePatient(const Nomogram& nomogram,
                                     const std::vector<NomogramTermInput>& terms,
                                     const std::vector<NomogramValue>& values);

// R's plogis.
double Plogis(double x);

}  // namespace amdrn::stats

#endif  // AMDRN_STATS_NOMOGRAM_H_
