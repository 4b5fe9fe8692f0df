// The files of a synthetic cohort: the nnU-Net v2 raw layout (imagesTr, labelsTr,
// dataset.json), clinical.csv (the EMR, with missing values), truth.csv (kept apart: true
// probabilities and anatomy) and splits.json. Internal to amdrn_synth; thread-safe (each
// function writes its own files atomically).
#ifndef AMDRN_SYNTH_COHORT_FILES_H_
#define AMDRN_SYNTH_COHORT_FILES_H_

#include <string>
#include <vector>

#include "core/csv.h"
#include "core/status.h"
#include "synth/synth.h"

namespace amdrn::synth {

// One case's table values: clinical (with missing values already drawn) and truth.
struct CaseRow {
  std::string case_id, profile, centre, split;
  std::vector<std::string> clinical;  // in ClinicalColumns() order after case_id..split
  std::vector<std::string> truth;     // in TruthColumns() order after case_id
  int failure = 0;
  double bayes[kNumInfoSets] = {};
};

// Column names of clinical.csv and truth.csv.
const std::vector<std::string>& ClinicalColumns();
const std::vector<std::string>& TruthColumns();

// "train", "test" or "external" per plan: cases of options.external_profile are external; the
// others are split at random, stratified by outcome, test_fraction of each class to "test".
std::vector<std::string> AssignSplits(const std::vector<CasePlan>& plans,
                                      const SynthOptions& options);

// Draws the EMR's missing values (MCAR, per-variable rates) from `missing_seed`.
CaseRow MakeCaseRow(const SynthCase& c, const std::string& split, uint64_t missing_seed);

// imagesTr/<id>_0000.nii.gz (int16) and labelsTr/<id>.nii.gz (uint8) under `out_dir`.
Status WriteCaseVolumes(const SynthCase& c, const std::string& out_dir);

// clinical.csv, truth.csv, dataset.json and splits.json under options.out_dir.
Status WriteCohortTables(const std::vector<CaseRow>& rows, const SynthOptions& options);

}  // namespace amdrn::synth

#endif  // AMDRN_SYNTH_COHORT_FILES_H_
