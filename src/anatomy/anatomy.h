// Measurements of the posterior maxilla from a label map alone (1 maxillary sinus, 2
// Schneiderian membrane, 3 residual alveolar bone): the implant site (centre of the residual
// bone's footprint), residual bone height and membrane thickness along the vertical implant
// axis, sinus width and volumes. Works on ground-truth and predicted labels alike.
// Pure functions; thread-safe.
#ifndef AMDRN_ANATOMY_ANATOMY_H_
#define AMDRN_ANATOMY_ANATOMY_H_

#include <string>

#include "core/status.h"
#include "core/volume.h"

namespace amdrn::anatomy {

struct SiteMeasurements {
  Index3 site_column_ijk = {0, 0, 0};  // voxel of the site column at the crest
  Vec3 site_crest_lps = {0, 0, 0};     // lower face of the lowest bone voxel of the column
  Vec3 site_floor_lps = {0, 0, 0};     // upper face of the highest bone voxel of the column
  double residual_bone_height_mm = 0;  // bone voxels from crest to sinus floor, in mm
  double membrane_thickness_mm = 0;    // membrane voxels directly above the floor, in mm
  double sinus_width_mm = 0;         // cavity (1+2) run along L, 10 mm above the floor; NaN if none
  double sinus_volume_ml = 0;        // labels 1 + 2
  double sinus_lumen_volume_ml = 0;  // label 1
  double membrane_volume_ml = 0;     // label 2
  double bone_volume_ml = 0;         // label 3
};

// Finds the implant site and measures it. The site is the column (along the image axis closest
// to superior) through the centroid of the residual bone's footprint, or the nearest footprint
// column when the centroid falls outside it.
// NotFound when there is no label 3; Unimplemented when no image axis is within ~8 degrees of
// the superior direction (oblique volumes must be resampled first).
StatusOr<SiteMeasurements> MeasureSite(const LabelMap& labels);

// One-line description for logs: "RBH 4.50 mm, membrane 1.20 mm, sinus 12.3 ml".
std::string ToString(const SiteMeasurements& m);

}  // namespace amdrn::anatomy

#endif  // AMDRN_ANATOMY_ANATOMY_H_
