#include "dl/trainer.h"

#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "core/csv.h"
#include "core/file_util.h"
#include "core/progress.h"
#include "core/threads.h"
#include "dl/metrics.h"
#include "dl/score_model.h"
#include "dl/test_cases.h"

namespace amdrn::dl {
namespace {

namespace fs = std::filesystem;
using testing::BlobCase;
using testing::MakeBlobCases;
using testing::Pointers;
using testing::TinyConfig;

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetThreadCount(1);  // results are reproducible for a fixed thread count
    SetProgressQuiet(true);
    dir_ = (fs::temp_directory_path() /
            ("amdrn_dl_test_" + std::string(::testing::UnitTest::GetInstance()
                                                ->current_test_info()
                                                ->name())))
               .string();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::string dir_;
};

std::vector<double> Scores(const ScoreModel& model, const std::vector<BlobCase>& cases) {
  std::vector<double> scores;
  for (const BlobCase& c : cases) scores.push_back(model.PredictLogit(c.train_case.roi).value());
  return scores;
}

std::vector<int> LabelsOf(const std::vector<BlobCase>& cases) {
  std::vector<int> labels;
  for (const BlobCase& c : cases) labels.push_back(c.train_case.label);
  return labels;
}

TEST_F(TrainerTest, TinyModelLearnsBrightBlobVersusNone) {
  auto cases = MakeBlobCases(16, 64, 11);
  auto test = MakeBlobCases(16, 40, 12);
  DlConfig config = TinyConfig();
  auto fit = FitOne(Pointers(cases, 0, 48), Pointers(cases, 48, 64), config, 0, Path("a.ckpt"),
                    Path("a.pt"), false);
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  EXPECT_TRUE(fit->finished);
  EXPECT_EQ(fit->epochs_run, config.train.epochs);
  auto model = ScoreModel::FromWeights(config, {Path("a.pt")});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  double auc = MannWhitneyAuc(Scores(*model, test), LabelsOf(test));
  EXPECT_GT(auc, 0.95) << "held-out AUC of a clearly separable task";
}

TEST_F(TrainerTest, GradCamPeaksOnTheBlobThatDecidesTheLabel) {
  auto cases = MakeBlobCases(16, 64, 21);
  DlConfig config = TinyConfig();
  auto fit = FitOne(Pointers(cases, 0, 48), Pointers(cases, 48, 64), config, 0, Path("c.ckpt"),
                    Path("c.pt"), false);
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  auto model = ScoreModel::FromWeights(config, {Path("c.pt")});
  ASSERT_TRUE(model.ok());
  auto test = MakeBlobCases(16, 20, 22);
  int hits = 0, positives = 0;
  for (const BlobCase& c : test) {
    if (c.train_case.label != 1) continue;
    ++positives;
    auto cam = model->GradCam(c.train_case.roi);
    ASSERT_TRUE(cam.ok()) << cam.status().ToString();
    // Mean map within 3 voxels of the blob centre vs. the mean elsewhere.
    double in_sum = 0, out_sum = 0;
    int in_n = 0, out_n = 0;
    for (int k = 0; k < 16; ++k)
      for (int j = 0; j < 16; ++j)
        for (int i = 0; i < 16; ++i) {
          double di = i - c.blob_center[0], dj = j - c.blob_center[1], dk = k - c.blob_center[2];
          float v = (*cam)[i + 16 * (j + 16 * k)];
          if (di * di + dj * dj + dk * dk <= 9) {
            in_sum += v;
            ++in_n;
          } else {
            out_sum += v;
            ++out_n;
          }
        }
    hits += (in_sum / in_n) > 2 * (out_sum / out_n);
  }
  EXPECT_GE(hits, positives - 1) << hits << " of " << positives << " maps peak on the blob";
}

TEST_F(TrainerTest, SameSeedSameWeightsAndResumeMatchesUninterruptedRun) {
  auto cases = MakeBlobCases(16, 32, 31);
  DlConfig config = TinyConfig();
  config.train.epochs = 4;
  auto train = Pointers(cases, 0, 24), val = Pointers(cases, 24, 32);
  auto a = FitOne(train, val, config, 0, Path("a.ckpt"), Path("a.pt"), false);
  auto b = FitOne(train, val, config, 0, Path("b.ckpt"), Path("b.pt"), false);
  ASSERT_TRUE(a.ok() && b.ok());

  DlConfig capped = config;
  capped.train.stop_after_epochs = 2;
  auto part = FitOne(train, val, capped, 0, Path("r.ckpt"), Path("r.pt"), false);
  ASSERT_TRUE(part.ok());
  EXPECT_FALSE(part->finished);
  EXPECT_EQ(part->epochs_run, 2);
  EXPECT_FALSE(PathExists(Path("r.pt")));
  auto rest = FitOne(train, val, config, 0, Path("r.ckpt"), Path("r.pt"), /*resume=*/true);
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  EXPECT_TRUE(rest->finished);

  auto ma = ScoreModel::FromWeights(config, {Path("a.pt")});
  auto mb = ScoreModel::FromWeights(config, {Path("b.pt")});
  auto mr = ScoreModel::FromWeights(config, {Path("r.pt")});
  ASSERT_TRUE(ma.ok() && mb.ok() && mr.ok());
  auto sa = Scores(*ma, cases), sb = Scores(*mb, cases), sr = Scores(*mr, cases);
  EXPECT_EQ(sa, sb) << "same seed must give bit-identical scores";
  EXPECT_EQ(sa, sr) << "resumed run must match the uninterrupted run";
  ASSERT_EQ(a->log.size(), rest->log.size());
  for (size_t i = 0; i < a->log.size(); ++i) {
    EXPECT_EQ(a->log[i].train_loss, rest->log[i].train_loss) << "epoch " << i + 1;
  }
  config.train.seed = 2;
  auto c = FitOne(train, val, config, 0, Path("s.ckpt"), Path("s.pt"), false);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(Scores(*ScoreModel::FromWeights(config, {Path("s.pt")}), cases), sa);
}

TEST_F(TrainerTest, KFoldGivesEveryCaseOneOutOfFoldScore) {
  auto blob_cases = MakeBlobCases(16, 30, 41);
  std::vector<TrainCase> cases;
  for (const BlobCase& c : blob_cases) cases.push_back(c.train_case);
  DlConfig config = TinyConfig();
  config.train.epochs = 2;
  auto result = TrainKFold(cases, config, dir_, false);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_TRUE(result->finished);
  ASSERT_EQ(result->oof.size(), cases.size());
  std::vector<int> labels;
  for (const TrainCase& c : cases) labels.push_back(c.label);
  std::vector<int> folds = AssignFolds(labels, 3, config.train.seed);
  std::map<std::string, int> fold_of;
  for (size_t i = 0; i < cases.size(); ++i) fold_of[cases[i].case_id] = folds[i];
  for (const OofScore& s : result->oof) {
    EXPECT_EQ(s.fold, fold_of.at(s.case_id));
    EXPECT_NEAR(s.probability, Sigmoid(s.logit), 1e-12);
  }
  auto csv = ReadCsv(Path("oof_scores.csv"));
  ASSERT_TRUE(csv.ok());
  EXPECT_EQ(csv->num_rows(), cases.size());
  auto model = ScoreModel::Load(dir_);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(model->num_members(), 3);
  // A resumed run keeps the finished folds and reproduces the same scores.
  auto again = TrainKFold(cases, config, dir_, true);
  ASSERT_TRUE(again.ok());
  for (size_t i = 0; i < cases.size(); ++i) EXPECT_EQ(again->oof[i].logit, result->oof[i].logit);
}

TEST_F(TrainerTest, BadInputsAreErrors) {
  auto cases = MakeBlobCases(16, 8, 51);
  DlConfig config = TinyConfig();
  std::vector<const TrainCase*> negatives;
  for (const BlobCase& c : cases)
    if (c.train_case.label == 0) negatives.push_back(&c.train_case);
  auto fit = FitOne(negatives, Pointers(cases, 0, 2), config, 0, Path("x.ckpt"), Path("x.pt"),
                    false);
  EXPECT_EQ(fit.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ScoreModel::Load(Path("missing")).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(ScoreModel::FromWeights(config, {Path("missing.pt")}).status().code(),
            StatusCode::kUnavailable);
  ASSERT_TRUE(WriteFileAtomic(Path("junk.pt"), "not a torch archive").ok());
  EXPECT_EQ(ScoreModel::FromWeights(config, {Path("junk.pt")}).status().code(),
            StatusCode::kUnavailable);
  // A model for 16^3 ROIs refuses a 12^3 ROI.
  auto small = testing::MakeBlobCases(12, 2, 52);
  ASSERT_TRUE(FitOne(Pointers(cases, 0, 6), Pointers(cases, 6, 8), config, 0, Path("y.ckpt"),
                     Path("y.pt"), false)
                  .ok());
  auto model = ScoreModel::FromWeights(config, {Path("y.pt")});
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->PredictLogit(small[0].train_case.roi).status().code(),
            StatusCode::kFailedPrecondition);
  config.train.batch_size = 1;
  EXPECT_EQ(TrainKFold({}, config, dir_, false).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace amdrn::dl
