# Sourced by make-cores.sh and fuzz-target/make-batch-cores.sh: what both need
# to make a kernel core dump of a program in a private folder. Expects $prog
# (the calling script's name, for messages) and $timeout_s.

# Checks that the kernel writes cores into the crashing process's working
# folder and raises the core size limit; exits 2 with the fix when it can't.
# Sets pattern_dir: the sub-folder a relative core_pattern names, if any.
check_core_pattern() {
  local pattern
  pattern=$(cat /proc/sys/kernel/core_pattern 2>/dev/null || echo core)
  local fix="fix it as root with: sysctl -w kernel.core_pattern=core"
  case $pattern in
    '|'*)
      echo "$prog: cores can't be collected here: kernel.core_pattern is '$pattern', which pipes every core to a helper (systemd-coredump, apport, ...); $fix" >&2
      exit 2 ;;
    /*)
      echo "$prog: cores can't be collected here: kernel.core_pattern is '$pattern', which writes every core to an absolute path; $fix" >&2
      exit 2 ;;
  esac
  # A relative pattern may name a sub-folder ("cores/core.%p"); it must exist.
  pattern_dir=
  case $pattern in
    */*) pattern_dir=${pattern%/*} ;;
  esac
  case $pattern_dir in
    *%*)
      echo "$prog: cores can't be collected here: kernel.core_pattern '$pattern' puts cores in a folder named with % specifiers; $fix" >&2
      exit 2 ;;
  esac
  if ! ulimit -c unlimited 2>/dev/null; then
    echo "$prog: cores can't be collected here: the hard core size limit is $(ulimit -H -c) blocks; raise it (limits.conf, or prlimit --core=unlimited) and run again" >&2
    exit 2
  fi
}

# is_core FILE: an ELF core file (little-endian, e_type ET_CORE)?
is_core() {
  local h
  h=$(od -An -tx1 -N18 "$1" 2>/dev/null | tr -d ' \n')
  [ "${h:0:8}" = 7f454c46 ] && [ "${h:32:4}" = 0400 ]
}

# run_for_core RUN_DIR PROGRAM ARGS...: runs PROGRAM in RUN_DIR/cwd with no
# stdin, an 8 MiB stack and a time limit, its output in RUN_DIR/stdout and
# RUN_DIR/stderr. Sets rc (its exit status) and core (the core it left, or
# empty).
run_for_core() {
  local run=$1
  shift
  mkdir -p "$run/cwd"
  [ -n "$pattern_dir" ] && mkdir -p "$run/cwd/$pattern_dir"
  # The outer 2>/dev/null only silences bash's "Segmentation fault" notice.
  {
    (
      cd "$run/cwd" || exit 1
      ulimit -s 8192 2>/dev/null
      exec timeout -k 5 "$timeout_s" "$@"
    ) </dev/null >"$run/stdout" 2>"$run/stderr"
  } 2>/dev/null
  rc=$?
  core=
  local f
  while IFS= read -r -d '' f; do
    if is_core "$f"; then
      core=$f
      break
    fi
  done < <(find "$run/cwd" -type f -print0)
}
