// A raw nnU-Net v2 dataset: dataset.json plus imagesTr/ ({CASE}_{XXXX}{ending}, one file per
// channel) and labelsTr/ ({CASE}{ending}), or an explicit "dataset" dict in dataset.json.
// ReadRawDataset validates the layout (names, channels, labels); LoadCase reads one case and
// validates its voxels (channel and label geometry, label values). Axis conventions: volumes
// are amdrn Volumes (ITK index order); see preprocess.h for nnU-Net's (z, y, x) arrays.
// Thread-compatible: a RawDataset is immutable after reading; LoadCase shares no state.
#ifndef AMDRN_SEG_DATASET_H_
#define AMDRN_SEG_DATASET_H_

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "core/volume.h"

namespace amdrn::seg {

struct RawCase {
  std::string id;                        // e.g. "sinus_001"
  std::vector<std::string> image_paths;  // one per channel, channel order
  std::string label_path;                // empty when the case has no label (inference)
};

struct RawDataset {
  std::string root;         // dataset folder
  std::string name;         // dataset.json "name", else the folder name
  std::string file_ending;  // e.g. ".nii.gz"
  // Channel names by channel index ("CT", "CBCT", ...): they select the normalisation.
  std::vector<std::string> channel_names;
  // Labels sorted by value, background (0) first: (name, value). Values are consecutive.
  std::vector<std::pair<std::string, int>> labels;
  int num_training = 0;        // dataset.json "numTraining"
  std::vector<RawCase> cases;  // sorted by id
  nlohmann::json json;         // dataset.json as read

  int NumChannels() const { return static_cast<int>(channel_names.size()); }
  // len(labels) including background: the network's output channel count.
  int NumClasses() const { return static_cast<int>(labels.size()); }
  // Foreground label values (1..N).
  std::vector<int> ForegroundLabels() const;
  std::vector<std::string> CaseIds() const;
};

// Reads and validates `folder`/dataset.json and lists the training cases.
// InvalidArgument: missing or malformed fields, "background" not 0, non-consecutive labels,
// region labels or an "ignore" label (not supported), label values above 255.
// NotFound: no dataset.json, no imagesTr. FailedPrecondition: a case lacks a channel file or
// its label, or the dataset has no training case.
StatusOr<RawDataset> ReadRawDataset(const std::string& folder);

// Lists the cases of an image folder (e.g. imagesTs) for inference, using the dataset's
// channel count and file ending. FailedPrecondition if a case lacks a channel.
StatusOr<std::vector<RawCase>> ListImageCases(const std::string& images_folder, int num_channels,
                                              const std::string& file_ending);

struct LoadedCase {
  std::vector<ImageF> channels;  // all on one geometry
  LabelMap label;                // empty() when loaded without label
};

// Reads every channel (and the label when `with_label` and the case has one).
// FailedPrecondition if channels or label differ in size/spacing/origin/direction; the
// message names the case and both geometries. InvalidArgument if a label value is not one
// of `dataset.labels`.
StatusOr<LoadedCase> LoadCase(const RawDataset& dataset, const RawCase& raw_case,
                              bool with_label = true);

// True if any label name marks a side ("left", "right", "_l", "_r", "lt", "rt" as words):
// then mirroring along the left-right axis would swap classes and must be disabled.
bool LabelsAreSided(const RawDataset& dataset);

// The nnU-Net array axis (0 = z/k, 1 = y/j, 2 = x/i) whose direction is closest to the
// patient's left-right (LPS x) axis, for a volume with `geometry`.
int LeftRightArrayAxis(const Geometry& geometry);

}  // namespace amdrn::seg

#endif  // AMDRN_SEG_DATASET_H_
