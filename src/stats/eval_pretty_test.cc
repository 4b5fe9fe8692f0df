#include "stats/eval_pretty.h"

#include <gtest/gtest.h>

#include <cmath>

#include "stats/eval_test_util.h"

namespace amdrn::stats {
namespace {

using testing::Cell;
using testing::LoadTable;
using testing::ParseList;
using testing::ParseNumber;

// Every case of pretty_cases.csv (R 4.2 pretty(c(lo, hi), n)) must match bit for bit.
TEST(PrettyTest, MatchesRBitForBit) {
  const CsvTable t = LoadTable("pretty_cases.csv");
  ASSERT_GT(t.num_rows(), 150u);
  for (size_t i = 0; i < t.num_rows(); ++i) {
    const double lo = ParseNumber(Cell(t, i, "lo")), hi = ParseNumber(Cell(t, i, "hi"));
    PrettyOptions options;
    options.n = static_cast<int>(ParseNumber(Cell(t, i, "n")));
    const std::vector<double> expected = ParseList(Cell(t, i, "ticks"));
    const std::vector<double> got = Pretty(lo, hi, options);
    ASSERT_EQ(got.size(), expected.size()) << "case " << i << ": " << lo << " " << hi;
    for (size_t k = 0; k < got.size(); ++k) {
      EXPECT_EQ(got[k], expected[k]) << "case " << i << " tick " << k;
    }
  }
}

TEST(PrettyTest, DefaultsAndDegenerateInputs) {
  EXPECT_EQ(Pretty(0, 1), (std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1}));
  EXPECT_EQ(Pretty(1, 0), Pretty(0, 1));
  EXPECT_TRUE(Pretty(NAN, INFINITY).empty());
  EXPECT_EQ(PrettyOfRange({3, NAN, 7, -INFINITY}), Pretty(3, 7));
  EXPECT_TRUE(PrettyOfRange({}).empty());
}

}  // namespace
}  // namespace amdrn::stats
