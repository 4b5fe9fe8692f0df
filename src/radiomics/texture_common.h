// Internal helpers shared by the feature families: neighbour directions in PyRadiomics order,
// compact grey-level indexing, per-slice splitting for IBSI 2D aggregation, NaN-aware feature
// averaging and small numeric helpers. Not part of the public API; all functions are pure.
#ifndef AMDRN_RADIOMICS_TEXTURE_COMMON_H_
#define AMDRN_RADIOMICS_TEXTURE_COMMON_H_

#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "radiomics/features.h"

namespace amdrn::radiomics::internal {

// numpy.spacing(1): PyRadiomics adds it inside every log.
inline constexpr double kEps = 2.220446049250313e-16;
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Offset3 {
  int di = 0, dj = 0, dk = 0;  // voxel offset along i (x), j (y), k (z)
};

// Index (0 = i, 1 = j, 2 = k) of the axis excluded from neighbourhoods, or -1 for 3D.
int OutOfPlaneAxis(const TextureSettings& settings);

// Neighbour offsets whose Chebyshev norm is one of `distances`, in PyRadiomics' order
// (cmatrices.c build_angles: numpy (z, y, x) offsets running from +d to -d). With
// `bidirectional` false only the first half (one of each +/- pair) is returned. Offsets
// along `out_of_plane_axis` are excluded; offsets not smaller than the box size are dropped.
std::vector<Offset3> Directions(const Index3& size, const std::vector<int>& distances,
                                bool bidirectional, int out_of_plane_axis);

// Present grey levels in ascending order and a dense map level -> compact index + 1 (0 for
// absent levels), so texture matrices only span levels that occur.
struct LevelIndex {
  std::vector<int32_t> levels;     // present levels, ascending
  std::vector<int32_t> compact;    // size max_level + 1; compact[level] = index + 1, or 0
  int Count() const { return static_cast<int>(levels.size()); }
};
LevelIndex MakeLevelIndex(const DiscretisedRoi& roi);

// Compact levels (index + 1; 0 outside the ROI) on the box padded by `pad` zero voxels on
// every side, and the padded offsets of the ROI voxels in ascending order. Walks along a
// direction stop at the padding without bounds checks.
struct PaddedCompact {
  Index3 size = {0, 0, 0};
  int pad = 0;
  std::vector<int32_t> levels;
  std::vector<int64_t> roi;
  int64_t Delta(const Offset3& o) const {
    return o.di + size[0] * (o.dj + size[1] * static_cast<int64_t>(o.dk));
  }
};
PaddedCompact MakePaddedCompact(const DiscretisedRoi& roi, const LevelIndex& index, int pad);

// The level index and the box padded by one voxel, shared by GLCM (distance 1), GLRLM and the
// zone families of one DiscretisedRoi: from its cache (built once, thread-safe) or, for a
// DiscretisedRoi without one (per-slice sub-ROIs, hand-made ones), built for this call.
struct TextureBase {
  LevelIndex index;
  PaddedCompact padded;  // pad 1
};
struct TextureCache {
  std::once_flag once;
  TextureBase base;
};
std::shared_ptr<const TextureBase> SharedTextureBase(const DiscretisedRoi& roi);

// Splits `roi` into one single-slice DiscretisedRoi per slice along `axis` that holds ROI
// voxels (empty slices are skipped). Each keeps the full levels range (max/num_levels).
std::vector<DiscretisedRoi> SplitSlices(const DiscretisedRoi& roi, int axis);

// Mean of each feature over `lists` ignoring NaN (numpy.nanmean); NaN with a reason when all
// are NaN. All lists must hold the same names in the same order.
FeatureList AverageFeatures(const std::vector<FeatureList>& lists);

// Per-matrix feature lists -> one list. `lists_fn` returns one FeatureList per matrix (per
// direction when averaged, one when merged or for zone families). With dimension k2D it runs
// on every slice (with in-plane neighbourhoods) and all lists of all slices are averaged
// together (IBSI 2D); otherwise the lists of the whole ROI are averaged. When there is no
// list at all, returns `nan_template` with every value NaN and `empty_reason`.
using ListsFn = std::function<StatusOr<std::vector<FeatureList>>(const DiscretisedRoi&,
                                                                 const TextureSettings&)>;
StatusOr<FeatureList> Aggregate(const DiscretisedRoi& roi, const TextureSettings& settings,
                                const ListsFn& lists_fn, FeatureList nan_template,
                                const std::string& empty_reason);

// Sorts features by name (PyRadiomics emits them in alphabetical order).
void SortByName(FeatureList* list);

// Appends a feature.
void Add(FeatureList* list, const char* name, double value, const char* ibsi_code,
         bool deprecated = false);
// Replaces every value by NaN with `reason` (used when the ROI defines no matrix).
void SetAllNaN(FeatureList* list, const std::string& reason);

// PyRadiomics' direction weight factor for `weighting_norm` (GLCM uses exp(-d^2) of the
// returned distance, GLRLM the distance itself). d is the offset's norm in millimetres.
double DirectionDistanceMm(const Offset3& offset, const Vec3& spacing_mm, WeightingNorm norm);

// GLCM MCC of one n x n probability matrix p (row-major) with marginals px, py: square root of
// the second largest eigenvalue of Q(i, j) = sum_k p(i, k) p(j, k) / (px(i) py(k) + eps), as
// PyRadiomics; 1 when n < 2. Defined in glcm.cc.
double MaximalCorrelationCoefficient(const std::vector<double>& p, const std::vector<double>& px,
                                     const std::vector<double>& py, int n);

// Error for an empty ROI.
Status EmptyRoiError(const char* family);

// Runs fn(t) for t in [0, count) on up to GetThreadCount() threads (serially inside another
// ParallelFor or a SerialSection).
void ParallelFor(int count, const std::function<void(int)>& fn);

// While alive, ParallelFor on this thread runs serially (for callers that parallelise at an
// outer level, e.g. the extractor's task queue).
class SerialSection {
 public:
  SerialSection();
  ~SerialSection();
  SerialSection(const SerialSection&) = delete;
  SerialSection& operator=(const SerialSection&) = delete;

 private:
  bool previous_;
};

}  // namespace amdrn::radiomics::internal

#endif  // AMDRN_RADIOMICS_TEXTURE_COMMON_H_
