#include "seg/fingerprint.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <random>
#include <thread>

#include "core/file_util.h"
#include "core/logging.h"
#include "core/progress.h"
#include "seg/preprocess.h"

namespace amdrn::seg {
namespace {

struct CaseFingerprint {
  std::array<double, 3> spacing{};
  std::array<int64_t, 3> shape_after_crop{};
  double relative_size = 1;
  std::vector<std::vector<float>> samples;  // per channel
};

StatusOr<CaseFingerprint> FingerprintCase(const RawDataset& dataset, const RawCase& raw_case,
                                          int64_t num_samples, uint32_t seed) {
  AMDRN_ASSIGN_OR_RETURN(LoadedCase loaded, LoadCase(dataset, raw_case, true));
  const Geometry& g = loaded.channels[0].geometry();
  const Shape3 shape = {g.size[2], g.size[1], g.size[0]};
  CaseFingerprint out;
  out.spacing = {g.spacing_mm[2], g.spacing_mm[1], g.spacing_mm[0]};
  std::vector<const float*> ptrs;
  for (const ImageF& ch : loaded.channels) ptrs.push_back(ch.data());
  std::vector<uint8_t> mask = NonzeroMask(ptrs, shape);
  BBox3 box = MaskBoundingBox(mask.data(), shape);
  for (int d = 0; d < 3; ++d) out.shape_after_crop[d] = box[d][1] - box[d][0];
  out.relative_size = static_cast<double>(NumVoxels(out.shape_after_crop)) / NumVoxels(shape);

  // Foreground = label > 0 inside the crop box (the label is 0 outside it anyway).
  std::vector<int64_t> foreground;
  const uint8_t* label = loaded.label.data();
  for (int64_t z = box[0][0]; z < box[0][1]; ++z) {
    for (int64_t y = box[1][0]; y < box[1][1]; ++y) {
      int64_t row = (z * shape[1] + y) * shape[2];
      for (int64_t x = box[2][0]; x < box[2][1]; ++x) {
        if (label[row + x] > 0) foreground.push_back(row + x);
      }
    }
  }
  out.samples.resize(loaded.channels.size());
  if (foreground.empty()) return out;
  for (size_t ch = 0; ch < loaded.channels.size(); ++ch) {
    std::mt19937 rng(seed);  // a fresh stream per case and channel, as nnU-Net
    std::uniform_int_distribution<int64_t> pick(0, static_cast<int64_t>(foreground.size()) - 1);
    std::vector<float>& s = out.samples[ch];
    s.resize(num_samples);
    const float* v = loaded.channels[ch].data();
    for (int64_t i = 0; i < num_samples; ++i) s[i] = v[foreground[pick(rng)]];
  }
  return out;
}

IntensityProperties PoolStatistics(std::vector<double>& values) {
  IntensityProperties p;
  if (values.empty()) {
    double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan, nan, nan, nan, nan, nan};
  }
  double sum = 0;
  for (double v : values) sum += v;
  p.mean = sum / values.size();
  double ss = 0;
  for (double v : values) ss += (v - p.mean) * (v - p.mean);
  p.std = std::sqrt(ss / values.size());  // numpy's std (ddof 0)
  p.median = Percentile(values, 50);
  p.min = values.front();
  p.max = values.back();
  p.percentile_99_5 = Percentile(values, 99.5);
  p.percentile_00_5 = Percentile(values, 0.5);
  return p;
}

}  // namespace

double Percentile(std::vector<double>& values, double percent) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  if (!std::is_sorted(values.begin(), values.end())) std::sort(values.begin(), values.end());
  double rank = percent / 100.0 * (values.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(rank));
  size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (rank - lo) * (values[hi] - values[lo]);
}

