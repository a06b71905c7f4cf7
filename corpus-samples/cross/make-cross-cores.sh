#!/usr/bin/env bash
# make-cross-cores.sh [--manifest-only] [OUT_DIR]
#
# Makes the cross-architecture core fixtures (see README.md beside this
# script): for each of aarch64, arm (Thumb-2), riscv64 and i386 it builds the
# eleven crash programs below with the Debian cross compiler (-g, the corpus's
# flags: -O0, or -O2 / -fstack-protector-strong where the corpus builds the
# program so), dynamically linked against the cross libc under /usr/<triplet>, runs
# each under qemu-user (no ASLR on the host, an empty environment, the guest's
# libraries forced to the sysroot's) and keeps two cores of it. riscv32 (RV32)
# has no Debian libc: it has only the first five programs (src/rv32/, with
# their own _start and syscalls in src/rv32/rt.c), built freestanding and
# static by the riscv64 cross compiler with -march=rv32gc -mabi=ilp32d, and
# only the gcore kind. The cores:
#
#   <arch>/<program>.gcore.core.zst  gdb-multiarch's `gcore`, attached to
#                                    qemu-user's gdb stub when the program
#                                    stopped on its fatal signal (NT_SIGINFO,
#                                    NT_FILE, ...: a kernel-like core), with
#                                    read-only file-backed mappings trimmed the
#                                    way the kernel trims them (crosscore.py
#                                    trim) and, on riscv64 and riscv32,
#                                    NT_PRSTATUS rewritten in the kernel's
#                                    layout (gdb 13 writes the host's:
#                                    crosscore.py fix-riscv-prstatus)
#   <arch>/<program>.qemu.core.zst   the core qemu-user writes itself when the
#                                    guest dies (none for riscv64 and riscv32:
#                                    QEMU has no RISC-V core writer)
#
# beside the binary <arch>/<program>, with gdb-multiarch's view of each core
# (<arch>/<program>.<kind>.gdb.txt: signal, $_siginfo, bt, registers, x/6i $pc)
# and OUT_DIR/manifest.json (crosscore.py manifest, from expected.json), which
# checks gdb's view against the expected signal, frames and crash line.
#
# --manifest-only rewrites manifest.json from the fixtures already in OUT_DIR
# (after editing expected.json) without making any. CROSS_ARCHES="arm i386"
# makes only those architectures' fixtures, CROSS_PROGRAMS="heap-error
# stack-guard" only those programs' (the manifest still lists all that are in
# OUT_DIR): the others' binaries, cores and transcripts are left as they are.
#
# OUT_DIR defaults to this script's folder. Needs: qemu-user (QEMU >= 9 for the
# guest's memory map and siginfo over the gdb stub: bookworm-backports),
# gdb-multiarch, gcc-{aarch64-linux-gnu,arm-linux-gnueabihf,riscv64-linux-gnu,
# i686-linux-gnu} with libc6-dev-{arm64,armhf,riscv64,i386}-cross, zstd,
# python3, setarch, ss. Runs at nice 10. Exit status: 0 all made and gdb
# agrees with expected.json, 1 otherwise, 2 a tool is missing.
set -uo pipefail
renice -n 10 $$ >/dev/null 2>&1 || true

prog=make-cross-cores.sh
here=$(cd "$(dirname "$0")" && pwd)
corpus=$(dirname "$here")
manifest_only=
if [ "${1:-}" = --manifest-only ]; then
  manifest_only=1
  shift
fi
out=${1:-$here}
mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)
py="python3 $here/crosscore.py"

