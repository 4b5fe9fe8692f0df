// The dataset fingerprint (nnU-Net v2's dataset_fingerprint.json): per-case spacing and
// shape after cropping to the nonzero region, and pooled foreground intensity statistics
// per channel. Spacings and shapes are in nnU-Net array order (z, y, x), i.e. ITK order
// reversed. Extraction reads every training case once; thread-compatible.
#ifndef AMDRN_SEG_FINGERPRINT_H_
#define AMDRN_SEG_FINGERPRINT_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "seg/dataset.h"
#include "seg/plans.h"

namespace amdrn::seg {

struct Fingerprint {
  std::vector<std::array<double, 3>> spacings;            // per case, mm, (z, y, x)
  std::vector<std::array<int64_t, 3>> shapes_after_crop;  // per case, (z, y, x)
  double median_relative_size_after_cropping = 1.0;
  std::vector<IntensityProperties> foreground_intensity_properties_per_channel;
};

struct FingerprintOptions {
  // Foreground samples over the whole dataset, split evenly over cases. nnU-Net draws 1e8
  // (400 MB of floats); amdrn defaults to 1e7, which moves the 0.5/99.5 percentiles by far
  // less than the intensity noise and keeps the planner within a few hundred MB.
  double total_foreground_samples = 1e7;
  uint32_t seed = 1234;  // nnU-Net's RandomState(1234), drawn with replacement per case
  int num_threads = 1;   // cases read in parallel
};

// Reads every training case of `dataset` (validating it, see LoadCase) and computes the
// fingerprint: crop to the nonzero mask (filled), record spacing and cropped shape, draw
// foreground (label > 0) intensities with replacement, pool them per channel and take
// mean, median, std, min, max and the 0.5/99.5 percentiles (linear interpolation, numpy's
// default). Cases without foreground contribute no samples.
StatusOr<Fingerprint> ExtractFingerprint(const RawDataset& dataset,
                                         const FingerprintOptions& options = {});

Json FingerprintToJson(const Fingerprint& fingerprint);
StatusOr<Fingerprint> FingerprintFromJson(const Json& json);
Status WriteFingerprint(const Fingerprint& fingerprint, const std::string& path);  // atomic
StatusOr<Fingerprint> ReadFingerprint(const std::string& path);

// numpy.percentile with linear interpolation; `values` is sorted in place. NaN if empty.
double Percentile(std::vector<double>& values, double percent);

}  // namespace amdrn::seg

#endif  // AMDRN_SEG_FINGERPRINT_H_
