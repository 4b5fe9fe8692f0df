// Neighbourhood families: grey level dependence matrix (GLDM = IBSI NGLDM, "ngl") and
// neighbourhood grey tone difference matrix (NGTDM, IBSI "ngt"). The neighbourhood of a voxel
// is every ROI voxel at a Chebyshev distance in `distances` (in-plane only for 2D/2.5D).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "radiomics/features.h"
#include "radiomics/texture_common.h"

namespace amdrn::radiomics {
namespace {
using internal::Add;
using internal::kEps;
using internal::Offset3;

// Real levels on a box padded by `pad` zeros on every side, and the neighbour offsets in it.
struct PaddedLevels {
  Index3 size;
  std::vector<int32_t> levels;
  // Rows holding ROI voxels: padded offset of the row's first ROI voxel and the number of
  // voxels from it through the row's last ROI voxel (non-ROI voxels in between included).
  std::vector<std::pair<int64_t, int32_t>> spans;
  std::vector<int64_t> neighbours;  // padded offsets of the neighbourhood
  int32_t widest = 0;               // longest span
};

PaddedLevels PadLevels(const DiscretisedRoi& roi, const TextureSettings& s) {
  int pad = 1;
  for (int d : s.distances) pad = std::max(pad, d);
  PaddedLevels p;
  p.size = {roi.size[0] + 2 * pad, roi.size[1] + 2 * pad, roi.size[2] + 2 * pad};
  p.levels.assign(p.size[0] * p.size[1] * p.size[2], 0);
  for (int64_t k = 0; k < roi.size[2]; ++k) {
    for (int64_t j = 0; j < roi.size[1]; ++j) {
      const int32_t* src = roi.levels.data() + roi.Offset(0, j, k);
      const int64_t row = pad + p.size[0] * ((j + pad) + p.size[1] * (k + pad));
      int64_t first = -1, last = -1;
      for (int64_t i = 0; i < roi.size[0]; ++i) {
        if (src[i] == 0) continue;
        if (first < 0) first = i;
        last = i;
      }
      if (first < 0) continue;
      std::copy(src + first, src + last + 1, p.levels.begin() + row + first);
      const int32_t length = static_cast<int32_t>(last - first + 1);
      p.spans.emplace_back(row + first, length);
      p.widest = std::max(p.widest, length);
    }
  }
  for (const Offset3& d :
       internal::Directions(roi.size, s.distances, true, internal::OutOfPlaneAxis(s))) {
    p.neighbours.push_back(d.di + p.size[0] * (d.dj + p.size[1] * static_cast<int64_t>(d.dk)));
  }
  return p;
}

// The neighbourhood loops run over whole row spans (non-ROI voxels included, their results
// unused) so that they vectorise; built for AVX2 too, picked at run time. Integer arithmetic:
// the same results in any order.

// dep[i] = number of neighbours h of voxel g[i] in the ROI (h != 0) with |g[i] - h| <= alpha.
__attribute__((target_clones("avx2", "default")))
void CountDependents(const int32_t* g, int32_t length, const int64_t* neighbours, int count,
                     int32_t alpha, int32_t* dep) {
  std::fill(dep, dep + length, 0);
  for (int t = 0; t < count; ++t) {
    const int32_t* h = g + neighbours[t];
    for (int32_t i = 0; i < length; ++i) {
      const int32_t d = g[i] - h[i];
      dep[i] += (h[i] != 0) & (d <= alpha) & (d >= -alpha);
    }
  }
}

// present[i] = number of neighbours of voxel i in the ROI, sum[i] = the sum of their levels.
template <typename Sum>
__attribute__((target_clones("avx2", "default")))
void SumNeighbours(const int32_t* g, int32_t length, const int64_t* neighbours, int count,
                   int32_t* present, Sum* sum) {
  std::fill(present, present + length, 0);
  std::fill(sum, sum + length, Sum(0));
  for (int t = 0; t < count; ++t) {
    const int32_t* h = g + neighbours[t];
    for (int32_t i = 0; i < length; ++i) {
      present[i] += h[i] != 0;
      sum[i] += h[i];
    }
  }
}

// GLDM / NGLDM matrix: counts[(compact level - 1) * (na + 1) + dependents] where dependents is
// the number of neighbours with |level difference| <= alpha (dependence k = dependents + 1).
struct DependenceMatrix {
  internal::LevelIndex index;
  int width = 0;  // number of dependence columns (neighbours + 1)
  std::vector<double> counts;
};

DependenceMatrix Dependence(const DiscretisedRoi& roi, const TextureSettings& s) {
  DependenceMatrix m;
  m.index = internal::SharedTextureBase(roi)->index;
  const PaddedLevels p = PadLevels(roi, s);
  m.width = static_cast<int>(p.neighbours.size()) + 1;
  m.counts.assign(static_cast<size_t>(m.index.Count()) * m.width, 0.0);
  // Levels are integers: |g - h| <= alpha  <=>  |g - h| <= floor(alpha).
  const int32_t alpha = static_cast<int32_t>(std::floor(std::min(s.gldm_alpha, 1e9)));
  std::vector<int32_t> dep(p.widest);
  std::vector<uint32_t> counts(m.counts.size(), 0);
  for (const auto& [start, length] : p.spans) {
    CountDependents(p.levels.data() + start, length, p.neighbours.data(),
                    static_cast<int>(p.neighbours.size()), alpha, dep.data());
    const int32_t* g = p.levels.data() + start;
    for (int32_t i = 0; i < length; ++i) {
      if (g[i] != 0) ++counts[(m.index.compact[g[i]] - 1) * m.width + dep[i]];
    }
  }
  std::copy(counts.begin(), counts.end(), m.counts.begin());
  return m;
}

// Marginals and sums of a dependence matrix; j = dependence k (1-based), i = level value.
struct DependenceSums {
  double nz = 0, se = 0, le = 0, gn = 0, dn = 0, lg = 0, hg = 0, sl = 0, sh = 0, ll = 0, lh = 0,
         gv = 0, dv = 0, ent = 0, energy = 0;
};

DependenceSums Sums(const DependenceMatrix& m) {
  const int n = m.index.Count(), w = m.width;
  std::vector<double> pg(n, 0.0), pd(w, 0.0);
  DependenceSums r;
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < w; ++b) {
      pg[a] += m.counts[a * w + b];
      pd[b] += m.counts[a * w + b];
    }
    r.nz += pg[a];
  }
  double ui = 0, uj = 0;
  for (int b = 0; b < w; ++b) {
    const double j = b + 1.0;
    r.se += pd[b] / (j * j);
    r.le += pd[b] * j * j;
    r.dn += pd[b] * pd[b];
    uj += pd[b] / r.nz * j;
  }
  for (int a = 0; a < n; ++a) {
    const double i = m.index.levels[a];
    r.gn += pg[a] * pg[a];
    r.lg += pg[a] / (i * i);
    r.hg += pg[a] * i * i;
    ui += pg[a] / r.nz * i;
  }
  for (int a = 0; a < n; ++a) r.gv += pg[a] / r.nz * std::pow(m.index.levels[a] - ui, 2);
  for (int b = 0; b < w; ++b) r.dv += pd[b] / r.nz * std::pow(b + 1.0 - uj, 2);
  for (int a = 0; a < n; ++a) {
    const double i2 = std::pow(m.index.levels[a], 2.0);
    for (int b = 0; b < w; ++b) {
      const double v = m.counts[a * w + b];
      if (v == 0) continue;
      const double j2 = (b + 1.0) * (b + 1.0), p = v / r.nz;
      r.ent -= p * std::log2(p + kEps);
      r.energy += p * p;
      r.sl += v / (i2 * j2);
      r.sh += v * i2 / j2;
      r.ll += v * j2 / i2;
      r.lh += v * i2 * j2;
    }
  }
  return r;
}

