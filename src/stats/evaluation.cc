#include "stats/evaluation.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/csv.h"
#include "core/file_util.h"
#include "stats/svg.h"

namespace amdrn::stats {
namespace {

nlohmann::json Num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

nlohmann::json ProportionJson(const Proportion& p) {
  return {{"estimate", Num(p.estimate)},
          {"ci_lower", Num(p.ci_lower)},
          {"ci_upper", Num(p.ci_upper)},
          {"numerator", p.numerator},
          {"denominator", p.denominator}};
}

void AddCalibration(const std::vector<double>& outcome, const std::vector<double>& score,
                    const EvaluateOptions& options, ScoreEvaluation* e) {
  StatusOr<ValProbResult> vp = ValidateProbabilities(outcome, score);
  if (vp.ok())
    e->valprob = *vp;
  else
    e->warnings.push_back("calibration statistics skipped: " + vp.status().message());
  StatusOr<HosmerLemeshowResult> hl = HosmerLemeshow(outcome, score, options.hl_groups);
  if (hl.ok())
    e->hosmer_lemeshow = *hl;
  else
    e->warnings.push_back("Hosmer-Lemeshow skipped: " + hl.status().message());
  std::vector<double> grid;
  for (int k = 1; k <= 99; ++k) grid.push_back(k / 100.0);
  StatusOr<Curve> smooth = SmoothCalibrationCurve(outcome, score, grid);
  if (smooth.ok()) e->smooth_calibration = *smooth;
  StatusOr<std::vector<DecisionCurvePoint>> dca =
      DecisionCurve(outcome, score, options.dca_thresholds);
  if (dca.ok())
    e->decision_curve = *dca;
  else
    e->warnings.push_back("decision curve skipped: " + dca.status().message());
}

}  // namespace

StatusOr<ScoreEvaluation> EvaluateScore(const std::string& name, const std::vector<double>& outcome,
                                        const std::vector<double>& score,
                                        const EvaluateOptions& options) {
  ScoreEvaluation e;
  e.name = name;
  e.n = outcome.size();
  const auto context = [&](const Status& s) { return s.WithContext("score '" + name + "'"); };
  StatusOr<RocCurve> roc = ComputeRoc(outcome, score);
  if (!roc.ok()) return context(roc.status());
  e.roc = *roc;
  StatusOr<AucResult> auc = ComputeAucDelong(outcome, score, options.conf_level);
  if (!auc.ok()) return context(auc.status());
  e.auc = *auc;
  e.warnings = auc->warnings;
  const auto fixed = options.fixed_cutoffs.find(name);
  if (fixed != options.fixed_cutoffs.end()) {
    e.cutoff = fixed->second;
    e.cutoff_source = "fixed";
  } else {
    e.cutoff = YoudenOptima(e.roc).front().threshold;
    e.cutoff_source = "youden_this_cohort";
    e.warnings.push_back(
        "cut-off chosen on this cohort (Youden): metrics are optimistic; fix "
        "it on training data with --cutoff-from");
  }
  CutoffOptions cut;
  cut.conf_level = options.conf_level;
  cut.f1_bootstrap = options.f1_bootstrap;
  cut.seed = options.seed;
  StatusOr<CutoffMetrics> metrics = MetricsAtCutoff(outcome, score, e.cutoff, cut);
  if (!metrics.ok()) return context(metrics.status());
  e.metrics = *metrics;
  e.is_probability =
      std::all_of(score.begin(), score.end(), [](double p) { return p >= 0 && p <= 1; });
  if (e.is_probability) {
    AddCalibration(outcome, score, options, &e);
  } else {
    e.warnings.push_back(
        "calibration and decision curve skipped: the score is not a "
        "probability (values outside [0, 1])");
  }
  return e;
}

nlohmann::json EvaluationToJson(const ScoreEvaluation& e) {
  nlohmann::json j = {
      {"score", e.name},
      {"n", e.n},
      {"n_cases", e.auc.n_cases},
      {"n_controls", e.auc.n_controls},
      {"auc",
       {{"estimate", e.auc.auc},
        {"se", e.auc.se},
        {"ci_lower", e.auc.ci_lower},
        {"ci_upper", e.auc.ci_upper},
        {"method", "DeLong"},
        {"conf_level", e.auc.conf_level}}},
      {"cutoff",
       {{"value", Num(e.cutoff)}, {"source", e.cutoff_source}, {"rule", "score >= cutoff"}}},
      {"sensitivity", ProportionJson(e.metrics.sensitivity)},
      {"specificity", ProportionJson(e.metrics.specificity)},
      {"ppv", ProportionJson(e.metrics.ppv)},
      {"npv", ProportionJson(e.metrics.npv)},
      {"accuracy", ProportionJson(e.metrics.accuracy)},
      {"f1",
       {{"estimate", Num(e.metrics.f1)},
        {"ci_lower", Num(e.metrics.f1_ci_lower)},
        {"ci_upper", Num(e.metrics.f1_ci_upper)},
        {"bootstrap_replicates", e.metrics.f1_bootstrap_replicates}}},
      {"confusion",
       {{"tp", e.metrics.tp}, {"fp", e.metrics.fp}, {"tn", e.metrics.tn}, {"fn", e.metrics.fn}}},
      {"warnings", e.warnings}};
  if (e.valprob) {
    const ValProbResult& v = *e.valprob;
    j["calibration"] = {{"intercept", v.intercept},
                        {"slope", v.slope},
                        {"calibration_in_the_large", v.calibration_in_the_large},
                        {"brier", v.brier},
                        {"emax", v.emax},
                        {"e90", v.e90},
                        {"eavg", v.eavg},
                        {"r2_nagelkerke", v.r2},
                        {"d", v.d},
                        {"u", v.u},
                        {"u_p", v.u_p},
                        {"q", v.q},
                        {"spiegelhalter_z", v.spiegelhalter_z},
                        {"spiegelhalter_p", v.spiegelhalter_p},
                        {"warnings", v.warnings}};
  }
  if (e.hosmer_lemeshow) {
    const HosmerLemeshowResult& h = *e.hosmer_lemeshow;
    j["hosmer_lemeshow"] = {{"chi_square", h.chi_square},
                            {"df", h.df},
                            {"p_value", h.p_value},
                            {"groups", h.groups},
                            {"groups_requested", h.groups_requested}};
  }
  return j;
}

namespace {

std::string F(double v) { return FormatDouble(v); }

std::string SafeName(const std::string& s) {
  std::string out;
  for (char c : s)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') ? c : '_';
  return out;
}

CsvTable MetricsTable(const std::vector<ScoreEvaluation>& results) {
  CsvTable t({"score",
              "n",
              "auc",
              "auc_ci_lower",
              "auc_ci_upper",
              "cutoff",
              "cutoff_source",
              "sensitivity",
              "sens_ci_lower",
              "sens_ci_upper",
              "specificity",
              "spec_ci_lower",
              "spec_ci_upper",
              "ppv",
              "ppv_ci_lower",
              "ppv_ci_upper",
              "npv",
              "npv_ci_lower",
              "npv_ci_upper",
              "accuracy",
              "acc_ci_lower",
              "acc_ci_upper",
              "f1",
              "f1_ci_lower",
              "f1_ci_upper",
              "brier",
              "cal_intercept",
              "cal_slope",
              "hl_chi_square",
              "hl_p"});
  for (const ScoreEvaluation& e : results) {
    const CutoffMetrics& m = e.metrics;
    std::vector<std::string> row = {
        e.name,      std::to_string(e.n), F(e.auc.auc), F(e.auc.ci_lower), F(e.auc.ci_upper),
        F(e.cutoff), e.cutoff_source};
    for (const Proportion* p : {&m.sensitivity, &m.specificity, &m.ppv, &m.npv, &m.accuracy}) {
      row.insert(row.end(), {F(p->estimate), F(p->ci_lower), F(p->ci_upper)});
    }
    row.insert(row.end(), {F(m.f1), F(m.f1_ci_lower), F(m.f1_ci_upper)});
    const double nan = std::nan("");
    row.push_back(F(e.valprob ? e.valprob->brier : nan));
    row.push_back(F(e.valprob ? e.valprob->intercept : nan));
    row.push_back(F(e.valprob ? e.valprob->slope : nan));
    row.push_back(F(e.hosmer_lemeshow ? e.hosmer_lemeshow->chi_square : nan));
    row.push_back(F(e.hosmer_lemeshow ? e.hosmer_lemeshow->p_value : nan));
    (void)t.AddRow(row);
  }
  return t;
}

Status WriteScoreFiles(const ScoreEvaluation& e, const std::string& title, const std::string& dir) {
  const std::string base = dir + "/";
  const std::string name = SafeName(e.name);
  CsvTable roc({"threshold", "sensitivity", "specificity"});
  for (const RocPoint& p : e.roc.points) {
    (void)roc.AddRow({F(p.threshold), F(p.sensitivity), F(p.specificity)});
  }
  AMDRN_RETURN_IF_ERROR(WriteCsv(base + "roc_" + name + ".csv", roc));
  if (!e.is_probability) return OkStatus();
  CsvTable smooth({"predicted", "observed_lowess"});
  for (size_t k = 0; k < e.smooth_calibration.x.size(); ++k) {
    (void)smooth.AddRow({F(e.smooth_calibration.x[k]), F(e.smooth_calibration.y[k])});
  }
  AMDRN_RETURN_IF_ERROR(WriteCsv(base + "calibration_" + name + ".csv", smooth));
  CalibrationPlot plot;
  plot.title = title + ": " + e.name;
  plot.apparent = e.smooth_calibration;
  if (e.hosmer_lemeshow) {
    plot.groups = e.hosmer_lemeshow->table;
    CsvTable groups({"lower", "upper", "n", "observed_events", "expected_events", "mean_predicted",
                     "observed_rate", "observed_ci_lower", "observed_ci_upper"});
    for (const CalibrationGroup& g : plot.groups) {
      (void)groups.AddRow({F(g.lower), F(g.upper), std::to_string(g.n), F(g.observed_events),
                           F(g.expected_events), F(g.mean_predicted), F(g.observed_rate),
                           F(g.observed_ci_lower), F(g.observed_ci_upper)});
    }
    AMDRN_RETURN_IF_ERROR(WriteCsv(base + "calibration_groups_" + name + ".csv", groups));
  }
  return WriteFileAtomic(base + "calibration_" + name + ".svg", CalibrationSvg(plot));
}

Status WriteDecisionCurves(const std::vector<ScoreEvaluation>& results, const std::string& title,
                           const std::string& dir) {
  std::vector<DecisionSeries> series;
  CsvTable t({"score", "threshold", "net_benefit", "treat_all", "treat_none",
              "standardized_net_benefit", "interventions_avoided_per_100", "tp", "fp"});
  for (const ScoreEvaluation& e : results) {
    if (e.decision_curve.empty()) continue;
    series.push_back({e.name, e.decision_curve});
    for (const DecisionCurvePoint& p : e.decision_curve) {
      (void)t.AddRow({e.name, F(p.threshold), F(p.net_benefit), F(p.treat_all), F(p.treat_none),
                      F(p.standardized_net_benefit), F(p.interventions_avoided_per_100),
                      std::to_string(p.tp), std::to_string(p.fp)});
    }
  }
  if (series.empty()) return OkStatus();
  AMDRN_RETURN_IF_ERROR(WriteCsv(dir + "/decision_curve.csv", t));
  return WriteFileAtomic(dir + "/decision_curve.svg",
                         DecisionCurveSvg(series, title + ": decision curve"));
}

}  // namespace

Status WriteEvaluation(const std::vector<ScoreEvaluation>& results, const std::string& title,
                       const std::string& dir) {
  AMDRN_RETURN_IF_ERROR(MakeDirectories(dir));
  nlohmann::json all = nlohmann::json::array();
  CsvTable cutoffs({"score", "cutoff"});
  std::vector<RocSeries> roc_series;
  for (const ScoreEvaluation& e : results) {
    all.push_back(EvaluationToJson(e));
    (void)cutoffs.AddRow({e.name, F(e.cutoff)});
    roc_series.push_back({e.name, e.roc, e.auc});
    AMDRN_RETURN_IF_ERROR(WriteScoreFiles(e, title, dir));
  }
  AMDRN_RETURN_IF_ERROR(WriteFileAtomic(dir + "/evaluation.json", all.dump(2) + "\n"));
  AMDRN_RETURN_IF_ERROR(WriteCsv(dir + "/metrics.csv", MetricsTable(results)));
  AMDRN_RETURN_IF_ERROR(WriteCsv(dir + "/cutoffs.csv", cutoffs));
  AMDRN_RETURN_IF_ERROR(WriteFileAtomic(dir + "/roc.svg", RocSvg(roc_series, title + ": ROC")));
  return WriteDecisionCurves(results, title, dir);
}

}  // namespace amdrn::stats
