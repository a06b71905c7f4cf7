#!/usr/bin/env bash
# Regenerates the sanitizer report samples in this folder (*.stderr): builds
# the programs in src/ with clang's sanitizers, runs each failure mode with the
# options triage-run uses (and a few variants), and saves what the process
# wrote to stderr. The samples are committed, so the unit tests
# (tests/unit/sanitizer_report_test.cpp) need no clang; run this again after
# changing src/ or to see another clang's output, then check the tests.
#
#   bash tests/data/sanitizer/make-samples.sh
#
# Needs clang and clang++ with compiler-rt (Debian: clang-14), and
# llvm-symbolizer for the symbolized variants. The programs are built and run
# in $TRIAGE_SANITIZER_WORK (default /tmp/triage-sanitizer-samples), so module
# paths in the samples name that folder; no core is left (ulimit -c 0).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=${TRIAGE_SANITIZER_WORK:-/tmp/triage-sanitizer-samples}
cc=${CC:-clang}
cxx=${CXX:-clang++}

rm -rf "$work"
mkdir -p "$work"

# ---- Builds, from this folder with relative source paths, so the samples
# name src/... and not where the checkout lives. -O0 keeps each bug where the
# source puts it. ----
cd "$here"
common=(-g -O0 -fno-omit-frame-pointer "-ffile-prefix-map=$here=.")
"$cxx" "${common[@]}" -std=c++17 -fsanitize=address -fsized-deallocation \
  -o "$work/asan_bugs" src/asan_bugs.cpp
"$cxx" "${common[@]}" -std=c++17 \
  -fsanitize=undefined,implicit-conversion,unsigned-integer-overflow \
  -o "$work/ubsan_bugs" src/ubsan_bugs.cpp
"$cxx" "${common[@]}" -std=c++17 -fsanitize=address,undefined \
  -o "$work/asan_ubsan_bugs" src/ubsan_bugs.cpp
# The checks compiled to traps: no runtime, nothing printed, SIGILL.
"$cxx" "${common[@]}" -std=c++17 -fsanitize=undefined -fsanitize-trap=undefined \
  -o "$work/ubsan_trap_bugs" src/ubsan_bugs.cpp
"$cc" "${common[@]}" -fsanitize=memory -o "$work/msan_uninit" src/msan_uninit.c
"$cc" "${common[@]}" -fsanitize=memory -fsanitize-memory-track-origins=2 \
  -o "$work/msan_uninit_origins" src/msan_uninit.c
# -fsanitize=fuzzer alone links UBSan's runtime too (for stack traces), whose
# signal handlers see a SEGV before libFuzzer's do.
"$cxx" "${common[@]}" -std=c++17 -fsanitize=fuzzer -o "$work/fuzz_plain" src/fuzz_target.cpp
"$cxx" "${common[@]}" -std=c++17 -fsanitize=fuzzer,address -o "$work/fuzz_asan" src/fuzz_target.cpp

cd "$work"
for word in crash abort exit loop malloc rss const heap; do
  printf '%s input' "$word" >"input-$word"
done

# ---- The options triage-run sets. ----
asan=abort_on_error=1:symbolize=0:detect_leaks=1:allocator_may_return_null=0:handle_abort=1
ubsan=halt_on_error=1:abort_on_error=1:print_stacktrace=1:symbolize=0
msan=abort_on_error=1:symbolize=0
symbolized=external_symbolizer_path=$(command -v llvm-symbolizer || echo /usr/bin/llvm-symbolizer)

# run NAME [VAR=VALUE...] -- COMMAND...: runs COMMAND in $work with only the
# given environment and no core, and saves its stderr as NAME.stderr.
run() {
  local name=$1
  shift
  local vars=()
  while [[ $1 != -- ]]; do
    vars+=("$1")
    shift
  done
  shift
  # The braces take bash's "Aborted" notices away from the terminal.
  local status
  status=$(
    {
      (
        ulimit -c 0
        exec env -i PATH=/usr/bin:/bin "${vars[@]}" timeout 120 "$@"
      ) >/dev/null 2>"$here/$name.stderr"
      echo $?
    } 2>/dev/null
  )
  printf '%-56s exit %3d, %5d bytes\n' "$name.stderr" "$status" "$(wc -c <"$here/$name.stderr")"
}

