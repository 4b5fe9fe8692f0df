// CLI flags shared by the subcommands that read CBCT volumes (info, convert, ...): the DICOM
// pre-flight settings and where to write its QC record.
#ifndef AMDRN_CLI_DICOM_FLAGS_H_
#define AMDRN_CLI_DICOM_FLAGS_H_

#include <string>

#include <CLI/CLI.hpp>

#include "io/dicom.h"

namespace amdrn::cli {

struct DicomFlags {
  io::DicomPreflightOptions options;
  std::string qc_path;

  void AddTo(CLI::App& app) {
    app.add_option("--series", options.series_index,
                   "DICOM folder holding several series: read the N-th (largest first)")
        ->capture_default_str();
    app.add_option("--max-tilt", options.max_tilt_degrees,
                   "largest accepted gantry tilt in degrees")
        ->capture_default_str();
    app.add_option("--max-gap-deviation", options.max_gap_deviation,
                   "largest accepted relative deviation of a slice gap from the median")
        ->capture_default_str();
    app.add_flag("--allow-secondary-capture", options.allow_secondary_capture,
                 "accept Secondary Capture images (geometry unreliable)");
    app.add_option("--qc", qc_path, "write the DICOM pre-flight QC record (JSON) here");
  }
};

}  // namespace amdrn::cli

#endif  // AMDRN_CLI_DICOM_FLAGS_H_
