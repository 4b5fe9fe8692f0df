// amdrn dl train|predict|cam: the DL score (3D attention ResNet on the implant-site ROI).
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "core/csv.h"
#include "core/file_util.h"
#include "core/logging.h"
#include "dl/cam_output.h"
#include "dl/cohort.h"
#include "dl/score_model.h"
#include "dl/trainer.h"

namespace amdrn::cli {
namespace {

using dl::DlConfig;

constexpr char kUsage[] =
    "usage: amdrn dl <verb> [options]\n"
    "  train    k-fold training on a cohort; writes the model folder, oof_scores.csv and\n"
    "           test_scores.csv (fold-ensemble scores of the test split)\n"
    "  predict  DL score of one case (--image, --labels) or of a cohort split\n"
    "  cam      Grad-CAM overlay (NIfTI in the CBCT geometry) and PNG slices\n"
    "Run 'amdrn dl <verb> --help' for the options.\n";

struct CohortFlags {
  dl::CohortOptions cohort;
  void Add(CLI::App& app) {
    app.add_option("--data", cohort.data_dir,
                   "nnU-Net raw dataset folder (imagesTr, clinical.csv)");
    app.add_option("--labels-dir", cohort.labels_dir,
                   "label maps <id>.nii.gz (default <data>/labelsTr; a segmentation output folder "
                   "for predicted labels)");
    app.add_option("--clinical", cohort.clinical_csv,
                   "clinical table (default <data>/clinical.csv)");
    app.add_option("--outcome-column", cohort.outcome_column, "outcome column")
        ->capture_default_str();
    app.add_option("--split-column", cohort.split_column, "split column")->capture_default_str();
  }
};

void AddConfigFlags(CLI::App& app, DlConfig* c, std::string* attention, std::string* loss) {
  app.add_option("--box-mm", c->roi.box_mm, "ROI cube edge, mm")->capture_default_str();
  app.add_option("--voxel-mm", c->roi.voxel_mm, "ROI isotropic voxel, mm")->capture_default_str();
  app.add_option("--depth", c->net.depth, "ResNet depth: 10 or 18")->capture_default_str();
  app.add_option("--width", c->net.base_width, "channels of stage 1 (w, 2w, 4w, 8w)")
      ->capture_default_str();
  app.add_option("--attention", *attention, "cbam, se or none")->capture_default_str();
  app.add_option("--reduction", c->net.reduction, "attention MLP reduction")->capture_default_str();
  app.add_option("--stem-kernel", c->net.stem_kernel, "stem conv kernel")->capture_default_str();
  app.add_option("--stem-stride", c->net.stem_stride, "stem conv stride")->capture_default_str();
  app.add_flag("--max-pool", c->net.stem_max_pool, "3^3 max-pool after the stem");
  app.add_option("--dropout", c->net.dropout, "dropout before the classifier")
      ->capture_default_str();
  app.add_option("--cam-stage", c->net.cam_stage, "Grad-CAM stage: 3 or 4")->capture_default_str();
  auto& t = c->train;
  app.add_option("--folds", t.folds, "k of the out-of-fold scheme")->capture_default_str();
  app.add_option("--epochs", t.epochs, "epochs per fold")->capture_default_str();
  app.add_option("--batch-size", t.batch_size, "batch size")->capture_default_str();
  app.add_option("--lr", t.lr, "AdamW peak learning rate (cosine to 0)")->capture_default_str();
  app.add_option("--weight-decay", t.weight_decay, "AdamW weight decay")->capture_default_str();
  app.add_option("--loss", *loss, "bce (pos_weight = #neg/#pos) or focal")->capture_default_str();
  app.add_option("--patience", t.patience, "early-stopping patience, epochs")
      ->capture_default_str();
  app.add_option("--val-fraction", t.val_fraction, "early-stopping validation share")
      ->capture_default_str();
  app.add_option("--seed", t.seed, "seed (CPU results reproducible per thread count)")
      ->capture_default_str();
  app.add_option("--rotate-deg", t.augment.rotate_deg, "augmentation rotation, +- degrees")
      ->capture_default_str();
  app.add_option("--scale", t.augment.scale, "augmentation zoom, +- fraction")
      ->capture_default_str();
  app.add_option("--shift-mm", t.augment.shift_mm, "augmentation shift, +- mm")
      ->capture_default_str();
  app.add_option("--noise-sd", t.augment.noise_sd, "CBCT noise SD (z units)")
      ->capture_default_str();
  app.add_flag("--flip-lr", t.augment.flip_lr, "allow left-right mirroring (off: side matters)");
  app.add_option("--max-epochs-per-run", t.stop_after_epochs,
                 "budget: stop each fold after this many epochs in this run (0 = none)")
      ->capture_default_str();
  app.add_option("--time-budget-s", t.time_budget_s,
                 "budget: stop a fold after this many seconds (0 = none)")
      ->capture_default_str();
}

// Scores `cases` with the fold ensemble; writes case_id, label, dl_logit, dl_probability.
Status ScoreCases(const dl::ScoreModel& model, const std::vector<dl::TrainCase>& cases,
                  dl::Precision precision, const std::string& path) {
  CsvTable table({"case_id", "label", "dl_logit", "dl_probability"});
  double seconds = 0;
  for (const dl::TrainCase& c : cases) {
    auto start = std::chrono::steady_clock::now();
    AMDRN_ASSIGN_OR_RETURN(double logit, model.PredictLogit(c.roi, precision));
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    AMDRN_RETURN_IF_ERROR(table.AddRow({c.case_id, c.label < 0 ? "NA" : std::to_string(c.label),
                                        FormatDouble(logit), FormatDouble(dl::Sigmoid(logit))}));
  }
  if (!cases.empty()) {
    AMDRN_LOG(Info) << "dl: scored " << cases.size() << " cases, "
                    << 1000 * seconds / cases.size() << " ms per case ("
                    << (precision == dl::Precision::kBFloat16 ? "bf16" : "fp32") << ", "
                    << model.num_members() << " members)";
  }
  if (path.empty()) {
    std::fputs(table.ToString().c_str(), stdout);
    return OkStatus();
  }
  return WriteCsv(path, table);
}

int RunTrain(int argc, char** argv) {
  CLI::App app("Train the DL score with k-fold out-of-fold scores", "amdrn dl train");
  CohortFlags flags;
  flags.Add(app);
  DlConfig config;
  std::string attention = "cbam", loss = "bce", out, train_split = "train", test_split = "test";
  bool resume = false;
  int threads = 0, max_cases = 0;
  AddConfigFlags(app, &config, &attention, &loss);
  app.add_option("--out", out, "model folder to write")->required();
  app.add_option("--train-split", train_split, "split used for training")->capture_default_str();
  app.add_option("--test-split", test_split, "split scored by the ensemble ('' = none)")
      ->capture_default_str();
  app.add_option("--max-cases", max_cases, "budget: first N training cases only (0 = all)")
      ->capture_default_str();
  app.add_flag("--resume", resume, "continue an interrupted training in --out");
  app.add_option("--threads", threads, "worker threads (0 = all cores)")->capture_default_str();
  if (int rc = ParseArgs(app, argc, argv); rc >= 0) return rc;
  ApplyThreadCount(threads);
  auto run = [&]() -> Status {
    AMDRN_ASSIGN_OR_RETURN(config.net.attention, dl::ParseAttention(attention));
    AMDRN_ASSIGN_OR_RETURN(config.train.loss, dl::ParseLoss(loss));
    AMDRN_RETURN_IF_ERROR(config.roi.Validate());
    AMDRN_RETURN_IF_ERROR(config.net.Validate());
    AMDRN_ASSIGN_OR_RETURN(auto listed, dl::ReadCohort(flags.cohort, train_split));
    std::vector<dl::CohortCase> labelled;
    for (const auto& c : listed) {
      if (c.label >= 0 && (max_cases <= 0 || static_cast<int>(labelled.size()) < max_cases)) {
        labelled.push_back(c);
      }
    }
    AMDRN_ASSIGN_OR_RETURN(auto cases, dl::LoadRois(labelled, config.roi));
    AMDRN_ASSIGN_OR_RETURN(auto result, dl::TrainKFold(cases, config, out, resume));
    if (!result.finished) return OkStatus();
    if (test_split.empty()) return OkStatus();
    AMDRN_ASSIGN_OR_RETURN(auto test_listed, dl::ReadCohort(flags.cohort, test_split));
    if (test_listed.empty()) return OkStatus();
    AMDRN_ASSIGN_OR_RETURN(auto test_cases, dl::LoadRois(test_listed, config.roi));
    AMDRN_ASSIGN_OR_RETURN(auto model, dl::ScoreModel::Load(out));
    return ScoreCases(model, test_cases, dl::Precision::kFloat32, out + "/test_scores.csv");
  };
  Status status = run();
  return status.ok() ? kExitOk : ReportError("dl train", status);
}

// "AMDRN_0001" from ".../AMDRN_0001_0000.nii.gz": the file name without its extension(s) and
// without nnU-Net's channel suffix.
std::string CaseIdFromPath(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  name = name.substr(0, name.size() - FileExtension(name).size());
  if (name.size() > 5 && name.compare(name.size() - 5, 5, "_0000") == 0) {
    name.resize(name.size() - 5);
  }
  return name.empty() ? "case" : name;
}

struct CaseSource {
  CohortFlags flags;
  std::string image, labels, split = "test";
  void Add(CLI::App& app) {
    app.add_option("--image", image, "CBCT of one case");
    app.add_option("--labels", labels, "label map of that case (1 MS, 2 SM, 3 RAB)");
    flags.Add(app);
    app.add_option("--split", split, "split of --data to process")->capture_default_str();
  }
  // The cases: one from --image/--labels, or a split of --data.
  StatusOr<std::vector<dl::CohortCase>> List() const {
    if (!image.empty() || !labels.empty()) {
      if (image.empty() || labels.empty()) {
        return InvalidArgumentError("expected both --image and --labels, found only one");
      }
      return std::vector<dl::CohortCase>{{CaseIdFromPath(image), -1, "", image, labels}};
    }
    if (flags.cohort.data_dir.empty()) {
      return InvalidArgumentError("expected --image with --labels, or --data, found neither");
    }
    return dl::ReadCohort(flags.cohort, split);
  }
};

int RunPredict(int argc, char** argv) {
  CLI::App app("DL score of new cases with a trained fold ensemble", "amdrn dl predict");
  CaseSource source;
  std::string model_dir, out;
  bool bf16 = false;
  int threads = 0;
  app.add_option("--model", model_dir, "model folder from 'amdrn dl train'")->required();
  source.Add(app);
  app.add_option("--out", out, "CSV to write (default: stdout)");
  app.add_flag("--bf16", bf16, "run under CPU bfloat16 autocast");
  app.add_option("--threads", threads, "worker threads (0 = all cores)")->capture_default_str();
  if (int rc = ParseArgs(app, argc, argv); rc >= 0) return rc;
  ApplyThreadCount(threads);
  auto run = [&]() -> Status {
    AMDRN_ASSIGN_OR_RETURN(auto model, dl::ScoreModel::Load(model_dir));
    AMDRN_ASSIGN_OR_RETURN(auto listed, source.List());
    AMDRN_ASSIGN_OR_RETURN(auto cases, dl::LoadRois(listed, model.config().roi));
    return ScoreCases(model, cases, bf16 ? dl::Precision::kBFloat16 : dl::Precision::kFloat32,
                      out);
  };
  Status status = run();
  return status.ok() ? kExitOk : ReportError("dl predict", status);
}

int RunCam(int argc, char** argv) {
  CLI::App app("Grad-CAM of the DL score as a NIfTI overlay and PNG slices", "amdrn dl cam");
  CaseSource source;
  std::string model_dir, out;
  int threads = 0, png_scale = 4;
  app.add_option("--model", model_dir, "model folder from 'amdrn dl train'")->required();
  source.Add(app);
  app.add_option("--out", out, "output folder (files <id>_cam.nii.gz, <id>_cam_*.png)")
      ->required();
  app.add_option("--png-scale", png_scale, "pixels per ROI voxel in the PNGs")
      ->capture_default_str();
  app.add_option("--threads", threads, "worker threads (0 = all cores)")->capture_default_str();
  if (int rc = ParseArgs(app, argc, argv); rc >= 0) return rc;
  ApplyThreadCount(threads);
  auto run = [&]() -> Status {
    AMDRN_ASSIGN_OR_RETURN(auto model, dl::ScoreModel::Load(model_dir));
    AMDRN_ASSIGN_OR_RETURN(auto listed, source.List());
    AMDRN_RETURN_IF_ERROR(MakeDirectories(out));
    for (const auto& c : listed) {
      Geometry geometry;
      AMDRN_ASSIGN_OR_RETURN(auto roi, dl::LoadRoi(c.image_path, c.labels_path,
                                                   model.config().roi, &geometry));
      AMDRN_ASSIGN_OR_RETURN(auto cam, model.GradCam(roi));
      AMDRN_ASSIGN_OR_RETURN(auto files, dl::WriteCamFiles(roi, cam, geometry,
                                                           out + "/" + c.case_id + "_", png_scale));
      std::printf("%s\t%s\n", c.case_id.c_str(), files.overlay_path.c_str());
    }
    return OkStatus();
  };
  Status status = run();
  return status.ok() ? kExitOk : ReportError("dl cam", status);
}

int RunDl(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? kExitUsage : kExitOk;
  }
  const std::string verb = argv[1];
  std::string name = "amdrn dl " + verb;
  std::vector<char*> args = {name.data()};
  for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
  const int n = static_cast<int>(args.size());
  if (verb == "train") return RunTrain(n, args.data());
  if (verb == "predict") return RunPredict(n, args.data());
  if (verb == "cam") return RunCam(n, args.data());
  std::fprintf(stderr, "amdrn dl: error: unknown verb '%s'\n%s", verb.c_str(), kUsage);
  return kExitUsage;
}

}  // namespace
}  // namespace amdrn::cli

AMDRN_REGISTER_COMMAND("dl", "DL score: train, predict, Grad-CAM (3D attention ResNet)",
                       amdrn::cli::RunDl);
