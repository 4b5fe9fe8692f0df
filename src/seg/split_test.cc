#include "seg/split.h"

#include <gtest/gtest.h>

namespace amdrn::seg {
namespace {

std::vector<std::string> Ids(int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back("case_" + std::string(i < 10 ? "0" : "") + std::to_string(i));
  return ids;
}

// numpy.random.RandomState(12345).shuffle(np.arange(n)) printed by /usr/bin/python3 (numpy):
//   7  -> [6, 3, 4, 0, 1, 5, 2]
//   12 -> [8, 0, 3, 7, 11, 10, 6, 9, 4, 1, 5, 2]
// sklearn's KFold takes consecutive chunks of that order (first n % k chunks one longer) as
// validation folds and returns both index lists sorted.
TEST(Split, MatchesSklearnKFoldWithSeed12345) {
  std::vector<Split> s = KFoldSplit(Ids(7));
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s[0].val, (std::vector<std::string>{"case_03", "case_06"}));
  EXPECT_EQ(s[1].val, (std::vector<std::string>{"case_00", "case_04"}));
  EXPECT_EQ(s[2].val, (std::vector<std::string>{"case_01"}));
  EXPECT_EQ(s[3].val, (std::vector<std::string>{"case_05"}));
  EXPECT_EQ(s[4].val, (std::vector<std::string>{"case_02"}));
  EXPECT_EQ(s[0].train, (std::vector<std::string>{"case_00", "case_01", "case_02", "case_04", "case_05"}));

  std::vector<Split> t = KFoldSplit(Ids(12));
  EXPECT_EQ(t[0].val, (std::vector<std::string>{"case_00", "case_03", "case_08"}));
  EXPECT_EQ(t[1].val, (std::vector<std::string>{"case_07", "case_10", "case_11"}));
  EXPECT_EQ(t[2].val, (std::vector<std::string>{"case_06", "case_09"}));
  EXPECT_EQ(t[3].val, (std::vector<std::string>{"case_01", "case_04"}));
  EXPECT_EQ(t[4].val, (std::vector<std::string>{"case_02", "case_05"}));
}

TEST(Split, EveryCaseValidatedOnceAndIdsSorted) {
  std::vector<std::string> ids = Ids(23);
  std::reverse(ids.begin(), ids.end());
  std::vector<Split> s = KFoldSplit(ids);
  std::vector<std::string> all;
  for (const Split& f : s) {
    EXPECT_EQ(f.train.size() + f.val.size(), 23u);
    all.insert(all.end(), f.val.begin(), f.val.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, Ids(23));
}

TEST(Split, JsonRoundTripAndErrors) {
  std::vector<Split> s = KFoldSplit(Ids(6));
  StatusOr<std::vector<Split>> back = SplitsFromJson(SplitsToJson(s));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)[2].val, s[2].val);
  EXPECT_FALSE(SplitsFromJson(Json::object()).ok());
  EXPECT_FALSE(GetFold(s, 5).ok());
  EXPECT_EQ(LoadOrCreateSplits("/nonexistent_dir_amdrn/splits.json", Ids(3)).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace amdrn::seg
