#include "radiomics/filters.h"

#include <itkBSplineInterpolateImageFunction.h>
#include <itkGradientMagnitudeImageFilter.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstdio>
#include <map>
#include <utility>

#include "core/logging.h"
#include "io/itk_bridge.h"

namespace amdrn::radiomics {
namespace {

double MaxAbs(const RealVolume& image) {
  double m = 0.0;
  for (double v : image.voxels()) m = std::max(m, std::fabs(v));
  return m;
}

}  // namespace

std::string LogSigmaName(double sigma_mm) {
  // Python's str(float): shortest repr, always with a fractional part.
  char buffer[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, sigma_mm);
    if (std::strtod(buffer, nullptr) == sigma_mm) break;
  }
  std::string text = buffer;
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  std::replace(text.begin(), text.end(), '.', '-');
  return text;
}

// f(x) = (c x)^2 with c = 1 / sqrt(max|x|) (PyRadiomics getSquareImage).
RealVolume SquareImage(const RealVolume& image) {
  RealVolume out(image.geometry());
  const double coeff = 1.0 / std::sqrt(MaxAbs(image));
  for (int64_t n = 0; n < image.NumVoxels(); ++n) {
    const double v = coeff * image.data()[n];
    out.data()[n] = v * v;
  }
  return out;
}

// f(x) = sign(x) sqrt(c |x|) with c = max|x| (PyRadiomics getSquareRootImage).
RealVolume SquareRootImage(const RealVolume& image) {
  RealVolume out(image.geometry());
  const double coeff = MaxAbs(image);
  for (int64_t n = 0; n < image.NumVoxels(); ++n) {
    const double v = image.data()[n];
    out.data()[n] = v > 0 ? std::sqrt(v * coeff) : (v < 0 ? -std::sqrt(-v * coeff) : 0.0);
  }
  return out;
}

// f(x) = sign(x) log(|x| + 1), rescaled so that max|f| = max|x| (getLogarithmImage).
RealVolume LogarithmImage(const RealVolume& image) {
  RealVolume out(image.geometry());
  const double in_max = MaxAbs(image);
  for (int64_t n = 0; n < image.NumVoxels(); ++n) {
    const double v = image.data()[n];
    out.data()[n] = v > 0 ? std::log(v + 1.0) : (v < 0 ? -std::log(-(v - 1.0)) : 0.0);
  }
  const double scale = in_max / MaxAbs(out);
  for (double& v : out.voxels()) v *= scale;
  return out;
}

// f(x) = exp(c x) with c = log(max|x|) / max|x| (getExponentialImage).
RealVolume ExponentialImage(const RealVolume& image) {
  RealVolume out(image.geometry());
  const double in_max = MaxAbs(image);
  const double coeff = std::log(in_max) / in_max;
  for (int64_t n = 0; n < image.NumVoxels(); ++n) out.data()[n] = std::exp(coeff * image.data()[n]);
  return out;
}

StatusOr<RealVolume> GradientImage(const RealVolume& image, bool use_spacing) {
  using ItkReal = io::ItkImage<double>;
  auto filter = itk::GradientMagnitudeImageFilter<ItkReal, ItkReal>::New();
  filter->SetInput(io::ToItk<double>(image));
  filter->SetUseImageSpacing(use_spacing);
  try {
    filter->Update();
  } catch (const itk::ExceptionObject& e) {
    return InternalError(std::string("gradient filter failed: ") + e.GetDescription());
  }
  return io::FromItk<double>(filter->GetOutput());
}

