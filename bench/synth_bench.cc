// synth_bench: how fast amdrn generates synthetic CBCT cases and cohorts, and how well the
// label-based measurements (src/anatomy) recover the generator's truth. There is no external
// peer for this generator; figures are absolute (CPU and wall seconds) and per-voxel errors.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "anatomy/anatomy.h"
#include "core/progress.h"
#include "synth/synth.h"

namespace {

using amdrn::synth::SynthOptions;

double CpuSeconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }
double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Agreement {
  std::vector<double> rbh_err_vox, site_err_vox, membrane_err_vox;
  double cpu_s = 0, wall_s = 0;
  int cases = 0;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(std::min<double>(v.size() - 1, p * (v.size() - 1) + 0.5))];
}

// Generates `n` cases in this thread and measures each on its labels.
Agreement RunCases(const SynthOptions& o, int n) {
  Agreement a;
  const double cpu0 = CpuSeconds(), wall0 = WallSeconds();
  for (int i = 0; i < n; ++i) {
    auto c = amdrn::synth::GenerateCase(o, i);
    if (!c.ok()) {
      std::fprintf(stderr, "case %d: %s\n", i, c.status().ToString().c_str());
      std::exit(1);
    }
    auto m = amdrn::anatomy::MeasureSite(c->labels);
    if (!m.ok()) {
      std::fprintf(stderr, "measure %d: %s\n", i, m.status().ToString().c_str());
      std::exit(1);
    }
    const double s = c->image.geometry().spacing_mm[2];
    const auto& t = c->truth;
    a.rbh_err_vox.push_back(std::abs(m->residual_bone_height_mm - t.residual_bone_height_mm) / s);
    a.site_err_vox.push_back(std::hypot(m->site_floor_lps[0] - t.site_floor_lps[0],
                                        m->site_floor_lps[1] - t.site_floor_lps[1]) /
                             s);
    const double top = c->labels.geometry().origin_lps[2] + (c->labels.size()[2] - 0.5) * s;
    const double truth_membrane = std::min(t.membrane_thickness_site_mm, top - t.site_floor_lps[2]);
    a.membrane_err_vox.push_back(std::abs(m->membrane_thickness_mm - truth_membrane) / s);
    if (a.membrane_err_vox.back() > 3)
      std::printf(
          "  note: case %d (%s membrane) thickness at the site %.2f mm on the labels, %.2f mm "
          "on the continuous model (the site column is off the true axis by %.2f mm)\n",
          i, amdrn::synth::MembraneTypeName(c->record.anatomy.membrane_type),
          m->membrane_thickness_mm, truth_membrane, a.site_err_vox.back() * s);
    ++a.cases;
  }
  a.cpu_s = CpuSeconds() - cpu0;
  a.wall_s = WallSeconds() - wall0;
  return a;
}

void Print(const char* name, const Agreement& a) {
  if (a.cases == 0) return;
  std::printf(
      "%s: %d cases, %.3f s CPU per case (generation + measurement, one thread, no file I/O)\n",
      name, a.cases, a.cpu_s / a.cases);
  std::printf("  residual bone height |error|: median %.2f, max %.2f voxels (tests require <= 1)\n",
              Percentile(a.rbh_err_vox, 0.5), Percentile(a.rbh_err_vox, 1.0));
  std::printf("  implant site offset: median %.2f, max %.2f voxels\n",
              Percentile(a.site_err_vox, 0.5), Percentile(a.site_err_vox, 1.0));
  std::printf("  membrane thickness at site |error|: median %.2f, p90 %.2f, max %.2f voxels\n",
              Percentile(a.membrane_err_vox, 0.5), Percentile(a.membrane_err_vox, 0.9),
              Percentile(a.membrane_err_vox, 1.0));
}

}  // namespace

int main(int argc, char** argv) {
  int cases = 40, full_cases = 2, threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--cases")
      cases = std::atoi(argv[i + 1]);
    else if (flag == "--full-cases")
      full_cases = std::atoi(argv[i + 1]);
    else if (flag == "--threads")
      threads = std::atoi(argv[i + 1]);
  }
  amdrn::SetProgressQuiet(true);
  SynthOptions o;
  o.seed = 1;
  o.population = 0;
  Print("quick preset", RunCases(o, cases));
  o.preset = "full";
  Print("full preset", RunCases(o, full_cases));

  // A whole cohort through the public API, files included, on `threads` threads.
  o.preset = "quick";
  o.out_dir = "/tmp/amdrn_synth_bench";
  o.cases = cases;
  o.threads = threads;
  o.population = 10000;
  const double cpu0 = CpuSeconds(), wall0 = WallSeconds();
  auto summary = amdrn::synth::GenerateCohort(o);
  if (!summary.ok()) {
    std::fprintf(stderr, "%s\n", summary.status().ToString().c_str());
    return 1;
  }
  std::printf(
      "cohort of %d quick cases with files and the population summary on %d threads: "
      "%.1f s wall, %.1f s CPU\n%s",
      cases, threads, WallSeconds() - wall0, CpuSeconds() - cpu0, summary->ToString().c_str());
  return 0;
}
