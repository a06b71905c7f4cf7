/* AbortSignal: a file format version check that gives up with abort():
 * SIGABRT raised from inside libc (pthread_kill/raise), the user frame is
 * the caller of abort(). */
#include <stdio.h>
#include <stdlib.h>

#define FORMAT_VERSION 3

static void check_version(int version)
{
    if (version != FORMAT_VERSION) {
        fprintf(stderr, "unsupported format version %d\n", version);
        abort(); // CRASH-LINE
    }
}

int main(int argc, char **argv)
{
    check_version(argc > 1 ? atoi(argv[1]) : 2);
    puts("version ok");
    return 0;
}
