#include "stats/distributions.h"

#include <cmath>

#include <gtest/gtest.h>

namespace amdrn::stats {
namespace {

// Reference values from R 4.2.2 (printed with sprintf("%.17g")).
TEST(DistributionsTest, NormalMatchesR) {
  EXPECT_NEAR(NormalCdf(1.959963984540054), 0.97499999999999998, 1e-15);
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963984540054, 1e-14);
  EXPECT_NEAR(NormalQuantile(0.025), -1.959963984540054, 1e-14);
  EXPECT_NEAR(NormalQuantile(1e-10), -6.3613409024040557, 1e-12);
  EXPECT_NEAR(NormalQuantile(0.5), 0.0, 1e-16);
  EXPECT_NEAR(TwoSidedNormalP(-3.9207217722315981), 8.8284146301644218e-05, 1e-18);
  EXPECT_TRUE(std::isinf(NormalQuantile(0.0)));
  EXPECT_TRUE(std::isnan(NormalQuantile(1.5)));
}

TEST(DistributionsTest, ChiSquareMatchesR) {
  EXPECT_NEAR(ChiSquareUpperTail(3.84145882069412, 1), 0.05, 1e-14);
  EXPECT_NEAR(ChiSquareUpperTail(11.8519, 8), 0.15793507148776093, 1e-13);
  EXPECT_NEAR(ChiSquareUpperTail(0.5, 3), 0.91889141165467592, 1e-14);
  EXPECT_NEAR(ChiSquareUpperTail(80, 2), 4.2483542552915889e-18, 1e-30);
  EXPECT_EQ(ChiSquareUpperTail(0, 4), 1.0);
}

TEST(DistributionsTest, StudentTMatchesR) {
  EXPECT_NEAR(TwoSidedStudentP(-0.77276684528297201, 51.426696255022783), 0.44319767846566238,
              1e-13);
  EXPECT_NEAR(StudentTCdf(2.0, 3.0), 0.93033701572057836, 1e-13);
  EXPECT_NEAR(StudentTCdf(-1.5, 10.5), 0.081534378959222262, 1e-13);
}

}  // namespace
}  // namespace amdrn::stats
