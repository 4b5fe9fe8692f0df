// amdrn synth: writes a synthetic CBCT cohort with known truth (see docs/synthetic-cohort.md).
#include "synth/synth.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "cli/command.h"

namespace amdrn::cli {
namespace {

int RunSynth(int argc, char** argv) {
  synth::SynthOptions o;
  CLI::App app(
      "Write a synthetic posterior-maxilla CBCT cohort with ground truth: nnU-Net v2 raw "
      "layout (imagesTr, labelsTr, dataset.json), clinical.csv, truth.csv, splits.json.",
      argv[0]);
  app.add_option("--out", o.out_dir, "Output folder (created; existing files are replaced)")
      ->required();
  app.add_option("--cases", o.cases, "Number of cases")->capture_default_str();
  app.add_option("--seed", o.seed, "Random seed; same seed and options give identical files")
      ->capture_default_str();
  app.add_option("--profile", o.profile,
                 "Scanner profile: cbct_a, cbct_b, cbct_c, cbct_d, or mixed (all four by weight)")
      ->capture_default_str();
  app.add_option("--preset", o.preset,
                 "quick (0.5 mm, 40x40x32 mm FOV) or full (0.3 mm, 160x160x128 voxels)")
      ->capture_default_str();
  app.add_option("--spacing", o.spacing_mm,
                 "Voxel size in mm, 0.1-1.0 (0: the preset's); same FOV in mm")
      ->capture_default_str();
  app.add_option("--threads", o.threads, "Worker threads (0: AMDRN_THREADS or all cores)")
      ->capture_default_str();
  app.add_option("--test-fraction", o.test_fraction,
                 "Share of internal cases held out as split 'test', stratified by outcome")
      ->capture_default_str();
  app.add_option("--external", o.external_profile,
                 "Scanner profile whose cases form split 'external' (held-out centre; '' = none)")
      ->capture_default_str();
  app.add_option("--bayes-samples", o.bayes_samples, "Importance draws per Bayes-optimal score")
      ->capture_default_str();
  app.add_option(
         "--population", o.population,
         "Simulated patients for the model's population prevalence and Bayes AUCs (0: skip)")
      ->capture_default_str();
  app.add_flag("--preview", o.write_previews,
               "Also write PNG slices to OUT/preview/ (axial, coronal, "
               "sagittal through the implant site; plain and with label outlines)");
  if (int code = ParseArgs(app, argc, argv); code >= 0) return code;

  if (Status s = synth::ValidateOptions(o); !s.ok()) {
    std::fprintf(stderr, "amdrn synth: error: %s\nRun 'amdrn synth --help' for usage.\n",
                 s.message().c_str());
    return kExitUsage;
  }
  if (o.threads > 0) ApplyThreadCount(o.threads);
  StatusOr<synth::CohortSummary> summary = synth::GenerateCohort(o);
  if (!summary.ok()) return ReportError("synth", summary.status());
  std::fputs(summary->ToString().c_str(), stdout);
  std::printf("wrote %s (truth.csv is the answer key: no model may read it)\n", o.out_dir.c_str());
  return kExitOk;
}

}  // namespace

AMDRN_REGISTER_COMMAND("synth", "write a synthetic CBCT cohort with ground truth", RunSynth);

}  // namespace amdrn::cli
