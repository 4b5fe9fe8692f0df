#!/usr/bin/env python3
"""PyRadiomics peer for bench/radiomics_bench: extracts the same parameter file on the same
image and mask, one region after another (PyRadiomics computes one ROI per call), and prints
one JSON object: wall and CPU seconds, peak resident memory, versions and the features per
label.

Usage: radiomics_peer.py IMAGE MASK PARAMS.yaml OUT.json LABEL [LABEL ...]
Needs PyRadiomics (pip install pyradiomics) in the interpreter that runs it.
"""
import json
import logging
import resource
import sys
import time


def main():
    image, mask, params, out = sys.argv[1:5]
    labels = [int(v) for v in sys.argv[5:]]
    import radiomics
    from radiomics import featureextractor

    logging.getLogger("radiomics").setLevel(logging.ERROR)
    extractor = featureextractor.RadiomicsFeatureExtractor(params)
    features = {}
    start = time.perf_counter()
    cpu_start = time.process_time()
    for label in labels:
        result = extractor.execute(image, mask, label=label)
        features[str(label)] = {
            k: float(v) for k, v in result.items() if not k.startswith("diagnostics_")
        }
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    with open(out, "w") as f:
        json.dump({"seconds": seconds, "cpu_seconds": cpu_seconds, "peak_rss_mb": peak_mb,
                   "pyradiomics": radiomics.__version__, "features": features}, f)
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "peak_rss_mb": peak_mb,
                      "pyradiomics": radiomics.__version__}))


if __name__ == "__main__":
    main()
