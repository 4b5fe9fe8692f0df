#include "seg/data_loader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "seg/preprocess.h"

namespace amdrn::seg {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

Status MapCase(const std::string& path, void** address, size_t* bytes, CaseView* view) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return NotFoundError("expected a preprocessed case at " + path + ", found none");
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size < 16) {
    ::close(fd);
    return DataLossError(path + " is too short to be a preprocessed case");
  }
  void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return ResourceExhaustedError("cannot memory-map " + path);
  *address = p;
  *bytes = static_cast<size_t>(st.st_size);
  const char* base = static_cast<const char*>(p);
  AMDRN_ASSIGN_OR_RETURN(Json h, ParsePreprocessedHeader(base, *bytes, path));
  try {
    view->case_id = h.at("case_id").get<std::string>();
    view->num_channels = h.at("num_channels").get<int>();
    view->shape = h.at("shape").get<Shape3>();
    if (!h.at("has_seg").get<bool>()) {
      return FailedPreconditionError(path + " has no segmentation; training needs labelled cases");
    }
    const uint64_t n = static_cast<uint64_t>(NumVoxels(view->shape));
    const uint64_t data_offset = h.at("data_offset"), seg_offset = h.at("seg_offset");
    uint64_t loc = h.at("locations_offset");
    for (const Json& e : h.at("class_locations")) {
      const int64_t count = e.at(1).get<int64_t>();
      view->class_locations[e.at(0).get<int>()] = {reinterpret_cast<const int32_t*>(base + loc), count};
      loc += static_cast<uint64_t>(count) * 12;
    }
    if (loc > *bytes || seg_offset + n > *bytes || data_offset + n * 4 * view->num_channels > seg_offset) {
      return DataLossError(path + " is truncated");
    }
    view->data = reinterpret_cast<const float*>(base + data_offset);
    view->seg = reinterpret_cast<const int8_t*>(base + seg_offset);
  } catch (const std::exception& e) {
    return DataLossError("incomplete header in " + path + ": " + e.what());
  }
  return OkStatus();
}

// Lower corner of the enlarged (initial) patch, nnU-Net's get_bbox.
std::array<int64_t, 3> ChooseCorner(const CaseView& c, const Shape3& initial, const Shape3& final_patch,
                                    bool force_fg, Rng& rng) {
  std::array<int64_t, 3> lbs, ubs, corner;
  for (int d = 0; d < 3; ++d) {
    int64_t need = initial[d] - final_patch[d];
    if (need + c.shape[d] < initial[d]) need = initial[d] - c.shape[d];
    lbs[d] = -(need / 2);
    ubs[d] = c.shape[d] + need / 2 + need % 2 - initial[d];
  }
  std::vector<int> eligible;
  if (force_fg) {
    for (const auto& [label, locs] : c.class_locations) {
      if (locs.second > 0) eligible.push_back(label);
    }
  }
  if (!eligible.empty()) {
    const int label = eligible[std::uniform_int_distribution<size_t>(0, eligible.size() - 1)(rng)];
    const auto& [ptr, count] = c.class_locations.at(label);
    const int32_t* voxel = ptr + 3 * std::uniform_int_distribution<int64_t>(0, count - 1)(rng);
    for (int d = 0; d < 3; ++d) corner[d] = std::max(lbs[d], static_cast<int64_t>(voxel[d]) - initial[d] / 2);
  } else {
    for (int d = 0; d < 3; ++d) corner[d] = std::uniform_int_distribution<int64_t>(lbs[d], ubs[d])(rng);
  }
  return corner;
}

// Integer crop (no spatial transform): data 0 and seg -1 outside the case.
void CropPatch(const CaseView& c, const std::array<int64_t, 3>& lb, const Shape3& patch, float* data, int8_t* seg) {
  const int64_t n = NumVoxels(patch), cn = NumVoxels(c.shape);
  for (int64_t z = 0; z < patch[0]; ++z) {
    for (int64_t y = 0; y < patch[1]; ++y) {
      for (int64_t x = 0; x < patch[2]; ++x) {
        const int64_t sz = lb[0] + z, sy = lb[1] + y, sx = lb[2] + x;
        const int64_t o = (z * patch[1] + y) * patch[2] + x;
        const bool inside = sz >= 0 && sy >= 0 && sx >= 0 && sz < c.shape[0] && sy < c.shape[1] && sx < c.shape[2];
        const int64_t s = inside ? (sz * c.shape[1] + sy) * c.shape[2] + sx : 0;
        seg[o] = inside ? c.seg[s] : -1;
        for (int ch = 0; ch < c.num_channels; ++ch) data[ch * n + o] = inside ? c.data[ch * cn + s] : 0.0f;
      }
    }
  }
}

