// Grey level run length matrix (GLRLM, IBSI "rlm") features.
// P(i, j | a): number of runs (maximal sequences of consecutive ROI voxels with the same level
// along direction a, distance 1) with level i and length j. N_r = sum P, N_p = sum j P.
// Averaged: features per direction, then the NaN-aware mean; merged: the (weighted) sum.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "radiomics/features.h"
#include "radiomics/texture_common.h"

namespace amdrn::radiomics {
namespace {
using internal::Add;
using internal::kEps;
using internal::Offset3;

// Whether some line along `o` holds more than one ROI voxel (walks from every ROI voxel to
// the box edge; only used when no run is longer than one voxel).
bool AnyLineWithTwoVoxels(const internal::PaddedCompact& p, const Offset3& o) {
  const int64_t delta = p.Delta(o);
  const Index3 inner = {p.size[0] - 2 * p.pad, p.size[1] - 2 * p.pad, p.size[2] - 2 * p.pad};
  for (int64_t v : p.roi) {
    const int64_t i = v % p.size[0] - p.pad, j = (v / p.size[0]) % p.size[1] - p.pad,
                  k = v / (p.size[0] * p.size[1]) - p.pad;
    for (int64_t t = 1, u = v + delta;; ++t, u += delta) {
      const int64_t a = i + t * o.di, b = j + t * o.dj, c = k + t * o.dk;
      if (a < 0 || b < 0 || c < 0 || a >= inner[0] || b >= inner[1] || c >= inner[2]) break;
      if (p.levels[u] != 0) return true;
    }
  }
  return false;
}

// Runs along direction `o` into `m` (n levels x max_len lengths). Returns false when no line
// along `o` holds more than one ROI voxel (PyRadiomics then drops the direction). Runs along
// o and -o are the same, so o is taken pointing forward in memory; ROI voxels are visited in
// memory order, each extending its predecessor's run or starting one, and a run is counted
// at its last voxel. Branch-free: the zero padding bounds every neighbour access.
bool CountRuns(const internal::PaddedCompact& p, Offset3 o, int max_len,
               std::vector<double>* m) {
  if (p.Delta(o) < 0) o = {-o.di, -o.dj, -o.dk};
  const int64_t delta = p.Delta(o);
  const int32_t* c = p.levels.data();
  // Run length so far at each ROI voxel; used only at ROI predecessors, written before (the
  // buffer is reused by the thread: other entries hold stale but defined values).
  thread_local std::vector<uint32_t> buffer;
  if (buffer.size() < p.levels.size()) buffer.resize(p.levels.size());
  uint32_t* length = buffer.data();
  // Integer counts indexed by (level, length), both from 1; moved into `m` at the end.
  const int64_t width = max_len + 1;
  std::vector<uint32_t> counts(static_cast<size_t>((m->size() / max_len + 1) * width), 0);
  uint32_t longest = 0;
  for (int64_t v : p.roi) {
    const int32_t level = c[v];
    const uint32_t extends = c[v - delta] == level;
    const uint32_t len = (length[v - delta] & (0u - extends)) + 1;
    length[v] = len;
    longest = std::max(longest, len);
    counts[level * width + len] += c[v + delta] != level;
  }
  for (size_t level = 1; level * width < counts.size(); ++level) {
    for (int64_t len = 1; len <= max_len; ++len) {
      (*m)[(level - 1) * max_len + len - 1] += counts[level * width + len];
    }
  }
  return longest > 1 || AnyLineWithTwoVoxels(p, o);
}

FeatureList GlrlmFeatures(const std::vector<double>& p, const std::vector<int32_t>& levels,
                          int max_len) {
  const int n = static_cast<int>(levels.size());
  std::vector<double> pg(n, 0.0), pr(max_len, 0.0);
  double nr = 0;
  for (int a = 0; a < n; ++a) {
    for (int r = 0; r < max_len; ++r) {
      pg[a] += p[a * max_len + r];
      pr[r] += p[a * max_len + r];
    }
    nr += pg[a];
  }
  double sre = 0, lre = 0, rln = 0, np = 0, ui = 0, uj = 0;
  for (int r = 0; r < max_len; ++r) {
    const double j = r + 1.0;
    sre += pr[r] / (j * j);
    lre += pr[r] * j * j;
    rln += pr[r] * pr[r];
    np += pr[r] * j;
    uj += pr[r] / nr * j;
  }
  double gln = 0, lgre = 0, hgre = 0;
  for (int a = 0; a < n; ++a) {
    const double i = levels[a];
    gln += pg[a] * pg[a];
    lgre += pg[a] / (i * i);
    hgre += pg[a] * i * i;
    ui += pg[a] / nr * i;
  }
  double glv = 0, rv = 0, re = 0, srlge = 0, srhge = 0, lrlge = 0, lrhge = 0;
  for (int a = 0; a < n; ++a) glv += pg[a] / nr * (levels[a] - ui) * (levels[a] - ui);
  for (int r = 0; r < max_len; ++r) rv += pr[r] / nr * (r + 1 - uj) * (r + 1 - uj);
  for (int a = 0; a < n; ++a) {
    const double i2 = static_cast<double>(levels[a]) * levels[a];
    for (int r = 0; r < max_len; ++r) {
      const double v = p[a * max_len + r];
      if (v == 0) continue;
      const double j2 = (r + 1.0) * (r + 1.0);
      re -= v / nr * std::log2(v / nr + kEps);
      srlge += v / (i2 * j2);
      srhge += v * i2 / j2;
      lrlge += v * j2 / i2;
      lrhge += v * i2 * j2;
    }
  }
  FeatureList f;
  Add(&f, "ShortRunEmphasis", sre / nr, "22OV");                  // sum_j p_r(j) / j^2 / N_r
  Add(&f, "LongRunEmphasis", lre / nr, "W4KF");                   // sum_j p_r(j) j^2 / N_r
  Add(&f, "GrayLevelNonUniformity", gln / nr, "R5YN");            // sum_i p_g(i)^2 / N_r
  Add(&f, "GrayLevelNonUniformityNormalized", gln / (nr * nr), "OVBL");  // / N_r^2
  Add(&f, "RunLengthNonUniformity", rln / nr, "W92Y");            // sum_j p_r(j)^2 / N_r
  // sum_j p_r(j)^2 / N_r^2
  Add(&f, "RunLengthNonUniformityNormalized", rln / (nr * nr), "IC23");
  Add(&f, "RunPercentage", nr / np, "9ZK5");                      // N_r / N_p
  Add(&f, "GrayLevelVariance", glv, "8CE5");                      // sum_i p_g/N_r (i - mu_i)^2
  Add(&f, "RunVariance", rv, "SXLW");                             // sum_j p_r/N_r (j - mu_j)^2
  Add(&f, "RunEntropy", re, "HJ9O");                              // -sum p log2(p + eps), p=P/N_r
  Add(&f, "LowGrayLevelRunEmphasis", lgre / nr, "V3SW");          // sum_i p_g(i) / i^2 / N_r
  Add(&f, "HighGrayLevelRunEmphasis", hgre / nr, "G3QZ");         // sum_i p_g(i) i^2 / N_r
  Add(&f, "ShortRunLowGrayLevelEmphasis", srlge / nr, "HTZT");    // sum P / (i^2 j^2) / N_r
  Add(&f, "ShortRunHighGrayLevelEmphasis", srhge / nr, "GD3A");   // sum P i^2 / j^2 / N_r
  Add(&f, "LongRunLowGrayLevelEmphasis", lrlge / nr, "IVPO");     // sum P j^2 / i^2 / N_r
  Add(&f, "LongRunHighGrayLevelEmphasis", lrhge / nr, "3KUM");    // sum P i^2 j^2 / N_r
  return f;
}

StatusOr<std::vector<FeatureList>> GlrlmLists(const DiscretisedRoi& roi, const TextureSettings& s) {
  const std::shared_ptr<const internal::TextureBase> base = internal::SharedTextureBase(roi);
  const internal::LevelIndex& index = base->index;
  const internal::PaddedCompact& padded = base->padded;
  const int n = index.Count();
  const int max_len = static_cast<int>(std::max({roi.size[0], roi.size[1], roi.size[2]}));
  // GLRLM always uses distance 1 (PyRadiomics ignores `distances` here).
  const std::vector<Offset3> dirs =
      internal::Directions(roi.size, {1}, false, internal::OutOfPlaneAxis(s));
  std::vector<std::vector<double>> mats(dirs.size());
  internal::ParallelFor(static_cast<int>(dirs.size()), [&](int a) {
    std::vector<double> m(static_cast<size_t>(n) * max_len, 0.0);
    const bool multi = CountRuns(padded, dirs[a], max_len, &m);
    // PyRadiomics drops directions in which the ROI is one voxel thick; IBSI keeps them.
    if (!multi && !s.ibsi) std::fill(m.begin(), m.end(), 0.0);
    mats[a] = std::move(m);
  });
  if (s.weighting_norm != WeightingNorm::kNone && !mats.empty()) {
    std::vector<double> merged(mats[0].size(), 0.0);
    for (size_t a = 0; a < dirs.size(); ++a) {
      // PyRadiomics weights GLRLM directions by their length in mm (not exp(-d^2)).
      const double d = internal::DirectionDistanceMm(dirs[a], roi.spacing_mm, s.weighting_norm);
      const double w = s.weighting_norm == WeightingNorm::kNoWeighting ? 1.0 : d;
      for (size_t e = 0; e < merged.size(); ++e) merged[e] += w * mats[a][e];
    }
    mats = {std::move(merged)};
  }
  std::vector<FeatureList> lists;
  for (const std::vector<double>& m : mats) {
    double total = 0;
    for (double v : m) total += v;
    if (total > 0) lists.push_back(GlrlmFeatures(m, index.levels, max_len));
  }
  return lists;
}

}  // namespace

StatusOr<FeatureList> ComputeGlrlm(const DiscretisedRoi& roi, const TextureSettings& settings) {
  if (roi.voxels.empty()) return internal::EmptyRoiError("GLRLM");
  return internal::Aggregate(roi, settings, GlrlmLists, GlrlmFeatures({1.0}, {1}, 1),
                             "no run of ROI voxels in any direction");
}

}  // namespace amdrn::radiomics
