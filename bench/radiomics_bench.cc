// radiomics_bench: speed and memory of amdrn's radiomics extractor, and the ratio to
// PyRadiomics (bench/radiomics_peer.py) on the same input in the same run.
//   Workload: all default feature classes (first order, shape, GLCM, GLRLM, GLSZM, GLDM,
//   NGTDM) on Original + LoG (sigma 1, 2, 3 mm) + Wavelet (coif1, 8 decompositions), binWidth
//   25, on the three AMDRN regions (MS 1, SM 2, RAB 3) of a synthetic 0.3 mm CBCT.
//   small: 160x160x128 voxels (amdrn and PyRadiomics); large: 400x400x400 (amdrn only unless
//   --peer-large). Each measurement runs in its own process so peak RSS is its own. amdrn
//   runs --repeat times on the small volume (one run before the peer, the rest after) and the
//   median is reported with wall and CPU seconds and the load average at each run.
// Usage (from the repository root):
//   radiomics_bench [--threads 2] [--repeat 3] [--peer-python /tmp/pyrad-venv/bin/python]
//                   [--no-peer] [--no-large] [--peer-large] [--work DIR]
//   radiomics_bench --mode extract --image I --mask M --params P [--threads N]   (internal)
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_util.h"
#include "core/file_util.h"
#include "core/logging.h"
#include "core/threads.h"
#include "io/volume_io.h"
#include "radiomics/extractor.h"
#include "radiomics/sinus_volume.h"

namespace amdrn::radiomics {
namespace {

namespace fs = std::filesystem;
using bench::Median;

const char kParams[] = R"(imageType:
  Original: {}
  LoG:
    sigma: [1.0, 2.0, 3.0]
  Wavelet: {}
featureClass:
  firstorder:
  shape:
  glcm:
  glrlm:
  glszm:
  gldm:
  ngtdm:
setting:
  binWidth: 25
  label: 1
)";

struct Args {
  std::string mode = "all", image, mask, params, out, work;
  std::string peer_python = "/tmp/pyrad-venv/bin/python";
  int threads = 2;
  int repeat = 3;
  bool peer = true, large = true, peer_large = false;
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (k == "--mode") a.mode = next();
    else if (k == "--image") a.image = next();
    else if (k == "--mask") a.mask = next();
    else if (k == "--params") a.params = next();
    else if (k == "--out") a.out = next();
    else if (k == "--work") a.work = next();
    else if (k == "--threads") a.threads = std::atoi(next().c_str());
    else if (k == "--repeat") a.repeat = std::max(1, std::atoi(next().c_str()));
    else if (k == "--peer-python") a.peer_python = next();
    else if (k == "--no-peer") a.peer = false;
    else if (k == "--no-large") a.large = false;
    else if (k == "--peer-large") a.peer_large = true;
  }
  return a;
}

double PeakRssMb() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

// User + system CPU seconds of this process so far (all threads).
double CpuSeconds() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

double LoadAverage() {
  double load[1] = {0};
  return getloadavg(load, 1) == 1 ? load[0] : -1;
}

// Internal mode: one extraction in this process; prints a JSON line.
int Extract(const Args& a) {
  SetThreadCount(a.threads);
  StatusOr<Params> params = ReadParamsFile(a.params);
  if (!params.ok()) return std::fprintf(stderr, "%s\n", params.status().message().c_str()), 1;
  const auto start = std::chrono::steady_clock::now();
  StatusOr<CaseImages> input = LoadCase("bench", a.image, a.mask);
  if (!input.ok()) return std::fprintf(stderr, "%s\n", input.status().message().c_str()), 1;
  const auto loaded = std::chrono::steady_clock::now();
  const double cpu_start = CpuSeconds();
  const std::vector<ExtractionRow> rows = Extractor(*params).ExtractCase(*input, {1, 2, 3},
                                                                          a.threads);
  const auto end = std::chrono::steady_clock::now();
  nlohmann::json out;
  out["seconds"] = std::chrono::duration<double>(end - loaded).count();
  out["cpu_seconds"] = CpuSeconds() - cpu_start;
  out["load_seconds"] = std::chrono::duration<double>(loaded - start).count();
  out["peak_rss_mb"] = PeakRssMb();
  for (const ExtractionRow& row : rows) {
    if (!row.status.ok()) out["errors"][std::to_string(row.label)] = row.status.message();
    for (const auto& f : row.features) {
      out["features"][std::to_string(row.label)][f.first] = f.second;
    }
  }
  out["num_features"] = rows.empty() ? 0 : rows[0].features.size();
  if (!a.out.empty()) (void)WriteFileAtomic(a.out, out.dump());
  std::printf("%s\n", nlohmann::json{{"seconds", out["seconds"]},
                                     {"cpu_seconds", out["cpu_seconds"]},
                                     {"peak_rss_mb", out["peak_rss_mb"]},
                                     {"num_features", out["num_features"]}}
                          .dump()
                          .c_str());
  return 0;
}

