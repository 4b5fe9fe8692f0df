#include "seg/preprocess.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "core/file_util.h"
#include "core/logging.h"
#include "core/progress.h"
#include "seg/dataset.h"

namespace amdrn::seg {
namespace fs = std::filesystem;

Shape3 PermuteShape(const Shape3& shape, const std::array<int, 3>& perm) {
  return {shape[perm[0]], shape[perm[1]], shape[perm[2]]};
}

template <typename T>
std::vector<T> TransposeArray(const T* in, const Shape3& in_shape, const std::array<int, 3>& perm) {
  const Shape3 out_shape = PermuteShape(in_shape, perm);
  const int64_t in_strides[3] = {in_shape[1] * in_shape[2], in_shape[2], 1};
  const int64_t s0 = in_strides[perm[0]], s1 = in_strides[perm[1]], s2 = in_strides[perm[2]];
  std::vector<T> out(static_cast<size_t>(NumVoxels(in_shape)));
  size_t o = 0;
  for (int64_t a = 0; a < out_shape[0]; ++a) {
    for (int64_t b = 0; b < out_shape[1]; ++b) {
      const T* base = in + a * s0 + b * s1;
      for (int64_t c = 0; c < out_shape[2]; ++c) out[o++] = base[c * s2];
    }
  }
  return out;
}
template std::vector<float> TransposeArray(const float*, const Shape3&, const std::array<int, 3>&);
template std::vector<int8_t> TransposeArray(const int8_t*, const Shape3&, const std::array<int, 3>&);
template std::vector<uint8_t> TransposeArray(const uint8_t*, const Shape3&, const std::array<int, 3>&);

std::vector<uint8_t> NonzeroMask(const std::vector<const float*>& channels, const Shape3& shape) {
  const int64_t n = NumVoxels(shape);
  std::vector<uint8_t> mask(static_cast<size_t>(n), 0);
  for (const float* ch : channels) {
    for (int64_t i = 0; i < n; ++i) mask[i] |= ch[i] != 0.0f;
  }
  // Fill holes: background voxels not 6-connected to the border become foreground.
  std::vector<uint8_t> outside(static_cast<size_t>(n), 0);
  std::deque<int64_t> queue;
  auto visit = [&](int64_t i) {
    if (!mask[i] && !outside[i]) {
      outside[i] = 1;
      queue.push_back(i);
    }
  };
  for (int64_t z = 0; z < shape[0]; ++z) {
    for (int64_t y = 0; y < shape[1]; ++y) {
      for (int64_t x = 0; x < shape[2]; ++x) {
        if (z == 0 || y == 0 || x == 0 || z == shape[0] - 1 || y == shape[1] - 1 || x == shape[2] - 1) {
          visit((z * shape[1] + y) * shape[2] + x);
        }
      }
    }
  }
  const int64_t sz = shape[1] * shape[2], sy = shape[2];
  while (!queue.empty()) {
    const int64_t i = queue.front();
    queue.pop_front();
    const int64_t z = i / sz, y = (i / sy) % shape[1], x = i % sy;
    if (z > 0) visit(i - sz);
    if (z + 1 < shape[0]) visit(i + sz);
    if (y > 0) visit(i - sy);
    if (y + 1 < shape[1]) visit(i + sy);
    if (x > 0) visit(i - 1);
    if (x + 1 < shape[2]) visit(i + 1);
  }
  for (int64_t i = 0; i < n; ++i) mask[i] = outside[i] ? 0 : 1;
  return mask;
}

BBox3 MaskBoundingBox(const uint8_t* mask, const Shape3& shape) {
  BBox3 box;
  for (int d = 0; d < 3; ++d) box[d] = {shape[d], 0};
  bool any = false;
  for (int64_t z = 0; z < shape[0]; ++z) {
    for (int64_t y = 0; y < shape[1]; ++y) {
      const uint8_t* row = mask + (z * shape[1] + y) * shape[2];
      for (int64_t x = 0; x < shape[2]; ++x) {
        if (!row[x]) continue;
        any = true;
        box[0] = {std::min(box[0][0], z), std::max(box[0][1], z + 1)};
        box[1] = {std::min(box[1][0], y), std::max(box[1][1], y + 1)};
        box[2] = {std::min(box[2][0], x), std::max(box[2][1], x + 1)};
      }
    }
  }
  if (!any) {
    for (int d = 0; d < 3; ++d) box[d] = {0, shape[d]};
  }
  return box;
}

template <typename T>
std::vector<T> CropArray(const T* in, const Shape3& shape, const BBox3& box) {
  std::vector<T> out;
  out.reserve(static_cast<size_t>((box[0][1] - box[0][0]) * (box[1][1] - box[1][0]) * (box[2][1] - box[2][0])));
  for (int64_t z = box[0][0]; z < box[0][1]; ++z) {
    for (int64_t y = box[1][0]; y < box[1][1]; ++y) {
      const T* row = in + (z * shape[1] + y) * shape[2];
      out.insert(out.end(), row + box[2][0], row + box[2][1]);
    }
  }
  return out;
}
template std::vector<float> CropArray(const float*, const Shape3&, const BBox3&);
template std::vector<int8_t> CropArray(const int8_t*, const Shape3&, const BBox3&);
template std::vector<uint8_t> CropArray(const uint8_t*, const Shape3&, const BBox3&);

Status NormalizeChannel(float* v, int64_t n, const std::string& scheme, bool use_mask, const int8_t* mask,
                        const IntensityProperties& p) {
  if (scheme == kCTNormalization) {
    const double sd = std::max(p.std, 1e-8);
    for (int64_t i = 0; i < n; ++i) {
      const double c = std::clamp<double>(v[i], p.percentile_00_5, p.percentile_99_5);
      v[i] = static_cast<float>((c - p.mean) / sd);
    }
  } else if (scheme == kZScoreNormalization) {
    const bool masked = use_mask && mask != nullptr;
    double sum = 0, count = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (masked && mask[i] < 0) continue;
      sum += v[i];
      count += 1;
    }
    const double mean = count > 0 ? sum / count : 0;
    double ss = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (masked && mask[i] < 0) continue;
      ss += (v[i] - mean) * (v[i] - mean);
    }
    const double sd = std::max(count > 0 ? std::sqrt(ss / count) : 0.0, 1e-8);
    for (int64_t i = 0; i < n; ++i) {
      v[i] = masked && mask[i] < 0 ? 0.0f : static_cast<float>((v[i] - mean) / sd);
    }
  } else if (scheme == kRescaleTo01Normalization) {
    if (n == 0) return OkStatus();
    auto [mn, mx] = std::minmax_element(v, v + n);
    const double lo = *mn, range = std::max<double>(*mx - lo, 1e-8);
    for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>((v[i] - lo) / range);
  } else if (scheme == kRGBTo01Normalization) {
    for (int64_t i = 0; i < n; ++i) v[i] /= 255.0f;
  } else if (scheme != kNoNormalization) {
    return InvalidArgumentError("expected a normalization scheme CTNormalization, ZScoreNormalization, "
                                "NoNormalization, RescaleTo01Normalization or RGBTo01Normalization, found " +
                                scheme);
  }
  return OkStatus();
}

