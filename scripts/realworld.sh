#!/usr/bin/env bash
# The real-world campaign's programs (corpus-samples/realworld/PROGRAM/):
# their Debian source packages, pinned, fetched through a private apt
# configuration, and built plain (-g -O1) and with AddressSanitizer.
#
#   scripts/realworld.sh fetch PROGRAM            the unpacked source, cached
#   scripts/realworld.sh build PROGRAM OUT        OUT/plain/BIN and OUT/asan/BIN
#   scripts/realworld.sh verify PROGRAM OUT       each fix alone stops exactly its inputs
#   scripts/realworld.sh fuzz PROGRAM OUT SECONDS AFL++ on an instrumented build (OUT/afl)
#   scripts/realworld.sh list                     the programs with a ground truth
#
# Exit codes: 0 done; 1 failed (a build, a check); 2 bad use; 77 the pinned
# version can't be had here (no longer served, or no network): callers skip.
#
# The private apt configuration has deb-src entries for the same archives as
# the machine's own deb entries, so nothing of the machine's apt state changes.
# Downloads and unpacked sources are cached in $TRIAGE_CACHE (default
# /var/cache/triage when writable, else ~/.cache/triage).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# TRIAGE_REALWORLD_DIR: another folder of programs (the tests use it).
campaigns=${TRIAGE_REALWORLD_DIR:-$repo/corpus-samples/realworld}
say() { echo "realworld.sh: $*" >&2; }
usage() { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

cache=${TRIAGE_CACHE:-}
if [ -z "$cache" ]; then
  if mkdir -p /var/cache/triage 2>/dev/null && [ -w /var/cache/triage ]; then cache=/var/cache/triage
  else cache=${XDG_CACHE_HOME:-$HOME/.cache}/triage; fi
fi

# program.conf of PROGRAM: package, version, binary, command, and optionally
# artifacts (what the build leaves, copied next to the binary; default: the
# binary) and cc / asan_cc (the compilers; default gcc and clang).
load_program() {
  local dir="$campaigns/$1"
  [ -f "$dir/program.conf" ] || { say "no program '$1' (known: $(ls "$campaigns" | tr '\n' ' '))"; exit 2; }
  package= version= binary= command= artifacts= cc=gcc asan_cc=clang
  # shellcheck disable=SC1091
  . "$dir/program.conf"
  program_dir=$dir
}

# The archives the machine's apt uses, as deb-src entries in a private configuration.
apt_private() {
  local apt="$cache/apt"
  mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/sources.list.d"
  local entries=()
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    while read -r type rest; do
      [ "$type" = deb ] && entries+=("deb-src $rest")
    done < <(sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f")
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822 stanzas: keep those whose Types include deb, as deb-src.
    awk 'BEGIN{RS=""; FS="\n"} {
           deb=0; uris=""; suites=""; comps=""; key=""
           for (i = 1; i <= NF; i++) {
             line=$i; sub(/#.*/, "", line); if (line ~ /^[ \t]*$/) continue
             if (match(line, /^[A-Za-z-]+:/)) { key=substr(line, 1, RLENGTH-1); val=substr(line, RLENGTH+1) } else val=line
             if (key=="Types" && val ~ /(^|[ \t])deb([ \t]|$)/) deb=1
             if (key=="URIs") uris=uris" "val
             if (key=="Suites") suites=suites" "val
             if (key=="Components") comps=comps" "val
             if (key=="Enabled" && val ~ /no/) deb=0
           }
           if (deb) { n=split(uris, u, " "); m=split(suites, s, " ")
             for (a=1; a<=n; a++) for (b=1; b<=m; b++) print "deb-src " u[a] " " s[b] comps }
         }' "$f" > "$apt/.deb822-entries"
    local line
    while read -r line; do entries+=("$line"); done < "$apt/.deb822-entries"
  done
  if [ ${#entries[@]} -eq 0 ]; then
    say "the machine's apt configuration names no Debian archive to take sources from"
    exit 77
  fi
  printf '%s\n' "${entries[@]}" | sort -u > "$apt/sources.list"
  apt_options=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=$apt/sources.list.d"
               -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache::Archives=$apt/archives"
               -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o "APT::Sandbox::User=root")
}

fetch() {
  load_program "$1"
  local src="$cache/src/$package-$version"
  if [ -f "$src/.complete" ]; then echo "$src"; return; fi
  command -v dpkg-source >/dev/null || { say "dpkg-source not found (apt-get install dpkg-dev)"; exit 1; }
  apt_private
  local lists_age=999999
  [ -f "$cache/apt/.updated" ] && lists_age=$(( $(date +%s) - $(stat -c %Y "$cache/apt/.updated") ))
  if [ "$lists_age" -gt 86400 ] || ! apt-cache "${apt_options[@]}" showsrc "$package" 2>/dev/null | grep -q "^Version: $version\$"; then
    if ! apt-get "${apt_options[@]}" update -qq >&2; then
      say "can't read the source lists (no network?); $package $version skipped"
      exit 77
    fi
    touch "$cache/apt/.updated"
  fi
  if ! apt-cache "${apt_options[@]}" showsrc "$package" 2>/dev/null | grep -q "^Version: $version\$"; then
    say "$package $version is no longer served (served: $(apt-cache "${apt_options[@]}" showsrc "$package" 2>/dev/null | sed -n 's/^Version: //p' | tr '\n' ' '))."
    say "To move the campaign to a served version, see $repo/corpus-samples/realworld/README.md ('Moving to a new version')."
    exit 77
  fi
  local work="$cache/download/$package-$version"
  rm -rf "$work" "$src"
  mkdir -p "$work" "$(dirname "$src")"
  if ! (cd "$work" && apt-get "${apt_options[@]}" source --download-only -qq "$package=$version" >&2); then
    say "could not download the source of $package $version; skipped"
    exit 77
  fi
  dpkg-source --no-check -x "$work"/*.dsc "$src" >/dev/null
  touch "$src/.complete"
  echo "$src"
}

# build PROGRAM OUT [FLAVOUR...]: a fresh copy of the source per flavour
# (default: plain and asan), built by the program's build.sh with the
# flavour's compiler and flags; build.sh sees the flavour in $FLAVOUR.
build() {
  local program=$1 out=$2
  shift 2
  local flavours=("$@")
  [ ${#flavours[@]} -gt 0 ] || flavours=(plain asan)
  local src=""
  load_program "$program"
  mkdir -p "$out"
  out=$(cd "$out" && pwd)  # the builds run in folders below it
  local flavour
  for flavour in "${flavours[@]}"; do
    local dir="$out/$flavour"
    if [ -x "$dir/$binary" ] && [ "$dir/.stamp" -nt "$program_dir/build.sh" ] && [ "$dir/.stamp" -nt "$program_dir/program.conf" ]; then
      continue
    fi
    if [ -z "$src" ]; then
      src=$(fetch "$program")
      load_program "$program"
    fi
    rm -rf "$dir" "$out/src-$flavour"
    cp -a "$src" "$out/src-$flavour"
    if [ "$flavour" = afl ]; then
      # The fuzzing build has the known bugs fixed, so the fuzzer looks for new ones.
      local fix
      for fix in "$program_dir"/fixes/*.patch; do
        [ -f "$fix" ] && patch -s -p1 -d "$out/src-$flavour" -i "$fix"
      done
    fi
    local compiler=$cc cflags="-g -O1" ldflags=""
    case $flavour in
      asan) compiler=$asan_cc cflags="-g -O1 -fsanitize=address -fno-omit-frame-pointer" ldflags="-fsanitize=address" ;;
      afl) compiler=afl-clang-fast ;;
    esac
    say "building $package $version ($flavour)"
    # Kept for rebuilds of this tree (realworld_verify.py: build.sh rebuild).
    printf 'FLAVOUR=%s\nCC=%s\nCFLAGS=%s\nLDFLAGS=%s\n' "$flavour" "$compiler" "$cflags" "$ldflags" > "$out/src-$flavour/.triage-build-env"
    if ! (cd "$out/src-$flavour" && FLAVOUR=$flavour CC=$compiler CFLAGS=$cflags LDFLAGS=$ldflags \
            bash "$program_dir/build.sh" > "$out/build-$flavour.log" 2>&1); then
      say "the $flavour build of $package failed; its log: $out/build-$flavour.log"
      tail -20 "$out/build-$flavour.log" >&2
      exit 1
    fi
    mkdir -p "$dir"
    local artifact
    for artifact in ${artifacts:-$binary}; do cp "$out/src-$flavour/$artifact" "$dir/"; done
    touch "$dir/.stamp"
  done
  echo "$out"
}

# fuzz PROGRAM OUT SECONDS: AFL++ on an instrumented build, from the
# program's seeds (fuzz/seeds) and dictionary (fuzz/dict, if any), resuming
# OUT/afl-out when it exists. What it finds is triaged with triage-run and
# added to inputs/ with its ground truth by hand (see the README there).
fuzz() {
  local program=$1 out=$2 seconds=$3
  command -v afl-fuzz >/dev/null || { say "afl-fuzz not found (apt-get install afl++)"; exit 1; }
  build "$program" "$out" afl >/dev/null
  load_program "$program"
  out=$(cd "$out" && pwd)
  local argv=()
  read -r -a argv <<< "$command"
  argv[0]="$out/afl/$binary"
  # A new campaign starts from the seeds and the queue of earlier campaigns
  # (fuzz/corpus.tar.zst); an interrupted one resumes.
  local input=("-i" "-")
  if [ ! -d "$out/afl-out/default/queue" ]; then
    rm -rf "$out/afl-in"
    mkdir -p "$out/afl-in"
    cp "$program_dir"/fuzz/seeds/* "$out/afl-in/"
    if [ -f "$program_dir/fuzz/corpus.tar.zst" ]; then
      rm -rf "$out/afl-unpack"
      mkdir -p "$out/afl-unpack"
      zstd -dc "$program_dir/fuzz/corpus.tar.zst" | tar -x -C "$out/afl-unpack"
      local file
      find "$out/afl-unpack" -type f | while read -r file; do
        file=${file#"$out/afl-unpack/"}
        cp "$out/afl-unpack/$file" "$out/afl-in/${file//\//-}"
      done
    fi
    input=("-i" "$out/afl-in")
  fi
  local dict=()
  [ -f "$program_dir/fuzz/dict" ] && dict=("-x" "$program_dir/fuzz/dict")
  mkdir -p "$out/afl-work"
  cd "$out/afl-work"
  AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_IGNORE_SEED_PROBLEMS=1 \
    afl-fuzz "${input[@]}" -o "$out/afl-out" "${dict[@]}" -m none -t 1000 -V "$seconds" -- "${argv[@]}"
}

case "${1:-}" in
  list) ls "$campaigns" | while read -r p; do [ -f "$campaigns/$p/ground-truth.tsv" ] && echo "$p"; done ;;
  fetch) [ $# -eq 2 ] || usage; fetch "$2" ;;
  build) [ $# -ge 3 ] || usage; build "$2" "$3" "${@:4}" ;;
  fuzz) [ $# -eq 4 ] || usage; fuzz "$2" "$3" "$4" ;;
  verify) [ $# -eq 3 ] || usage; exec python3 "$repo/scripts/realworld_verify.py" "$2" "$3" ;;
  *) usage ;;
esac