// Runs a command and parses the JSON object it prints last.
nlohmann::json RunJson(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return {};
  std::string text, line;
  char buffer[4096];
  while (fgets(buffer, sizeof(buffer), pipe)) text += buffer;
  pclose(pipe);
  const size_t brace = text.rfind("\n{");
  const std::string last = text.substr(brace == std::string::npos ? 0 : brace + 1);
  nlohmann::json j = nlohmann::json::parse(last, nullptr, false);
  return j.is_discarded() ? nlohmann::json{} : j;
}

// Largest relative difference between amdrn's and PyRadiomics' features (same names).
void CompareFeatures(const std::string& ours_path, const std::string& peer_path) {
  StatusOr<std::string> a = ReadFileToString(ours_path), b = ReadFileToString(peer_path);
  if (!a.ok() || !b.ok()) return;
  const nlohmann::json ours = nlohmann::json::parse(*a)["features"];
  const nlohmann::json peer = nlohmann::json::parse(*b)["features"];
  int compared = 0, within = 0;
  double worst = 0;
  std::string worst_name;
  for (auto label = peer.begin(); label != peer.end(); ++label) {
    if (!ours.contains(label.key())) continue;
    for (auto f = label->begin(); f != label->end(); ++f) {
      if (!ours[label.key()].contains(f.key()) || ours[label.key()][f.key()].is_null()) continue;
      const double x = ours[label.key()][f.key()].get<double>(), y = f->get<double>();
      const double rel = y == 0 ? std::fabs(x) : std::fabs(x - y) / std::fabs(y);
      ++compared;
      within += rel <= 1e-6;
      if (rel > worst) worst = rel, worst_name = label.key() + ":" + f.key();
    }
  }
  std::printf("  agreement with PyRadiomics: %d/%d features within 1e-6 relative; "
              "worst %.3g (%s)\n",
              within, compared, worst, worst_name.c_str());
}