// Spatially transformed patch: trilinear data (0 outside), seg by linear one-hot + argmax
// (-1 outside), as batchgeneratorsv2's SpatialTransform.
void TransformPatch(const CaseView& c, const std::array<double, 3>& centre, const std::array<double, 9>& m,
                    const Shape3& patch, float* data, int8_t* seg) {
  const int64_t n = NumVoxels(patch), cn = NumVoxels(c.shape);
  for (int64_t z = 0; z < patch[0]; ++z) {
    for (int64_t y = 0; y < patch[1]; ++y) {
      for (int64_t x = 0; x < patch[2]; ++x) {
        const double p[3] = {z - (patch[0] - 1) / 2.0, y - (patch[1] - 1) / 2.0, x - (patch[2] - 1) / 2.0};
        double src[3];
        for (int r = 0; r < 3; ++r) src[r] = centre[r] + m[r * 3] * p[0] + m[r * 3 + 1] * p[1] + m[r * 3 + 2] * p[2];
        int64_t i0[3];
        double t[3];
        for (int d = 0; d < 3; ++d) {
          i0[d] = static_cast<int64_t>(std::floor(src[d]));
          t[d] = src[d] - i0[d];
        }
        const int64_t o = (z * patch[1] + y) * patch[2] + x;
        // Linear one-hot interpolation over the (at most 8) labels at the corners.
        int8_t labels[8];
        double weights[8];
        int n_labels = 0;
        auto add = [&](int8_t label, double w) {
          for (int l = 0; l < n_labels; ++l) {
            if (labels[l] == label) {
              weights[l] += w;
              return;
            }
          }
          labels[n_labels] = label;
          weights[n_labels++] = w;
        };
        double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int corner = 0; corner < 8; ++corner) {
          const int64_t q[3] = {i0[0] + ((corner >> 2) & 1), i0[1] + ((corner >> 1) & 1), i0[2] + (corner & 1)};
          const double w = ((corner >> 2) & 1 ? t[0] : 1 - t[0]) * ((corner >> 1) & 1 ? t[1] : 1 - t[1]) *
                           (corner & 1 ? t[2] : 1 - t[2]);
          const bool inside = q[0] >= 0 && q[1] >= 0 && q[2] >= 0 && q[0] < c.shape[0] && q[1] < c.shape[1] &&
                              q[2] < c.shape[2];
          if (!inside) {
            add(-1, w);
            continue;
          }
          const int64_t s = (q[0] * c.shape[1] + q[1]) * c.shape[2] + q[2];
          add(c.seg[s], w);
          for (int ch = 0; ch < c.num_channels && ch < 8; ++ch) acc[ch] += w * c.data[ch * cn + s];
        }
        int best = 0;
        for (int l = 1; l < n_labels; ++l) {
          if (weights[l] > weights[best] || (weights[l] == weights[best] && labels[l] < labels[best])) best = l;
        }
        seg[o] = labels[best];
        for (int ch = 0; ch < c.num_channels && ch < 8; ++ch) data[ch * n + o] = static_cast<float>(acc[ch]);
      }
    }
  }
}

}  // namespace

StatusOr<std::shared_ptr<PreprocessedDataset>> PreprocessedDataset::Open(const std::string& folder,
                                                                         const std::vector<std::string>& ids) {
  std::shared_ptr<PreprocessedDataset> ds(new PreprocessedDataset());
  for (const std::string& id : ids) {
    const std::string path = (std::filesystem::path(folder) / (id + kPreprocessedExtension)).string();
    Mapping m;
    CaseView view;
    Status s = MapCase(path, &m.address, &m.bytes, &view);
    if (m.address != nullptr) ds->mappings_.push_back(m);
    AMDRN_RETURN_IF_ERROR(s);
    if (!ds->cases_.empty() && view.num_channels != ds->cases_[0].num_channels) {
      return FailedPreconditionError("case " + id + " has " + std::to_string(view.num_channels) +
                                     " channels, expected " + std::to_string(ds->cases_[0].num_channels));
    }
    if (view.num_channels > 8) return UnimplementedError("the data loader supports at most 8 channels");
    ds->cases_.push_back(std::move(view));
  }
  return ds;
}

PreprocessedDataset::~PreprocessedDataset() {
  for (const Mapping& m : mappings_) munmap(m.address, m.bytes);
}

