// Synthetic CBCT cohorts with known truth: the in-process API behind `amdrn synth`.
// GenerateCase builds one case in memory; GenerateCohort writes a whole nnU-Net v2 raw dataset
// plus clinical.csv, truth.csv and splits.json (layout in docs/synthetic-cohort.md). Every
// output is a pure function of the options (the seed included), whatever the thread count.
// Functions are thread-safe; GenerateCohort uses its own worker threads.
#ifndef AMDRN_SYNTH_SYNTH_H_
#define AMDRN_SYNTH_SYNTH_H_

#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/volume.h"
#include "synth/appearance.h"
#include "synth/outcome_model.h"
#include "synth/phantom.h"

namespace amdrn::synth {

// Version of the generator; bumped whenever a seed would produce different data.
constexpr const char* kGeneratorVersion = "2.0";

struct Preset {
  std::string name;   // "quick" or "full"
  double spacing_mm;  // isotropic voxel size
  Vec3 fov_mm;        // field of view (L, P, S extent)
};
// NotFound naming the known presets when `name` is unknown.
StatusOr<Preset> FindPreset(const std::string& name);

struct SynthOptions {
  std::string out_dir;  // required by GenerateCohort
  int cases = 20;       // >= 1
  uint64_t seed = 1;
  std::string profile = "mixed";  // a scanner profile name or "mixed"
  std::string preset = "quick";   // "quick" (0.5 mm, 40x40x32 mm) or "full" (0.3 mm, 160x160x128)
  double spacing_mm = 0;          // 0: the preset's; else overrides it, same field of view in mm
  int threads = 0;                // 0: GetThreadCount()
  double test_fraction = 0.25;    // share of internal cases in the held-out test split
  std::string external_profile;   // cases of this profile go to split "external" ("" = none)
  int bayes_samples = 128;        // importance draws per Bayes-optimal score
  int population = 10000;         // simulated patients for the population summary (0 = skip)
  bool write_previews = false;    // also write preview/<id>.png and preview/<id>_labels.png
};

// Checks option values; InvalidArgument/NotFound naming the offending option.
Status ValidateOptions(const SynthOptions& options);

// One generated case, in memory.
struct SynthCase {
  std::string case_id;   // "AMDRN_0001" for index 0
  PatientRecord record;  // complete truth (no missing values)
  ScannerProfile profile;
  ImageF image;     // CBCT grey values (integers), LPS geometry
  LabelMap labels;  // 0 background, 1 sinus, 2 membrane, 3 residual alveolar bone
  PhantomTruth truth;
  double bayes[kNumInfoSets] = {};  // Bayes-optimal P(failure | each information subset)
};

// The patient record and scanner profile of case `index` (cheap: no image).
struct CasePlan {
  std::string case_id;
  PatientRecord record;
  ScannerProfile profile;
};
StatusOr<CasePlan> PlanCase(const SynthOptions& options, int index);

// Generates case `index` of the cohort `options` describes (image and labels included).
StatusOr<SynthCase> GenerateCase(const SynthOptions& options, int index);

struct CohortSummary {
  int cases = 0;
  int failures = 0;
  std::string preset;
  double spacing_mm = 0;
  Index3 size = {0, 0, 0};
  std::map<std::string, int> cases_per_profile;
  std::map<std::string, int> cases_per_split;
  double expected_prevalence = 0;        // mean Bayes P(failure | all) over the cohort
  double cohort_auc[kNumInfoSets] = {};  // AUC of each Bayes score on this cohort's outcomes
  PopulationSummary population;          // the model's own figures (fixed Monte-Carlo seed)
  double seconds = 0;
  std::string ToString() const;  // the summary `amdrn synth` prints
};

// Writes the cohort under options.out_dir (created if needed; existing files are replaced).
StatusOr<CohortSummary> GenerateCohort(const SynthOptions& options);

// Population figures of the outcome model (the cached fixed-seed Monte Carlo).
PopulationSummary ModelPopulationSummary(int patients, int samples, int threads);

}  // namespace amdrn::synth

#endif  // AMDRN_SYNTH_SYNTH_H_
