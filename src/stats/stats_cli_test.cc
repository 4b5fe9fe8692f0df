// End-to-end checks of `amdrn stats fit|radscore|predict` through the binary
// (AMDRN_BINARY, set by CTest). Few invocations: each one loads the full amdrn binary.
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "core/csv.h"
#include "core/file_util.h"

namespace amdrn::stats {
namespace {

int RunStats(const std::string& args) {
  const char* binary = std::getenv("AMDRN_BINARY");
  if (binary == nullptr) return -1;
  const int rc = std::system((std::string(binary) + " stats " + args + " > /dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

class StatsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("AMDRN_BINARY") == nullptr) GTEST_SKIP() << "AMDRN_BINARY not set";
    dir_ = ::testing::TempDir() + "/amdrn_stats_cli";
    ASSERT_TRUE(MakeDirectories(dir_).ok());
  }
  std::string dir_;
};

TEST_F(StatsCliTest, FitThenPredictReproducesTheTable) {
  ASSERT_EQ(RunStats("fit --data testdata/stats/clinical.csv --outcome y --predictors "
                "age,sex,smoker,crp,site,height,noise --screen-p 1 --out-model " + dir_ +
                "/clin.json --out-table " + dir_ + "/clin.csv"), 0);
  StatusOr<CsvTable> table = ReadCsv(dir_ + "/clin.csv");
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->num_rows(), 8u + 4u);  // 8 univariable terms, 4 selected (R's step())
  ASSERT_EQ(RunStats("predict --model " + dir_ + "/clin.json --data testdata/stats/clinical.csv "
                "--out " + dir_ + "/pred.csv"), 0);
  StatusOr<CsvTable> pred = ReadCsv(dir_ + "/pred.csv");
  ASSERT_TRUE(pred.ok());
  EXPECT_EQ(pred->num_rows(), 240u);
  EXPECT_EQ(pred->header()[1], "clinical_lp");
}

TEST_F(StatsCliTest, RadscoreWritesModelPathAndFeatures) {
  ASSERT_EQ(RunStats("radscore --data testdata/stats/lasso_tall_data.csv --outcome y --threads 2 "
                "--out-model " + dir_ + "/rad.json --out-path " + dir_ + "/path.csv "
                "--out-features " + dir_ + "/feat.csv"), 0);
  StatusOr<CsvTable> path = ReadCsv(dir_ + "/path.csv");
  ASSERT_TRUE(path.ok());
  EXPECT_GT(path->num_rows(), 5u);
  StatusOr<CsvTable> feat = ReadCsv(dir_ + "/feat.csv");
  ASSERT_TRUE(feat.ok());
  EXPECT_EQ(feat->num_rows(), 30u);
}

TEST_F(StatsCliTest, ErrorsMapToDocumentedExitCodes) {
  EXPECT_EQ(RunStats("fit --data testdata/stats/clinical.csv --outcome y --predictors age,nope "
                "--out-model " + dir_ + "/x.json"), 3);  // missing column
  EXPECT_EQ(RunStats("frobnicate"), 2);  // usage
  EXPECT_EQ(RunStats("predict --model testdata/stats/clinical.csv --data testdata/stats/clinical.csv "
                "--out " + dir_ + "/x.csv"), 3);  // not a model file
}

}  // namespace
}  // namespace amdrn::stats
