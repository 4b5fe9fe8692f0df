#include "synth/outcome_model.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <thread>

namespace amdrn::synth {
namespace {

constexpr int kSites[6] = {15, 16, 17, 25, 26, 27};
constexpr double kImplantLengthsMm[5] = {6, 8, 10, 11.5, 13};
constexpr double kImplantDiametersMm[4] = {3.5, 4.0, 4.5, 5.0};

double Phi(double z) { return NormalCdf(z); }
double LogNormalDensity(double z, double mean) { return -0.5 * (z - mean) * (z - mean); }
int ToothPosition(int site_fdi) { return site_fdi % 10; }  // 5 premolar, 6 first, 7 second molar

// ---- Demographics -------------------------------------------------------------------------

Demographics SampleDemographics(Rng& rng) {
  Demographics d;
  d.age_years = std::clamp(rng.Normal(61.0, 10.5), 28.0, 88.0);
  d.female = rng.Bernoulli(0.54);
  d.smoking = rng.Categorical({0.55, 0.25, 0.20});
  d.diabetes = rng.Bernoulli(Sigmoid(-2.0 + 0.04 * (d.age_years - 60)));
  d.periodontitis = rng.Bernoulli(d.smoking == 2 ? 0.45 : 0.33);
  d.osteoporosis = rng.Bernoulli(Sigmoid(-3.1 + 1.3 * d.female + 0.06 * (d.age_years - 60)));
  d.site_fdi = kSites[rng.Categorical({0.15, 0.25, 0.10, 0.15, 0.25, 0.10})];
  return d;
}

// ---- Anatomy given demographics ------------------------------------------------------------

struct AnatomyMeans {
  double rbh, density, texture, width;
  double membrane_logits[4];
};

AnatomyMeans MeansFor(const Demographics& d) {
  AnatomyMeans m;
  const int tooth = ToothPosition(d.site_fdi);
  const double site_offset = tooth == 5 ? 0.35 : (tooth == 6 ? -0.15 : 0.05);
  m.rbh = -0.45 + site_offset - 0.01 * (d.age_years - 60);
  m.density = -0.02 * (d.age_years - 60) - 0.6 * d.osteoporosis - 0.25 * d.female -
              0.25 * d.diabetes - 0.15 * (d.smoking == 2);
  m.texture = 0.35 * d.osteoporosis + 0.25 * (d.smoking == 2) + 0.2 * d.diabetes;
  m.width = 0.3 * !d.female;
  const double inflamed = 0.6 * (d.smoking == 2) + 0.2 * (d.smoking == 1) + 0.7 * d.periodontitis;
  m.membrane_logits[0] = 0.0;
  m.membrane_logits[1] = -0.5 + inflamed;
  m.membrane_logits[2] = -1.3 + inflamed;
  m.membrane_logits[3] = -1.8 + inflamed + 0.4 * d.periodontitis;
  return m;
}

std::vector<double> Softmax(const double* logits, int n) {
  std::vector<double> p(n);
  double mx = *std::max_element(logits, logits + n), total = 0;
  for (int i = 0; i < n; ++i) total += (p[i] = std::exp(logits[i] - mx));
  for (double& v : p) v /= total;
  return p;
}

double MembraneThickness(MembraneType type, double z) {
  switch (type) {
    case MembraneType::kHealthy:
      return 0.3 + 0.9 * Phi(z);
    case MembraneType::kFlatThickening:
      return 2.0 + 5.0 * Phi(z);
    case MembraneType::kPolypoid:
      return 4.0 + 8.0 * Phi(z);
    case MembraneType::kOpacification:
      return 6.0 + 12.0 * Phi(z);
  }
  return 1.0;
}

void SetRbh(Anatomy& a, double z) { a.z_rbh = z, a.residual_bone_height_mm = 1.0 + 11.0 * Phi(z); }
void SetDensity(Anatomy& a, double z) {
  a.z_density = z, a.bone_density_bvtv = 0.12 + 0.36 * Phi(z);
}
void SetTexture(Anatomy& a, double z) {
  a.z_texture = z, a.trabecular_spacing_mm = 0.7 + 1.3 * Phi(z);
}
void SetWidth(Anatomy& a, double z) { a.z_width = z, a.sinus_width_mm = 10.0 + 10.0 * Phi(z); }

Anatomy SampleAnatomy(const Demographics& d, Rng& rng) {
  const AnatomyMeans m = MeansFor(d);
  Anatomy a;
  SetRbh(a, m.rbh + rng.Normal());
  a.membrane_type = static_cast<MembraneType>(rng.Categorical(Softmax(m.membrane_logits, 4)));
  a.z_membrane = rng.Normal();
  a.membrane_thickness_mm = MembraneThickness(a.membrane_type, a.z_membrane);
  SetDensity(a, m.density + rng.Normal());
  SetTexture(a, m.texture + rng.Normal());
  SetWidth(a, m.width + rng.Normal());
  a.septum = rng.Bernoulli(0.25);
  return a;
}

// Log P(anatomy | demographics) up to a constant that does not depend on the demographics;
// `with_texture` false leaves the texture latent out (it is then resampled, not conditioned on).
double AnatomyLogLikelihood(const Anatomy& a, const Demographics& d, bool with_texture) {
  const AnatomyMeans m = MeansFor(d);
  double ll = LogNormalDensity(a.z_rbh, m.rbh) + LogNormalDensity(a.z_density, m.density) +
              LogNormalDensity(a.z_width, m.width);
  if (with_texture) ll += LogNormalDensity(a.z_texture, m.texture);
  ll += std::log(Softmax(m.membrane_logits, 4)[static_cast<int>(a.membrane_type)]);
  return ll;
}

// ---- Treatment given anatomy ---------------------------------------------------------------

double LateralLogit(const Anatomy& a) { return 1.1 - 0.25 * (a.residual_bone_height_mm - 4.0); }
double SimultaneousLogit(const Anatomy& a) {
  return -1.8 + 0.3 * (a.residual_bone_height_mm - 1.0);
}

std::vector<double> GraftWeights(bool lateral) {
  if (lateral) return {0.05, 0.15, 0.55, 0.15, 0.10};
  return {0.35, 0.05, 0.40, 0.10, 0.10};
}
std::vector<double> LengthWeights(const Anatomy& a, bool lateral) {
  const double target = 7.8 + 0.2 * a.residual_bone_height_mm + (lateral ? 1.5 : 0.0);
  std::vector<double> w;
  for (double len : kImplantLengthsMm)
    w.push_back(std::exp(-(len - target) * (len - target) / 4.5));
  return w;
}
std::vector<double> DiameterWeights(int site_fdi) {
  if (ToothPosition(site_fdi) == 5) return {0.35, 0.40, 0.20, 0.05};
  return {0.10, 0.30, 0.40, 0.20};
}
int IndexOf(const double* values, int n, double v) {
  for (int i = 0; i < n; ++i)
    if (std::abs(values[i] - v) < 1e-9) return i;
  return 0;
}

Treatment SampleTreatment(const Demographics& d, const Anatomy& a, Rng& rng) {
  Treatment t;
  t.lateral_approach = rng.Bernoulli(Sigmoid(LateralLogit(a)));
  t.graft = static_cast<Graft>(rng.Categorical(GraftWeights(t.lateral_approach)));
  t.simultaneous = rng.Bernoulli(Sigmoid(SimultaneousLogit(a)));
  t.implant_length_mm = kImplantLengthsMm[rng.Categorical(LengthWeights(a, t.lateral_approach))];
  t.implant_diameter_mm = kImplantDiametersMm[rng.Categorical(DiameterWeights(d.site_fdi))];
  return t;
}

// Log P(treatment | anatomy); the graft and diameter terms do not depend on the anatomy.
double TreatmentLogLikelihood(const Treatment& t, const Anatomy& a) {
  const double pl = Sigmoid(LateralLogit(a)), ps = Sigmoid(SimultaneousLogit(a));
  double ll = std::log(t.lateral_approach ? pl : 1.0 - pl);
  ll += std::log(t.simultaneous ? ps : 1.0 - ps);
  const std::vector<double> w = LengthWeights(a, t.lateral_approach);
  const double total = std::accumulate(w.begin(), w.end(), 0.0);
  ll += std::log(w[IndexOf(kImplantLengthsMm, 5, t.implant_length_mm)] / total);
  return ll;
}

// ---- E_u sigmoid(eta + u) table ------------------------------------------------------------

constexpr double kTableMin = -30.0, kTableStep = 0.01;
constexpr int kTableSize = 6001;

const std::vector<double>& MarginalTable() {
  static const std::vector<double> table = [] {
    std::vector<double> t(kTableSize);
    const int n = 320;  // Simpson on u in [-8 sd, 8 sd]
    const double h = 16.0 * kFrailtySd / n;
    for (int i = 0; i < kTableSize; ++i) {
      const double eta = kTableMin + i * kTableStep;
      double sum = 0;
      for (int k = 0; k <= n; ++k) {
        const double u = -8.0 * kFrailtySd + k * h;
        const double wk = (k == 0 || k == n) ? 1 : (k % 2 ? 4 : 2);
        sum += wk * Sigmoid(eta + u) * std::exp(-0.5 * u * u / (kFrailtySd * kFrailtySd));
      }
      t[i] = sum * h / 3.0 / (kFrailtySd * std::sqrt(2.0 * M_PI));
    }
    return t;
  }();
  return table;
}

double WeightedMean(const std::vector<double>& log_w, const std::vector<double>& values) {
  const double mx = *std::max_element(log_w.begin(), log_w.end());
  double num = 0, den = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    const double w = std::exp(log_w[i] - mx);
    num += w * values[i];
    den += w;
  }
  return num / den;
}

}  // namespace

