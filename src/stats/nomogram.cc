#include "stats/nomogram.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "stats/eval_lowess.h"
#include "stats/eval_pretty.h"

namespace amdrn::stats {
namespace {

// seq(from, to, length.out = count) as R's seq.default computes it (count > 2).
std::vector<double> SeqLength(double from, double to, int count) {
  std::vector<double> s(count, from);
  if (from == to) return s;
  const double by = (to - from) / (count - 1);
  for (int i = 1; i < count - 1; ++i) s[i] = from + i * by;
  s[count - 1] = to;
  return s;
}

Status CheckTerm(const NomogramTermInput& t) {
  if (t.categorical) {
    if (t.levels.empty() || t.levels.size() != t.level_coefficients.size()) {
      return InvalidArgumentError("expected one coefficient per level of '" + t.name + "', found " +
                                  std::to_string(t.level_coefficients.size()) + " for " +
                                  std::to_string(t.levels.size()) + " levels");
    }
    for (double c : t.level_coefficients) {
      if (!std::isfinite(c)) {
        return InvalidArgumentError("expected finite coefficients for '" + t.name + "'");
      }
    }
    return OkStatus();
  }
  if (!std::isfinite(t.coefficient)) {
    return InvalidArgumentError("expected a finite coefficient for '" + t.name + "', found " +
                                std::to_string(t.coefficient));
  }
  if (t.training_values.empty()) {
    return InvalidArgumentError("expected training values for '" + t.name + "', found none");
  }
  for (double v : t.training_values) {
    if (!std::isfinite(v)) {
      return InvalidArgumentError("expected finite training values for '" + t.name +
                                  "', found a missing or infinite one");
    }
  }
  return OkStatus();
}

// Axis values and contributions of one term (rms value.chk with type.range = "full").
NomogramAxis MakeAxis(const NomogramTermInput& t, const NomogramOptions& options) {
  NomogramAxis axis;
  axis.name = t.name;
  axis.categorical = t.categorical;
  if (t.categorical) {
    axis.labels = t.levels;
    axis.term = t.level_coefficients;
    return axis;
  }
  std::vector<double> distinct = t.training_values;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  if (static_cast<int>(distinct.size()) <= options.discrete_max_unique) {
    axis.values = distinct;
  } else {
    PrettyOptions pretty;
    pretty.n = options.nint;
    axis.values = Pretty(distinct.front(), distinct.back(), pretty);
  }
  for (double v : axis.values) {
    axis.labels.push_back(FormatTick(v));
    axis.term.push_back(t.coefficient * v);
  }
  return axis;
}

// rms's risk axis: fun.at ticks placed by inverting plogis on a 1000-point lp grid.
void RiskAxis(const NomogramOptions& options, Nomogram* nom) {
  const double lp_min = *std::min_element(nom->lp_ticks.begin(), nom->lp_ticks.end());
  const double lp_max = *std::max_element(nom->lp_ticks.begin(), nom->lp_ticks.end());
  std::vector<double> fat = options.fun_at;
  if (fat.empty()) {
    PrettyOptions pretty;
    pretty.n = options.nint;
    fat = Pretty(Plogis(lp_min), Plogis(lp_max), pretty);
  }
  Curve inverse;
  inverse.y = SeqLength(lp_min, lp_max, 1000);
  for (double lp : inverse.y) inverse.x.push_back(Plogis(lp));
  const std::vector<double> w = ApproxLinear(inverse, fat, ApproxTies::kMean);
  for (size_t k = 0; k < fat.size(); ++k) {
    if (std::isnan(w[k]) || std::isnan(fat[k])) continue;
    nom->risk_ticks.push_back(fat[k]);
    nom->risk_tick_points.push_back((w[k] - nom->shifted_intercept) * nom->scale);
  }
}

}  // namespace

double Plogis(double x) { return 1 / (1 + std::exp(-x)); }

StatusOr<Nomogram> BuildNomogram(double intercept, const std::vector<NomogramTermInput>& terms,
                                 const std::vector<double>& training_lp,
                                 const NomogramOptions& options) {
  if (terms.empty()) return InvalidArgumentError("expected at least one model term, found none");
  if (!std::isfinite(intercept)) return InvalidArgumentError("expected a finite intercept");
  for (const NomogramTermInput& t : terms) AMDRN_RETURN_IF_ERROR(CheckTerm(t));
  Nomogram nom;
  double widest = 0;
  for (const NomogramTermInput& t : terms) {
    nom.predictors.push_back(MakeAxis(t, options));
    const auto& term = nom.predictors.back().term;
    widest = std::max(widest, *std::max_element(term.begin(), term.end()) -
                                  *std::min_element(term.begin(), term.end()));
  }
  if (!(widest > 0)) {
    return FailedPreconditionError(
        "expected at least one predictor whose contribution varies, "
        "found every axis flat (zero coefficients or constant values)");
  }
  nom.max_scale = options.max_scale;
  nom.scale = options.max_scale / widest;
  nom.shifted_intercept = intercept;
  for (NomogramAxis& axis : nom.predictors) {
    const double min_term = *std::min_element(axis.term.begin(), axis.term.end());
    nom.shifted_intercept += min_term;
    for (double c : axis.term) axis.points.push_back((c - min_term) * nom.scale);
  }
  PrettyOptions pretty;
  pretty.n = options.nint;
  nom.lp_ticks = options.lp_at.empty() ? PrettyOfRange(training_lp, pretty) : options.lp_at;
  if (nom.lp_ticks.empty()) {
    return InvalidArgumentError("expected a finite training linear predictor for the lp axis");
  }
  double sum_max = options.max_scale;
  if (terms.size() > 1) {
    for (double lp : nom.lp_ticks) {
      sum_max = std::max(sum_max, nom.scale * (lp - nom.shifted_intercept));
    }
  }
  nom.total_points_ticks = Pretty(0, sum_max, pretty);
  for (double lp : nom.lp_ticks) {
    nom.lp_tick_points.push_back((lp - nom.shifted_intercept) * nom.scale);
  }
  RiskAxis(options, &nom);
  return nom;
}

StatusOr<PatientPoints> ScorePatient(const Nomogram& nomogram,
                                     const std::vector<NomogramTermInput>& terms,
                                     const std::vector<NomogramValue>& values) {
  if (values.size() != terms.size() || terms.size() != nomogram.predictors.size()) {
    return InvalidArgumentError("expected " + std::to_string(terms.size()) +
                                " predictor values, found " + std::to_string(values.size()));
  }
  PatientPoints p;
  for (size_t j = 0; j < terms.size(); ++j) {
    const NomogramAxis& axis = nomogram.predictors[j];
    const double min_term = *std::min_element(axis.term.begin(), axis.term.end());
    double term;
    if (terms[j].categorical) {
      const auto it = std::find(terms[j].levels.begin(), terms[j].levels.end(), values[j].level);
      if (it == terms[j].levels.end()) {
        return InvalidArgumentError("expected a known level of '" + terms[j].name + "', found '" +
                                    values[j].level + "'");
      }
      term = terms[j].level_coefficients[it - terms[j].levels.begin()];
    } else {
      if (!std::isfinite(values[j].number)) {
        return InvalidArgumentError("expected a finite value of '" + terms[j].name + "'");
      }
      term = terms[j].coefficient * values[j].number;
      p.outside_axis |=
          values[j].number < axis.values.front() || values[j].number > axis.values.back();
    }
    p.points.push_back((term - min_term) * nomogram.scale);
    p.total_points += p.points.back();
  }
  p.linear_predictor = nomogram.shifted_intercept + p.total_points / nomogram.scale;
  p.probability = Plogis(p.linear_predictor);
  return p;
}

}  // namespace amdrn::stats
