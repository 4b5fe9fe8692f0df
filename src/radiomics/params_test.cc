#include "radiomics/params.h"

#include <gtest/gtest.h>

namespace amdrn::radiomics {
namespace {

TEST(ParamsTest, DefaultsAreThoseOfPyRadiomics) {
  const Params p = DefaultParams();
  EXPECT_EQ(p.settings.bin_width, 25.0);
  EXPECT_FALSE(p.settings.bin_count);
  EXPECT_EQ(p.settings.interpolator, "sitkBSpline");
  EXPECT_FALSE(p.settings.Resamples());
  EXPECT_EQ(p.settings.pad_distance, 5);
  EXPECT_EQ(p.settings.minimum_roi_dimensions, 2);
  EXPECT_EQ(p.settings.distances, std::vector<int>{1});
  EXPECT_TRUE(p.settings.symmetrical_glcm);
  ASSERT_EQ(p.image_types.size(), 1u);
  EXPECT_EQ(p.image_types[0].name, "Original");
  ASSERT_EQ(p.feature_classes.size(), 7u);  // all but shape2D
  for (const auto& c : p.feature_classes) EXPECT_NE(c.name, "shape2D");
}

TEST(ParamsTest, ReadsPyRadiomicsExampleCt) {
  const char* yaml = R"(
imageType:
  Original: {}
  LoG:
    sigma: [1.0, 2.0, 3.0]
  Wavelet: {}
featureClass:
  shape:
  firstorder:
  glcm:
    - 'Autocorrelation'
    - 'Contrast'
setting:
  interpolator: 'sitkBSpline'
  resampledPixelSpacing: [1, 1, 1]
  padDistance: 10  # comment
  binWidth: 25
  voxelArrayShift: 1000
  label: 1
)";
  StatusOr<Params> p = ParseParams(yaml);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_TRUE(p->settings.Resamples());
  EXPECT_EQ(p->settings.pad_distance, 10);
  EXPECT_EQ(p->settings.voxel_array_shift, 1000);
  ASSERT_EQ(p->image_types.size(), 3u);
  EXPECT_EQ(p->image_types[1].name, "LoG");
  EXPECT_EQ(p->image_types[1].settings.sigma_mm, (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(p->image_types[1].settings.pad_distance, 10);  // inherits global settings
  EXPECT_TRUE(p->settings.sigma_mm.empty());
  ASSERT_EQ(p->feature_classes.size(), 3u);
  EXPECT_TRUE(p->feature_classes[0].features.empty());
  EXPECT_EQ(p->feature_classes[2].features, (std::vector<std::string>{"Autocorrelation",
                                                                       "Contrast"}));
  EXPECT_EQ(ImageTypesToString(*p), "{'Original': {}, 'LoG': {sigma: [1.0, 2.0, 3.0]}, "
                                    "'Wavelet': {}}");
}

TEST(ParamsTest, JsonAndEmptyDocuments) {
  StatusOr<Params> p = ParseParams(R"({"setting": {"binCount": 64, "force2D": true}})");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->settings.bin_count, 64);
  EXPECT_TRUE(p->settings.force2d);
  EXPECT_EQ(p->feature_classes.size(), 8u);  // a file without featureClass: all, with shape2D
  EXPECT_TRUE(ParseParams("").ok());
}

TEST(ParamsTest, RejectsUnknownKeysAndOutOfRangeValues) {
  EXPECT_EQ(ParseParams("setting: {binWdth: 5}").status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseParams("setting: {binWidth: -5}").ok());
  EXPECT_FALSE(ParseParams("setting: {minimumROIDimensions: 4}").ok());
  EXPECT_FALSE(ParseParams("setting: {resegmentMode: median}").ok());
  EXPECT_FALSE(ParseParams("setting: {interpolator: sitkGaussian}").ok());
  EXPECT_FALSE(ParseParams("setting: {resampledPixelSpacing: [1, 1]}").ok());
  EXPECT_FALSE(ParseParams("imageType: {LBP2D: {}}").ok());
  EXPECT_FALSE(ParseParams("featureClass: {texture: }").ok());
  EXPECT_FALSE(ParseParams("settings: {}").ok());
  const Status s = ParseParams("setting: {binWidth: abc}").status();
  EXPECT_NE(s.message().find("binWidth"), std::string::npos);
}

TEST(ParamsTest, AcceptsPythonLiteralSettingsFromDiagnostics) {
  Settings s;
  ASSERT_TRUE(ApplySettingsText("{'distances': [1], 'voxelArrayShift': 2000, 'additionalInfo': "
                                "True, 'interpolator': None, 'resampledPixelSpacing': None, "
                                "'weightingNorm': None, 'binWidth': 25, 'resegmentRange': [-3, "
                                "3], 'resegmentMode': 'sigma'}",
                                &s)
                  .ok());
  EXPECT_EQ(s.voxel_array_shift, 2000);
  EXPECT_TRUE(s.interpolator.empty());
  EXPECT_FALSE(s.Resamples());
  EXPECT_EQ(s.resegment_range, (std::vector<double>{-3, 3}));
  EXPECT_EQ(s.resegment_mode, "sigma");
}

TEST(ParamsTest, SettingsRenderAsPythonDict) {
  Settings s;
  s.bin_count = 64;
  const std::string text = SettingsToString(s);
  EXPECT_NE(text.find("'binCount': 64"), std::string::npos);
  EXPECT_NE(text.find("'interpolator': 'sitkBSpline'"), std::string::npos);
  EXPECT_NE(text.find("'resampledPixelSpacing': None"), std::string::npos);
  // The rendering reads back to the same settings.
  Settings back;
  ASSERT_TRUE(ApplySettingsText(text, &back).ok());
  EXPECT_EQ(back.bin_count, 64);
}

}  // namespace
}  // namespace amdrn::radiomics