const char* MembraneTypeName(MembraneType type) {
  static const char* kNames[] = {"healthy", "flat", "polypoid", "opacified"};
  return kNames[static_cast<int>(type)];
}
const char* GraftName(Graft graft) {
  static const char* kNames[] = {"none", "autogenous", "xenograft", "allograft", "synthetic"};
  return kNames[static_cast<int>(graft)];
}
const char* InfoSetName(InfoSet set) {
  static const char* kNames[] = {"clinical", "anatomy", "imaging", "all"};
  return kNames[static_cast<int>(set)];
}

double LinearPredictor(const Demographics& d, const Anatomy& a, const Treatment& t) {
  const double rbh = a.residual_bone_height_mm;
  double eta = -3.75;
  eta += -0.42 * (rbh - 5.0) + 0.55 * std::max(0.0, 4.0 - rbh);
  switch (a.membrane_type) {
    case MembraneType::kHealthy:
      break;
    case MembraneType::kFlatThickening:
      eta += 0.25 + 0.12 * (a.membrane_thickness_mm - 2.0);
      break;
    case MembraneType::kPolypoid:
      eta += 0.70 + 0.05 * (a.membrane_thickness_mm - 4.0);
      break;
    case MembraneType::kOpacification:
      eta += 1.20 + 0.05 * (a.membrane_thickness_mm - 6.0);
      break;
  }
  eta += -9.0 * (a.bone_density_bvtv - 0.30);
  eta += 4.5 * (a.trabecular_spacing_mm - 1.35);
  eta += 0.10 * (a.sinus_width_mm - 15.0);
  if (a.septum) eta += 0.2 + 0.6 * t.lateral_approach;
  eta += d.smoking == 2 ? 0.60 : (d.smoking == 1 ? 0.20 : 0.0);
  eta += 0.45 * d.diabetes + 0.40 * d.periodontitis + 0.35 * d.osteoporosis;
  eta += 0.01 * (d.age_years - 60.0);
  if (t.simultaneous && rbh < 4.0) eta += 0.6;
  if (t.implant_length_mm <= 8.0) eta += 0.35;
  if (t.graft == Graft::kAutogenous) eta -= 0.2;
  if (t.graft == Graft::kSynthetic) eta += 0.2;
  if (t.graft == Graft::kNone) eta += 0.25;
  return eta;
}

