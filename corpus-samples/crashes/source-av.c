/* SourceAv: a configuration reader follows a pointer to an options block
 * that is wild (canonical but unmapped) and loads a field from it:
 * `mov eax, [rax+4]` faults on the read. */
#include <stdint.h>
#include <stdio.h>

struct options {
    int version;
    int timeout_ms;
};

#if defined(__x86_64__)
#define WILD_OPTIONS 0x414141414000ULL /* canonical user address, never mapped */
#else
#define WILD_OPTIONS 0x41414000UL      /* below the i386 executable, never mapped */
#endif

/* Read from a stale shared-memory header. */
static volatile uintptr_t options_address = WILD_OPTIONS;

static int effective_timeout(const struct options *o, int fallback)
{
    int t = o->timeout_ms; // CRASH-LINE
    return t > 0 ? t : fallback;
}

int main(void)
{
    const struct options *o = (const struct options *)options_address;
    printf("timeout: %d\n", effective_timeout(o, 1000));
    return 0;
}
