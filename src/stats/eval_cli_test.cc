// End-to-end tests of `amdrn stats evaluate | compare | nomogram` on the R reference cohort.
// They run the binary named by AMDRN_BINARY (set by CTest) and are skipped without it.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/file_util.h"
#include "stats/eval_test_util.h"
#include "stats/model_io.h"

namespace amdrn::stats {
namespace {

using testing::Cell;
using testing::LoadTable;
using testing::ParseList;
using testing::ParseNumber;

class EvalCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* bin = std::getenv("AMDRN_BINARY");
    if (bin == nullptr || !std::filesystem::exists(bin)) GTEST_SKIP() << "AMDRN_BINARY not set";
    binary_ = bin;
    dir_ = ::testing::TempDir() + "amdrn_eval_cli_" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
    const CsvTable cohort = LoadTable("cohort.csv");
    for (const std::string set : {"train", "validation"}) {
      CsvTable part(cohort.header());
      for (const auto& row : cohort.rows()) {
        if (row[cohort.ColumnIndex("set")] != set) continue;
        ASSERT_TRUE(part.AddRow(row).ok());
      }
      ASSERT_TRUE(WriteCsv(dir_ + "/" + set + ".csv", part).ok());
    }
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  int Run(const std::string& args) {
    const int status = std::system(
        (binary_ + " " + args + " > " + dir_ + "/stdout.txt 2> " + dir_ + "/stderr.txt").c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string binary_, dir_;
};

TEST_F(EvalCliTest, EvaluateTrainingCutoffThenValidation) {
  ASSERT_EQ(Run("stats evaluate --pred " + dir_ +
                "/train.csv --outcome y --score p_nomo,rad_score "
                "--out " +
                dir_ + "/train_eval --bootstrap 200"),
            0);
  ASSERT_EQ(Run("stats evaluate --pred " + dir_ +
                "/validation.csv --outcome y "
                "--score p_nomo,rad_score --cutoff-from " +
                dir_ + "/train_eval/cutoffs.csv --out " + dir_ + "/val_eval --bootstrap 200"),
            0);
  for (const char* f : {"metrics.csv", "evaluation.json", "roc.svg", "decision_curve.svg",
                        "calibration_p_nomo.svg", "roc_rad_score.csv"}) {
    EXPECT_TRUE(PathExists(dir_ + "/val_eval/" + f)) << f;
  }
  EXPECT_FALSE(PathExists(dir_ + "/val_eval/calibration_rad_score.svg"));  // not a probability
  StatusOr<CsvTable> m = ReadCsv(dir_ + "/val_eval/metrics.csv");
  ASSERT_TRUE(m.ok());
  const CsvTable ref = LoadTable("metrics_validation.csv");
  const CsvTable roc = LoadTable("roc_reference.csv");
  EXPECT_EQ(Cell(*m, 0, "cutoff_source"), "fixed");
  EXPECT_EQ(ParseNumber(Cell(*m, 0, "cutoff")), ParseNumber(Cell(ref, 5, "estimate")));
  EXPECT_NEAR(ParseNumber(Cell(*m, 0, "sensitivity")), ParseNumber(Cell(ref, 0, "estimate")),
              1e-15);
  EXPECT_NEAR(ParseNumber(Cell(*m, 0, "auc")), ParseNumber(Cell(roc, 7, "auc")), 1e-12);
  EXPECT_NEAR(ParseNumber(Cell(*m, 0, "auc_ci_lower")), ParseNumber(Cell(roc, 7, "ci_lo")), 1e-10);
}

TEST_F(EvalCliTest, CompareMatchesRocTest) {
  ASSERT_EQ(Run("stats compare --pred " + dir_ +
                "/validation.csv --outcome y "
                "--scores p_nomo,p_clin --out " +
                dir_ + "/cmp.csv"),
            0);
  StatusOr<CsvTable> t = ReadCsv(dir_ + "/cmp.csv");
  ASSERT_TRUE(t.ok());
  const CsvTable ref = LoadTable("delong_paired.csv");  // row 3: validation p_nomo vs p_clin
  EXPECT_NEAR(ParseNumber(Cell(*t, 0, "z")), ParseNumber(Cell(ref, 3, "z")), 1e-8);
  EXPECT_NEAR(ParseNumber(Cell(*t, 0, "p_value")), ParseNumber(Cell(ref, 3, "p")), 1e-10);
}

TEST_F(EvalCliTest, NomogramFromModelFileMatchesRms) {
  // The R fusion model as a model file.
  StatusOr<CsvTable> train = ReadCsv(dir_ + "/train.csv");
  ASSERT_TRUE(train.ok());
  const std::vector<std::string> vars = {"age", "sex", "smoker", "crp", "rad_score", "dl_score"};
  StatusOr<DesignSpec> spec = LearnDesign(*train, vars, {});
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  const std::vector<double> b = testing::Column(LoadTable("fusion_coef.csv"), "estimate");
  LinearModel model;
  model.kind = "logistic";
  model.outcome = "y";
  model.design = *spec;
  model.columns = vars;
  model.intercept = b[0];
  model.coefficients = Eigen::Map<const Eigen::VectorXd>(b.data() + 1, 6);
  model.center = Eigen::VectorXd::Zero(6);
  model.scale = Eigen::VectorXd::Ones(6);
  ASSERT_TRUE(SaveLinearModel(model, dir_ + "/fusion.json").ok());
  ASSERT_EQ(Run("stats nomogram --model " + dir_ + "/fusion.json --data " + dir_ +
                "/train.csv --id-column id --out " + dir_ + "/nomo --bootstrap 40"),
            0);
  StatusOr<CsvTable> axes = ReadCsv(dir_ + "/nomo/nomogram_axes.csv");
  ASSERT_TRUE(axes.ok());
  const CsvTable ref = LoadTable("nomogram.csv");
  const std::vector<double> ref_points = ParseList(Cell(ref, 4, "points"));  // rad_score
  std::vector<double> got;
  for (size_t i = 0; i < axes->num_rows(); ++i) {
    if (Cell(*axes, i, "axis") == "rad_score") got.push_back(ParseNumber(Cell(*axes, i, "points")));
  }
  ASSERT_EQ(got.size(), ref_points.size());
  for (size_t k = 0; k < got.size(); ++k) EXPECT_NEAR(got[k], ref_points[k], 1e-6);
  StatusOr<CsvTable> pts = ReadCsv(dir_ + "/nomo/patient_points.csv");
  ASSERT_TRUE(pts.ok());
  EXPECT_EQ(pts->num_rows(), 168u);
  EXPECT_NEAR(ParseNumber(Cell(*pts, 0, "probability")), ParseNumber(Cell(*train, 0, "p_nomo")),
              1e-12);
  EXPECT_TRUE(PathExists(dir_ + "/nomo/validate.csv"));
  EXPECT_TRUE(PathExists(dir_ + "/nomo/calibration_bootstrap.svg"));
}

TEST_F(EvalCliTest, ErrorsHaveExitCodesAndMessages) {
  EXPECT_EQ(Run("stats evaluate --pred " + dir_ + "/train.csv --outcome y --score nope --out " +
                dir_ + "/x"),
            3);  // missing column: input not found
  auto err = ReadFileToString(dir_ + "/stderr.txt");
  ASSERT_TRUE(err.ok());
  EXPECT_NE(err->find("nope"), std::string::npos);
  EXPECT_EQ(Run("stats compare --pred " + dir_ + "/train.csv --outcome y --scores p_nomo"), 8);
  EXPECT_EQ(Run("stats evaluate --pred " + dir_ + "/train.csv --outcome y"), 2);  // usage
}

}  // namespace
}  // namespace amdrn::stats
