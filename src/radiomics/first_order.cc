// First-order features: PyRadiomics "firstorder" (IBSI intensity-based statistics, "stat",
// plus histogram entropy and uniformity) and the IBSI intensity histogram family ("ih") on
// discretised levels. Percentiles use numpy's linear interpolation; variance divides by N.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "radiomics/features.h"
#include "radiomics/texture_common.h"

namespace amdrn::radiomics {
namespace {
using internal::Add;
using internal::kEps;

// numpy.percentile (method 'linear') of `v` at each p in `ps` (ascending, in percent).
// Reorders `v`. Uses successive nth_element calls, O(N) per percentile.
std::vector<double> Percentiles(std::vector<double>* v, const std::vector<double>& ps) {
  std::vector<double> out;
  const int64_t n = static_cast<int64_t>(v->size());
  auto begin = v->begin();
  for (double p : ps) {
    const double pos = p / 100.0 * (n - 1);
    const int64_t lo = static_cast<int64_t>(std::floor(pos));
    std::nth_element(begin, v->begin() + lo, v->end());
    const double a = (*v)[lo];
    double b = a;
    if (lo + 1 < n) b = *std::min_element(v->begin() + lo + 1, v->end());
    const double t = pos - lo;
    // numpy's _lerp: a + t (b - a), or b - (1 - t)(b - a) when t >= 0.5.
    out.push_back(t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t);
    begin = v->begin() + lo;
  }
  return out;
}

struct Moments {
  double mean = 0, m2 = 0, m3 = 0, m4 = 0, mad = 0;
};

Moments CentralMoments(const std::vector<double>& v) {
  Moments m;
  const double n = static_cast<double>(v.size());
  m.mean = std::accumulate(v.begin(), v.end(), 0.0) / n;
  for (double x : v) {
    const double d = x - m.mean, d2 = d * d;
    m.m2 += d2;
    m.m3 += d2 * d;
    m.m4 += d2 * d2;
    m.mad += std::abs(d);
  }
  m.m2 /= n;
  m.m3 /= n;
  m.m4 /= n;
  m.mad /= n;
  return m;
}

// Mean absolute deviation from their mean of the values within [lo, hi] (IBSI 1128).
double RobustMad(const std::vector<double>& v, double lo, double hi) {
  double sum = 0;
  int64_t count = 0;
  for (double x : v) {
    if (x < lo || x > hi) continue;
    sum += x;
    ++count;
  }
  if (count == 0) return internal::kNaN;
  const double mean = sum / count;
  double dev = 0;
  for (double x : v) {
    if (x >= lo && x <= hi) dev += std::abs(x - mean);
  }
  return dev / count;
}

// Histogram entropy and uniformity of the discretised levels (IBSI TLU2, BJ5W).
void LevelEntropy(const DiscretisedRoi& d, double* entropy, double* uniformity) {
  std::vector<int64_t> counts(d.max_level + 1, 0);
  for (int64_t v : d.voxels) ++counts[d.levels[v]];
  *entropy = 0;
  *uniformity = 0;
  const double n = static_cast<double>(d.voxels.size());
  for (int64_t c : counts) {
    if (c == 0) continue;
    const double p = c / n;
    *entropy -= p * std::log2(p + kEps);
    *uniformity += p * p;
  }
}

// Shape statistics shared by "stat" and "ih": skewness and (excess) kurtosis with
// PyRadiomics' convention for flat ROIs (m2 = 0 -> skewness 0, kurtosis 0).
double Skewness(const Moments& m) { return m.m2 == 0 ? 0.0 : m.m3 / std::pow(m.m2, 1.5); }
double Kurtosis(const Moments& m, bool excess) {
  if (m.m2 == 0) return 0.0;
  return m.m4 / (m.m2 * m.m2) - (excess ? 3.0 : 0.0);
}

}  // namespace

// Percentiles as above, using the discretised levels (which never decrease with intensity)
// to find the bin holding each needed order statistic: one pass gathers those bins' values
// and the selection runs within them. Same values as Percentiles; falls back to it when
// `d` was not made from `roi`.
std::vector<double> BinnedPercentiles(const Roi& roi, const DiscretisedRoi& d,
                                      const std::vector<double>& ps) {
  const int64_t n = static_cast<int64_t>(roi.values.size());
  if (d.size != roi.size || d.voxels.size() != roi.voxels.size()) {
    std::vector<double> v = roi.values;
    return Percentiles(&v, ps);
  }
  std::vector<int64_t> start(d.max_level + 2, 0);  // start[l]: values below level l
  for (int64_t v : roi.voxels) ++start[d.levels[v] + 1];
  for (size_t l = 1; l < start.size(); ++l) start[l] += start[l - 1];
  auto level_of = [&](int64_t rank) {
    return static_cast<int32_t>(std::upper_bound(start.begin(), start.end(), rank) -
                                start.begin()) - 1;
  };
  std::vector<char> needed(d.max_level + 1, 0);
  for (double p : ps) {
    const int64_t lo = static_cast<int64_t>(std::floor(p / 100.0 * (n - 1)));
    needed[level_of(lo)] = 1;
    if (lo + 1 < n) needed[level_of(lo + 1)] = 1;
  }
  std::vector<std::vector<double>> bins(d.max_level + 1);
  for (int64_t i = 0; i < n; ++i) {
    const int32_t l = d.levels[roi.voxels[i]];
    if (needed[l]) bins[l].push_back(roi.values[i]);
  }
  auto order_statistic = [&](int64_t rank) {
    const int32_t l = level_of(rank);
    std::vector<double>& bin = bins[l];
    auto at = bin.begin() + (rank - start[l]);
    std::nth_element(bin.begin(), at, bin.end());
    return *at;
  };
  std::vector<double> out;
  for (double p : ps) {
    const double pos = p / 100.0 * (n - 1);
    const int64_t lo = static_cast<int64_t>(std::floor(pos));
    const double a = order_statistic(lo);
    const double b = lo + 1 < n ? order_statistic(lo + 1) : a;
    const double t = pos - lo;
    out.push_back(t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t);
  }
  return out;
}

StatusOr<FeatureList> ComputeFirstOrder(const Roi& roi, const DiscretisedRoi& discretised,
                                        const FirstOrderSettings& settings) {
  if (roi.values.empty()) return internal::EmptyRoiError("firstorder");
  std::vector<double> v(roi.values.begin(), roi.values.end());
  const double n = static_cast<double>(v.size());
  const Moments m = CentralMoments(v);
  double energy = 0;
  for (double x : v) energy += (x + settings.voxel_array_shift) * (x + settings.voxel_array_shift);
  const double voxel_mm3 = roi.spacing_mm[0] * roi.spacing_mm[1] * roi.spacing_mm[2];
  double entropy = 0, uniformity = 0;
  LevelEntropy(discretised, &entropy, &uniformity);

  const std::vector<double> q = BinnedPercentiles(roi, discretised, {0, 10, 25, 50, 75, 90, 100});
  const double p10 = q[1], p25 = q[2], median = q[3], p75 = q[4], p90 = q[5];
  const double minimum = q[0], maximum = q[6];

  FeatureList f;
  Add(&f, "Energy", energy, "N8CA");                      // sum (x + shift)^2
  Add(&f, "TotalEnergy", energy * voxel_mm3, "");         // Energy * voxel volume (mm^3)
  Add(&f, "Entropy", entropy, "TLU2");                    // -sum p_i log2(p_i + eps), levels
  Add(&f, "Minimum", minimum, "1GSF");                    // min x
  Add(&f, "10Percentile", p10, "QG58");                   // numpy linear interpolation
  // numpy linear interpolation
  Add(&f, "90Percentile", p90, "8DWT");
  Add(&f, "Maximum", maximum, "84IY");                    // max x
  Add(&f, "Mean", m.mean, "Q4LE");                        // sum x / N
  // P50
  Add(&f, "Median", median, "Y12H");
  Add(&f, "InterquartileRange", p75 - p25, "SALO");       // P75 - P25
  // max - min
  Add(&f, "Range", maximum - minimum, "2OJQ");
  Add(&f, "MeanAbsoluteDeviation", m.mad, "4FUA");        // sum |x - mean| / N
  Add(&f, "RobustMeanAbsoluteDeviation", RobustMad(v, p10, p90), "1128");  // within [P10, P90]
  Add(&f, "RootMeanSquared", std::sqrt(energy / n), "5ZWQ");  // sqrt(Energy / N)
  Add(&f, "StandardDeviation", std::sqrt(m.m2), "", true);   // sqrt(m2)
  Add(&f, "Skewness", Skewness(m), "KE2A");               // m3 / m2^1.5
  // PyRadiomics: m4 / m2^2; IBSI (IPH6): excess kurtosis m4 / m2^2 - 3.
  Add(&f, "Kurtosis", Kurtosis(m, settings.ibsi), "IPH6");
  Add(&f, "Variance", m.m2, "ECT3");                      // sum (x - mean)^2 / N
  Add(&f, "Uniformity", uniformity, "BJ5W");              // sum p_i^2, levels
  if (settings.ibsi) {
    double medad = 0;
    for (double x : v) medad += std::abs(x - median);
    Add(&f, "MedianAbsoluteDeviation", medad / n, "N72L");  // sum |x - median| / N
    Add(&f, "CoefficientOfVariation", std::sqrt(m.m2) / m.mean, "7TET");  // sigma / mean
    // (P75 - P25) / (P75 + P25)
    Add(&f, "QuartileCoefficientOfDispersion", (p75 - p25) / (p75 + p25), "9S40");
  }
  internal::SortByName(&f);
  return f;
}

StatusOr<FeatureList> ComputeIntensityHistogram(const DiscretisedRoi& d) {
  if (d.voxels.empty()) return internal::EmptyRoiError("intensity histogram");
  std::vector<double> v;
  v.reserve(d.voxels.size());
  for (int64_t o : d.voxels) v.push_back(d.levels[o]);
  const double n = static_cast<double>(v.size());
  const Moments m = CentralMoments(v);
  std::vector<double> sorted = v;
  const std::vector<double> q = Percentiles(&sorted, {0, 10, 25, 50, 75, 90, 100});
  double medad = 0;
  for (double x : v) medad += std::abs(x - q[3]);
  double entropy = 0, uniformity = 0;
  LevelEntropy(d, &entropy, &uniformity);

  // Histogram over levels 1..Ng and its gradient: H(2)-H(1) at the first bin, central
  // differences inside, H(Ng)-H(Ng-1) at the last (IBSI 12CE, VQB3).
  const int ng = std::max(d.num_levels, d.max_level);
  std::vector<double> h(ng + 2, 0.0);
  for (double x : v) h[static_cast<int>(x)] += 1;
  int mode = 1;
  for (int g = 1; g <= ng; ++g) {
    if (h[g] > h[mode]) mode = g;
  }
  double max_grad = -1e300, min_grad = 1e300;
  int max_grad_i = 1, min_grad_i = 1;
  for (int g = 1; g <= ng; ++g) {
    double grad = 0;
    if (ng == 1) grad = 0;
    else if (g == 1) grad = h[2] - h[1];
    else if (g == ng) grad = h[ng] - h[ng - 1];
    else grad = (h[g + 1] - h[g - 1]) / 2;
    if (grad > max_grad) { max_grad = grad; max_grad_i = g; }
    if (grad < min_grad) { min_grad = grad; min_grad_i = g; }
  }

  // The IBSI "stat" formulas applied to the discretised levels X_d.
  FeatureList f;
  Add(&f, "Mean", m.mean, "X6K6");                         // sum X_d / N
  Add(&f, "Variance", m.m2, "CH89");                       // sum (X_d - mean)^2 / N
  Add(&f, "Skewness", Skewness(m), "88K1");                // m3 / m2^1.5
  Add(&f, "Kurtosis", Kurtosis(m, true), "C3I7");          // m4 / m2^2 - 3
  // P50
  Add(&f, "Median", q[3], "WIFQ");
  // min X_d
  Add(&f, "Minimum", q[0], "1PR8");
  Add(&f, "10Percentile", q[1], "GPMT");                   // linear interpolation
  // numpy linear interpolation
  Add(&f, "90Percentile", q[5], "OZ0C");
  // max X_d
  Add(&f, "Maximum", q[6], "3NCY");
  Add(&f, "Mode", mode, "AMMC");                           // most frequent level (lowest on ties)
  Add(&f, "InterquartileRange", q[4] - q[2], "WR0O");        // P75 - P25
  Add(&f, "Range", q[6] - q[0], "5Z3W");                       // max - min
  Add(&f, "MeanAbsoluteDeviation", m.mad, "D2ZX");             // sum |X_d - mean| / N
  Add(&f, "RobustMeanAbsoluteDeviation", RobustMad(v, q[1], q[5]), "WRZB");  // within [P10, P90]
  Add(&f, "MedianAbsoluteDeviation", medad / n, "4RNL");       // sum |X_d - median| / N
  Add(&f, "CoefficientOfVariation", std::sqrt(m.m2) / m.mean, "CWYJ");  // sigma / mean
  // (P75 - P25) / (P75 + P25)
  Add(&f, "QuartileCoefficientOfDispersion", (q[4] - q[2]) / (q[4] + q[2]), "SLWD");
  Add(&f, "Entropy", entropy, "TLU2");                         // -sum p_i log2(p_i + eps)
  Add(&f, "Uniformity", uniformity, "BJ5W");                   // sum p_i^2
  // max_i H'(i); H'(i) = (H(i+1) - H(i-1)) / 2 inside, one-sided at the ends
  Add(&f, "MaximumHistogramGradient", max_grad, "12CE");
  // argmax_i H'(i)
  Add(&f, "MaximumHistogramGradientIntensity", max_grad_i, "8E6O");
  // min_i H'(i)
  Add(&f, "MinimumHistogramGradient", min_grad, "VQB3");
  // argmin_i H'(i)
  Add(&f, "MinimumHistogramGradientIntensity", min_grad_i, "RHQZ");
  internal::SortByName(&f);
  return f;
}

}  // namespace amdrn::radiomics
