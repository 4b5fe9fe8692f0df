#include "synth/synth.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "core/csv.h"
#include "core/file_util.h"
#include "io/volume_io.h"
#include "synth/cohort_files.h"

namespace amdrn::synth {
namespace {

namespace fs = std::filesystem;

std::string TempDir(const std::string& name) {
  const fs::path p =
      fs::temp_directory_path() / ("amdrn_synth_test_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(p);
  return p.string();
}

SynthOptions TinyOptions(const std::string& out, int cases) {
  SynthOptions o;
  o.out_dir = out;
  o.cases = cases;
  o.seed = 17;
  o.spacing_mm = 1.0;  // 40x40x32 voxels: tiny and fast
  o.population = 0;
  o.bayes_samples = 16;
  return o;
}

TEST(GenerateCase, ReproducibleForASeedAndDifferentAcrossSeeds) {
  SynthOptions o = TinyOptions("", 1);
  StatusOr<SynthCase> a = GenerateCase(o, 3), b = GenerateCase(o, 3);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->case_id, "AMDRN_0004");
  EXPECT_EQ(a->image.voxels(), b->image.voxels());
  EXPECT_EQ(a->labels.voxels(), b->labels.voxels());
  EXPECT_EQ(a->record.true_probability, b->record.true_probability);
  o.seed = 18;
  StatusOr<SynthCase> c = GenerateCase(o, 3);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->image.voxels(), c->image.voxels());
}

TEST(GenerateCase, PresetsHaveTheirDocumentedGrids) {
  SynthOptions o = TinyOptions("", 1);
  o.spacing_mm = 0;
  StatusOr<CasePlan> plan = PlanCase(o, 0);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(FindPreset("quick")->spacing_mm, 0.5);
  EXPECT_EQ(FindPreset("full")->spacing_mm, 0.3);
  StatusOr<SynthCase> quick = GenerateCase(o, 0);
  ASSERT_TRUE(quick.ok());
  EXPECT_EQ(quick->image.size(), (Index3{80, 80, 64}));
}

TEST(ValidateOptions, ClearErrorsForBadValues) {
  SynthOptions o = TinyOptions("x", 0);
  EXPECT_NE(ValidateOptions(o).message().find("--cases"), std::string::npos);
  o.cases = 2;
  o.preset = "medium";
  EXPECT_NE(ValidateOptions(o).message().find("quick or full"), std::string::npos);
  o.preset = "quick";
  o.profile = "acme";
  EXPECT_FALSE(ValidateOptions(o).ok());
  o.profile = "mixed";
  o.spacing_mm = 3;
  EXPECT_NE(ValidateOptions(o).message().find("--spacing"), std::string::npos);
  o.spacing_mm = 0;
  o.external_profile = "cbct_d";
  EXPECT_TRUE(ValidateOptions(o).ok());
}

std::string Slurp(const std::string& path) {
  StatusOr<std::string> s = ReadFileToString(path);
  return s.ok() ? *s : std::string("<missing " + path + ">");
}

TEST(GenerateCohort, WritesTheNnUnetLayoutTablesAndIsThreadIndependent) {
  const std::string one = TempDir("t1"), two = TempDir("t2");
  SynthOptions o = TinyOptions(one, 24);
  o.external_profile = "cbct_d";
  o.threads = 1;
  StatusOr<CohortSummary> s1 = GenerateCohort(o);
  ASSERT_TRUE(s1.ok()) << s1.status().ToString();
  o.out_dir = two;
  o.threads = 3;
  ASSERT_TRUE(GenerateCohort(o).ok());
  for (const char* f : {"clinical.csv", "truth.csv", "dataset.json", "splits.json",
                        "imagesTr/AMDRN_0001_0000.nii.gz", "labelsTr/AMDRN_0024.nii.gz"})
    EXPECT_EQ(Slurp(one + "/" + f), Slurp(two + "/" + f)) << f;

  const nlohmann::json ds = nlohmann::json::parse(Slurp(one + "/dataset.json"));
  EXPECT_EQ(ds["channel_names"]["0"], "CT");
  EXPECT_EQ(ds["labels"]["schneiderian_membrane"], 2);
  EXPECT_EQ(ds["labels"]["residual_alveolar_bone"], 3);
  EXPECT_EQ(ds["numTraining"], 24);
  EXPECT_EQ(ds["file_ending"], ".nii.gz");
  EXPECT_EQ(ds["amdrn"]["seed"], 17);

  StatusOr<CsvTable> clinical = ReadCsv(one + "/clinical.csv");
  ASSERT_TRUE(clinical.ok());
  EXPECT_EQ(clinical->num_rows(), 24u);
  EXPECT_EQ(clinical->header(), ClinicalColumns());
  const std::vector<std::string> failure = clinical->Column("implant_failure").value();
  const std::vector<std::string> split = clinical->Column("split").value();
  const std::vector<std::string> scanner = clinical->Column("scanner").value();
  for (size_t i = 0; i < failure.size(); ++i) {
    EXPECT_TRUE(failure[i] == "0" || failure[i] == "1");
    EXPECT_EQ(split[i] == "external", scanner[i] == "cbct_d");
  }
  EXPECT_EQ(s1->cases_per_split.at("train") + s1->cases_per_split["test"] +
                s1->cases_per_split["external"],
            24);

  // Volumes read back with their geometry, int16 grey values and the four labels.
  StatusOr<ImageF> img = io::ReadImage(one + "/imagesTr/AMDRN_0001_0000.nii.gz");
  StatusOr<LabelMap> lab = io::ReadLabelMap(one + "/labelsTr/AMDRN_0001.nii.gz");
  ASSERT_TRUE(img.ok() && lab.ok());
  EXPECT_TRUE(img->geometry().SameAs(lab->geometry()));
  EXPECT_EQ(img->size(), (Index3{40, 40, 32}));
  int counts[4] = {0, 0, 0, 0};
  for (uint8_t v : lab->voxels()) {
    ASSERT_LT(v, 4);
    counts[v]++;
  }
  for (int c : counts) EXPECT_GT(c, 0);
  fs::remove_all(one);
  fs::remove_all(two);
}

TEST(GenerateCohort, EmrHasMissingValuesButNeverAMissingOutcome) {
  const std::string out = TempDir("missing");
  SynthOptions o = TinyOptions(out, 60);
  o.spacing_mm = 1.0;
  StatusOr<CohortSummary> s = GenerateCohort(o);
  ASSERT_TRUE(s.ok());
  StatusOr<CsvTable> clinical = ReadCsv(out + "/clinical.csv");
  ASSERT_TRUE(clinical.ok());
  int missing_smoking = 0;
  const std::vector<std::string> smoking = clinical->Column("smoking").value();
  for (const std::string& v : smoking) missing_smoking += v.empty();
  EXPECT_GT(missing_smoking, 0);
  EXPECT_LT(missing_smoking, 20);
  const std::vector<std::string> failure = clinical->Column("implant_failure").value();
  for (const std::string& v : failure) EXPECT_FALSE(v.empty());
  StatusOr<CsvTable> truth = ReadCsv(out + "/truth.csv");
  ASSERT_TRUE(truth.ok());
  const std::vector<double> p = truth->NumericColumn("true_probability").value();
  for (double v : p) EXPECT_TRUE(v > 0 && v < 1);
  EXPECT_EQ(s->cases_per_split.at("test"), 15);
  fs::remove_all(out);
}

// The CLI's manners: usage errors exit 2 with a message naming the option.
TEST(SynthCommand, BadArgumentsExitWithUsageErrors) {
  const char* binary = std::getenv("AMDRN_BINARY");
  if (!binary || !PathExists(binary)) GTEST_SKIP() << "AMDRN_BINARY not set (run through ctest)";
  const std::string out = TempDir("cli");
  const auto run = [&](const std::string& args) {
    const int rc =
        std::system((std::string(binary) + " synth " + args + " > /dev/null 2>&1").c_str());
    return WEXITSTATUS(rc);
  };
  EXPECT_EQ(run("--cases 2"), 2);  // --out is required
  EXPECT_EQ(run("--out " + out + " --cases 0"), 2);
  EXPECT_EQ(run("--out " + out + " --profile acme"), 2);
  EXPECT_EQ(run("--out " + out + " --preset medium"), 2);
  EXPECT_EQ(run("--out " + out + " --cases two"), 2);
  EXPECT_EQ(run("--help"), 0);
  EXPECT_EQ(run("--out " + out + " --cases 2 --spacing 1.0 --population 0 --threads 1"), 0);
  EXPECT_TRUE(PathExists(out + "/labelsTr/AMDRN_0002.nii.gz"));
  fs::remove_all(out);
}

}  // namespace
}  // namespace amdrn::synth
