// The feature families receive float64 intensities: wavelet-LLL texture features of the
// radiomics_bench volume (where float32 intensities moved a few voxels into neighbouring
// bins) match PyRadiomics within 1e-6, and float32 would not.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "radiomics/extractor.h"
#include "radiomics/features.h"
#include "radiomics/filters.h"
#include "radiomics/sinus_volume.h"

namespace amdrn::radiomics {
namespace {

// PyRadiomics 3.0.1 (pywt 1.9.0, SimpleITK 2.5.7, numpy 1.26) on the 160x160x128 volume of
// bench/radiomics_bench (MakeSinusVolume, written as int16 NRRD), parameter file of the bench
// (binWidth 25, Wavelet coif1), bench/radiomics_peer.py: wavelet-LLL features of MS (label 1)
// and RAB (label 3).
struct Reference {
  const char* name;
  double ms, rab;
};
const Reference kLll[] = {
    {"firstorder_10Percentile", -2441.3006725188675, 2241.8671778431312},
    {"firstorder_90Percentile", -2174.572685655243, 2918.287797007492},
    {"firstorder_Energy", 1626607776754.1824, 669189015740.1903},
    {"firstorder_Entropy", 4.297982035748863, 5.415036128824355},
    {"firstorder_InterquartileRange", 158.23723439404785, 292.7872318096215},
    {"firstorder_Kurtosis", 13.367612423744854, 3.964703457989196},
    {"firstorder_Maximum", -1057.073314656282, 3466.7979716999475},
    {"firstorder_Mean", -2288.923235687526, 2593.2686040929157},
    {"firstorder_MeanAbsoluteDeviation", 110.94612319081848, 201.7363980290601},
    {"firstorder_Median", -2314.2375242206244, 2615.8481351206715},
    {"firstorder_Minimum", -2731.480461242526, 1301.0042090851796},
    {"firstorder_Range", 1674.407146586244, 2165.7937626147677},
    {"firstorder_RobustMeanAbsoluteDeviation", 64.3537362924679, 127.45363385527729},
    {"firstorder_RootMeanSquared", 2295.715842587876, 2607.2590741092263},
    {"firstorder_Skewness", 2.725551820163259, -0.48756809152492836},
    {"firstorder_TotalEnergy", 43918409972.36292, 18068103424.985138},
    {"firstorder_Uniformity", 0.06498644098227248, 0.030004696717657885},
    {"firstorder_Variance", 31141.651038711378, 72757.82655088046},
    {"glcm_Autocorrelation", 357.8661314579598, 2853.725736695652},
    {"glcm_ClusterProminence", 141423.6228874681, 339924.52353345766},
    {"glcm_ClusterShade", 2360.4453578251673, -1626.663512638137},
    {"glcm_ClusterTendency", 108.45395583586894, 302.4910669155848},
    {"glcm_Contrast", 35.38336065386336, 120.43727619154842},
    {"glcm_Correlation", 0.5070488186438132, 0.43058486394160905},
    {"glcm_DifferenceAverage", 2.64713096848136, 8.468530877384554},
    {"glcm_DifferenceEntropy", 2.7160958363040333, 4.485586648874837},
    {"glcm_DifferenceVariance", 28.315454575202047, 47.118820246661116},
    {"glcm_Id", 0.4921029579974127, 0.20564823186744438},
    {"glcm_Idm", 0.4354511591749669, 0.12176123782688103},
    {"glcm_Idmn", 0.9934849960413866, 0.9849848548166709},
    {"glcm_Idn", 0.9666510081854524, 0.915781546933638},
    {"glcm_Imc1", -0.22460562671760573, -0.04673336767091262},
    {"glcm_Imc2", 0.9166057922143606, 0.6024431932464389},
    {"glcm_InverseVariance", 0.41645849793115414, 0.12611449140606742},
    {"glcm_JointAverage", 18.428175214388393, 52.992477131427265},
    {"glcm_JointEnergy", 0.010258780504795596, 0.0011999461073177232},
    {"glcm_JointEntropy", 7.429943373339844, 10.452414708997507},
    {"glcm_MCC", 0.8388474419168025, 0.4424366344513819},
    {"glcm_MaximumProbability", 0.019744394482410627, 0.0041135487759223245},
    {"glcm_SumAverage", 36.85635042877668, 105.98495426285461},
    {"glcm_SumEntropy", 5.1088579986581015, 6.128345498052313},
    {"glcm_SumSquares", 35.95932912243301, 105.73208577678322},
    {"gldm_DependenceEntropy", 7.661389850105367, 7.244010169350174},
    {"gldm_DependenceNonUniformity", 28119.222436786375, 29656.855955791227},
    {"gldm_DependenceNonUniformityNormalized", 0.09110804454693029, 0.3012622250237828},
    {"gldm_DependenceVariance", 9.510500243814015, 1.3534810768299639},
    {"gldm_GrayLevelNonUniformity", 20057.155199004654, 2953.7223542796773},
    {"gldm_GrayLevelVariance", 49.91507327349389, 116.50984373195566},
    {"gldm_HighGrayLevelEmphasis", 408.79617737399394, 2844.4120091018062},
    {"gldm_LargeDependenceEmphasis", 47.84148965123965, 5.479774892830296},
    {"gldm_LargeDependenceHighGrayLevelEmphasis", 15966.244362290854, 15944.856941143009},
    {"gldm_LargeDependenceLowGrayLevelEmphasis", 0.17182206836196712, 0.002145790401425979},
    {"gldm_LowGrayLevelEmphasis", 0.0037015841318849664, 0.0004889162909509333},
    {"gldm_SmallDependenceEmphasis", 0.11612831831381205, 0.5120859129784113},
    {"gldm_SmallDependenceHighGrayLevelEmphasis", 101.74796138740761, 1422.2834124339447},
    {"gldm_SmallDependenceLowGrayLevelEmphasis", 0.0004280516148768478, 0.0002994725077325757},
    {"glrlm_GrayLevelNonUniformity", 15388.148846584318, 2778.0175378153003},
    {"glrlm_GrayLevelNonUniformityNormalized", 0.06228590239299052, 0.029382916648700515},
    {"glrlm_GrayLevelVariance", 58.186478501040526, 119.00399255064283},
    {"glrlm_HighGrayLevelRunEmphasis", 427.345258247624, 2841.2232845031094},
    {"glrlm_LongRunEmphasis", 1.9055293421095123, 1.1306076158237202},
    {"glrlm_LongRunHighGrayLevelEmphasis", 730.319758903607, 3222.5829872606846},
    {"glrlm_LongRunLowGrayLevelEmphasis", 0.0069915560091059255, 0.0005426656942393352},
    {"glrlm_LowGrayLevelRunEmphasis", 0.0037225934006247926, 0.0004935675150002134},
    {"glrlm_RunEntropy", 5.264703508518599, 5.674239090744526},
    {"glrlm_RunLengthNonUniformity", 166982.73269865432, 87493.10181152509},
    {"glrlm_RunLengthNonUniformityNormalized", 0.6748342065450975, 0.9251787680092759},
    {"glrlm_RunPercentage", 0.8003383622430007, 0.9603335349358386},
    {"glrlm_RunVariance", 0.3387996089050303, 0.04564881419360141},
    {"glrlm_ShortRunEmphasis", 0.8481795457365272, 0.97045371390489},
    {"glrlm_ShortRunHighGrayLevelEmphasis", 376.44203054531584, 2754.8627877358663},
    {"glrlm_ShortRunLowGrayLevelEmphasis", 0.003171766902798218, 0.00048240218698545505},
    {"glszm_GrayLevelNonUniformity", 657.1539012868545, 1361.1639761376725},
    {"glszm_GrayLevelNonUniformityNormalized", 0.021409151369501694, 0.023400965773336644},
    {"glszm_GrayLevelVariance", 227.2020913303973, 153.44195782587258},
    {"glszm_HighGrayLevelZoneEmphasis", 1010.1041863495683, 2795.8194165076416},
    {"glszm_LargeAreaEmphasis", 62470.67698322202, 6.497257895370227},
    {"glszm_LargeAreaHighGrayLevelEmphasis", 20669600.717413258, 18809.792958206544},
    {"glszm_LargeAreaLowGrayLevelEmphasis", 217.28017390905708, 0.0025547859053319908},
    {"glszm_LowGrayLevelZoneEmphasis", 0.003850730406870191, 0.0005627132269169304},
    {"glszm_SizeZoneNonUniformity", 16587.160417006027, 29881.57561847783},
    {"glszm_SizeZoneNonUniformityNormalized", 0.5403863957324003, 0.5137204191118303},
    {"glszm_SmallAreaEmphasis", 0.76301085627071, 0.7448649829997526},
    {"glszm_SmallAreaHighGrayLevelEmphasis", 863.4675272742649, 2053.3328131168996},
    {"glszm_SmallAreaLowGrayLevelEmphasis", 0.0026882964313714106, 0.0004589387501623034},
    {"glszm_ZoneEntropy", 7.15247474880225, 7.108579602441207},
    {"glszm_ZonePercentage", 0.09945372542412421, 0.5908758456756262},
    {"glszm_ZoneVariance", 62369.57541593789, 3.6330302894326305},
    {"ngtdm_Busyness", 13.631279103535027, 1.530012896794011},
    {"ngtdm_Coarseness", 4.016934434958641e-05, 0.00011149871853736095},
    {"ngtdm_Complexity", 4507.59735779088, 15424.134484882934},
    {"ngtdm_Contrast", 0.0485355471367696, 0.15681054624604382},
    {"ngtdm_Strength", 0.13167927407936364, 0.28760947558873895},
};

const char kParams[] = R"(imageType:
  Wavelet: {}
featureClass:
  firstorder:
  glcm:
  glrlm:
  glszm:
  gldm:
  ngtdm:
setting:
  binWidth: 25
)";

double Relative(double x, double y) {
  return y == 0 ? std::fabs(x) : std::fabs(x - y) / std::fabs(y);
}

class WaveletLllTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ImageF image;
    LabelMap mask;
    MakeSinusVolume({160, 160, 128}, 0.3, &image, &mask);
    input_ = new CaseImages;
    input_->case_id = "bench";
    input_->image = RealVolume(image.geometry());
    std::copy(image.voxels().begin(), image.voxels().end(), input_->image.voxels().begin());
    input_->mask = std::move(mask);
  }
  static void TearDownTestSuite() { delete input_; }
  static CaseImages* input_;
};
CaseImages* WaveletLllTest::input_ = nullptr;

