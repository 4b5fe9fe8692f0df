#include "cli/version.h"

#include <Eigen/Core>
#include <itkVersion.h>
#include <torch/version.h>

namespace amdrn::cli {

std::string VersionString() {
  return std::string(AMDRN_VERSION) + " (" + AMDRN_GIT_HASH + ")";
}

std::string VersionReport() {
  std::string out = "amdrn " + VersionString() + "\n";
  out += "ITK " + std::string(itk::Version::GetITKVersion()) + "\n";
  out += "LibTorch " + std::string(TORCH_VERSION) + "\n";
  out += "Eigen " + std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) +
         "." + std::to_string(EIGEN_MINOR_VERSION);
  return out;
}

}  // namespace amdrn::cli
