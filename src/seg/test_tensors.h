// Test-only helpers shared by the segmentation tests that compare against PyTorch fixtures.

#ifndef AMDRN_SEG_TEST_TENSORS_H_
#define AMDRN_SEG_TEST_TENSORS_H_

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/file_util.h"

namespace amdrn::seg {

// Reads a raw little-endian float32 file written by the fixture generator into a tensor of
// `shape`; a missing file or a size that does not match `shape` fails the calling test.
inline at::Tensor ReadRawFloatTensor(const std::string& path, const std::vector<int64_t>& shape) {
  at::Tensor t = torch::zeros(shape);
  auto bytes = ReadFileToString(path);
  EXPECT_TRUE(bytes.ok()) << path;
  if (!bytes.ok()) return t;
  EXPECT_EQ(static_cast<size_t>(t.numel()) * sizeof(float), bytes->size()) << path;
  std::memcpy(t.data_ptr<float>(), bytes->data(),
              std::min(bytes->size(), static_cast<size_t>(t.numel()) * sizeof(float)));
  return t;
}

}  // namespace amdrn::seg

#endif  // AMDRN_SEG_TEST_TENSORS_H_
