#include "seg/metrics.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <limits>
#include <mutex>
#include <thread>

#include "core/file_util.h"
#include "core/progress.h"
#include "io/volume_io.h"
#include "seg/fingerprint.h"

namespace amdrn::seg {
namespace fs = std::filesystem;
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// 1D squared Euclidean distance transform of sampled function f at positions i * spacing
// (Felzenszwalb & Huttenlocher 2012), in place over `n` values with `stride`.
void Edt1d(float* f, int64_t n, int64_t stride, double spacing, std::vector<double>& g,
           std::vector<int64_t>& v, std::vector<double>& z) {
  g.resize(n);
  v.resize(n);
  z.resize(n + 1);
  for (int64_t i = 0; i < n; ++i) g[i] = f[i * stride];
  int64_t k = -1;
  for (int64_t q = 0; q < n; ++q) {
    if (std::isinf(g[q])) continue;
    const double xq = q * spacing;
    while (k >= 0) {
      const double xv = v[k] * spacing;
      const double s = ((g[q] + xq * xq) - (g[v[k]] + xv * xv)) / (2 * (xq - xv));
      if (s <= z[k]) {
        --k;
      } else {
        break;
      }
    }
    ++k;
    v[k] = q;
    z[k] = k == 0 ? -std::numeric_limits<double>::infinity()
                  : ((g[q] + xq * xq) - (g[v[k - 1]] + v[k - 1] * spacing * v[k - 1] * spacing)) /
                        (2 * (xq - v[k - 1] * spacing));
    z[k + 1] = std::numeric_limits<double>::infinity();
  }
  if (k < 0) return;  // all infinite: stays infinite
  int64_t j = 0;
  for (int64_t q = 0; q < n; ++q) {
    const double xq = q * spacing;
    while (z[j + 1] < xq) ++j;
    const double d = xq - v[j] * spacing;
    f[q * stride] = static_cast<float>(d * d + g[v[j]]);
  }
}

// Surface voxels of `label` within the box: foreground with a 6-neighbour outside it.
std::vector<uint8_t> Surface(const uint8_t* m, const Index3& size, int label) {
  const int64_t nx = size[0], ny = size[1], nz = size[2];
  std::vector<uint8_t> s(static_cast<size_t>(nx * ny * nz), 0);
  auto fg = [&](int64_t i, int64_t j, int64_t k) {
    return i >= 0 && j >= 0 && k >= 0 && i < nx && j < ny && k < nz && m[i + nx * (j + ny * k)] == label;
  };
  for (int64_t k = 0; k < nz; ++k)
    for (int64_t j = 0; j < ny; ++j)
      for (int64_t i = 0; i < nx; ++i) {
        if (!fg(i, j, k)) continue;
        s[i + nx * (j + ny * k)] = !fg(i - 1, j, k) || !fg(i + 1, j, k) || !fg(i, j - 1, k) || !fg(i, j + 1, k) ||
                                   !fg(i, j, k - 1) || !fg(i, j, k + 1);
      }
  return s;
}

// Crops a label array to the box [lo, hi) (ITK index order).
std::vector<uint8_t> CropIjk(const uint8_t* m, const Index3& size, const Index3& lo, const Index3& hi) {
  std::vector<uint8_t> out;
  out.reserve(static_cast<size_t>((hi[0] - lo[0]) * (hi[1] - lo[1]) * (hi[2] - lo[2])));
  for (int64_t k = lo[2]; k < hi[2]; ++k)
    for (int64_t j = lo[1]; j < hi[1]; ++j) {
      const uint8_t* row = m + size[0] * (j + size[1] * k);
      out.insert(out.end(), row + lo[0], row + hi[0]);
    }
  return out;
}

double P95(std::vector<double>& d) { return Percentile(d, 95.0); }

void SurfaceMetrics(const uint8_t* ref, const uint8_t* pred, const Index3& size, const Vec3& spacing, int label,
                    const MetricsOptions& options, ClassMetrics* m) {
  // Work inside the bounding box of both masks: distances between surface voxels stay inside.
  Index3 lo = {size[0], size[1], size[2]}, hi = {0, 0, 0};
  for (int64_t k = 0; k < size[2]; ++k)
    for (int64_t j = 0; j < size[1]; ++j)
      for (int64_t i = 0; i < size[0]; ++i) {
        const int64_t o = i + size[0] * (j + size[1] * k);
        if (ref[o] != label && pred[o] != label) continue;
        const int64_t idx[3] = {i, j, k};
        for (int d = 0; d < 3; ++d) {
          lo[d] = std::min(lo[d], idx[d]);
          hi[d] = std::max(hi[d], idx[d] + 1);
        }
      }
  const Index3 box = {hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]};
  const std::vector<uint8_t> r = CropIjk(ref, size, lo, hi), p = CropIjk(pred, size, lo, hi);
  // Surfaces are computed on the full grid semantics: a voxel on the box edge is a surface
  // voxel only if its neighbour outside the box is background, which holds by construction.
  const std::vector<uint8_t> sr = Surface(r.data(), box, label), sp = Surface(p.data(), box, label);
  const std::vector<float> dr = DistanceTransformMm(sr.data(), box, spacing);
  const std::vector<float> dp = DistanceTransformMm(sp.data(), box, spacing);
  std::vector<double> pred_to_ref, ref_to_pred;
  for (size_t i = 0; i < sr.size(); ++i) {
    if (sp[i]) pred_to_ref.push_back(dr[i]);
    if (sr[i]) ref_to_pred.push_back(dp[i]);
  }
  const double tol = options.nsd_tolerance_mm;
  int64_t within = 0;
  for (double d : pred_to_ref) within += d <= tol;
  for (double d : ref_to_pred) within += d <= tol;
  m->nsd = static_cast<double>(within) / static_cast<double>(pred_to_ref.size() + ref_to_pred.size());
  m->hd95_mm = std::max(P95(pred_to_ref), P95(ref_to_pred));
}

}  // namespace

