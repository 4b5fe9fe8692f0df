// Training batches from preprocessed cases (.amdrnpp, memory-mapped), as nnU-Net v2's
// nnUNetDataLoader + augmentation pipeline: cases drawn uniformly with replacement, the last
// 33 % of each batch forced to contain foreground (a random present class, a random stored
// voxel of it at the patch centre), a spatial transform (rotation/scaling) applied while
// cutting the patch, intensity augmentations, mirroring, seg -1 -> 0. Batches are produced
// by background threads into a bounded queue and handed out in order; batch b is a pure
// function of (seed, b), independent of the thread count. Plain buffers, no torch types.
// Next() and the statistics may be called from one consumer thread.
#ifndef AMDRN_SEG_DATA_LOADER_H_
#define AMDRN_SEG_DATA_LOADER_H_

#include <array>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "seg/augment.h"
#include "seg/resample.h"

namespace amdrn::seg {

// A preprocessed case mapped into memory (read-only views into the file).
struct CaseView {
  std::string case_id;
  int num_channels = 0;
  Shape3 shape{};
  const float* data = nullptr;   // num_channels x NumVoxels(shape)
  const int8_t* seg = nullptr;   // NumVoxels(shape); -1 outside the nonzero mask
  std::map<int, std::pair<const int32_t*, int64_t>> class_locations;  // label -> (zyx triples, n)
};

// The preprocessed cases of one configuration folder, memory-mapped. Thread-safe to read.
class PreprocessedDataset {
 public:
  // Opens `folder`/<id>.amdrnpp for every id. NotFound / DataLoss name the file; all cases must
  // have a seg and the same channel count (FailedPrecondition otherwise).
  static StatusOr<std::shared_ptr<PreprocessedDataset>> Open(const std::string& folder,
                                                             const std::vector<std::string>& ids);
  ~PreprocessedDataset();
  int size() const { return static_cast<int>(cases_.size()); }
  const CaseView& at(int i) const { return cases_[i]; }
  int num_channels() const { return cases_.empty() ? 0 : cases_[0].num_channels; }

 private:
  struct Mapping {
    void* address = nullptr;
    size_t bytes = 0;
  };
  std::vector<CaseView> cases_;
  std::vector<Mapping> mappings_;
};

struct DataLoaderOptions {
  Shape3 patch_size{};  // final patch, array order
  int batch_size = 2;
  double oversample_foreground = 0.33;  // sample j forced iff j >= round(bs * (1 - p))
  bool augment = true;                  // false: validation batches (crop only, no transforms)
  AugmentationParams augmentation;      // mirror_axes: set from the plans (sided labels)
  std::vector<bool> zero_outside_mask;  // per channel (use_mask_for_norm); empty = none
  uint64_t seed = 0;
  int num_threads = 2;   // background producers; 0 = produce synchronously in Next()
  int queue_depth = 6;   // batches produced ahead
};

struct Batch {
  int64_t index = 0;  // 0, 1, 2, ... in the order Next() returns them
  int batch_size = 0, channels = 0;
  Shape3 patch{};
  std::vector<float> data;    // (batch, channel, d0, d1, d2), C order
  std::vector<uint8_t> seg;   // (batch, d0, d1, d2); labels 0..N (outside-mask -1 mapped to 0)
  std::vector<std::string> case_ids;
  std::vector<bool> forced_foreground;  // per sample
};

// Builds batch `index` deterministically (what the workers run). Thread-safe.
Batch GenerateBatch(const PreprocessedDataset& dataset, const DataLoaderOptions& options,
                    int64_t index);

class DataLoader {
 public:
  // InvalidArgument on an empty dataset, a non-positive patch or batch size.
  static StatusOr<std::unique_ptr<DataLoader>> Create(std::shared_ptr<PreprocessedDataset> dataset,
                                                      const DataLoaderOptions& options);
  ~DataLoader();  // stops and joins the workers

  // The next batch, blocking until it is ready.
  Batch Next();

  // Seconds the consumer spent blocked in Next(), and that time as a share of the wall time
  // since the first Next() call (the "data wait share"; goal: near 0).
  double wait_seconds() const { return wait_seconds_; }
  double WaitShare() const;
  void ResetStatistics();

 private:
  DataLoader(std::shared_ptr<PreprocessedDataset> dataset, const DataLoaderOptions& options);
  void WorkerLoop();

  std::shared_ptr<PreprocessedDataset> dataset_;
  DataLoaderOptions options_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable ready_cv_, space_cv_;
  std::map<int64_t, Batch> ready_;
  int64_t next_to_claim_ = 0;
  int64_t next_to_return_ = 0;
  bool stop_ = false;
  double wait_seconds_ = 0;
  double first_call_time_ = -1;
};

}  // namespace amdrn::seg

#endif  // AMDRN_SEG_DATA_LOADER_H_
