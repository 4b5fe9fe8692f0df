#include "radiomics/params.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <sstream>

#include "core/file_util.h"
#include "core/logging.h"

namespace amdrn::radiomics {
namespace {

bool IsNone(const YAML::Node& node) {
  if (!node || node.IsNull()) return true;
  return node.IsScalar() && (node.Scalar() == "None" || node.Scalar() == "null" ||
                             node.Scalar() == "~");
}

Status TypeError(const std::string& key, const std::string& expected, const YAML::Node& node) {
  std::string found = node.IsScalar() ? "'" + node.Scalar() + "'"
                                      : (node.IsSequence() ? "a list" : "a mapping");
  return InvalidArgumentError("setting '" + key + "': expected " + expected + ", found " + found);
}

Status GetDouble(const std::string& key, const YAML::Node& node, double* out) {
  if (!node.IsScalar()) return TypeError(key, "a number", node);
  try {
    *out = node.as<double>();
  } catch (const YAML::Exception&) {
    return TypeError(key, "a number", node);
  }
  return OkStatus();
}

Status GetInt(const std::string& key, const YAML::Node& node, int* out) {
  double v = 0.0;
  AMDRN_RETURN_IF_ERROR(GetDouble(key, node, &v));
  if (v != std::floor(v)) return TypeError(key, "an integer", node);
  *out = static_cast<int>(v);
  return OkStatus();
}

Status GetBool(const std::string& key, const YAML::Node& node, bool* out) {
  if (node.IsScalar()) {
    std::string s = node.Scalar();
    std::transform(s.begin(), s.end(), s.begin(), ::tolower);
    if (s == "true" || s == "yes" || s == "on") return *out = true, OkStatus();
    if (s == "false" || s == "no" || s == "off") return *out = false, OkStatus();
  }
  return TypeError(key, "true or false", node);
}

Status GetString(const std::string& key, const YAML::Node& node, std::string* out) {
  if (!node.IsScalar()) return TypeError(key, "a string", node);
  *out = node.Scalar();
  return OkStatus();
}

template <typename T, typename Getter>
Status GetList(const std::string& key, const YAML::Node& node, std::vector<T>* out,
               Getter getter) {
  out->clear();
  if (node.IsScalar()) {  // a single value where a list is expected
    T v{};
    AMDRN_RETURN_IF_ERROR(getter(key, node, &v));
    out->push_back(v);
    return OkStatus();
  }
  if (!node.IsSequence()) return TypeError(key, "a list", node);
  for (const YAML::Node& item : node) {
    T v{};
    AMDRN_RETURN_IF_ERROR(getter(key, item, &v));
    out->push_back(v);
  }
  return OkStatus();
}

Status CheckRange(const std::string& key, double value, double min, bool exclusive) {
  if (exclusive ? value > min : value >= min) return OkStatus();
  char buffer[160];
  std::snprintf(buffer, sizeof(buffer), "setting '%s': expected a value %s %g, found %g",
                key.c_str(), exclusive ? ">" : ">=", min, value);
  return InvalidArgumentError(buffer);
}

using Setter = std::function<Status(const std::string&, const YAML::Node&, Settings*)>;

Setter PositiveDouble(double Settings::*field, bool exclusive = true) {
  return [field, exclusive](const std::string& key, const YAML::Node& n, Settings* s) {
    AMDRN_RETURN_IF_ERROR(GetDouble(key, n, &(s->*field)));
    return CheckRange(key, s->*field, 0.0, exclusive);
  };
}
Setter IntAtLeast(int Settings::*field, int min) {
  return [field, min](const std::string& key, const YAML::Node& n, Settings* s) {
    AMDRN_RETURN_IF_ERROR(GetInt(key, n, &(s->*field)));
    return CheckRange(key, s->*field, min, false);
  };
}
Setter Bool(bool Settings::*field) {
  return [field](const std::string& key, const YAML::Node& n, Settings* s) {
    return GetBool(key, n, &(s->*field));
  };
}

const std::map<std::string, Setter>& Setters() {
  static const auto* setters = new std::map<std::string, Setter>{
      {"binWidth", PositiveDouble(&Settings::bin_width)},
      {"binCount",
       [](const std::string& k, const YAML::Node& n, Settings* s) {
         if (IsNone(n)) return s->bin_count.reset(), OkStatus();
         int v = 0;
         AMDRN_RETURN_IF_ERROR(GetInt(k, n, &v));
         s->bin_count = v;
         return CheckRange(k, v, 0, true);
       }},
      {"resampledPixelSpacing",
       [](const std::string& k, const YAML::Node& n, Settings* s) {
         if (IsNone(n)) return s->resampled_spacing_mm.clear(), OkStatus();
         AMDRN_RETURN_IF_ERROR(GetList<double>(k, n, &s->resampled_spacing_mm, GetDouble));
         if (s->resampled_spacing_mm.size() != 3) {
           return InvalidArgumentError("setting 'resampledPixelSpacing': expected 3 values (x, y, "
                                       "z), found " +
                                       std::to_string(s->resampled_spacing_mm.size()));
         }
         for (double v : s->resampled_spacing_mm) AMDRN_RETURN_IF_ERROR(CheckRange(k, v, 0, false));
         return OkStatus();
       }},
      {"interpolator",
       [](const std::string& k, const YAML::Node& n, Settings* s) {
         if (IsNone(n)) return s->interpolator.clear(), OkStatus();
         AMDRN_RETURN_IF_ERROR(GetString(k, n, &s->interpolator));
         // SimpleITK enum values.
         static const std::map<std::string, std::string> kByNumber = {
             {"1", "sitkNearestNeighbor"}, {"2", "sitkLinear"}, {"3", "sitkBSpline"}};
         auto it = kByNumber.find(s->interpolator);
         if (it != kByNumber.end()) s->interpolator = it->second;
         if (s->interpolator != "sitkNearestNeighbor" && s->interpolator != "sitkLinear" &&
             s->interpolator != "sitkBSpline") {
           return InvalidArgumentError("setting 'interpolator': expected sitkNearestNeighbor, "
                                       "sitkLinear or sitkBSpline, found '" + s->interpolator +
                                       "'");
         }
         return OkStatus();
       }},
      {"padDistance", IntAtLeast(&Settings::pad_distance, 0)},
      {"preCrop", Bool(&Settings::pre_crop)},
      {"normalize", Bool(&Settings::normalize)},
      {"normalizeScale", PositiveDouble(&Settings::normalize_scale)},
      {"removeOutliers",
       [](const std::string& k, const YAML::Node& n, Settings* s) {
         if (IsNone(n)) return s->remove_outliers.reset(), OkStatus();
         double v = 0;
         AMDRN_RETURN_IF_ERROR(GetDouble(k, n, &v));
         s->remove_outliers = v;
         return CheckRange(k, v, 0, true);
       }},
      {"resegmentRange",
       [](const std::string& k, const YAML::Node& n, Settings* s) {
         if (IsNone(n)) return s->resegment_range.clear(), OkStatus();
         AMDRN_RETURN_IF_ERROR(GetList<double>(k, n, &s->resegment_range, GetDouble));
         if (s->resegment_range.empty() || s->resegment_range.size() > 2) {
           return InvalidArgumentError("setting 'resegmentRange': expected 1 or 2 values, found " +
                                       std::to_string(s->resegment_range.size()));
         }
         return OkStatus();
       }},
      {"resegmentMode",
       [](const std::string& k, const YAML::Node& n, Settings* s) {
         AMDRN_RETURN_IF_ERROR(GetString(k, n, &s->resegment_mode));
         if (s->resegment_mode == "absolute" || s->resegment_mode == "relative" ||
             s->resegment_mode == "sigma") {
           return OkStatus();
         }
         return TypeError(k, "absolute, relative or sigma", n);
       }},
      {"resegmentShape", Bool(&Settings::resegment_shape)},
      {"label", IntAtLeast(&Settings::label, 1)},
      {"label_channel",
       [](const std::string& k, const YAML::Node& n, Settings*) {
         int v = 0;
         AMDRN_RETURN_IF_ERROR(GetInt(k, n, &v));
         if (v != 0) return InvalidArgumentError("setting 'label_channel': only channel 0 is "
                                                 "supported (masks are scalar label maps)");
         return OkStatus();
       }},
      {"minimumROIDimensions",
       [](const std::string& k, const YAML::Node& n, Settings* s) {
         AMDRN_RETURN_IF_ERROR(GetInt(k, n, &s->minimum_roi_dimensions));
         if (s->minimum_roi_dimensions < 1 || s->minimum_roi_dimensions > 3) {
           return TypeError(k, "1, 2 or 3", n);
         }
         return OkStatus();
       }},
      {"minimumROISize",
       [](const std::string& k, const YAML::Node& n, Settings* s) {
         if (IsNone(n)) return s->minimum_roi_size.reset(), OkStatus();
         int v = 0;
         AMDRN_RETURN_IF_ERROR(GetInt(k, n, &v));
         s->minimum_roi_size = v;
         return CheckRange(k, v, 0, true);
       }},
      {"correctMask", Bool(&Settings::correct_mask)},
      {"geometryTolerance",
       [](const std::string& k, const YAML::Node& n, Settings* s) {
         if (IsNone(n)) return s->geometry_tolerance.reset(), OkStatus();
         double v = 0;
         AMDRN_RETURN_IF_ERROR(GetDouble(k, n, &v));
         s->geometry_tolerance = v;
         return CheckRange(k, v, 0, true);
       }},
      {"additionalInfo", Bool(&Settings::additional_info)},
      {"distances",
       [](const std::string& k, const YAML::Node& n, Settings* s) {
         AMDRN_RETURN_IF_ERROR(GetList<int>(k, n, &s->distances, GetInt));
         for (int d : s->distances) AMDRN_RETURN_IF_ERROR(CheckRange(k, d, 0, true));
         return OkStatus();
       }},
      {"symmetricalGLCM", Bool(&Settings::symmetrical_glcm)},
      {"weightingNorm",
       [](const std::string& k, const YAML::Node& n, Settings* s) {
         if (IsNone(n)) return s->weighting_norm.clear(), OkStatus();
         AMDRN_RETURN_IF_ERROR(GetString(k, n, &s->weighting_norm));
         const std::string& w = s->weighting_norm;
         if (w == "manhattan" || w == "euclidean" || w == "infinity" || w == "no_weighting") {
           return OkStatus();
         }
         return TypeError(k, "manhattan, euclidean, infinity, no_weighting or None", n);
       }},
      {"force2D", Bool(&Settings::force2d)},
      {"force2Ddimension",
       [](const std::string& k, const YAML::Node& n, Settings* s) {
         AMDRN_RETURN_IF_ERROR(GetInt(k, n, &s->force2d_dimension));
         if (s->force2d_dimension < 0 || s->force2d_dimension > 2) return TypeError(k, "0-2", n);
         return OkStatus();
       }},
      {"gldm_a", PositiveDouble(&Settings::gldm_a, false)},
      {"voxelArrayShift",
       [](const std::string& k, const YAML::Node& n, Settings* s) {
         return GetDouble(k, n, &s->voxel_array_shift);
       }},
      {"sigma",
       [](const std::string& k, const YAML::Node& n, Settings* s) {
         AMDRN_RETURN_IF_ERROR(GetList<double>(k, n, &s->sigma_mm, GetDouble));
         for (double v : s->sigma_mm) AMDRN_RETURN_IF_ERROR(CheckRange(k, v, 0, true));
         return OkStatus();
       }},
      {"wavelet",
       [](const std::string& k, const YAML::Node& n, Settings* s) {
         return GetString(k, n, &s->wavelet);
       }},
      {"level", IntAtLeast(&Settings::wavelet_level, 1)},
      {"start_level", IntAtLeast(&Settings::wavelet_start_level, 0)},
      {"gradientUseSpacing", Bool(&Settings::gradient_use_spacing)},
      {"lbp3DLevels", IntAtLeast(&Settings::lbp3d_levels, 1)},
      {"lbp3DIcosphereRadius", PositiveDouble(&Settings::lbp3d_icosphere_radius)},
      {"lbp3DIcosphereSubdivision", IntAtLeast(&Settings::lbp3d_icosphere_subdivision, 0)},
      {"ibsi", Bool(&Settings::ibsi)},
  };
  return *setters;
}

// Keys PyRadiomics accepts that do not change amdrn's segment-based results.
bool IsIgnoredKey(const std::string& key) {
  static const char* kIgnored[] = {"lbp2DRadius", "lbp2DSamples", "lbp2DMethod", "kernelRadius",
                                   "maskedKernel", "initValue", "voxelBatch"};
  for (const char* k : kIgnored) {
    if (key == k) return true;
  }
  return false;
}

Status ApplySettingsNode(const YAML::Node& map, Settings* settings) {
  if (IsNone(map)) return OkStatus();
  if (!map.IsMap()) return InvalidArgumentError("expected a mapping of settings");
  for (const auto& item : map) {
    const std::string key = item.first.as<std::string>();
    auto it = Setters().find(key);
    if (it == Setters().end()) {
      if (IsIgnoredKey(key)) {
        AMDRN_LOG(Warn) << "setting '" << key << "' is accepted but has no effect in amdrn "
                        << "(segment-based extraction only)";
        continue;
      }
      return InvalidArgumentError("unknown setting '" + key + "' (see docs/radiomics.md)");
    }
    AMDRN_RETURN_IF_ERROR(it->second(key, item.second, settings));
  }
  return OkStatus();
}

// Python-literal rendering used by the diagnostics strings.
std::string PyNumber(double v) {
  char buffer[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, v);
    if (std::strtod(buffer, nullptr) == v) break;
  }
  std::string text = buffer;
  if (text.find_first_of(".en") == std::string::npos) text += ".0";
  return text;
}

std::string FlowText(const YAML::Node& node) {
  YAML::Emitter out;
  out.SetMapFormat(YAML::Flow);
  out.SetSeqFormat(YAML::Flow);
  out << node;
  std::string text = out.c_str();
  return text == "~" || text.empty() ? "{}" : text;
}

}  // namespace

