// `amdrn stats <verb>`: statistics on CSV tables. Model fitting verbs live here (fit,
// radscore, predict); evaluation verbs (evaluate, nomogram, compare) are declared in
// cli/stats_verbs.h and compiled in when the build defines AMDRN_HAVE_STATS_EVAL.
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/stats_verbs.h"
#include "core/csv.h"
#include "core/file_util.h"
#include "stats/clinical_model.h"
#include "stats/model_io.h"
#include "stats/radiomics_model.h"

namespace amdrn::cli {
namespace {

constexpr char kName[] = "stats";

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

StatusOr<stats::MissingPolicy> ParseMissing(const std::string& s) {
  if (s == "refuse") return stats::MissingPolicy::kRefuse;
  if (s == "listwise") return stats::MissingPolicy::kListwise;
  if (s == "impute") return stats::MissingPolicy::kImpute;
  return InvalidArgumentError("expected --missing refuse, listwise or impute, found '" + s + "'");
}

void AddTermRows(const std::string& section, const std::vector<stats::TermRow>& rows,
                 CsvTable* table) {
  for (const stats::TermRow& r : rows) {
    (void)table->AddRow({section, r.variable, r.term, FormatDouble(r.estimate), FormatDouble(r.se),
                         FormatDouble(r.odds_ratio), FormatDouble(r.lower), FormatDouble(r.upper),
                         FormatDouble(r.p)});
  }
}

stats::LinearModel ClinicalToLinear(const stats::ClinicalModel& m, const std::string& outcome) {
  stats::LinearModel lm;
  lm.kind = "clinical";
  lm.outcome = outcome;
  lm.score_name = "clinical_lp";
  lm.design = m.design;
  lm.columns.assign(m.fit.names.begin() + 1, m.fit.names.end());
  lm.intercept = m.fit.coefficients[0];
  lm.coefficients = m.fit.coefficients.tail(m.fit.coefficients.size() - 1);
  lm.center = Eigen::VectorXd::Zero(lm.columns.size());
  lm.scale = Eigen::VectorXd::Ones(lm.columns.size());
  lm.details = {{"selected", m.selected}, {"screened", m.screened},
                {"aic", m.fit.aic},       {"deviance", m.fit.deviance},
                {"null_deviance", m.fit.null_deviance}, {"rows_used", m.rows_used},
                {"rows_dropped", m.rows_dropped}, {"firth", m.fit.firth},
                {"separation", m.fit.separation}, {"warnings", m.warnings}};
  return lm;
}

int RunFit(int argc, char** argv) {
  CLI::App app("Fit the clinical logistic model: univariable screening, then multivariable "
               "selection; writes the OR table and a model file for `amdrn stats predict`.");
  std::string data, outcome, predictors, categorical, references, model_path, table_path;
  std::string missing = "refuse", select = "aic";
  double screen_p = 0.05, stay_p = 0.05;
  bool firth = false;
  app.add_option("--data", data, "training CSV")->required();
  app.add_option("--outcome", outcome, "0/1 outcome column")->required();
  app.add_option("--predictors", predictors, "comma-separated candidate columns")->required();
  app.add_option("--categorical", categorical, "comma-separated numeric columns to treat as "
                 "factors (text columns are factors anyway)");
  app.add_option("--reference", references, "comma-separated column=level reference levels "
                 "(default: first level in byte order)");
  app.add_option("--missing", missing, "missing values: refuse, listwise or impute "
                 "(median/mode + indicator)")->capture_default_str();
  app.add_option("--screen-p", screen_p, "univariable p below which a variable enters the "
                 "multivariable model (1 = all)")->capture_default_str();
  app.add_option("--select", select, "multivariable selection: aic (backward, as step()), p "
                 "(backward by LR p) or none")->capture_default_str();
  app.add_option("--stay-p", stay_p, "--select p: keep terms with p <= this")
      ->capture_default_str();
  app.add_flag("--firth", firth, "refit with Firth's penalised likelihood when the final model "
               "separates the outcome");
  app.add_option("--out-model", model_path, "model JSON to write")->required();
  app.add_option("--out-table", table_path, "univariable/multivariable OR table CSV to write");
  if (int rc = ParseArgs(app, argc, argv); rc >= 0) return rc;

  stats::DesignOptions design;
  StatusOr<stats::MissingPolicy> policy = ParseMissing(missing);
  if (!policy.ok()) return ReportError(kName, policy.status());
  design.missing = *policy;
  design.categorical = SplitList(categorical);
  design.reference_levels = SplitList(references);
  stats::ClinicalOptions options;
  options.screen_p = screen_p;
  options.stay_p = stay_p;
  options.firth_on_separation = firth;
  if (select == "aic") {
    options.selection = stats::Selection::kBackwardAic;
  } else if (select == "p") {
    options.selection = stats::Selection::kBackwardP;
  } else if (select == "none") {
    options.selection = stats::Selection::kNone;
  } else {
    return ReportError(kName, InvalidArgumentError("expected --select aic, p or none, found '" +
                                                   select + "'"));
  }
  StatusOr<CsvTable> table = ReadCsv(data);
  if (!table.ok()) return ReportError(kName, table.status());
  StatusOr<stats::ClinicalModel> m =
      stats::FitClinicalModel(*table, outcome, SplitList(predictors), design, options);
  if (!m.ok()) return ReportError(kName, m.status());
  for (const std::string& w : m->warnings) std::fprintf(stderr, "amdrn stats: warning: %s\n", w.c_str());
  Status s = stats::SaveLinearModel(ClinicalToLinear(*m, outcome), model_path);
  if (!s.ok()) return ReportError(kName, s);
  if (!table_path.empty()) {
    CsvTable out({"model", "variable", "term", "estimate", "se", "odds_ratio", "or_lower_95",
                  "or_upper_95", "p"});
    AddTermRows("univariable", m->univariate, &out);
    AddTermRows("multivariable", m->multivariable, &out);
    if (Status w = WriteCsv(table_path, out); !w.ok()) return ReportError(kName, w);
  }
  std::printf("rows used %d (dropped %d); screened %zu of %zu; selected %zu; AIC %.4f\n",
              m->rows_used, m->rows_dropped, m->screened.size(), m->univariate_tests.size(),
              m->selected.size(), m->fit.aic);
  return kExitOk;
}

// Feature columns: the explicit list, else every column except the excluded ones.
std::vector<std::string> FeatureColumns(const CsvTable& t, const std::string& features,
                                        const std::string& exclude) {
  if (!features.empty()) return SplitList(features);
  const std::vector<std::string> skip = SplitList(exclude);
  std::vector<std::string> out;
  for (const std::string& h : t.header()) {
    if (std::find(skip.begin(), skip.end(), h) == skip.end()) out.push_back(h);
  }
  return out;
}

stats::LinearModel RadiomicsToLinear(const stats::RadiomicsModel& m,
                                     const stats::DesignSpec& spec,
                                     const stats::DesignMatrix& d, const std::string& outcome) {
  stats::LinearModel lm;
  lm.kind = "radiomics";
  lm.outcome = outcome;
  lm.score_name = "rad_score";
  lm.design.missing = spec.missing;
  std::vector<int> vars;
  for (int j : m.feature_index) {
    if (std::find(vars.begin(), vars.end(), d.variable_of[j]) == vars.end()) {
      vars.push_back(d.variable_of[j]);
    }
  }
  std::sort(vars.begin(), vars.end());
  std::vector<double> coef, center, scale;
  for (size_t c = 0; c < d.columns.size(); ++c) {
    if (std::find(vars.begin(), vars.end(), d.variable_of[c]) == vars.end()) continue;
    lm.columns.push_back(d.columns[c]);
    auto it = std::find(m.feature_index.begin(), m.feature_index.end(), static_cast<int>(c));
    const size_t k = it - m.feature_index.begin();
    const bool used = it != m.feature_index.end();
    coef.push_back(used ? m.coefficients[k] : 0.0);
    center.push_back(used ? m.center[k] : 0.0);
    scale.push_back(used ? m.scale[k] : 1.0);
  }
  for (int v : vars) lm.design.variables.push_back(spec.variables[v]);
  lm.intercept = m.intercept;
  lm.coefficients = Eigen::Map<Eigen::VectorXd>(coef.data(), coef.size());
  lm.center = Eigen::Map<Eigen::VectorXd>(center.data(), center.size());
  lm.scale = Eigen::Map<Eigen::VectorXd>(scale.data(), scale.size());
  lm.details = {{"lambda", m.lambda}, {"lambda_min", m.cv.lambda_min},
                {"lambda_1se", m.cv.lambda_1se}, {"lasso_inputs", m.lasso_inputs},
                {"selected", m.features}, {"warnings", m.warnings}};
  return lm;
}

Status WriteRadiomicsTables(const stats::RadiomicsModel& m, const std::string& path_csv,
                            const std::string& features_csv) {
  if (!path_csv.empty()) {
    CsvTable t({"lambda", "log_lambda", "df", "dev_ratio", "cvm", "cvsd", "is_min", "is_1se"});
    for (size_t k = 0; k < m.cv.fit.lambda.size(); ++k) {
      AMDRN_RETURN_IF_ERROR(t.AddRow(
          {FormatDouble(m.cv.fit.lambda[k]), FormatDouble(std::log(m.cv.fit.lambda[k])),
           std::to_string(m.cv.fit.df[k]), FormatDouble(m.cv.fit.dev_ratio[k]),
           FormatDouble(m.cv.cvm[k]), FormatDouble(m.cv.cvsd[k]),
           static_cast<int>(k) == m.cv.index_min ? "1" : "0",
           static_cast<int>(k) == m.cv.index_1se ? "1" : "0"}));
    }
    AMDRN_RETURN_IF_ERROR(WriteCsv(path_csv, t));
  }
  if (!features_csv.empty()) {
    CsvTable t({"feature", "screen_p", "fate", "coefficient_z"});
    for (const stats::FeatureStage& s : m.stages) {
      AMDRN_RETURN_IF_ERROR(
          t.AddRow({s.name, FormatDouble(s.p), s.fate, FormatDouble(s.coefficient)}));
    }
    AMDRN_RETURN_IF_ERROR(WriteCsv(features_csv, t));
  }
  return OkStatus();
}

int RunRadscore(int argc, char** argv) {
  CLI::App app("Fit the radiomics Rad score: z-scoring, screening, Spearman redundancy removal, "
               "optional mRMR, LASSO with k-fold CV (glmnet-compatible).");
  std::string data, outcome, features, exclude, missing = "refuse", test = "mwu", rule = "1se";
  std::string fold_column, model_path, path_csv, features_csv;
  double screen_p = 0.05, rho = 0.9;
  int mrmr = 0, folds = 10, threads = 0;
  uint64_t seed = 1;
  app.add_option("--data", data, "training CSV")->required();
  app.add_option("--outcome", outcome, "0/1 outcome column")->required();
  app.add_option("--features", features, "comma-separated feature columns (default: all "
                 "columns but --exclude)");
  app.add_option("--exclude", exclude, "comma-separated columns that are not features "
                 "(the outcome and fold column are always excluded)");
  app.add_option("--missing", missing, "refuse, listwise or impute")->capture_default_str();
  app.add_option("--screen", test, "screening test: mwu (wilcox.test), t (Welch) or none")
      ->capture_default_str();
  app.add_option("--screen-p", screen_p, "keep features with p below this")->capture_default_str();
  app.add_option("--max-rho", rho, "redundancy: drop features with |Spearman rho| above this")
      ->capture_default_str();
  app.add_option("--mrmr", mrmr, "keep the top k mRMR features before the LASSO (0 = off)")
      ->capture_default_str();
  app.add_option("--folds", folds, "CV folds")->capture_default_str();
  app.add_option("--fold-column", fold_column, "column of fold ids 1..K (R's foldid)");
  app.add_option("--seed", seed, "seed of the random folds")->capture_default_str();
  app.add_option("--lambda", rule, "1se or min")->capture_default_str();
  app.add_option("--threads", threads, "CV threads (0 = all)")->capture_default_str();
  app.add_option("--out-model", model_path, "model JSON to write")->required();
  app.add_option("--out-path", path_csv, "lambda path and CV curve CSV to write");
  app.add_option("--out-features", features_csv, "per-feature screening/selection CSV");
  if (int rc = ParseArgs(app, argc, argv); rc >= 0) return rc;

  StatusOr<CsvTable> table = ReadCsv(data);
  if (!table.ok()) return ReportError(kName, table.status());
  StatusOr<stats::MissingPolicy> policy = ParseMissing(missing);
  if (!policy.ok()) return ReportError(kName, policy.status());
  std::vector<std::string> cols = FeatureColumns(*table, features, exclude + "," + outcome + "," +
                                                                   fold_column);
  stats::DesignOptions design;
  design.missing = *policy;
  StatusOr<stats::DesignSpec> spec = stats::LearnDesign(*table, cols, design);
  if (!spec.ok()) return ReportError(kName, spec.status());
  for (const stats::VariableSpec& v : spec->variables) {
    if (v.categorical) {
      return ReportError(kName, InvalidArgumentError("expected numeric feature columns, found "
                                                     "text in '" + v.name + "'"));
    }
  }
  StatusOr<stats::DesignMatrix> d = stats::BuildDesign(*spec, *table);
  if (!d.ok()) return ReportError(kName, d.status());
  StatusOr<Eigen::VectorXd> y = stats::OutcomeColumn(*table, outcome);
  if (!y.ok()) return ReportError(kName, y.status());
  stats::RadiomicsOptions o;
  o.test = test == "mwu" ? stats::ScreenTest::kMannWhitney
                         : (test == "t" ? stats::ScreenTest::kWelchT : stats::ScreenTest::kNone);
  o.screen_p = screen_p;
  o.max_abs_rho = rho;
  o.mrmr_k = mrmr;
  o.rule = rule == "min" ? stats::LambdaRule::kMin : stats::LambdaRule::kOneSe;
  o.cv.num_folds = folds;
  o.cv.seed = seed;
  o.cv.threads = threads;
  if (!fold_column.empty()) {
    StatusOr<std::vector<double>> f = table->NumericColumn(fold_column);
    if (!f.ok()) return ReportError(kName, f.status());
    for (int r : d->rows) o.cv.fold_id.push_back(static_cast<int>((*f)[r]));
  }
  StatusOr<stats::RadiomicsModel> m = stats::FitRadiomicsModel(d->x, (*y)(d->rows), d->columns, o);
  if (!m.ok()) return ReportError(kName, m.status());
  for (const std::string& w : m->warnings) std::fprintf(stderr, "amdrn stats: warning: %s\n", w.c_str());
  Status s = stats::SaveLinearModel(RadiomicsToLinear(*m, *spec, *d, outcome), model_path);
  if (s.ok()) s = WriteRadiomicsTables(*m, path_csv, features_csv);
  if (!s.ok()) return ReportError(kName, s);
  std::printf("features %zu -> LASSO inputs %zu -> selected %zu; lambda.min %.6g, lambda.1se "
              "%.6g\n", cols.size(), m->lasso_inputs.size(), m->features.size(),
              m->cv.lambda_min, m->cv.lambda_1se);
  return kExitOk;
}

int RunPredict(int argc, char** argv) {
  CLI::App app("Apply a model file from `amdrn stats fit` or `radscore` to a CSV, unchanged "
               "(training levels, imputation values and z-scoring).");
  std::string model_path, data, out, id_column;
  app.add_option("--model", model_path, "model JSON")->required();
  app.add_option("--data", data, "CSV to score")->required();
  app.add_option("--out", out, "CSV to write: row, [id], <score>, probability")->required();
  app.add_option("--id-column", id_column, "column copied to the output to identify rows");
  if (int rc = ParseArgs(app, argc, argv); rc >= 0) return rc;
  StatusOr<stats::LinearModel> model = stats::LoadLinearModel(model_path);
  if (!model.ok()) return ReportError(kName, model.status());
  StatusOr<CsvTable> table = ReadCsv(data);
  if (!table.ok()) return ReportError(kName, table.status());
  StatusOr<stats::Prediction> p = stats::PredictTable(*model, *table);
  if (!p.ok()) return ReportError(kName, p.status());
  const int id = id_column.empty() ? -1 : table->ColumnIndex(id_column);
  if (!id_column.empty() && id < 0) {
    return ReportError(kName, NotFoundError("expected id column '" + id_column + "', found none"));
  }
  std::vector<std::string> header = {"row"};
  if (id >= 0) header.push_back(id_column);
  header.push_back(model->score_name);
  header.push_back("probability");
  CsvTable result(header);
  for (size_t i = 0; i < p->rows.size(); ++i) {
    std::vector<std::string> row = {std::to_string(p->rows[i] + 1)};
    if (id >= 0) row.push_back(table->rows()[p->rows[i]][id]);
    row.push_back(FormatDouble(p->linear_predictor[i]));
    row.push_back(FormatDouble(p->probability[i]));
    (void)result.AddRow(std::move(row));
  }
  if (Status s = WriteCsv(out, result); !s.ok()) return ReportError(kName, s);
  int imputed = 0;
  for (int c : p->imputed) imputed += c;
  std::printf("scored %zu rows (dropped %d, imputed values %d)\n", p->rows.size(), p->rows_dropped,
              imputed);
  return kExitOk;
}

struct Verb {
  const char* name;
  const char* summary;
  int (*run)(int, char**);
};

const std::vector<Verb>& Verbs() {
  static const std::vector<Verb> verbs = {
      {"fit", "clinical logistic model: univariable screening, backward selection, OR table",
       RunFit},
      {"radscore", "radiomics Rad score: screening, redundancy, LASSO with k-fold CV",
       RunRadscore},
      {"predict", "apply a saved model to a CSV", RunPredict},
#ifdef AMDRN_HAVE_STATS_EVAL
      {"evaluate", "ROC/AUC, metrics, calibration, decision curves", RunStatsEvaluate},
      {"nomogram", "nomogram points and SVG", RunStatsNomogram},
      {"compare", "paired DeLong comparison of models", RunStatsCompare},
#endif
  };
  return verbs;
}

int RunStats(int argc, char** argv) {
  const std::string verb = argc > 1 ? argv[1] : "";
  for (const Verb& v : Verbs()) {
    if (verb == v.name) {
      std::string name = std::string("amdrn stats ") + v.name;
      std::vector<char*> args(argv + 1, argv + argc);
      args[0] = name.data();
      return v.run(static_cast<int>(args.size()), args.data());
    }
  }
  const bool help = verb == "--help" || verb == "-h";
  std::FILE* out = help ? stdout : stderr;
  if (!help) std::fprintf(stderr, "amdrn stats: unknown or missing verb '%s'\n", verb.c_str());
  std::fprintf(out, "usage: amdrn stats <verb> [options]   (amdrn stats <verb> --help)\n");
  for (const Verb& v : Verbs()) std::fprintf(out, "  %-10s %s\n", v.name, v.summary);
  return help ? kExitOk : kExitUsage;
}

}  // namespace

AMDRN_REGISTER_COMMAND("stats", "statistics: clinical model, Rad score, prediction, evaluation",
                       RunStats);

}  // namespace amdrn::cli
