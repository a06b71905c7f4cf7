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

pattern=$(cat /proc/sys/kernel/core_pattern 2>/dev/null || echo core)
case $pattern in
  '|'*)
    echo "$prog: cores can't be collected here: kernel.core_pattern is '$pattern', which pipes every core to a helper (systemd-coredump, apport, ...); fix it as root with: sysctl -w kernel.core_pattern=core" >&2
    exit 2 ;;
  /*)
    echo "$prog: cores can't be collected here: kernel.core_pattern is '$pattern', which writes every core to an absolute path; fix it as root with: sysctl -w kernel.core_pattern=core" >&2
    exit 2 ;;
esac
pattern_dir=
case $pattern in
  */*) pattern_dir=${pattern%/*} ;;
esac
case $pattern_dir in
  *%*)
    echo "$prog: cores can't be collected here: kernel.core_pattern '$pattern' puts cores in a folder named with % specifiers; fix it as root with: sysctl -w kernel.core_pattern=core" >&2
    exit 2 ;;
esac
if ! ulimit -c unlimited 2>/dev/null; then
  echo "$prog: cores can't be collected here: the hard core size limit is $(ulimit -H -c) blocks; raise it (limits.conf, or prlimit --core=unlimited) and run again" >&2
  exit 2
fi

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

is_core() {
  local h
  h=$(od -An -tx1 -N18 "$1" 2>/dev/null | tr -d ' \n')
  [ "${h:0:8}" = 7f454c46 ] && [ "${h:32:4}" = 0400 ]
}

printf 'n\tsignal\tinput\n' >"$out_dir/index.tsv"
made=0
missing=0
bytes=0
for ((n = 0; n < count; n++)); do
  input=${inputs[n % ${#inputs[@]}]}
  run=$work/run
  rm -rf "$run"
  mkdir -p "$run/cwd"
  if [ -n "$pattern_dir" ]; then
    mkdir -p "$run/cwd/$pattern_dir"
  fi
  rm -f "$out_dir/$n.core"
  # The outer 2>/dev/null only silences bash's "Segmentation fault" notice.
  {
    (
      cd "$run/cwd" || exit 1
      ulimit -s 8192 2>/dev/null
      exec timeout -k 5 "$timeout_s" "$target" "$input"
    ) </dev/null >/dev/null 2>"$run/stderr"
  } 2>/dev/null
  rc=$?
  core=
  while IFS= read -r -d '' f; do
    if is_core "$f"; then
      core=$f
      break
    fi
  done < <(find "$run/cwd" -type f -print0)
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
