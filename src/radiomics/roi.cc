// ROI extraction, discretisation and the family dispatcher (features.h).
#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

#include "core/threads.h"
#include "radiomics/features.h"
#include "radiomics/texture_common.h"

namespace amdrn::radiomics {
namespace {

// Python's float modulo (result has the sign of the divisor).
double PyMod(double a, double b) {
  double r = std::fmod(a, b);
  if (r != 0.0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

// PyRadiomics getBinEdges for binWidth: edges on multiples of the width counted from 0.
std::vector<double> FixedWidthEdges(double min_value, double max_value, double width) {
  const double low = min_value - PyMod(min_value, width);
  const double high = max_value + 2 * width;
  const int64_t n = static_cast<int64_t>(std::ceil((high - low) / width));
  std::vector<double> edges;
  for (int64_t i = 0; i < n; ++i) edges.push_back(low + static_cast<double>(i) * width);
  if (edges.size() == 1) edges = {edges[0] - 0.5, edges[0] + 0.5};  // flat region
  return edges;
}

// PyRadiomics getBinEdges for binCount: numpy.histogram edges, last edge raised by 1.
std::vector<double> FixedCountEdges(double min_value, double max_value, int count) {
  double first = min_value, last = max_value;
  if (first == last) {
    first -= 0.5;
    last += 0.5;
  }
  std::vector<double> edges(count + 1);
  const double step = (last - first) / count;
  for (int i = 0; i <= count; ++i) edges[i] = first + i * step;
  edges[count] = last + 1.0;
  return edges;
}

// Levels for IBSI fixed bin size (Q3RU) or kNone; returns false on an invalid value.
Status DirectLevels(const Roi& roi, const DiscretisationSettings& s, double min_value,
                    std::vector<int32_t>* out) {
  const bool none = s.mode == BinningMode::kNone;
  const double x_min = s.ibsi_min.value_or(min_value);
  for (size_t n = 0; n < roi.values.size(); ++n) {
    const double x = roi.values[n];
    double level;
    if (none) {
      level = x;
      if (level != std::floor(level) || level < 1) {
        return InvalidArgumentError("binning 'none' expects integer intensities >= 1, found " +
                                    std::to_string(x));
      }
    } else {
      if (x < x_min) {
        return InvalidArgumentError("IBSI fixed bin size expects intensities >= the lower bound " +
                                    std::to_string(x_min) + ", found " + std::to_string(x));
      }
      level = std::floor((x - x_min) / s.bin_width) + 1;  // IBSI Q3RU
    }
    (*out)[n] = static_cast<int32_t>(level);
  }
  return OkStatus();
}

}  // namespace

const Feature* FindFeature(const FeatureList& features, const std::string& name) {
  for (const Feature& f : features) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

namespace {
template <typename T>
StatusOr<Roi> MakeRoiFrom(const Volume<T>& image, const LabelMap& mask, int label) {
  AMDRN_RETURN_IF_ERROR(CheckSameGeometry(image.geometry(), mask.geometry(), "image", "mask"));
  const Index3 size = mask.size();
  Index3 lo = {size[0], size[1], size[2]}, hi = {-1, -1, -1};
  for (int64_t k = 0; k < size[2]; ++k) {
    for (int64_t j = 0; j < size[1]; ++j) {
      const uint8_t* row = mask.data() + mask.Offset(0, j, k);
      for (int64_t i = 0; i < size[0]; ++i) {
        if (row[i] != label) continue;
        lo = {std::min(lo[0], i), std::min(lo[1], j), std::min(lo[2], k)};
        hi = {std::max(hi[0], i), std::max(hi[1], j), std::max(hi[2], k)};
      }
    }
  }
  if (hi[0] < 0) {
    return NotFoundError("expected voxels with label " + std::to_string(label) +
                         " in the mask, found none");
  }
  Roi roi;
  roi.source_geometry = image.geometry();
  roi.spacing_mm = image.geometry().spacing_mm;
  roi.box_begin_ijk = lo;
  roi.size = {hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1};
  const int64_t n = roi.size[0] * roi.size[1] * roi.size[2];
  roi.image.resize(n);
  roi.mask.resize(n);
  for (int64_t k = 0; k < roi.size[2]; ++k) {
    for (int64_t j = 0; j < roi.size[1]; ++j) {
      const int64_t src = image.Offset(lo[0], lo[1] + j, lo[2] + k);
      const int64_t dst = roi.Offset(0, j, k);
      for (int64_t i = 0; i < roi.size[0]; ++i) {
        roi.image[dst + i] = image.data()[src + i];
        const bool inside = mask.data()[src + i] == label;
        roi.mask[dst + i] = inside ? 1 : 0;
        if (inside) {
          roi.voxels.push_back(dst + i);
          roi.values.push_back(image.data()[src + i]);
        }
      }
    }
  }
  return roi;
}
}  // namespace

StatusOr<Roi> MakeRoi(const ImageF& image, const LabelMap& mask, int label) {
  return MakeRoiFrom(image, mask, label);
}

StatusOr<Roi> MakeRoi(const Volume<double>& image, const LabelMap& mask, int label) {
  return MakeRoiFrom(image, mask, label);
}

StatusOr<DiscretisedRoi> Discretise(const Roi& roi, const DiscretisationSettings& settings) {
  if (roi.values.empty()) {
    return FailedPreconditionError("expected a non-empty ROI, found 0 voxels");
  }
  if (settings.mode == BinningMode::kFixedBinWidth && !(settings.bin_width > 0)) {
    return InvalidArgumentError("expected binWidth > 0, found " +
                                std::to_string(settings.bin_width));
  }
  if (settings.mode == BinningMode::kFixedBinCount && settings.bin_count <= 0) {
    return InvalidArgumentError("expected binCount > 0, found " +
                                std::to_string(settings.bin_count));
  }
  const auto [min_it, max_it] = std::minmax_element(roi.values.begin(), roi.values.end());
  const double min_value = *min_it, max_value = *max_it;
  if (!std::isfinite(min_value) || !std::isfinite(max_value)) {
    return InvalidArgumentError("expected finite intensities in the ROI, found NaN or infinity");
  }

  DiscretisedRoi out;
  out.size = roi.size;
  out.spacing_mm = roi.spacing_mm;
  out.voxels = roi.voxels;
  std::vector<int32_t> levels(roi.values.size());
  const bool direct = settings.mode == BinningMode::kNone ||
                      (settings.mode == BinningMode::kFixedBinWidth && settings.ibsi);
  if (direct) {
    AMDRN_RETURN_IF_ERROR(DirectLevels(roi, settings, min_value, &levels));
    if (settings.mode == BinningMode::kFixedBinWidth) {
      const double x_min = settings.ibsi_min.value_or(min_value);
      const double w = settings.bin_width;
      const int32_t top = static_cast<int32_t>(std::floor((max_value - x_min) / w));
      for (int32_t b = 0; b <= top + 1; ++b) out.bin_edges.push_back(x_min + b * w);
    }
  } else {
    out.bin_edges = settings.mode == BinningMode::kFixedBinWidth
                        ? FixedWidthEdges(min_value, max_value, settings.bin_width)
                        : FixedCountEdges(min_value, max_value, settings.bin_count);
    // numpy.digitize: the number of edges <= x. The edges are (nearly) evenly spaced: start
    // from the arithmetic guess and step to the exact count.
    const std::vector<double>& e = out.bin_edges;
    const int64_t ne = static_cast<int64_t>(e.size());
    const double step = ne > 1 ? (e[ne - 2] - e[0]) / std::max<int64_t>(1, ne - 2) : 1.0;
    for (size_t n = 0; n < levels.size(); ++n) {
      const double x = roi.values[n];
      const double guess = step > 0 ? std::floor((x - e[0]) / step) + 1 : 0;
      // In [0, ne]; NaN (never from finite images) goes to 0 rather than an undefined cast.
      int64_t idx = guess > 0 ? (guess < ne ? static_cast<int64_t>(guess) : ne) : 0;
      while (idx < ne && e[idx] <= x) ++idx;
      while (idx > 0 && e[idx - 1] > x) --idx;
      levels[n] = static_cast<int32_t>(idx);
    }
  }

  out.levels.assign(static_cast<size_t>(roi.size[0] * roi.size[1] * roi.size[2]), 0);
  for (size_t n = 0; n < levels.size(); ++n) {
    out.levels[roi.voxels[n]] = levels[n];
    out.max_level = std::max(out.max_level, levels[n]);
  }
  out.num_levels = out.max_level;
  if (settings.ibsi && settings.mode == BinningMode::kFixedBinCount) {
    out.num_levels = settings.bin_count;
  }
  out.cache = std::make_shared<internal::TextureCache>();
  return out;
}

TextureSettings ToTextureSettings(IbsiAggregation aggregation, TextureSettings base) {
  switch (aggregation) {
    case IbsiAggregation::k2DAveraged:
      base.dimension = TextureDimension::k2D;
      base.weighting_norm = WeightingNorm::kNone;
      break;
    case IbsiAggregation::k2DSliceMerged:
      base.dimension = TextureDimension::k2D;
      base.weighting_norm = WeightingNorm::kNoWeighting;
      break;
    case IbsiAggregation::k2_5DDirectionMerged:
      base.dimension = TextureDimension::k2_5D;
      base.weighting_norm = WeightingNorm::kNone;
      break;
    case IbsiAggregation::k2_5DMerged:
      base.dimension = TextureDimension::k2_5D;
      base.weighting_norm = WeightingNorm::kNoWeighting;
      break;
    case IbsiAggregation::k3DAveraged:
      base.dimension = TextureDimension::k3D;
      base.weighting_norm = WeightingNorm::kNone;
      break;
    case IbsiAggregation::k3DMerged:
      base.dimension = TextureDimension::k3D;
      base.weighting_norm = WeightingNorm::kNoWeighting;
      break;
  }
  return base;
}

namespace {
struct FamilyEntry {
  Family family;
  const char* name;
};
constexpr FamilyEntry kFamilies[] = {
    {Family::kFirstOrder, "firstorder"},
    {Family::kShape, "shape"},
    {Family::kGlcm, "glcm"},
    {Family::kGlrlm, "glrlm"},
    {Family::kGlszm, "glszm"},
    {Family::kGldm, "gldm"},
    {Family::kNgtdm, "ngtdm"},
    {Family::kGldzm, "gldzm"},
    {Family::kNgldm, "ngldm"},
    {Family::kIntensityHistogram, "intensityhistogram"},
    {Family::kIntensityVolumeHistogram, "ivh"},
    {Family::kLocalIntensity, "localintensity"},
    {Family::kShape2D, "shape2D"},
};

StatusOr<FeatureList> ComputeOne(Family family, const FamilyInput& in, const AllSettings& s) {
  if (in.intensity == nullptr) return InvalidArgumentError("expected an intensity ROI, found null");
  const bool needs_levels = family != Family::kShape && family != Family::kShape2D &&
                            family != Family::kLocalIntensity &&
                            family != Family::kIntensityVolumeHistogram;
  if (needs_levels && in.discretised == nullptr) {
    return InvalidArgumentError(std::string("family ") + FamilyName(family) +
                                " expects a discretised ROI, found null");
  }
  switch (family) {
    case Family::kFirstOrder:
      return ComputeFirstOrder(*in.intensity, *in.discretised, s.first_order);
    case Family::kShape:
      return ComputeShape(in.morphology ? *in.morphology : *in.intensity, in.intensity, s.shape);
    case Family::kShape2D:
      return ComputeShape2D(in.morphology ? *in.morphology : *in.intensity,
                            s.texture.force2d_dimension);
    case Family::kGlcm: return ComputeGlcm(*in.discretised, s.texture);
    case Family::kGlrlm: return ComputeGlrlm(*in.discretised, s.texture);
    case Family::kGlszm: return ComputeGlszm(*in.discretised, s.texture);
    case Family::kGldm: return ComputeGldm(*in.discretised, s.texture);
    case Family::kNgtdm: return ComputeNgtdm(*in.discretised, s.texture);
    case Family::kGldzm: return ComputeGldzm(*in.discretised, s.texture);
    case Family::kNgldm: return ComputeNgldm(*in.discretised, s.texture);
    case Family::kIntensityHistogram: return ComputeIntensityHistogram(*in.discretised);
    case Family::kIntensityVolumeHistogram:
      return ComputeIntensityVolumeHistogram(*in.intensity, s.ivh);
    case Family::kLocalIntensity:
      if (in.image == nullptr) {
        return InvalidArgumentError("local intensity expects the full image, found null");
      }
      return ComputeLocalIntensity(*in.image, *in.intensity);
  }
  return InternalError("unknown feature family");
}
}  // namespace

const char* FamilyName(Family family) {
  for (const FamilyEntry& e : kFamilies) {
    if (e.family == family) return e.name;
  }
  return "unknown";
}

std::optional<Family> FamilyFromName(const std::string& name) {
  for (const FamilyEntry& e : kFamilies) {
    if (name == e.name) return e.family;
  }
  return std::nullopt;
}

std::vector<StatusOr<FeatureList>> ComputeFamilies(const std::vector<Family>& families,
                                                   const FamilyInput& input,
                                                   const AllSettings& settings) {
  std::vector<StatusOr<FeatureList>> results(families.size(), InternalError("not computed"));
  internal::ParallelFor(static_cast<int>(families.size()), [&](int t) {
    results[t] = ComputeOne(families[t], input, settings);
  });
  return results;
}

}  // namespace amdrn::radiomics
