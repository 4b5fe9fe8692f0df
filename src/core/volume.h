// Volume: voxels together with their physical geometry. Index (i, j, k) runs along the
// image axes with i fastest in memory; physical points are in LPS millimetres (ITK's and
// DICOM's patient frame): point_lps = origin_lps + direction * diag(spacing_mm) * index_ijk.
// A Volume owns its voxels; copies are deep. Thread-compatible.
#ifndef AMDRN_CORE_VOLUME_H_
#define AMDRN_CORE_VOLUME_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace amdrn {

using Vec3 = std::array<double, 3>;
using Index3 = std::array<int64_t, 3>;

struct Geometry {
  Index3 size = {0, 0, 0};           // voxels along i, j, k
  Vec3 spacing_mm = {1.0, 1.0, 1.0};
  Vec3 origin_lps = {0.0, 0.0, 0.0};  // centre of voxel (0, 0, 0)
  // Row-major 3x3; column c is the unit direction of axis c in LPS.
  std::array<double, 9> direction = {1, 0, 0, 0, 1, 0, 0, 0, 1};

  int64_t NumVoxels() const { return size[0] * size[1] * size[2]; }
  double VoxelVolumeMm3() const { return spacing_mm[0] * spacing_mm[1] * spacing_mm[2]; }
  Vec3 IndexToPoint(const Vec3& index_ijk) const;
  Vec3 PointToIndex(const Vec3& point_lps) const;  // continuous index
  bool IsIdentityDirection(double tolerance = 1e-6) const;
  // Same size exactly; spacing, origin and direction within `tolerance` (relative to the
  // spacing for origin, absolute for direction cosines).
  bool SameAs(const Geometry& other, double tolerance = 1e-4) const;
  std::string ToString() const;  // "160x160x128 @ 0.3x0.3x0.3 mm, origin (...)"
};

// OK if `a` and `b` describe the same grid, else FailedPrecondition naming what differs,
// e.g. "image and mask spacing differ: image 0.3x0.3x0.3 mm, mask 0.4x0.4x0.4 mm".
Status CheckSameGeometry(const Geometry& a, const Geometry& b, const std::string& a_name,
                         const std::string& b_name, double tolerance = 1e-4);

template <typename T>
class Volume {
 public:
  Volume() = default;
  explicit Volume(const Geometry& geometry, T fill = T())
      : geometry_(geometry), data_(static_cast<size_t>(geometry.NumVoxels()), fill) {}

  const Geometry& geometry() const { return geometry_; }
  Geometry& mutable_geometry() { return geometry_; }
  const Index3& size() const { return geometry_.size; }
  int64_t NumVoxels() const { return geometry_.NumVoxels(); }
  bool empty() const { return data_.empty(); }

  int64_t Offset(int64_t i, int64_t j, int64_t k) const {
    return i + geometry_.size[0] * (j + geometry_.size[1] * k);
  }
  T& at(int64_t i, int64_t j, int64_t k) { return data_[Offset(i, j, k)]; }
  const T& at(int64_t i, int64_t j, int64_t k) const { return data_[Offset(i, j, k)]; }
  bool Contains(int64_t i, int64_t j, int64_t k) const {
    return i >= 0 && j >= 0 && k >= 0 && i < geometry_.size[0] && j < geometry_.size[1] &&
           k < geometry_.size[2];
  }

  T* data() { return data_.data(); }
  const T* data() const { return data_.data(); }
  std::vector<T>& voxels() { return data_; }
  const std::vector<T>& voxels() const { return data_; }

 private:
  Geometry geometry_;
  std::vector<T> data_;
};

using ImageF = Volume<float>;
using LabelMap = Volume<uint8_t>;

}  // namespace amdrn

#endif  // AMDRN_CORE_VOLUME_H_