# arch  triplet  qemu
arches=(
  "aarch64 aarch64-linux-gnu qemu-aarch64"
  "arm arm-linux-gnueabihf qemu-arm"
  "riscv64 riscv64-linux-gnu qemu-riscv64"
  "i386 i686-linux-gnu qemu-i386"
  "riscv32 riscv32-linux-gnu qemu-riscv32"
)
# riscv32: Debian 12 has no riscv32 libc (no riscv32 glibc toolchain), so the
# programs are freestanding and static (src/rv32/rt.c: _start, raw syscalls),
# built by the riscv64 cross compiler and linker, which also target RV32.
freestanding() { [ "$1" = riscv32 ]; }
sysroot_of() { # arch triplet: none for the freestanding ones
  if freestanding "$1"; then echo ""; else echo "/usr/$2"; fi
}
rv32_gcc=riscv64-linux-gnu-gcc
rv32_cc=("$rv32_gcc" -march=rv32gc -mabi=ilp32d -static -nostdlib -ffreestanding)
# program  source (relative to corpus-samples)  args (- for none, commas
# between several)  the corpus's own flags for it (corpus-samples/CMakeLists.txt:
# O2, FLAGS; - for none, commas between several)
programs=(
  "dest-av crashes/dest-av.c - -"
  "source-av-near-null crashes/source-av-near-null.c - -"
  "segfault-on-pc crashes/segfault-on-pc.c - -"
  "abort-signal crashes/abort-signal.c 2 -"
  "bad-instruction crashes/bad-instruction.c - -"
  "source-av crashes/source-av.c - -"
  "dest-av-tainted crashes/dest-av-tainted.c - -O2"
  "call-av-tainted crashes/call-av-tainted.c - -O2"
  "branch-av-tainted crashes/branch-av-tainted.c - -O2"
  "heap-error crashes/heap-error.c - -"
  "stack-guard crashes/stack-guard.c - -fstack-protector-strong"
)
# Which programs an architecture gets: riscv32 only the first five (no libc
# for heap-error and stack-guard, the others not rewritten into src/rv32/:
# README.md, "The programs"), the others all.
runs_on() { # arch program
  case "$1:$2" in
    riscv32:dest-av | riscv32:source-av-near-null | riscv32:segfault-on-pc | riscv32:abort-signal | riscv32:bad-instruction) return 0 ;;
    riscv32:*) return 1 ;;
  esac
  return 0
}
# __builtin_trap() is brk (AArch64) / ebreak (RISC-V): SIGTRAP, not SIGILL.
source_for() { # arch program default
  case "$1:$2" in
    aarch64:bad-instruction | riscv64:bad-instruction) echo cross/src/bad-instruction.c ;;
    riscv32:*) echo "cross/src/rv32/$2.c" ;;
    *) echo "$3" ;;
  esac
}
# The corpus's own flags (corpus-samples/CMakeLists.txt, CORPUS_BASE_FLAGS), at -O0.
cflags=(-g -O0 -fno-omit-frame-pointer -fno-stack-protector -fno-stack-clash-protection
        -fcf-protection=none -U_FORTIFY_SOURCE -w)
timeout_s=60

missing=
for tool in gdb-multiarch zstd python3 setarch ss readelf dpkg-query; do
  command -v "$tool" >/dev/null || missing="$missing $tool"
done
for a in "${arches[@]}"; do
  read -r arch triplet qemu <<<"$a"
  command -v "$qemu" >/dev/null || missing="$missing $qemu"
  if freestanding "$arch"; then
    command -v "$rv32_gcc" >/dev/null || missing="$missing $rv32_gcc"
    continue
  fi
  command -v "$triplet-gcc" >/dev/null || missing="$missing $triplet-gcc"
  [ -e "/usr/$triplet/lib/libc.so.6" ] || missing="$missing /usr/$triplet/lib/libc.so.6"
done
if [ -n "$missing" ]; then
  echo "$prog: missing:$missing" >&2
  echo "  apt-get install -t bookworm-backports qemu-user; apt-get install gdb-multiarch zstd gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf gcc-riscv64-linux-gnu gcc-i686-linux-gnu libc6-dev-arm64-cross libc6-dev-armhf-cross libc6-dev-riscv64-cross libc6-dev-i386-cross" >&2
  exit 2
fi
qemu_version=$(qemu-aarch64 --version | sed -n '1s/^qemu-aarch64 version //p')
gdb_version=$(gdb-multiarch --version | head -n 1)
case "$qemu_version" in
  [0-8].*) echo "$prog: warning: QEMU $qemu_version does not give gdb the guest's memory map or siginfo: the gcore cores will have no NT_FILE or NT_SIGINFO (and trimming fails). Use QEMU >= 9 (bookworm-backports)." >&2 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/triage-cross.XXXXXX") || exit 1
