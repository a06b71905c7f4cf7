/* SegFaultOnPc: an event dispatcher calls a handler pointer that was never
 * set to a real function.  The value is canonical but unmapped, so the call
 * itself succeeds and the fault is the instruction fetch at the new pc
 * (SIGSEGV SEGV_MAPERR, si_addr == pc). */
#include <stdint.h>
#include <stdio.h>

typedef void (*event_handler)(int event);

struct dispatcher {
    const char *name;
    event_handler on_event;
};

#if defined(__x86_64__)
#define STALE_HANDLER 0x414141414000ULL /* canonical user address, never mapped */
#else
#define STALE_HANDLER 0x41414000UL      /* below the i386 executable, never mapped */
#endif

/* Stands for memory left behind by an earlier, freed dispatcher. */
static volatile uintptr_t stale_handler = STALE_HANDLER;

static void fire(struct dispatcher *d, int event)
{
    printf("dispatching event %d to %s\n", event, d->name);
    fflush(stdout);
    d->on_event(event); // CRASH-LINE
}

int main(void)
{
    struct dispatcher timer = { "timer", (event_handler)stale_handler };
    fire(&timer, 1);
    puts("not reached");
    return 0;
}
