/* SegFaultOnPc, RV32: crashes/segfault-on-pc.c without libc (rt.h).  An
 * event dispatcher calls a handler pointer that was never set to a real
 * function.  0x41414000 is never mapped, so the call (`jalr`) itself succeeds
 * and the fault is the instruction fetch at the new pc (SIGSEGV SEGV_MAPERR,
 * si_addr == pc); ra holds the return address into fire. */
#include "rt.h"

typedef void (*event_handler)(int event);

struct dispatcher {
    const char *name;
    event_handler on_event;
};

#define STALE_HANDLER 0x41414000UL /* never mapped */

/* Stands for memory left behind by an earlier, freed dispatcher. */
static volatile uintptr_t stale_handler = STALE_HANDLER;

static void fire(struct dispatcher *d, int event)
{
    put_str(1, "dispatching event ");
    put_uint(1, event);
    put_str(1, " to ");
    put_str(1, d->name);
    put_str(1, "\n");
    d->on_event(event); // CRASH-LINE
}

int main(void)
{
    struct dispatcher timer = { "timer", (event_handler)stale_handler };
    fire(&timer, 1);
    put_str(1, "not reached\n");
    return 0;
}
