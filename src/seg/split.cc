#include "seg/split.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "core/file_util.h"

namespace amdrn::seg {
namespace {

// numpy's legacy random_interval: rejection sampling of masked 32-bit draws in [0, max].
uint32_t RandomInterval(std::mt19937& rng, uint32_t max) {
  if (max == 0) return 0;
  uint32_t mask = max;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  uint32_t value;
  while ((value = (rng() & mask)) > max) {
  }
  return value;
}

}  // namespace

std::vector<Split> KFoldSplit(std::vector<std::string> case_ids, int n_splits, uint32_t seed) {
  std::sort(case_ids.begin(), case_ids.end());
  const size_t n = case_ids.size();
  // RandomState(seed).shuffle(arange(n)): std::mt19937 seeds exactly like numpy's MT19937.
  std::vector<size_t> indices(n);
  std::iota(indices.begin(), indices.end(), 0);
  std::mt19937 rng(seed);
  for (size_t i = n; i-- > 1;) std::swap(indices[i], indices[RandomInterval(rng, static_cast<uint32_t>(i))]);
  std::vector<Split> splits;
  size_t start = 0;
  for (int f = 0; f < n_splits; ++f) {
    size_t size = n / n_splits + (static_cast<size_t>(f) < n % n_splits ? 1 : 0);
    std::vector<bool> is_val(n, false);
    for (size_t i = start; i < start + size; ++i) is_val[indices[i]] = true;
    Split s;
    for (size_t i = 0; i < n; ++i) (is_val[i] ? s.val : s.train).push_back(case_ids[i]);
    splits.push_back(std::move(s));
    start += size;
  }
  return splits;
}

Json SplitsToJson(const std::vector<Split>& splits) {
  Json j = Json::array();
  for (const Split& s : splits) j.push_back({{"train", s.train}, {"val", s.val}});
  return j;
}

StatusOr<std::vector<Split>> SplitsFromJson(const Json& json) {
  if (!json.is_array()) return InvalidArgumentError("expected splits_final.json to hold a list of folds");
  std::vector<Split> splits;
  try {
    for (const Json& f : json) {
      splits.push_back({f.at("train").get<std::vector<std::string>>(), f.at("val").get<std::vector<std::string>>()});
    }
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("expected {\"train\": [...], \"val\": [...]} folds: ") + e.what());
  }
  return splits;
}

StatusOr<std::vector<Split>> LoadOrCreateSplits(const std::string& path, const std::vector<std::string>& case_ids,
                                                int n_splits) {
  if (PathExists(path)) {
    AMDRN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
    try {
      StatusOr<std::vector<Split>> s = SplitsFromJson(Json::parse(text));
      if (!s.ok()) return s.status().WithContext(path);
      return s;
    } catch (const std::exception& e) {
      return InvalidArgumentError("cannot parse " + path + " as JSON: " + e.what());
    }
  }
  if (static_cast<int>(case_ids.size()) < n_splits) {
    return InvalidArgumentError("expected at least " + std::to_string(n_splits) + " cases for " +
                                std::to_string(n_splits) + "-fold cross-validation, found " +
                                std::to_string(case_ids.size()));
  }
  std::vector<Split> splits = KFoldSplit(case_ids, n_splits);
  AMDRN_RETURN_IF_ERROR(WriteFileAtomic(path, SplitsToJson(splits).dump(4) + "\n"));
  return splits;
}

StatusOr<Split> GetFold(const std::vector<Split>& splits, int fold) {
  if (fold < 0 || fold >= static_cast<int>(splits.size())) {
    return InvalidArgumentError("expected a fold in 0-" + std::to_string(splits.size() - 1) + ", found " +
                                std::to_string(fold));
  }
  return splits[fold];
}

}  // namespace amdrn::seg
