#include "core/volume.h"

#include <cmath>
#include <algorithm>
#include <cstdio>

namespace amdrn {
namespace {

std::string Triple(const Vec3& v, const char* sep = "x") {
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%g%s%g%s%g", v[0], sep, v[1], sep, v[2]);
  return buf;
}

}  // namespace

Vec3 Geometry::IndexToPoint(const Vec3& index_ijk) const {
  Vec3 p = origin_lps;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) p[r] += direction[r * 3 + c] * spacing_mm[c] * index_ijk[c];
  }
  return p;
}

Vec3 Geometry::PointToIndex(const Vec3& point_lps) const {
  // direction is orthonormal for every grid amdrn accepts, so its inverse is its transpose.
  Vec3 d = {point_lps[0] - origin_lps[0], point_lps[1] - origin_lps[1],
            point_lps[2] - origin_lps[2]};
  Vec3 index = {0, 0, 0};
  for (int c = 0; c < 3; ++c) {
    double s = 0;
    for (int r = 0; r < 3; ++r) s += direction[r * 3 + c] * d[r];
    index[c] = s / spacing_mm[c];
  }
  return index;
}

bool Geometry::IsIdentityDirection(double tolerance) const {
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) {
      if (std::abs(direction[r * 3 + c] - (r == c ? 1.0 : 0.0)) > tolerance) return false;
    }
  }
  return true;
}

bool Geometry::SameAs(const Geometry& other, double tolerance) const {
  return CheckSameGeometry(*this, other, "a", "b", tolerance).ok();
}

std::string Geometry::ToString() const {
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%lldx%lldx%lld @ %s mm, origin (%s) mm",
                static_cast<long long>(size[0]), static_cast<long long>(size[1]),
                static_cast<long long>(size[2]), Triple(spacing_mm).c_str(),
                Triple(origin_lps, ", ").c_str());
  return buf;
}

Status CheckSameGeometry(const Geometry& a, const Geometry& b, const std::string& a_name,
                         const std::string& b_name, double tolerance) {
  auto differ = [&](const std::string& what, const std::string& va, const std::string& vb) {
    return FailedPreconditionError(a_name + " and " + b_name + " " + what + " differ: " + a_name +
                                   " " + va + ", " + b_name + " " + vb);
  };
  if (a.size != b.size) {
    Vec3 sa = {double(a.size[0]), double(a.size[1]), double(a.size[2])};
    Vec3 sb = {double(b.size[0]), double(b.size[1]), double(b.size[2])};
    return differ("sizes", Triple(sa) + " voxels", Triple(sb) + " voxels");
  }
  for (int c = 0; c < 3; ++c) {
    if (std::abs(a.spacing_mm[c] - b.spacing_mm[c]) > tolerance * std::abs(a.spacing_mm[c])) {
      return differ("spacings", Triple(a.spacing_mm) + " mm", Triple(b.spacing_mm) + " mm");
    }
  }
  double min_spacing = std::min({a.spacing_mm[0], a.spacing_mm[1], a.spacing_mm[2]});
  for (int c = 0; c < 3; ++c) {
    if (std::abs(a.origin_lps[c] - b.origin_lps[c]) > tolerance * min_spacing + 1e-9) {
      return differ("origins", "(" + Triple(a.origin_lps, ", ") + ") mm",
                    "(" + Triple(b.origin_lps, ", ") + ") mm");
    }
  }
  for (int e = 0; e < 9; ++e) {
    if (std::abs(a.direction[e] - b.direction[e]) > tolerance) {
      auto dir = [](const Geometry& g) {
        char buf[160];
        std::snprintf(buf, sizeof(buf), "[%g %g %g; %g %g %g; %g %g %g]", g.direction[0],
                      g.direction[1], g.direction[2], g.direction[3], g.direction[4],
                      g.direction[5], g.direction[6], g.direction[7], g.direction[8]);
        return std::string(buf);
      };
      return differ("directions", dir(a), dir(b));
    }
  }
  return OkStatus();
}

}  // namespace amdrn
