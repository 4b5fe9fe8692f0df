#include "synth/synth.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <thread>

#include "core/file_util.h"
#include "core/logging.h"
#include "core/progress.h"
#include "core/threads.h"
#include "synth/cohort_files.h"
#include "synth/preview.h"

namespace amdrn::synth {
namespace {

// Random streams of a case, derived from the cohort seed and the case index.
enum Stream : uint64_t {
  kRecordStream = 0,
  kPhantomStream,
  kAppearanceStream,
  kBayesStream,
  kNumStreams
};
constexpr uint64_t kPopulationSeed = 0x5EEDA3D7ULL;

Rng CaseRng(const SynthOptions& o, int index, Stream stream) {
  return Rng(DeriveSeed(o.seed, static_cast<uint64_t>(index) * kNumStreams + stream));
}

std::string CaseId(int index) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "AMDRN_%04d", index + 1);
  return buffer;
}

PhantomOptions PhantomOptionsFor(const SynthOptions& o, const ScannerProfile& profile) {
  const Preset preset = FindPreset(o.preset).value();
  PhantomOptions p;
  p.spacing_mm = o.spacing_mm > 0 ? o.spacing_mm : preset.spacing_mm;
  for (int a = 0; a < 3; ++a)
    p.size[a] = std::max<int64_t>(8, std::llround(preset.fov_mm[a] / p.spacing_mm));
  p.cylindrical_fov = profile.cylindrical_fov;
  return p;
}

std::string Percent(double fraction) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.1f %%", 100.0 * fraction);
  return buffer;
}

std::string Fixed3(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.3f", v);
  return buffer;
}

Status WriteCasePreviews(const SynthCase& c, const std::string& out_dir) {
  const double lo = NominalGrey(c.profile, -1000.0), hi = NominalGrey(c.profile, 2200.0);
  const Vec3 point = c.truth.site_floor_lps;
  const std::string base = out_dir + "/preview/" + c.case_id;
  AMDRN_RETURN_IF_ERROR(WritePreviewPng(c.image, nullptr, point, lo, hi, base + ".png"));
  return WritePreviewPng(c.image, &c.labels, point, lo, hi, base + "_labels.png");
}

}  // namespace

StatusOr<Preset> FindPreset(const std::string& name) {
  if (name == "quick") return Preset{"quick", 0.5, {40.0, 40.0, 32.0}};
  if (name == "full") return Preset{"full", 0.3, {48.0, 48.0, 38.4}};
  return NotFoundError("expected --preset quick or full, found '" + name + "'");
}

Status ValidateOptions(const SynthOptions& o) {
  if (o.cases < 1 || o.cases > 99999)
    return InvalidArgumentError("expected --cases between 1 and 99999, found " +
                                std::to_string(o.cases));
  AMDRN_RETURN_IF_ERROR(FindPreset(o.preset).status());
  if (o.profile != "mixed") AMDRN_RETURN_IF_ERROR(FindScannerProfile(o.profile).status());
  if (!o.external_profile.empty())
    AMDRN_RETURN_IF_ERROR(FindScannerProfile(o.external_profile).status());
  if (o.spacing_mm != 0 && (o.spacing_mm < 0.1 || o.spacing_mm > 1.0))
    return InvalidArgumentError("expected --spacing between 0.1 and 1.0 mm, found " +
                                std::to_string(o.spacing_mm));
  const Preset preset = FindPreset(o.preset).value();
  const double spacing = o.spacing_mm > 0 ? o.spacing_mm : preset.spacing_mm;
  const double voxels =
      preset.fov_mm[0] * preset.fov_mm[1] * preset.fov_mm[2] / (spacing * spacing * spacing);
  if (voxels > 5e7)
    return InvalidArgumentError("expected at most 50 million voxels per case, found " +
                                std::to_string(static_cast<int64_t>(voxels)) + " at --spacing " +
                                std::to_string(spacing) + " mm; use a coarser --spacing");
  if (o.test_fraction < 0 || o.test_fraction >= 1)
    return InvalidArgumentError("expected a test fraction in [0, 1), found " +
                                std::to_string(o.test_fraction));
  if (o.threads < 0)
    return InvalidArgumentError("expected --threads >= 0, found " + std::to_string(o.threads));
  if (o.bayes_samples < 1) return InvalidArgumentError("expected at least one importance draw");
  return OkStatus();
}

StatusOr<CasePlan> PlanCase(const SynthOptions& o, int index) {
  AMDRN_RETURN_IF_ERROR(ValidateOptions(o));
  CasePlan plan;
  plan.case_id = CaseId(index);
  Rng rng = CaseRng(o, index, kRecordStream);
  plan.record = SamplePatient(rng);
  if (o.profile == "mixed") {
    std::vector<double> weights;
    for (const ScannerProfile& p : ScannerProfiles()) weights.push_back(p.mixed_weight);
    plan.profile = ScannerProfiles()[rng.Categorical(weights)];
  } else {
    AMDRN_ASSIGN_OR_RETURN(plan.profile, FindScannerProfile(o.profile));
  }
  return plan;
}

StatusOr<SynthCase> GenerateCase(const SynthOptions& o, int index) {
  AMDRN_ASSIGN_OR_RETURN(CasePlan plan, PlanCase(o, index));
  SynthCase c;
  c.case_id = plan.case_id;
  c.record = plan.record;
  c.profile = plan.profile;
  Rng phantom_rng = CaseRng(o, index, kPhantomStream);
  AMDRN_ASSIGN_OR_RETURN(Phantom phantom,
                         BuildPhantom(c.record.anatomy, c.record.demographics.site_fdi,
                                      PhantomOptionsFor(o, c.profile), phantom_rng));
  Rng appearance_rng = CaseRng(o, index, kAppearanceStream);
  c.image = RenderCbct(phantom, c.profile, appearance_rng);
  c.labels = std::move(phantom.labels);
  c.truth = phantom.truth;
  Rng bayes_rng = CaseRng(o, index, kBayesStream);
  for (int s = 0; s < kNumInfoSets; ++s)
    c.bayes[s] = BayesProbability(c.record, static_cast<InfoSet>(s), o.bayes_samples, bayes_rng);
  return c;
}

