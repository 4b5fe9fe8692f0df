// Grey level co-occurrence matrix (GLCM, IBSI "cm") features.
// P(i, j | a): number of ROI voxel pairs (v, v + a) with levels i and j for each direction a
// (Chebyshev distance in `distances`), plus its transpose when symmetric; normalised to sum 1.
// Matrices span only the levels present in the ROI (PyRadiomics drops empty levels); i and j
// are the real level values. Averaged: features per direction, then the NaN-aware mean;
// merged: one matrix, the (weighted) sum over directions.
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <complex>

#include "radiomics/features.h"
#include "radiomics/texture_common.h"

namespace amdrn::radiomics {
namespace internal {

// MCC (no IBSI code): square root of the second largest eigenvalue of
// Q(i, j) = sum_k p(i, k) p(j, k) / (p_x(i) p_y(k)).
double MaximalCorrelationCoefficient(const std::vector<double>& p, const std::vector<double>& px,
                                     const std::vector<double>& py, int n) {
  if (n < 2) return 1.0;
  bool symmetric = true;
  for (int i = 0; i < n && symmetric; ++i) symmetric = px[i] == py[i];
  if (symmetric) {
    // With p_x = p_y, Q = D^-1 P D^-1 P^T (D = diag(p_x)) is similar to A A^T with
    // A = D^-1/2 P D^-1/2, which is symmetric: a faster, more stable eigen-solve. Levels
    // without pairs (p_x = 0) only add zero eigenvalues and are left out.
    // PyRadiomics divides by p_x(i) p_y(k) + eps (numpy.spacing(1)), which breaks the
    // similarity; the difference matters where marginal products approach 1e-14 (ROIs of
    // millions of voxels with rare levels). It is added back to first order: with v the unit
    // eigenvector of S = A A^T for lambda, x = D^-1/2 v and y = D^1/2 v are the right and left
    // eigenvectors of Q (y^T x = 1), and lambda' = lambda + y^T dQ x with
    // dQ(i, j) = -sum_k p(i, k) p(j, k) eps / (p_x(i) p_y(k) (p_x(i) p_y(k) + eps)).
    std::vector<int> used;
    for (int i = 0; i < n; ++i) {
      if (px[i] > 0) used.push_back(i);
    }
    const int m = static_cast<int>(used.size());
    if (m < 2) return 1.0;
    Eigen::MatrixXd a(m, m);
    for (int r = 0; r < m; ++r) {
      for (int c = 0; c < m; ++c) {
        a(r, c) = p[used[r] * n + used[c]] / std::sqrt(px[used[r]] * py[used[c]]);
      }
    }
    const Eigen::MatrixXd q = a * a.transpose();
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(q, Eigen::EigenvaluesOnly);
    const Eigen::VectorXd& ev = solver.eigenvalues();  // ascending order
    const double lambda = ev[m - 2];
    // v by inverse iteration on S - mu I, mu just off lambda (cheaper than all eigenvectors).
    const double spread = std::max(1e-300, ev[m - 1] - ev[0]);
    Eigen::MatrixXd shifted = q;
    shifted.diagonal().array() -= lambda - 1e-9 * spread;
    const Eigen::PartialPivLU<Eigen::MatrixXd> lu(shifted);
    Eigen::VectorXd v = Eigen::VectorXd::Ones(m);
    for (int iteration = 0; iteration < 3; ++iteration) {
      v = lu.solve(v);
      const double norm = v.norm();
      if (!(norm > 0) || !std::isfinite(norm)) return std::sqrt(std::max(0.0, lambda));
      v /= norm;
    }
    // u(k) = sum_j p(j, k) x(j); correction = -sum_i y(i) sum_k p(i, k) c(i, k) u(k).
    std::vector<double> u(m, 0.0);
    for (int r = 0; r < m; ++r) {
      const double x = v[r] / std::sqrt(px[used[r]]);
      for (int c = 0; c < m; ++c) u[c] += p[used[r] * n + used[c]] * x;
    }
    double correction = 0;
    for (int r = 0; r < m; ++r) {
      const double y = v[r] * std::sqrt(px[used[r]]);
      double sum = 0;
      for (int c = 0; c < m; ++c) {
        const double prod = px[used[r]] * py[used[c]];
        sum += p[used[r] * n + used[c]] * kEps / (prod * (prod + kEps)) * u[c];
      }
      correction -= y * sum;
    }
    return std::sqrt(std::max(0.0, lambda + correction));
  }
  Eigen::MatrixXd q = Eigen::MatrixXd::Zero(n, n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      double sum = 0;
      for (int k = 0; k < n; ++k) sum += p[i * n + k] * p[j * n + k] / (px[i] * py[k] + kEps);
      q(i, j) = sum;
    }
  }
  Eigen::EigenSolver<Eigen::MatrixXd> solver(q, false);
  std::vector<std::complex<double>> ev(solver.eigenvalues().data(),
                                       solver.eigenvalues().data() + n);
  std::sort(ev.begin(), ev.end(), [](const auto& a, const auto& b) {
    return a.real() < b.real() || (a.real() == b.real() && a.imag() < b.imag());
  });
  return std::sqrt(ev[n - 2]).real();
}

}  // namespace internal

