# Builds nasm in the current folder (the unpacked Debian source) with $CC,
# $CFLAGS and $LDFLAGS as realworld.sh sets them for each $FLAVOUR;
# `build.sh rebuild` only runs make again (after a fix is applied).
set -euo pipefail
[ "${1:-}" = rebuild ] || ./configure CC="$CC" CFLAGS="$CFLAGS" LDFLAGS="$LDFLAGS" < /dev/null
make -j"$(nproc)" nasm
