#!/usr/bin/env bash
# Installs every Debian 12 package amdrn needs to build, test and run.
# Idempotent: packages already present are skipped by apt-get. Run as root.
#   scripts/install-deps.sh          build + test dependencies
#   scripts/install-deps.sh --ref    also the optional reference tools (R, PyTorch for Python)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libinsighttoolkit5-dev   # image I/O (DICOM via GDCM, NIfTI, NRRD, MHA), geometry
  libgdcm-dev libgdcm-tools  # DICOM tag access for the pre-flight check (GDCM's CMake config needs the tools)
  libtorch-dev             # LibTorch 1.13 (CPU, oneDNN) for the U-Net and the ResNet
  libdnnl-dev              # oneDNN 2.6 (the one LibTorch uses) for the fused U-Net inference engine
  libopenblas0-openmp      # optimised BLAS behind libblas.so.3 (Debian's default is the slow reference
                           # one); LibTorch's im2col paths (transposed convs in training) use it
  libeigen3-dev            # dense linear algebra for the statistics module
  nlohmann-json3-dev       # JSON (plans, dataset.json, QC records, --json output)
  libyaml-cpp-dev          # PyRadiomics parameter files
  libcli11-dev             # command-line parsing (help with defaults, usage errors)
  zlib1g-dev
  googletest libgtest-dev  # unit tests
)
ref_packages=(
  python3-torch python3-numpy          # reference forward passes and benchmarks
  r-base-core r-cran-rms r-cran-proc r-cran-glmnet  # statistics reference tables
)
if [[ "${1:-}" == "--ref" ]]; then packages+=("${ref_packages[@]}"); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: need root to install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
