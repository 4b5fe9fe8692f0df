#include "synth/cohort_files.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <numeric>

#include "core/file_util.h"
#include "io/volume_io.h"

namespace amdrn::synth {
namespace {

const char* kSmoking[] = {"never", "former", "current"};

std::string Num(double v) { return FormatDouble(v); }
std::string Round(double v, double step) { return FormatDouble(std::round(v / step) * step); }
std::string Flag(bool b) { return b ? "1" : "0"; }

}  // namespace

const std::vector<std::string>& ClinicalColumns() {
  static const std::vector<std::string> columns = {"case_id",
                                                   "centre",
                                                   "scanner",
                                                   "split",
                                                   "age",
                                                   "sex",
                                                   "smoking",
                                                   "diabetes",
                                                   "periodontitis_history",
                                                   "osteoporosis_or_bisphosphonates",
                                                   "tooth_site",
                                                   "approach",
                                                   "graft_material",
                                                   "simultaneous_placement",
                                                   "implant_length_mm",
                                                   "implant_diameter_mm",
                                                   "implant_failure"};
  return columns;
}

const std::vector<std::string>& TruthColumns() {
  static const std::vector<std::string> columns = {"case_id",
                                                   "split",
                                                   "scanner",
                                                   "side",
                                                   "implant_failure",
                                                   "true_probability",
                                                   "linear_predictor",
                                                   "frailty",
                                                   "bayes_p_clinical",
                                                   "bayes_p_anatomy",
                                                   "bayes_p_imaging",
                                                   "bayes_p_all",
                                                   "residual_bone_height_mm",
                                                   "membrane_type",
                                                   "membrane_thickness_mm",
                                                   "membrane_thickness_site_mm",
                                                   "sinus_volume_ml",
                                                   "sinus_width_mm",
                                                   "bone_density_bvtv",
                                                   "trabecular_spacing_mm",
                                                   "septum",
                                                   "septum_height_mm",
                                                   "teeth_present",
                                                   "metal_objects",
                                                   "site_crest_x_lps",
                                                   "site_crest_y_lps",
                                                   "site_crest_z_lps",
                                                   "site_floor_x_lps",
                                                   "site_floor_y_lps",
                                                   "site_floor_z_lps"};
  return columns;
}

std::vector<std::string> AssignSplits(const std::vector<CasePlan>& plans, const SynthOptions& o) {
  std::vector<std::string> split(plans.size(), "train");
  for (int failure = 0; failure <= 1; ++failure) {
    std::vector<std::pair<double, size_t>> keyed;
    for (size_t i = 0; i < plans.size(); ++i) {
      if (!o.external_profile.empty() && plans[i].profile.name == o.external_profile) {
        split[i] = "external";
        continue;
      }
      if (plans[i].record.failure != static_cast<bool>(failure)) continue;
      keyed.push_back({Rng(DeriveSeed(o.seed ^ 0x53504C4954ULL, i)).Uniform(), i});
    }
    std::sort(keyed.begin(), keyed.end());
    const size_t n_test = static_cast<size_t>(std::llround(o.test_fraction * keyed.size()));
    for (size_t n = 0; n < n_test; ++n) split[keyed[n].second] = "test";
  }
  return split;
}

CaseRow MakeCaseRow(const SynthCase& c, const std::string& split, uint64_t missing_seed) {
  const PatientRecord& r = c.record;
  const Demographics& d = r.demographics;
  const Treatment& t = r.treatment;
  const Anatomy& a = r.anatomy;
  Rng rng(missing_seed);
  // Missing-completely-at-random rates per EMR variable, as seen in retrospective charts.
  const auto maybe = [&](double rate, std::string value) {
    return rng.Bernoulli(rate) ? std::string() : value;
  };
  CaseRow row;
  row.case_id = c.case_id;
  row.profile = c.profile.name;
  row.centre = c.profile.centre;
  row.split = split;
  row.failure = r.failure;
  std::copy(c.bayes, c.bayes + kNumInfoSets, row.bayes);
  row.clinical = {maybe(0.02, Num(std::floor(d.age_years))),
                  d.female ? "F" : "M",
                  maybe(0.10, kSmoking[d.smoking]),
                  maybe(0.05, Flag(d.diabetes)),
                  maybe(0.12, Flag(d.periodontitis)),
                  maybe(0.08, Flag(d.osteoporosis)),
                  std::to_string(d.site_fdi),
                  maybe(0.02, t.lateral_approach ? "lateral" : "transcrestal"),
                  maybe(0.06, GraftName(t.graft)),
                  maybe(0.03, Flag(t.simultaneous)),
                  maybe(0.04, Num(t.implant_length_mm)),
                  maybe(0.04, Num(t.implant_diameter_mm)),
                  Flag(r.failure)};
  const PhantomTruth& tr = c.truth;
  row.truth = {split,
               c.profile.name,
               tr.right_side ? "right" : "left",
               Flag(r.failure),
               Num(r.true_probability),
               Num(r.linear_predictor),
               Num(r.frailty),
               Num(c.bayes[0]),
               Num(c.bayes[1]),
               Num(c.bayes[2]),
               Num(c.bayes[3]),
               Num(a.residual_bone_height_mm),
               MembraneTypeName(a.membrane_type),
               Num(a.membrane_thickness_mm),
               Round(tr.membrane_thickness_site_mm, 0.01),
               Num(tr.sinus_volume_ml),
               Round(tr.sinus_width_mm, 0.01),
               Num(a.bone_density_bvtv),
               Num(a.trabecular_spacing_mm),
               Flag(a.septum),
               Num(tr.septum_height_mm),
               std::to_string(tr.teeth_present),
               std::to_string(tr.metal_objects),
               Num(tr.site_crest_lps[0]),
               Num(tr.site_crest_lps[1]),
               Num(tr.site_crest_lps[2]),
               Num(tr.site_floor_lps[0]),
               Num(tr.site_floor_lps[1]),
               Num(tr.site_floor_lps[2])};
  return row;
}

Status WriteCaseVolumes(const SynthCase& c, const std::string& out_dir) {
  io::WriteOptions options;
  options.pixel_type = io::PixelType::kInt16;
  AMDRN_RETURN_IF_ERROR(
      io::WriteImage(c.image, out_dir + "/imagesTr/" + c.case_id + "_0000.nii.gz", options));
  return io::WriteLabelMap(c.labels, out_dir + "/labelsTr/" + c.case_id + ".nii.gz");
}

Status WriteCohortTables(const std::vector<CaseRow>& rows, const SynthOptions& o) {
  CsvTable clinical(ClinicalColumns()), truth(TruthColumns());
  nlohmann::json splits = {{"train", nlohmann::json::array()},
                           {"test", nlohmann::json::array()},
                           {"external", nlohmann::json::array()}};
  for (const CaseRow& r : rows) {
    std::vector<std::string> c = {r.case_id, r.centre, r.profile, r.split};
    c.insert(c.end(), r.clinical.begin(), r.clinical.end());
    AMDRN_RETURN_IF_ERROR(clinical.AddRow(std::move(c)));
    std::vector<std::string> t = {r.case_id};
    t.insert(t.end(), r.truth.begin(), r.truth.end());
    AMDRN_RETURN_IF_ERROR(truth.AddRow(std::move(t)));
    splits[r.split].push_back(r.case_id);
  }
  AMDRN_RETURN_IF_ERROR(WriteCsv(o.out_dir + "/clinical.csv", clinical));
  AMDRN_RETURN_IF_ERROR(WriteCsv(o.out_dir + "/truth.csv", truth));
  AMDRN_RETURN_IF_ERROR(WriteFileAtomic(o.out_dir + "/splits.json", splits.dump(2) + "\n"));
  const Preset preset = FindPreset(o.preset).value();
  nlohmann::json dataset = {
      {"name", "AMDRN synthetic posterior-maxilla CBCT"},
      {"description",
       "Synthetic CBCT cohort generated by amdrn synth; see docs/synthetic-cohort.md"},
      {"channel_names", {{"0", "CT"}}},
      {"labels",
       {{"background", 0},
        {"maxillary_sinus", 1},
        {"schneiderian_membrane", 2},
        {"residual_alveolar_bone", 3}}},
      {"numTraining", rows.size()},
      {"file_ending", ".nii.gz"},
      {"amdrn",
       {{"generator", "amdrn synth"},
        {"generator_version", kGeneratorVersion},
        {"seed", o.seed},
        {"preset", o.preset},
        {"profile", o.profile},
        {"spacing_mm", o.spacing_mm > 0 ? o.spacing_mm : preset.spacing_mm},
        {"external_profile", o.external_profile},
        {"test_fraction", o.test_fraction},
        {"cases", rows.size()}}}};
  return WriteFileAtomic(o.out_dir + "/dataset.json", dataset.dump(2) + "\n");
}

}  // namespace amdrn::synth
