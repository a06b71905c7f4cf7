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
echo "== real programs: fetch, build plain and ASan, check the ground truth"
# Built before ctest so the campaign test only runs them; a pinned version
# that can't be had here (exit 77) is skipped by both, saying why.
for program in $(bash scripts/realworld.sh list); do
  status=0
  bash scripts/realworld.sh build "$program" "build/realworld/$program" >/dev/null || status=$?
  if [ "$status" -eq 0 ]; then
    bash scripts/realworld.sh verify "$program" "build/realworld/$program"
  elif [ "$status" -ne 77 ]; then
    exit "$status"
  fi
done
(cd build && ctest --output-on-failure -j 2 --timeout 600)
echo "== sanitizer build and test"
bash scripts/sanitizer-build.sh build-asan
echo "== fuzz every parser of untrusted input"
# A fixed seed and run count per harness make this step give the same verdict
# on every run (a time limit would explore different inputs each time); the
# counts keep each harness to seconds (the sanitizer harness symbolizes, the
# fuzzer_stats one writes a file per run). Run scripts/run-fuzzer.sh with more
# seconds and no FUZZ_ARGS to explore.
fuzz_runs="core_reader:15000 sanitizer_report:2000 casrep_stack:15000 frame_lines:15000 fuzzer_stats:5000"
for source in fuzz/*_fuzzer.cpp; do
  name=$(basename "$source" _fuzzer.cpp)
  [[ " $fuzz_runs" == *" $name:"* ]] || { echo "test-all.sh: give the fuzzer $name a run count" >&2; exit 1; }
done
for harness in $fuzz_runs; do
  FUZZ_ARGS="-seed=1 -runs=${harness#*:}" bash scripts/run-fuzzer.sh 300 build-fuzz "${harness%%:*}"
done