int RunAll(const Args& a, const char* self) {
  const std::string work =
      a.work.empty() ? (fs::temp_directory_path() / "amdrn_radiomics_bench").string() : a.work;
  fs::create_directories(work);
  const std::string params = work + "/params.yaml";
  (void)WriteFileAtomic(params, kParams);
  std::printf("radiomics_bench: default classes + LoG(1,2,3 mm) + Wavelet(coif1), 3 regions, "
              "%d threads\n", a.threads);
  struct Size {
    const char* name;
    Index3 size;
    bool peer;
  };
  std::vector<Size> sizes = {{"small", {160, 160, 128}, a.peer}};
  if (a.large) sizes.push_back({"large", {400, 400, 400}, a.peer && a.peer_large});
  for (const Size& s : sizes) {
    ImageF image;
    LabelMap mask;
    MakeSinusVolume(s.size, 0.3, &image, &mask);
    const std::string img = work + "/" + s.name + "_image.nrrd";
    const std::string msk = work + "/" + s.name + "_mask.nrrd";
    if (!io::WriteImage(image, img, {io::PixelType::kInt16}).ok() ||
        !io::WriteLabelMap(mask, msk).ok()) {
      std::fprintf(stderr, "cannot write the bench volume to %s\n", work.c_str());
      return 1;
    }
    int64_t counts[4] = {0, 0, 0, 0};
    for (uint8_t v : mask.voxels()) ++counts[v];
    std::printf("%s: %ldx%ldx%ld @ 0.3 mm; ROI voxels MS %ld, SM %ld, RAB %ld\n", s.name,
                s.size[0], s.size[1], s.size[2], counts[1], counts[2], counts[3]);
    const std::string ours_json = work + "/" + s.name + "_amdrn.json";
    const std::string extract = std::string(self) + " --mode extract --image " + img +
                                " --mask " + msk + " --params " + params + " --threads " +
                                std::to_string(a.threads) + " --out " + ours_json;
    std::vector<double> wall, cpu, rss, loads;
    int features = 0;
    auto run_ours = [&] {
      const double load = LoadAverage();
      const nlohmann::json ours = RunJson(extract);
      if (ours.empty()) return false;
      wall.push_back(ours["seconds"].get<double>());
      cpu.push_back(ours["cpu_seconds"].get<double>());
      rss.push_back(ours["peak_rss_mb"].get<double>());
      loads.push_back(load);
      features = ours["num_features"].get<int>();
      std::printf("  amdrn run %zu: %8.2f s wall, %7.2f s CPU, peak RSS %6.0f MB (load %.1f)\n",
                  wall.size(), wall.back(), cpu.back(), rss.back(), load);
      return true;
    };
    const int repeats = s.peer ? a.repeat : (std::string(s.name) == "small" ? a.repeat : 1);
    if (!run_ours()) {
      std::printf("  amdrn: failed\n");
      continue;
    }
    nlohmann::json peer;
    const std::string peer_json = work + "/" + s.name + "_pyradiomics.json";
    if (s.peer && !fs::exists(a.peer_python)) {
      std::printf("  PyRadiomics: not run (%s not found; create it with: python3 -m venv "
                  "/tmp/pyrad-venv && /tmp/pyrad-venv/bin/pip install 'numpy<2' setuptools wheel "
                  "versioneer && /tmp/pyrad-venv/bin/pip install --no-build-isolation "
                  "pyradiomics==3.0.1)\n", a.peer_python.c_str());
    } else if (s.peer) {
      const double load = LoadAverage();
      peer = RunJson(a.peer_python + " bench/radiomics_peer.py " + img + " " + msk + " " +
                     params + " " + peer_json + " 1 2 3");
      if (peer.empty()) {
        std::printf("  PyRadiomics: failed (see stderr)\n");
      } else {
        std::printf("  PyRadiomics: %8.2f s wall, %7.2f s CPU, peak RSS %6.0f MB (load %.1f; "
                    "version %s, 1 process)\n",
                    peer["seconds"].get<double>(), peer["cpu_seconds"].get<double>(),
                    peer["peak_rss_mb"].get<double>(), load,
                    peer["pyradiomics"].get<std::string>().c_str());
      }
    }
    while (static_cast<int>(wall.size()) < repeats && run_ours()) {
    }
    std::printf("  amdrn median of %zu: %.2f s wall, %.2f s CPU, peak RSS %.0f MB, %d features "
                "per region (load %.1f-%.1f)\n",
                wall.size(), Median(wall), Median(cpu), Median(rss), features,
                *std::min_element(loads.begin(), loads.end()),
                *std::max_element(loads.begin(), loads.end()));
    if (peer.empty()) continue;
    std::printf("  speed-up:    %.1fx wall, %.1fx CPU; memory %.1fx less\n",
                peer["seconds"].get<double>() / Median(wall),
                peer["cpu_seconds"].get<double>() / Median(cpu),
                peer["peak_rss_mb"].get<double>() / Median(rss));
    CompareFeatures(ours_json, peer_json);
  }
  return 0;
}

}  // namespace
}  // namespace amdrn::radiomics

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines appear as they are measured
  amdrn::SetLogLevel(amdrn::LogLevel::kError);
  const amdrn::radiomics::Args args = amdrn::radiomics::Parse(argc, argv);
  if (args.mode == "extract") return amdrn::radiomics::Extract(args);
  return amdrn::radiomics::RunAll(args, argv[0]);
}
