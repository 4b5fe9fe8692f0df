// `amdrn stats evaluate | compare | nomogram`: the evaluation verbs (declared in
// cli/stats_verbs.h, dispatched by cli/stats.cc). They read CSV tables, call the stats
// library's evaluation half and write CSV/JSON/SVG outputs atomically.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/stats_verbs.h"
#include "core/csv.h"
#include "core/file_util.h"
#include "stats/eval_model_nomogram.h"
#include "stats/evaluation.h"
#include "stats/model_io.h"
#include "stats/roc.h"
#include "stats/svg.h"
#include "stats/validate.h"

namespace amdrn::cli {
namespace {

std::vector<std::string> SplitComma(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// Outcome and score columns with the missing-value policy applied (rows with a missing
// outcome or score are refused, or dropped with a count under "listwise").
struct ScoreColumns {
  std::vector<double> outcome;
  std::map<std::string, std::vector<double>> scores;
  int rows_dropped = 0;
};

StatusOr<ScoreColumns> ReadScores(const std::string& path, const std::string& outcome_col,
                                  const std::vector<std::string>& score_cols, bool listwise) {
  AMDRN_ASSIGN_OR_RETURN(const CsvTable table, ReadCsv(path));
  AMDRN_ASSIGN_OR_RETURN(const std::vector<double> y, table.NumericColumn(outcome_col));
  std::vector<std::vector<double>> cols;
  for (const std::string& c : score_cols) {
    AMDRN_ASSIGN_OR_RETURN(std::vector<double> v, table.NumericColumn(c));
    cols.push_back(std::move(v));
  }
  ScoreColumns out;
  for (size_t i = 0; i < y.size(); ++i) {
    bool missing = !std::isfinite(y[i]);
    for (const auto& c : cols) missing |= !std::isfinite(c[i]);
    if (missing && !listwise) {
      return InvalidArgumentError(
          "expected outcome and scores in every row, found a missing or "
          "non-finite value in row " +
          std::to_string(i + 2) + " (use --missing listwise to drop such rows)");
    }
    if (missing) {
      ++out.rows_dropped;
      continue;
    }
    out.outcome.push_back(y[i]);
    for (size_t k = 0; k < cols.size(); ++k) out.scores[score_cols[k]].push_back(cols[k][i]);
  }
  return out;
}

StatusOr<std::map<std::string, double>> ReadCutoffs(const std::string& path) {
  AMDRN_ASSIGN_OR_RETURN(const CsvTable t, ReadCsv(path));
  AMDRN_ASSIGN_OR_RETURN(const std::vector<std::string> names, t.Column("score"));
  AMDRN_ASSIGN_OR_RETURN(const std::vector<double> values, t.NumericColumn("cutoff"));
  std::map<std::string, double> out;
  for (size_t i = 0; i < names.size(); ++i) out[names[i]] = values[i];
  return out;
}

void AddCommonOptions(CLI::App& app, std::string* pred, std::string* outcome,
                      std::string* missing) {
  app.add_option("--pred", *pred, "CSV with the outcome and one column per model score")
      ->required();
  app.add_option("--outcome", *outcome, "0/1 outcome column")->required();
  app.add_option("--missing", *missing, "rows with a missing outcome or score: refuse or listwise")
      ->capture_default_str();
}

}  // namespace

int RunStatsEvaluate(int argc, char** argv) {
  const std::string kCmd = "stats evaluate";
  CLI::App app(
      "Evaluate model scores on one cohort: ROC with DeLong AUC CI, metrics with CIs at "
      "a cut-off, calibration (val.prob, Hosmer-Lemeshow) and decision curves for "
      "probability scores; CSV/JSON tables and SVG figures.");
  std::string pred, outcome, scores, cutoff_from, out, title = "Cohort", missing = "refuse";
  double train_cutoff = NAN;
  int bootstrap = 2000, hl_groups = 10;
  uint64_t seed = 20240607;
  AddCommonOptions(app, &pred, &outcome, &missing);
  app.add_option("--score", scores,
                 "comma-separated score columns (probabilities get "
                 "calibration and decision curves)")
      ->required();
  auto* fixed = app.add_option("--train-cutoff", train_cutoff,
                               "cut-off fixed on training data (all scores); positive = score >= "
                               "cut-off");
  app.add_option("--cutoff-from", cutoff_from,
                 "cutoffs.csv of an earlier `evaluate` run on the "
                 "training cohort (score,cutoff)")
      ->excludes(fixed);
  app.add_option("--out", out, "output folder")->required();
  app.add_option("--title", title, "figure title prefix")->capture_default_str();
  app.add_option("--bootstrap", bootstrap, "bootstrap replicates for the F1 CI (0 = none)")
      ->capture_default_str();
  app.add_option("--seed", seed, "bootstrap seed")->capture_default_str();
  app.add_option("--hl-groups", hl_groups, "Hosmer-Lemeshow groups")->capture_default_str();
  if (int rc = ParseArgs(app, argc, argv); rc >= 0) return rc;

  const std::vector<std::string> names = SplitComma(scores);
  StatusOr<ScoreColumns> cols = ReadScores(pred, outcome, names, missing == "listwise");
  if (!cols.ok()) return ReportError(kCmd, cols.status());
  stats::EvaluateOptions options;
  options.f1_bootstrap = bootstrap;
  options.seed = seed;
  options.hl_groups = hl_groups;
  if (!cutoff_from.empty()) {
    StatusOr<std::map<std::string, double>> c = ReadCutoffs(cutoff_from);
    if (!c.ok()) return ReportError(kCmd, c.status());
    options.fixed_cutoffs = *c;
  } else if (std::isfinite(train_cutoff)) {
    for (const std::string& n : names) options.fixed_cutoffs[n] = train_cutoff;
  }
  std::vector<stats::ScoreEvaluation> results;
  for (const std::string& n : names) {
    StatusOr<stats::ScoreEvaluation> e =
        stats::EvaluateScore(n, cols->outcome, cols->scores[n], options);
    if (!e.ok()) return ReportError(kCmd, e.status());
    for (const std::string& w : e->warnings)
      std::fprintf(stderr, "amdrn %s: warning: %s: %s\n", kCmd.c_str(), n.c_str(), w.c_str());
    std::printf("%s: AUC %.4f (95%% CI %.4f-%.4f), cut-off %s (%s)\n", n.c_str(), e->auc.auc,
                e->auc.ci_lower, e->auc.ci_upper, FormatDouble(e->cutoff).c_str(),
                e->cutoff_source.c_str());
    results.push_back(std::move(*e));
  }
  if (cols->rows_dropped > 0) {
    std::fprintf(stderr, "amdrn %s: %d rows with missing values dropped (listwise)\n", kCmd.c_str(),
                 cols->rows_dropped);
  }
  Status s = stats::WriteEvaluation(results, title, out);
  if (!s.ok()) return ReportError(kCmd, s);
  return kExitOk;
}

int RunStatsCompare(int argc, char** argv) {
  const std::string kCmd = "stats compare";
  CLI::App app(
      "Paired DeLong test (pROC roc.test) between every pair of score columns of the "
      "same patients; prints and optionally writes a CSV table.");
  std::string pred, outcome, scores, out, missing = "refuse";
  double conf = 0.95;
  AddCommonOptions(app, &pred, &outcome, &missing);
  app.add_option("--scores", scores, "comma-separated score columns (at least 2)")->required();
  app.add_option("--out", out, "CSV to write (default: stdout only)");
  app.add_option("--conf-level", conf, "confidence level of the difference CI")
      ->capture_default_str();
  if (int rc = ParseArgs(app, argc, argv); rc >= 0) return rc;
  const std::vector<std::string> names = SplitComma(scores);
  if (names.size() < 2) {
    return ReportError(kCmd, InvalidArgumentError("expected at least 2 --scores, found " +
                                                  std::to_string(names.size())));
  }
  StatusOr<ScoreColumns> cols = ReadScores(pred, outcome, names, missing == "listwise");
  if (!cols.ok()) return ReportError(kCmd, cols.status());
  CsvTable t({"model1", "model2", "auc1", "auc2", "difference", "se", "ci_lower", "ci_upper", "z",
              "p_value", "correlation", "n"});
  for (size_t a = 0; a < names.size(); ++a) {
    for (size_t b = a + 1; b < names.size(); ++b) {
      StatusOr<stats::PairedDelongResult> r = stats::PairedDelongTest(
          cols->outcome, cols->scores[names[a]], cols->scores[names[b]], conf);
      if (!r.ok()) return ReportError(kCmd, r.status().WithContext(names[a] + " vs " + names[b]));
      (void)t.AddRow({names[a], names[b], FormatDouble(r->auc1), FormatDouble(r->auc2),
                      FormatDouble(r->difference), FormatDouble(r->se), FormatDouble(r->ci_lower),
                      FormatDouble(r->ci_upper), FormatDouble(r->z), FormatDouble(r->p_value),
                      FormatDouble(r->correlation), std::to_string(cols->outcome.size())});
    }
  }
  std::fputs(t.ToString().c_str(), stdout);
  if (!out.empty()) {
    Status s = WriteCsv(out, t);
    if (!s.ok()) return ReportError(kCmd, s);
  }
  return kExitOk;
}

namespace {

Status WriteNomogramTables(const stats::ModelNomogram& m, const std::string& dir) {
  const stats::Nomogram& n = m.nomogram;
  CsvTable axes({"axis", "value", "label", "points"});
  for (const stats::NomogramAxis& a : n.predictors) {
    for (size_t k = 0; k < a.points.size(); ++k) {
      (void)axes.AddRow({a.name, a.categorical ? "" : FormatDouble(a.values[k]), a.labels[k],
                         FormatDouble(a.points[k])});
    }
  }
  for (double t : n.total_points_ticks) {
    (void)axes.AddRow({"total_points", FormatDouble(t), stats::FormatTick(t), FormatDouble(t)});
  }
  for (size_t k = 0; k < n.lp_ticks.size(); ++k) {
    (void)axes.AddRow({"linear_predictor", FormatDouble(n.lp_ticks[k]),
                       stats::FormatTick(n.lp_ticks[k]), FormatDouble(n.lp_tick_points[k])});
  }
  for (size_t k = 0; k < n.risk_ticks.size(); ++k) {
    (void)axes.AddRow({"risk", FormatDouble(n.risk_ticks[k]), stats::FormatTick(n.risk_ticks[k]),
                       FormatDouble(n.risk_tick_points[k])});
  }
  AMDRN_RETURN_IF_ERROR(WriteCsv(dir + "/nomogram_axes.csv", axes));
  nlohmann::json j = {{"points_per_logit", n.scale},
                      {"shifted_intercept", n.shifted_intercept},
                      {"max_scale", n.max_scale},
                      {"formula",
                       "lp = shifted_intercept + total_points / points_per_logit; "
                       "risk = 1 / (1 + exp(-lp))"}};
  return WriteFileAtomic(dir + "/nomogram.json", j.dump(2) + "\n");
}

Status WritePatientPoints(const stats::ModelNomogram& m, const stats::LinearModel& model,
                          const CsvTable& table, const std::string& id_col,
                          const std::string& path) {
  AMDRN_ASSIGN_OR_RETURN(const stats::TablePoints tp, stats::ScoreTable(m, model, table));
  std::vector<std::string> header{id_col.empty() ? "row" : id_col};
  for (const auto& a : m.nomogram.predictors) header.push_back(a.name + "_points");
  header.insert(header.end(), {"total_points", "linear_predictor", "probability", "outside_axis"});
  CsvTable out(header);
  const int id_index = id_col.empty() ? -1 : table.ColumnIndex(id_col);
  if (!id_col.empty() && id_index < 0) return NotFoundError("expected id column '" + id_col + "'");
  for (size_t i = 0; i < tp.points.size(); ++i) {
    const int r = tp.rows[i];
    std::vector<std::string> row{id_index >= 0 ? table.rows()[r][id_index] : std::to_string(r + 1)};
    for (double p : tp.points[i].points) row.push_back(FormatDouble(p));
    row.insert(
        row.end(),
        {FormatDouble(tp.points[i].total_points), FormatDouble(tp.points[i].linear_predictor),
         FormatDouble(tp.points[i].probability), tp.points[i].outside_axis ? "1" : "0"});
    (void)out.AddRow(row);
  }
  return WriteCsv(path, out);
}

}  // namespace

namespace {

// Bootstrap validation (rms validate + calibrate) of the model refitted on its design columns.
Status WriteBootstrapValidation(const stats::ModelNomogram& m, const stats::LinearModel& model,
                                const CsvTable& training, int replicates, uint64_t seed,
                                const std::string& dir) {
  AMDRN_ASSIGN_OR_RETURN(const Eigen::VectorXd y_all,
                         stats::OutcomeColumn(training, model.outcome));
  Eigen::VectorXd y(m.training_rows.size());
  for (size_t i = 0; i < m.training_rows.size(); ++i) y[i] = y_all[m.training_rows[i]];
  const stats::BootstrapOptions options{replicates, seed};
  AMDRN_ASSIGN_OR_RETURN(const stats::ValidateResult v,
                         stats::BootstrapValidate(m.training_x, y, options));
  CsvTable vt({"index", "apparent", "training", "test", "optimism", "corrected", "replicates"});
  for (const stats::ValidationIndex& i : v.indexes) {
    (void)vt.AddRow({i.name, FormatDouble(i.apparent), FormatDouble(i.training),
                     FormatDouble(i.test), FormatDouble(i.optimism), FormatDouble(i.corrected),
                     std::to_string(i.replicates)});
  }
  AMDRN_RETURN_IF_ERROR(WriteCsv(dir + "/validate.csv", vt));
  AMDRN_ASSIGN_OR_RETURN(const stats::CalibrateResult c,
                         stats::BootstrapCalibrate(m.training_x, y, options));
  CsvTable ct({"predy", "apparent", "optimism", "corrected", "replicates"});
  for (size_t k = 0; k < c.predy.size(); ++k) {
    (void)ct.AddRow({FormatDouble(c.predy[k]), FormatDouble(c.apparent[k]),
                     FormatDouble(c.optimism[k]), FormatDouble(c.corrected[k]),
                     std::to_string(c.replicates[k])});
  }
  AMDRN_RETURN_IF_ERROR(WriteCsv(dir + "/calibrate.csv", ct));
  std::printf(
      "bootstrap (B = %d): corrected C %.4f, slope %.4f; calibration mean |error| %.3f, "
      "0.9 quantile %.3f; %d refits failed\n",
      replicates, v.corrected_c, v.indexes[3].corrected, c.mean_abs_error, c.q90_abs_error,
      v.replicates_failed);
  stats::CalibrationPlot plot;
  plot.title = "Bootstrap calibration (B = " + std::to_string(replicates) + ")";
  plot.apparent = {c.predy, c.apparent};
  plot.corrected = {c.predy, c.corrected};
  plot.predicted = c.predicted;
  return WriteFileAtomic(dir + "/calibration_bootstrap.svg", stats::CalibrationSvg(plot));
}

}  // namespace

int RunStatsNomogram(int argc, char** argv) {
  const std::string kCmd = "stats nomogram";
  CLI::App app(
      "rms-style nomogram of a saved logistic model (from `amdrn stats fit` or a fused "
      "model file): axes, SVG, each patient's points, and optionally rms-style "
      "bootstrap validation and calibration of the model.");
  std::string model_path, data, patients, id_col, out, risk_label = "Risk", fun_at;
  double max_scale = 100;
  int nint = 10, bootstrap = 0;
  uint64_t seed = 1;
  app.add_option("--model", model_path, "model JSON")->required();
  app.add_option("--data", data, "training CSV the model was fitted on (axis ranges)")->required();
  app.add_option("--patients", patients, "CSV of patients to score (default: --data)");
  app.add_option("--id-column", id_col, "patient id column for the points table");
  app.add_option("--out", out, "output folder")->required();
  app.add_option("--risk-label", risk_label, "label of the probability axis")
      ->capture_default_str();
  app.add_option("--fun-at", fun_at, "comma-separated risk-axis ticks (default: pretty())");
  app.add_option("--max-scale", max_scale, "points of the widest predictor")->capture_default_str();
  app.add_option("--nint", nint, "pretty() intervals per axis")->capture_default_str();
  app.add_option("--bootstrap", bootstrap,
                 "bootstrap replicates for rms-style validate and "
                 "calibrate of the refitted model (0 = skip; 200 recommended)")
      ->capture_default_str();
  app.add_option("--seed", seed, "bootstrap seed")->capture_default_str();
  if (int rc = ParseArgs(app, argc, argv); rc >= 0) return rc;

  StatusOr<stats::LinearModel> model = stats::LoadLinearModel(model_path);
  if (!model.ok()) return ReportError(kCmd, model.status());
  StatusOr<CsvTable> training = ReadCsv(data);
  if (!training.ok()) return ReportError(kCmd, training.status());
  stats::NomogramOptions options;
  options.max_scale = max_scale;
  options.nint = nint;
  for (const std::string& t : SplitComma(fun_at))
    options.fun_at.push_back(std::strtod(t.c_str(), nullptr));
  StatusOr<stats::ModelNomogram> m = stats::NomogramFromModel(*model, *training, options);
  if (!m.ok()) return ReportError(kCmd, m.status());
  Status s = MakeDirectories(out);
  if (s.ok()) s = WriteNomogramTables(*m, out);
  if (s.ok())
    s = WriteFileAtomic(out + "/nomogram.svg", stats::NomogramSvg(m->nomogram, risk_label));
  if (s.ok()) {
    StatusOr<CsvTable> table = patients.empty() ? training : ReadCsv(patients);
    s = table.ok() ? WritePatientPoints(*m, *model, *table, id_col, out + "/patient_points.csv")
                   : table.status();
  }
  if (s.ok() && bootstrap > 0)
    s = WriteBootstrapValidation(*m, *model, *training, bootstrap, seed, out);
  if (!s.ok()) return ReportError(kCmd, s);
  std::printf("nomogram: %zu axes, %.6g points per logit unit, shifted intercept %.6g\n",
              m->nomogram.predictors.size(), m->nomogram.scale, m->nomogram.shifted_intercept);
  return kExitOk;
}

}  // namespace amdrn::cli
