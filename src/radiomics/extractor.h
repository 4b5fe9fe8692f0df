// The radiomics extractor: PyRadiomics' RadiomicsFeatureExtractor.execute in C++. For one
// image and mask it runs normalisation, resampling, mask checks, resegmentation, shape on
// the original image, then every enabled image type (filter, crop, discretise, features)
// for each requested label, and returns one row per label with PyRadiomics column names
// (original_glcm_Contrast, wavelet-LLH_firstorder_Mean, ...) plus diagnostics_* values.
// Filtered images are computed once per case and shared by its regions unless resampling
// makes the grids region-specific. An Extractor is immutable after construction and
// thread-safe; ExtractCase uses up to `threads` workers (regions in parallel).
#ifndef AMDRN_RADIOMICS_EXTRACTOR_H_
#define AMDRN_RADIOMICS_EXTRACTOR_H_

#include <string>
#include <functional>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/volume.h"
#include "radiomics/params.h"
#include "radiomics/preprocess.h"

namespace amdrn::radiomics {

// One output row.
struct ExtractionRow {
  std::string case_id;
  int label = 0;
  std::string region;                                     // "MS", "SM", "RAB" or the label
  Diagnostics diagnostics;                                // without the diagnostics_ prefix
  std::vector<std::pair<std::string, double>> features;  // full PyRadiomics names, in order
  Status status;  // not OK: the row names the error and has no features
};

struct CaseImages {
  std::string case_id;
  RealVolume image;
  PixelTypeInfo pixel_type;  // of the image file (integer images resample like SimpleITK)
  LabelMap mask;
};

// Reads an image and mask pair (mask values must be integers 0-255).
StatusOr<CaseImages> LoadCase(const std::string& case_id, const std::string& image_path,
                              const std::string& mask_path);

// The amdrn region name for the AMDRN labels (1 MS, 2 SM, 3 RAB); other labels: "label<N>".
std::string RegionName(int label);

class Extractor {
 public:
  explicit Extractor(Params params);

  const Params& params() const { return params_; }

  // One row per label, in the order given; a label that fails gives a row with its status
  // and never stops the others. `threads` <= 0 uses GetThreadCount().
  std::vector<ExtractionRow> ExtractCase(const CaseImages& input, const std::vector<int>& labels,
                                         int threads = 0) const;

 private:
  Params params_;
};

// Column order for a table of rows: case_id, label, region, error, diagnostics_* (in first
// appearance order), then features (first appearance order).
std::vector<std::string> ColumnsFor(const std::vector<ExtractionRow>& rows);

// ---- result tables (CSV or JSON by the file's extension) ----

// A row as text cells in column order (features as shortest round-trip numbers, NaN "nan").
using TextRow = std::vector<std::pair<std::string, std::string>>;
TextRow ToTextRow(const ExtractionRow& row);
// Reads a table written by WriteRowsFile (.json: an array of objects; else CSV).
StatusOr<std::vector<TextRow>> ReadRowsFile(const std::string& path);
// Writes atomically; columns are the union in order of first appearance. JSON writes
// features as numbers (NaN as null) and the rest as strings; "-" writes CSV to stdout.
Status WriteRowsFile(const std::string& path, const std::vector<TextRow>& rows);

// ---- cohorts ----

struct CohortCase {
  std::string case_id;
  std::string image_path;
  std::string mask_path;
  std::vector<int> labels;
};

// An nnU-Net folder (imagesTr/<case>_0000.<ext> with labelsTr/<case>.<ext>, also imagesTs /
// labelsTs) or a CSV with columns image, mask and optionally label and case_id (paths
// relative to the CSV's folder). Cases without a label column get `default_labels`.
StatusOr<std::vector<CohortCase>> DiscoverCohort(const std::string& path,
                                                 const std::vector<int>& default_labels);

}  // namespace amdrn::radiomics

#endif  // AMDRN_RADIOMICS_EXTRACTOR_H_