TEST_F(WaveletLllTest, TextureMatchesPyRadiomicsWithin1e6) {
  StatusOr<Params> params = ParseParams(kParams);
  ASSERT_TRUE(params.ok()) << params.status().message();
  const std::vector<ExtractionRow> rows = Extractor(*params).ExtractCase(*input_, {1, 3}, 2);
  ASSERT_EQ(rows.size(), 2u);
  for (const ExtractionRow& row : rows) {
    ASSERT_TRUE(row.status.ok()) << row.status.message();
    std::map<std::string, double> ours(row.features.begin(), row.features.end());
    int compared = 0;
    for (const Reference& ref : kLll) {
      const std::string name = std::string("wavelet-LLL_") + ref.name;
      ASSERT_TRUE(ours.count(name)) << name;
      const double expected = row.label == 1 ? ref.ms : ref.rab;
      EXPECT_LE(Relative(ours[name], expected), 1e-6)
          << name << " label " << row.label << ": " << ours[name] << " vs " << expected;
      ++compared;
    }
    EXPECT_EQ(compared, 93);
  }
}

TEST_F(WaveletLllTest, Float32IntensitiesWouldMoveVoxelsToOtherBins) {
  // The same LLL image rounded to float32 (what the families used to receive): the ROI's
  // texture no longer matches PyRadiomics, which keeps float64.
  RealVolume lll;
  ASSERT_TRUE(WaveletImages(input_->image, {}, [&](const std::string& name, RealVolume&& v) {
                if (name == "wavelet-LLL") lll = std::move(v);
                return OkStatus();
              }).ok());
  ASSERT_EQ(lll.size(), input_->image.size());
  RealVolume rounded = lll;
  for (double& v : rounded.voxels()) v = static_cast<float>(v);
  const TextureSettings texture;
  auto glszm = [&](const RealVolume& image, int label) {
    StatusOr<Roi> roi = MakeRoi(image, input_->mask, label);
    EXPECT_TRUE(roi.ok());
    StatusOr<DiscretisedRoi> levels = Discretise(*roi, DiscretisationSettings());
    EXPECT_TRUE(levels.ok());
    StatusOr<FeatureList> f = ComputeGlszm(*levels, texture);
    EXPECT_TRUE(f.ok());
    return *f;
  };
  double worst64 = 0, worst32 = 0;
  for (int label : {1, 3}) {
    const FeatureList exact = glszm(lll, label), single = glszm(rounded, label);
    for (const Reference& ref : kLll) {
      const std::string name = ref.name;
      if (name.rfind("glszm_", 0) != 0) continue;
      const double expected = label == 1 ? ref.ms : ref.rab;
      const Feature* a = FindFeature(exact, name.substr(6));
      const Feature* b = FindFeature(single, name.substr(6));
      ASSERT_TRUE(a && b) << name;
      worst64 = std::max(worst64, Relative(a->value, expected));
      worst32 = std::max(worst32, Relative(b->value, expected));
    }
  }
  EXPECT_LE(worst64, 1e-6);
  EXPECT_GT(worst32, 1e-5);
}

}  // namespace
}  // namespace amdrn::radiomics
