// The cross-validation split: nnU-Net v2's splits_final.json, i.e. sklearn
// KFold(n_splits, shuffle=True, random_state=12345) over the sorted case identifiers,
// reproduced bit for bit (numpy's MT19937 RandomState.shuffle). Pure functions.
#ifndef AMDRN_SEG_SPLIT_H_
#define AMDRN_SEG_SPLIT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "seg/plans.h"

namespace amdrn::seg {

struct Split {
  std::vector<std::string> train, val;
};
std::vector<Split> KFoldSplit(std::vector<std::string> case_ids, int n_splits = 5,
                              uint32_t seed = 12345);
Json SplitsToJson(const std::vector<Split>& splits);
StatusOr<std::vector<Split>> SplitsFromJson(const Json& json);
// Reads `path` if it exists, else computes KFoldSplit and writes it there (atomic).
// InvalidArgument if fewer cases than folds.
StatusOr<std::vector<Split>> LoadOrCreateSplits(const std::string& path,
                                                const std::vector<std::string>& case_ids,
                                                int n_splits = 5);

// The training/validation cases of `fold` (0-based). fold == "all" semantics are the caller's:
// train on everything. InvalidArgument if fold is out of range.
StatusOr<Split> GetFold(const std::vector<Split>& splits, int fold);

}  // namespace amdrn::seg

#endif  // AMDRN_SEG_SPLIT_H_
