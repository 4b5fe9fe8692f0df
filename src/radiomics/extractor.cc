#include "radiomics/extractor.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "core/logging.h"
#include "core/threads.h"
#include "io/volume_io.h"
#include "radiomics/features.h"
#include "radiomics/filters.h"
#include "radiomics/texture_common.h"

namespace amdrn::radiomics {
namespace {

// A region after preprocessing: masks cut to their boxes on the grid of `image`.
struct PreparedRegion {
  size_t row = 0;
  int label = 1;
  std::shared_ptr<const RealVolume> image;  // shared by regions unless resampled/pre-cropped
  BoundingBox box;                          // intensity ROI box on `image`'s grid
  LabelMap intensity_box;                   // intensity mask (after resegmentation) in `box`
  BoundingBox morph_box;                    // shape: morphological mask's box and mask
  LabelMap morph_mask;
  Settings settings;                        // the case's settings with this label
  // The intensity ROI without intensities (the same for every derived image) and, per box
  // row r = j + size_j * k, its voxels [row_begin[r], row_begin[r + 1]) in `layout.voxels`.
  Roi layout;
  std::vector<int64_t> row_begin;
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
// `image`, in the layout of features.h (`roi.image` stays empty: no family reads it).
Roi MakeBoxRoi(const RealVolume& image, const BoundingBox& box, const LabelMap& mask_box,
               int label) {
  Roi roi;
  roi.source_geometry = image.geometry();
  roi.spacing_mm = image.geometry().spacing_mm;
  roi.box_begin_ijk = box.lower;
  roi.size = box.Size();
  roi.mask.resize(roi.size[0] * roi.size[1] * roi.size[2]);
  for (int64_t k = 0; k < roi.size[2]; ++k) {
    for (int64_t j = 0; j < roi.size[1]; ++j) {
      const double* src = image.data() + image.Offset(box.lower[0], box.lower[1] + j,
                                                      box.lower[2] + k);
      const int64_t row = roi.Offset(0, j, k);
      for (int64_t i = 0; i < roi.size[0]; ++i) {
        const bool inside = mask_box.data()[row + i] == label;
        roi.mask[row + i] = inside;
        if (inside) {
          roi.voxels.push_back(row + i);
          roi.values.push_back(src[i]);
        }
      }
    }
  }
  return roi;
}

// Fills region->layout and region->row_begin from its intensity mask.
void MakeLayout(PreparedRegion* region) {
  Roi& roi = region->layout;
  const Geometry& grid = region->image->geometry();
  roi.source_geometry = grid;
  roi.spacing_mm = grid.spacing_mm;
  roi.box_begin_ijk = region->box.lower;
  roi.size = region->box.Size();
  const int64_t n = roi.size[0] * roi.size[1] * roi.size[2];
  roi.mask.resize(n);
  region->row_begin.assign(1, 0);
  region->row_begin.reserve(roi.size[1] * roi.size[2] + 1);
  for (int64_t k = 0; k < roi.size[2]; ++k) {
    for (int64_t j = 0; j < roi.size[1]; ++j) {
      const int64_t row = roi.Offset(0, j, k);
      for (int64_t i = 0; i < roi.size[0]; ++i) {
        const bool inside = region->intensity_box.data()[row + i] == region->label;
        roi.mask[row + i] = inside;
        if (inside) roi.voxels.push_back(row + i);
      }
      region->row_begin.push_back(static_cast<int64_t>(roi.voxels.size()));
    }
  }
}

// The region's ROI with intensities from `derived`, which covers the region's grid from voxel
// `offset` on. Same result as MakeBoxRoi, from the precomputed layout.
Roi RoiFromLayout(const RealVolume& derived, const Index3& offset, const PreparedRegion& region) {
  Roi roi = region.layout;
  roi.values.resize(roi.voxels.size());
  const Index3& lower = region.box.lower;
  for (int64_t k = 0; k < roi.size[2]; ++k) {
    for (int64_t j = 0; j < roi.size[1]; ++j) {
      const int64_t r = j + roi.size[1] * k;
      const int64_t begin = region.row_begin[r], end = region.row_begin[r + 1];
      if (begin == end) continue;
      const double* src = derived.data() + derived.Offset(lower[0] - offset[0],
                                                          lower[1] - offset[1] + j,
                                                          lower[2] - offset[2] + k);
      const int64_t row = roi.Offset(0, j, k);
      for (int64_t t = begin; t < end; ++t) roi.values[t] = src[roi.voxels[t] - row];
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
  out->morph_box = morph_box;
  out->morph_mask = CutBox(*morphology, morph_box);
  out->settings = s;
  MakeLayout(out);
  return OkStatus();
}

// Shape (and shape2D) of a prepared region, computed on the original (resampled) image.
Status ComputeShapeFeatures(const Params& params, const PreparedRegion& region,
                            ExtractionRow* features) {
  const Settings& s = region.settings;
  for (const FeatureClassConfig& config : params.feature_classes) {
    if (config.name != "shape" && config.name != "shape2D") continue;
    const Roi morph = MakeBoxRoi(*region.image, region.morph_box, region.morph_mask, region.label);
    if (config.name == "shape2D") {
      // PyRadiomics: only with force2D and a ROI one voxel thick across the 2D plane.
      const int axis = 2 - s.force2d_dimension;
      if (!s.force2d || region.morph_box.Size()[axis] > 1) {
        AMDRN_LOG(Warn) << "shape2D skipped: it needs force2D and an ROI one voxel thick along "
                        << "force2Ddimension " << s.force2d_dimension;
        continue;
      }
      AMDRN_ASSIGN_OR_RETURN(FeatureList shape2d, ComputeShape2D(morph, s.force2d_dimension));
      AppendFeatures("original", config, shape2d, features);
      continue;
    }
    const Roi intensity_roi = RoiFromLayout(*region.image, {0, 0, 0}, region);
    AllSettings settings = ToFeatureSettings(s);
    AMDRN_ASSIGN_OR_RETURN(FeatureList shape,
                           ComputeShape(morph, &intensity_roi, settings.shape));
    AppendFeatures("original", config, shape, features);
  }
  return OkStatus();
}

// Features of every non-shape class for one derived image and one region. `derived` covers
// the region's grid from voxel `offset` on (LoG and wavelet images cover a sub-box).
void ComputeDerived(const Params& params, const Settings& s, const std::string& prefix,
                    const RealVolume& derived, const Index3& offset,
                    const PreparedRegion& region, ExtractionRow* row) {
  const Roi roi = RoiFromLayout(derived, offset, region);
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
    // The sphere may leave the ROI: local intensity gets the whole image (see NeedsWholeImage).
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

// Whether the families need derived images beyond the ROI boxes (local intensity's sphere).
bool NeedsWholeImage(const Params& params) {
  for (const FeatureClassConfig& config : params.feature_classes) {
    if (config.name == "localintensity") return true;
  }
  return false;
}

// Calls fn for every derived image of one image type, computed on `image`. LoG and wavelet
// images cover `region` only; the others cover the whole image.
Status ForEachDerivedImage(const ImageTypeConfig& type, const std::vector<double>& sigmas,
                           const RealVolume& image, const LabelMap* roi_mask,
                           const FilterRegion& region, const DerivedImageFn& fn) {
  const Settings& s = type.settings;
  if (type.name == "LoG") return LogImages(image, sigmas, fn, region);
  if (type.name == "Wavelet") {
    WaveletOptions w{s.wavelet, s.wavelet_level, s.wavelet_start_level,
                     s.force2d ? 2 - s.force2d_dimension : -1};
    return WaveletImages(image, w, fn, region);
  }
  if (type.name == "Square") return fn("square", SquareImage(image));
  if (type.name == "SquareRoot") return fn("squareroot", SquareRootImage(image));
  if (type.name == "Logarithm") return fn("logarithm", LogarithmImage(image));
  if (type.name == "Exponential") return fn("exponential", ExponentialImage(image));
  if (type.name == "Gradient") {
    AMDRN_ASSIGN_OR_RETURN(RealVolume g, GradientImage(image, s.gradient_use_spacing));
    return fn("gradient", std::move(g));
  }
  if (type.name == "LBP3D") {
    Lbp3dOptions o{s.lbp3d_levels, s.lbp3d_icosphere_radius, s.lbp3d_icosphere_subdivision};
    return Lbp3dImages(image, *roi_mask, o, fn);
  }
  return InvalidArgumentError("unknown image type '" + type.name + "'");
}

// Runs the extraction's tasks on a few threads. Feature tasks (one derived image, one region)
// go before producer tasks (filters), so derived images are consumed soon after they are
// made; a producer that finds `max_images` derived images alive runs feature tasks itself
// until one is released, which bounds memory. Tasks may add feature tasks.
class TaskQueue {
 public:
  explicit TaskQueue(int max_images) : max_images_(max_images) {}

  // Producers start in order of `rank` (lowest first): long chains of derived images first,
  // so that their features overlap with the rest.
  void AddProducer(int rank, std::function<void()> task) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto at = std::upper_bound(ranks_.begin(), ranks_.end(), rank);
    producers_.insert(producers_.begin() + (at - ranks_.begin()), std::move(task));
    ranks_.insert(at, rank);
  }
  void AddFeatureTask(std::function<void()> task) {
    std::lock_guard<std::mutex> lock(mutex_);
    features_.push_back(std::move(task));
    wake_.notify_one();
  }
  // A derived image made by a producer; it is released when its last task drops it.
  std::shared_ptr<const RealVolume> Track(RealVolume image) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++images_;
    }
    return std::shared_ptr<const RealVolume>(new RealVolume(std::move(image)),
                                             [this](const RealVolume* v) {
                                               delete v;
                                               std::lock_guard<std::mutex> lock(mutex_);
                                               --images_;
                                               wake_.notify_all();
                                             });
  }
  // Called by a producer after handing out an image: helps until there is room.
  void WaitForRoom() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (images_ >= max_images_) {
      if (features_.empty()) {
        wake_.wait(lock);
        continue;
      }
      std::function<void()> task = std::move(features_.front());
      features_.pop_front();
      lock.unlock();
      task();
      task = nullptr;
      lock.lock();
    }
  }
  // Runs every task on `threads` threads (the caller included); inner parallel loops of the
  // feature families run serially on them when threads > 1.
  void Run(int threads) {
    auto worker = [this, threads] {
      std::unique_ptr<internal::SerialSection> serial;
      if (threads > 1) serial = std::make_unique<internal::SerialSection>();
      std::unique_lock<std::mutex> lock(mutex_);
      while (true) {
        std::deque<std::function<void()>>* queue =
            !features_.empty() ? &features_ : !producers_.empty() ? &producers_ : nullptr;
        if (queue == nullptr) {
          if (running_ == 0) break;
          wake_.wait(lock);
          continue;
        }
        std::function<void()> task = std::move(queue->front());
        queue->pop_front();
        if (queue == &producers_) ranks_.erase(ranks_.begin());
        ++running_;
        lock.unlock();
        task();
        task = nullptr;
        lock.lock();
        --running_;
        wake_.notify_all();
      }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (std::thread& t : pool) t.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> features_, producers_;
  std::deque<int> ranks_;  // of producers_
  int running_ = 0, images_ = 0;
  const int max_images_;
};

// Derived images of one producer task and their features per region (rows in `members`).
struct ProducerOutput {
  std::vector<size_t> members;
  std::deque<std::vector<ExtractionRow>> images;  // per image, one partial row per member
  Status status;
  std::string type_name;
};

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
  // Regions that share an image share its filtered images, computed on the union of their
  // boxes only (unless a family needs the whole image).
  std::map<const RealVolume*, std::vector<size_t>> groups;
  for (size_t r = 0; r < regions.size(); ++r) {
    if (ok[r]) groups[regions[r].image.get()].push_back(r);
  }
  const bool whole = NeedsWholeImage(params_);
  std::vector<ExtractionRow> shape(labels.size());
  std::deque<ProducerOutput> outputs;  // in row order: groups, image types, sigmas
  int units = 0;                       // feature tasks expected, to size the pool
  for (const auto& group : groups) {
    for (const ImageTypeConfig& type : params_.image_types) {
      const int images = type.name == "LoG" ? static_cast<int>(type.settings.sigma_mm.size())
                         : type.name == "Wavelet" ? 8 * type.settings.wavelet_level
                                                  : 1;
      units += images * static_cast<int>(group.second.size());
    }
  }
  const int pool_threads = units >= 2 * threads ? threads : 1;
  TaskQueue queue(std::max(2, pool_threads + 1));
  for (const auto& group : groups) {
    const std::shared_ptr<const RealVolume> image = regions[group.second.front()].image;
    FilterRegion box;
    if (!whole) {
      Index3 lo = regions[group.second.front()].box.lower, hi = lo;
      for (size_t r : group.second) {
        for (int c = 0; c < 3; ++c) {
          lo[c] = std::min(lo[c], regions[r].box.lower[c]);
          hi[c] = std::max(hi[c], regions[r].box.upper[c]);
        }
      }
      box = {lo, {hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1}};
    }
    for (size_t r : group.second) {
      queue.AddProducer(3, [&, r] {
        Status status = ComputeShapeFeatures(params_, regions[r], &shape[r]);
        if (!status.ok()) shape[r].status = status;
      });
    }
    for (const ImageTypeConfig& type : params_.image_types) {
      // One producer per LoG sigma and per region for LBP3D (it depends on the ROI).
      std::vector<std::vector<double>> sigma_sets = {type.settings.sigma_mm};
      if (type.name == "LoG") {
        sigma_sets.clear();
        for (double sigma : type.settings.sigma_mm) sigma_sets.push_back({sigma});
      }
      std::vector<std::vector<size_t>> member_sets = {group.second};
      if (type.name == "LBP3D") {
        member_sets.clear();
        for (size_t r : group.second) member_sets.push_back({r});
      }
      for (const std::vector<double>& sigmas : sigma_sets) {
        for (const std::vector<size_t>& members : member_sets) {
          outputs.emplace_back();
          ProducerOutput* out = &outputs.back();
          out->members = members;
          out->type_name = type.name;
          const ImageTypeConfig* t = &type;
          const int rank = type.name == "Wavelet" ? 0 : type.name == "LoG" ? 1 : 2;
          queue.AddProducer(rank, [this, &queue, &regions, out, t, sigmas, image, box] {
            // Features of one derived image for each member region, as feature tasks.
            auto spread = [&](const std::string& prefix, std::shared_ptr<const RealVolume> d,
                              const Index3& offset) {
              out->images.emplace_back(out->members.size());
              std::vector<ExtractionRow>* slots = &out->images.back();
              for (size_t m = 0; m < out->members.size(); ++m) {
                const PreparedRegion* region = &regions[out->members[m]];
                queue.AddFeatureTask([this, t, prefix, d, offset, region, slots, m] {
                  ComputeDerived(params_, t->settings, prefix, *d, offset, *region,
                                 &(*slots)[m]);
                });
              }
            };
            if (t->name == "Original") {
              spread("original", image, {0, 0, 0});
              return;
            }
            std::unique_ptr<LabelMap> roi_mask;
            if (t->name == "LBP3D") {
              roi_mask = std::make_unique<LabelMap>(FullMask(regions[out->members[0]]));
            }
            const bool boxed = t->name == "LoG" || t->name == "Wavelet";
            const FilterRegion resolved = box.Resolve(image->geometry());
            out->status = ForEachDerivedImage(
                *t, sigmas, *image, roi_mask.get(), box,
                [&](const std::string& prefix, RealVolume&& derived) {
                  spread(prefix, queue.Track(std::move(derived)),
                         boxed ? resolved.lower : Index3{0, 0, 0});
                  queue.WaitForRoom();
                  return OkStatus();
                });
          });
        }
      }
    }
  }
  queue.Run(pool_threads);
  // Assemble each row: shape, then every image type in parameter-file order.
  for (size_t r = 0; r < rows.size(); ++r) {
    if (!ok[r]) continue;
    if (!shape[r].status.ok()) {
      rows[r].status = shape[r].status;
      continue;
    }
    rows[r].features = std::move(shape[r].features);
  }
  for (ProducerOutput& out : outputs) {
    for (size_t m = 0; m < out.members.size(); ++m) {
      ExtractionRow& row = rows[out.members[m]];
      for (std::vector<ExtractionRow>& image : out.images) {
        for (auto& d : image[m].diagnostics) row.diagnostics.push_back(std::move(d));
        for (auto& f : image[m].features) row.features.push_back(std::move(f));
      }
      if (!out.status.ok()) {
        row.diagnostics.push_back({"Error-" + out.type_name, out.status.message()});
      }
    }
  }
  for (ExtractionRow& row : rows) {
    if (!row.status.ok()) row.features.clear();
  }
  return rows;
}

}  // namespace amdrn::radiomics