namespace {

// nnU-Net's class-location sampling: per label min(10000, n) voxels, at least ceil(1 %) of n,
// without replacement.
std::map<int, std::vector<std::array<int32_t, 3>>> SampleClassLocations(const std::vector<int8_t>& seg,
                                                                         const Shape3& shape, uint32_t seed) {
  std::map<int, std::vector<int64_t>> positions;
  for (size_t i = 0; i < seg.size(); ++i) {
    if (seg[i] > 0) positions[seg[i]].push_back(static_cast<int64_t>(i));
  }
  std::mt19937 rng(seed);
  std::map<int, std::vector<std::array<int32_t, 3>>> out;
  for (auto& [label, all] : positions) {
    const int64_t n = static_cast<int64_t>(all.size());
    const int64_t target = std::min<int64_t>(n, std::max<int64_t>(std::min<int64_t>(10000, n),
                                                                  static_cast<int64_t>(std::ceil(n * 0.01))));
    for (int64_t i = 0; i < target; ++i) {  // partial Fisher-Yates
      std::uniform_int_distribution<int64_t> pick(i, n - 1);
      std::swap(all[i], all[pick(rng)]);
    }
    auto& locs = out[label];
    for (int64_t i = 0; i < target; ++i) {
      const int64_t p = all[i];
      locs.push_back({static_cast<int32_t>(p / (shape[1] * shape[2])), static_cast<int32_t>((p / shape[2]) % shape[1]),
                      static_cast<int32_t>(p % shape[2])});
    }
  }
  return out;
}

Shape3 ArrayShape(const Geometry& g) { return {g.size[2], g.size[1], g.size[0]}; }

}  // namespace

