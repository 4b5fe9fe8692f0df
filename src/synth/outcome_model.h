// The generative model behind a synthetic patient: demographics and history, the anatomy the
// CBCT shows (residual bone height, membrane, bone density and micro-texture, sinus width,
// septum), the surgeon's treatment choices, and the implant-failure outcome. Every conditional
// distribution is explicit so Bayes-optimal scores for any information subset can be computed
// by importance sampling (see docs/synthetic-cohort.md). Functions are pure given an Rng;
// thread-safe as long as each thread uses its own Rng.
#ifndef AMDRN_SYNTH_OUTCOME_MODEL_H_
#define AMDRN_SYNTH_OUTCOME_MODEL_H_

#include <string>
#include <vector>

#include "synth/random.h"

namespace amdrn::synth {

enum class MembraneType { kHealthy = 0, kFlatThickening = 1, kPolypoid = 2, kOpacification = 3 };
const char* MembraneTypeName(MembraneType type);  // "healthy", "flat", "polypoid", "opacified"

enum class Graft { kNone = 0, kAutogenous, kXenograft, kAllograft, kSynthetic };
const char* GraftName(Graft graft);

// Preoperative history (EMR).
struct Demographics {
  double age_years = 60;
  bool female = false;
  int smoking = 0;  // 0 never, 1 former, 2 current
  bool diabetes = false;
  bool periodontitis = false;
  bool osteoporosis = false;  // osteoporosis or antiresorptive (bisphosphonate) therapy
  int site_fdi = 16;          // 15, 16, 17 (right) or 25, 26, 27 (left)
};

// Anatomy at the implant site. Each continuous value is a monotone transform of a latent
// standard-normal-plus-mean variable; the latents are kept for exact likelihoods.
struct Anatomy {
  double residual_bone_height_mm = 5;  // crest to sinus floor at the implant site, 1..12
  MembraneType membrane_type = MembraneType::kHealthy;
  double membrane_thickness_mm = 1;    // lining thickness, polyp height or fluid level
  double bone_density_bvtv = 0.3;      // trabecular bone volume fraction, 0.12..0.48
  double trabecular_spacing_mm = 1.3;  // micro-texture coarseness, 0.7..2.0
  double sinus_width_mm = 15;          // bucco-palatal cavity width 10 mm above the floor
  bool septum = false;
  // Latent normals (z = mean(demographics) + N(0,1)).
  double z_rbh = 0, z_membrane = 0, z_density = 0, z_texture = 0, z_width = 0;
};

// Treatment decisions, made by the surgeon from the anatomy (so they carry information on it).
struct Treatment {
  bool lateral_approach = true;  // lateral window; false = transcrestal (osteotome)
  Graft graft = Graft::kXenograft;
  bool simultaneous = false;  // implant placed during the sinus floor elevation
  double implant_length_mm = 10;
  double implant_diameter_mm = 4.5;
};

struct PatientRecord {
  Demographics demographics;
  Anatomy anatomy;
  Treatment treatment;
  double frailty = 0;           // unobserved patient-level risk (logit scale), N(0, kFrailtySd²)
  double linear_predictor = 0;  // logit of failure without frailty
  double true_probability = 0;  // sigmoid(linear_predictor + frailty): the outcome's own odds
  bool failure = false;
};

// Information subsets for Bayes-optimal scores.
enum class InfoSet {
  kClinical = 0,  // EMR: demographics, history, site and treatment
  kAnatomy,       // image measurements: bone height, membrane, density, sinus width, septum
  kImaging,       // everything the CBCT shows: anatomy plus trabecular micro-texture
  kAll,           // clinical + imaging (only the frailty stays hidden)
};
constexpr int kNumInfoSets = 4;
const char* InfoSetName(InfoSet set);  // "clinical", "anatomy", "imaging", "all"

constexpr double kFrailtySd = 0.7;

// Draws a complete patient, outcome included.
PatientRecord SamplePatient(Rng& rng);

// Logit of failure given everything but the frailty.
double LinearPredictor(const Demographics& d, const Anatomy& a, const Treatment& t);

// E_frailty[sigmoid(eta + frailty)], from a precomputed table (exact to ~1e-6).
double MarginalProbability(double eta);

// P(failure | the variables in `set`), by importance sampling with `samples` draws of the
// hidden variables (the record's own hidden values are never used). Deterministic in rng.
double BayesProbability(const PatientRecord& record, InfoSet set, int samples, Rng& rng);

// AUC of `scores` for outcomes whose probabilities are `label_probability` (the expected
// Mann-Whitney statistic over outcome draws); ties count one half.
double ExpectedAuc(const std::vector<double>& scores, const std::vector<double>& label_probability);
// Ordinary AUC of scores for 0/1 labels; NaN when a class is empty.
double Auc(const std::vector<double>& scores, const std::vector<int>& labels);

struct PopulationSummary {
  int patients = 0;
  double prevalence = 0;                // expected failure rate
  double bayes_auc[kNumInfoSets] = {};  // population Bayes-optimal AUC per InfoSet
};

// Monte-Carlo summary of the generative model over `patients` simulated patients with
// `samples` importance draws per Bayes score, on `threads` threads. Deterministic in `seed`
// whatever the thread count.
PopulationSummary SummarisePopulation(int patients, int samples, uint64_t seed, int threads);

}  // namespace amdrn::synth

#endif  // AMDRN_SYNTH_OUTCOME_MODEL_H_
