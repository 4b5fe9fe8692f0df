#include "radiomics/texture_common.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "core/threads.h"

namespace amdrn::radiomics::internal {
namespace {
// Set on worker threads so nested ParallelFor calls run serially instead of oversubscribing.
thread_local bool tls_in_parallel = false;
}  // namespace

int OutOfPlaneAxis(const TextureSettings& settings) {
  if (settings.dimension == TextureDimension::k3D) return -1;
  // force2Ddimension is a numpy axis (z, y, x); ours are (i, j, k) = (x, y, z).
  return 2 - std::clamp(settings.force2d_dimension, 0, 2);
}

std::vector<Offset3> Directions(const Index3& size, const std::vector<int>& distances,
                                bool bidirectional, int out_of_plane_axis) {
  int max_d = 0;
  for (int d : distances) max_d = std::max(max_d, d);
  std::vector<Offset3> out;
  // numpy order (z, y, x), each offset running from +max_d down to -max_d.
  for (int oz = max_d; oz >= -max_d; --oz) {
    for (int oy = max_d; oy >= -max_d; --oy) {
      for (int ox = max_d; ox >= -max_d; --ox) {
        const int off[3] = {ox, oy, oz};  // (i, j, k)
        bool valid = true;
        int norm = 0;
        for (int a = 0; a < 3; ++a) {
          if ((a == out_of_plane_axis && off[a] != 0) || off[a] >= size[a] || off[a] <= -size[a]) {
            valid = false;
          }
          norm = std::max(norm, std::abs(off[a]));
        }
        if (!valid || norm == 0) continue;
        if (std::find(distances.begin(), distances.end(), norm) == distances.end()) continue;
        out.push_back({ox, oy, oz});
      }
    }
  }
  // The enumeration is antisymmetric: the second half mirrors the first.
  if (!bidirectional) out.resize(out.size() / 2);
  return out;
}

LevelIndex MakeLevelIndex(const DiscretisedRoi& roi) {
  LevelIndex index;
  index.compact.assign(roi.max_level + 1, 0);
  for (int64_t v : roi.voxels) index.compact[roi.levels[v]] = 1;
  for (int32_t g = 1; g <= roi.max_level; ++g) {
    if (index.compact[g]) {
      index.levels.push_back(g);
      index.compact[g] = static_cast<int32_t>(index.levels.size());
    }
  }
  return index;
}

PaddedCompact MakePaddedCompact(const DiscretisedRoi& roi, const LevelIndex& index, int pad) {
  PaddedCompact p;
  p.pad = pad;
  p.size = {roi.size[0] + 2 * pad, roi.size[1] + 2 * pad, roi.size[2] + 2 * pad};
  p.levels.assign(p.size[0] * p.size[1] * p.size[2], 0);
  p.roi.reserve(roi.voxels.size());
  for (int64_t k = 0; k < roi.size[2]; ++k) {
    for (int64_t j = 0; j < roi.size[1]; ++j) {
      const int32_t* src = roi.levels.data() + roi.Offset(0, j, k);
      const int64_t row = pad + p.size[0] * ((j + pad) + p.size[1] * (k + pad));
      for (int64_t i = 0; i < roi.size[0]; ++i) {
        if (src[i] == 0) continue;
        p.levels[row + i] = index.compact[src[i]];
        p.roi.push_back(row + i);
      }
    }
  }
  return p;
}

std::shared_ptr<const TextureBase> SharedTextureBase(const DiscretisedRoi& roi) {
  auto build = [&roi](TextureBase* base) {
    base->index = MakeLevelIndex(roi);
    base->padded = MakePaddedCompact(roi, base->index, 1);
  };
  if (!roi.cache) {
    auto base = std::make_shared<TextureBase>();
    build(base.get());
    return base;
  }
  std::call_once(roi.cache->once, build, &roi.cache->base);
  return std::shared_ptr<const TextureBase>(roi.cache, &roi.cache->base);
}

std::vector<DiscretisedRoi> SplitSlices(const DiscretisedRoi& roi, int axis) {
  const Index3& s = roi.size;
  std::vector<DiscretisedRoi> slices;
  for (int64_t c = 0; c < s[axis]; ++c) {
    DiscretisedRoi slice;
    slice.size = s;
    slice.size[axis] = 1;
    slice.spacing_mm = roi.spacing_mm;
    slice.max_level = roi.max_level;
    slice.num_levels = roi.num_levels;
    slice.bin_edges = roi.bin_edges;
    slice.levels.assign(slice.size[0] * slice.size[1] * slice.size[2], 0);
    for (int64_t k = 0; k < slice.size[2]; ++k) {
      for (int64_t j = 0; j < slice.size[1]; ++j) {
        for (int64_t i = 0; i < slice.size[0]; ++i) {
          int64_t src[3] = {i, j, k};
          src[axis] = c;
          const int32_t level = roi.levels[roi.Offset(src[0], src[1], src[2])];
          if (level == 0) continue;
          const int64_t dst = slice.Offset(i, j, k);
          slice.levels[dst] = level;
          slice.voxels.push_back(dst);
        }
      }
    }
    if (!slice.voxels.empty()) slices.push_back(std::move(slice));
  }
  return slices;
}

FeatureList AverageFeatures(const std::vector<FeatureList>& lists) {
  if (lists.empty()) return {};
  FeatureList out = lists.front();
  for (size_t f = 0; f < out.size(); ++f) {
    double sum = 0;
    int count = 0;
    for (const FeatureList& list : lists) {
      if (std::isnan(list[f].value)) continue;
      sum += list[f].value;
      ++count;
    }
    out[f].value = count > 0 ? sum / count : kNaN;
    if (count > 0) {
      out[f].reason.clear();
    } else if (out[f].reason.empty()) {
      out[f].reason = "undefined in every slice or direction";
    }
  }
  return out;
}

StatusOr<FeatureList> Aggregate(const DiscretisedRoi& roi, const TextureSettings& settings,
                                const ListsFn& lists_fn, FeatureList nan_template,
                                const std::string& empty_reason) {
  std::vector<FeatureList> lists;
  if (settings.dimension == TextureDimension::k2D) {
    TextureSettings slice_settings = settings;
    slice_settings.dimension = TextureDimension::k2_5D;
    for (const DiscretisedRoi& slice : SplitSlices(roi, OutOfPlaneAxis(settings))) {
      AMDRN_ASSIGN_OR_RETURN(std::vector<FeatureList> part, lists_fn(slice, slice_settings));
      for (FeatureList& l : part) lists.push_back(std::move(l));
    }
  } else {
    AMDRN_ASSIGN_OR_RETURN(lists, lists_fn(roi, settings));
  }
  FeatureList out;
  if (lists.empty()) {
    SetAllNaN(&nan_template, empty_reason);
    out = std::move(nan_template);
  } else {
    out = AverageFeatures(lists);
  }
  SortByName(&out);
  return out;
}

void SortByName(FeatureList* list) {
  std::stable_sort(list->begin(), list->end(),
                   [](const Feature& a, const Feature& b) { return a.name < b.name; });
}

void Add(FeatureList* list, const char* name, double value, const char* ibsi_code,
         bool deprecated) {
  Feature f;
  f.name = name;
  f.value = value;
  f.ibsi_code = ibsi_code;
  f.deprecated = deprecated;
  if (std::isnan(value)) f.reason = "undefined for this ROI";
  list->push_back(std::move(f));
}

void SetAllNaN(FeatureList* list, const std::string& reason) {
  for (Feature& f : *list) {
    f.value = kNaN;
    f.reason = reason;
  }
}

double DirectionDistanceMm(const Offset3& o, const Vec3& spacing_mm, WeightingNorm norm) {
  const double d[3] = {std::abs(o.di) * spacing_mm[0], std::abs(o.dj) * spacing_mm[1],
                       std::abs(o.dk) * spacing_mm[2]};
  switch (norm) {
    case WeightingNorm::kInfinity: return std::max({d[0], d[1], d[2]});
    case WeightingNorm::kEuclidean: return std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    case WeightingNorm::kManhattan: return d[0] + d[1] + d[2];
    default: return 0.0;
  }
}

Status EmptyRoiError(const char* family) {
  return FailedPreconditionError(std::string(family) + " expects a non-empty ROI, found 0 voxels");
}

void ParallelFor(int count, const std::function<void(int)>& fn) {
  const int threads = std::min(count, std::max(1, GetThreadCount()));
  if (threads <= 1 || tls_in_parallel) {
    for (int t = 0; t < count; ++t) fn(t);
    return;
  }
  std::atomic<int> next{0};
  auto worker = [&]() {
    tls_in_parallel = true;
    for (int t = next++; t < count; t = next++) fn(t);
    tls_in_parallel = false;
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < threads; ++w) pool.emplace_back(worker);
  worker();
  for (std::thread& th : pool) th.join();
}

SerialSection::SerialSection() : previous_(tls_in_parallel) { tls_in_parallel = true; }
SerialSection::~SerialSection() { tls_in_parallel = previous_; }

}  // namespace amdrn::radiomics::internal
