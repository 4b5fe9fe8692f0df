// CBCT appearance: turns a phantom's HU-like attenuation into the grey values one scanner
// profile would reconstruct (cupping, metal streaks, blur, correlated noise, rings, field-of-
// view truncation and an uncalibrated grey mapping). Profiles are fixed tables; functions are
// pure given their Rng and thread-safe.
#ifndef AMDRN_SYNTH_APPEARANCE_H_
#define AMDRN_SYNTH_APPEARANCE_H_

#include <string>
#include <vector>

#include "core/status.h"
#include "core/volume.h"
#include "synth/phantom.h"
#include "synth/random.h"

namespace amdrn::synth {

struct ScannerProfile {
  std::string name;    // e.g. "cbct_a"
  std::string centre;  // e.g. "centre_a"
  double gain = 1.0;   // grey = gain * HU + offset + nonlinear * 1000 * (HU / 1000)^2
  double offset = 0.0;
  double nonlinear = 0.0;
  double grey_min = -1000, grey_max = 3071;
  double outside_grey = -1000;  // value outside the reconstructed cylinder
  double psf_sigma_mm = 0.35;   // Gaussian blur of the system
  double noise_sd_hu = 45;      // noise sd in HU before the grey mapping
  double noise_corr_mm = 0.3;   // Gaussian correlation length of the noise
  double cupping = 0.08;        // relative attenuation loss at the rotation axis
  double streak = 1.0;          // metal streak strength (0 = none)
  double ring_hu = 0;           // ring artefact amplitude
  double edge_glow_hu = 150;    // brightening at the edge of a truncated cylinder
  bool cylindrical_fov = true;
  double mixed_weight = 0.25;  // share of cases in a "mixed" cohort
};

// The built-in profiles, in a fixed order.
const std::vector<ScannerProfile>& ScannerProfiles();
// NotFound listing the known names when `name` is not one of them.
StatusOr<ScannerProfile> FindScannerProfile(const std::string& name);

// Nominal grey value of a tissue of `hu` under `profile`, without artefacts.
double NominalGrey(const ScannerProfile& profile, double hu);

// Simulated reconstruction of `phantom` under `profile`, as grey values (integers stored as
// float, already clamped to the profile's range).
ImageF RenderCbct(const Phantom& phantom, const ScannerProfile& profile, Rng& rng);

// In-place separable Gaussian blur with sigma in mm (no-op for sigma <= 0); edges clamp.
void GaussianBlur(ImageF& image, double sigma_mm);

}  // namespace amdrn::synth

#endif  // AMDRN_SYNTH_APPEARANCE_H_