namespace {

Status CheckPreprocessInputs(const std::vector<ImageF>& channels, const Configuration& config) {
  if (channels.empty()) return InvalidArgumentError("expected at least one image channel, found none");
  if (!config.Is3d()) return UnimplementedError("amdrn preprocesses 3D configurations only, not " + config.name);
  if (config.normalization_schemes.size() != channels.size()) {
    return FailedPreconditionError("the plans normalise " + std::to_string(config.normalization_schemes.size()) +
                                   " channels, the case has " + std::to_string(channels.size()));
  }
  return OkStatus();
}

// Transposes and crops the channels and the label to the nonzero box (filling the crop
// properties); the seg is -1 where it is 0 outside the nonzero mask.
Status TransposeAndCrop(const std::vector<ImageF>& channels, const LabelMap* label, const std::string& case_id,
                        CaseProperties* props, std::vector<std::vector<float>>* cropped, std::vector<int8_t>* seg) {
  const Shape3 raw_shape = ArrayShape(channels[0].geometry());
  const auto& perm = props->transpose_forward;
  const Shape3 shape = props->shape_before_cropping;
  std::vector<std::vector<float>> data;
  std::vector<const float*> ptrs;
  for (const ImageF& ch : channels) {
    data.push_back(TransposeArray(ch.data(), raw_shape, perm));
    ptrs.push_back(data.back().data());
  }
  const std::vector<uint8_t> mask = NonzeroMask(ptrs, shape);
  const BBox3 box = MaskBoundingBox(mask.data(), shape);
  props->bbox_used_for_cropping = box;
  for (int d = 0; d < 3; ++d) props->shape_after_cropping_and_before_resampling[d] = box[d][1] - box[d][0];
  for (std::vector<float>& ch : data) {
    cropped->push_back(CropArray(ch.data(), shape, box));
    std::vector<float>().swap(ch);
  }
  const std::vector<uint8_t> mask_c = CropArray(mask.data(), shape, box);
  seg->assign(mask_c.size(), 0);
  if (label != nullptr) {
    const std::vector<uint8_t> lab = TransposeArray(label->data(), raw_shape, perm);
    const std::vector<uint8_t> lab_c = CropArray(lab.data(), shape, box);
    for (size_t i = 0; i < seg->size(); ++i) {
      if (lab_c[i] > 127) return InvalidArgumentError("case " + case_id + ": labels above 127 are not supported");
      (*seg)[i] = static_cast<int8_t>(lab_c[i]);
    }
  }
  for (size_t i = 0; i < seg->size(); ++i) {
    if ((*seg)[i] == 0 && !mask_c[i]) (*seg)[i] = -1;
  }
  return OkStatus();
}

}  // namespace

StatusOr<PreprocessedCase> PreprocessCase(const std::vector<ImageF>& channels, const LabelMap* label,
                                          const Plans& plans, const Configuration& config,
                                          const std::string& case_id, uint32_t seed) {
  AMDRN_RETURN_IF_ERROR(CheckPreprocessInputs(channels, config));
  const Geometry& g = channels[0].geometry();
  const auto& perm = plans.transpose_forward;
  const std::array<double, 3> raw_spacing = {g.spacing_mm[2], g.spacing_mm[1], g.spacing_mm[0]};
  PreprocessedCase out;
  out.case_id = case_id;
  out.num_channels = static_cast<int>(channels.size());
  CaseProperties& props = out.properties;
  props.original_geometry = g;
  props.transpose_forward = perm;
  props.shape_before_cropping = PermuteShape(ArrayShape(g), perm);
  for (int d = 0; d < 3; ++d) {
    props.spacing[d] = raw_spacing[perm[d]];
    props.target_spacing[d] = config.spacing[d];
  }
  std::vector<std::vector<float>> data;
  std::vector<int8_t> seg;
  AMDRN_RETURN_IF_ERROR(TransposeAndCrop(channels, label, case_id, &props, &data, &seg));

  // Normalise before resampling (the nonzero mask still matches the image), then resample.
  const Shape3 cropped = props.shape_after_cropping_and_before_resampling;
  const Shape3 target = ComputeNewShape(cropped, props.spacing, props.target_spacing);
  props.shape_after_resampling = target;
  out.shape = target;
  const int sep = SeparateZAxis(props.spacing, props.target_spacing);
  out.data.reserve(static_cast<size_t>(out.num_channels * NumVoxels(target)));
  for (size_t c = 0; c < data.size(); ++c) {
    const IntensityProperties ip = c < plans.foreground_intensity_properties_per_channel.size()
                                       ? plans.foreground_intensity_properties_per_channel[c]
                                       : IntensityProperties{};
    AMDRN_RETURN_IF_ERROR(NormalizeChannel(data[c].data(), NumVoxels(cropped), config.normalization_schemes[c],
                                           config.use_mask_for_norm[c], seg.data(), ip));
    std::vector<float> r = ResampleData(data[c].data(), cropped, target, 3, sep, 0);
    std::vector<float>().swap(data[c]);
    out.data.insert(out.data.end(), r.begin(), r.end());
  }
  if (label != nullptr) {
    out.seg = ResampleSeg(seg.data(), cropped, target, 1, sep, 0);
    out.class_locations = SampleClassLocations(out.seg, target, seed);
  }
  return out;
}