std::vector<float> DistanceTransformMm(const uint8_t* mask, const Index3& size, const Vec3& spacing_mm) {
  const int64_t n = size[0] * size[1] * size[2];
  std::vector<float> f(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) f[i] = mask[i] ? 0.0f : kInf;
  std::vector<double> g, z;
  std::vector<int64_t> v;
  const int64_t strides[3] = {1, size[0], size[0] * size[1]};
  for (int axis = 0; axis < 3; ++axis) {
    const int a = (axis + 1) % 3, b = (axis + 2) % 3;
    for (int64_t ib = 0; ib < size[b]; ++ib)
      for (int64_t ia = 0; ia < size[a]; ++ia) {
        Edt1d(f.data() + ia * strides[a] + ib * strides[b], size[axis], strides[axis], spacing_mm[axis], g, v, z);
      }
  }
  for (float& d : f) d = std::sqrt(d);
  return f;
}

ClassMetrics MetricsFor(const uint8_t* ref, const uint8_t* pred, const Index3& size, const Vec3& spacing,
                        int label, const MetricsOptions& options) {
  ClassMetrics m;
  m.label = label;
  const int64_t n = size[0] * size[1] * size[2];
  for (int64_t i = 0; i < n; ++i) {
    const bool r = ref[i] == label, p = pred[i] == label;
    m.tp += r && p;
    m.fp += !r && p;
    m.fn += r && !p;
  }
  m.tn = n - m.tp - m.fp - m.fn;
  m.n_ref = m.tp + m.fn;
  m.n_pred = m.tp + m.fp;
  if (m.n_ref == 0 && m.n_pred == 0) {
    m.dice = m.iou = m.hd95_mm = m.nsd = kNaN;
    return m;
  }
  m.dice = 2.0 * m.tp / (2.0 * m.tp + m.fp + m.fn);
  m.iou = static_cast<double>(m.tp) / (m.tp + m.fp + m.fn);
  if (!options.surface_metrics) {
    m.hd95_mm = m.nsd = kNaN;
  } else if (m.n_ref == 0 || m.n_pred == 0) {
    m.hd95_mm = kNaN;
    m.nsd = 0;
  } else {
    SurfaceMetrics(ref, pred, size, spacing, label, options, &m);
  }
  return m;
}

