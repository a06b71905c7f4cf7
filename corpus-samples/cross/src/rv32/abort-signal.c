/* AbortSignal, RV32: crashes/abort-signal.c without libc (rt.h).  A file
 * format version check that gives up with abort(): rt.c's abort unblocks
 * SIGABRT and raise sends it with tgkill (SI_TKILL), so the frames are
 * raise, abort, check_version, main. */
#include "rt.h"

#define FORMAT_VERSION 3

static void check_version(int version)
{
    if (version != FORMAT_VERSION) {
        put_str(2, "unsupported format version\n");
        abort(); // CRASH-LINE
    }
}

int main(int argc, char **argv)
{
    check_version(argc > 1 ? atoi(argv[1]) : 2);
    put_str(1, "version ok\n");
    return 0;
}
