// Radiomics feature families (first order, shape, GLCM, GLRLM, GLSZM, GLDM, NGTDM and the
// IBSI-only GLDZM, NGLDM, intensity histogram, intensity-volume histogram and local intensity)
// computed on one region of interest. Each family returns an ordered list of named features
// with PyRadiomics names (IBSI-only features get PyRadiomics-style CamelCase names) and their
// IBSI codes. Inputs are immutable; every function is thread-safe and may use up to
// GetThreadCount() worker threads internally (see docs/radiomics.md, "Features").
#ifndef AMDRN_RADIOMICS_FEATURES_H_
#define AMDRN_RADIOMICS_FEATURES_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/volume.h"

namespace amdrn::radiomics {
namespace internal {
struct TextureCache;  // texture_common.h
}  // namespace internal

// ---------------------------------------------------------------------------------------------
// Results

struct Feature {
  std::string name;        // PyRadiomics feature name without prefix, e.g. "Contrast"
  double value = 0.0;      // NaN when undefined for this ROI (see `reason`)
  std::string ibsi_code;   // e.g. "ACUI"; empty when IBSI defines no such feature
  bool deprecated = false; // PyRadiomics computes it only when a parameter file names it
  std::string reason;      // why `value` is NaN; empty otherwise
};
using FeatureList = std::vector<Feature>;

// Returns the feature called `name`, or nullptr.
const Feature* FindFeature(const FeatureList& features, const std::string& name);

// ---------------------------------------------------------------------------------------------
// Region of interest

// The ROI after preprocessing (resampling, resegmentation, filtering are done by the caller):
// the mask's bounding box cut out of the image, with the in-mask voxel list. Axis 0 (i) is
// fastest in memory, like core/Volume. Build with MakeRoi.
struct Roi {
  Index3 size = {0, 0, 0};          // bounding-box size in voxels (i, j, k)
  Index3 box_begin_ijk = {0, 0, 0}; // bounding-box corner in the source grid
  Geometry source_geometry;         // grid of the image the box was cut from
  Vec3 spacing_mm = {1, 1, 1};
  // Intensities in float64, as PyRadiomics computes on normalised and filtered images.
  // `image` may be left empty by callers: no family reads it (local intensity takes the
  // whole image separately).
  std::vector<double> image;        // box intensities (all box voxels)
  std::vector<uint8_t> mask;        // box: 1 inside the ROI, 0 outside
  std::vector<int64_t> voxels;      // box offsets of ROI voxels, ascending
  std::vector<double> values;       // intensities of ROI voxels, same order as `voxels`

  int64_t NumVoxels() const { return static_cast<int64_t>(voxels.size()); }
  int64_t Offset(int64_t i, int64_t j, int64_t k) const { return i + size[0] * (j + size[1] * k); }
};

// Cuts the ROI `mask == label` out of `image`. Errors: FailedPrecondition when the grids
// differ; NotFound when no voxel has `label` (the caller decides whether that is a failure).
StatusOr<Roi> MakeRoi(const ImageF& image, const LabelMap& mask, int label = 1);
StatusOr<Roi> MakeRoi(const Volume<double>& image, const LabelMap& mask, int label = 1);

// ---------------------------------------------------------------------------------------------
// Discretisation

enum class BinningMode {
  kFixedBinWidth,  // PyRadiomics binWidth: edges at multiples of the width from 0
  kFixedBinCount,  // PyRadiomics binCount = IBSI fixed bin number (K15C)
  kNone,           // values are used as they are; they must be integers >= 1 (IBSI phantom)
};

struct DiscretisationSettings {
  BinningMode mode = BinningMode::kFixedBinWidth;
  double bin_width = 25.0;  // PyRadiomics `binWidth`, default 25
  int bin_count = 0;        // PyRadiomics `binCount`, used when mode is kFixedBinCount
  // IBSI fixed bin size (Q3RU): level = floor((x - x_min) / w) + 1 with x_min = `ibsi_min`
  // (the lower bound of the resegmentation range) or, when unset, the ROI minimum.
  bool ibsi = false;
  std::optional<double> ibsi_min;
};

// Integer grey levels on the ROI's bounding box.
struct DiscretisedRoi {
  Index3 size = {0, 0, 0};
  Vec3 spacing_mm = {1, 1, 1};
  std::vector<int32_t> levels;     // box voxels: 0 outside the ROI, 1..max_level inside
  std::vector<int64_t> voxels;     // box offsets of ROI voxels, ascending (as Roi::voxels)
  int32_t max_level = 0;           // highest level present (PyRadiomics N_g)
  // N_g used in normalised features (Idn, Idmn): PyRadiomics uses max_level; IBSI the number
  // of bins of the discretisation (bin count for FBN; for FBS the bins from x_min to the max).
  int32_t num_levels = 0;
  std::vector<double> bin_edges;   // lower edges of the bins and the upper edge of the last
  // Set by Discretise: the level index and padded box the texture families share, built on
  // first use (thread-safe). Copies share it, so do not change `levels` of a copy.
  std::shared_ptr<internal::TextureCache> cache;

