// Label maps with named, coloured segments, and 3D Slicer's segmentation file format
// (.seg.nrrd: a NRRD label map plus Segmentation_* and SegmentN_* header fields).
// amdrn's labels: 1 maxillary sinus, 2 Schneiderian membrane, 3 residual alveolar bone.
#ifndef AMDRN_IO_SEGMENTATION_H_
#define AMDRN_IO_SEGMENTATION_H_

#include <array>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/volume.h"

namespace amdrn::io {

struct Segment {
  int label = 0;
  std::string name;
  std::array<double, 3> color_rgb = {0.5, 0.5, 0.5};  // 0..1
};

// amdrn's three anatomical segments.
const std::vector<Segment>& AmdrnSegments();

// One segment per non-zero label present in `labels`: amdrn's name and colour for 1–3,
// "label_N" and a generated colour otherwise.
std::vector<Segment> DefaultSegments(const LabelMap& labels);

// Writes a Slicer .seg.nrrd (single layer, gzip), atomically. InvalidArgument if a segment's
// label is 0 or repeated.
Status WriteSegNrrd(const LabelMap& labels, const std::string& path,
                    const std::vector<Segment>& segments);

// Reads a .seg.nrrd: the label map and its segments (label value, name, colour). Files
// with several layers (overlapping segments) are refused with Unimplemented.
StatusOr<LabelMap> ReadSegNrrd(const std::string& path, std::vector<Segment>* segments);

}  // namespace amdrn::io

#endif  // AMDRN_IO_SEGMENTATION_H_
