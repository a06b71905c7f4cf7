#!/usr/bin/env bash
# Every test: install what is needed, build, run the unit and end-to-end
# tests (they make fresh cores from corpus-samples/), the same suite under
# AddressSanitizer + UBSan, and a short run of every fuzzer (fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
ulimit -c unlimited || true
echo "== build and test"
bash scripts/build.sh
(cd build && ctest --output-on-failure -j 2 --timeout 600)
echo "== sanitizer build and test"
bash scripts/sanitizer-build.sh build-asan
echo "== fuzz every parser of untrusted input"
# A fixed seed and run count make this step give the same verdict on every
# run (a time limit would explore different inputs each time); run
# scripts/run-fuzzer.sh with more seconds and no FUZZ_ARGS to explore.
FUZZ_ARGS="-seed=1 -runs=15000" bash scripts/run-fuzzer.sh 300