Batch GenerateBatch(const PreprocessedDataset& dataset, const DataLoaderOptions& options, int64_t index) {
  Rng rng(options.seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(index) + 1);
  Batch b;
  b.index = index;
  b.batch_size = options.batch_size;
  b.channels = dataset.num_channels();
  b.patch = options.patch_size;
  const int64_t n = NumVoxels(options.patch_size);
  b.data.assign(static_cast<size_t>(b.batch_size * b.channels * n), 0.0f);
  b.seg.assign(static_cast<size_t>(b.batch_size * n), 0);
  AugmentationParams params = options.augmentation;
  params.dummy_2d = params.dummy_2d || UseDummy2dAugmentation(options.patch_size);
  const double max_rotation = params.dummy_2d ? 3.14159265358979323846 : params.max_rotation_rad;
  const Shape3 initial = options.augment ? InitialPatchSize(options.patch_size, max_rotation, params.dummy_2d)
                                         : options.patch_size;
  const int first_forced = static_cast<int>(std::nearbyint(b.batch_size * (1.0 - options.oversample_foreground)));
  std::vector<int8_t> seg(static_cast<size_t>(n));
  for (int j = 0; j < b.batch_size; ++j) {
    const CaseView& c = dataset.at(std::uniform_int_distribution<int>(0, dataset.size() - 1)(rng));
    const bool force_fg = j >= first_forced;
    const std::array<int64_t, 3> corner = ChooseCorner(c, initial, options.patch_size, force_fg, rng);
    std::array<int64_t, 3> lb;
    std::array<double, 3> centre;
    for (int d = 0; d < 3; ++d) {
      lb[d] = corner[d] + (initial[d] - options.patch_size[d]) / 2;
      centre[d] = lb[d] + (options.patch_size[d] - 1) / 2.0;
    }
    float* data = b.data.data() + j * b.channels * n;
    const SpatialSample spatial = options.augment ? DrawSpatialTransform(params, rng) : SpatialSample{};
    if (spatial.identity) {
      CropPatch(c, lb, options.patch_size, data, seg.data());
    } else {
      TransformPatch(c, centre, spatial.matrix, options.patch_size, data, seg.data());
    }
    if (options.augment) {
      AugmentIntensities(data, b.channels, options.patch_size, params, rng);
      MirrorSample(data, b.channels, seg.data(), options.patch_size, params.mirror_axes, rng);
    }
    for (int ch = 0; ch < b.channels && ch < static_cast<int>(options.zero_outside_mask.size()); ++ch) {
      if (!options.zero_outside_mask[ch]) continue;
      for (int64_t i = 0; i < n; ++i) {
        if (seg[i] < 0) data[ch * n + i] = 0.0f;
      }
    }
    uint8_t* out_seg = b.seg.data() + j * n;
    for (int64_t i = 0; i < n; ++i) out_seg[i] = seg[i] < 0 ? 0 : static_cast<uint8_t>(seg[i]);
    b.case_ids.push_back(c.case_id);
    b.forced_foreground.push_back(force_fg);
  }
  return b;
}

StatusOr<std::unique_ptr<DataLoader>> DataLoader::Create(std::shared_ptr<PreprocessedDataset> dataset,
                                                         const DataLoaderOptions& options) {
  if (!dataset || dataset->size() == 0) {
    return InvalidArgumentError("expected at least one preprocessed case for the data loader, found none");
  }
  if (options.batch_size < 1 || NumVoxels(options.patch_size) <= 0) {
    return InvalidArgumentError("expected a positive batch size and patch size for the data loader");
  }
  std::unique_ptr<DataLoader> loader(new DataLoader(std::move(dataset), options));
  for (int t = 0; t < options.num_threads; ++t) loader->workers_.emplace_back(&DataLoader::WorkerLoop, loader.get());
  return loader;
}

DataLoader::DataLoader(std::shared_ptr<PreprocessedDataset> dataset, const DataLoaderOptions& options)
    : dataset_(std::move(dataset)), options_(options) {
  options_.queue_depth = std::max(1, options_.queue_depth);
}

DataLoader::~DataLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  space_cv_.notify_all();
  ready_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void DataLoader::WorkerLoop() {
  while (true) {
    int64_t index;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      space_cv_.wait(lock, [&] { return stop_ || next_to_claim_ < next_to_return_ + options_.queue_depth; });
      if (stop_) return;
      index = next_to_claim_++;
    }
    Batch b = GenerateBatch(*dataset_, options_, index);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ready_.emplace(index, std::move(b));
    }
    ready_cv_.notify_all();
  }
}

Batch DataLoader::Next() {
  const double start = Now();
  if (first_call_time_ < 0) first_call_time_ = start;
  Batch b;
  if (workers_.empty()) {
    b = GenerateBatch(*dataset_, options_, next_to_return_++);
  } else {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_cv_.wait(lock, [&] { return ready_.count(next_to_return_) > 0; });
    auto it = ready_.find(next_to_return_);
    b = std::move(it->second);
    ready_.erase(it);
    ++next_to_return_;
  }
  space_cv_.notify_all();
  wait_seconds_ += Now() - start;
  return b;
}

double DataLoader::WaitShare() const {
  if (first_call_time_ < 0) return 0.0;
  const double total = Now() - first_call_time_;
  return total > 0 ? wait_seconds_ / total : 0.0;
}

void DataLoader::ResetStatistics() {
  wait_seconds_ = 0;
  first_call_time_ = -1;
}

}  // namespace amdrn::seg
