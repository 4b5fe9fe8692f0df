// Segmentation metrics per class and case: Dice, 95 % Hausdorff distance and normalised
// surface Dice (NSD), with nnU-Net's counts (TP, FP, FN, TN, n_ref, n_pred). Surfaces are
// the foreground voxels with a 6-neighbour outside the object (or on the image border);
// distances are Euclidean between voxel centres in mm (exact anisotropic distance
// transform), so spacing is respected. Conventions for empty masks are in MetricsFor's
// contract and docs/segmentation.md. Pure functions; thread-safe.
#ifndef AMDRN_SEG_METRICS_H_
#define AMDRN_SEG_METRICS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/csv.h"
#include "core/status.h"
#include "core/volume.h"
#include "seg/plans.h"

namespace amdrn::seg {

struct ClassMetrics {
  int label = 0;
  double dice = 0;     // 2TP / (2TP + FP + FN)
  double iou = 0;      // TP / (TP + FP + FN)
  double hd95_mm = 0;  // max of the two directed 95th percentiles of surface distances
  double nsd = 0;      // surface voxels within tolerance, both directions / all surface voxels
  int64_t tp = 0, fp = 0, fn = 0, tn = 0, n_ref = 0, n_pred = 0;
};

struct MetricsOptions {
  double nsd_tolerance_mm = 1.0;
  bool surface_metrics = true;  // false: Dice/IoU/counts only (fast)
};

// Metrics of `label` between `reference` and `prediction` over a grid with `spacing_mm`.
// Empty masks: both empty -> Dice, IoU, HD95 and NSD are NaN (nnU-Net: Dice NaN);
// one empty -> Dice 0, IoU 0, NSD 0, HD95 NaN (undefined; reported as null in JSON and
// counted in n_ref/n_pred so the case is still visible).
ClassMetrics MetricsFor(const uint8_t* reference, const uint8_t* prediction, const Index3& size,
                        const Vec3& spacing_mm, int label, const MetricsOptions& options);

// All `labels` for one case. FailedPrecondition if the geometries differ.
StatusOr<std::vector<ClassMetrics>> ComputeCaseMetrics(const LabelMap& reference,
                                                       const LabelMap& prediction,
                                                       const std::vector<int>& labels,
                                                       const MetricsOptions& options);

// Distances in mm from every voxel to the nearest voxel where `mask` is nonzero (exact
// Euclidean distance transform, Felzenszwalb-Huttenlocher, anisotropic). +inf if the mask is
// empty. Exposed for tests.
std::vector<float> DistanceTransformMm(const uint8_t* mask, const Index3& size,
                                       const Vec3& spacing_mm);

struct CaseResult {
  std::string case_id;
  std::string reference_path, prediction_path;
  std::vector<ClassMetrics> classes;
};

struct EvaluationSummary {
  std::vector<int> labels;
  std::vector<CaseResult> cases;
};

// Evaluates every `<case><file_ending>` of `reference_folder` that has a prediction of the
// same name in `prediction_folder` (NotFound if a prediction is missing, unless
// `allow_missing`). `threads` cases at a time.
StatusOr<EvaluationSummary> EvaluateFolders(const std::string& reference_folder,
                                            const std::string& prediction_folder,
                                            const std::vector<int>& labels,
                                            const std::string& file_ending,
                                            const MetricsOptions& options, int threads = 1,
                                            bool allow_missing = false);

// summary.json: "metric_per_case" (per case, per label), "mean" (per label: NaN-skipping
// mean and sd of each metric, count of finite values), "foreground_mean" (mean over labels of
// the per-label means). NaN is written as null.
Json SummaryToJson(const EvaluationSummary& summary, const MetricsOptions& options);
// One row per case and label: case,label,dice,iou,hd95_mm,nsd,tp,fp,fn,tn,n_ref,n_pred.
CsvTable SummaryToCsv(const EvaluationSummary& summary);

// NaN-skipping mean and sample standard deviation (n - 1); NaN if no finite value.
void MeanAndSd(const std::vector<double>& values, double* mean, double* sd, int* count);

}  // namespace amdrn::seg

#endif  // AMDRN_SEG_METRICS_H_