namespace {

// Pastes a cropped label array into the uncropped volume, transposes back, wraps the geometry.
LabelMap PasteAndTranspose(const std::vector<uint8_t>& cropped, const CaseProperties& p) {
  const Shape3 full = p.shape_before_cropping;
  const BBox3& box = p.bbox_used_for_cropping;
  std::vector<uint8_t> pasted(static_cast<size_t>(NumVoxels(full)), 0);
  size_t i = 0;
  for (int64_t z = box[0][0]; z < box[0][1]; ++z) {
    for (int64_t y = box[1][0]; y < box[1][1]; ++y) {
      uint8_t* row = pasted.data() + (z * full[1] + y) * full[2];
      for (int64_t x = box[2][0]; x < box[2][1]; ++x) row[x] = cropped[i++];
    }
  }
  std::array<int, 3> inverse{};
  for (int d = 0; d < 3; ++d) inverse[p.transpose_forward[d]] = d;
  std::vector<uint8_t> back = TransposeArray(pasted.data(), full, inverse);
  LabelMap labels(p.original_geometry);
  std::copy(back.begin(), back.end(), labels.data());
  return labels;
}

}  // namespace

StatusOr<LabelMap> LogitsToOriginalLabels(const float* logits, int num_classes, const CaseProperties& p) {
  if (num_classes < 1 || num_classes > 256) {
    return InvalidArgumentError("expected 1-256 classes, found " + std::to_string(num_classes));
  }
  const Shape3 from = p.shape_after_resampling, to = p.shape_after_cropping_and_before_resampling;
  const int sep = SeparateZAxis(p.target_spacing, p.spacing);
  const int64_t n_to = NumVoxels(to);
  std::vector<float> best(static_cast<size_t>(n_to), -std::numeric_limits<float>::infinity());
  std::vector<uint8_t> arg(static_cast<size_t>(n_to), 0);
  for (int k = 0; k < num_classes; ++k) {
    std::vector<float> r = ResampleData(logits + k * NumVoxels(from), from, to, 1, sep, 0);
    for (int64_t i = 0; i < n_to; ++i) {
      if (r[i] > best[i]) {
        best[i] = r[i];
        arg[i] = static_cast<uint8_t>(k);
      }
    }
  }
  return PasteAndTranspose(arg, p);
}

StatusOr<LabelMap> LabelsToOriginal(const uint8_t* labels, const CaseProperties& p) {
  const Shape3 from = p.shape_after_resampling, to = p.shape_after_cropping_and_before_resampling;
  std::vector<int8_t> seg(labels, labels + NumVoxels(from));
  for (size_t i = 0; i < seg.size(); ++i) {
    if (labels[i] > 127) return InvalidArgumentError("labels above 127 are not supported");
  }
  std::vector<int8_t> r = ResampleSeg(seg.data(), from, to, 1, SeparateZAxis(p.target_spacing, p.spacing), 0);
  std::vector<uint8_t> u(r.begin(), r.end());
  return PasteAndTranspose(u, p);
}

}  // namespace amdrn::seg
