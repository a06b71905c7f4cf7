#!/usr/bin/env bash
# make-cores.sh BUILD_DIR OUT_DIR
#
# Runs every crash program of the corpus (BUILD_DIR/corpus-samples/crashes/,
# listed in crashes/manifest.json) and collects the kernel's core dump of each
# as OUT_DIR/<name>.core. Each program runs in a fresh private folder with
# `ulimit -c unlimited`, an 8 MiB stack limit, no stdin and a 20 s time limit.
# Prints one line per program with the size of its core; on success writes
# OUT_DIR/.complete. Exit status: 0 every expected core was collected, 1 some
# are missing (or a program did not die of its expected signal), 2 cores
# can't be collected on this machine (the message says how to fix that).
#
# i386 programs are skipped (with a line saying so) when the build found no
# i386 compiler. Concurrent runs on the same OUT_DIR are serialised with a
# lock on OUT_DIR/.lock; set TRIAGE_CORES_LOCK_HELD=1 if the caller already
# holds it.
set -uo pipefail

prog=make-cores.sh
timeout_s=20

if [ $# -ne 2 ]; then
  echo "usage: $prog BUILD_DIR OUT_DIR" >&2
  exit 1
fi
if ! build_dir=$(cd "$1" 2>/dev/null && pwd); then
  echo "$prog: build directory '$1' does not exist" >&2
  exit 1
fi
list=$build_dir/corpus-samples/crashes/programs.tsv
if [ ! -f "$list" ]; then
  echo "$prog: $list is missing: configure $build_dir with TRIAGE_BUILD_TESTS=ON and build the 'corpus' target" >&2
  exit 1
fi

# Cores must land in the crashing process's working folder.
. "$(dirname "$0")/core-capture.sh"
check_core_pattern

mkdir -p "$2" || exit 1
out_dir=$(cd "$2" && pwd)
if [ -z "${TRIAGE_CORES_LOCK_HELD:-}" ]; then
  exec 9>"$out_dir/.lock"
  flock 9
fi
rm -f "$out_dir/.complete"

work=$(mktemp -d "${TMPDIR:-/tmp}/triage-make-cores.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

ok=0
failed=0
skipped=0
while IFS=$'\t' read -r name arch signal built rest; do
  [ -n "$name" ] || continue
  args=()
  if [ -n "$rest" ]; then
    IFS=$'\t' read -r -a args <<<"$rest"
  fi
  signame=SIG$(kill -l "$signal" 2>/dev/null || echo "$signal")
  rm -f "$out_dir/$name.core"
  if [ "$built" != 1 ]; then
    printf '%-28s %-6s %-8s %s\n' "$name" "$arch" "$signame" "skipped: no $arch compiler in this build"
    skipped=$((skipped + 1))
    continue
  fi
  exe=$build_dir/corpus-samples/crashes/$name
  if [ ! -x "$exe" ]; then
    printf '%-28s %-6s %-8s %s\n' "$name" "$arch" "$signame" "FAILED: $exe is not built (ninja -C $build_dir corpus)"
    failed=$((failed + 1))
    continue
  fi

  run_for_core "$work/$name" "$exe" "${args[@]}"
  run=$work/$name

  problem=
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    problem="timed out after ${timeout_s}s"
  elif [ "$rc" -ne $((128 + signal)) ]; then
    problem="exit status $rc, expected $((128 + signal)) ($signame)"
  elif [ -z "$core" ]; then
    problem="died of $signame but left no core"
  fi
  if [ -n "$problem" ]; then
    printf '%-28s %-6s %-8s %s\n' "$name" "$arch" "$signame" "FAILED: $problem"
    sed 's/^/    | /' "$run/stderr" | tail -n 5 >&2
    failed=$((failed + 1))
  else
    mv -f "$core" "$out_dir/.$name.core.part" && mv -f "$out_dir/.$name.core.part" "$out_dir/$name.core"
    size=$(stat -c %s "$out_dir/$name.core")
    printf '%-28s %-6s %-8s %12s bytes  %s\n' "$name" "$arch" "$signame" "$size" "$out_dir/$name.core"
    ok=$((ok + 1))
  fi
  rm -rf "$run"
done <"$list"

echo "$prog: $ok cores in $out_dir, $failed failed, $skipped skipped"
if [ "$failed" -ne 0 ] || [ "$ok" -eq 0 ]; then
  exit 1
fi
date -u +%Y-%m-%dT%H:%M:%SZ >"$out_dir/.complete"
exit 0
