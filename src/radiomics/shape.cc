// Shape (IBSI morphology, "morph") features: PyRadiomics' 3D shape class and, in IBSI mode,
// IBSI-only morphology. Mesh: marching cubes with vertices on edge midpoints (mesh.h).
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "radiomics/features.h"
#include "radiomics/mesh.h"
#include "radiomics/texture_common.h"

namespace amdrn::radiomics {
namespace {
using internal::Add;
using internal::kNaN;

// Eigenvalues (ascending) of the covariance of voxel-centre coordinates in mm, and the mean.
struct Pca {
  Eigen::Vector3d eigenvalues = Eigen::Vector3d::Zero();
  Eigen::Vector3d centre = Eigen::Vector3d::Zero();
};

Pca VoxelPca(const Roi& roi, bool unbiased) {
  Pca pca;
  const double n = static_cast<double>(roi.voxels.size());
  Eigen::Matrix3d sum = Eigen::Matrix3d::Zero();
  for (int64_t o : roi.voxels) {
    const Eigen::Vector3d x((o % roi.size[0]) * roi.spacing_mm[0],
                            ((o / roi.size[0]) % roi.size[1]) * roi.spacing_mm[1],
                            (o / (roi.size[0] * roi.size[1])) * roi.spacing_mm[2]);
    pca.centre += x;
  }
  pca.centre /= n;
  for (int64_t o : roi.voxels) {
    const Eigen::Vector3d x((o % roi.size[0]) * roi.spacing_mm[0],
                            ((o / roi.size[0]) % roi.size[1]) * roi.spacing_mm[1],
                            (o / (roi.size[0] * roi.size[1])) * roi.spacing_mm[2]);
    const Eigen::Vector3d d = x - pca.centre;
    sum += d * d.transpose();
  }
  // PyRadiomics divides by N; IBSI's reference values imply N - 1.
  const Eigen::Matrix3d cov = sum / (unbiased && n > 1 ? n - 1 : n);
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> solver(cov, Eigen::EigenvaluesOnly);
  pca.eigenvalues = solver.eigenvalues();
  for (int d = 0; d < 3; ++d) {
    if (pca.eigenvalues[d] < 0 && pca.eigenvalues[d] > -1e-10) pca.eigenvalues[d] = 0;
  }
  return pca;
}

// Surface area of an ellipsoid with semi-axes a >= b >= c (IBSI RDD2: Legendre series).
double EllipsoidArea(double a, double b, double c) {
  const double alpha = std::sqrt(std::max(0.0, 1 - b * b / (a * a)));
  const double beta = std::sqrt(std::max(0.0, 1 - c * c / (a * a)));
  const double ab = alpha * beta;
  if (ab < 1e-12) return 4 * M_PI * a * b;
  const double x = (alpha * alpha + beta * beta) / (2 * ab);
  double sum = 0, p_prev = 1, p = x, power = 1;
  for (int nu = 0; nu <= 20; ++nu) {
    double legendre;
    if (nu == 0) legendre = 1;
    else if (nu == 1) legendre = x;
    else {
      const double next = ((2 * nu - 1) * x * p - (nu - 1) * p_prev) / nu;
      p_prev = p;
      p = next;
      legendre = p;
    }
    sum += power / (1 - 4.0 * nu * nu) * legendre;
    power *= ab;
  }
  return 4 * M_PI * a * b * sum;
}

// Moran's I (N365) and Geary's C (NPT7) with inverse-distance weights over all voxel pairs.
void SpatialAutocorrelation(const Roi& roi, double* moran, double* geary) {
  const int64_t n = roi.NumVoxels();
  double mean = 0;
  for (double v : roi.values) mean += v;
  mean /= n;
  std::vector<double> x(n), y(n), z(n);
  double var = 0;
  for (int64_t a = 0; a < n; ++a) {
    const int64_t o = roi.voxels[a];
    x[a] = (o % roi.size[0]) * roi.spacing_mm[0];
    y[a] = ((o / roi.size[0]) % roi.size[1]) * roi.spacing_mm[1];
    z[a] = (o / (roi.size[0] * roi.size[1])) * roi.spacing_mm[2];
    var += (roi.values[a] - mean) * (roi.values[a] - mean);
  }
  double wsum = 0, cross = 0, sq = 0;
  for (int64_t a = 0; a < n; ++a) {
    for (int64_t b = a + 1; b < n; ++b) {
      const double dx = x[a] - x[b], dy = y[a] - y[b], dz = z[a] - z[b];
      const double w = 1.0 / std::sqrt(dx * dx + dy * dy + dz * dz);
      wsum += 2 * w;
      cross += 2 * w * (roi.values[a] - mean) * (roi.values[b] - mean);
      sq += 2 * w * (roi.values[a] - roi.values[b]) * (roi.values[a] - roi.values[b]);
    }
  }
  // I = N / sum w * sum w (x_a - mu)(x_b - mu) / sum (x - mu)^2
  *moran = var > 0 && wsum > 0 ? n / wsum * cross / var : kNaN;
  // C = (N - 1) / (2 sum w) * sum w (x_a - x_b)^2 / sum (x - mu)^2
  *geary = var > 0 && wsum > 0 ? (n - 1) / (2 * wsum) * sq / var : kNaN;
}

void AddIbsiMorphology(const Roi& morph, const Roi* intensity, const ShapeSettings& settings,
                       double volume, double area, const Pca& pca,
                       const internal::Diameters& diam, FeatureList* f) {
  // Asphericity (25C7): (A^3 / (36 pi V^2))^(1/3) - 1.
  Add(f, "Asphericity", std::cbrt(area * area * area / (36 * M_PI * volume * volume)) - 1, "25C7");
  // Axis-aligned bounding box of the mesh (= voxel extents): volume (PBX1) and area (R59B).
  Index3 lo = morph.size, hi = {-1, -1, -1};
  for (int64_t o : morph.voxels) {
    const int64_t c[3] = {o % morph.size[0], (o / morph.size[0]) % morph.size[1],
                          o / (morph.size[0] * morph.size[1])};
    for (int d = 0; d < 3; ++d) {
      lo[d] = std::min(lo[d], c[d]);
      hi[d] = std::max(hi[d], c[d]);
    }
  }
  double e[3];
  for (int d = 0; d < 3; ++d) e[d] = (hi[d] - lo[d] + 1) * morph.spacing_mm[d];
  Add(f, "VolumeDensityAABB", volume / (e[0] * e[1] * e[2]), "PBX1");  // V / V_aabb
  // A / A_aabb
  Add(f, "AreaDensityAABB", area / (2 * (e[0] * e[1] + e[1] * e[2] + e[2] * e[0])), "R59B");
  // Approximate enclosing ellipsoid, semi-axes 2 sqrt(lambda): volume (6BDE), area (RDD2).
  const double a = 2 * std::sqrt(pca.eigenvalues[2]), b = 2 * std::sqrt(pca.eigenvalues[1]),
               c = 2 * std::sqrt(pca.eigenvalues[0]);
  // V / (4 pi a b c / 3)
  Add(f, "VolumeDensityAEE", volume / (4 * M_PI / 3 * a * b * c), "6BDE");
  // A / A_ellipsoid(a, b, c)
  Add(f, "AreaDensityAEE", area / EllipsoidArea(a, b, c), "RDD2");
  // Convex hull of the mesh vertices: volume (R3ER) and area (7T7F) densities.
  Add(f, "VolumeDensityConvexHull", volume / diam.hull_volume_mm3, "R3ER");
  // A / A_hull
  Add(f, "AreaDensityConvexHull", area / diam.hull_area_mm2, "7T7F");
  if (intensity == nullptr || intensity->values.empty()) return;
  // Centre of mass shift (KLMA): geometric centre of the morphological mask minus the
  // intensity-weighted centre of the intensity mask, in mm.
  Eigen::Vector3d weighted = Eigen::Vector3d::Zero();
  double total = 0;
  for (size_t v = 0; v < intensity->voxels.size(); ++v) {
    const int64_t o = intensity->voxels[v];
    const Index3& s = intensity->size;
    const int64_t c[3] = {o % s[0], (o / s[0]) % s[1], o / (s[0] * s[1])};
    Eigen::Vector3d x;
    for (int d = 0; d < 3; ++d) {
      x[d] = (c[d] + intensity->box_begin_ijk[d] - morph.box_begin_ijk[d]) * morph.spacing_mm[d];
    }
    weighted += intensity->values[v] * x;
    total += intensity->values[v];
  }
  // |centre of the mask - intensity-weighted centre|
  Add(f, "CentreOfMassShift", total != 0 ? (pca.centre - weighted / total).norm() : kNaN, "KLMA");
  // Integrated intensity (99N0): mean intensity x mesh volume.
  Add(f, "IntegratedIntensity", total / intensity->values.size() * volume, "99N0");
  double moran = kNaN, geary = kNaN;
  const bool small = intensity->NumVoxels() <= settings.max_voxels_spatial_autocorrelation;
  if (small) SpatialAutocorrelation(*intensity, &moran, &geary);
  // N / sum w * sum w (x_a - mu)(x_b - mu) / sum (x - mu)^2, w = 1 / distance
  Add(f, "MoransIIndex", moran, "N365");
  // (N - 1) / (2 sum w) * sum w (x_a - x_b)^2 / sum (x - mu)^2
  Add(f, "GearysCMeasure", geary, "NPT7");
  if (!small) {
    // TODO: Moran's I and Geary's C compare all voxel pairs (O(N^2)); an FFT convolution with
    // the 1/r kernel would make them exact for large ROIs but is not implemented yet.
    f->end()[-1].reason = f->end()[-2].reason =
        "ROI larger than max_voxels_spatial_autocorrelation (pairwise O(N^2) feature)";
  }
}

}  // namespace

StatusOr<FeatureList> ComputeShape(const Roi& morph, const Roi* intensity,
                                   const ShapeSettings& settings) {
  if (morph.voxels.empty()) return internal::EmptyRoiError("shape");
  const internal::MeshSummary mesh =
      internal::MarchingCubes(morph.mask, morph.size, morph.spacing_mm);
  const internal::Diameters diam =
      internal::MaxDiameters(internal::SurfaceVertices(morph.mask, morph.size), morph.spacing_mm);
  const Pca pca = VoxelPca(morph, settings.ibsi);
  const double v = mesh.volume_mm3, a = mesh.area_mm2;
  const double voxel_volume =
      morph.NumVoxels() * morph.spacing_mm[0] * morph.spacing_mm[1] * morph.spacing_mm[2];
  const Eigen::Vector3d& ev = pca.eigenvalues;  // ascending: least, minor, major

  FeatureList f;
  Add(&f, "MeshVolume", v, "RNU0");                                 // sum of signed tetrahedra
  Add(&f, "VoxelVolume", voxel_volume, "YEKZ");                     // N_v * voxel volume
  Add(&f, "SurfaceArea", a, "C0JK");                                // sum of triangle areas
  Add(&f, "SurfaceVolumeRatio", a / v, "2PR5");                     // A / V
  Add(&f, "Sphericity", std::cbrt(36 * M_PI * v * v) / a, "QCFX");  // (36 pi V^2)^(1/3) / A
  // V / (sqrt(pi) A^1.5)
  Add(&f, "Compactness1", v / (std::sqrt(M_PI) * std::pow(a, 1.5)), "SKGS", true);
  Add(&f, "Compactness2", 36 * M_PI * v * v / (a * a * a), "BQWJ", true);  // 36 pi V^2 / A^3
  // A / (36 pi V^2)^(1/3)
  Add(&f, "SphericalDisproportion", a / std::cbrt(36 * M_PI * v * v), "KRCK", true);
  Add(&f, "Maximum3DDiameter", diam.d3, "L0JK");                    // largest vertex distance
  Add(&f, "Maximum2DDiameterSlice", diam.slice, "");                // same k (axial)
  Add(&f, "Maximum2DDiameterColumn", diam.column, "");              // same j (coronal)
  Add(&f, "Maximum2DDiameterRow", diam.row, "");                    // same i (sagittal)
  Add(&f, "MajorAxisLength", 4 * std::sqrt(ev[2]), "TDIC");         // 4 sqrt(lambda_major)
  Add(&f, "MinorAxisLength", 4 * std::sqrt(ev[1]), "P9VJ");         // 4 sqrt(lambda_minor)
  Add(&f, "LeastAxisLength", 4 * std::sqrt(ev[0]), "7J51");         // 4 sqrt(lambda_least)
  Add(&f, "Elongation", ev[2] > 0 ? std::sqrt(ev[1] / ev[2]) : kNaN, "Q3CK");  // sqrt(minor/major)
  Add(&f, "Flatness", ev[2] > 0 ? std::sqrt(ev[0] / ev[2]) : kNaN, "N17B");    // sqrt(least/major)
  if (ev[2] <= 0) {
    f.end()[-1].reason = f.end()[-2].reason = "ROI of one voxel: no principal axis";
  }
  if (settings.ibsi) AddIbsiMorphology(morph, intensity, settings, v, a, pca, diam, &f);
  internal::SortByName(&f);
  return f;
}

}  // namespace amdrn::radiomics
