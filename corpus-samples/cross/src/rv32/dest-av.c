/* DestAv, RV32: crashes/dest-av.c without libc (rt.h).  A log ring buffer
 * whose base pointer was corrupted to a wild (unmapped) address; appending a
 * byte is a one-byte store `sb` with the wild pointer as the destination. */
#include "rt.h"

struct ring {
    char *base;
    size_t head;
    size_t size;
};

static void ring_put(struct ring *r, char c)
{
    r->base[r->head] = c; // CRASH-LINE
    r->head = (r->head + 1) % r->size;
}

/* The ring lives in a structure that an earlier bug overwrote (0x414141414000
 * on the 64-bit architectures, truncated to uintptr_t on the 32-bit ones). */
static volatile uintptr_t corrupted_base = 0x41414000UL;

int main(void)
{
    struct ring log = { (char *)corrupted_base, 0, 4096 };
    const char *msg = "service started\n";
    for (const char *p = msg; *p; p++)
        ring_put(&log, *p);
    put_str(1, "logged\n");
    return 0;
}
