#include "io/segmentation.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "core/file_util.h"
#include "io/volume_io.h"

namespace amdrn::io {
namespace {

namespace fs = std::filesystem;

LabelMap Labels() {
  Geometry g;
  g.size = {6, 5, 4};
  g.spacing_mm = {0.5, 0.5, 0.6};
  g.origin_lps = {1, 2, 3};
  LabelMap m(g, 0);
  m.at(1, 1, 1) = 1;
  m.at(2, 1, 1) = 1;
  m.at(3, 2, 2) = 2;
  m.at(4, 4, 3) = 3;
  m.at(5, 4, 3) = 7;
  return m;
}

TEST(SegNrrd, RoundTripKeepsLabelsGeometryNamesAndColours) {
  std::string path = (fs::temp_directory_path() / "amdrn_seg_test.seg.nrrd").string();
  LabelMap in = Labels();
  ASSERT_TRUE(WriteLabelMap(in, path).ok());
  std::vector<Segment> segments;
  auto out = ReadSegNrrd(path, &segments);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->voxels(), in.voxels());
  EXPECT_TRUE(CheckSameGeometry(in.geometry(), out->geometry(), "written", "read").ok());
  ASSERT_EQ(segments.size(), 4u);
  EXPECT_EQ(segments[0].name, "maxillary_sinus");
  EXPECT_EQ(segments[1].name, "schneiderian_membrane");
  EXPECT_EQ(segments[2].name, "residual_alveolar_bone");
  EXPECT_EQ(segments[3].name, "label_7");
  EXPECT_NEAR(segments[0].color_rgb[0], 0.44, 1e-6);
  auto text = ReadFileToString(path);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("Segment0_Extent:=1 2 1 1 1 1"), std::string::npos);
  EXPECT_NE(text->find("Segmentation_MasterRepresentation:=Binary labelmap"), std::string::npos);
  fs::remove(path);
}

TEST(SegNrrd, RefusesRepeatedLabels) {
  std::vector<Segment> segments = {{1, "a", {1, 0, 0}}, {1, "b", {0, 1, 0}}};
  Status s = WriteSegNrrd(Labels(), "/tmp/amdrn_bad.seg.nrrd", segments);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
}

TEST(LabelMapIo, RefusesNonIntegerLabels) {
  std::string path = (fs::temp_directory_path() / "amdrn_float_labels.nii.gz").string();
  Geometry g;
  g.size = {2, 2, 2};
  ImageF f(g, 0.5f);
  ASSERT_TRUE(WriteImage(f, path).ok());
  auto m = ReadLabelMap(path);
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find("integer labels"), std::string::npos);
  fs::remove(path);
}

}  // namespace
}  // namespace amdrn::io
