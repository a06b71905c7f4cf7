#!/usr/bin/env bash
# Every test: install what is needed, build, run the unit and end-to-end
# tests (they make fresh cores from corpus-samples/), the same suite under
# AddressSanitizer + UBSan, and the core reader's fuzzer for a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
ulimit -c unlimited || true
echo "== build and test"
bash scripts/build.sh
(cd build && ctest --output-on-failure -j 2 --timeout 600)
echo "== sanitizer build and test"
bash scripts/sanitizer-build.sh build-asan
echo "== fuzz the core reader"
bash scripts/run-fuzzer.sh 60
