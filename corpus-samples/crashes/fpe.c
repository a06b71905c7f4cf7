/* FPE: an average over an empty sample set.  The divisor is read from a
 * volatile so the division is a real `idiv` that raises SIGFPE FPE_INTDIV. */
#include <stdio.h>

struct samples {
    int total;
    volatile int count;
};

static int average(struct samples *s)
{
    return s->total / s->count; // CRASH-LINE
}

int main(void)
{
    struct samples s = { 0, 0 };
    printf("average: %d\n", average(&s));
    return 0;
}