rm -f "$here"/*.stderr

# ---- AddressSanitizer and LeakSanitizer. ----
for mode in heap-buffer-overflow-read heap-buffer-overflow-write heap-buffer-overflow-memcpy \
  stack-buffer-overflow-read stack-buffer-overflow-write stack-buffer-underflow \
  dynamic-stack-buffer-overflow global-buffer-overflow-read global-buffer-overflow-write \
  heap-use-after-free-read heap-use-after-free-write double-free bad-free \
  alloc-dealloc-mismatch new-delete-type-mismatch stack-use-after-scope container-overflow \
  use-after-poison calloc-overflow allocation-size-too-big out-of-memory negative-size-param \
  memcpy-param-overlap bad-malloc_usable_size segv-read-null segv-write-null segv-read \
  segv-write segv-wild segv-pc fpe abrt leak; do
  run "asan-$mode" ASAN_OPTIONS=$asan -- ./asan_bugs "$mode"
done
# Use after return needs the fake stack, which is off by default.
run asan-stack-use-after-return ASAN_OPTIONS=$asan:detect_stack_use_after_return=1 \
  -- ./asan_bugs stack-use-after-return
# A small stack, so the overflow's stack trace is short.
run asan-stack-overflow ASAN_OPTIONS=$asan -- bash -c 'ulimit -s 256 && exec ./asan_bugs stack-overflow'
# ASan leaves SIGILL alone unless told.
run asan-ill ASAN_OPTIONS=$asan:handle_sigill=1 -- ./asan_bugs ill
run asan-ill-unhandled ASAN_OPTIONS=$asan -- ./asan_bugs ill
# Symbolized, as a person runs it.
for mode in heap-buffer-overflow-write heap-use-after-free-read double-free segv-read-null leak; do
  run "asan-$mode-symbolized" "ASAN_OPTIONS=${asan/symbolize=0/symbolize=1}:$symbolized" \
    -- ./asan_bugs "$mode"
done
# LeakSanitizer without abort_on_error: the process exits with 1 and leaves no core.
run asan-leak-exit ASAN_OPTIONS=symbolize=0:detect_leaks=1 -- ./asan_bugs leak

# ---- UndefinedBehaviorSanitizer. ----
for mode in signed-integer-overflow unsigned-integer-overflow negation-overflow division-overflow \
  integer-divide-by-zero null-pointer-use misaligned-pointer-use out-of-bounds-index \
  invalid-shift-exponent invalid-shift-base invalid-bool-load invalid-enum-load unreachable \
  missing-return vla-bound float-cast-overflow pointer-overflow invalid-null-argument \
  invalid-null-return implicit-sign-change implicit-signed-truncation \
  implicit-unsigned-truncation implicit-truncation-sign-change dynamic-type-mismatch \
  function-type-mismatch invalid-builtin-use alignment-assumption segv; do
  run "ubsan-$mode" UBSAN_OPTIONS=$ubsan -- ./ubsan_bugs "$mode"
done
# The runtime's defaults: report, go on, no stack (null-pointer-use then
# dies of the SEGV the check saw coming).
for mode in signed-integer-overflow null-pointer-use invalid-shift-exponent; do
  run "ubsan-$mode-default" -- ./ubsan_bugs "$mode"
done
# report_error_type=1 names the check in the SUMMARY line.
for mode in signed-integer-overflow implicit-truncation-sign-change; do
  run "ubsan-$mode-error-type" UBSAN_OPTIONS=$ubsan:report_error_type=1 -- ./ubsan_bugs "$mode"
done
run ubsan-signed-integer-overflow-symbolized \
  "UBSAN_OPTIONS=${ubsan/symbolize=0/symbolize=1}:$symbolized" -- ./ubsan_bugs signed-integer-overflow
run ubsan-trap -- ./ubsan_trap_bugs signed-integer-overflow
# UBSan in an ASan build, as fuzz targets often are.
run asan-ubsan-signed-integer-overflow ASAN_OPTIONS=$asan UBSAN_OPTIONS=$ubsan \
  -- ./asan_ubsan_bugs signed-integer-overflow

# ---- MemorySanitizer. ----
for mode in branch strlen segv; do
  run "msan-$mode" MSAN_OPTIONS=$msan -- ./msan_uninit "$mode"
done
run msan-branch-origins-symbolized "MSAN_OPTIONS=${msan/symbolize=0/symbolize=1}:$symbolized" \
  -- ./msan_uninit_origins branch

# ---- libFuzzer's own reports, and a sanitizer's inside libFuzzer's output. ----
# fuzz_plain has UBSan's runtime, so triage-run's UBSAN_OPTIONS apply to it.
run libfuzzer-deadly-signal UBSAN_OPTIONS=$ubsan -- ./fuzz_plain input-abort
run libfuzzer-deadly-signal-symbolized -- ./fuzz_plain input-abort
run libfuzzer-plain-segv UBSAN_OPTIONS=$ubsan -- ./fuzz_plain input-crash
run libfuzzer-fuzz-target-exited UBSAN_OPTIONS=$ubsan -- ./fuzz_plain input-exit
run libfuzzer-timeout UBSAN_OPTIONS=$ubsan -- ./fuzz_plain -timeout=1 input-loop
run libfuzzer-overwrites-const-input UBSAN_OPTIONS=$ubsan -- ./fuzz_plain input-const
run libfuzzer-malloc-limit ASAN_OPTIONS=$asan -- ./fuzz_asan -malloc_limit_mb=10 input-malloc
run libfuzzer-rss-limit ASAN_OPTIONS=$asan -- ./fuzz_asan -rss_limit_mb=300 input-rss
run libfuzzer-asan-heap-buffer-overflow ASAN_OPTIONS=$asan -- ./fuzz_asan input-heap
run libfuzzer-asan-segv ASAN_OPTIONS=$asan -- ./fuzz_asan input-crash
run libfuzzer-asan-timeout ASAN_OPTIONS=$asan -- ./fuzz_asan -timeout=1 input-loop
