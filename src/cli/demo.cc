// `amdrn demo`: the whole risk pipeline on a built-in synthetic cohort, end to end.
//   1. synth      a synthetic CBCT cohort with known truth (quick preset)
//   2. radiomics  PyRadiomics-default features of MS, SM and RAB for every case
//   3. models     clinical model (EMR), LASSO Rad score, DL score (out-of-fold), fused model
//   4. evaluate   each model on the held-out test split (AUC with DeLong CI, metrics at the
//                 training Youden cut-off, calibration, decision curve) and the nomogram
// Each step runs the same subcommand a user would run; its files stay in --out. The only use
// of truth.csv is the last line: the Bayes-optimal AUC on the same test cases, for scale.

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "core/csv.h"
#include "core/file_util.h"
#include "core/logging.h"
#include "core/threads.h"
#include "stats/roc.h"
#include "synth/synth.h"

namespace amdrn::cli {
namespace {

constexpr const char* kOutcome = "implant_failure";
const std::vector<std::string> kEmrColumns = {
    "age", "sex", "smoking", "diabetes", "periodontitis_history",
    "osteoporosis_or_bisphosphonates", "tooth_site", "approach", "graft_material",
    "simultaneous_placement", "implant_length_mm", "implant_diameter_mm"};

// Runs a registered subcommand in-process with the given arguments.
int RunCommand(const std::string& name, std::vector<std::string> args) {
  for (const Command& command : Commands()) {
    if (command.name != name) continue;
    std::string program = "amdrn " + name;
    std::vector<char*> argv = {program.data()};
    for (std::string& a : args) argv.push_back(a.data());
    std::string line = "amdrn " + name;
    for (size_t i = 1; i < argv.size(); ++i) {
      std::string arg = argv[i];
      if (arg.size() > 100) {  // long column lists: show their start and length
        size_t items = std::count(arg.begin(), arg.end(), ',') + 1;
        arg = arg.substr(0, 60) + "...(" + std::to_string(items) + " columns)";
      }
      line += " " + arg;
    }
    std::printf("\n$ %s\n", line.c_str());
    std::fflush(stdout);
    return command.run(static_cast<int>(argv.size()), argv.data());
  }
  std::fprintf(stderr, "amdrn demo: error: this build has no '%s' command\n", name.c_str());
  return kExitUnsupported;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

// Radiomics rows (case_id, label, region, error, diagnostics_*, features) pivoted to one row
// per case with "<region>_<feature>" columns. Rows with an error are left out.
StatusOr<std::map<std::string, std::map<std::string, std::string>>> PivotRadiomics(
    const CsvTable& table, std::vector<std::string>* columns) {
  int id = table.ColumnIndex("case_id"), region = table.ColumnIndex("region");
  int error = table.ColumnIndex("error");
  if (id < 0 || region < 0) {
    return InvalidArgumentError("expected case_id and region columns in the radiomics table");
  }
  std::map<std::string, std::map<std::string, std::string>> wide;
  std::set<std::string> seen;
  for (const auto& row : table.rows()) {
    if (error >= 0 && !row[error].empty()) continue;
    for (size_t c = 0; c < row.size(); ++c) {
      const std::string& name = table.header()[c];
      if (name == "case_id" || name == "label" || name == "region" || name == "error" ||
          name.rfind("diagnostics_", 0) == 0) {
        continue;
      }
      std::string column = row[region] + "_" + name;
      wide[row[id]][column] = row[c];
      if (seen.insert(column).second) columns->push_back(column);
    }
  }
  return wide;
}

// Joins clinical.csv with the wide radiomics and extra score columns; writes one CSV per split.
Status WriteSplitTables(const CsvTable& clinical,
                        const std::map<std::string, std::map<std::string, std::string>>& extra,
                        const std::vector<std::string>& extra_columns, const std::string& dir) {
  std::vector<std::string> header = clinical.header();
  header.insert(header.end(), extra_columns.begin(), extra_columns.end());
  std::map<std::string, CsvTable> by_split;
  int id = clinical.ColumnIndex("case_id"), split = clinical.ColumnIndex("split");
  for (const auto& row : clinical.rows()) {
    auto it = extra.find(row[id]);
    if (it == extra.end()) continue;  // a case whose features failed
    std::vector<std::string> out = row;
    for (const auto& column : extra_columns) {
      auto value = it->second.find(column);
      out.push_back(value == it->second.end() ? "NA" : value->second);
    }
    auto [entry, inserted] = by_split.try_emplace(row[split], header);
    AMDRN_RETURN_IF_ERROR(entry->second.AddRow(std::move(out)));
  }
  for (const auto& [name, table] : by_split) {
    AMDRN_RETURN_IF_ERROR(WriteCsv(dir + "/" + name + ".csv", table));
  }
  return OkStatus();
}

// Adds `value_column` (default: the second-last column, the score of `stats predict`) of a
// table keyed by `id_column` to `extra` under the name `as`.
Status MergeScores(const std::string& path, const std::string& id_column,
                   const std::string& value_column, const std::string& as,
                   std::map<std::string, std::map<std::string, std::string>>* extra) {
  AMDRN_ASSIGN_OR_RETURN(CsvTable t, ReadCsv(path));
  AMDRN_ASSIGN_OR_RETURN(std::vector<std::string> ids, t.Column(id_column));
  int v = value_column.empty() ? static_cast<int>(t.num_columns()) - 2 : t.ColumnIndex(value_column);
  if (v < 0) return NotFoundError("expected a column " + value_column + " in " + path);
  for (size_t r = 0; r < t.num_rows(); ++r) (*extra)[ids[r]][as] = t.rows()[r][v];
  return OkStatus();
}

void PrintTestSummary(const std::string& dir, const std::string& cohort_dir) {
  auto metrics = ReadCsv(dir + "/eval_test/metrics.csv");
  std::printf("\n== Held-out test split (cut-offs fixed on the training split) ==\n");
  if (metrics.ok()) {
    std::printf("%-12s %4s  %-22s %8s %8s %8s %7s\n", "model", "n", "AUC (95% CI, DeLong)",
                "accuracy", "sensitiv", "specific", "Brier");
    auto col = [&](const std::vector<std::string>& row, const char* name) {
      int c = metrics->ColumnIndex(name);
      return c < 0 ? std::nan("") : std::atof(row[c].c_str());
    };
    for (const auto& row : metrics->rows()) {
      char auc[64];
      std::snprintf(auc, sizeof(auc), "%.3f (%.3f-%.3f)", col(row, "auc"), col(row, "auc_ci_lower"),
                    col(row, "auc_ci_upper"));
      std::printf("%-12s %4.0f  %-22s %8.3f %8.3f %8.3f %7.3f\n", row[0].c_str(), col(row, "n"), auc,
                  col(row, "accuracy"), col(row, "sensitivity"), col(row, "specificity"),
                  col(row, "brier"));
    }
  }
  // Scoring only: the generator's own Bayes-optimal probabilities on the same test cases.
  auto truth = ReadCsv(cohort_dir + "/truth.csv");
  if (!truth.ok()) return;
  auto split = truth->Column("split");
  auto y = truth->NumericColumn(kOutcome);
  if (!split.ok() || !y.ok()) return;
  for (const char* subset : {"bayes_p_clinical", "bayes_p_all"}) {
    auto p = truth->NumericColumn(subset);
    if (!p.ok()) continue;
    std::vector<double> s, o;
    for (size_t r = 0; r < split->size(); ++r) {
      if ((*split)[r] == "test") {
        s.push_back((*p)[r]);
        o.push_back((*y)[r]);
      }
    }
    auto auc = stats::ComputeAuc(o, s);
    if (auc.ok()) {
      std::printf("Bayes-optimal AUC on these test cases (%s, from truth.csv): %.3f\n", subset, *auc);
    }
  }
}

struct DemoOptions {
  std::string out = "amdrn-demo";
  int cases = 100;
  uint64_t seed = 1;
  int threads = 0;
  bool with_dl = true;
  int dl_epochs = 30;  // early stopping (patience 10) usually ends a fold sooner
};

Status RunDemo(const DemoOptions& o) {
  const std::string cohort = o.out + "/cohort";
  const std::string threads = std::to_string(GetThreadCount());
  // 1. The cohort.
  synth::SynthOptions s;
  s.out_dir = cohort;
  s.cases = o.cases;
  s.seed = o.seed;
  s.threads = o.threads;
  std::printf("== 1. synthetic cohort: %d cases, quick preset, seed %llu ==\n", o.cases,
              static_cast<unsigned long long>(o.seed));
  AMDRN_ASSIGN_OR_RETURN(synth::CohortSummary summary, synth::GenerateCohort(s));
  std::printf("%s\n", summary.ToString().c_str());

  // 2. Radiomics of the three regions (ground-truth labels of the cohort).
  std::printf("\n== 2. radiomics (MS, SM, RAB; PyRadiomics defaults) ==");
  int rc = RunCommand("radiomics", {"--cohort", cohort, "--out", o.out + "/radiomics.csv",
                                    "--threads", threads});
  if (rc != kExitOk && rc != kExitPartial) return InternalError("the radiomics step failed");
  AMDRN_ASSIGN_OR_RETURN(CsvTable radiomics, ReadCsv(o.out + "/radiomics.csv"));
  std::vector<std::string> feature_columns;
  AMDRN_ASSIGN_OR_RETURN(auto extra, PivotRadiomics(radiomics, &feature_columns));
  AMDRN_ASSIGN_OR_RETURN(CsvTable clinical, ReadCsv(cohort + "/clinical.csv"));
  AMDRN_RETURN_IF_ERROR(WriteSplitTables(clinical, extra, feature_columns, o.out));

  // 3. Models fitted on the training split only.
  std::printf("\n== 3. models (training split) ==");
  const std::string train = o.out + "/train.csv", test = o.out + "/test.csv";
  rc = RunCommand("stats", {"fit", "--data", train, "--outcome", kOutcome, "--predictors",
                            Join(kEmrColumns), "--categorical", "tooth_site", "--missing", "impute", "--firth",
                            "--out-model", o.out + "/clinical_model.json", "--out-table",
                            o.out + "/clinical_table.csv"});
  if (rc != kExitOk) return InternalError("the clinical model failed");
  rc = RunCommand("stats", {"radscore", "--data", train, "--outcome", kOutcome, "--features",
                            Join(feature_columns), "--missing", "impute", "--out-model",
                            o.out + "/radscore_model.json", "--out-features",
                            o.out + "/radscore_features.csv", "--threads", threads});
  if (rc != kExitOk) return InternalError("the Rad score failed");
  std::vector<std::string> scores = {"clinical_score", "rad_score"};
  for (const char* split : {"train", "test"}) {
    std::string data = o.out + "/" + split + ".csv";
    for (const auto& [model, as] : {std::pair<std::string, std::string>{"clinical_model", "clinical_score"},
                                    {"radscore_model", "rad_score"}}) {
      std::string pred = o.out + "/" + split + "_" + as + ".csv";
      rc = RunCommand("stats", {"predict", "--model", o.out + "/" + model + ".json", "--data",
                                data, "--out", pred, "--id-column", "case_id"});
      if (rc != kExitOk) return InternalError("scoring " + std::string(split) + " failed");
      AMDRN_RETURN_IF_ERROR(MergeScores(pred, "case_id", "", as, &extra));
    }
  }
  if (o.with_dl) {
    std::printf("\n== 3b. DL score (3D attention ResNet, out-of-fold on training) ==");
    // A reduced budget (28^3 ROI at 1 mm, width 8) so the demo trains in minutes on 2 cores.
    rc = RunCommand("dl", {"train", "--data", cohort, "--out", o.out + "/dl_model", "--epochs",
                           std::to_string(o.dl_epochs), "--folds", "3", "--voxel-mm", "1.0",
                           "--width", "8", "--stem-kernel", "3", "--stem-stride", "2",
                           "--batch-size", "12", "--threads", threads});
    if (rc != kExitOk) return InternalError("the DL step failed");
    AMDRN_RETURN_IF_ERROR(MergeScores(o.out + "/dl_model/oof_scores.csv", "case_id", "dl_logit",
                                      "dl_score", &extra));
    AMDRN_RETURN_IF_ERROR(MergeScores(o.out + "/dl_model/test_scores.csv", "case_id", "dl_logit",
                                      "dl_score", &extra));
    scores.push_back("dl_score");
  }
  std::vector<std::string> all_columns = feature_columns;
  all_columns.insert(all_columns.end(), scores.begin(), scores.end());
  AMDRN_RETURN_IF_ERROR(WriteSplitTables(clinical, extra, all_columns, o.out));
  rc = RunCommand("stats", {"fit", "--data", train, "--outcome", kOutcome, "--predictors",
                            Join(scores), "--select", "none", "--screen-p", "1", "--out-model",
                            o.out + "/fused_model.json", "--out-table", o.out + "/fused_table.csv"});
  if (rc != kExitOk) return InternalError("the fused model failed");

  // 4. Probabilities of every model on both splits, then evaluation and the nomogram.
  std::vector<std::pair<std::string, std::string>> models = {
      {"clinical_model", "p_clinical"}, {"radscore_model", "p_radiomics"}, {"fused_model", "p_fused"}};
  for (const char* split : {"train", "test"}) {
    std::map<std::string, std::map<std::string, std::string>> probs;
    for (const auto& [model, as] : models) {
      std::string pred = o.out + "/" + split + "_" + as + ".csv";
      rc = RunCommand("stats", {"predict", "--model", o.out + "/" + model + ".json", "--data",
                                o.out + "/" + split + ".csv", "--out", pred, "--id-column", "case_id"});
      if (rc != kExitOk) return InternalError("scoring failed");
      AMDRN_RETURN_IF_ERROR(MergeScores(pred, "case_id", "probability", as, &probs));
    }
    if (o.with_dl) {
      // The DL score alone, as a probability (its own logistic output).
      std::string file = std::string(split) == "train" ? "oof_scores.csv" : "test_scores.csv";
      AMDRN_RETURN_IF_ERROR(MergeScores(o.out + "/dl_model/" + file, "case_id", "dl_probability",
                                        "p_dl", &probs));
    }
    std::vector<std::string> prob_columns;
    for (const auto& m : models) prob_columns.push_back(m.second);
    if (o.with_dl) prob_columns.push_back("p_dl");
    std::vector<std::string> header = {"case_id", kOutcome};
    header.insert(header.end(), prob_columns.begin(), prob_columns.end());
    CsvTable scored(header);
    AMDRN_ASSIGN_OR_RETURN(CsvTable t, ReadCsv(o.out + "/" + split + ".csv"));
    AMDRN_ASSIGN_OR_RETURN(auto ids, t.Column("case_id"));
    AMDRN_ASSIGN_OR_RETURN(auto ys, t.Column(kOutcome));
    for (size_t r = 0; r < ids.size(); ++r) {
      std::vector<std::string> row = {ids[r], ys[r]};
      for (const auto& pc : prob_columns) row.push_back(probs[ids[r]][pc]);
      AMDRN_RETURN_IF_ERROR(scored.AddRow(std::move(row)));
    }
    std::string scored_path = o.out + "/" + split + "_scored.csv";
    AMDRN_RETURN_IF_ERROR(WriteCsv(scored_path, scored));
    std::vector<std::string> args = {"evaluate", "--pred", scored_path, "--outcome", kOutcome,
                                     "--score", Join(prob_columns), "--out",
                                     o.out + "/eval_" + split, "--title", split};
    if (std::string(split) == "test") {
      args.push_back("--cutoff-from");
      args.push_back(o.out + "/eval_train/cutoffs.csv");
    }
    rc = RunCommand("stats", args);
    if (rc != kExitOk) return InternalError("evaluation failed");
  }
  RunCommand("stats", {"compare", "--pred", o.out + "/test_scored.csv", "--outcome", kOutcome,
                       "--scores", o.with_dl ? "p_fused,p_clinical,p_radiomics,p_dl"
                                             : "p_fused,p_clinical,p_radiomics",
                       "--out", o.out + "/eval_test/delong_compare.csv"});
  rc = RunCommand("stats", {"nomogram", "--model", o.out + "/fused_model.json", "--data", train,
                            "--patients", test, "--id-column", "case_id", "--out",
                            o.out + "/nomogram"});
  if (rc != kExitOk) return InternalError("the nomogram failed");
  PrintTestSummary(o.out, cohort);
  std::printf("\nFiles: %s (cohort/, radiomics.csv, *_model.json, eval_train/, eval_test/, "
              "nomogram/nomogram.svg)\n", o.out.c_str());
  return OkStatus();
}

int RunDemoCommand(int argc, char** argv) {
  CLI::App app("Run the whole pipeline on a built-in synthetic cohort: synth, radiomics, "
               "clinical model, Rad score, fused nomogram, evaluation on the test split.",
               "amdrn demo");
  DemoOptions o;
  app.add_option("--out", o.out, "output folder")->capture_default_str();
  app.add_option("--cases", o.cases, "cohort size")->capture_default_str();
  app.add_option("--seed", o.seed, "cohort seed")->capture_default_str();
  app.add_option("--threads", o.threads, "worker threads (0 = all cores)")->capture_default_str();
  app.add_flag("--dl,!--no-dl", o.with_dl,
               "train the DL score too (default on; about 20 s on 2 idle cores)");
  app.add_option("--dl-epochs", o.dl_epochs, "epochs per DL fold")->capture_default_str();
  if (int rc = ParseArgs(app, argc, argv); rc >= 0) return rc;
  SetThreadCount(o.threads);
  Status s = RunDemo(o);
  if (!s.ok()) return ReportError("demo", s);
  return kExitOk;
}

}  // namespace

AMDRN_REGISTER_COMMAND("demo", "run the whole pipeline on a built-in synthetic cohort",
                       RunDemoCommand);

}  // namespace amdrn::cli