double MarginalProbability(double eta) {
  const std::vector<double>& table = MarginalTable();
  const double x = (eta - kTableMin) / kTableStep;
  if (x <= 0) return table.front();
  if (x >= kTableSize - 1) return table.back();
  const int i = static_cast<int>(x);
  const double f = x - i;
  return table[i] * (1 - f) + table[i + 1] * f;
}

PatientRecord SamplePatient(Rng& rng) {
  PatientRecord r;
  r.demographics = SampleDemographics(rng);
  r.anatomy = SampleAnatomy(r.demographics, rng);
  r.treatment = SampleTreatment(r.demographics, r.anatomy, rng);
  r.frailty = rng.Normal(0.0, kFrailtySd);
  r.linear_predictor = LinearPredictor(r.demographics, r.anatomy, r.treatment);
  r.true_probability = Sigmoid(r.linear_predictor + r.frailty);
  r.failure = rng.Bernoulli(r.true_probability);
  return r;
}

double BayesProbability(const PatientRecord& record, InfoSet set, int samples, Rng& rng) {
  const Demographics& d = record.demographics;
  const Treatment& t = record.treatment;
  if (set == InfoSet::kAll) return MarginalProbability(LinearPredictor(d, record.anatomy, t));
  std::vector<double> log_w(samples), values(samples);
  for (int m = 0; m < samples; ++m) {
    if (set == InfoSet::kClinical) {
      // Hidden: the anatomy. Prior given demographics, weighted by the surgeon's choices.
      const Anatomy a = SampleAnatomy(d, rng);
      log_w[m] = TreatmentLogLikelihood(t, a);
      values[m] = MarginalProbability(LinearPredictor(d, a, t));
    } else {
      // Hidden: demographics, treatment (and texture for kAnatomy). Demographics from the
      // prior weighted by P(anatomy | demographics); treatment from its conditional.
      const Demographics dm = SampleDemographics(rng);
      Anatomy a = record.anatomy;
      const bool with_texture = set == InfoSet::kImaging;
      if (!with_texture) SetTexture(a, MeansFor(dm).texture + rng.Normal());
      log_w[m] = AnatomyLogLikelihood(a, dm, with_texture);
      const Treatment tm = SampleTreatment(dm, a, rng);
      values[m] = MarginalProbability(LinearPredictor(dm, a, tm));
    }
  }
  return WeightedMean(log_w, values);
}