FeatureList GldmFeatures(const DependenceSums& r) {
  FeatureList f;
  Add(&f, "SmallDependenceEmphasis", r.se / r.nz, "SODN");          // sum_j p_d(j) / j^2 / N_z
  Add(&f, "LargeDependenceEmphasis", r.le / r.nz, "IMOQ");          // sum_j p_d(j) j^2 / N_z
  Add(&f, "GrayLevelNonUniformity", r.gn / r.nz, "FP8K");           // sum_i p_g(i)^2 / N_z
  // sum_i p_g(i)^2 / N_z^2 (= firstorder Uniformity)
  Add(&f, "GrayLevelNonUniformityNormalized", r.gn / (r.nz * r.nz), "5SPA", true);
  Add(&f, "DependenceNonUniformity", r.dn / r.nz, "Z87G");          // sum_j p_d(j)^2 / N_z
  // sum_j p_d(j)^2 / N_z^2
  Add(&f, "DependenceNonUniformityNormalized", r.dn / (r.nz * r.nz), "OKJI");
  Add(&f, "DependencePercentage", 1.0, "6XV8", true);               // N_z / N_p, always 1
  Add(&f, "GrayLevelVariance", r.gv, "1PFV");                       // sum p_g/N_z (i - mu_i)^2
  Add(&f, "DependenceVariance", r.dv, "DNX2");                      // sum p_d/N_z (j - mu_j)^2
  Add(&f, "DependenceEntropy", r.ent, "FCBV");                      // -sum p log2(p + eps)
  Add(&f, "LowGrayLevelEmphasis", r.lg / r.nz, "TL9H");             // sum_i p_g(i) / i^2 / N_z
  Add(&f, "HighGrayLevelEmphasis", r.hg / r.nz, "OAE7");            // sum_i p_g(i) i^2 / N_z
  Add(&f, "SmallDependenceLowGrayLevelEmphasis", r.sl / r.nz, "EQ3F");   // sum P/(i^2 j^2)/N_z
  Add(&f, "SmallDependenceHighGrayLevelEmphasis", r.sh / r.nz, "JA6D");  // sum P i^2/j^2 / N_z
  Add(&f, "LargeDependenceLowGrayLevelEmphasis", r.ll / r.nz, "NBZI");   // sum P j^2/i^2 / N_z
  Add(&f, "LargeDependenceHighGrayLevelEmphasis", r.lh / r.nz, "9QMG");  // sum P i^2 j^2 / N_z
  return f;
}

