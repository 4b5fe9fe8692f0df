// Internal: the marching-cubes surface of a binary mask (vertices on edge midpoints, as
// PyRadiomics and IBSI use it) reduced to what shape features need: enclosed volume, surface
// area and the surface vertices (midpoints between ROI voxels and their outside face
// neighbours). The triangle table is generated at start-up from the cube face rules, not
// copied: each face separates the mask's corners from the others; on ambiguous faces the
// "inside" corners are separated, where "inside" is the mask unless corner (x0, y1, z1) is in
// the mask, in which case it is the complement (PyRadiomics' half-table convention).
// Pure functions; thread-safe.
#ifndef AMDRN_RADIOMICS_MESH_H_
#define AMDRN_RADIOMICS_MESH_H_

#include <cstdint>
#include <array>
#include <vector>

#include "core/volume.h"

namespace amdrn::radiomics::internal {

struct MeshSummary {
  double volume_mm3 = 0;
  double area_mm2 = 0;
};

// Marching cubes over `mask` (box of `size`, i fastest, nonzero = inside; outside the box is
// outside). Coordinates are scaled by `spacing_mm`.
MeshSummary MarchingCubes(const std::vector<uint8_t>& mask, const Index3& size,
                          const Vec3& spacing_mm);

// Surface vertices in millimetres relative to voxel (0, 0, 0) of the box; each coordinate is
// stored as twice the voxel index (so midpoints stay integers) in `half_index`.
struct SurfacePoints {
  std::vector<std::array<int32_t, 3>> half_index;  // 2 * (i, j, k) of the edge midpoint
};
SurfacePoints SurfaceVertices(const std::vector<uint8_t>& mask, const Index3& size);

// Largest distances between surface vertices, in mm: over all pairs (d3), and over pairs in
// the same plane k (slice), j (column) and i (row), as PyRadiomics' Maximum*Diameter*; and
// the volume and area of the vertices' convex hull. Farthest pairs are searched among convex
// hull vertices only (exact, and O(h^2) instead of O(V^2)).
struct Diameters {
  double d3 = 0, slice = 0, column = 0, row = 0;
  double hull_volume_mm3 = 0, hull_area_mm2 = 0;
};
Diameters MaxDiameters(const SurfacePoints& points, const Vec3& spacing_mm);

}  // namespace amdrn::radiomics::internal

#endif  // AMDRN_RADIOMICS_MESH_H_
