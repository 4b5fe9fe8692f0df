// The digital phantom of one case: a field of view of the posterior maxilla rasterised from a
// procedural model (sinus with shape variation and septa, membrane types, residual alveolar
// bone with cortical shell and trabecular texture, neighbouring teeth, soft tissue and air).
// It yields tissue attenuation in HU-like units (before any scanner effect), the label map and
// the true anatomy measured on the continuous model. Pure function of its inputs and Rng.
#ifndef AMDRN_SYNTH_PHANTOM_H_
#define AMDRN_SYNTH_PHANTOM_H_

#include <vector>

#include "core/status.h"
#include "core/volume.h"
#include "synth/outcome_model.h"
#include "synth/random.h"

namespace amdrn::synth {

// Label values of the nnU-Net dataset.
enum Label : uint8_t {
  kBackground = 0,
  kMaxillarySinus = 1,
  kSchneiderianMembrane = 2,
  kResidualAlveolarBone = 3,
};

// A metal object (crown or neighbouring implant) for the streak model: vertical axis through
// `axis_lps` (x, y used), from z_min_lps to z_max_lps.
struct MetalObject {
  Vec3 axis_lps;
  double z_min_lps = 0, z_max_lps = 0;
  double radius_mm = 0;
};

struct PhantomTruth {
  Vec3 site_crest_lps = {0, 0, 0};  // crest point of the implant axis
  Vec3 site_floor_lps = {0, 0, 0};  // sinus floor point of the implant axis
  Vec3 buccal_direction_lps = {1, 0, 0};
  bool right_side = true;
  double residual_bone_height_mm = 0;     // crest to floor along the implant axis (exact)
  double membrane_thickness_site_mm = 0;  // floor to sinus lumen along the axis, as drawn
  double sinus_width_mm = 0;              // cavity width 10 mm above the floor, as drawn
  double sinus_volume_ml = 0;             // labels 1 + 2 inside the field of view
  double septum_height_mm = 0;            // 0 when there is no septum
  int teeth_present = 0;
  int metal_objects = 0;
};

struct Phantom {
  ImageF hu;  // attenuation in HU-like units (air -1000, water 0)
  LabelMap labels;
  LabelMap metal;   // 1 where metal
  LabelMap in_fov;  // 1 inside the reconstructed field of view
  std::vector<MetalObject> metal_objects;
  PhantomTruth truth;
};

struct PhantomOptions {
  Index3 size = {80, 80, 64};
  double spacing_mm = 0.5;
  bool cylindrical_fov = true;  // false: the whole box is reconstructed
};

// Builds the phantom of `anatomy` at tooth site `site_fdi`. Nuisance parameters (sinus shape,
// teeth, soft tissue, placement in the field of view) come from `rng`.
// InvalidArgument when the grid is too small to hold the implant site and its bone.
StatusOr<Phantom> BuildPhantom(const Anatomy& anatomy, int site_fdi, const PhantomOptions& options,
                               Rng& rng);

// Squared Euclidean distance (mm²) from every voxel to the nearest voxel where `feature` is
// non-zero (exact, separable, Felzenszwalb & Huttenlocher); huge where there is none.
std::vector<float> SquaredDistanceMm2(const LabelMap& feature);

}  // namespace amdrn::synth

#endif  // AMDRN_SYNTH_PHANTOM_H_
