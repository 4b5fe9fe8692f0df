// `amdrn seg plan`, `seg preprocess` and `seg evaluate`: the data verbs of the segmentation
// engine (nnU-Net v2 semantics; docs/segmentation.md). Output folder layout follows
// nnUNet_preprocessed/DatasetXXX: dataset.json, dataset_fingerprint.json, <plans>.json,
// splits_final.json, gt_segmentations/, <data_identifier>/<case>.amdrnpp.
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "cli/command.h"
#include "cli/seg_verbs.h"
#include "core/csv.h"
#include "core/file_util.h"
#include "core/logging.h"
#include "core/threads.h"
#include "seg/dataset.h"
#include "seg/fingerprint.h"
#include "seg/metrics.h"
#include "seg/planner.h"
#include "seg/preprocess.h"
#include "seg/split.h"

namespace amdrn::cli {
namespace {
namespace fs = std::filesystem;

std::string Join(const std::vector<int>& v, const char* sep = "x") {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + std::to_string(v[i]);
  return s;
}

Status WritePlanOutputs(const seg::RawDataset& ds, const seg::Fingerprint& fp, const seg::Plans& plans,
                        const std::string& out) {
  AMDRN_RETURN_IF_ERROR(MakeDirectories(out));
  AMDRN_RETURN_IF_ERROR(WriteFileAtomic(out + "/dataset.json", ds.json.dump(4) + "\n"));
  AMDRN_RETURN_IF_ERROR(seg::WriteFingerprint(fp, out + "/dataset_fingerprint.json"));
  AMDRN_RETURN_IF_ERROR(seg::WritePlans(plans, out + "/" + plans.plans_name + ".json"));
  if (ds.cases.size() >= 5) {
    AMDRN_RETURN_IF_ERROR(seg::LoadOrCreateSplits(out + "/splits_final.json", ds.CaseIds()).status());
  } else {
    AMDRN_LOG(Warn) << "seg plan: " << ds.cases.size() << " cases are too few for 5-fold cross-validation; "
                    << "no splits_final.json written (train with --fold all)";
  }
  return OkStatus();
}

void PrintPlanSummary(const seg::Plans& plans) {
  for (const std::string& name : plans.configuration_order) {
    const seg::Configuration& c = plans.configurations.at(name);
    std::ostringstream spacing;
    for (size_t i = 0; i < c.spacing.size(); ++i) spacing << (i ? "x" : "") << c.spacing[i];
    std::printf("%s: patch %s, batch %d, %d stages, features %s, spacing %s mm, %s", name.c_str(),
                Join(c.patch_size).c_str(), c.batch_size, c.architecture.n_stages,
                Join(c.architecture.features_per_stage, "-").c_str(), spacing.str().c_str(),
                c.normalization_schemes.empty() ? "" : c.normalization_schemes[0].c_str());
    if (c.budget.estimated_seconds_per_iteration > 0) {
      std::printf(", budget %s: %d epochs x %d iterations, ~%.2f s/iteration at %.0f GFLOP/s",
                  c.budget.preset.c_str(), c.budget.num_epochs, c.budget.num_iterations_per_epoch,
                  c.budget.estimated_seconds_per_iteration, c.budget.cpu_gflops);
    }
    std::printf("\n");
  }
}

}  // namespace

int RunSegPlan(int argc, char** argv) {
  CLI::App app{"Fingerprint a raw nnU-Net v2 dataset and write plans.json (nnU-Net's rules, CPU-aware)",
               "amdrn seg plan"};
  std::string dataset, out, planner = "default", budget = "full", normalization = "auto";
  double memory_gb = 0, cpu_gflops = 0, samples = 1e7;
  int threads = 0;
  bool no_2d = false;
  std::vector<double> target_spacing;
  app.add_option("-i,--dataset", dataset, "raw dataset folder (dataset.json, imagesTr, labelsTr)")->required();
  app.add_option("-o,--out", out, "output (preprocessed) folder")->required();
  app.add_option("--planner", planner, "default, resenc-m, resenc-l or resenc-xl")->capture_default_str();
  app.add_option("--budget", budget,
                 "CPU training budget: quick (~10 min), full (~3 h) or nnunet (1000 x 250, no compute limit)")
      ->capture_default_str();
  app.add_option("--memory-gb", memory_gb, "memory target in GB (0 = preset target capped by host RAM / 4)")
      ->capture_default_str();
  app.add_option("--cpu-gflops", cpu_gflops, "sustained training GFLOP/s for the compute model (0 = estimate)")
      ->capture_default_str();
  app.add_option("--normalization", normalization, "auto (from channel names), ct or zscore")->capture_default_str();
  app.add_option("--target-spacing", target_spacing, "override the target spacing, z y x in mm")->expected(3);
  app.add_option("--fingerprint-samples", samples, "foreground intensity samples over the dataset")
      ->capture_default_str();
  app.add_flag("--no-2d", no_2d, "do not plan the 2d configuration");
  app.add_option("-t,--threads", threads, "worker threads (0 = all cores)")->capture_default_str();
  if (int rc = ParseArgs(app, argc, argv); rc >= 0) return rc;
  ApplyThreadCount(threads);

  StatusOr<seg::RawDataset> ds = seg::ReadRawDataset(dataset);
  if (!ds.ok()) return ReportError("seg plan", ds.status());
  seg::FingerprintOptions fo;
  fo.total_foreground_samples = samples;
  fo.num_threads = GetThreadCount();
  StatusOr<seg::Fingerprint> fp = seg::ExtractFingerprint(*ds, fo);
  if (!fp.ok()) return ReportError("seg plan", fp.status());
  StatusOr<seg::PlannerOptions> options = seg::CpuBudgetPreset(budget, GetThreadCount(), cpu_gflops);
  if (!options.ok()) return ReportError("seg plan", options.status());
  StatusOr<seg::PlannerPreset> preset = seg::ParsePlannerPreset(planner);
  if (!preset.ok()) return ReportError("seg plan", preset.status());
  options->preset = *preset;
  options->memory_budget_gb = memory_gb;
  options->normalization = normalization;
  options->overwrite_target_spacing = target_spacing;
  options->plan_2d = !no_2d;
  StatusOr<seg::Plans> plans = seg::PlanExperiment(*ds, *fp, *options);
  if (!plans.ok()) return ReportError("seg plan", plans.status());
  Status written = WritePlanOutputs(*ds, *fp, *plans, out);
  if (!written.ok()) return ReportError("seg plan", written);
  PrintPlanSummary(*plans);
  std::printf("wrote %s/%s.json\n", out.c_str(), plans->plans_name.c_str());
  return kExitOk;
}

int RunSegPreprocess(int argc, char** argv) {
  CLI::App app{"Crop, normalise and resample the training cases for one configuration", "amdrn seg preprocess"};
  std::string dataset, out, plans_path, configuration = "3d_fullres";
  int threads = 0;
  app.add_option("-i,--dataset", dataset, "raw dataset folder")->required();
  app.add_option("-o,--out", out, "preprocessed folder (where seg plan wrote)")->required();
  app.add_option("--plans", plans_path, "plans file (default: <out>/nnUNetPlans.json)");
  app.add_option("-c,--configuration", configuration, "configuration to preprocess")->capture_default_str();
  app.add_option("-t,--threads", threads, "cases preprocessed in parallel (0 = all cores)")->capture_default_str();
  if (int rc = ParseArgs(app, argc, argv); rc >= 0) return rc;
  ApplyThreadCount(threads);
  if (plans_path.empty()) plans_path = out + "/nnUNetPlans.json";
  StatusOr<seg::Plans> plans = seg::ReadPlans(plans_path);
  if (!plans.ok()) return ReportError("seg preprocess", plans.status());
  // Cases run in parallel, so ITK's own pool gets one thread each.
  const int workers = GetThreadCount();
  SetThreadCount(1);
  Status s = seg::PreprocessDataset(dataset, *plans, configuration, out, workers);
  SetThreadCount(workers);
  if (!s.ok()) return ReportError("seg preprocess", s);
  std::printf("wrote %s/%s/\n", out.c_str(), plans->configurations.at(configuration).data_identifier.c_str());
  return kExitOk;
}

int RunSegEvaluate(int argc, char** argv) {
  CLI::App app{"Dice, 95 % Hausdorff distance and normalised surface Dice per class and case",
               "amdrn seg evaluate"};
  std::string ref, pred, out_json, out_csv, dataset_json, ending = ".nii.gz";
  std::vector<int> labels;
  double tolerance = 1.0;
  int threads = 0;
  bool allow_missing = false, no_surface = false;
  app.add_option("-r,--ref", ref, "folder of reference label maps")->required();
  app.add_option("-p,--pred", pred, "folder of predicted label maps (same file names)")->required();
  app.add_option("-o,--out", out_json, "summary JSON (default: <pred>/summary.json)");
  app.add_option("--csv", out_csv, "per case and label CSV (default: <pred>/summary.csv)");
  app.add_option("--labels", labels, "labels to evaluate (default: from --dataset-json, else 1 2 3)");
  app.add_option("--dataset-json", dataset_json, "dataset.json giving labels and file ending");
  app.add_option("--file-ending", ending, "file ending of the label maps")->capture_default_str();
  app.add_option("--tolerance-mm", tolerance, "normalised surface Dice tolerance in mm")->capture_default_str();
  app.add_flag("--no-surface", no_surface, "skip HD95 and NSD (Dice, IoU and counts only)");
  app.add_flag("--allow-missing", allow_missing, "skip references without a prediction instead of failing");
  app.add_option("-t,--threads", threads, "cases evaluated in parallel (0 = all cores)")->capture_default_str();
  if (int rc = ParseArgs(app, argc, argv); rc >= 0) return rc;
  ApplyThreadCount(threads);
  if (!dataset_json.empty()) {
    StatusOr<seg::RawDataset> ds = seg::ReadRawDataset(fs::path(dataset_json).parent_path().string());
    if (ds.ok()) {
      if (labels.empty()) labels = ds->ForegroundLabels();
      if (app.count("--file-ending") == 0) ending = ds->file_ending;
    } else {
      StatusOr<std::string> text = ReadFileToString(dataset_json);
      if (!text.ok()) return ReportError("seg evaluate", text.status());
      try {
        nlohmann::json j = nlohmann::json::parse(*text);
        for (auto& [name, value] : j.at("labels").items()) {
          if (value.is_number_integer() && value.get<int>() > 0 && labels.empty()) labels.push_back(value.get<int>());
        }
        if (app.count("--file-ending") == 0) ending = j.value("file_ending", ending);
      } catch (const std::exception& e) {
        return ReportError("seg evaluate", InvalidArgumentError("cannot read labels from " + dataset_json + ": " + e.what()));
      }
    }
  }
  if (labels.empty()) labels = {1, 2, 3};
  seg::MetricsOptions options;
  options.nsd_tolerance_mm = tolerance;
  options.surface_metrics = !no_surface;
  StatusOr<seg::EvaluationSummary> summary =
      seg::EvaluateFolders(ref, pred, labels, ending, options, GetThreadCount(), allow_missing);
  if (!summary.ok()) return ReportError("seg evaluate", summary.status());
  if (out_json.empty()) out_json = pred + "/summary.json";
  if (out_csv.empty()) out_csv = pred + "/summary.csv";
  const seg::Json j = seg::SummaryToJson(*summary, options);
  Status s = WriteFileAtomic(out_json, j.dump(4) + "\n");
  if (s.ok()) s = WriteCsv(out_csv, seg::SummaryToCsv(*summary));
  if (!s.ok()) return ReportError("seg evaluate", s);
  const seg::Json parsed = seg::Json::parse(j.dump());  // NaN -> null
  std::printf("%zu cases; mean +- sd per label:\n", summary->cases.size());
  for (int label : labels) {
    const auto& m = parsed["mean"][std::to_string(label)];
    const auto& d = parsed["sd"][std::to_string(label)];
    auto fmt = [](const seg::Json& v) {
      if (v.is_null()) return std::string("NA");
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.4g", v.get<double>());
      return std::string(buf);
    };
    std::printf("  label %d: Dice %s +- %s, HD95 %s +- %s mm, NSD@%gmm %s +- %s\n", label, fmt(m["Dice"]).c_str(),
                fmt(d["Dice"]).c_str(), fmt(m["HD95_mm"]).c_str(), fmt(d["HD95_mm"]).c_str(), tolerance,
                fmt(m["NSD"]).c_str(), fmt(d["NSD"]).c_str());
  }
  std::printf("wrote %s and %s\n", out_json.c_str(), out_csv.c_str());
  return kExitOk;
}

}  // namespace amdrn::cli
