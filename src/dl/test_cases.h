// Test fixtures for dl/ tests (header-only, tests only): tiny ROI cases with a bright blob
// that decides the label, and small network/training settings that train in seconds.
#ifndef AMDRN_DL_TEST_CASES_H_
#define AMDRN_DL_TEST_CASES_H_

#include <random>
#include <string>
#include <vector>

#include "dl/config.h"
#include "dl/trainer.h"

namespace amdrn::dl::testing {

struct BlobCase {
  TrainCase train_case;
  Index3 blob_center = {0, 0, 0};  // ROI voxel index of the blob (valid when label is 1)
};

// An n^3 ROI of Gaussian noise; label 1 cases carry a bright ball of `radius` voxels at a random
// place (kept away from the border). The RAB channel marks the lower half so masks are not
// empty; it does not depend on the label.
inline BlobCase MakeBlobCase(int n, int label, std::mt19937_64& rng, double radius = 2.5) {
  BlobCase out;
  TrainCase& c = out.train_case;
  c.label = label;
  c.case_id = "case" + std::to_string(rng() % 1000000);
  c.roi.grid.size = {n, n, n};
  c.roi.grid.spacing_mm = {1, 1, 1};
  c.roi.image.resize(n * n * n);
  c.roi.labels.resize(n * n * n);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  std::uniform_int_distribution<int> pos(3, n - 4);
  out.blob_center = {pos(rng), pos(rng), pos(rng)};
  for (int k = 0; k < n; ++k) {
    for (int j = 0; j < n; ++j) {
      for (int i = 0; i < n; ++i) {
        int o = i + n * (j + n * k);
        double di = i - out.blob_center[0], dj = j - out.blob_center[1],
               dk = k - out.blob_center[2];
        bool in_blob = label == 1 && di * di + dj * dj + dk * dk <= radius * radius;
        c.roi.image[o] = noise(rng) * 0.5f + (in_blob ? 3.0f : 0.0f);
        c.roi.labels[o] = k < n / 2 ? kLabelBone : 0;
      }
    }
  }
  return out;
}

// Alternating labels, `count` cases.
inline std::vector<BlobCase> MakeBlobCases(int n, int count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<BlobCase> cases;
  for (int i = 0; i < count; ++i) {
    cases.push_back(MakeBlobCase(n, i % 2, rng));
    cases.back().train_case.case_id = "c" + std::to_string(1000 + i);
  }
  return cases;
}

// A network and recipe sized for 16^3 test ROIs: trains a few epochs in about a second.
inline DlConfig TinyConfig() {
  DlConfig config;
  config.roi.box_mm = 16;
  config.roi.voxel_mm = 1;
  config.net.base_width = 4;
  config.net.stem_kernel = 3;
  config.net.stem_stride = 1;
  config.net.dropout = 0.0;
  config.net.cam_stage = 3;
  config.train.epochs = 6;
  config.train.batch_size = 8;
  config.train.lr = 3e-3;
  config.train.patience = 100;
  config.train.folds = 3;
  config.train.augment.rotate_deg = 5;
  config.train.augment.shift_mm = 0.5;
  return config;
}

inline std::vector<const TrainCase*> Pointers(const std::vector<BlobCase>& cases, size_t from,
                                              size_t to) {
  std::vector<const TrainCase*> out;
  for (size_t i = from; i < to && i < cases.size(); ++i) out.push_back(&cases[i].train_case);
  return out;
}

}  // namespace amdrn::dl::testing

#endif  // AMDRN_DL_TEST_CASES_H_