// IBSI NGLDM: the same matrix with IBSI's names, plus dependence count energy (CAS9).
FeatureList NgldmFeatures(const DependenceSums& r) {
  FeatureList f;
  // s(i, k): voxels of level i with dependence k; N_s = sum s = N_v; s_i, s_k marginals.
  Add(&f, "LowDependenceEmphasis", r.se / r.nz, "SODN");                // sum_k s_k / k^2 / N_s
  Add(&f, "HighDependenceEmphasis", r.le / r.nz, "IMOQ");               // sum_k s_k k^2 / N_s
  Add(&f, "LowGrayLevelCountEmphasis", r.lg / r.nz, "TL9H");            // sum_i s_i / i^2 / N_s
  Add(&f, "HighGrayLevelCountEmphasis", r.hg / r.nz, "OAE7");           // sum_i s_i i^2 / N_s
  Add(&f, "LowDependenceLowGrayLevelEmphasis", r.sl / r.nz, "EQ3F");    // sum s / (i^2 k^2) / N_s
  Add(&f, "LowDependenceHighGrayLevelEmphasis", r.sh / r.nz, "JA6D");   // sum s i^2 / k^2 / N_s
  Add(&f, "HighDependenceLowGrayLevelEmphasis", r.ll / r.nz, "NBZI");   // sum s k^2 / i^2 / N_s
  Add(&f, "HighDependenceHighGrayLevelEmphasis", r.lh / r.nz, "9QMG");  // sum s i^2 k^2 / N_s
  Add(&f, "GrayLevelNonUniformity", r.gn / r.nz, "FP8K");               // sum_i s_i^2 / N_s
  Add(&f, "GrayLevelNonUniformityNormalized", r.gn / (r.nz * r.nz), "5SPA");  // / N_s^2
  Add(&f, "DependenceCountNonUniformity", r.dn / r.nz, "Z87G");         // sum_k s_k^2 / N_s
  Add(&f, "DependenceCountNonUniformityNormalized", r.dn / (r.nz * r.nz), "OKJI");  // / N_s^2
  Add(&f, "DependenceCountPercentage", 1.0, "6XV8");  // N_s / N_v: every voxel is counted
  Add(&f, "GrayLevelVariance", r.gv, "1PFV");         // sum p_i (i - mu_i)^2, p = s / N_s
  Add(&f, "DependenceCountVariance", r.dv, "DNX2");   // sum p_k (k - mu_k)^2
  Add(&f, "DependenceCountEntropy", r.ent, "FCBV");   // -sum p log2(p + eps)
  Add(&f, "DependenceCountEnergy", r.energy, "CAS9");  // sum p^2
  return f;
}

