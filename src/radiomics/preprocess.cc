#include "radiomics/preprocess.h"

#include <itkBSplineInterpolateImageFunction.h>
#include <itkImageIOBase.h>
#include <itkImageIOFactory.h>
#include <itkLinearInterpolateImageFunction.h>
#include <itkNearestNeighborInterpolateImageFunction.h>
#include <itkResampleImageFilter.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <limits>
#include <set>

#include "core/file_util.h"
#include "io/itk_bridge.h"

namespace amdrn::radiomics {
namespace {

std::string Tuple3(const Vec3& v) {
  return "(" + PyRepr(v[0]) + ", " + PyRepr(v[1]) + ", " + PyRepr(v[2]) + ")";
}
std::string Tuple3(const Index3& v) {
  return "(" + std::to_string(v[0]) + ", " + std::to_string(v[1]) + ", " + std::to_string(v[2]) +
         ")";
}

using ItkReal = io::ItkImage<double>;
using ItkLabel = io::ItkImage<uint8_t>;

// Resamples `input` onto `grid` with the given ITK interpolator (default value 0).
template <typename Pixel, typename Interpolator>
StatusOr<typename io::ItkImage<Pixel>::Pointer> ResampleOnto(
    typename io::ItkImage<Pixel>::Pointer input, const Geometry& grid,
    typename Interpolator::Pointer interpolator) {
  using Image = io::ItkImage<Pixel>;
  auto reference = Image::New();
  io::CopyGeometryToItk(grid, reference.GetPointer());
  auto filter = itk::ResampleImageFilter<Image, Image, double>::New();
  filter->SetInput(input);
  filter->SetInterpolator(interpolator);
  filter->SetOutputParametersFromImage(reference);
  filter->SetDefaultPixelValue(0);
  try {
    filter->Update();
  } catch (const itk::ExceptionObject& e) {
    return InternalError(std::string("resampling failed: ") + e.GetDescription());
  }
  return typename Image::Pointer(filter->GetOutput());
}

StatusOr<RealVolume> ResampleIntensities(const RealVolume& image, const Geometry& grid,
                                         const std::string& name) {
  ItkReal::Pointer input = io::ToItk<double>(image);
  StatusOr<ItkReal::Pointer> out = InvalidArgumentError("");
  if (name == "sitkBSpline") {
    using Interp = itk::BSplineInterpolateImageFunction<ItkReal, double, double>;
    auto interp = Interp::New();
    interp->SetSplineOrder(3);
    out = ResampleOnto<double, Interp>(input, grid, interp);
  } else if (name == "sitkLinear") {
    using Interp = itk::LinearInterpolateImageFunction<ItkReal, double>;
    out = ResampleOnto<double, Interp>(input, grid, Interp::New());
  } else if (name == "sitkNearestNeighbor") {
    using Interp = itk::NearestNeighborInterpolateImageFunction<ItkReal, double>;
    out = ResampleOnto<double, Interp>(input, grid, Interp::New());
  } else {
    return InvalidArgumentError("expected interpolator sitkNearestNeighbor, sitkLinear or "
                                "sitkBSpline, found '" + name + "'");
  }
  if (!out.ok()) return out.status();
  return io::FromItk<double>(out.value().GetPointer());
}

StatusOr<LabelMap> ResampleMaskNearest(const LabelMap& mask, const Geometry& grid) {
  using Interp = itk::NearestNeighborInterpolateImageFunction<ItkLabel, double>;
  AMDRN_ASSIGN_OR_RETURN(ItkLabel::Pointer out,
                         (ResampleOnto<uint8_t, Interp>(io::ToItk<uint8_t>(mask), grid,
                                                        Interp::New())));
  return io::FromItk<uint8_t>(out.GetPointer());
}

// IBSI: the binary ROI interpolated linearly and kept where the fraction is >= 0.5.
StatusOr<LabelMap> ResampleMaskPartialVolume(const LabelMap& mask, int label,
                                             const Geometry& grid) {
  RealVolume fraction(mask.geometry());
  for (int64_t n = 0; n < mask.NumVoxels(); ++n) fraction.data()[n] = mask.data()[n] == label;
  AMDRN_ASSIGN_OR_RETURN(RealVolume resampled, ResampleIntensities(fraction, grid, "sitkLinear"));
  LabelMap out(grid);
  for (int64_t n = 0; n < out.NumVoxels(); ++n) {
    out.data()[n] = resampled.data()[n] >= 0.5 ? static_cast<uint8_t>(label) : 0;
  }
  return out;
}

bool AllClose(const Vec3& a, const Vec3& b) {  // numpy.allclose defaults
  for (int c = 0; c < 3; ++c) {
    if (std::fabs(a[c] - b[c]) > 1e-8 + 1e-5 * std::fabs(b[c])) return false;
  }
  return true;
}

// Continuous index bounds of the ROI (voxel corners) in the image's index space must lie
// within [-0.5, size - 0.5] (1e-3 tolerance), as PyRadiomics _checkROI.
Status CheckRoiInsideImage(const Geometry& image, const Geometry& mask, const BoundingBox& box) {
  Vec3 lo, hi;
  for (int c = 0; c < 3; ++c) {
    lo[c] = box.lower[c] - 0.5;
    hi[c] = box.upper[c] + 0.5;
  }
  const Vec3 a = image.PointToIndex(mask.IndexToPoint(lo));
  const Vec3 b = image.PointToIndex(mask.IndexToPoint(hi));
  for (int c = 0; c < 3; ++c) {
    if (std::min(a[c], b[c]) < -0.5 - 1e-3 || std::max(a[c], b[c]) > image.size[c] - 0.5 + 1e-3) {
      return FailedPreconditionError("expected the ROI inside the image's physical extent, found "
                                     "its bounding box partly outside the image");
    }
  }
  return OkStatus();
}

void TruncateToPixelType(const PixelTypeInfo& type, RealVolume* image) {
  if (!type.integer) return;
  for (double& v : image->voxels()) v = std::trunc(std::clamp(v, type.min, type.max));
}

}  // namespace

std::string PyRepr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  std::string text = buffer;
  // Python switches to exponent notation at 1e16; %g already at 10^precision.
  const size_t e = text.find('e');
  if (e != std::string::npos) {
    const int exponent = std::atoi(text.c_str() + e + 1);
    if (exponent >= -4 && exponent < 16) {
      std::snprintf(buffer, sizeof(buffer), "%.1f", value);
      text = buffer;
    } else {  // Python writes 1e-05 as 1e-05: keep two exponent digits
      return text;
    }
  }
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

StatusOr<PixelTypeInfo> ReadPixelTypeInfo(const std::string& path) {
  if (!PathExists(path)) return NotFoundError("image file not found: " + path);
  itk::ImageIOBase::Pointer io =
      itk::ImageIOFactory::CreateImageIO(path.c_str(),
                                         itk::ImageIOFactory::IOFileModeEnum::ReadMode);
  if (!io) return PixelTypeInfo{};  // a DICOM folder or unknown: treat as real-valued
  try {
    io->SetFileName(path);
    io->ReadImageInformation();
  } catch (const itk::ExceptionObject& e) {
    return DataLossError("cannot read the header of " + path + ": " + e.GetDescription());
  }
  using C = itk::IOComponentEnum;
  PixelTypeInfo info;
  info.integer = true;
  switch (io->GetComponentType()) {
    case C::UCHAR: info.min = 0, info.max = 255; break;
    case C::CHAR: info.min = -128, info.max = 127; break;
    case C::USHORT: info.min = 0, info.max = 65535; break;
    case C::SHORT: info.min = -32768, info.max = 32767; break;
    case C::UINT: info.min = 0, info.max = 4294967295.0; break;
    case C::INT: info.min = -2147483648.0, info.max = 2147483647.0; break;
    default: info.integer = false;
  }
  return info;
}

int64_t CountLabel(const LabelMap& mask, int label) {
  return std::count(mask.voxels().begin(), mask.voxels().end(), static_cast<uint8_t>(label));
}

StatusOr<BoundingBox> LabelBoundingBox(const LabelMap& mask, int label) {
  BoundingBox box;
  box.lower = mask.size();
  bool found = false;
  const Index3& size = mask.size();
  for (int64_t k = 0; k < size[2]; ++k) {
    for (int64_t j = 0; j < size[1]; ++j) {
      const uint8_t* row = mask.data() + mask.Offset(0, j, k);
      int64_t first = -1, last = -1;
      for (int64_t i = 0; i < size[0]; ++i) {
        if (row[i] != label) continue;
        if (first < 0) first = i;
        last = i;
      }
      if (first < 0) continue;
      found = true;
      box.lower = {std::min(box.lower[0], first), std::min(box.lower[1], j),
                   std::min(box.lower[2], k)};
      box.upper = {std::max(box.upper[0], last), std::max(box.upper[1], j),
                   std::max(box.upper[2], k)};
    }
  }
  if (!found) {
    std::set<int> present;
    for (uint8_t v : mask.voxels()) {
      if (v != 0) present.insert(v);
    }
    std::string labels;
    for (int v : present) labels += (labels.empty() ? "" : ", ") + std::to_string(v);
    return NotFoundError("label " + std::to_string(label) + " is absent from the mask (labels "
                         "present: " + (labels.empty() ? "none, the mask is empty" : labels) +
                         ")");
  }
  return box;
}

StatusOr<BoundingBox> CheckMask(const LabelMap& mask, const MaskCheckOptions& options) {
  AMDRN_ASSIGN_OR_RETURN(BoundingBox box, LabelBoundingBox(mask, options.label));
  const Index3 size = box.Size();
  const int dims = (size[0] > 1) + (size[1] > 1) + (size[2] > 1);
  if (dims == 0) {
    return FailedPreconditionError("expected an ROI of more than one voxel, found a single voxel "
                                   "with label " + std::to_string(options.label));
  }
  if (dims < options.minimum_roi_dimensions) {
    return FailedPreconditionError(
        "expected an ROI spanning at least " + std::to_string(options.minimum_roi_dimensions) +
        " dimensions (minimumROIDimensions), found " + std::to_string(dims) + " (bounding box " +
        Tuple3(size) + " voxels)");
  }
  if (options.minimum_roi_size) {
    const int64_t count = CountLabel(mask, options.label);
    if (count <= *options.minimum_roi_size) {
      return FailedPreconditionError("expected an ROI of more than " +
                                     std::to_string(*options.minimum_roi_size) +
                                     " voxels (minimumROISize), found " + std::to_string(count));
    }
  }
  return box;
}

Status CheckImageMaskGeometry(const Geometry& image, const Geometry& mask, double tolerance) {
  Status status = CheckSameGeometry(image, mask, "image", "mask", tolerance);
  if (status.ok()) return status;
  return FailedPreconditionError(status.message() +
                                 "; fix: resample the mask onto the image, enable correctMask, "
                                 "or raise geometryTolerance");
}

StatusOr<LabelMap> CorrectMask(const Geometry& image, const LabelMap& mask, int label) {
  AMDRN_ASSIGN_OR_RETURN(BoundingBox box, LabelBoundingBox(mask, label));
  AMDRN_RETURN_IF_ERROR(CheckRoiInsideImage(image, mask.geometry(), box));
  return ResampleMaskNearest(mask, image);
}

RealVolume NormalizeImage(const RealVolume& image, double scale,
                          std::optional<double> remove_outliers) {
  long double sum = 0.0L, sum2 = 0.0L;
  for (double v : image.voxels()) {
    sum += v;
    sum2 += static_cast<long double>(v) * v;
  }
  const double n = static_cast<double>(image.NumVoxels());
  const double mean = static_cast<double>(sum / n);
  const double variance = static_cast<double>((sum2 - sum * sum / n) / (n - 1));
  const double sd = variance > 0 ? std::sqrt(variance) : 1.0;
  RealVolume out(image.geometry());
  for (int64_t i = 0; i < image.NumVoxels(); ++i) {
    double v = (image.data()[i] - mean) / sd;
    if (remove_outliers) v = std::clamp(v, -*remove_outliers, *remove_outliers);
    out.data()[i] = v * scale;
  }
  return out;
}

StatusOr<LabelMap> ResegmentMask(const RealVolume& image, const LabelMap& mask, int label,
                                 const std::vector<double>& range, const std::string& mode) {
  if (range.empty() || range.size() > 2) {
    return InvalidArgumentError("expected resegmentRange of 1 or 2 values, found " +
                                std::to_string(range.size()));
  }
  std::vector<double> thresholds = range;
  std::sort(thresholds.begin(), thresholds.end());
  std::vector<double> values;
  for (int64_t n = 0; n < mask.NumVoxels(); ++n) {
    if (mask.data()[n] == label) values.push_back(image.data()[n]);
  }
  if (values.empty()) return NotFoundError("label " + std::to_string(label) + " is absent");
  if (mode == "relative") {
    const double max = *std::max_element(values.begin(), values.end());
    for (double& t : thresholds) t *= max;
  } else if (mode == "sigma") {
    double mean = 0.0, var = 0.0;
    for (double v : values) mean += v;
    mean /= values.size();
    for (double v : values) var += (v - mean) * (v - mean);
    const double sd = std::sqrt(var / values.size());
    for (double& t : thresholds) t = mean + sd * t;
  } else if (mode != "absolute") {
    return InvalidArgumentError("expected resegmentMode absolute, relative or sigma, found '" +
                                mode + "'");
  }
  LabelMap out(mask.geometry(), 0);
  int64_t kept = 0;
  for (int64_t n = 0; n < mask.NumVoxels(); ++n) {
    if (mask.data()[n] != label) continue;
    const double v = image.data()[n];
    if (v < thresholds[0] || (thresholds.size() == 2 && v > thresholds[1])) continue;
    out.data()[n] = static_cast<uint8_t>(label);
    ++kept;
  }
  if (kept <= 1) {
    return FailedPreconditionError("expected more than one ROI voxel after resegmentation, found " +
                                   std::to_string(kept) + " of " + std::to_string(values.size()));
  }
  return out;
}

ImageAndMask CropToBox(const RealVolume& image, const LabelMap& mask, const BoundingBox& box,
                       int pad) {
  Index3 lower, size;
  for (int c = 0; c < 3; ++c) {
    lower[c] = std::max<int64_t>(box.lower[c] - pad, 0);
    const int64_t upper = std::min<int64_t>(box.upper[c] + pad, mask.size()[c] - 1);
    size[c] = upper - lower[c] + 1;
  }
  return {CropVolume(image, lower, size), CropVolume(mask, lower, size)};
}

StatusOr<ImageAndMask> ResampleImageAndMask(const RealVolume& image, const LabelMap& mask,
                                            const ResampleOptions& options) {
  if (options.spacing_mm.size() != 3) {
    return InvalidArgumentError("expected 3 resampled spacings, found " +
                                std::to_string(options.spacing_mm.size()));
  }
  const Geometry& mg = mask.geometry();
  AMDRN_ASSIGN_OR_RETURN(BoundingBox box, LabelBoundingBox(mask, options.label));
  AMDRN_RETURN_IF_ERROR(CheckRoiInsideImage(image.geometry(), mg, box));
  const Index3 box_size = box.Size();
  Vec3 spacing;
  for (int c = 0; c < 3; ++c) {
    spacing[c] = options.spacing_mm[c] == 0 ? mg.spacing_mm[c] : options.spacing_mm[c];
    if (box_size[c] == 1) spacing[c] = mg.spacing_mm[c];  // a one-slice axis stays as it is
  }
  if (AllClose(image.geometry().spacing_mm, spacing)) {
    AMDRN_ASSIGN_OR_RETURN(LabelMap on_image, ResampleMaskNearest(mask, image.geometry()));
    AMDRN_ASSIGN_OR_RETURN(BoundingBox b, LabelBoundingBox(on_image, options.label));
    return CropToBox(image, on_image, b, options.pad_distance);
  }
  Geometry grid = mg;
  Vec3 origin_index;  // new grid's voxel 0 in the mask's continuous index space
  for (int c = 0; c < 3; ++c) {
    const double ratio = mg.spacing_mm[c] / spacing[c];
    double shift = 0.5 * (spacing[c] - mg.spacing_mm[c]) / mg.spacing_mm[c];  // corner-aligned
    if (options.ibsi) {  // centre-aligned: same grid centre as the original image
      const double full = std::ceil(mg.size[c] * ratio);
      shift = 0.5 * (mg.size[c] - 1) - 0.5 * (full - 1) / ratio;
    }
    double lb = std::floor((box.lower[c] - 0.5 - shift) * ratio - options.pad_distance);
    double ub = std::ceil((box.upper[c] + 0.5 - shift) * ratio + options.pad_distance);
    if (!options.ibsi) {
      lb = std::floor((box.lower[c] - 0.5) * ratio - options.pad_distance);
      ub = std::ceil((box.upper[c] + 0.5) * ratio + options.pad_distance);
    }
    const double max_ub = std::ceil(mg.size[c] * ratio) - 1;
    lb = std::max(lb, 0.0);
    ub = std::min(ub, max_ub);
    grid.size[c] = static_cast<int64_t>(ub - lb + 1);
    grid.spacing_mm[c] = spacing[c];
    origin_index[c] = shift + lb / ratio;
  }
  grid.origin_lps = mg.IndexToPoint(origin_index);
  AMDRN_ASSIGN_OR_RETURN(RealVolume resampled,
                         ResampleIntensities(image, grid, options.interpolator));
  if (options.ibsi && options.pixel_type.integer) {
    for (double& v : resampled.voxels()) v = std::round(v);  // IBSI: round to integers
  } else {
    TruncateToPixelType(options.pixel_type, &resampled);
  }
  StatusOr<LabelMap> new_mask = options.ibsi
                                    ? ResampleMaskPartialVolume(mask, options.label, grid)
                                    : ResampleMaskNearest(mask, grid);
  if (!new_mask.ok()) return new_mask.status();
  return ImageAndMask{std::move(resampled), std::move(new_mask).value()};
}

int CountConnectedComponents(const LabelMap& mask, int label) {
  // 26-connected components, searched only inside the label's bounding box.
  StatusOr<BoundingBox> found = LabelBoundingBox(mask, label);
  if (!found.ok()) return 0;
  const BoundingBox box = *found;
  const Index3 s = box.Size();
  std::vector<uint8_t> todo(static_cast<size_t>(s[0] * s[1] * s[2]));
  for (int64_t k = 0; k < s[2]; ++k) {
    for (int64_t j = 0; j < s[1]; ++j) {
      const uint8_t* row = mask.data() + mask.Offset(box.lower[0], box.lower[1] + j,
                                                     box.lower[2] + k);
      uint8_t* dst = todo.data() + s[0] * (j + s[1] * k);
      for (int64_t i = 0; i < s[0]; ++i) dst[i] = row[i] == label;
    }
  }
  int components = 0;
  std::vector<int64_t> stack;
  for (int64_t start = 0; start < static_cast<int64_t>(todo.size()); ++start) {
    if (!todo[start]) continue;
    ++components;
    todo[start] = 0;
    stack.push_back(start);
    while (!stack.empty()) {
      const int64_t n = stack.back();
      stack.pop_back();
      const int64_t i = n % s[0], j = (n / s[0]) % s[1], k = n / (s[0] * s[1]);
      for (int64_t kk = std::max<int64_t>(0, k - 1); kk <= std::min(s[2] - 1, k + 1); ++kk) {
        for (int64_t jj = std::max<int64_t>(0, j - 1); jj <= std::min(s[1] - 1, j + 1); ++jj) {
          for (int64_t ii = std::max<int64_t>(0, i - 1); ii <= std::min(s[0] - 1, i + 1); ++ii) {
            const int64_t m = ii + s[0] * (jj + s[1] * kk);
            if (!todo[m]) continue;
            todo[m] = 0;
            stack.push_back(m);
          }
        }
      }
    }
  }
  return components;
}

void AddImageDiagnostics(const RealVolume& image, const std::string& stage, Diagnostics* out) {
  const std::string p = "Image-" + stage + "_";
  if (stage == "original") out->push_back({p + "Dimensionality", "3D"});
  out->push_back({p + "Spacing", Tuple3(image.geometry().spacing_mm)});
  out->push_back({p + "Size", Tuple3(image.size())});
  long double sum = 0.0L;
  double min = std::numeric_limits<double>::infinity(), max = -min;
  for (double v : image.voxels()) {
    sum += v;
    min = std::min(min, v);
    max = std::max(max, v);
  }
  out->push_back({p + "Mean", PyRepr(static_cast<double>(sum / image.NumVoxels()))});
  out->push_back({p + "Minimum", PyRepr(min)});
  out->push_back({p + "Maximum", PyRepr(max)});
}

void AddMaskDiagnostics(const RealVolume* image, const LabelMap& mask, int label,
                        const std::string& stage, Diagnostics* out) {
  const std::string p = "Mask-" + stage + "_";
  out->push_back({p + "Spacing", Tuple3(mask.geometry().spacing_mm)});
  out->push_back({p + "Size", Tuple3(mask.size())});
  StatusOr<BoundingBox> box = LabelBoundingBox(mask, label);
  if (!box.ok()) return;
  const Index3 size = box->Size();
  out->push_back({p + "BoundingBox", "(" + std::to_string(box->lower[0]) + ", " +
                                         std::to_string(box->lower[1]) + ", " +
                                         std::to_string(box->lower[2]) + ", " +
                                         std::to_string(size[0]) + ", " + std::to_string(size[1]) +
                                         ", " + std::to_string(size[2]) + ")"});
  Vec3 centre = {0, 0, 0};
  int64_t count = 0;
  long double sum = 0.0L;
  double min = std::numeric_limits<double>::infinity(), max = -min;
  for (int64_t k = 0; k < mask.size()[2]; ++k) {
    for (int64_t j = 0; j < mask.size()[1]; ++j) {
      for (int64_t i = 0; i < mask.size()[0]; ++i) {
        if (mask.at(i, j, k) != label) continue;
        centre[0] += i, centre[1] += j, centre[2] += k;
        ++count;
        if (image) {
          const double v = image->at(i, j, k);
          sum += v;
          min = std::min(min, v);
          max = std::max(max, v);
        }
      }
    }
  }
  for (double& c : centre) c /= count;
  out->push_back({p + "VoxelNum", std::to_string(count)});
  out->push_back({p + "VolumeNum", std::to_string(CountConnectedComponents(mask, label))});
  out->push_back({p + "CenterOfMassIndex", Tuple3(centre)});
  out->push_back({p + "CenterOfMass", Tuple3(mask.geometry().IndexToPoint(centre))});
  if (!image) return;
  out->push_back({p + "Mean", PyRepr(static_cast<double>(sum / count))});
  out->push_back({p + "Minimum", PyRepr(min)});
  out->push_back({p + "Maximum", PyRepr(max)});
}

}  // namespace amdrn::radiomics
