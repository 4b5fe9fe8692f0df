#!/usr/bin/env bash
# Fetches small real DICOM and NIfTI test files that ship inside Debian packages
# (python3-pydicom and python3-nibabel test data) into build/realdata, for the tests in
# src/io/real_data_test.cc. Nothing is committed; tests skip (with a message) when the
# files are absent, e.g. offline. Idempotent.
set -uo pipefail
dest="${1:-build/realdata}"
if [[ -f "$dest/.complete" ]]; then exit 0; fi
mkdir -p "$dest/deb"
cd "$dest/deb" || exit 0
if ! apt-get download python3-pydicom python3-nibabel >/dev/null 2>&1; then
  echo "fetch-test-data: could not download python3-pydicom/python3-nibabel; real-data tests will skip" >&2
  exit 0
fi
for deb in *.deb; do dpkg -x "$deb" ../x; done
cd .. || exit 0
mkdir -p files
src=x/usr/lib/python3/dist-packages
for f in CT_small.dcm rtdose.dcm SC_rgb_rle_2frame.dcm MR_truncated.dcm; do
  cp "$src/pydicom/data/test_files/$f" files/ 2>/dev/null
done
cp "$src/nibabel/tests/data/anatomical.nii" "$src/nibabel/tests/data/example4d.nii.gz" files/ 2>/dev/null
rm -rf x deb
touch .complete
echo "fetch-test-data: real test files in $dest/files"