double ExpectedAuc(const std::vector<double>& scores,
                   const std::vector<double>& label_probability) {
  const size_t n = scores.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double neg_total = 0;
  for (double q : label_probability) neg_total += 1.0 - q;
  double numerator = 0, denominator = 0, neg_below = 0;
  for (size_t start = 0; start < n;) {
    size_t end = start;
    double neg_group = 0;
    while (end < n && scores[order[end]] == scores[order[start]])
      neg_group += 1 - label_probability[order[end++]];
    for (size_t k = start; k < end; ++k) {
      const double pos = label_probability[order[k]], neg_self = 1 - pos;
      numerator += pos * (neg_below + 0.5 * (neg_group - neg_self));
      denominator += pos * (neg_total - neg_self);
    }
    neg_below += neg_group;
    start = end;
  }
  return denominator > 0 ? numerator / denominator : std::nan("");
}

double Auc(const std::vector<double>& scores, const std::vector<int>& labels) {
  std::vector<double> q(labels.begin(), labels.end());
  return ExpectedAuc(scores, q);
}

PopulationSummary SummarisePopulation(int patients, int samples, uint64_t seed, int threads) {
  std::vector<double> scores[kNumInfoSets];
  for (auto& s : scores) s.resize(patients);
  std::vector<double> expected(patients);
  threads = std::max(1, std::min(threads, patients));
  std::vector<std::thread> pool;
  for (int w = 0; w < threads; ++w) {
    pool.emplace_back([&, w] {
      for (int i = w; i < patients; i += threads) {
        Rng rng(DeriveSeed(seed, static_cast<uint64_t>(i)));
        const PatientRecord r = SamplePatient(rng);
        for (int s = 0; s < kNumInfoSets; ++s)
          scores[s][i] = BayesProbability(r, static_cast<InfoSet>(s), samples, rng);
        expected[i] = scores[static_cast<int>(InfoSet::kAll)][i];
      }
    });
  }
  for (auto& t : pool) t.join();
  PopulationSummary summary;
  summary.patients = patients;
  summary.prevalence = std::accumulate(expected.begin(), expected.end(), 0.0) / patients;
  for (int s = 0; s < kNumInfoSets; ++s) summary.bayes_auc[s] = ExpectedAuc(scores[s], expected);
  return summary;
}

}  // namespace amdrn::synth
