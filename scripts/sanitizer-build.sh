#!/usr/bin/env bash
# Builds everything with AddressSanitizer + UBSan (-DTRIAGE_SANITIZE=ON) in
# its own folder and runs the whole CTest suite under them.
#
#   scripts/sanitizer-build.sh [BUILD_DIR] [CTEST_ARGS...]
#
# BUILD_DIR defaults to build-asan in the repository (ignored by git); a
# relative path is taken from the repository root. CTEST_ARGS go to ctest,
# e.g. -R hostile or -L corpus. Any sanitizer report aborts the process that
# made it, so the test that ran it fails; the report is in ctest's output
# (--output-on-failure) and in BUILD_DIR/Testing/Temporary/LastTest.log.
# Exit status: ctest's (0 when every test passed), or 1 if the build failed.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build-asan}
[ $# -gt 0 ] && shift
[[ "$build" = /* ]] || build="$repo/$build"
jobs=$(nproc)

generator=()
command -v ninja >/dev/null && [ ! -f "$build/CMakeCache.txt" ] && generator=(-G Ninja)
echo "sanitizer-build.sh: configuring $build (TRIAGE_SANITIZE=ON)"
cmake -S "$repo" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTRIAGE_SANITIZE=ON -DTRIAGE_BUILD_TESTS=ON >/dev/null
echo "sanitizer-build.sh: building"
if ! cmake --build "$build" -j "$jobs"; then
  echo "sanitizer-build.sh: the build failed" >&2
  exit 1
fi

# Leaks are errors too; the first report of either sanitizer stops the
# process (abort, so the test sees a crash rather than a clean exit code).
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "sanitizer-build.sh: running ctest with ASAN_OPTIONS=$ASAN_OPTIONS UBSAN_OPTIONS=$UBSAN_OPTIONS"
status=0
ctest --test-dir "$build" --output-on-failure -j "$jobs" "$@" || status=$?
if [ "$status" -eq 0 ]; then
  echo "sanitizer-build.sh: every test passed under ASan + UBSan"
else
  echo "sanitizer-build.sh: some tests failed under ASan + UBSan (see above, and $build/Testing/Temporary/LastTest.log)" >&2
fi
exit "$status"