Params DefaultParams() {
  Params params;
  for (const char* name : {"firstorder", "shape", "glcm", "glrlm", "glszm", "gldm", "ngtdm"}) {
    params.feature_classes.push_back({name, {}});
  }
  params.image_types = {{"Original", params.settings, "{}"}};
  return params;
}

const std::vector<std::string>& KnownImageTypes() {
  static const auto* types = new std::vector<std::string>{
      "Original", "LoG", "Wavelet", "Square", "SquareRoot", "Logarithm", "Exponential",
      "Gradient", "LBP3D"};
  return *types;
}

const std::vector<std::string>& KnownFeatureClasses() {
  static const auto* classes = new std::vector<std::string>{
      "firstorder", "shape", "shape2D", "glcm", "glrlm", "glszm", "gldm", "ngtdm",
      "gldzm", "ngldm", "intensityhistogram", "ivh", "localintensity"};
  return *classes;
}

Status ApplySettingsText(const std::string& text, Settings* settings) {
  YAML::Node node;
  try {
    node = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(std::string("settings are not valid YAML: ") + e.what());
  }
  return ApplySettingsNode(node, settings);
}

StatusOr<Params> ParseParams(const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(source + ": not valid YAML/JSON: " + e.what());
  }
  Params params = DefaultParams();
  if (IsNone(root)) return params;
  if (!root.IsMap()) return InvalidArgumentError(source + ": expected a mapping at the top level");
  for (const auto& item : root) {
    const std::string key = item.first.as<std::string>();
    if (key != "setting" && key != "imageType" && key != "featureClass" &&
        key != "voxelSetting") {
      return InvalidArgumentError(source + ": unknown top-level key '" + key +
                                  "' (expected setting, imageType, featureClass, voxelSetting)");
    }
  }
  Status status = ApplySettingsNode(root["setting"], &params.settings);
  if (!status.ok()) return InvalidArgumentError(source + ": " + status.message());
  status = ApplySettingsNode(root["voxelSetting"], &params.settings);
  if (!status.ok()) return InvalidArgumentError(source + ": " + status.message());

  const YAML::Node types = root["imageType"];
  if (!IsNone(types) && types.size() > 0) {
    if (!types.IsMap()) return InvalidArgumentError(source + ": imageType must be a mapping");
    params.image_types.clear();
    for (const auto& item : types) {
      const std::string name = item.first.as<std::string>();
      const auto& known = KnownImageTypes();
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        return InvalidArgumentError(source + ": unknown image type '" + name +
                                    "' (LBP2D is not supported; see docs/radiomics.md)");
      }
      ImageTypeConfig config{name, params.settings, FlowText(item.second)};
      status = ApplySettingsNode(item.second, &config.settings);
      if (!status.ok()) return InvalidArgumentError(source + ": imageType " + name + ": " +
                                                    status.message());
      params.image_types.push_back(std::move(config));
    }
  } else {
    params.image_types = {{"Original", params.settings, "{}"}};
  }

  const YAML::Node classes = root["featureClass"];
  if (!IsNone(classes) && classes.size() > 0) {
    if (!classes.IsMap()) return InvalidArgumentError(source + ": featureClass must be a mapping");
    params.feature_classes.clear();
    for (const auto& item : classes) {
      FeatureClassConfig config{item.first.as<std::string>(), {}};
      const auto& known = KnownFeatureClasses();
      if (std::find(known.begin(), known.end(), config.name) == known.end()) {
        return InvalidArgumentError(source + ": unknown feature class '" + config.name + "'");
      }
      if (!IsNone(item.second)) {
        if (!item.second.IsSequence()) {
          return InvalidArgumentError(source + ": featureClass " + config.name +
                                      ": expected a list of feature names or nothing");
        }
        for (const YAML::Node& f : item.second) config.features.push_back(f.as<std::string>());
      }
      params.feature_classes.push_back(std::move(config));
    }
  } else {
    // PyRadiomics: a parameter file without featureClass enables every class (shape2D too).
    params.feature_classes.clear();
    for (const char* name : {"firstorder", "shape", "shape2D", "glcm", "glrlm", "glszm", "gldm",
                             "ngtdm"}) {
      params.feature_classes.push_back({name, {}});
    }
  }
  return params;
}