StatusOr<std::vector<ClassMetrics>> ComputeCaseMetrics(const LabelMap& reference, const LabelMap& prediction,
                                                       const std::vector<int>& labels, const MetricsOptions& options) {
  AMDRN_RETURN_IF_ERROR(CheckSameGeometry(reference.geometry(), prediction.geometry(), "reference", "prediction"));
  std::vector<ClassMetrics> out;
  for (int label : labels) {
    out.push_back(MetricsFor(reference.data(), prediction.data(), reference.size(),
                             reference.geometry().spacing_mm, label, options));
  }
  return out;
}

void MeanAndSd(const std::vector<double>& values, double* mean, double* sd, int* count) {
  double sum = 0;
  int n = 0;
  for (double v : values) {
    if (std::isfinite(v)) {
      sum += v;
      ++n;
    }
  }
  *count = n;
  *mean = n > 0 ? sum / n : kNaN;
  double ss = 0;
  for (double v : values) {
    if (std::isfinite(v)) ss += (v - *mean) * (v - *mean);
  }
  *sd = n > 1 ? std::sqrt(ss / (n - 1)) : kNaN;
}

StatusOr<EvaluationSummary> EvaluateFolders(const std::string& reference_folder, const std::string& prediction_folder,
                                            const std::vector<int>& labels, const std::string& file_ending,
                                            const MetricsOptions& options, int threads, bool allow_missing) {
  if (!IsDirectory(reference_folder)) return NotFoundError("expected a reference folder at " + reference_folder);
  if (!IsDirectory(prediction_folder)) return NotFoundError("expected a prediction folder at " + prediction_folder);
  EvaluationSummary summary;
  summary.labels = labels;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(reference_folder)) {
    const std::string name = e.path().filename().string();
    if (name.size() > file_ending.size() && name.compare(name.size() - file_ending.size(), file_ending.size(), file_ending) == 0) {
      names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    const std::string pred = (fs::path(prediction_folder) / name).string();
    if (!PathExists(pred)) {
      if (allow_missing) continue;
      return NotFoundError("expected a prediction " + pred + " for reference " + name + ", found none");
    }
    CaseResult c;
    c.case_id = name.substr(0, name.size() - file_ending.size());
    c.reference_path = (fs::path(reference_folder) / name).string();
    c.prediction_path = pred;
    summary.cases.push_back(c);
  }
  if (summary.cases.empty()) {
    return FailedPreconditionError("expected reference files ending in " + file_ending + " in " + reference_folder +
                                   " with predictions in " + prediction_folder + ", found none");
  }
  std::atomic<size_t> next{0};
  std::mutex mutex;
  Status first_error;
  Progress progress("evaluate", static_cast<int64_t>(summary.cases.size()));
  auto work = [&] {
    for (size_t i = next++; i < summary.cases.size(); i = next++) {
      CaseResult& c = summary.cases[i];
      Status s = [&]() -> Status {
        AMDRN_ASSIGN_OR_RETURN(LabelMap ref, io::ReadLabelMap(c.reference_path));
        AMDRN_ASSIGN_OR_RETURN(LabelMap pred, io::ReadLabelMap(c.prediction_path));
        AMDRN_ASSIGN_OR_RETURN(c.classes, ComputeCaseMetrics(ref, pred, labels, options));
        return OkStatus();
      }();
      std::lock_guard<std::mutex> lock(mutex);
      if (!s.ok() && first_error.ok()) first_error = s.WithContext("case " + c.case_id);
      progress.Increment();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, threads); ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  progress.Finish();
  AMDRN_RETURN_IF_ERROR(first_error);
  return summary;
}

namespace {

const char* const kMetricNames[] = {"Dice", "IoU", "HD95_mm", "NSD", "TP", "FP", "FN", "TN", "n_ref", "n_pred"};

std::vector<double> MetricValues(const ClassMetrics& m) {
  return {m.dice, m.iou, m.hd95_mm, m.nsd, static_cast<double>(m.tp), static_cast<double>(m.fp),
          static_cast<double>(m.fn), static_cast<double>(m.tn), static_cast<double>(m.n_ref),
          static_cast<double>(m.n_pred)};
}

}  // namespace

Json SummaryToJson(const EvaluationSummary& s, const MetricsOptions& options) {
  constexpr size_t kNumMetrics = sizeof(kMetricNames) / sizeof(kMetricNames[0]);
  Json per_case = Json::array();
  // values[label index][metric] over cases
  std::vector<std::vector<std::vector<double>>> values(s.labels.size(), std::vector<std::vector<double>>(kNumMetrics));
  for (const CaseResult& c : s.cases) {
    Json metrics = Json::object();
    for (size_t l = 0; l < c.classes.size(); ++l) {
      const std::vector<double> v = MetricValues(c.classes[l]);
      Json entry = Json::object();
      for (size_t k = 0; k < kNumMetrics; ++k) {
        entry[kMetricNames[k]] = v[k];
        values[l][k].push_back(v[k]);
      }
      metrics[std::to_string(c.classes[l].label)] = entry;
    }
    per_case.push_back({{"case", c.case_id}, {"metrics", metrics}, {"prediction_file", c.prediction_path},
                        {"reference_file", c.reference_path}});
  }
  Json mean = Json::object(), sd = Json::object(), count = Json::object(), fg = Json::object();
  std::vector<std::vector<double>> class_means(kNumMetrics);
  for (size_t l = 0; l < s.labels.size(); ++l) {
    Json m = Json::object(), d = Json::object(), c = Json::object();
    for (size_t k = 0; k < kNumMetrics; ++k) {
      double mu, sigma;
      int n;
      MeanAndSd(values[l][k], &mu, &sigma, &n);
      m[kMetricNames[k]] = mu;
      d[kMetricNames[k]] = sigma;
      c[kMetricNames[k]] = n;
      class_means[k].push_back(mu);
    }
    const std::string key = std::to_string(s.labels[l]);
    mean[key] = m;
    sd[key] = d;
    count[key] = c;
  }
  for (size_t k = 0; k < kNumMetrics; ++k) {
    double mu, sigma;
    int n;
    MeanAndSd(class_means[k], &mu, &sigma, &n);
    fg[kMetricNames[k]] = mu;
  }
  Json j;
  j["foreground_mean"] = fg;
  j["mean"] = mean;
  j["sd"] = sd;
  j["count_finite"] = count;
  j["metric_per_case"] = per_case;
  j["nsd_tolerance_mm"] = options.nsd_tolerance_mm;
  j["conventions"] = "Dice, IoU, HD95 and NSD are null (NaN) when reference and prediction are both empty; "
                     "with exactly one empty, Dice = IoU = NSD = 0 and HD95 is null. Means and sds skip nulls.";
  return j;
}

CsvTable SummaryToCsv(const EvaluationSummary& s) {
  CsvTable t({"case", "label", "dice", "iou", "hd95_mm", "nsd", "tp", "fp", "fn", "tn", "n_ref", "n_pred"});
  for (const CaseResult& c : s.cases) {
    for (const ClassMetrics& m : c.classes) {
      std::vector<std::string> row = {c.case_id, std::to_string(m.label)};
      for (double v : MetricValues(m)) row.push_back(FormatDouble(v));
      (void)t.AddRow(row);
    }
  }
  return t;
}

}  // namespace amdrn::seg