StatusOr<Fingerprint> ExtractFingerprint(const RawDataset& dataset, const FingerprintOptions& options) {
  const size_t n = dataset.cases.size();
  if (n == 0) return FailedPreconditionError("expected at least one training case, found none");
  const int64_t per_case = static_cast<int64_t>(options.total_foreground_samples / n);
  std::vector<StatusOr<CaseFingerprint>> results(n, InternalError("case not processed"));
  std::atomic<size_t> next{0};
  std::mutex progress_mutex;
  Progress progress("fingerprint", static_cast<int64_t>(n));
  auto work = [&] {
    for (size_t i = next++; i < n; i = next++) {
      results[i] = FingerprintCase(dataset, dataset.cases[i], per_case, options.seed);
      std::lock_guard<std::mutex> lock(progress_mutex);
      progress.Increment();
    }
  };
  std::vector<std::thread> threads;
  for (int t = 1; t < std::max(1, options.num_threads); ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  progress.Finish();

  Fingerprint fp;
  std::vector<double> relative_sizes;
  std::vector<std::vector<double>> pooled(dataset.NumChannels());
  for (size_t i = 0; i < n; ++i) {
    if (!results[i].ok()) return results[i].status();
    CaseFingerprint& c = *results[i];
    fp.spacings.push_back(c.spacing);
    fp.shapes_after_crop.push_back(c.shape_after_crop);
    relative_sizes.push_back(c.relative_size);
    for (size_t ch = 0; ch < c.samples.size(); ++ch) {
      pooled[ch].insert(pooled[ch].end(), c.samples[ch].begin(), c.samples[ch].end());
      std::vector<float>().swap(c.samples[ch]);
    }
  }
  fp.median_relative_size_after_cropping = Percentile(relative_sizes, 50);
  for (auto& values : pooled) {
    if (values.empty()) {
      AMDRN_LOG(Warn) << "fingerprint: no foreground voxels in any case";
    }
    fp.foreground_intensity_properties_per_channel.push_back(PoolStatistics(values));
  }
  return fp;
}

Json FingerprintToJson(const Fingerprint& fp) {
  Json j;
  Json props = Json::object();
  for (size_t ch = 0; ch < fp.foreground_intensity_properties_per_channel.size(); ++ch) {
    props[std::to_string(ch)] = IntensityPropertiesToJson(fp.foreground_intensity_properties_per_channel[ch]);
  }
  j["foreground_intensity_properties_per_channel"] = props;
  j["median_relative_size_after_cropping"] = fp.median_relative_size_after_cropping;
  j["shapes_after_crop"] = fp.shapes_after_crop;
  j["spacings"] = fp.spacings;
  return j;
}

StatusOr<Fingerprint> FingerprintFromJson(const Json& j) {
  Fingerprint fp;
  try {
    fp.spacings = j.at("spacings").get<std::vector<std::array<double, 3>>>();
    fp.shapes_after_crop = j.at("shapes_after_crop").get<std::vector<std::array<int64_t, 3>>>();
    fp.median_relative_size_after_cropping = j.value("median_relative_size_after_cropping", 1.0);
    const Json& props = j.at("foreground_intensity_properties_per_channel");
    for (size_t ch = 0; ch < props.size(); ++ch) {
      AMDRN_ASSIGN_OR_RETURN(IntensityProperties p,
                             IntensityPropertiesFromJson(props.at(std::to_string(ch))));
      fp.foreground_intensity_properties_per_channel.push_back(p);
    }
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("expected nnU-Net fingerprint keys (spacings, "
                                            "shapes_after_crop, foreground_intensity_properties_per_channel): ") +
                                e.what());
  }
  if (fp.spacings.size() != fp.shapes_after_crop.size() || fp.spacings.empty()) {
    return InvalidArgumentError("expected one spacing and one shape per case in the fingerprint, found " +
                                std::to_string(fp.spacings.size()) + " and " +
                                std::to_string(fp.shapes_after_crop.size()));
  }
  return fp;
}

Status WriteFingerprint(const Fingerprint& fp, const std::string& path) {
  return WriteFileAtomic(path, FingerprintToJson(fp).dump(4) + "\n");
}

StatusOr<Fingerprint> ReadFingerprint(const std::string& path) {
  AMDRN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  try {
    StatusOr<Fingerprint> fp = FingerprintFromJson(Json::parse(text));
    if (!fp.ok()) return fp.status().WithContext(path);
    return fp;
  } catch (const std::exception& e) {
    return InvalidArgumentError("cannot parse " + path + " as JSON: " + e.what());
  }
}

}  // namespace amdrn::seg
