// Times each feature family on a synthetic CBCT-like ROI and prints one line per family.
// Usage: radiomics_features_timing [size_i size_j size_k] [threads] [all|pyradiomics]
// ("pyradiomics" times only PyRadiomics' 7 classes, for a CPU-time comparison).
// Default: a 160x160x128 box at 0.3 mm, an ellipsoid ROI filling the box, intensities from a
// smooth field plus noise in [-1000, 3000], binWidth 25 (PyRadiomics defaults otherwise).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <random>
#include <string>

#include "core/threads.h"
#include "radiomics/features.h"

namespace amdrn::radiomics {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

int Main(int argc, char** argv) {
  Index3 size = {160, 160, 128};
  if (argc >= 4) size = {std::atol(argv[1]), std::atol(argv[2]), std::atol(argv[3])};
  if (argc >= 5) SetThreadCount(std::atoi(argv[4]));
  const bool only_pyradiomics = argc >= 6 && std::string(argv[5]) == "pyradiomics";
  Geometry g;
  g.size = size;
  g.spacing_mm = {0.3, 0.3, 0.3};
  ImageF image(g);
  LabelMap mask(g);
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.f, 60.f);
  for (int64_t k = 0; k < size[2]; ++k) {
    for (int64_t j = 0; j < size[1]; ++j) {
      for (int64_t i = 0; i < size[0]; ++i) {
        const double x = (i + 0.5) / size[0] - 0.5, y = (j + 0.5) / size[1] - 0.5,
                     z = (k + 0.5) / size[2] - 0.5;
        const double field =
            800 * std::sin(9 * x) * std::cos(7 * y) + 600 * std::sin(11 * z + 3 * x);
        image.at(i, j, k) = std::clamp<float>(float(1000 + field + noise(rng)), -1000.f, 3000.f);
        mask.at(i, j, k) = 4 * (x * x + y * y + z * z) <= 1.0 ? 1 : 0;
      }
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  auto roi = MakeRoi(image, mask, 1);
  if (!roi.ok()) return 1;
  auto levels = Discretise(*roi, DiscretisationSettings{});
  if (!levels.ok()) return 1;
  std::printf("ROI %lldx%lldx%lld box, %lld voxels, %d grey levels, %d threads; ",
              (long long)size[0], (long long)size[1], (long long)size[2],
              (long long)roi->NumVoxels(), levels->max_level, GetThreadCount());
  std::printf("roi+binning %.3f s\n", Seconds(t0));
  FamilyInput in;
  in.intensity = &*roi;
  in.discretised = &*levels;
  in.image = &image;
  double total = 0, total_cpu = 0;
  for (Family family : {Family::kFirstOrder, Family::kShape, Family::kGlcm, Family::kGlrlm,
                        Family::kGlszm, Family::kGldm, Family::kNgtdm, Family::kGldzm,
                        Family::kNgldm, Family::kIntensityHistogram,
                        Family::kIntensityVolumeHistogram, Family::kLocalIntensity}) {
    if (only_pyradiomics && family > Family::kNgtdm) continue;
    AllSettings settings;
    settings.ivh.discretisation = {BinningMode::kFixedBinWidth, 2.5, 0, true, -1000.0};
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    auto result = ComputeFamilies({family}, in, settings);
    const double s = Seconds(start);
    const double cpu = double(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    if (family <= Family::kNgtdm) {
      total += s;
      total_cpu += cpu;
    }
    std::printf("%-20s %8.3f s wall %8.3f s cpu  %s\n", FamilyName(family), s, cpu,
                result[0].ok() ? "" : result[0].status().ToString().c_str());
  }
  std::printf("PyRadiomics' 7 classes (firstorder..ngtdm): %.3f s wall, %.3f s cpu\n", total,
              total_cpu);
  const auto start = std::chrono::steady_clock::now();
  auto all = ComputeFamilies({Family::kFirstOrder, Family::kShape, Family::kGlcm, Family::kGlrlm,
                              Family::kGlszm, Family::kGldm, Family::kNgtdm},
                             in, AllSettings{});
  std::printf("same 7 classes through ComputeFamilies in parallel: %.3f s\n", Seconds(start));
  return 0;
}

}  // namespace
}  // namespace amdrn::radiomics

int main(int argc, char** argv) { return amdrn::radiomics::Main(argc, argv); }
