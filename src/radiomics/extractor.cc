#include "radiomics/extractor.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "core/logging.h"
#include "core/threads.h"
#include "io/volume_io.h"
#include "radiomics/features.h"
#include "radiomics/filters.h"

namespace amdrn::radiomics {
namespace {

// A region after preprocessing: masks cut to their boxes on the grid of `image`.
struct PreparedRegion {
  size_t row = 0;
  int label = 1;
  std::shared_ptr<const RealVolume> image;  // shared by regions unless resampled/pre-cropped
  BoundingBox box;                          // intensity ROI box on `image`'s grid
  LabelMap intensity_box;                   // intensity mask (after resegmentation) in `box`
};

// Runs fn(i) for i in [0, n) on up to `threads` threads.
void ParallelFor(size_t n, int threads, const std::function<void(size_t)>& fn) {
  const size_t workers = std::min<size_t>(n, std::max(threads, 1));
  if (workers <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (size_t w = 0; w < workers; ++w) {
    pool.emplace_back([&] {
      for (size_t i = next++; i < n; i = next++) fn(i);
    });
  }
  for (std::thread& t : pool) t.join();
}

// The ROI of `mask_box` (placed at `box.lower` on `image`'s grid) with intensities from
// `image`, in the layout of features.h.
Roi MakeBoxRoi(const RealVolume& image, const BoundingBox& box, const LabelMap& mask_box,
               int label) {
  Roi roi;
  roi.source_geometry = image.geometry();
  roi.spacing_mm = image.geometry().spacing_mm;
  roi.box_begin_ijk = box.lower;
  roi.size = box.Size();
  const int64_t n = roi.size[0] * roi.size[1] * roi.size[2];
  roi.image.resize(n);
  roi.mask.resize(n);
  for (int64_t k = 0; k < roi.size[2]; ++k) {
    for (int64_t j = 0; j < roi.size[1]; ++j) {
      for (int64_t i = 0; i < roi.size[0]; ++i) {
        const int64_t dst = roi.Offset(i, j, k);
        const float v = static_cast<float>(
            image.at(box.lower[0] + i, box.lower[1] + j, box.lower[2] + k));
        roi.image[dst] = v;
        const bool inside = mask_box.data()[dst] == label;
        roi.mask[dst] = inside;
        if (inside) {
          roi.voxels.push_back(dst);
          roi.values.push_back(v);
        }
      }
    }
  }
  return roi;
}

LabelMap CutBox(const LabelMap& mask, const BoundingBox& box) {
  return CropVolume(mask, box.lower, box.Size());
}

AllSettings ToFeatureSettings(const Settings& s) {
  AllSettings out;
  out.first_order.voxel_array_shift = s.voxel_array_shift;
  out.first_order.ibsi = s.ibsi;
  out.shape.ibsi = s.ibsi;
  TextureSettings& t = out.texture;
  t.distances = s.distances;
  t.symmetrical_glcm = s.symmetrical_glcm;
  static const std::map<std::string, WeightingNorm> kNorms = {
      {"", WeightingNorm::kNone}, {"manhattan", WeightingNorm::kManhattan},
      {"euclidean", WeightingNorm::kEuclidean}, {"infinity", WeightingNorm::kInfinity},
      {"no_weighting", WeightingNorm::kNoWeighting}};
  t.weighting_norm = kNorms.at(s.weighting_norm);
  t.dimension = s.force2d ? TextureDimension::k2_5D : TextureDimension::k3D;
  t.force2d_dimension = s.force2d_dimension;
  t.gldm_alpha = s.gldm_a;
  t.ibsi = s.ibsi;
  return out;
}

DiscretisationSettings ToDiscretisation(const Settings& s) {
  DiscretisationSettings d;
  d.mode = s.bin_count ? BinningMode::kFixedBinCount : BinningMode::kFixedBinWidth;
  d.bin_width = s.bin_width;
  d.bin_count = s.bin_count.value_or(0);
  d.ibsi = s.ibsi;
  if (s.ibsi && !s.resegment_range.empty() && s.resegment_mode == "absolute") {
    d.ibsi_min = *std::min_element(s.resegment_range.begin(), s.resegment_range.end());
  }
  return d;
}

// Keeps the enabled features of one class: the named ones, or every non-deprecated one.
void AppendFeatures(const std::string& prefix, const FeatureClassConfig& config,
                    const FeatureList& list, ExtractionRow* row) {
  for (const Feature& f : list) {
    const bool named = std::find(config.features.begin(), config.features.end(), f.name) !=
                       config.features.end();
    if (config.features.empty() ? f.deprecated : !named) continue;
    row->features.push_back({prefix + "_" + config.name + "_" + f.name, f.value});
  }
}


// Preprocesses one label: mask correction, resampling or pre-cropping, mask checks,
// resegmentation, diagnostics and shape. On success fills `out` and the row's shape
// features; errors are returned and become the row's status.
Status PrepareRegion(const Params& params, const CaseImages& input,
                     const std::shared_ptr<const RealVolume>& base, int label,
                     PreparedRegion* out, ExtractionRow* row) {
  Settings s = params.settings;
  s.label = label;
  const MaskCheckOptions check{label, s.minimum_roi_dimensions, s.minimum_roi_size};
  LabelMap mask_storage;
  const LabelMap* mask = &input.mask;
  Diagnostics* diagnostics = &row->diagnostics;
  if (s.additional_info) AddMaskDiagnostics(nullptr, input.mask, label, "original", diagnostics);
  AMDRN_RETURN_IF_ERROR(LabelBoundingBox(input.mask, label).status());
  Status geometry = CheckImageMaskGeometry(base->geometry(), mask->geometry(),
                                           s.geometry_tolerance.value_or(1e-4));
  if (!geometry.ok()) {
    if (!s.correct_mask) return geometry;
    AMDRN_ASSIGN_OR_RETURN(mask_storage, CorrectMask(base->geometry(), *mask, label));
    mask = &mask_storage;
    if (s.additional_info) AddMaskDiagnostics(base.get(), *mask, label, "corrected", diagnostics);
  }
  std::shared_ptr<const RealVolume> image = base;
  if (s.Resamples()) {
    ResampleOptions r{s.resampled_spacing_mm, s.interpolator, s.pad_distance, label,
                      s.normalize ? PixelTypeInfo{} : input.pixel_type, s.ibsi};
    AMDRN_ASSIGN_OR_RETURN(ImageAndMask resampled, ResampleImageAndMask(*base, *mask, r));
    image = std::make_shared<const RealVolume>(std::move(resampled.image));
    mask_storage = std::move(resampled.mask);
    mask = &mask_storage;
    if (s.additional_info) {
      AddImageDiagnostics(*image, "interpolated", &row->diagnostics);
      AddMaskDiagnostics(image.get(), *mask, label, "interpolated", &row->diagnostics);
    }
  } else if (s.pre_crop) {
    AMDRN_ASSIGN_OR_RETURN(BoundingBox box, CheckMask(*mask, check));
    ImageAndMask cropped = CropToBox(*base, *mask, box, s.pad_distance);
    image = std::make_shared<const RealVolume>(std::move(cropped.image));
    mask_storage = std::move(cropped.mask);
    mask = &mask_storage;
  }
  AMDRN_ASSIGN_OR_RETURN(BoundingBox box, CheckMask(*mask, check));
  BoundingBox morph_box = box;
  LabelMap resegmented;
  const LabelMap* intensity = mask;
  if (!s.resegment_range.empty()) {
    AMDRN_ASSIGN_OR_RETURN(resegmented, ResegmentMask(*image, *mask, label, s.resegment_range,
                                                      s.resegment_mode));
    AMDRN_ASSIGN_OR_RETURN(box, CheckMask(resegmented, check));
    intensity = &resegmented;
    if (s.additional_info) {
      AddMaskDiagnostics(image.get(), resegmented, label, "resegmented", &row->diagnostics);
    }
  }
  const LabelMap* morphology = s.resegment_shape ? intensity : mask;
  // PyRadiomics crops the morphological mask to the final (resegmented) box; IBSI keeps its own.
  if (!s.ibsi || s.resegment_shape) morph_box = box;
  out->row = 0;
  out->label = label;
  out->image = image;
  out->box = box;
  out->intensity_box = CutBox(*intensity, box);

  for (const FeatureClassConfig& config : params.feature_classes) {
    if (config.name != "shape" && config.name != "shape2D") continue;
    const Roi morph = MakeBoxRoi(*image, morph_box, CutBox(*morphology, morph_box), label);
    if (config.name == "shape2D") {
      // PyRadiomics: only with force2D and a ROI one voxel thick across the 2D plane.
      const int axis = 2 - s.force2d_dimension;
      if (!s.force2d || morph_box.Size()[axis] > 1) {
        AMDRN_LOG(Warn) << "shape2D skipped: it needs force2D and an ROI one voxel thick along "
                        << "force2Ddimension " << s.force2d_dimension;
        continue;
      }
      AMDRN_ASSIGN_OR_RETURN(FeatureList shape2d, ComputeShape2D(morph, s.force2d_dimension));
      AppendFeatures("original", config, shape2d, row);
      continue;
    }
    const Roi intensity_roi = MakeBoxRoi(*image, box, out->intensity_box, label);
    AllSettings settings = ToFeatureSettings(s);
    AMDRN_ASSIGN_OR_RETURN(FeatureList shape,
                           ComputeShape(morph, &intensity_roi, settings.shape));
    AppendFeatures("original", config, shape, row);
  }
  return OkStatus();
}

// Features of every non-shape class for one derived image and one region.
void ComputeDerived(const Params& params, const Settings& s, const std::string& prefix,
                    const RealVolume& derived, const PreparedRegion& region,
                    ExtractionRow* row) {
  const Roi roi = MakeBoxRoi(derived, region.box, region.intensity_box, region.label);
  StatusOr<DiscretisedRoi> discretised = Discretise(roi, ToDiscretisation(s));
  std::vector<Family> families;
  std::vector<const FeatureClassConfig*> configs;
  for (const FeatureClassConfig& config : params.feature_classes) {
    if (config.name == "shape" || config.name == "shape2D") continue;
    std::optional<Family> family = FamilyFromName(config.name);
    if (!family) continue;
    families.push_back(*family);
    configs.push_back(&config);
  }
  if (!discretised.ok()) {
    row->diagnostics.push_back({"Error-" + prefix, discretised.status().message()});
    return;
  }
  std::unique_ptr<ImageF> full;
  if (std::find(families.begin(), families.end(), Family::kLocalIntensity) != families.end()) {
    full = std::make_unique<ImageF>(derived.geometry());
    std::copy(derived.voxels().begin(), derived.voxels().end(), full->voxels().begin());
  }
  FamilyInput input{&roi, &roi, &discretised.value(), full.get()};
  std::vector<StatusOr<FeatureList>> results =
      ComputeFamilies(families, input, ToFeatureSettings(s));
  for (size_t f = 0; f < families.size(); ++f) {
    if (!results[f].ok()) {
      row->diagnostics.push_back({"Error-" + prefix + "_" + configs[f]->name,
                                  results[f].status().message()});
      continue;
    }
    AppendFeatures(prefix, *configs[f], results[f].value(), row);
  }
}

// Calls fn for every derived image of one image type, computed on `image`.
Status ForEachDerivedImage(const ImageTypeConfig& type, const RealVolume& image,
                           const LabelMap* roi_mask, const DerivedImageFn& fn) {
  const Settings& s = type.settings;
  if (type.name == "Original") return fn("original", image);
  if (type.name == "LoG") return LogImages(image, s.sigma_mm, fn);
  if (type.name == "Wavelet") {
    WaveletOptions w{s.wavelet, s.wavelet_level, s.wavelet_start_level,
                     s.force2d ? 2 - s.force2d_dimension : -1};
    return WaveletImages(image, w, fn);
  }
  if (type.name == "Square") return fn("square", SquareImage(image));
  if (type.name == "SquareRoot") return fn("squareroot", SquareRootImage(image));
  if (type.name == "Logarithm") return fn("logarithm", LogarithmImage(image));
  if (type.name == "Exponential") return fn("exponential", ExponentialImage(image));
  if (type.name == "Gradient") {
    AMDRN_ASSIGN_OR_RETURN(RealVolume g, GradientImage(image, s.gradient_use_spacing));
    return fn("gradient", g);
  }
  if (type.name == "LBP3D") {
    Lbp3dOptions o{s.lbp3d_levels, s.lbp3d_icosphere_radius, s.lbp3d_icosphere_subdivision};
    return Lbp3dImages(image, *roi_mask, o, fn);
  }
  return InvalidArgumentError("unknown image type '" + type.name + "'");
}

// The full-grid ROI mask of a region (LBP3D samples only there).
LabelMap FullMask(const PreparedRegion& region) {
  LabelMap full(region.image->geometry(), 0);
  const Index3 size = region.box.Size();
  for (int64_t k = 0; k < size[2]; ++k) {
    for (int64_t j = 0; j < size[1]; ++j) {
      for (int64_t i = 0; i < size[0]; ++i) {
        if (region.intensity_box.at(i, j, k) == region.label) {
          full.at(region.box.lower[0] + i, region.box.lower[1] + j, region.box.lower[2] + k) = 1;
        }
      }
    }
  }
  return full;
}
}  // namespace

std::string RegionName(int label) {
  switch (label) {
    case 1: return "MS";
    case 2: return "SM";
    case 3: return "RAB";
    default: return "label" + std::to_string(label);
  }
}

StatusOr<CaseImages> LoadCase(const std::string& case_id, const std::string& image_path,
                              const std::string& mask_path) {
  CaseImages out;
  out.case_id = case_id;
  AMDRN_ASSIGN_OR_RETURN(ImageF image, io::ReadImage(image_path));
  AMDRN_ASSIGN_OR_RETURN(out.pixel_type, ReadPixelTypeInfo(image_path));
  AMDRN_ASSIGN_OR_RETURN(out.mask, io::ReadLabelMap(mask_path));
  out.image = RealVolume(image.geometry());
  std::copy(image.voxels().begin(), image.voxels().end(), out.image.voxels().begin());
  return out;
}

Extractor::Extractor(Params params) : params_(std::move(params)) {}

std::vector<std::string> ColumnsFor(const std::vector<ExtractionRow>& rows) {
  std::vector<std::string> columns = {"case_id", "label", "region", "error"};
  std::set<std::string> seen(columns.begin(), columns.end());
  for (const ExtractionRow& row : rows) {
    for (const auto& d : row.diagnostics) {
      if (seen.insert("diagnostics_" + d.first).second) columns.push_back("diagnostics_" + d.first);
    }
  }
  for (const ExtractionRow& row : rows) {
    for (const auto& f : row.features) {
      if (seen.insert(f.first).second) columns.push_back(f.first);
    }
  }
  return columns;
}

}  // namespace amdrn::radiomics

namespace amdrn::radiomics {

std::vector<ExtractionRow> Extractor::ExtractCase(const CaseImages& input,
                                                  const std::vector<int>& labels,
                                                  int threads) const {
  if (threads <= 0) threads = GetThreadCount();
  const Settings& s = params_.settings;
  std::vector<ExtractionRow> rows(labels.size());
  Diagnostics common;
  if (s.additional_info) {
    common.push_back({"Configuration_Settings", SettingsToString(s)});
    common.push_back({"Configuration_EnabledImageTypes", ImageTypesToString(params_)});
    AddImageDiagnostics(input.image, "original", &common);
  }
  std::shared_ptr<const RealVolume> base;
  if (s.normalize) {
    base = std::make_shared<const RealVolume>(
        NormalizeImage(input.image, s.normalize_scale, s.remove_outliers));
  } else {
    base = std::shared_ptr<const RealVolume>(&input.image, [](const RealVolume*) {});
  }
  std::vector<PreparedRegion> regions(labels.size());
  std::vector<char> ok(labels.size(), 0);
  ParallelFor(labels.size(), threads, [&](size_t r) {
    ExtractionRow& row = rows[r];
    row.case_id = input.case_id;
    row.label = labels[r];
    row.region = RegionName(labels[r]);
    row.diagnostics = common;
    row.status = PrepareRegion(params_, input, base, labels[r], &regions[r], &row);
    regions[r].row = r;
    ok[r] = row.status.ok();
  });
  // Regions that share an image share its filtered images.
  std::map<const RealVolume*, std::vector<size_t>> groups;
  for (size_t r = 0; r < regions.size(); ++r) {
    if (ok[r]) groups[regions[r].image.get()].push_back(r);
  }
  for (const auto& group : groups) {
    const RealVolume& image = *group.first;
    const std::vector<size_t>& members = group.second;
    for (const ImageTypeConfig& type : params_.image_types) {
      auto run = [&](const std::vector<size_t>& subset, const LabelMap* roi_mask) {
        Status status = ForEachDerivedImage(
            type, image, roi_mask, [&](const std::string& prefix, const RealVolume& derived) {
              ParallelFor(subset.size(), threads, [&](size_t m) {
                const PreparedRegion& region = regions[subset[m]];
                ComputeDerived(params_, type.settings, prefix, derived, region, &rows[region.row]);
              });
              return OkStatus();
            });
        if (!status.ok()) {
          for (size_t r : subset) {
            rows[r].diagnostics.push_back({"Error-" + type.name, status.message()});
          }
        }
      };
      if (type.name == "LBP3D") {  // depends on the ROI: once per region
        for (size_t r : members) {
          const LabelMap full = FullMask(regions[r]);
          run({r}, &full);
        }
      } else {
        run(members, nullptr);
      }
    }
  }
  for (ExtractionRow& row : rows) {
    if (!row.status.ok()) row.features.clear();
  }
  return rows;
}

}  // namespace amdrn::radiomics
