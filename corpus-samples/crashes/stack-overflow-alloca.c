/* StackOverflow by one huge variable-length array: an image renderer sizes
 * its scan buffer from the header and puts it on the stack.  The buffer is
 * 256 KiB larger than the whole stack limit, so after `sub rsp, rax` the
 * first store into it (`mov [rdx+rax], cl`, canvas[0] at rsp) lands below
 * the stack limit, in the unmapped gap the kernel keeps below the stack:
 * SIGSEGV SEGV_MAPERR with si_addr = rsp.
 *
 * The gap below the stack is at least RLIMIT_STACK + stack_guard_gap, so the
 * store address is unmapped for any finite limit.  With an unlimited stack
 * the kernel uses the legacy layout and the array could succeed, so the
 * program then sets an 8 MiB limit and executes itself again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static size_t render_row(size_t width)
{
    char canvas[width];
    for (size_t i = 0; i < width; i++)
        canvas[i] = ' '; // CRASH-LINE
    return (size_t)canvas[width / 2];
}

int main(int argc, char **argv)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_STACK, &rl) != 0) {
        perror("getrlimit");
        return 1;
    }
    if (rl.rlim_cur == RLIM_INFINITY) {
        rl.rlim_cur = 8UL << 20;
        if (setrlimit(RLIMIT_STACK, &rl) != 0) {
            perror("setrlimit");
            return 1;
        }
        execv("/proc/self/exe", argv);
        perror("execv");
        return 1;
    }
    (void)argc;
    size_t width = (size_t)rl.rlim_cur + (256UL << 10);
    printf("rendering a row of %zu bytes\n", width);
    fflush(stdout);
    return (int)render_row(width);
}
