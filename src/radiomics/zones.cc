// Zone families: grey level size zone matrix (GLSZM, IBSI "szm") and grey level distance zone
// matrix (GLDZM, IBSI "dzm"). A zone is a connected set of ROI voxels with the same level
// (26-connected in 3D, 8-connected in-plane for 2D/2.5D). GLSZM counts zones by (level, size),
// GLDZM by (level, distance), the distance of a zone being the smallest distance of its voxels
// to the ROI border (6-connected in 3D, 4-connected in-plane; border voxels have distance 1).
// Matrices are stored sparse, so zone sizes up to the ROI size cost nothing.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <map>

#include "radiomics/features.h"
#include "radiomics/texture_common.h"

namespace amdrn::radiomics {
namespace {
using internal::Add;
using internal::kEps;

// The compact levels (index + 1, 0 outside the ROI) on the box padded by one voxel of zeros,
// so that neighbours never leave it (shared with the other texture families).
using Padded = internal::PaddedCompact;

// Offsets (in the padded box) of the neighbourhood: all 26 (or 8 in-plane) when `full`,
// else the 6 (or 4 in-plane) face neighbours.
std::vector<int64_t> NeighbourOffsets(const Padded& p, int out_of_plane_axis, bool full) {
  std::vector<int64_t> out;
  for (int dk = -1; dk <= 1; ++dk) {
    for (int dj = -1; dj <= 1; ++dj) {
      for (int di = -1; di <= 1; ++di) {
        const int d[3] = {di, dj, dk};
        const int norm1 = std::abs(di) + std::abs(dj) + std::abs(dk);
        if (norm1 == 0 || (!full && norm1 != 1)) continue;
        if (out_of_plane_axis >= 0 && d[out_of_plane_axis] != 0) continue;
        out.push_back(di + p.size[0] * (dj + p.size[1] * static_cast<int64_t>(dk)));
      }
    }
  }
  return out;
}

// Distance of every ROI voxel to the ROI border (BFS over face neighbours).
std::vector<int32_t> BorderDistance(const Padded& p, const std::vector<int64_t>& faces) {
  std::vector<int32_t> dist(p.levels.size(), 0);
  std::vector<int64_t> queue;
  for (int64_t o = 0; o < static_cast<int64_t>(p.levels.size()); ++o) {
    if (p.levels[o] == 0) continue;
    for (int64_t d : faces) {
      if (p.levels[o + d] == 0) {
        dist[o] = 1;
        queue.push_back(o);
        break;
      }
    }
  }
  for (size_t head = 0; head < queue.size(); ++head) {
    const int64_t o = queue[head];
    for (int64_t d : faces) {
      const int64_t q = o + d;
      if (p.levels[q] != 0 && dist[q] == 0) {
        dist[q] = dist[o] + 1;
        queue.push_back(q);
      }
    }
  }
  return dist;
}

struct Zone {
  int32_t level;  // compact level index + 1
  int64_t size;
  int32_t distance;
};

// Zones by union-find in memory order: each ROI voxel joins the zones of its earlier
// neighbours (negative offsets) with the same level; every root (the zone's first voxel in
// memory order) is one zone. A voxel whose predecessor along i has its level joins that
// zone and needs to look only at the earlier neighbours the predecessor does not have.
std::vector<Zone> FindZones(const Padded& p, const std::vector<int64_t>& nbrs,
                            const std::vector<int32_t>* dist) {
  std::vector<int64_t> back, fresh;
  for (int64_t d : nbrs) {
    if (d >= 0) continue;
    back.push_back(d);
    // Neighbour o + d of o is one of o - 1's earlier neighbours (or o - 1 itself) when
    // d + 1 is in the neighbourhood or zero (linear offsets are unique: the box is >= 3 wide).
    if (d + 1 != 0 && std::find(nbrs.begin(), nbrs.end(), d + 1) == nbrs.end()) {
      fresh.push_back(d);
    }
  }
  const bool left_is_neighbour = std::find(nbrs.begin(), nbrs.end(), -1) != nbrs.end();
  const int32_t* c = p.levels.data();
  const int64_t total = static_cast<int64_t>(p.levels.size());
  // parent[o]: a voxel of the same zone earlier in memory order, or o itself for a root.
  // Padded offsets fit int32 (the box is far below 2^31 voxels).
  std::vector<int32_t> parent(total);
  int32_t* up = parent.data();
  auto find = [up](int32_t x) {
    while (up[x] != x) {
      up[x] = up[up[x]];
      x = up[x];
    }
    return x;
  };
  auto join = [&](int32_t a, int32_t b) {
    a = find(a);
    b = find(b);
    if (a != b) up[std::max(a, b)] = std::min(a, b);
  };
  // Joins o with each neighbour o + d[t] of its level: a branch-free mask of the matches
  // first (the comparisons are unpredictable), then one join per match.
  auto join_matches = [&](int32_t o, int32_t level, const std::vector<int64_t>& d) {
    uint32_t matches = 0;
    for (size_t t = 0; t < d.size(); ++t) matches |= uint32_t{c[o + d[t]] == level} << t;
    while (matches != 0) {
      const int t = __builtin_ctz(matches);
      matches &= matches - 1;
      join(o, static_cast<int32_t>(o + d[t]));
    }
  };
  for (int32_t o = 0; o < total; ++o) {
    const int32_t level = c[o];
    if (level == 0) continue;
    if (left_is_neighbour && c[o - 1] == level) {
      up[o] = o - 1;
      join_matches(o, level, fresh);
    } else {
      up[o] = o;
      join_matches(o, level, back);
    }
  }
  // Zone of each root, in memory order of the roots; sizes and distances.
  std::vector<int32_t> zone_of(total, -1);
  std::vector<Zone> zones;
  for (int32_t o = 0; o < total; ++o) {
    if (c[o] == 0) continue;
    const int32_t r = find(o);
    if (zone_of[r] < 0) {
      zone_of[r] = static_cast<int32_t>(zones.size());
      zones.push_back({c[r], 0, dist ? (*dist)[r] : 0});
    }
    Zone& z = zones[zone_of[r]];
    ++z.size;
    if (dist) z.distance = std::min(z.distance, (*dist)[o]);
  }
  return zones;
}

struct ZoneNames {
  const char* name[16];
  const char* code[16];
};

constexpr ZoneNames kGlszmNames = {
    {"SmallAreaEmphasis", "LargeAreaEmphasis", "GrayLevelNonUniformity",
     "GrayLevelNonUniformityNormalized", "SizeZoneNonUniformity",
     "SizeZoneNonUniformityNormalized", "ZonePercentage", "GrayLevelVariance", "ZoneVariance",
     "ZoneEntropy", "LowGrayLevelZoneEmphasis", "HighGrayLevelZoneEmphasis",
     "SmallAreaLowGrayLevelEmphasis", "SmallAreaHighGrayLevelEmphasis",
     "LargeAreaLowGrayLevelEmphasis", "LargeAreaHighGrayLevelEmphasis"},
    {"5QRC", "48P8", "JNSA", "Y1RO", "4JP3", "VB3A", "P30P", "BYLV", "3NSA", "GU8N", "XMSY",
     "5GN9", "5RAI", "HW1V", "YH51", "J17V"}};

constexpr ZoneNames kGldzmNames = {
    {"SmallDistanceEmphasis", "LargeDistanceEmphasis", "GrayLevelNonUniformity",
     "GrayLevelNonUniformityNormalized", "ZoneDistanceNonUniformity",
     "ZoneDistanceNonUniformityNormalized", "ZonePercentage", "GrayLevelVariance",
     "ZoneDistanceVariance", "ZoneDistanceEntropy", "LowGrayLevelZoneEmphasis",
     "HighGrayLevelZoneEmphasis", "SmallDistanceLowGrayLevelEmphasis",
     "SmallDistanceHighGrayLevelEmphasis", "LargeDistanceLowGrayLevelEmphasis",
     "LargeDistanceHighGrayLevelEmphasis"},
    {"0GBI", "MB4I", "VFT7", "7HP3", "V294", "IATH", "VIWW", "QK93", "7WT1", "GBDU", "S1RA",
     "K26C", "RUVG", "DKNJ", "A7WM", "KLTH"}};

// Features of a zone matrix given as (compact level, j) -> count; j is the zone size (GLSZM)
// or distance (GLDZM). n_p: number of ROI voxels.
using SparseZones = std::vector<std::pair<std::pair<int32_t, int64_t>, double>>;

FeatureList ZoneFeatures(const SparseZones& m,
                         const std::vector<int32_t>& levels, double n_p, const ZoneNames& names) {
  std::vector<double> pg(levels.size(), 0.0);
  std::vector<std::pair<int64_t, double>> jc;
  double nz = 0;
  for (const auto& [key, count] : m) {
    pg[key.first - 1] += count;
    jc.emplace_back(key.second, count);
    nz += count;
  }
  std::sort(jc.begin(), jc.end());
  std::vector<std::pair<int64_t, double>> pj;  // j -> number of zones
  for (const auto& [j, count] : jc) {
    if (pj.empty() || pj.back().first != j) pj.push_back({j, 0.0});
    pj.back().second += count;
  }
  double se = 0, le = 0, jn = 0, uj = 0, ui = 0, gn = 0, lg = 0, hg = 0;
  for (const auto& [j, count] : pj) {
    se += count / (static_cast<double>(j) * j);
    le += count * static_cast<double>(j) * j;
    jn += count * count;
    uj += count / nz * j;
  }
  for (size_t a = 0; a < levels.size(); ++a) {
    const double i = levels[a];
    gn += pg[a] * pg[a];
    lg += pg[a] / (i * i);
    hg += pg[a] * i * i;
    ui += pg[a] / nz * i;
  }
  double gv = 0, jv = 0, ent = 0, sl = 0, sh = 0, ll = 0, lh = 0;
  for (size_t a = 0; a < levels.size(); ++a) gv += pg[a] / nz * (levels[a] - ui) * (levels[a] - ui);
  for (const auto& [j, count] : pj) jv += count / nz * (j - uj) * (j - uj);
  for (const auto& [key, count] : m) {
    const double i2 = static_cast<double>(levels[key.first - 1]) * levels[key.first - 1];
    const double j2 = static_cast<double>(key.second) * key.second;
    ent -= count / nz * std::log2(count / nz + kEps);
    sl += count / (i2 * j2);
    sh += count * i2 / j2;
    ll += count * j2 / i2;
    lh += count * i2 * j2;
  }
  const double values[16] = {se / nz, le / nz, gn / nz, gn / (nz * nz), jn / nz, jn / (nz * nz),
                             nz / n_p, gv, jv, ent, lg / nz, hg / nz, sl / nz, sh / nz, ll / nz,
                             lh / nz};
  // Formulas, in order: sum_j p_j / j^2 / N_z; sum_j p_j j^2 / N_z; sum_i p_i^2 / N_z; / N_z^2;
  // sum_j p_j^2 / N_z; / N_z^2; N_z / N_p; sum_i p_i/N_z (i - mu_i)^2; sum_j p_j/N_z (j - mu_j)^2;
  // -sum p log2(p + eps); sum_i p_i / i^2 / N_z; sum_i p_i i^2 / N_z; sum P / (i^2 j^2) / N_z;
  // sum P i^2 / j^2 / N_z; sum P j^2 / i^2 / N_z; sum P i^2 j^2 / N_z.
  FeatureList f;
  for (int t = 0; t < 16; ++t) Add(&f, names.name[t], values[t], names.code[t]);
  return f;
}

// One feature list for the whole (sub-)ROI: GLSZM when `distance` is false, else GLDZM.
StatusOr<std::vector<FeatureList>> ZoneLists(const DiscretisedRoi& roi, const TextureSettings& s,
                                             bool distance) {
  const std::shared_ptr<const internal::TextureBase> base = internal::SharedTextureBase(roi);
  const internal::LevelIndex& index = base->index;
  const Padded& p = base->padded;
  const int axis = internal::OutOfPlaneAxis(s);
  std::vector<int32_t> dist;
  if (distance) dist = BorderDistance(p, NeighbourOffsets(p, axis, false));
  const std::vector<Zone> zones = FindZones(p, NeighbourOffsets(p, axis, true),
                                            distance ? &dist : nullptr);
  // Sparse matrix: sort the (level, j) keys and count runs of equal keys. Keys are packed as
  // level * 2^40 + j when levels fit 24 bits (j < 2^40 always), which sorts the same way.
  std::vector<std::pair<int32_t, int64_t>> pairs;
  pairs.reserve(zones.size());
  if (index.Count() < (1 << 24)) {
    std::vector<uint64_t> keys;
    keys.reserve(zones.size());
    for (const Zone& z : zones) {
      keys.push_back((static_cast<uint64_t>(z.level) << 40) |
                     static_cast<uint64_t>(distance ? z.distance : z.size));
    }
    std::sort(keys.begin(), keys.end());
    for (uint64_t key : keys) {
      pairs.emplace_back(static_cast<int32_t>(key >> 40),
                         static_cast<int64_t>(key & ((uint64_t{1} << 40) - 1)));
    }
  } else {
    for (const Zone& z : zones) pairs.emplace_back(z.level, distance ? z.distance : z.size);
    std::sort(pairs.begin(), pairs.end());
  }
  std::vector<std::pair<std::pair<int32_t, int64_t>, double>> m;
  for (const auto& key : pairs) {
    if (m.empty() || m.back().first != key) m.push_back({key, 0.0});
    m.back().second += 1;
  }
  return std::vector<FeatureList>{
      ZoneFeatures(m, index.levels, static_cast<double>(roi.voxels.size()),
                   distance ? kGldzmNames : kGlszmNames)};
}

FeatureList NaNTemplate(const ZoneNames& names) {
  return ZoneFeatures({{{1, 1}, 1.0}}, {1}, 1.0, names);
}

}  // namespace

// GLSZM (IBSI "szm"; 3D KOBO, 2.5D 62GR, 2D 8QNN).
StatusOr<FeatureList> ComputeGlszm(const DiscretisedRoi& roi, const TextureSettings& settings) {
  if (roi.voxels.empty()) return internal::EmptyRoiError("GLSZM");
  return internal::Aggregate(
      roi, settings, [](const DiscretisedRoi& r, const TextureSettings& s) {
        return ZoneLists(r, s, false);
      },
      NaNTemplate(kGlszmNames), "no zone in the ROI");
}

// GLDZM (IBSI "dzm"; IBSI only).
StatusOr<FeatureList> ComputeGldzm(const DiscretisedRoi& roi, const TextureSettings& settings) {
  if (roi.voxels.empty()) return internal::EmptyRoiError("GLDZM");
  return internal::Aggregate(
      roi, settings, [](const DiscretisedRoi& r, const TextureSettings& s) {
        return ZoneLists(r, s, true);
      },
      NaNTemplate(kGldzmNames), "no zone in the ROI");
}

}  // namespace amdrn::radiomics
