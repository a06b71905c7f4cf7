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
pattern=$(cat /proc/sys/kernel/core_pattern 2>/dev/null || echo core)
case $pattern in
  '|'*)
    echo "$prog: cores can't be collected here: kernel.core_pattern is '$pattern', which pipes every core to a helper (systemd-coredump, apport, ...); fix it as root with: sysctl -w kernel.core_pattern=core" >&2
    exit 2 ;;
  /*)
    echo "$prog: cores can't be collected here: kernel.core_pattern is '$pattern', which writes every core to an absolute path; fix it as root with: sysctl -w kernel.core_pattern=core" >&2
    exit 2 ;;
esac
# A relative pattern may name a sub-folder ("cores/core.%p"); it must exist.
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

mkdir -p "$2" || exit 1
out_dir=$(cd "$2" && pwd)
if [ -z "${TRIAGE_CORES_LOCK_HELD:-}" ]; then
  exec 9>"$out_dir/.lock"
  flock 9
fi
rm -f "$out_dir/.complete"

work=$(mktemp -d "${TMPDIR:-/tmp}/triage-make-cores.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

# is_core FILE: an ELF core file (little-endian, e_type ET_CORE)?
is_core() {
  local h
  h=$(od -An -tx1 -N18 "$1" 2>/dev/null | tr -d ' \n')
  [ "${h:0:8}" = 7f454c46 ] && [ "${h:32:4}" = 0400 ]
}

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

  run=$work/$name
  mkdir -p "$run/cwd"
  if [ -n "$pattern_dir" ]; then
    mkdir -p "$run/cwd/$pattern_dir"
  fi
  # The outer 2>/dev/null only silences bash's "Segmentation fault" notice.
  {
    (
      cd "$run/cwd" || exit 1
      ulimit -s 8192 2>/dev/null
      exec timeout -k 5 "$timeout_s" "$exe" "${args[@]}"
    ) </dev/null >"$run/stdout" 2>"$run/stderr"
  } 2>/dev/null
  rc=$?

  core=
  while IFS= read -r -d '' f; do
    if is_core "$f"; then
      core=$f
      break
    fi
  done < <(find "$run/cwd" -type f -print0)

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
