#!/usr/bin/env bash
# Builds the libFuzzer harness (fuzz/core_reader_fuzzer.cpp) with clang and
# runs it for SECONDS (default 60) from the seed corpus in fuzz/corpus.
#
#   scripts/run-fuzzer.sh [SECONDS] [BUILD_DIR]
#
# BUILD_DIR defaults to build-fuzz in the repository (ignored by git); a
# relative path is taken from the repository root. The inputs the fuzzer finds
# accumulate in BUILD_DIR/fuzz/corpus-run across runs (the committed seeds are
# never written); crashes, leaks and timeouts are saved in
# BUILD_DIR/fuzz/artifacts/ and make the script exit non-zero.
#
# Environment: FUZZ_JOBS=N runs N fuzzing processes (libFuzzer -fork=N);
# FUZZ_ARGS adds libFuzzer options; CC/CXX override clang/clang++.
# Reproduce a finding: BUILD_DIR/fuzz/core_reader_fuzzer BUILD_DIR/fuzz/artifacts/crash-...
set -euo pipefail

seconds=${1:-60}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${2:-build-fuzz}
[[ "$build" = /* ]] || build="$repo/$build"

if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "run-fuzzer.sh: SECONDS must be a positive whole number, not '$seconds'" >&2
  exit 2
fi
export CC=${CC:-clang} CXX=${CXX:-clang++}
for tool in "$CC" "$CXX" cmake; do
  if ! command -v "$tool" >/dev/null; then
    echo "run-fuzzer.sh: $tool not found (Debian: scripts/install-deps.sh installs clang and libclang-rt-14-dev)" >&2
    exit 1
  fi
done

generator=()
command -v ninja >/dev/null && [ ! -f "$build/CMakeCache.txt" ] && generator=(-G Ninja)
echo "run-fuzzer.sh: configuring $build with $CXX"
cmake -S "$repo" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTRIAGE_BUILD_FUZZERS=ON -DTRIAGE_BUILD_TESTS=OFF >/dev/null
echo "run-fuzzer.sh: building core_reader_fuzzer"
cmake --build "$build" --target core_reader_fuzzer -j "$(nproc)"

fuzzer="$build/fuzz/core_reader_fuzzer"
run_corpus="$build/fuzz/corpus-run"
artifacts="$build/fuzz/artifacts"
mkdir -p "$run_corpus" "$artifacts"

options=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
         -artifact_prefix="$artifacts/")
if [ -n "${FUZZ_JOBS:-}" ]; then
  options+=(-fork="$FUZZ_JOBS" -ignore_crashes=0 -ignore_timeouts=0 -ignore_ooms=0)
fi
# shellcheck disable=SC2206
[ -n "${FUZZ_ARGS:-}" ] && options+=(${FUZZ_ARGS})

echo "run-fuzzer.sh: fuzzing for $seconds s (corpus $run_corpus, seeds $repo/fuzz/corpus)"
before=$(find "$artifacts" -type f | wc -l)
status=0
"$fuzzer" "${options[@]}" "$run_corpus" "$repo/fuzz/corpus" || status=$?
after=$(find "$artifacts" -type f | wc -l)
if [ "$status" -ne 0 ] || [ "$after" -gt "$before" ]; then
  echo "run-fuzzer.sh: the fuzzer found a problem (exit $status); inputs in $artifacts:" >&2
  ls -t "$artifacts" | head -n 20 >&2
  exit 1
fi
echo "run-fuzzer.sh: no crash (at most $seconds s${FUZZ_ARGS:+, $FUZZ_ARGS})"
