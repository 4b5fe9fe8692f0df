// Image filters that derive the "image types" of PyRadiomics from an (optionally
// preprocessed) image: LoG, undecimated wavelet, square, square root, logarithm,
// exponential, gradient magnitude and 3D local binary patterns. Each filter reproduces
// PyRadiomics 3.x (imageoperations.get<Name>Image) including its output names, its size
// rules and its boundary handling. All functions are pure and thread-safe.
#ifndef AMDRN_RADIOMICS_FILTERS_H_
#define AMDRN_RADIOMICS_FILTERS_H_

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/volume.h"

namespace amdrn::radiomics {

using RealVolume = Volume<double>;

// Receives one derived image with its PyRadiomics prefix ("log-sigma-1-0-mm-3D",
// "wavelet-LLH", ...). The receiver may keep the image (move from it).
using DerivedImageFn = std::function<Status(const std::string& prefix, RealVolume&& image)>;

// The part of the image grid a filter must compute: voxels [lower, lower + size). LoG and
// wavelet compute only there (plus what their support needs), with values identical to the
// whole-image filter, and yield images of `size` whose origin is the region's corner. An
// empty size means the whole image.
struct FilterRegion {
  Index3 lower = {0, 0, 0};
  Index3 size = {0, 0, 0};
  FilterRegion Resolve(const Geometry& image) const;  // the whole image when empty
};

// PyRadiomics' name for a sigma: str(float) with '.' replaced by '-' ("1-0", "0-5", "2-25").
std::string LogSigmaName(double sigma_mm);

// Laplacian of Gaussian (ITK recursive Gaussian, normalised across scale), one image per
// sigma in mm, named log-sigma-<s>-mm-3D. As PyRadiomics: nothing when a side has fewer
// than 4 voxels; a sigma is skipped (with a warning) when it is <= 0 or when some side has
// fewer than ceil(sigma / spacing) + 1 voxels.
// Computed as itk::LaplacianRecursiveGaussianImageFilter (float intermediates) but only on
// the lines `region` needs; values equal ITK's (see filters_test.cc).
Status LogImages(const RealVolume& image, const std::vector<double>& sigmas_mm,
                 const DerivedImageFn& fn, const FilterRegion& region = {});

struct WaveletOptions {
  std::string wavelet = "coif1";  // haar, db1-db10, sym2-sym10, coif1-coif5
  int level = 1;                  // number of levels that yield images
  int start_level = 0;            // levels decomposed (approximation only) before those
  // force2D: the axis (0 = x, 1 = y, 2 = z... in PyRadiomics' numpy z,y,x order, see .cc)
  // left undecomposed; -1 decomposes all three axes.
  int skip_axis = -1;
};

// Names of the wavelets WaveletImages accepts.
std::vector<std::string> SupportedWavelets();
// Decomposition low- and high-pass filters as PyWavelets builds them (dec_lo, dec_hi).
Status WaveletFilters(const std::string& name, std::vector<double>* lo, std::vector<double>* hi);

// Stationary (undecimated) wavelet transform as pywt.swtn with periodic extension after
// PyRadiomics' wrap-padding of odd sides. Yields, per level, the 7 detail decompositions
// (LLH, LHL, LHH, HLL, HLH, HHL, HHH; letters in x, y, z order) and then the final
// approximation LLL, named wavelet-<XYZ> (wavelet<level>-<XYZ> beyond the first level).
Status WaveletImages(const RealVolume& image, const WaveletOptions& options,
                     const DerivedImageFn& fn, const FilterRegion& region = {});

// Point-wise filters rescaled to the range of the input (PyRadiomics' formulas).
RealVolume SquareImage(const RealVolume& image);
RealVolume SquareRootImage(const RealVolume& image);
RealVolume LogarithmImage(const RealVolume& image);
RealVolume ExponentialImage(const RealVolume& image);

// Gradient magnitude (ITK central differences, zero-flux Neumann boundary); with
// use_spacing the derivatives are per mm, else per voxel.
StatusOr<RealVolume> GradientImage(const RealVolume& image, bool use_spacing);

struct Lbp3dOptions {
  int levels = 2;                  // spherical-harmonic degrees 0 .. levels-1
  double icosphere_radius = 1.0;   // voxels
  int icosphere_subdivision = 1;
};

// 3D LBP by spherical harmonics (Banerjee et al. 2013, as PyRadiomics getLBP3DImage):
// images lbp-3D-m1 .. lbp-3D-m<levels> and the spherical kurtosis lbp-3D-k, defined on the
// voxels where roi != 0 (0 elsewhere). Neighbours are sampled with cubic B-splines.
Status Lbp3dImages(const RealVolume& image, const LabelMap& roi, const Lbp3dOptions& options,
                   const DerivedImageFn& fn);

}  // namespace amdrn::radiomics

#endif  // AMDRN_RADIOMICS_FILTERS_H_
