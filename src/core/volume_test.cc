#include "core/volume.h"

#include <gtest/gtest.h>

namespace amdrn {
namespace {

Geometry Oblique() {
  Geometry g;
  g.size = {4, 5, 6};
  g.spacing_mm = {0.3, 0.4, 0.5};
  g.origin_lps = {-10, 20, 5};
  // 90 degree rotation about z: i -> +y, j -> -x.
  g.direction = {0, -1, 0, 1, 0, 0, 0, 0, 1};
  return g;
}

TEST(Geometry, IndexToPointFollowsDirectionAndSpacing) {
  Geometry g = Oblique();
  Vec3 p = g.IndexToPoint({1, 2, 3});
  EXPECT_NEAR(p[0], -10 - 0.8, 1e-12);
  EXPECT_NEAR(p[1], 20 + 0.3, 1e-12);
  EXPECT_NEAR(p[2], 5 + 1.5, 1e-12);
  Vec3 back = g.PointToIndex(p);
  EXPECT_NEAR(back[0], 1, 1e-12);
  EXPECT_NEAR(back[1], 2, 1e-12);
  EXPECT_NEAR(back[2], 3, 1e-12);
}

TEST(Geometry, MismatchMessagesNameWhatDiffers) {
  Geometry a = Oblique(), b = Oblique();
  EXPECT_TRUE(CheckSameGeometry(a, b, "image", "mask").ok());
  b.spacing_mm[2] = 0.6;
  Status s = CheckSameGeometry(a, b, "image", "mask");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("spacings differ"), std::string::npos) << s.message();
  b = Oblique();
  b.size[0] = 5;
  EXPECT_NE(CheckSameGeometry(a, b, "image", "mask").message().find("sizes"), std::string::npos);
  b = Oblique();
  b.origin_lps[1] += 1.0;
  EXPECT_NE(CheckSameGeometry(a, b, "image", "mask").message().find("origins"), std::string::npos);
  b = Oblique();
  b.direction = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  EXPECT_NE(CheckSameGeometry(a, b, "image", "mask").message().find("directions"),
            std::string::npos);
}

TEST(Volume, IndexesWithIFastest) {
  Geometry g = Oblique();
  ImageF v(g, 0.0f);
  v.at(1, 2, 3) = 7.0f;
  EXPECT_EQ(v.data()[1 + 4 * (2 + 5 * 3)], 7.0f);
  EXPECT_TRUE(v.Contains(3, 4, 5));
  EXPECT_FALSE(v.Contains(4, 0, 0));
}

}  // namespace
}  // namespace amdrn