PopulationSummary ModelPopulationSummary(int patients, int samples, int threads) {
  static std::mutex mutex;
  static std::map<std::pair<int, int>, PopulationSummary> cache;
  std::lock_guard<std::mutex> lock(mutex);
  const auto key = std::make_pair(patients, samples);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  return cache[key] = SummarisePopulation(patients, samples, kPopulationSeed, threads);
}

std::string CohortSummary::ToString() const {
  std::string out = "cases: " + std::to_string(cases) + " (" + preset + " preset, " +
                    Fixed3(spacing_mm) + " mm, " + std::to_string(size[0]) + "x" +
                    std::to_string(size[1]) + "x" + std::to_string(size[2]) + " voxels)\n";
  out += "profiles:";
  for (const auto& [name, n] : cases_per_profile) out += " " + name + " " + std::to_string(n);
  out += "\nsplit:";
  for (const auto& [name, n] : cases_per_split) out += " " + name + " " + std::to_string(n);
  out += "\nprevalence: " + std::to_string(failures) + " failures (" +
         Percent(cases ? double(failures) / cases : 0.0) + "); expected in this cohort " +
         Percent(expected_prevalence);
  if (population.patients > 0) out += "; model population " + Percent(population.prevalence);
  out += "\n";
  if (population.patients > 0) {
    out += "Bayes-optimal AUC (model population, " + std::to_string(population.patients) +
           " simulated patients):";
    for (int s = 0; s < kNumInfoSets; ++s)
      out += std::string(" ") + InfoSetName(static_cast<InfoSet>(s)) + " " +
             Fixed3(population.bayes_auc[s]);
    out += "\n";
  }
  out += "Bayes scores' AUC on this cohort's outcomes:";
  for (int s = 0; s < kNumInfoSets; ++s)
    out += std::string(" ") + InfoSetName(static_cast<InfoSet>(s)) + " " +
           (std::isnan(cohort_auc[s]) ? std::string("NA") : Fixed3(cohort_auc[s]));
  out += "\ntime: " + FormatDuration(seconds) + "\n";
  return out;
}

StatusOr<CohortSummary> GenerateCohort(const SynthOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  AMDRN_RETURN_IF_ERROR(ValidateOptions(o));
  if (o.out_dir.empty())
    return InvalidArgumentError("expected an output folder (--out), found none");
  AMDRN_RETURN_IF_ERROR(MakeDirectories(o.out_dir + "/imagesTr"));
  AMDRN_RETURN_IF_ERROR(MakeDirectories(o.out_dir + "/labelsTr"));

  // Plans first (cheap), so the split can be stratified before any image exists.
  std::vector<CasePlan> plans(o.cases);
  for (int i = 0; i < o.cases; ++i) {
    AMDRN_ASSIGN_OR_RETURN(plans[i], PlanCase(o, i));
  }
  const std::vector<std::string> splits = AssignSplits(plans, o);

  std::vector<CaseRow> rows(o.cases);
  std::vector<Status> errors(o.cases);
  std::atomic<int> next{0};
  std::mutex progress_mutex;
  Progress progress("synth", o.cases);
  int done = 0;
  Index3 size = {0, 0, 0};
  const auto worker = [&] {
    for (int i = next++; i < o.cases; i = next++) {
      StatusOr<SynthCase> c = GenerateCase(o, i);
      Status status = c.ok() ? WriteCaseVolumes(*c, o.out_dir) : c.status();
      if (status.ok() && o.write_previews) status = WriteCasePreviews(*c, o.out_dir);
      if (status.ok()) rows[i] = MakeCaseRow(*c, splits[i], DeriveSeed(o.seed ^ 0x4D495353ULL, i));
      errors[i] = status;
      std::lock_guard<std::mutex> lock(progress_mutex);
      if (c.ok()) size = c->image.size();
      progress.Update(++done);
    }
  };
  const int threads = std::max(1, std::min(o.threads > 0 ? o.threads : GetThreadCount(), o.cases));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (std::thread& t : pool) t.join();
  progress.Finish();
  for (const Status& s : errors) AMDRN_RETURN_IF_ERROR(s);
  AMDRN_RETURN_IF_ERROR(WriteCohortTables(rows, o));

  CohortSummary summary;
  summary.cases = o.cases;
  summary.preset = o.preset;
  summary.spacing_mm = o.spacing_mm > 0 ? o.spacing_mm : FindPreset(o.preset)->spacing_mm;
  summary.size = size;
  std::vector<double> scores[kNumInfoSets];
  std::vector<int> labels;
  for (const CaseRow& r : rows) {
    summary.failures += r.failure;
    summary.expected_prevalence += r.bayes[static_cast<int>(InfoSet::kAll)] / o.cases;
    summary.cases_per_profile[r.profile]++;
    summary.cases_per_split[r.split]++;
    labels.push_back(r.failure);
    for (int s = 0; s < kNumInfoSets; ++s) scores[s].push_back(r.bayes[s]);
  }
  for (int s = 0; s < kNumInfoSets; ++s) summary.cohort_auc[s] = Auc(scores[s], labels);
  if (o.population > 0) {
    const int all_threads = o.threads > 0 ? o.threads : GetThreadCount();
    summary.population = ModelPopulationSummary(o.population, o.bayes_samples, all_threads);
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace amdrn::synth