qemu_pid=
cleanup() {
  [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# gdb's view of a core: written to the transcript crosscore.py gdbinfo reads.
# qemu's own cores leave out the first page of the executable's text (its
# ELF and program headers), so gdb can't work out where a PIE executable was
# loaded and finds neither its symbols nor the libraries; for those the
# transcript says so and relocates the executable by AT_ENTRY by hand.
gdb_view() { # exe core sysroot transcript kind
  local relocate=()
  if [ "$5" = qemu ]; then
    local bias
    bias=$($py bias "$2" "$1")
    relocate=(-ex "echo === relocate: symbol-file -o $bias (AT_ENTRY - e_entry)\n"
              -ex "symbol-file -o $bias $1" -ex sharedlibrary)
  fi
  gdb-multiarch -nx -batch \
    -ex 'set pagination off' -ex 'set width 0' -ex 'set confirm off' \
    -ex "set sysroot $3" \
    -ex 'echo === signal\n' -ex "core-file $2" \
    "${relocate[@]}" \
    -ex 'echo === siginfo\n' -ex 'p $_siginfo' \
    -ex 'echo === bt\n' -ex 'bt' \
    -ex 'echo === registers\n' -ex 'info registers' \
    -ex 'echo === x/6i $pc\n' -ex 'x/6i $pc' \
    -ex 'echo === info sharedlibrary\n' -ex 'info sharedlibrary' \
    "$1" 2>&1 | sed -e "s|$work/[^ ]*/||g" -e "s|$out/||g" -e '/<unavailable>$/d' >"$4"
}

made=0
failed=0
[ -n "$manifest_only" ] || printf '%-8s %-20s %-6s %10s  %s\n' arch program kind bytes notes
[ -n "$manifest_only" ] || for a in "${arches[@]}"; do
  read -r arch triplet qemu <<<"$a"
  case " ${CROSS_ARCHES:-$arch} " in *" $arch "*) ;; *) continue ;; esac
  sysroot=$(sysroot_of "$arch" "$triplet")
  qemu_libs=(-L "$sysroot" -E LD_LIBRARY_PATH=/lib)
  freestanding "$arch" && qemu_libs=()
  mkdir -p "$out/$arch"
  for p in "${programs[@]}"; do
    read -r name default_source args flags <<<"$p"
    case " ${CROSS_PROGRAMS:-$name} " in *" $name "*) ;; *) continue ;; esac
    runs_on "$arch" "$name" || continue
    source=$(source_for "$arch" "$name" "$default_source")
    exe=$out/$arch/$name
    extra=()
    [ "$flags" != - ] && IFS=, read -r -a extra <<<"$flags"
    if freestanding "$arch"; then
      cc=("${rv32_cc[@]}" "${cflags[@]}" "${extra[@]}" -o "$exe" "$corpus/$source" "$here/src/rv32/rt.c")
    else
      cc=("$triplet-gcc" "${cflags[@]}" "${extra[@]}" -o "$exe" "$corpus/$source")
    fi
    if ! "${cc[@]}" 2>"$work/cc.err"; then
      echo "$prog: $arch/$name does not build:" >&2
      sed 's/^/    | /' "$work/cc.err" >&2
      failed=$((failed + 1))
      continue
    fi
    argv=()
    [ "$args" != - ] && IFS=, read -r -a argv <<<"$args"

    for kind in qemu gcore; do
      run=$work/$arch-$name-$kind
      rm -rf "$run"
      mkdir -p "$run"
      cp "$exe" "$run/$name"
      core=
      # -E LD_LIBRARY_PATH=/lib: the guest's loader would otherwise read the
      # host's /etc/ld.so.cache and, for i386, load the host's multilib
      # /lib32/libc.so.6 instead of the sysroot's (qemu -L maps /lib to it).
      if [ "$kind" = qemu ]; then
        # qemu-user writes qemu_<prog>_<date>-<time>_<pid>.core in its working
        # folder when RLIMIT_CORE allows; where it can't (riscv64) the host
        # kernel dumps qemu itself: coredump_filter 0 keeps that small.
        { (
          cd "$run" || exit 1
          ulimit -c unlimited
          echo 0 >/proc/self/coredump_filter
          exec timeout "$timeout_s" env -i PATH=/usr/bin:/bin setarch "$(uname -m)" -R \
            "$qemu" "${qemu_libs[@]}" "./$name" "${argv[@]}"
        ) >"$run/out" 2>&1 </dev/null; } 2>/dev/null
        rc=$?
        core=$(ls "$run"/qemu_*.core 2>/dev/null | head -n 1)
        rm -f "$run/core" "$run"/core.*
        if [ -z "$core" ]; then
          printf '%-8s %-20s %-6s %10s  %s\n' "$arch" "$name" "$kind" - "no core: qemu exited $rc: $(tail -n 1 "$run/out")"
          # QEMU has no core writer for RISC-V (no ELF_CORE_COPY_REGS).
          case "$arch" in riscv64 | riscv32) ;; *) failed=$((failed + 1)) ;; esac
          continue
        fi
      else
        port=$(free_port)
        # 0x37 = the kernel's default 0x33 plus private file-backed mappings,
        # which gdb reads from the qemu process's /proc/<pid>/coredump_filter:
        # without it gcore leaves out .data, .got and the loader's r_debug
        # (qemu's emulated smaps says no file-backed page is anonymous).
        (
          cd "$run" || exit 1
          ulimit -c 0
          echo 0x37 >/proc/self/coredump_filter
          exec timeout "$timeout_s" env -i PATH=/usr/bin:/bin setarch "$(uname -m)" -R \
            "$qemu" -g "$port" "${qemu_libs[@]}" "./$name" "${argv[@]}"
        ) >"$run/out" 2>&1 </dev/null &
        qemu_pid=$!
        for _ in $(seq 50); do
          ss -ltnH "sport = :$port" 2>/dev/null | grep -q . && break
          sleep 0.1
        done
        timeout "$timeout_s" gdb-multiarch -nx -batch \
          -ex 'set pagination off' -ex 'set confirm off' \
          -ex "set sysroot $sysroot" \
          -ex "target remote 127.0.0.1:$port" \
          -ex continue \
          -ex 'echo === live registers\n' -ex 'info registers general' \
          -ex "gcore $run/gcore" \
          -ex kill \
          "$run/$name" >"$run/gdb-live" 2>&1
        wait "$qemu_pid" 2>/dev/null
        qemu_pid=
        if [ ! -s "$run/gcore" ]; then
          printf '%-8s %-20s %-6s %10s  %s\n' "$arch" "$name" "$kind" - "no core: gcore failed: $(grep -m1 -iE 'error|cannot|fail' "$run/gdb-live")"
          failed=$((failed + 1))
          continue
        fi
        if { [ "$arch" = riscv64 ] || [ "$arch" = riscv32 ]; } && ! $py fix-riscv-prstatus "$run/gcore" "$run/gdb-live" >"$run/fix" 2>&1; then
          printf '%-8s %-20s %-6s %10s  %s\n' "$arch" "$name" "$kind" - "NT_PRSTATUS fix failed: $(cat "$run/fix")"
          failed=$((failed + 1))
          continue
        fi
        if ! $py trim "$run/gcore" >"$run/trim" 2>&1; then
          printf '%-8s %-20s %-6s %10s  %s\n' "$arch" "$name" "$kind" - "trim failed: $(cat "$run/trim")"
          failed=$((failed + 1))
          continue
        fi
        core=$run/gcore
      fi
      dest=$out/$arch/$name.$kind.core.zst
      zstd -q -19 -f "$core" -o "$dest" || { failed=$((failed + 1)); continue; }
      gdb_view "$exe" "$core" "$sysroot" "$out/$arch/$name.$kind.gdb.txt" "$kind"
      notes=$(readelf -n "$core" 2>/dev/null | awk '$2 ~ /^0x/ && $3 ~ /^NT_/ {print $3}' | sed 's/^NT_//' | sort -u | tr '\n' ' ')
      printf '%-8s %-20s %-6s %10s  %s\n' "$arch" "$name" "$kind" "$(stat -c %s "$dest")" "$notes"
      made=$((made + 1))
      rm -rf "$run"
    done
  done