namespace {

// Vertices of an icosphere: the icosahedron, each face split in four `subdivisions` times,
// every vertex projected onto the sphere of `radius` (the set trimesh.creation.icosphere
// builds; the LBP result does not depend on vertex order).
std::vector<Vec3> IcosphereVertices(int subdivisions, double radius) {
  const double phi = (1.0 + std::sqrt(5.0)) / 2.0;
  std::vector<Vec3> v;
  for (double a : {-1.0, 1.0}) {
    for (double b : {-phi, phi}) {
      v.push_back({a, b, 0});
      v.push_back({0, a, b});
      v.push_back({b, 0, a});
    }
  }
  auto dist2 = [](const Vec3& p, const Vec3& q) {
    return (p[0] - q[0]) * (p[0] - q[0]) + (p[1] - q[1]) * (p[1] - q[1]) +
           (p[2] - q[2]) * (p[2] - q[2]);
  };
  std::vector<std::array<size_t, 3>> faces;  // triples of mutually adjacent vertices
  for (size_t a = 0; a < v.size(); ++a) {
    for (size_t b = a + 1; b < v.size(); ++b) {
      for (size_t c = b + 1; c < v.size(); ++c) {
        if (std::fabs(dist2(v[a], v[b]) - 4) < 1e-9 && std::fabs(dist2(v[a], v[c]) - 4) < 1e-9 &&
            std::fabs(dist2(v[b], v[c]) - 4) < 1e-9) {
          faces.push_back({a, b, c});
        }
      }
    }
  }
  auto normalise = [](Vec3 p) {
    const double n = std::sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
    return Vec3{p[0] / n, p[1] / n, p[2] / n};
  };
  for (Vec3& p : v) p = normalise(p);
  for (int s = 0; s < subdivisions; ++s) {
    std::map<std::pair<size_t, size_t>, size_t> midpoints;
    auto midpoint = [&](size_t a, size_t b) {
      const auto key = std::minmax(a, b);
      auto it = midpoints.find(key);
      if (it != midpoints.end()) return it->second;
      v.push_back(normalise({(v[a][0] + v[b][0]) / 2, (v[a][1] + v[b][1]) / 2,
                             (v[a][2] + v[b][2]) / 2}));
      midpoints[key] = v.size() - 1;
      return v.size() - 1;
    };
    std::vector<std::array<size_t, 3>> next;
    for (const auto& f : faces) {
      const size_t ab = midpoint(f[0], f[1]), bc = midpoint(f[1], f[2]), ca = midpoint(f[2], f[0]);
      next.push_back({f[0], ab, ca});
      next.push_back({f[1], bc, ab});
      next.push_back({f[2], ca, bc});
      next.push_back({ab, bc, ca});
    }
    faces = std::move(next);
  }
  for (Vec3& p : v) p = {p[0] * radius, p[1] * radius, p[2] * radius};
  return v;
}

// Associated Legendre P_n^m(x) with the Condon-Shortley phase, m >= 0.
double Legendre(int n, int m, double x) {
  double pmm = 1.0;
  const double s = std::sqrt(std::max(0.0, 1.0 - x * x));
  for (int i = 1; i <= m; ++i) pmm *= -(2.0 * i - 1.0) * s;
  if (n == m) return pmm;
  double pm1 = x * (2.0 * m + 1.0) * pmm;
  if (n == m + 1) return pm1;
  double pn = 0.0;
  for (int l = m + 2; l <= n; ++l) {
    pn = ((2.0 * l - 1.0) * x * pm1 - (l + m - 1.0) * pmm) / (l - m);
    pmm = pm1;
    pm1 = pn;
  }
  return pn;
}

// scipy.special.sph_harm(m, n, azimuth, polar).
std::complex<double> SphHarm(int m, int n, double azimuth, double polar) {
  const int am = std::abs(m);
  double ratio = 1.0;  // (n - |m|)! / (n + |m|)!
  for (int i = n - am + 1; i <= n + am; ++i) ratio /= i;
  double p = Legendre(n, am, std::cos(polar));
  double norm = std::sqrt((2.0 * n + 1.0) / (4.0 * M_PI) * ratio);
  if (m < 0) {  // P_n^{-m} = (-1)^m (n-m)!/(n+m)! P_n^m, normalised with (n+m)!/(n-m)!
    norm = std::sqrt((2.0 * n + 1.0) / (4.0 * M_PI) / ratio);
    p *= ((am % 2) ? -1.0 : 1.0) * ratio;
  }
  return norm * p * std::exp(std::complex<double>(0.0, m * azimuth));
}

}  // namespace

