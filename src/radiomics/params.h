// Extraction parameters: PyRadiomics' settings with its defaults, the enabled image types
// (each with its own settings after per-type overrides) and the enabled feature classes,
// read from a PyRadiomics parameter file (YAML or JSON: `setting`, `imageType`,
// `featureClass`, `voxelSetting`). Plain values; thread-compatible.
#ifndef AMDRN_RADIOMICS_PARAMS_H_
#define AMDRN_RADIOMICS_PARAMS_H_

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace amdrn::radiomics {

// PyRadiomics `setting` keys (names in comments) with PyRadiomics' defaults.
struct Settings {
  // Discretisation.
  double bin_width = 25.0;            // binWidth
  std::optional<int> bin_count;       // binCount (takes precedence over binWidth)
  // Resampling (off unless resampled_spacing_mm is set).
  std::vector<double> resampled_spacing_mm;  // resampledPixelSpacing; 0 keeps an axis
  std::string interpolator = "sitkBSpline";  // interpolator; empty = None (no resampling)
  int pad_distance = 5;                      // padDistance
  bool pre_crop = false;                     // preCrop
  // Normalisation.
  bool normalize = false;                 // normalize
  double normalize_scale = 1.0;           // normalizeScale
  std::optional<double> remove_outliers;  // removeOutliers
  // Resegmentation.
  std::vector<double> resegment_range;    // resegmentRange (1 or 2 values)
  std::string resegment_mode = "absolute";  // resegmentMode: absolute, relative, sigma
  bool resegment_shape = false;           // resegmentShape
  // Mask checks.
  int label = 1;                          // label
  int minimum_roi_dimensions = 2;         // minimumROIDimensions
  std::optional<int> minimum_roi_size;    // minimumROISize
  bool correct_mask = false;              // correctMask
  std::optional<double> geometry_tolerance;  // geometryTolerance
  bool additional_info = true;            // additionalInfo
  // Texture.
  std::vector<int> distances = {1};       // distances
  bool symmetrical_glcm = true;           // symmetricalGLCM
  std::string weighting_norm;             // weightingNorm (empty = None)
  bool force2d = false;                   // force2D
  int force2d_dimension = 0;              // force2Ddimension (numpy axis: 0 = z)
  double gldm_a = 0.0;                    // gldm_a
  double voxel_array_shift = 0.0;         // voxelArrayShift
  // Filters.
  std::vector<double> sigma_mm;           // sigma (LoG)
  std::string wavelet = "coif1";          // wavelet
  int wavelet_level = 1;                  // level
  int wavelet_start_level = 0;            // start_level
  bool gradient_use_spacing = true;       // gradientUseSpacing
  int lbp3d_levels = 2;                   // lbp3DLevels
  double lbp3d_icosphere_radius = 1.0;    // lbp3DIcosphereRadius
  int lbp3d_icosphere_subdivision = 1;    // lbp3DIcosphereSubdivision
  // amdrn: IBSI definitions where PyRadiomics differs (features and resampling).
  bool ibsi = false;                      // ibsi (amdrn extension)

  bool Resamples() const { return !resampled_spacing_mm.empty() && !interpolator.empty(); }
};

struct ImageTypeConfig {
  std::string name;   // Original, LoG, Wavelet, Square, SquareRoot, Logarithm, Exponential,
                      // Gradient, LBP3D
  Settings settings;  // global settings with this type's overrides applied
  std::string overrides;  // this type's own settings as a Python dict ("{}" when none)
};

struct FeatureClassConfig {
  std::string name;                   // firstorder, shape, shape2D, glcm, ..., gldzm, ngldm, ...
  std::vector<std::string> features;  // empty = every non-deprecated feature
};

struct Params {
  Settings settings;
  std::vector<ImageTypeConfig> image_types = {{"Original", {}, "{}"}};
  std::vector<FeatureClassConfig> feature_classes;  // see DefaultParams()
};

// PyRadiomics' defaults: Original only; every class except shape2D (and the IBSI-only ones).
Params DefaultParams();

// Image types and feature classes amdrn knows.
const std::vector<std::string>& KnownImageTypes();
const std::vector<std::string>& KnownFeatureClasses();

// Parses a parameter document (YAML or JSON text). Unknown keys, wrong types and values out
// of PyRadiomics' schema ranges are InvalidArgument errors naming the key. `source` names
// the document in messages.
StatusOr<Params> ParseParams(const std::string& text, const std::string& source = "params");
StatusOr<Params> ReadParamsFile(const std::string& path);

// Applies a YAML/JSON flow mapping of settings ("{binWidth: 5, force2D: true}") to
// `settings`; Python literals True/False/None are accepted (PyRadiomics' diagnostics).
Status ApplySettingsText(const std::string& text, Settings* settings);

// Sets one setting on the global settings and every image type (command-line overrides).
void ForEachSettings(Params* params, const std::function<void(Settings*)>& fn);

// Python-dict rendering of the settings, as PyRadiomics' diagnostics_Configuration_Settings.
std::string SettingsToString(const Settings& settings);
// "{'Original': {}, 'LoG': {'sigma': [1.0, 2.0]}}" from the enabled types' overrides.
std::string ImageTypesToString(const Params& params);

}  // namespace amdrn::radiomics

#endif  // AMDRN_RADIOMICS_PARAMS_H_
