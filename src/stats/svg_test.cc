#include "stats/svg.h"

#include <gtest/gtest.h>

#include "stats/eval_test_util.h"

namespace amdrn::stats {
namespace {

using testing::CohortColumns;

int Count(const std::string& s, const std::string& what) {
  int n = 0;
  for (size_t pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + 1)) ++n;
  return n;
}

TEST(SvgTest, FormatTick) {
  EXPECT_EQ(FormatTick(0.30000000000000004), "0.3");
  EXPECT_EQ(FormatTick(-0.0), "0");
  EXPECT_EQ(FormatTick(100), "100");
  EXPECT_EQ(FormatTick(0.999), "0.999");
  EXPECT_EQ(FormatTick(1e-5), "1e-05");
}

TEST(SvgTest, FiguresAreDeterministicAndCarryTheirContent) {
  auto v = CohortColumns("validation");
  RocSeries s{"Nomogram", *ComputeRoc(v["y"], v["p_nomo"]), *ComputeAucDelong(v["y"], v["p_nomo"])};
  const std::string roc = RocSvg({s}, "Validation <cohort>");
  EXPECT_EQ(roc, RocSvg({s}, "Validation <cohort>"));
  EXPECT_NE(roc.find("Validation &lt;cohort&gt;"), std::string::npos);
  EXPECT_NE(roc.find("Nomogram: AUC 0.642 ("), std::string::npos);
  EXPECT_EQ(Count(roc, "<polyline"), 1);
  EXPECT_EQ(roc.rfind("</svg>\n"), roc.size() - 7);

  auto dca = DecisionCurve(v["y"], v["p_nomo"], DefaultDecisionThresholds());
  const std::string d = DecisionCurveSvg({{"Nomogram", *dca}}, "DCA");
  EXPECT_NE(d.find("Treat all"), std::string::npos);
  EXPECT_NE(d.find("Treat none"), std::string::npos);

  CalibrationPlot plot;
  plot.title = "Calibration";
  plot.apparent = *SmoothCalibrationCurve(v["y"], v["p_nomo"], {0.1, 0.2, 0.3, 0.4, 0.5});
  plot.groups = HosmerLemeshow(v["y"], v["p_nomo"])->table;
  const std::string c = CalibrationSvg(plot);
  EXPECT_EQ(Count(c, "<circle"), 10);
  EXPECT_NE(c.find("Apparent"), std::string::npos);
  EXPECT_EQ(c.find("Bias-corrected"), std::string::npos);
}

TEST(SvgTest, NomogramHasOneRowPerAxis) {
  NomogramTermInput a{"age", false, 0.03, {30, 45, 60, 80}, {}, {}};
  NomogramTermInput b{"rad_score", false, 1.5, {-1.2, 0.3, 0.9}, {}, {}};
  StatusOr<Nomogram> nom = BuildNomogram(-2, {a, b}, {-1.5, 0.5, 1.2});
  ASSERT_TRUE(nom.ok());
  const std::string svg = NomogramSvg(*nom, "Risk of implant failure");
  for (const char* row : {"Points", "age", "rad_score", "Total Points", "Linear Predictor",
                          "Risk of implant failure"}) {
    EXPECT_NE(svg.find(std::string(">") + row + "<"), std::string::npos) << row;
  }
}

}  // namespace
}  // namespace amdrn::stats