StatusOr<Params> ReadParamsFile(const std::string& path) {
  AMDRN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseParams(text, path);
}

void ForEachSettings(Params* params, const std::function<void(Settings*)>& fn) {
  fn(&params->settings);
  for (ImageTypeConfig& type : params->image_types) fn(&type.settings);
}

std::string SettingsToString(const Settings& s) {
  auto list = [](const auto& values) {
    std::string out = "[";
    for (size_t i = 0; i < values.size(); ++i) {
      if (i) out += ", ";
      out += PyNumber(values[i]);
    }
    return out + "]";
  };
  auto str = [](const std::string& v) { return v.empty() ? std::string("None") : "'" + v + "'"; };
  auto boolean = [](bool v) { return std::string(v ? "True" : "False"); };
  std::ostringstream o;
  o << "{'minimumROIDimensions': " << s.minimum_roi_dimensions << ", 'minimumROISize': "
    << (s.minimum_roi_size ? std::to_string(*s.minimum_roi_size) : "None")
    << ", 'normalize': " << boolean(s.normalize) << ", 'normalizeScale': "
    << PyNumber(s.normalize_scale) << ", 'removeOutliers': "
    << (s.remove_outliers ? PyNumber(*s.remove_outliers) : "None")
    << ", 'resampledPixelSpacing': "
    << (s.resampled_spacing_mm.empty() ? "None" : list(s.resampled_spacing_mm))
    << ", 'interpolator': " << str(s.interpolator) << ", 'preCrop': " << boolean(s.pre_crop)
    << ", 'padDistance': " << s.pad_distance << ", 'distances': [";
  for (size_t i = 0; i < s.distances.size(); ++i) o << (i ? ", " : "") << s.distances[i];
  o << "], 'force2D': " << boolean(s.force2d) << ", 'force2Ddimension': " << s.force2d_dimension
    << ", 'resegmentRange': " << (s.resegment_range.empty() ? "None" : list(s.resegment_range))
    << ", 'resegmentMode': '" << s.resegment_mode << "', 'label': " << s.label
    << ", 'additionalInfo': " << boolean(s.additional_info);
  if (s.bin_count) {
    o << ", 'binCount': " << *s.bin_count;
  } else {
    o << ", 'binWidth': " << PyNumber(s.bin_width);
  }
  o << ", 'voxelArrayShift': " << PyNumber(s.voxel_array_shift)
    << ", 'symmetricalGLCM': " << boolean(s.symmetrical_glcm)
    << ", 'weightingNorm': " << str(s.weighting_norm) << ", 'gldm_a': " << PyNumber(s.gldm_a)
    << ", 'correctMask': " << boolean(s.correct_mask) << ", 'ibsi': " << boolean(s.ibsi) << "}";
  return o.str();
}

std::string ImageTypesToString(const Params& params) {
  std::string out = "{";
  for (size_t i = 0; i < params.image_types.size(); ++i) {
    if (i) out += ", ";
    out += "'" + params.image_types[i].name + "': " + params.image_types[i].overrides;
  }
  return out + "}";
}

}  // namespace amdrn::radiomics
