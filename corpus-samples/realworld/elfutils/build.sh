# Builds elfutils in the current folder (the unpacked Debian source) with
# $CC, $CFLAGS and $LDFLAGS as realworld.sh sets them for each $FLAVOUR;
# `build.sh rebuild` only runs make again (after a fix is applied).
set -euo pipefail
[ "${1:-}" = rebuild ] || ./configure --disable-debuginfod --disable-libdebuginfod --disable-nls \
  CC="$CC" CFLAGS="$CFLAGS" LDFLAGS="$LDFLAGS" < /dev/null
if [ "$FLAVOUR" = afl ] && [ "${1:-}" != rebuild ]; then
  # AFL's coverage map is defined by the executable, so the libraries must
  # link with that symbol undefined; clang also warns where gcc does not.
  find . -name Makefile -exec sed -i 's/,--no-undefined//g; s/-Wl,-z,defs//g; s/-Werror//g' {} +
fi
# readelf finds the libraries built with it next to it: a run path of
# $ORIGIN, given to make (not to configure) as make's $$ and the shell's \$.
make -j"$(nproc)" LDFLAGS="$LDFLAGS -Wl,-rpath,\\\$\$ORIGIN"