Status Lbp3dImages(const RealVolume& image, const LabelMap& roi, const Lbp3dOptions& options,
                   const DerivedImageFn& fn) {
  if (!image.geometry().SameAs(roi.geometry())) {
    return InvalidArgumentError("LBP3D expects the ROI mask on the image grid");
  }
  const std::vector<Vec3> vertices =
      IcosphereVertices(options.icosphere_subdivision, options.icosphere_radius);
  // PyRadiomics passes the polar angle where scipy expects the azimuth and vice versa.
  std::vector<std::vector<std::complex<double>>> y(vertices.size());
  std::vector<int> degree;
  for (int n = 0; n < options.levels; ++n) {
    for (int m = -n; m <= n; ++m) degree.push_back(n);
  }
  for (size_t v = 0; v < vertices.size(); ++v) {
    const double theta = std::acos(vertices[v][2] / options.icosphere_radius);
    const double phi = std::atan2(vertices[v][1], vertices[v][0]);
    for (int n = 0; n < options.levels; ++n) {
      for (int m = -n; m <= n; ++m) y[v].push_back(SphHarm(m, n, theta, phi));
    }
  }
  using ItkReal = io::ItkImage<double>;
  using Interp = itk::BSplineInterpolateImageFunction<ItkReal, double, double>;
  ItkReal::Pointer itk_image = io::ToItk<double>(image);
  auto interp = Interp::New();
  interp->SetSplineOrder(3);
  interp->SetInputImage(itk_image);
  std::vector<RealVolume> levels(options.levels, RealVolume(image.geometry(), 0.0));
  RealVolume kurtosis(image.geometry(), 0.0);
  std::vector<double> samples(vertices.size());
  for (int64_t k = 0; k < image.size()[2]; ++k) {
    for (int64_t j = 0; j < image.size()[1]; ++j) {
      for (int64_t i = 0; i < image.size()[0]; ++i) {
        if (!roi.at(i, j, k)) continue;
        // Vertex (a, b, c) offsets numpy (z, y, x) coordinates: i += c, j += b, k += a.
        for (size_t v = 0; v < vertices.size(); ++v) {
          Interp::ContinuousIndexType index;
          index[0] = i + vertices[v][2];
          index[1] = j + vertices[v][1];
          index[2] = k + vertices[v][0];
          samples[v] = interp->IsInsideBuffer(index) ? interp->EvaluateAtContinuousIndex(index)
                                                     : 0.0;
        }
        double mean = 0.0, m2 = 0.0, m4 = 0.0;
        for (double s : samples) mean += s;
        mean /= samples.size();
        for (double s : samples) {
          const double d2 = (s - mean) * (s - mean);
          m2 += d2;
          m4 += d2 * d2;
        }
        m2 /= samples.size();
        m4 /= samples.size();
        kurtosis.at(i, j, k) = m2 > 0 ? m4 / (m2 * m2) - 3.0 : 0.0;  // scipy: NaN when flat
        const double centre = image.at(i, j, k);
        std::vector<std::complex<double>> c(degree.size(), 0.0);
        for (size_t v = 0; v < vertices.size(); ++v) {
          if (samples[v] < centre) continue;
          for (size_t h = 0; h < degree.size(); ++h) c[h] += y[v][h];
        }
        for (int n = 0; n < options.levels; ++n) {
          std::complex<double> sum = 0.0;
          for (size_t v = 0; v < vertices.size(); ++v) {
            std::complex<double> g = 0.0;
            for (size_t h = 0; h < degree.size(); ++h) {
              if (degree[h] == n) g += c[h] * y[v][h];
            }
            sum += g * g;
          }
          levels[n].at(i, j, k) = std::sqrt(sum).real();
        }
      }
    }
  }
  for (int n = 0; n < options.levels; ++n) {
    AMDRN_RETURN_IF_ERROR(fn("lbp-3D-m" + std::to_string(n + 1), std::move(levels[n])));
  }
  return fn("lbp-3D-k", std::move(kurtosis));
}

}  // namespace amdrn::radiomics