  int64_t NumVoxels() const { return static_cast<int64_t>(voxels.size()); }
  int64_t Offset(int64_t i, int64_t j, int64_t k) const { return i + size[0] * (j + size[1] * k); }
};

// Discretises the ROI's intensities. Errors: InvalidArgument for a non-positive bin width or
// count, or non-integer or < 1 values with kNone; FailedPrecondition for an empty ROI.
StatusOr<DiscretisedRoi> Discretise(const Roi& roi, const DiscretisationSettings& settings);

// ---------------------------------------------------------------------------------------------
// Settings

// How texture matrices are built and aggregated (IBSI "Aggregating features").
enum class TextureDimension {
  k3D,   // 13 3D directions (26-connected zones)
  k2_5D, // in-plane directions, each direction's matrix pooled over all slices = PyRadiomics
         // force2D (8-connected zones in-plane)
  k2D,   // per slice: features computed per slice, then averaged over slices (IBSI 2D)
};

// PyRadiomics `weightingNorm`. kNone: features per direction, then averaged (IBSI "averaged");
// otherwise direction matrices are summed with weight exp(-d^2) into one (IBSI "merged" with
// kNoWeighting). Applies to GLCM and GLRLM only.
enum class WeightingNorm { kNone, kManhattan, kEuclidean, kInfinity, kNoWeighting };

// IBSI aggregation variants; ToTextureSettings maps each to dimension + weighting.
enum class IbsiAggregation {
  k2DAveraged,           // BTW3
  k2DSliceMerged,        // SUJT
  k2_5DDirectionMerged,  // JJUI
  k2_5DMerged,           // ZW7Z
  k3DAveraged,           // ITBB
  k3DMerged,             // IAZD
};

struct TextureSettings {
  std::vector<int> distances = {1};   // PyRadiomics `distances` (Chebyshev; GLCM, GLDM, NGTDM)
  bool symmetrical_glcm = true;       // `symmetricalGLCM`
  WeightingNorm weighting_norm = WeightingNorm::kNone;  // `weightingNorm`
  TextureDimension dimension = TextureDimension::k3D;   // k2_5D = `force2D: true`
  // `force2Ddimension`, numpy axis of the out-of-plane direction: 0 = k (z), 1 = j (y),
  // 2 = i (x). Used when dimension is k2_5D or k2D.
  int force2d_dimension = 0;
  double gldm_alpha = 0.0;            // `gldm_a`, dependence tolerance (GLDM and NGLDM)
  // IBSI mode: IBSI definitions where PyRadiomics differs (N_g from the discretisation,
  // GLRLM run percentage of merged matrices, ...). Features are the same otherwise.
  bool ibsi = false;
};

TextureSettings ToTextureSettings(IbsiAggregation aggregation, TextureSettings base = {});

struct FirstOrderSettings {
  double voxel_array_shift = 0.0;  // `voxelArrayShift`, added before squaring (Energy, RMS)
  // IBSI mode: Kurtosis is excess kurtosis (IBSI IPH6 = PyRadiomics - 3) and the IBSI-only
  // statistics (median absolute deviation, coefficient of variation, QCoD) are added.
  bool ibsi = false;
};

struct ShapeSettings {
  // IBSI mode: PCA axis lengths from the covariance divided by N - 1 (IBSI) instead of N
  // (PyRadiomics), and IBSI-only morphology (asphericity, centre of mass shift, densities,
  // integrated intensity, Moran's I, Geary's C) is added.
  bool ibsi = false;
  // Moran's I and Geary's C compare all voxel pairs; above this many voxels they are NaN.
  int64_t max_voxels_spatial_autocorrelation = 20000;
};

struct IvhSettings {
  // Intensity-volume histogram discretisation: kNone uses the intensities as they are
  // (integers, e.g. CT), kFixedBinWidth with `bin_width` from `ibsi_min`, or kFixedBinCount.
  DiscretisationSettings discretisation = {BinningMode::kNone, 1.0, 0, true, std::nullopt};
};

// ---------------------------------------------------------------------------------------------
// Feature families. Errors: FailedPrecondition for an empty ROI. Features that a valid ROI
// cannot define (e.g. GLCM of a one-voxel ROI) are NaN with a reason, never an error.

// PyRadiomics firstorder (19 incl. deprecated StandardDeviation) on raw intensities; Entropy
// and Uniformity from the discretised histogram. Mean etc. use `roi.values`.
StatusOr<FeatureList> ComputeFirstOrder(const Roi& roi, const DiscretisedRoi& discretised,
                                        const FirstOrderSettings& settings);

// IBSI intensity histogram family (23 features on discretised levels; IBSI only).
StatusOr<FeatureList> ComputeIntensityHistogram(const DiscretisedRoi& discretised);

// PyRadiomics shape (mesh by marching cubes, voxel volume, diameters, PCA axes); `morphology`
// is the morphological mask. `intensity` (may be null) is the intensity ROI used by IBSI
// integrated intensity, Moran's I and Geary's C.
StatusOr<FeatureList> ComputeShape(const Roi& morphology, const Roi* intensity,
                                   const ShapeSettings& settings);

// PyRadiomics shape2D (force2D) of a ROI one voxel thick along `force2d_dimension` (numpy axis:
// 0 = k); InvalidArgument for a thicker ROI, as PyRadiomics refuses it.
StatusOr<FeatureList> ComputeShape2D(const Roi& morphology, int force2d_dimension = 0);

StatusOr<FeatureList> ComputeGlcm(const DiscretisedRoi& roi, const TextureSettings& settings);
StatusOr<FeatureList> ComputeGlrlm(const DiscretisedRoi& roi, const TextureSettings& settings);
StatusOr<FeatureList> ComputeGlszm(const DiscretisedRoi& roi, const TextureSettings& settings);
StatusOr<FeatureList> ComputeGldm(const DiscretisedRoi& roi, const TextureSettings& settings);
StatusOr<FeatureList> ComputeNgtdm(const DiscretisedRoi& roi, const TextureSettings& settings);
// IBSI-only texture families.
StatusOr<FeatureList> ComputeGldzm(const DiscretisedRoi& roi, const TextureSettings& settings);
StatusOr<FeatureList> ComputeNgldm(const DiscretisedRoi& roi, const TextureSettings& settings);

// IBSI intensity-volume histogram (v10, v90, i10, i90 and differences, area under the curve).
StatusOr<FeatureList> ComputeIntensityVolumeHistogram(const Roi& roi, const IvhSettings& settings);

// IBSI local intensity peaks: mean intensity in a 1 cm^3 sphere around the ROI's hottest voxel
// (local) and the highest such mean over ROI voxels (global). Uses `image` (the full
// preprocessed image the ROI was cut from), since the sphere may leave the ROI.
StatusOr<FeatureList> ComputeLocalIntensity(const ImageF& image, const Roi& roi);

// ---------------------------------------------------------------------------------------------
// Convenience: several families at once, in parallel over families.

enum class Family {
  kFirstOrder, kShape, kGlcm, kGlrlm, kGlszm, kGldm, kNgtdm,          // PyRadiomics
  kGldzm, kNgldm, kIntensityHistogram, kIntensityVolumeHistogram,     // IBSI only
  kLocalIntensity,
  kShape2D,  // PyRadiomics shape2D (uses texture.force2d_dimension)
};

// PyRadiomics class name ("firstorder", "shape", "shape2D", "glcm", ...; IBSI-only: "gldzm",
// "ngldm", "intensityhistogram", "ivh", "localintensity").
const char* FamilyName(Family family);
std::optional<Family> FamilyFromName(const std::string& name);

struct AllSettings {
  FirstOrderSettings first_order;
  ShapeSettings shape;
  TextureSettings texture;
  IvhSettings ivh;
};

struct FamilyInput {
  const Roi* intensity = nullptr;           // required
  const Roi* morphology = nullptr;          // shape; null = same as intensity
  const DiscretisedRoi* discretised = nullptr;  // first order and texture families
  const ImageF* image = nullptr;            // local intensity (full image)
};

// Computes `families` (in the order given) using up to GetThreadCount() threads. A family that
// fails yields its Status in the corresponding slot; the others are unaffected.
std::vector<StatusOr<FeatureList>> ComputeFamilies(const std::vector<Family>& families,
                                                   const FamilyInput& input,
                                                   const AllSettings& settings);

}  // namespace amdrn::radiomics

#endif  // AMDRN_RADIOMICS_FEATURES_H_
