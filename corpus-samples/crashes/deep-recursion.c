/* A 100,000-frame deep stack: a recursive tree walk descends 100,000
 * levels and at the bottom stores its depth through an output pointer the
 * caller left NULL (`mov [rax], edx`, SIGSEGV at address 0).  The stack
 * needs about 5 MiB; so that any stack limit works, the program raises its
 * own RLIMIT_STACK to 256 MiB and executes itself again when the limit is
 * lower. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#define TARGET_DEPTH 100000
#define WANTED_STACK (256UL << 20)

static void descend(int depth, int target, int *deepest)
{
    if (depth == target) {
        *deepest = depth; // CRASH-LINE
        return;
    }
    descend(depth + 1, target, deepest);
}

int main(int argc, char **argv)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < WANTED_STACK && getenv("DEEP_RECURSION_REEXEC") == NULL) {
        rl.rlim_cur = WANTED_STACK;
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < WANTED_STACK)
            rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_STACK, &rl) == 0) {
            setenv("DEEP_RECURSION_REEXEC", "1", 1);
            execv("/proc/self/exe", argv);
            perror("execv");
        }
    }
    (void)argc;
    int *deepest = NULL; /* the caller forgot to pass &result */
    descend(0, TARGET_DEPTH, deepest);
    puts("not reached");
    return 0;
}