namespace {
using internal::kEps;
using internal::Offset3;

// Counts ordered pairs (v, v + o) with both voxels in the ROI into the n x n matrix `m`.
void CountPairs(const internal::PaddedCompact& p, const Offset3& o, int n,
                std::vector<double>* m) {
  const int64_t delta = p.Delta(o);
  const int32_t* c = p.levels.data();
  // Branch-free: column 0 collects the pairs whose second voxel is outside the ROI.
  std::vector<uint32_t> counts(static_cast<size_t>(n) * (n + 1), 0);
  for (int64_t v : p.roi) ++counts[(c[v] - 1) * (n + 1) + c[v + delta]];
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < n; ++b) (*m)[a * n + b] += counts[a * (n + 1) + b + 1];
  }
}


// All GLCM features of one normalised matrix `p` (n x n over the present `levels`).
FeatureList GlcmFeatures(const std::vector<double>& p, const std::vector<int32_t>& levels,
                         double ng) {
  const int n = static_cast<int>(levels.size());
  const int max_level = levels.back();
  std::vector<double> px(n, 0.0), py(n, 0.0), sum_k(2 * max_level + 1, 0.0),
      diff_k(max_level, 0.0);
  double ux = 0, uy = 0, hxy = 0, energy = 0, max_p = 0, contrast = 0, autocorr = 0;
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < n; ++b) {
      const double v = p[a * n + b];
      const double i = levels[a], j = levels[b];
      px[a] += v;
      py[b] += v;
      ux += i * v;
      uy += j * v;
      hxy -= v * std::log2(v + kEps);
      energy += v * v;
      max_p = std::max(max_p, v);
      contrast += (i - j) * (i - j) * v;
      autocorr += i * j * v;
      sum_k[levels[a] + levels[b]] += v;
      diff_k[std::abs(levels[a] - levels[b])] += v;
    }
  }
  double sigx2 = 0, sigy2 = 0, corm = 0, prom = 0, shade = 0, tend = 0, hxy1 = 0, hxy2 = 0;
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < n; ++b) {
      const double v = p[a * n + b];
      const double dx = levels[a] - ux, dy = levels[b] - uy, s = levels[a] + levels[b] - ux - uy;
      sigx2 += v * dx * dx;
      sigy2 += v * dy * dy;
      corm += v * dx * dy;
      prom += v * s * s * s * s;
      shade += v * s * s * s;
      tend += v * s * s;
      hxy1 -= v * std::log2(px[a] * py[b] + kEps);
      hxy2 -= px[a] * py[b] * std::log2(px[a] * py[b] + kEps);
    }
  }
  double hx = 0, hy = 0;
  for (int a = 0; a < n; ++a) {
    hx -= px[a] * std::log2(px[a] + kEps);
    hy -= py[a] * std::log2(py[a] + kEps);
  }
  double diff_avg = 0, diff_ent = 0, idm = 0, idmn = 0, id = 0, idn = 0, inv_var = 0;
  for (int k = 0; k < max_level; ++k) {
    const double v = diff_k[k];
    diff_avg += k * v;
    diff_ent -= v * std::log2(v + kEps);
    idm += v / (1.0 + k * k);
    idmn += v / (1.0 + static_cast<double>(k) * k / (ng * ng));
    id += v / (1.0 + k);
    idn += v / (1.0 + k / ng);
    if (k > 0) inv_var += v / (static_cast<double>(k) * k);
  }
  double diff_var = 0;
  for (int k = 0; k < max_level; ++k) diff_var += diff_k[k] * (k - diff_avg) * (k - diff_avg);
  double sum_avg = 0, sum_ent = 0;
  for (int k = 2; k <= 2 * max_level; ++k) {
    sum_avg += k * sum_k[k];
    sum_ent -= sum_k[k] * std::log2(sum_k[k] + kEps);
  }
  const double sig = std::sqrt(sigx2) * std::sqrt(sigy2);
  const double correlation = sig == 0 ? 1.0 : corm / (sig + kEps);
  const double hmax = std::max(hx, hy);
  const double imc1 = hmax == 0 ? 0.0 : (hxy - hxy1) / hmax;
  // numpy yields NaN for the square root of a negative number; nanmean later skips it.
  const double imc2 = hxy2 == hxy ? 0.0 : std::sqrt(1.0 - std::exp(-2.0 * (hxy2 - hxy)));

  FeatureList f;
  using internal::Add;
  Add(&f, "Autocorrelation", autocorr, "QWB0");         // sum p(i,j) i j
  Add(&f, "JointAverage", ux, "60VM");                  // mu_x = sum p(i,j) i
  Add(&f, "ClusterProminence", prom, "AE86");           // sum p (i + j - mu_x - mu_y)^4
  Add(&f, "ClusterShade", shade, "7NFM");               // sum p (i + j - mu_x - mu_y)^3
  Add(&f, "ClusterTendency", tend, "DG8W");             // sum p (i + j - mu_x - mu_y)^2
  Add(&f, "Contrast", contrast, "ACUI");                // sum p (i - j)^2
  Add(&f, "Correlation", correlation, "NI2N");          // sum p (i-mu_x)(j-mu_y) / (sig_x sig_y)
  Add(&f, "DifferenceAverage", diff_avg, "TF7R");       // sum_k k p_{x-y}(k)
  Add(&f, "DifferenceEntropy", diff_ent, "NTRS");       // -sum_k p_{x-y} log2 p_{x-y}
  Add(&f, "DifferenceVariance", diff_var, "D3YU");      // sum_k (k - DA)^2 p_{x-y}(k)
  Add(&f, "JointEnergy", energy, "8ZQL");               // sum p^2
  Add(&f, "JointEntropy", hxy, "TU9B");                 // -sum p log2 p
  Add(&f, "Imc1", imc1, "R8DG");                        // (HXY - HXY1) / max(HX, HY)
  Add(&f, "Imc2", imc2, "JN9H");                        // sqrt(1 - exp(-2 (HXY2 - HXY)))
  Add(&f, "Idm", idm, "WF0Z");                          // sum_k p_{x-y}(k) / (1 + k^2)
  // sqrt(second largest eigenvalue of Q), Q(i,j) = sum_k p(i,k) p(j,k) / (p_x(i) p_y(k))
  Add(&f, "MCC", internal::MaximalCorrelationCoefficient(p, px, py, n), "");
  Add(&f, "Idmn", idmn, "1QCO");                        // sum_k p_{x-y} / (1 + k^2 / Ng^2)
  Add(&f, "Id", id, "IB1Z");                            // sum_k p_{x-y}(k) / (1 + k)
  Add(&f, "Idn", idn, "NDRX");                          // sum_k p_{x-y}(k) / (1 + k / Ng)
  Add(&f, "InverseVariance", inv_var, "E8JP");          // sum_{k>0} p_{x-y}(k) / k^2
  Add(&f, "MaximumProbability", max_p, "GYBY");         // max p(i,j)
  Add(&f, "SumAverage", sum_avg, "ZGXS");               // sum_k k p_{x+y}(k)
  Add(&f, "SumEntropy", sum_ent, "P6QZ");               // -sum_k p_{x+y} log2 p_{x+y}
  Add(&f, "SumSquares", sigx2, "UR99");                 // sum p (i - mu_x)^2 (joint variance)
  Add(&f, "Dissimilarity", diff_avg, "8S9J", true);     // = DifferenceAverage
  Add(&f, "Homogeneity1", id, "", true);                // = Id
  Add(&f, "Homogeneity2", idm, "", true);               // = Idm
  Add(&f, "SumVariance", tend, "OEEB", true);           // = ClusterTendency
  return f;
}

