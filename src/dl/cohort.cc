#include "dl/cohort.h"

#include <cmath>

#include "core/csv.h"
#include "core/file_util.h"
#include "core/progress.h"
#include "io/volume_io.h"

namespace amdrn::dl {

StatusOr<std::vector<CohortCase>> ReadCohort(const CohortOptions& options,
                                             const std::string& split) {
  const std::string csv_path =
      options.clinical_csv.empty() ? options.data_dir + "/clinical.csv" : options.clinical_csv;
  const std::string labels_dir =
      options.labels_dir.empty() ? options.data_dir + "/labelsTr" : options.labels_dir;
  AMDRN_ASSIGN_OR_RETURN(CsvTable table, ReadCsv(csv_path));
  AMDRN_ASSIGN_OR_RETURN(std::vector<std::string> ids, table.Column(options.id_column));
  AMDRN_ASSIGN_OR_RETURN(std::vector<double> outcome, table.NumericColumn(options.outcome_column));
  std::vector<std::string> splits(ids.size());
  if (!split.empty()) {
    AMDRN_ASSIGN_OR_RETURN(splits, table.Column(options.split_column));
  }
  std::vector<CohortCase> cases;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!split.empty() && splits[i] != split) continue;
    CohortCase c;
    c.case_id = ids[i];
    c.split = splits[i];
    if (outcome[i] == 0 || outcome[i] == 1) {
      c.label = static_cast<int>(outcome[i]);
    } else if (!std::isnan(outcome[i])) {
      return InvalidArgumentError("expected " + options.outcome_column + " 0, 1 or missing in " +
                                  csv_path + ", found " + FormatDouble(outcome[i]) +
                                  " in row " + std::to_string(i + 2));
    }
    c.image_path = options.data_dir + "/imagesTr/" + c.case_id + "_0000.nii.gz";
    c.labels_path = labels_dir + "/" + c.case_id + ".nii.gz";
    cases.push_back(std::move(c));
  }
  return cases;
}

StatusOr<RoiSample> LoadRoi(const std::string& image_path, const std::string& labels_path,
                            const RoiOptions& options, Geometry* cbct_geometry) {
  AMDRN_ASSIGN_OR_RETURN(ImageF image, io::ReadImage(image_path));
  AMDRN_ASSIGN_OR_RETURN(LabelMap labels, io::ReadLabelMap(labels_path));
  if (cbct_geometry != nullptr) *cbct_geometry = image.geometry();
  return ExtractRoi(image, labels, options);
}

StatusOr<std::vector<TrainCase>> LoadRois(const std::vector<CohortCase>& cases,
                                          const RoiOptions& options) {
  std::vector<TrainCase> out;
  out.reserve(cases.size());
  Progress bar("dl roi", static_cast<int64_t>(cases.size()));
  for (const CohortCase& c : cases) {
    TrainCase t;
    t.case_id = c.case_id;
    t.label = c.label;
    auto roi = LoadRoi(c.image_path, c.labels_path, options);
    if (!roi.ok()) return roi.status().WithContext("case " + c.case_id);
    t.roi = std::move(roi).value();
    out.push_back(std::move(t));
    bar.Increment();
  }
  return out;
}

}  // namespace amdrn::dl
