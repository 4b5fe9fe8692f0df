// `amdrn radiomics`: PyRadiomics-compatible feature extraction for one image and mask, or a
// cohort (nnU-Net folder or CSV list) in parallel, resumable, one row per case and region.
// Exit codes: 0 all rows extracted; 7 some rows failed (each names its error); otherwise the
// documented code of the error that stopped the run (docs/exit-codes.md).

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "core/file_util.h"
#include "core/logging.h"
#include "core/progress.h"
#include "core/threads.h"
#include "radiomics/extractor.h"

namespace amdrn::cli {
namespace {

using radiomics::CohortCase;
using radiomics::ExtractionRow;
using radiomics::TextRow;

struct Options {
  std::string image, mask, cohort, params_path, out = "-";
  std::vector<int> labels;
  bool ibsi = false;
  bool resume = true;
  int threads = 0;
};

std::string Cell(const TextRow& row, const std::string& name) {
  for (const auto& cell : row) {
    if (cell.first == name) return cell.second;
  }
  return "";
}

StatusOr<radiomics::Params> LoadParams(const Options& o) {
  radiomics::Params params = radiomics::DefaultParams();
  if (!o.params_path.empty()) {
    AMDRN_ASSIGN_OR_RETURN(params, radiomics::ReadParamsFile(o.params_path));
  }
  if (o.ibsi) radiomics::ForEachSettings(&params, [](radiomics::Settings* s) { s->ibsi = true; });
  return params;
}

// Rows of cases that failed to load: one per label, naming the error.
std::vector<ExtractionRow> FailedRows(const CohortCase& c, const Status& status) {
  std::vector<ExtractionRow> rows;
  for (int label : c.labels) {
    ExtractionRow row;
    row.case_id = c.case_id;
    row.label = label;
    row.region = radiomics::RegionName(label);
    row.status = status;
    rows.push_back(std::move(row));
  }
  return rows;
}

int RunSingle(const Options& o, const radiomics::Params& params) {
  std::vector<int> labels = o.labels;
  if (labels.empty()) labels = {params.settings.label};
  StatusOr<radiomics::CaseImages> input = radiomics::LoadCase("case", o.image, o.mask);
  if (!input.ok()) return ReportError("radiomics", input.status());
  radiomics::Extractor extractor(params);
  std::vector<ExtractionRow> rows = extractor.ExtractCase(*input, labels, GetThreadCount());
  std::vector<TextRow> text;
  int failed = 0;
  for (const ExtractionRow& row : rows) {
    text.push_back(radiomics::ToTextRow(row));
    if (!row.status.ok()) {
      ++failed;
      AMDRN_LOG(Error) << "label " << row.label << ": " << row.status.message();
    }
  }
  if (failed == static_cast<int>(rows.size())) return ReportError("radiomics", rows[0].status);
  Status status = radiomics::WriteRowsFile(o.out, text);
  if (!status.ok()) return ReportError("radiomics", status);
  return failed ? kExitPartial : kExitOk;
}

int RunCohort(const Options& o, const radiomics::Params& params) {
  std::vector<int> labels = o.labels.empty() ? std::vector<int>{1, 2, 3} : o.labels;
  StatusOr<std::vector<CohortCase>> cases = radiomics::DiscoverCohort(o.cohort, labels);
  if (!cases.ok()) return ReportError("radiomics", cases.status());
  if (o.out == "-") {
    return ReportError("radiomics", InvalidArgumentError("cohort mode needs --out FILE.csv|json"));
  }
  // Resume: keep finished rows (no error) and skip their (case, label) pairs.
  std::vector<TextRow> table;
  std::set<std::pair<std::string, std::string>> done;
  if (o.resume && PathExists(o.out)) {
    StatusOr<std::vector<TextRow>> previous = radiomics::ReadRowsFile(o.out);
    if (!previous.ok()) return ReportError("radiomics", previous.status());
    for (TextRow& row : *previous) {
      if (!Cell(row, "error").empty()) continue;
      done.insert({Cell(row, "case_id"), Cell(row, "label")});
      table.push_back(std::move(row));
    }
  }
  std::vector<CohortCase> todo;
  for (CohortCase c : *cases) {
    auto finished = [&](int l) { return done.count({c.case_id, std::to_string(l)}) > 0; };
    c.labels.erase(std::remove_if(c.labels.begin(), c.labels.end(), finished), c.labels.end());
    if (!c.labels.empty()) todo.push_back(std::move(c));
  }
  AMDRN_LOG(Info) << todo.size() << " of " << cases->size() << " cases to extract";
  const int threads = GetThreadCount();
  const int case_workers = std::max(1, std::min<int>(threads, static_cast<int>(todo.size())));
  const int inner_threads = std::max(1, threads / case_workers);
  if (case_workers > 1) SetThreadCount(inner_threads);  // avoid oversubscribing ITK and families
  radiomics::Extractor extractor(params);
  std::mutex mu;
  std::atomic<size_t> next{0};
  int failed = 0;
  Status write_status;
  Progress bar("radiomics", static_cast<int64_t>(todo.size()));
  size_t finished = 0;
  auto worker = [&] {
    for (size_t i = next++; i < todo.size(); i = next++) {
      const CohortCase& c = todo[i];
      std::vector<ExtractionRow> rows;
      StatusOr<radiomics::CaseImages> input =
          radiomics::LoadCase(c.case_id, c.image_path, c.mask_path);
      rows = input.ok() ? extractor.ExtractCase(*input, c.labels, inner_threads)
                        : FailedRows(c, input.status());
      std::lock_guard<std::mutex> lock(mu);
      for (const ExtractionRow& row : rows) {
        if (!row.status.ok()) ++failed;
        table.push_back(radiomics::ToTextRow(row));
      }
      Status s = radiomics::WriteRowsFile(o.out, table);  // after every case: resumable
      if (!s.ok()) write_status = s;
      bar.Update(static_cast<int64_t>(++finished));
    }
  };
  std::vector<std::thread> pool;
  for (int w = 0; w < case_workers; ++w) pool.emplace_back(worker);
  for (std::thread& t : pool) t.join();
  if (!write_status.ok()) return ReportError("radiomics", write_status);
  if (failed) {
    std::fprintf(stderr, "amdrn radiomics: %d row(s) failed; see their 'error' column in %s\n",
                 failed, o.out.c_str());
    return kExitPartial;
  }
  return kExitOk;
}

int RunRadiomics(int argc, char** argv) {
  CLI::App app("Radiomics features (PyRadiomics-compatible names and settings; IBSI mode).\n"
               "Single case: --image IMG --mask MASK. Cohort: --cohort DIR|CSV --out FILE.",
               "amdrn radiomics");
  Options o;
  app.add_option("--image", o.image, "Image file (NIfTI, NRRD, MHA) or DICOM folder");
  app.add_option("--mask", o.mask, "Label map on the image grid");
  app.add_option("--cohort", o.cohort,
                 "nnU-Net folder (imagesTr/labelsTr) or CSV with columns image,mask[,label]"
                 "[,case_id]");
  app.add_option("--label", o.labels,
                 "Label(s) to extract; repeatable. Default: the parameter file's label (1) "
                 "for one case, 1 2 3 (MS, SM, RAB) for a cohort");
  app.add_option("--params", o.params_path,
                 "PyRadiomics parameter file (YAML/JSON). Default: PyRadiomics defaults "
                 "(Original image, all classes but shape2D, binWidth 25)");
  app.add_flag("--ibsi", o.ibsi, "Use IBSI definitions where PyRadiomics differs (default off)");
  app.add_option("--out", o.out, "Output .csv or .json (default '-' = CSV on stdout)");
  app.add_flag("--resume,!--no-resume", o.resume,
               "Cohort: keep rows already in --out without error and skip them (default on)");
  app.add_option("--threads", o.threads, "Worker threads, 0 = all cores (default 0)");
  const int parsed = ParseArgs(app, argc, argv);
  if (parsed >= 0) return parsed;
  ApplyThreadCount(o.threads);
  const bool single = !o.image.empty() || !o.mask.empty();
  if (single == !o.cohort.empty() || (single && (o.image.empty() || o.mask.empty()))) {
    std::fprintf(stderr, "amdrn radiomics: error: give either --image and --mask, or --cohort\n");
    return kExitUsage;
  }
  StatusOr<radiomics::Params> params = LoadParams(o);
  if (!params.ok()) return ReportError("radiomics", params.status());
  return single ? RunSingle(o, *params) : RunCohort(o, *params);
}

}  // namespace

AMDRN_REGISTER_COMMAND("radiomics", "radiomics features (PyRadiomics/IBSI) for regions or cohorts",
                       RunRadiomics);

}  // namespace amdrn::cli
