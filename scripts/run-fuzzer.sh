#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/NAME_fuzzer.cpp) with clang and runs
# each for SECONDS (default 60), one after another, from its seed corpus in
# fuzz/corpus/NAME, with the dictionary fuzz/NAME.dict where there is one
# (fuzz/README.md says what each harness reads and checks).
#
#   scripts/run-fuzzer.sh [SECONDS] [BUILD_DIR] [NAME...]
#
# NAME is a harness (core_reader, sanitizer_report, casrep_stack,
# frame_lines, fuzzer_stats); without one, every harness runs. BUILD_DIR
# defaults to build-fuzz in the repository (ignored by git); a relative path
# is taken from the repository root. The inputs a harness finds accumulate in
# BUILD_DIR/fuzz/NAME-corpus-run across runs (the committed seeds are never
# written); crashes, leaks and timeouts are saved in
# BUILD_DIR/fuzz/NAME-artifacts/ and make the script exit non-zero, after
# the other harnesses have run.
#
# Environment: FUZZ_JOBS=N runs N fuzzing processes per harness (libFuzzer
# -fork=N); FUZZ_ARGS adds libFuzzer options to every harness; CC/CXX
# override clang/clang++.
# Reproduce a finding: BUILD_DIR/fuzz/NAME_fuzzer BUILD_DIR/fuzz/NAME-artifacts/crash-...
set -euo pipefail

seconds=${1:-60}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${2:-build-fuzz}
[[ "$build" = /* ]] || build="$repo/$build"
shift $(( $# < 2 ? $# : 2 ))

if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "run-fuzzer.sh: SECONDS must be a positive whole number, not '$seconds'" >&2
  exit 2
fi
all=()
for source in "$repo"/fuzz/*_fuzzer.cpp; do
  name=$(basename "$source" _fuzzer.cpp)
  all+=("$name")
done
names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${all[@]}")
for name in "${names[@]}"; do
  if [ ! -f "$repo/fuzz/${name}_fuzzer.cpp" ] || [ ! -d "$repo/fuzz/corpus/$name" ]; then
    echo "run-fuzzer.sh: no harness '$name' (there are: ${all[*]})" >&2
    exit 2
  fi
done

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
targets=()
for name in "${names[@]}"; do targets+=("${name}_fuzzer"); done
echo "run-fuzzer.sh: building ${targets[*]}"
cmake --build "$build" --target "${targets[@]}" -j "${FUZZ_BUILD_JOBS:-$(nproc)}"

options=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1)
if [ -n "${FUZZ_JOBS:-}" ]; then
  options+=(-fork="$FUZZ_JOBS" -ignore_crashes=0 -ignore_timeouts=0 -ignore_ooms=0)
fi
# shellcheck disable=SC2206
[ -n "${FUZZ_ARGS:-}" ] && options+=(${FUZZ_ARGS})

failed=()
for name in "${names[@]}"; do
  fuzzer="$build/fuzz/${name}_fuzzer"
  seeds="$repo/fuzz/corpus/$name"
  run_corpus="$build/fuzz/$name-corpus-run"
  artifacts="$build/fuzz/$name-artifacts"
  mkdir -p "$run_corpus" "$artifacts"
  dict=()
  [ -f "$repo/fuzz/$name.dict" ] && dict=(-dict="$repo/fuzz/$name.dict")
  echo "run-fuzzer.sh: fuzzing $name for $seconds s (corpus $run_corpus, seeds $seeds)"
  before=$(find "$artifacts" -type f | wc -l)
  status=0
  "$fuzzer" "${options[@]}" "${dict[@]}" -artifact_prefix="$artifacts/" "$run_corpus" "$seeds" || status=$?
  after=$(find "$artifacts" -type f | wc -l)
  if [ "$status" -ne 0 ] || [ "$after" -gt "$before" ]; then
    echo "run-fuzzer.sh: $name found a problem (exit $status); inputs in $artifacts:" >&2
    ls -t "$artifacts" | head -n 20 >&2
    failed+=("$name")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "run-fuzzer.sh: problems found by: ${failed[*]}" >&2
  exit 1
fi
echo "run-fuzzer.sh: no crash in ${names[*]} (at most $seconds s each${FUZZ_ARGS:+, $FUZZ_ARGS})"
