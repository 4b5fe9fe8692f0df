#include "radiomics/hull.h"

#include <algorithm>
#include <unordered_map>

namespace amdrn::radiomics::internal {
namespace {

IPoint3 Sub(const IPoint3& a, const IPoint3& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
IPoint3 Cross(const IPoint3& a, const IPoint3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
int64_t Dot(const IPoint3& a, const IPoint3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

struct Face {
  int v[3];
  IPoint3 normal;  // (v1 - v0) x (v2 - v0), pointing outside
  bool alive = true;
  std::vector<int> outside;  // points strictly above the face
};

class QuickHull {
 public:
  explicit QuickHull(const std::vector<IPoint3>& p) : p_(p) {}

  Hull3 Run() {
    int s[4];
    if (!InitialSimplex(s)) return {};
    const int tet[4][3] = {
        {s[0], s[1], s[2]}, {s[0], s[3], s[1]}, {s[1], s[3], s[2]}, {s[2], s[3], s[0]}};
    for (int f = 0; f < 4; ++f) {
      int a = tet[f][0], b = tet[f][1], c = tet[f][2];
      int opposite = -1;
      for (int t = 0; t < 4; ++t) {
        if (s[t] != a && s[t] != b && s[t] != c) opposite = s[t];
      }
      if (Height(Normal(a, b, c), a, opposite) > 0) std::swap(b, c);
      AddFace(a, b, c);
    }
    std::vector<int> all;
    for (int i = 0; i < static_cast<int>(p_.size()); ++i) {
      if (i != s[0] && i != s[1] && i != s[2] && i != s[3]) all.push_back(i);
    }
    Assign(all, {0, 1, 2, 3});
    std::vector<int> stack = {0, 1, 2, 3};
    while (!stack.empty()) {
      const int f = stack.back();
      stack.pop_back();
      if (!faces_[f].alive || faces_[f].outside.empty()) continue;
      for (int nf : AddPoint(f)) stack.push_back(nf);
    }
    return Result();
  }

 private:
  IPoint3 Normal(int a, int b, int c) const { return Cross(Sub(p_[b], p_[a]), Sub(p_[c], p_[a])); }
  int64_t Height(const IPoint3& n, int a, int q) const { return Dot(n, Sub(p_[q], p_[a])); }
  static uint64_t Key(int a, int b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }

  bool InitialSimplex(int s[4]) {
    const int n = static_cast<int>(p_.size());
    if (n < 4) return false;
    s[0] = 0;
    for (int i = 1; i < n; ++i) {
      if (p_[i] < p_[s[0]]) s[0] = i;
    }
    auto best = [&](auto score) {
      int arg = -1;
      int64_t top = 0;
      for (int i = 0; i < n; ++i) {
        const int64_t v = score(i);
        if (v > top) { top = v; arg = i; }
      }
      return arg;
    };
    s[1] = best([&](int i) { const IPoint3 d = Sub(p_[i], p_[s[0]]); return Dot(d, d); });
    if (s[1] < 0) return false;
    s[2] = best([&](int i) {
      const IPoint3 c = Cross(Sub(p_[s[1]], p_[s[0]]), Sub(p_[i], p_[s[0]]));
      return Dot(c, c);
    });
    if (s[2] < 0) return false;
    const IPoint3 n0 = Normal(s[0], s[1], s[2]);
    s[3] = best([&](int i) { return std::abs(Height(n0, s[0], i)); });
    return s[3] >= 0;
  }

  int AddFace(int a, int b, int c) {
    Face f;
    f.v[0] = a;
    f.v[1] = b;
    f.v[2] = c;
    f.normal = Normal(a, b, c);
    faces_.push_back(std::move(f));
    const int id = static_cast<int>(faces_.size()) - 1;
    edges_[Key(a, b)] = id;
    edges_[Key(b, c)] = id;
    edges_[Key(c, a)] = id;
    return id;
  }

  // Puts each point in the outside set of the first of `faces` it lies strictly above.
  void Assign(const std::vector<int>& points, const std::vector<int>& faces) {
    for (int q : points) {
      for (int f : faces) {
        if (Height(faces_[f].normal, faces_[f].v[0], q) > 0) {
          faces_[f].outside.push_back(q);
          break;
        }
      }
    }
  }

  // Adds the farthest outside point of face `f`; returns the new faces.
  std::vector<int> AddPoint(int f) {
    const Face& face = faces_[f];
    int apex = face.outside[0];
    int64_t top = -1;
    for (int q : face.outside) {
      const int64_t h = Height(face.normal, face.v[0], q);
      if (h > top) { top = h; apex = q; }
    }
    // Visible faces (BFS) and the horizon edges between visible and hidden faces.
    std::vector<int> visible = {f}, horizon_a, horizon_b;
    std::vector<char> seen(faces_.size(), 0);
    seen[f] = 1;
    for (size_t head = 0; head < visible.size(); ++head) {
      const Face& v = faces_[visible[head]];
      for (int e = 0; e < 3; ++e) {
        const int a = v.v[e], b = v.v[(e + 1) % 3];
        const int nb = edges_.at(Key(b, a));
        if (seen[nb] == 1) continue;
        if (seen[nb] == 0 && Height(faces_[nb].normal, faces_[nb].v[0], apex) > 0) {
          seen[nb] = 1;
          visible.push_back(nb);
        } else {
          seen[nb] = 2;
          horizon_a.push_back(a);
          horizon_b.push_back(b);
        }
      }
    }
    std::vector<int> orphans;
    for (int vf : visible) {
      Face& v = faces_[vf];
      v.alive = false;
      for (int q : v.outside) {
        if (q != apex) orphans.push_back(q);
      }
      v.outside.clear();
      for (int e = 0; e < 3; ++e) edges_.erase(Key(v.v[e], v.v[(e + 1) % 3]));
    }
    std::vector<int> created;
    for (size_t e = 0; e < horizon_a.size(); ++e) {
      // Keep only edges whose twin still belongs to a live (hidden) face.
      auto twin = edges_.find(Key(horizon_b[e], horizon_a[e]));
      if (twin == edges_.end() || !faces_[twin->second].alive) continue;
      created.push_back(AddFace(horizon_a[e], horizon_b[e], apex));
    }
    Assign(orphans, created);
    return created;
  }

  Hull3 Result() const {
    Hull3 h;
    std::vector<char> used(p_.size(), 0);
    for (const Face& f : faces_) {
      if (!f.alive) continue;
      h.faces.push_back({f.v[0], f.v[1], f.v[2]});
      for (int v : f.v) used[v] = 1;
    }
    for (int i = 0; i < static_cast<int>(p_.size()); ++i) {
      if (used[i]) h.vertices.push_back(i);
    }
    return h;
  }

  const std::vector<IPoint3>& p_;
  std::vector<Face> faces_;
  std::unordered_map<uint64_t, int> edges_;  // directed edge -> face holding it
};

int64_t Cross2(const IPoint2& o, const IPoint2& a, const IPoint2& b) {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

}  // namespace

Hull3 ConvexHull3(const std::vector<IPoint3>& points) { return QuickHull(points).Run(); }

std::vector<IPoint2> ConvexHull2(std::vector<IPoint2> p) {
  std::sort(p.begin(), p.end());
  p.erase(std::unique(p.begin(), p.end()), p.end());
  if (p.size() < 3) return p;
  std::vector<IPoint2> h(2 * p.size());
  size_t k = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    while (k >= 2 && Cross2(h[k - 2], h[k - 1], p[i]) <= 0) --k;
    h[k++] = p[i];
  }
  for (size_t i = p.size() - 1, t = k + 1; i-- > 0;) {
    while (k >= t && Cross2(h[k - 2], h[k - 1], p[i]) <= 0) --k;
    h[k++] = p[i];
  }
  h.resize(k - 1);
  return h;
}

}  // namespace amdrn::radiomics::internal
