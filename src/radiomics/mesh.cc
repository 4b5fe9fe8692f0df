#include "radiomics/mesh.h"

#include "radiomics/hull.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

namespace amdrn::radiomics::internal {
namespace {

using P3 = std::array<double, 3>;

// Cube corner c has offset (c & 1, (c >> 1) & 1, (c >> 2) & 1) along (i, j, k).
P3 Corner(int c) { return {double(c & 1), double((c >> 1) & 1), double((c >> 2) & 1)}; }

P3 Cross(const P3& a, const P3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double Dot(const P3& a, const P3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

struct Edge {
  int a, b;  // corners, a < b
};

std::vector<Edge> MakeEdges() {
  std::vector<Edge> edges;
  for (int a = 0; a < 8; ++a) {
    for (int bit = 0; bit < 3; ++bit) {
      if (!(a & (1 << bit))) edges.push_back({a, a | (1 << bit)});
    }
  }
  return edges;  // 12 edges
}

int EdgeIndex(const std::vector<Edge>& edges, int a, int b) {
  if (a > b) std::swap(a, b);
  for (size_t e = 0; e < edges.size(); ++e) {
    if (edges[e].a == a && edges[e].b == b) return static_cast<int>(e);
  }
  return -1;
}

// The 4 corners of each of the 6 faces, in cyclic order.
std::vector<std::array<int, 4>> MakeFaces() {
  std::vector<std::array<int, 4>> faces;
  for (int axis = 0; axis < 3; ++axis) {
    const int u = (axis + 1) % 3, v = (axis + 2) % 3;
    for (int side = 0; side < 2; ++side) {
      std::array<int, 4> f{};
      const int cyc[4][2] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
      for (int t = 0; t < 4; ++t) {
        f[t] = (side << axis) | (cyc[t][0] << u) | (cyc[t][1] << v);
      }
      faces.push_back(f);
    }
  }
  return faces;
}

using Tri = std::array<int, 3>;

// Every triangulation of the polygon `poly` (vertex order kept, so orientation is kept).
std::vector<std::vector<Tri>> Triangulations(const std::vector<int>& poly) {
  if (poly.size() < 3) return {{}};
  if (poly.size() == 3) return {{Tri{poly[0], poly[1], poly[2]}}};
  std::vector<std::vector<Tri>> out;
  for (size_t k = 1; k + 1 < poly.size(); ++k) {
    const std::vector<int> left(poly.begin(), poly.begin() + k + 1);
    const std::vector<int> right(poly.begin() + k, poly.end());
    for (const auto& l : Triangulations(left)) {
      for (const auto& r : Triangulations(right)) {
        std::vector<Tri> t = l;
        t.insert(t.end(), r.begin(), r.end());
        t.push_back({poly.front(), poly[k], poly.back()});
        out.push_back(std::move(t));
      }
    }
  }
  return out;
}

// +1 when the corners in the mask are the minority of the cube (fewer than 4, or 4 without
// corner 6), else -1: the surface bulges towards the minority side.
int MinoritySign(int config) {
  const int n = __builtin_popcount(config);
  if (n != 4) return n < 4 ? 1 : -1;
  return (config >> 6) & 1 ? -1 : 1;
}

// Chooses how a non-planar loop is split into triangles. The rule reproduces the classic
// Lorensen-Cline table (which PyRadiomics uses) on all 254 configurations, checked offline
// against that table: among the loop's triangulations, ranked by the volume they enclose on
// the minority side, take the largest for loops of up to 5 vertices (and hexagons with 4
// distinct volumes), the median of 7 for the other hexagons, and the third largest of 11
// (smaller area on ties) for heptagons.
std::vector<Tri> ChooseTriangulation(const std::vector<int>& loop, const std::vector<Edge>& edges,
                                     int sign) {
  auto mid = [&](int e) {
    const P3 a = Corner(edges[e].a), b = Corner(edges[e].b);
    return P3{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2};
  };
  struct Option {
    double volume, area;
    std::vector<Tri> tris;
  };
  std::vector<Option> options;
  for (auto& tris : Triangulations(loop)) {
    Option o{0, 0, std::move(tris)};
    for (const Tri& t : o.tris) {
      const P3 p = mid(t[0]), q = mid(t[1]), r = mid(t[2]);
      const P3 e1 = {q[0] - p[0], q[1] - p[1], q[2] - p[2]};
      const P3 e2 = {r[0] - p[0], r[1] - p[1], r[2] - p[2]};
      const P3 c = Cross(e1, e2);
      o.area += 0.5 * std::sqrt(Dot(c, c));
      o.volume += sign * Dot(Cross(p, q), r);
    }
    o.volume = std::round(o.volume * 1e9) / 1e9;
    o.area = std::round(o.area * 1e9) / 1e9;
    options.push_back(std::move(o));
  }
  std::vector<double> volumes;
  for (const Option& o : options) volumes.push_back(o.volume);
  std::sort(volumes.begin(), volumes.end());
  volumes.erase(std::unique(volumes.begin(), volumes.end()), volumes.end());
  double target = volumes.back();
  if (loop.size() == 6 && volumes.size() == 7) target = volumes[3];
  if (loop.size() == 7 && volumes.size() == 11) target = volumes[8];
  const Option* best = nullptr;
  for (const Option& o : options) {
    if (o.volume == target && (best == nullptr || o.area < best->area)) best = &o;
  }
  return best->tris;
}

// Triangles (as edge triples, oriented with normals pointing out of the mask) of one config.
std::vector<std::array<int, 3>> Triangulate(int config, const std::vector<Edge>& edges,
                                            const std::vector<std::array<int, 4>>& faces) {
  auto in = [&](int c) { return (config >> c) & 1; };
  // Corners separated on ambiguous faces: the mask's, or its complement's when corner 6
  // (i0, j1, k1) is in the mask.
  const int sep_value = in(6) ? 0 : 1;
  std::vector<std::vector<int>> adj(12);
  for (const auto& f : faces) {
    std::vector<int> cuts;
    for (int t = 0; t < 4; ++t) {
      if (in(f[t]) != in(f[(t + 1) % 4])) cuts.push_back(EdgeIndex(edges, f[t], f[(t + 1) % 4]));
    }
    if (cuts.size() == 2) {
      adj[cuts[0]].push_back(cuts[1]);
      adj[cuts[1]].push_back(cuts[0]);
    } else if (cuts.size() == 4) {
      for (int t = 0; t < 4; ++t) {
        if (in(f[t]) != sep_value) continue;
        const int e1 = EdgeIndex(edges, f[(t + 3) % 4], f[t]);
        const int e2 = EdgeIndex(edges, f[t], f[(t + 1) % 4]);
        adj[e1].push_back(e2);
        adj[e2].push_back(e1);
      }
    }
  }
  std::vector<std::array<int, 3>> tris;
  std::vector<bool> used(12, false);
  for (int start = 0; start < 12; ++start) {
    if (used[start] || adj[start].empty()) continue;
    // Walk the loop.
    std::vector<int> loop = {start};
    used[start] = true;
    int prev = -1, cur = start;
    while (true) {
      const int next = adj[cur][0] != prev ? adj[cur][0] : adj[cur][1];
      if (next == start) break;
      loop.push_back(next);
      used[next] = true;
      prev = cur;
      cur = next;
    }
    // Orient: Newell normal against the inside-to-outside directions of the cut edges.
    auto mid = [&](int e) {
      const P3 a = Corner(edges[e].a), b = Corner(edges[e].b);
      return P3{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2};
    };
    P3 normal = {0, 0, 0};
    for (size_t t = 0; t < loop.size(); ++t) {
      const P3 p = mid(loop[t]), q = mid(loop[(t + 1) % loop.size()]);
      normal[0] += (p[1] - q[1]) * (p[2] + q[2]);
      normal[1] += (p[2] - q[2]) * (p[0] + q[0]);
      normal[2] += (p[0] - q[0]) * (p[1] + q[1]);
    }
    double score = 0;
    for (int e : loop) {
      const int inside = in(edges[e].a) ? edges[e].a : edges[e].b;
      const int outside = inside == edges[e].a ? edges[e].b : edges[e].a;
      const P3 ci = Corner(inside), co = Corner(outside);
      for (int d = 0; d < 3; ++d) score += (co[d] - ci[d]) * normal[d];
    }
    if (score < 0) std::reverse(loop.begin(), loop.end());
    for (const auto& t : ChooseTriangulation(loop, edges, MinoritySign(config))) tris.push_back(t);
  }
  return tris;
}

struct Table {
  std::vector<Edge> edges;
  std::vector<std::vector<std::array<int, 3>>> tris;  // per config
};

const Table& GetTable() {
  static const Table table = [] {
    Table t;
    t.edges = MakeEdges();
    const auto faces = MakeFaces();
    t.tris.resize(256);
    for (int config = 0; config < 256; ++config) {
      t.tris[config] = Triangulate(config, t.edges, faces);
    }
    return t;
  }();
  return table;
}


}  // namespace

MeshSummary MarchingCubes(const std::vector<uint8_t>& mask, const Index3& size,
                          const Vec3& spacing_mm) {
  const Table& table = GetTable();
  // Per config: area, sum det(q1, q2, q3) and sum (q1 x q2 + q2 x q3 + q3 x q1) with q the
  // vertex positions relative to the cube origin in mm; the volume of a cube at origin o is
  // (D + o . N) / 6 (signed tetrahedra from the world origin).
  std::vector<double> area(256, 0.0), det(256, 0.0);
  std::vector<P3> nsum(256, P3{0, 0, 0});
  for (int config = 1; config < 255; ++config) {
    for (const auto& tri : table.tris[config]) {
      P3 q[3];
      for (int v = 0; v < 3; ++v) {
        const P3 a = Corner(table.edges[tri[v]].a), b = Corner(table.edges[tri[v]].b);
        for (int d = 0; d < 3; ++d) q[v][d] = (a[d] + b[d]) / 2 * spacing_mm[d];
      }
      const P3 e1 = {q[1][0] - q[0][0], q[1][1] - q[0][1], q[1][2] - q[0][2]};
      const P3 e2 = {q[2][0] - q[0][0], q[2][1] - q[0][1], q[2][2] - q[0][2]};
      const P3 c = Cross(e1, e2);
      area[config] += 0.5 * std::sqrt(Dot(c, c));
      det[config] += Dot(Cross(q[0], q[1]), q[2]);
      const P3 n1 = Cross(q[0], q[1]), n2 = Cross(q[1], q[2]), n3 = Cross(q[2], q[0]);
      for (int d = 0; d < 3; ++d) nsum[config][d] += n1[d] + n2[d] + n3[d];
    }
  }
  // Padded mask so that every cube corner lookup stays in range.
  const Index3 p = {size[0] + 2, size[1] + 2, size[2] + 2};
  std::vector<uint8_t> pm(p[0] * p[1] * p[2], 0);
  for (int64_t k = 0; k < size[2]; ++k) {
    for (int64_t j = 0; j < size[1]; ++j) {
      for (int64_t i = 0; i < size[0]; ++i) {
        const bool inside = mask[i + size[0] * (j + size[1] * k)] != 0;
        pm[(i + 1) + p[0] * ((j + 1) + p[1] * (k + 1))] = inside;
      }
    }
  }
  int64_t corner_off[8];
  for (int c = 0; c < 8; ++c) {
    corner_off[c] = (c & 1) + p[0] * (((c >> 1) & 1) + p[1] * ((c >> 2) & 1));
  }
  MeshSummary out;
  double volume6 = 0;
  for (int64_t k = 0; k + 1 < p[2]; ++k) {
    for (int64_t j = 0; j + 1 < p[1]; ++j) {
      const int64_t row = p[0] * (j + p[1] * k);
      for (int64_t i = 0; i + 1 < p[0]; ++i) {
        const uint8_t* base = pm.data() + row + i;
        int config = 0;
        for (int c = 0; c < 8; ++c) config |= base[corner_off[c]] << c;
        if (config == 0 || config == 255) continue;
        const P3 o = {i * spacing_mm[0], j * spacing_mm[1], k * spacing_mm[2]};
        out.area_mm2 += area[config];
        volume6 += det[config] + Dot(o, nsum[config]);
      }
    }
  }
  out.volume_mm3 = volume6 / 6.0;
  return out;
}

SurfacePoints SurfaceVertices(const std::vector<uint8_t>& mask, const Index3& size) {
  SurfacePoints out;
  auto at = [&](int64_t i, int64_t j, int64_t k) -> bool {
    if (i < 0 || j < 0 || k < 0 || i >= size[0] || j >= size[1] || k >= size[2]) return false;
    return mask[i + size[0] * (j + size[1] * k)] != 0;
  };
  for (int axis = 0; axis < 3; ++axis) {
    for (int64_t k = -1; k < size[2]; ++k) {
      for (int64_t j = -1; j < size[1]; ++j) {
        for (int64_t i = -1; i < size[0]; ++i) {
          const int64_t n[3] = {i + (axis == 0), j + (axis == 1), k + (axis == 2)};
          if ((i < 0 && axis != 0) || (j < 0 && axis != 1) || (k < 0 && axis != 2)) continue;
          if (at(i, j, k) == at(n[0], n[1], n[2])) continue;
          out.half_index.push_back({static_cast<int32_t>(i + n[0]), static_cast<int32_t>(j + n[1]),
                                    static_cast<int32_t>(k + n[2])});
        }
      }
    }
  }
  return out;
}

namespace {
using HalfPoint = std::array<int32_t, 3>;

// Keeps, on every line along `axis`, only the two extreme points: a point strictly between
// two others on a line is never an end of a farthest pair.
std::vector<HalfPoint> KeepLineExtremes(std::vector<HalfPoint> pts, int axis) {
  const int u = (axis + 1) % 3, v = (axis + 2) % 3;
  std::sort(pts.begin(), pts.end(), [&](const HalfPoint& a, const HalfPoint& b) {
    if (a[u] != b[u]) return a[u] < b[u];
    if (a[v] != b[v]) return a[v] < b[v];
    return a[axis] < b[axis];
  });
  std::vector<HalfPoint> out;
  for (size_t s = 0; s < pts.size();) {
    size_t e = s;
    while (e < pts.size() && pts[e][u] == pts[s][u] && pts[e][v] == pts[s][v]) ++e;
    out.push_back(pts[s]);
    if (e - 1 > s) out.push_back(pts[e - 1]);
    s = e;
  }
  return out;
}

double MaxPairDistance(const std::vector<HalfPoint>& pts, const Vec3& spacing_mm) {
  const double h[3] = {spacing_mm[0] / 2, spacing_mm[1] / 2, spacing_mm[2] / 2};
  double best = 0;
  for (size_t a = 0; a < pts.size(); ++a) {
    for (size_t b = a + 1; b < pts.size(); ++b) {
      double d2 = 0;
      for (int d = 0; d < 3; ++d) {
        const double x = (pts[a][d] - pts[b][d]) * h[d];
        d2 += x * x;
      }
      best = std::max(best, d2);
    }
  }
  return std::sqrt(best);
}

// Largest in-plane distance over the planes of constant coordinate `axis` (farthest pairs
// among each plane's 2D convex hull vertices).
double MaxPlaneDiameter(const std::vector<HalfPoint>& all, int axis, const Vec3& spacing_mm) {
  const int u = (axis + 1) % 3, v = (axis + 2) % 3;
  std::map<int32_t, std::vector<IPoint2>> planes;
  for (const HalfPoint& p : all) planes[p[axis]].push_back({p[u], p[v]});
  double best = 0;
  for (auto& [coord, pts] : planes) {
    std::vector<HalfPoint> hull;
    for (const IPoint2& q : ConvexHull2(pts)) {
      HalfPoint h{};
      h[axis] = coord;
      h[u] = static_cast<int32_t>(q[0]);
      h[v] = static_cast<int32_t>(q[1]);
      hull.push_back(h);
    }
    best = std::max(best, MaxPairDistance(hull, spacing_mm));
  }
  return best;
}
}  // namespace

Diameters MaxDiameters(const SurfacePoints& points, const Vec3& spacing_mm) {
  Diameters d;
  std::vector<HalfPoint> c = KeepLineExtremes(points.half_index, 0);
  c = KeepLineExtremes(c, 1);
  c = KeepLineExtremes(c, 2);
  std::vector<IPoint3> ip;
  for (const HalfPoint& p : c) ip.push_back({p[0], p[1], p[2]});
  const Hull3 hull = ConvexHull3(ip);
  if (!hull.vertices.empty()) {
    std::vector<HalfPoint> vertices;
    for (int v : hull.vertices) vertices.push_back(c[v]);
    d.d3 = MaxPairDistance(vertices, spacing_mm);
    // Hull volume and area in mm (coordinates are half voxel indices).
    double volume6 = 0, area2 = 0;
    for (const auto& f : hull.faces) {
      P3 q[3];
      for (int t = 0; t < 3; ++t) {
        for (int a = 0; a < 3; ++a) q[t][a] = c[f[t]][a] * spacing_mm[a] / 2;
      }
      volume6 += Dot(Cross(q[0], q[1]), q[2]);
      const P3 e1 = {q[1][0] - q[0][0], q[1][1] - q[0][1], q[1][2] - q[0][2]};
      const P3 e2 = {q[2][0] - q[0][0], q[2][1] - q[0][1], q[2][2] - q[0][2]};
      const P3 n = Cross(e1, e2);
      area2 += std::sqrt(Dot(n, n));
    }
    d.hull_volume_mm3 = volume6 / 6;
    d.hull_area_mm2 = area2 / 2;
  } else {
    d.d3 = MaxPairDistance(c, spacing_mm);
  }
  d.slice = MaxPlaneDiameter(points.half_index, 2, spacing_mm);
  d.column = MaxPlaneDiameter(points.half_index, 1, spacing_mm);
  d.row = MaxPlaneDiameter(points.half_index, 0, spacing_mm);
  return d;
}

}  // namespace amdrn::radiomics::internal
