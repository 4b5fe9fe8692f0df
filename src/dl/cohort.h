// Reading a cohort for the DL score: case ids, outcome and split from clinical.csv (never
// truth.csv), CBCTs from imagesTr/<id>_0000.nii.gz and label maps from a labels folder
// (labelsTr for ground truth, or a segmentation output folder with <id>.nii.gz), and their
// ROIs. No LibTorch. Thread-compatible.
#ifndef AMDRN_DL_COHORT_H_
#define AMDRN_DL_COHORT_H_

#include <string>
#include <vector>

#include "core/status.h"
#include "dl/roi.h"
#include "dl/trainer.h"

namespace amdrn::dl {

struct CohortOptions {
  std::string data_dir;          // nnU-Net raw dataset folder
  std::string labels_dir;        // "" = <data_dir>/labelsTr
  std::string clinical_csv;      // "" = <data_dir>/clinical.csv
  std::string id_column = "case_id";
  std::string outcome_column = "implant_failure";
  std::string split_column = "split";
};

struct CohortCase {
  std::string case_id;
  int label = -1;  // -1 when the outcome is missing
  std::string split;
  std::string image_path;
  std::string labels_path;
};

// Cases of `split` ("" = all). NotFound for a missing file or column; InvalidArgument for an
// outcome other than 0, 1 or missing.
StatusOr<std::vector<CohortCase>> ReadCohort(const CohortOptions& options,
                                             const std::string& split);

// Reads each case's volumes and extracts its ROI (progress bar "dl roi"). Cases without an
// outcome get label -1.
StatusOr<std::vector<TrainCase>> LoadRois(const std::vector<CohortCase>& cases,
                                          const RoiOptions& options);

// Reads one image + label map pair and extracts the ROI; also returns the CBCT geometry.
StatusOr<RoiSample> LoadRoi(const std::string& image_path, const std::string& labels_path,
                            const RoiOptions& options, Geometry* cbct_geometry = nullptr);

}  // namespace amdrn::dl

#endif  // AMDRN_DL_COHORT_H_
