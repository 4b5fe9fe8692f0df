// Version strings of amdrn and the libraries it was built with.
#ifndef AMDRN_CLI_VERSION_H_
#define AMDRN_CLI_VERSION_H_

#include <string>

namespace amdrn::cli {

std::string VersionString();  // "0.1.0 (abc1234)"
std::string VersionReport();  // one line each for amdrn, ITK, LibTorch, Eigen

}  // namespace amdrn::cli

#endif  // AMDRN_CLI_VERSION_H_
