// Internal: exact convex hulls of integer points (3D quickhull and 2D monotone chain) with
// integer orientation predicates, so lattice degeneracies (many coplanar points) are handled
// exactly. Used for mesh diameters and the IBSI convex-hull densities. Pure; thread-safe.
#ifndef AMDRN_RADIOMICS_HULL_H_
#define AMDRN_RADIOMICS_HULL_H_

#include <array>
#include <cstdint>
#include <vector>

namespace amdrn::radiomics::internal {

using IPoint3 = std::array<int64_t, 3>;
using IPoint2 = std::array<int64_t, 2>;

struct Hull3 {
  std::vector<int> vertices;               // indices into the input of the hull's vertices
  std::vector<std::array<int, 3>> faces;   // triangles, counter-clockwise seen from outside
};

// Convex hull of `points` (|coordinates| < 2^20). Empty when the points do not span 3D.
Hull3 ConvexHull3(const std::vector<IPoint3>& points);

// Vertices of the 2D convex hull, counter-clockwise (collinear points dropped).
std::vector<IPoint2> ConvexHull2(std::vector<IPoint2> points);

}  // namespace amdrn::radiomics::internal

#endif  // AMDRN_RADIOMICS_HULL_H_
