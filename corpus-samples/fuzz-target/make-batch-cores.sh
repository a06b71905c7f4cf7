#!/usr/bin/env bash
# make-batch-cores.sh BUILD_DIR OUT_DIR [N]
#
# Makes N (default 300) kernel core dumps of the sample fuzz target for the
# batch benchmarks: runs BUILD_DIR/corpus-samples/fuzz-target/target on the
# crash inputs in inputs/default/crashes/ (in name order, cycling through
# them until N cores are made), each run in a fresh private folder with
# `ulimit -c unlimited`, an 8 MiB stack limit and a 20 s time limit, and
# stores the cores as OUT_DIR/<n>.core (n = 0 .. N-1). OUT_DIR/index.tsv
# lists, per core, the input it came from and the signal:
#   n  signal  input
# The program for every core is BUILD_DIR/corpus-samples/fuzz-target/target.
#
# Exit status: 0 all N cores made, 1 some run left no core, 2 cores can't be
# collected on this machine (the message says how to fix that).
set -uo pipefail

prog=make-batch-cores.sh
timeout_s=20

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $prog BUILD_DIR OUT_DIR [N]" >&2
  exit 1
fi
count=${3:-300}
case $count in
  '' | *[!0-9]*)
    echo "$prog: N must be a number, not '$count'" >&2
    exit 1 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
if ! build_dir=$(cd "$1" 2>/dev/null && pwd); then
  echo "$prog: build directory '$1' does not exist" >&2
  exit 1
fi
target=$build_dir/corpus-samples/fuzz-target/target
if [ ! -x "$target" ]; then
  echo "$prog: $target is not built (ninja -C $build_dir corpus-fuzz-target)" >&2
  exit 1
fi

. "$here/../core-capture.sh"
check_core_pattern

inputs=()
while IFS= read -r -d '' f; do
  inputs+=("$f")
done < <(find "$here/inputs/default/crashes" -maxdepth 1 -type f -name 'id:*' -print0 | sort -z)
if [ ${#inputs[@]} -eq 0 ]; then
  echo "$prog: no crash inputs in $here/inputs/default/crashes" >&2
  exit 1
fi

mkdir -p "$2" || exit 1
out_dir=$(cd "$2" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/triage-batch-cores.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

printf 'n\tsignal\tinput\n' >"$out_dir/index.tsv"
made=0
missing=0
bytes=0
for ((n = 0; n < count; n++)); do
  input=${inputs[n % ${#inputs[@]}]}
  rm -rf "$work/run"
  rm -f "$out_dir/$n.core"
  run_for_core "$work/run" "$target" "$input"
  if [ -z "$core" ]; then
    echo "$prog: run $n on $(basename "$input") left no core (exit status $rc)" >&2
    missing=$((missing + 1))
    continue
  fi
  mv -f "$core" "$out_dir/$n.core"
  signal=$((rc > 128 ? rc - 128 : 0))
  printf '%d\t%d\t%s\n' "$n" "$signal" "$(basename "$input")" >>"$out_dir/index.tsv"
  bytes=$((bytes + $(stat -c %s "$out_dir/$n.core")))
  made=$((made + 1))
  if [ $((made % 50)) -eq 0 ]; then
    echo "$prog: $made cores so far"
  fi
done

echo "$prog: $made cores ($((bytes / 1048576)) MiB) from ${#inputs[@]} inputs in $out_dir; program: $target"
[ "$missing" -eq 0 ]