done

# The fixture table for crosscore.py manifest, from the files in OUT_DIR.
write_spec() {
  local a arch triplet qemu p name default_source args source kind exe interp lib real package version compiler
  for a in "${arches[@]}"; do
    read -r arch triplet qemu <<<"$a"
    if freestanding "$arch"; then
      compiler="$rv32_gcc $("$rv32_gcc" -dumpfullversion) -march=rv32gc -mabi=ilp32d"
      libs_done=1 # static: no loader, no libraries
    else
      compiler="$triplet-gcc $("$triplet-gcc" -dumpfullversion)"
      libs_done=
    fi
    printf 'arch\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$arch" "$triplet" "$qemu" \
      "$compiler" "$qemu_version" "$gdb_version" "$(sysroot_of "$arch" "$triplet")"
    for p in "${programs[@]}"; do
      read -r name default_source args flags <<<"$p"
      runs_on "$arch" "$name" || continue
      source=$(source_for "$arch" "$name" "$default_source")
      exe=$out/$arch/$name
      [ -f "$exe" ] || continue
      if [ -z "$libs_done" ]; then
        interp=$(readelf -l "$exe" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
        for lib in "/usr/$triplet/lib/$(basename "$interp")" "/usr/$triplet/lib/libc.so.6"; do
          real=$(readlink -f "$lib")
          package=$(dpkg-query -S "$lib" 2>/dev/null | head -n 1 | cut -d: -f1)
          version=$(dpkg-query -W -f '${Version}' "$package" 2>/dev/null)
          printf 'lib\t%s\t%s\t%s\t%s\n' "$arch" "$real" "$package" "$version"
        done
        libs_done=1
      fi
      for kind in gcore qemu; do
        [ -f "$out/$arch/$name.$kind.core.zst" ] || continue
        printf 'fixture\t%s\t%s\t%s\t%s\t%s\n' "$arch" "$name" "$kind" "$source" "${args//,/ }"
      done
    done
  done
}
write_spec >"$work/spec.tsv"
$py manifest "$work/spec.tsv" "$out" || failed=$((failed + 1))
if [ -n "$manifest_only" ]; then
  echo "$prog: manifest rewritten, $failed problems, $(du -sh "$out" | cut -f1) in $out"
else
  echo "$prog: $made cores in $out, $failed problems, $(du -sh "$out" | cut -f1) in all"
fi
[ "$failed" -eq 0 ]