StatusOr<std::vector<FeatureList>> GlcmLists(const DiscretisedRoi& roi, const TextureSettings& s) {
  if (roi.voxels.empty()) return internal::EmptyRoiError("GLCM");
  const std::shared_ptr<const internal::TextureBase> base = internal::SharedTextureBase(roi);
  const internal::LevelIndex& index = base->index;
  int pad = 1;
  for (int d : s.distances) pad = std::max(pad, d);
  internal::PaddedCompact own;
  if (pad > 1) own = internal::MakePaddedCompact(roi, index, pad);
  const internal::PaddedCompact& padded = pad > 1 ? own : base->padded;
  const int n = index.Count();
  const std::vector<Offset3> dirs =
      internal::Directions(roi.size, s.distances, false, internal::OutOfPlaneAxis(s));
  std::vector<std::vector<double>> mats(dirs.size());
  internal::ParallelFor(static_cast<int>(dirs.size()), [&](int a) {
    std::vector<double> m(static_cast<size_t>(n) * n, 0.0);
    CountPairs(padded, dirs[a], n, &m);
    if (s.symmetrical_glcm) {
      for (int x = 0; x < n; ++x) {
        for (int y = x; y < n; ++y) {
          const double t = m[x * n + y] + m[y * n + x];
          m[x * n + y] = m[y * n + x] = t;
        }
      }
    }
    mats[a] = std::move(m);
  });
  if (s.weighting_norm != WeightingNorm::kNone && !mats.empty()) {
    std::vector<double> merged(static_cast<size_t>(n) * n, 0.0);
    for (size_t a = 0; a < dirs.size(); ++a) {
      const double d = internal::DirectionDistanceMm(dirs[a], roi.spacing_mm, s.weighting_norm);
      const double w = s.weighting_norm == WeightingNorm::kNoWeighting ? 1.0 : std::exp(-d * d);
      for (size_t e = 0; e < merged.size(); ++e) merged[e] += w * mats[a][e];
    }
    mats = {std::move(merged)};
  }
  std::vector<FeatureList> lists;
  for (std::vector<double>& m : mats) {
    double total = 0;
    for (double v : m) total += v;
    if (total == 0) continue;  // direction without voxel pairs: dropped, as PyRadiomics does
    for (double& v : m) v /= total;
    lists.push_back(GlcmFeatures(m, index.levels, roi.num_levels));
  }
  return lists;
}

}  // namespace

StatusOr<FeatureList> ComputeGlcm(const DiscretisedRoi& roi, const TextureSettings& settings) {
  if (roi.voxels.empty()) return internal::EmptyRoiError("GLCM");
  return internal::Aggregate(roi, settings, GlcmLists, GlcmFeatures({1.0}, {1}, 1.0),
                             "no pair of neighbouring ROI voxels in any direction");
}

}  // namespace amdrn::radiomics