// NGTDM: n_i voxels of level i and s_i = sum |i - mean of neighbour levels| over them.
// PyRadiomics counts voxels without neighbours with a difference of 0; IBSI mode leaves
// them out (N_v,c counts only voxels with at least one neighbour).
FeatureList NgtdmFeatures(const DiscretisedRoi& roi, const TextureSettings& s) {
  const PaddedLevels p = PadLevels(roi, s);
  std::vector<double> n(roi.max_level + 1, 0.0), si(roi.max_level + 1, 0.0);
  // Integer sums of neighbour levels: exact, as PyRadiomics' double sums of integer levels.
  // 32-bit sums when they cannot overflow.
  const bool narrow =
      int64_t{roi.max_level} * static_cast<int64_t>(p.neighbours.size()) < (int64_t{1} << 31);
  std::vector<int32_t> present(p.widest), sum32(narrow ? p.widest : 0);
  std::vector<int64_t> sum64(narrow ? 0 : p.widest);
  for (const auto& [start, length] : p.spans) {
    const int32_t* g = p.levels.data() + start;
    const int count = static_cast<int>(p.neighbours.size());
    if (narrow) {
      SumNeighbours(g, length, p.neighbours.data(), count, present.data(), sum32.data());
    } else {
      SumNeighbours(g, length, p.neighbours.data(), count, present.data(), sum64.data());
    }
    for (int32_t i = 0; i < length; ++i) {
      if (g[i] == 0) continue;
      const int64_t neighbours = present[i];
      if (neighbours == 0 && s.ibsi) continue;
      const int64_t total = narrow ? sum32[i] : sum64[i];
      n[g[i]] += 1;
      si[g[i]] += neighbours == 0 ? 0.0 : std::abs(g[i] - static_cast<double>(total) / neighbours);
    }
  }
  std::vector<double> level, pi, sv;
  double nvp = 0, sum_s = 0;
  for (int32_t g = 1; g <= roi.max_level; ++g) nvp += n[g];
  for (int32_t g = 1; g <= roi.max_level; ++g) {
    if (n[g] == 0) continue;
    level.push_back(g);
    pi.push_back(n[g] / nvp);
    sv.push_back(si[g]);
    sum_s += si[g];
  }
  const size_t ng = level.size();
  double coarse = 0, contrast = 0, absdiff = 0, complexity = 0, strength = 0;
  for (size_t a = 0; a < ng; ++a) {
    coarse += pi[a] * sv[a];
    for (size_t b = 0; b < ng; ++b) {
      const double d = level[a] - level[b];
      contrast += pi[a] * pi[b] * d * d;
      absdiff += std::abs(level[a] * pi[a] - level[b] * pi[b]);
      complexity += std::abs(d) * (pi[a] * sv[a] + pi[b] * sv[b]) / (pi[a] + pi[b]);
      strength += (pi[a] + pi[b]) * d * d;
    }
  }
  const double div = static_cast<double>(ng) * (ng - 1.0);
  FeatureList f;
  if (nvp == 0) {  // every voxel lacked a neighbour (IBSI mode): the caller reports NaN
    Add(&f, "Coarseness", internal::kNaN, "QCDE");
    return f;
  }
  Add(&f, "Coarseness", coarse != 0 ? 1.0 / coarse : 1e6, "QCDE");  // 1 / sum p_i s_i
  // [sum p_i p_j (i - j)^2 / (N_gp (N_gp - 1))] [sum s_i / N_vp]
  Add(&f, "Contrast", div != 0 ? contrast * sum_s / nvp / div : 0.0, "65HE");
  // sum p_i s_i / sum |i p_i - j p_j|
  Add(&f, "Busyness", absdiff != 0 ? coarse / absdiff : 0.0, "NQ30");
  // sum |i - j| (p_i s_i + p_j s_j) / (p_i + p_j) / N_vp
  Add(&f, "Complexity", complexity / nvp, "HDEZ");
  // sum (p_i + p_j)(i - j)^2 / sum s_i
  Add(&f, "Strength", sum_s != 0 ? strength / sum_s : 0.0, "1X9X");
  return f;
}


}  // namespace

