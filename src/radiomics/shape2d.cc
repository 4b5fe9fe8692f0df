// PyRadiomics shape2D: shape of a one-slice ROI (force2D). Marching squares with vertices on
// edge midpoints; diagonal (ambiguous) squares keep their mask corners separate.
#include <Eigen/Dense>
#include <cmath>

#include "radiomics/features.h"
#include "radiomics/hull.h"
#include "radiomics/texture_common.h"

namespace amdrn::radiomics {
namespace {
using internal::Add;

// The slice's mask (padded by one pixel) on axes (u, v) with spacing (su, sv).
struct Slice {
  int64_t nu = 0, nv = 0;
  double su = 1, sv = 1;
  std::vector<uint8_t> m;  // (nu + 2) x (nv + 2), u fastest
  bool at(int64_t u, int64_t v) const { return m[(u + 1) + (nu + 2) * (v + 1)] != 0; }
};

// Perimeter and area of the marching-squares contour.
void MarchingSquares(const Slice& s, double* perimeter, double* area) {
  *perimeter = 0;
  *area = 0;
  // Square corners counter-clockwise: (0,0), (1,0), (1,1), (0,1); edge t joins corner t, t+1.
  const int cu[4] = {0, 1, 1, 0}, cv[4] = {0, 0, 1, 1};
  for (int64_t v = -1; v < s.nv; ++v) {
    for (int64_t u = -1; u < s.nu; ++u) {
      bool in[4];
      int count = 0;
      for (int t = 0; t < 4; ++t) count += in[t] = s.at(u + cu[t], v + cv[t]);
      if (count == 0 || count == 4) continue;
      auto mid = [&](int e, double* pu, double* pv) {
        *pu = (u + (cu[e] + cu[(e + 1) % 4]) / 2.0) * s.su;
        *pv = (v + (cv[e] + cv[(e + 1) % 4]) / 2.0) * s.sv;
      };
      // Each mask corner run is cut off by a segment from the edge entering it to the edge
      // leaving it, oriented so that the mask lies on the left (positive area).
      for (int t = 0; t < 4; ++t) {
        if (!in[t] || in[(t + 3) % 4]) continue;  // t starts a run of mask corners
        int last = t;
        while (in[(last + 1) % 4]) last = (last + 1) % 4;
        double au, av, bu, bv;
        mid(last, &au, &av);        // edge leaving the run
        mid((t + 3) % 4, &bu, &bv);  // edge entering the run
        *perimeter += std::hypot(bu - au, bv - av);
        *area += (au * bv - bu * av) / 2;  // shoelace term of segment a -> b
      }
    }
  }
}

}  // namespace

StatusOr<FeatureList> ComputeShape2D(const Roi& roi, int force2d_dimension) {
  if (roi.voxels.empty()) return internal::EmptyRoiError("shape2D");
  TextureSettings t;
  t.dimension = TextureDimension::k2_5D;
  t.force2d_dimension = force2d_dimension;
  const int axis = internal::OutOfPlaneAxis(t);
  if (roi.size[axis] != 1) {
    return InvalidArgumentError(
        "shape2D expects a ROI one voxel thick along the force2D axis, found " +
        std::to_string(roi.size[axis]) + " voxels");
  }
  const int au = axis == 0 ? 1 : 0, av = axis == 2 ? 1 : 2;
  Slice s;
  s.nu = roi.size[au];
  s.nv = roi.size[av];
  s.su = roi.spacing_mm[au];
  s.sv = roi.spacing_mm[av];
  s.m.assign((s.nu + 2) * (s.nv + 2), 0);
  std::vector<internal::IPoint2> vertices;  // doubled coordinates of edge midpoints
  Eigen::Vector2d mean = Eigen::Vector2d::Zero();
  std::vector<Eigen::Vector2d> coords;
  for (int64_t o : roi.voxels) {
    const int64_t c[3] = {o % roi.size[0], (o / roi.size[0]) % roi.size[1],
                          o / (roi.size[0] * roi.size[1])};
    s.m[(c[au] + 1) + (s.nu + 2) * (c[av] + 1)] = 1;
    coords.emplace_back(c[au] * s.su, c[av] * s.sv);
    mean += coords.back();
  }
  for (int64_t v = -1; v <= s.nv; ++v) {
    for (int64_t u = -1; u <= s.nu; ++u) {
      const bool here = s.at(u, v);
      if (u < s.nu && here != s.at(u + 1, v)) vertices.push_back({2 * u + 1, 2 * v});
      if (v < s.nv && here != s.at(u, v + 1)) vertices.push_back({2 * u, 2 * v + 1});
    }
  }
  double perimeter = 0, area = 0;
  MarchingSquares(s, &perimeter, &area);
  double diameter2 = 0;
  const std::vector<internal::IPoint2> hull = internal::ConvexHull2(vertices);
  for (size_t a = 0; a < hull.size(); ++a) {
    for (size_t b = a + 1; b < hull.size(); ++b) {
      const double du = (hull[a][0] - hull[b][0]) * s.su / 2;
      const double dv = (hull[a][1] - hull[b][1]) * s.sv / 2;
      diameter2 = std::max(diameter2, du * du + dv * dv);
    }
  }
  const double n = static_cast<double>(coords.size());
  mean /= n;
  Eigen::Matrix2d cov = Eigen::Matrix2d::Zero();
  for (const auto& x : coords) cov += (x - mean) * (x - mean).transpose();
  cov /= n;  // PyRadiomics divides by N
  Eigen::Vector2d ev = Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d>(cov).eigenvalues();
  for (int d = 0; d < 2; ++d) {
    if (ev[d] < 0 && ev[d] > -1e-10) ev[d] = 0;
  }

  FeatureList f;
  Add(&f, "MeshSurface", area, "");                                  // area inside the contour
  Add(&f, "PixelSurface", n * s.su * s.sv, "");                      // N_p * pixel area
  Add(&f, "Perimeter", perimeter, "");                               // contour length
  Add(&f, "PerimeterSurfaceRatio", perimeter / area, "");            // P / A
  Add(&f, "Sphericity", 2 * std::sqrt(M_PI * area) / perimeter, "");  // 2 sqrt(pi A) / P
  // P / (2 sqrt(pi A))
  Add(&f, "SphericalDisproportion", perimeter / (2 * std::sqrt(M_PI * area)), "", true);
  Add(&f, "MaximumDiameter", std::sqrt(diameter2), "");             // largest vertex distance
  Add(&f, "MajorAxisLength", 4 * std::sqrt(ev[1]), "");             // 4 sqrt(lambda_major)
  Add(&f, "MinorAxisLength", 4 * std::sqrt(ev[0]), "");             // 4 sqrt(lambda_minor)
  // sqrt(lambda_minor / lambda_major)
  Add(&f, "Elongation", ev[1] > 0 ? std::sqrt(ev[0] / ev[1]) : internal::kNaN, "");
  if (!(ev[1] > 0)) f.back().reason = "ROI of one pixel: no principal axis";
  internal::SortByName(&f);
  return f;
}

}  // namespace amdrn::radiomics
