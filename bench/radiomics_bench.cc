// radiomics_bench: speed and memory of amdrn's radiomics extractor, and the ratio to
// PyRadiomics (bench/radiomics_peer.py) on the same input in the same run.
//   Workload: all default feature classes (first order, shape, GLCM, GLRLM, GLSZM, GLDM,
//   NGTDM) on Original + LoG (sigma 1, 2, 3 mm) + Wavelet (coif1, 8 decompositions), binWidth
//   25, on the three AMDRN regions (MS 1, SM 2, RAB 3) of a synthetic 0.3 mm CBCT.
//   small: 160x160x128 voxels (amdrn and PyRadiomics); large: 400x400x400 (amdrn only unless
//   --peer-large). Each measurement runs in its own process so peak RSS is its own.
// Usage (from the repository root):
//   radiomics_bench [--threads 2] [--peer-python /tmp/pyrad-venv/bin/python] [--no-peer]
//                   [--no-large] [--peer-large] [--work DIR]
//   radiomics_bench --mode extract --image I --mask M --params P [--threads N]   (internal)
#include <sys/resource.h>
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "core/logging.h"
#include "core/threads.h"
#include "io/volume_io.h"
#include "radiomics/extractor.h"

namespace amdrn::radiomics {
namespace {

namespace fs = std::filesystem;

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
    else if (k == "--peer-python") a.peer_python = next();
    else if (k == "--no-peer") a.peer = false;
    else if (k == "--no-large") a.large = false;
    else if (k == "--peer-large") a.peer_large = true;
  }
  return a;
}

// A CBCT-like volume: soft tissue, maxillary bone with trabecular texture, an air-filled
// sinus (MS) lined by a 1-2 voxel membrane (SM), residual alveolar bone below (RAB), noise
// and a slight beam-hardening ramp; grey values in an uncalibrated HU-like range.
void MakeVolume(const Index3& size, double spacing_mm, ImageF* image, LabelMap* mask) {
  Geometry g;
  g.size = size;
  g.spacing_mm = {spacing_mm, spacing_mm, spacing_mm};
  *image = ImageF(g);
  *mask = LabelMap(g, 0);
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.0f, 35.0f);
  const double cx = size[0] * 0.5, cy = size[1] * 0.5, cz = size[2] * 0.55;
  const double rx = size[0] * 0.30, ry = size[1] * 0.25, rz = size[2] * 0.30;
  const double membrane = 1.6 / spacing_mm * 0.3;  // about 1.6 voxels at 0.3 mm
  for (int64_t k = 0; k < size[2]; ++k) {
    for (int64_t j = 0; j < size[1]; ++j) {
      for (int64_t i = 0; i < size[0]; ++i) {
        const double dx = (i - cx) / rx, dy = (j - cy) / ry, dz = (k - cz) / rz;
        const double r = std::sqrt(dx * dx + dy * dy + dz * dz);
        const double shell = (r - 1.0) * std::min({rx, ry, rz});  // voxels outside the cavity
        const double trabecular = 250 * std::sin(0.9 * i) * std::sin(0.8 * j + 0.3 * k) *
                                  std::cos(0.7 * k + 0.2 * i);
        float v = 40.0f;  // soft tissue
        uint8_t label = 0;
        if (shell < 0) {
          v = -850.0f + 40 * std::sin(0.2 * i + 0.1 * k);  // air with streaks
          label = 1;
        } else if (shell < membrane) {
          v = 60.0f + 30 * std::cos(0.5 * j);
          label = 2;
        } else if (shell < 10 && k < cz - rz * 0.3) {
          v = 900.0f + static_cast<float>(trabecular);
          label = 3;
        } else if (shell < 14) {
          v = 700.0f + static_cast<float>(0.5 * trabecular);
        }
        v += 0.4f * static_cast<float>(i) + noise(rng);
        image->at(i, j, k) = std::round(v);
        mask->at(i, j, k) = label;
      }
    }
  }
}

double PeakRssMb() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
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
  const std::vector<ExtractionRow> rows = Extractor(*params).ExtractCase(*input, {1, 2, 3},
                                                                          a.threads);
  const auto end = std::chrono::steady_clock::now();
  nlohmann::json out;
  out["seconds"] = std::chrono::duration<double>(end - loaded).count();
  out["load_seconds"] = std::chrono::duration<double>(loaded - start).count();
  out["peak_rss_mb"] = PeakRssMb();
  for (const ExtractionRow& row : rows) {
    if (!row.status.ok()) out["errors"][std::to_string(row.label)] = row.status.message();
    for (const auto& f : row.features) out["features"][std::to_string(row.label)][f.first] = f.second;
  }
  out["num_features"] = rows.empty() ? 0 : rows[0].features.size();
  if (!a.out.empty()) (void)WriteFileAtomic(a.out, out.dump());
  std::printf("%s\n", nlohmann::json{{"seconds", out["seconds"]}, {"peak_rss_mb", out["peak_rss_mb"]},
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
  std::printf("  agreement with PyRadiomics: %d/%d features within 1e-6 relative; worst %.3g (%s)\n",
              within, compared, worst, worst_name.c_str());
}

int RunAll(const Args& a, const char* self) {
  const std::string work = a.work.empty() ? (fs::temp_directory_path() / "amdrn_radiomics_bench").string()
                                          : a.work;
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
    MakeVolume(s.size, 0.3, &image, &mask);
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
    const nlohmann::json ours =
        RunJson(std::string(self) + " --mode extract --image " + img + " --mask " + msk +
                " --params " + params + " --threads " + std::to_string(a.threads) + " --out " +
                ours_json);
    if (ours.empty()) {
      std::printf("  amdrn: failed\n");
      continue;
    }
    std::printf("  amdrn:       %8.2f s, peak RSS %7.0f MB, %d features per region\n",
                ours["seconds"].get<double>(), ours["peak_rss_mb"].get<double>(),
                ours["num_features"].get<int>());
    if (!s.peer) continue;
    if (!fs::exists(a.peer_python)) {
      std::printf("  PyRadiomics: not run (%s not found; create it with: python3 -m venv "
                  "/tmp/pyrad-venv && /tmp/pyrad-venv/bin/pip install numpy setuptools wheel "
                  "versioneer && /tmp/pyrad-venv/bin/pip install --no-build-isolation "
                  "pyradiomics)\n", a.peer_python.c_str());
      continue;
    }
    const std::string peer_json = work + "/" + s.name + "_pyradiomics.json";
    const nlohmann::json peer = RunJson(a.peer_python + " bench/radiomics_peer.py " + img + " " +
                                        msk + " " + params + " " + peer_json + " 1 2 3");
    if (peer.empty()) {
      std::printf("  PyRadiomics: failed (see stderr)\n");
      continue;
    }
    std::printf("  PyRadiomics: %8.2f s, peak RSS %7.0f MB (version %s, 1 process)\n",
                peer["seconds"].get<double>(), peer["peak_rss_mb"].get<double>(),
                peer["pyradiomics"].get<std::string>().c_str());
    std::printf("  speed-up:    %.1fx\n",
                peer["seconds"].get<double>() / ours["seconds"].get<double>());
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