StatusOr<FeatureList> ComputeGldm(const DiscretisedRoi& roi, const TextureSettings& settings) {
  if (roi.voxels.empty()) return internal::EmptyRoiError("GLDM");
  auto lists = [](const DiscretisedRoi& r, const TextureSettings& s)
      -> StatusOr<std::vector<FeatureList>> {
    return std::vector<FeatureList>{GldmFeatures(Sums(Dependence(r, s)))};
  };
  return internal::Aggregate(roi, settings, lists, GldmFeatures(DependenceSums{}), "empty ROI");
}

StatusOr<FeatureList> ComputeNgldm(const DiscretisedRoi& roi, const TextureSettings& settings) {
  if (roi.voxels.empty()) return internal::EmptyRoiError("NGLDM");
  auto lists = [](const DiscretisedRoi& r, const TextureSettings& s)
      -> StatusOr<std::vector<FeatureList>> {
    return std::vector<FeatureList>{NgldmFeatures(Sums(Dependence(r, s)))};
  };
  return internal::Aggregate(roi, settings, lists, NgldmFeatures(DependenceSums{}), "empty ROI");
}

StatusOr<FeatureList> ComputeNgtdm(const DiscretisedRoi& roi, const TextureSettings& settings) {
  if (roi.voxels.empty()) return internal::EmptyRoiError("NGTDM");
  auto lists = [](const DiscretisedRoi& r, const TextureSettings& s)
      -> StatusOr<std::vector<FeatureList>> {
    FeatureList f = NgtdmFeatures(r, s);
    if (std::isnan(f.front().value)) return std::vector<FeatureList>{};
    return std::vector<FeatureList>{std::move(f)};
  };
  FeatureList tmpl;
  const char* kNames[5][2] = {{"Busyness", "NQ30"}, {"Coarseness", "QCDE"},
                              {"Complexity", "HDEZ"}, {"Contrast", "65HE"}, {"Strength", "1X9X"}};
  for (const auto& nc : kNames) Add(&tmpl, nc[0], 0.0, nc[1]);
  return internal::Aggregate(roi, settings, lists, tmpl, "no ROI voxel has a neighbour");
}

}  // namespace amdrn::radiomics
