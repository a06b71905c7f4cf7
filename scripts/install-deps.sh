#!/usr/bin/env bash
# Installs every Debian 12 package the project needs to build, test and benchmark.
# Run as root on a fresh Debian 12 machine; safe to run again.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libboost-program-options-dev libboost-dev libboost-filesystem-dev
  libtbb-dev libcapstone-dev libelf-dev libdw-dev
  libzstd-dev             # online mode stores cores zstd-compressed
  nlohmann-json3-dev catch2
  elfutils gdb            # eu-stack and gdb: baselines for bench/ and cross-checks in tests
  clang libclang-rt-14-dev   # the libFuzzer harness and sanitizer builds
  zstd file python3
  gcc-i686-linux-gnu libc6-dev-i386-cross   # i386 programs of the crash corpus (corpus-samples/)
  # The libraries the cross-architecture fixture cores (corpus-samples/cross) were
  # made with, found by tests through --sysroot /usr/<triplet>; gdb-multiarch is
  # bench/bench_arch.py's baseline.
  libc6-arm64-cross libc6-armhf-cross libc6-riscv64-cross gdb-multiarch
  # The real-world campaigns (corpus-samples/realworld): Debian sources fetched
  # with apt-get source, patched by the ground-truth check, and what their
  # builds need (elfutils: compression libraries, bison and flex, m4).
  dpkg-dev patch bison flex m4 gawk zlib1g-dev libbz2-dev liblzma-dev
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: run as root (it calls apt-get)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps.sh: all packages already installed"
  exit 0
fi
echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
