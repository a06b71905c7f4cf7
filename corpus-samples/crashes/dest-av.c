/* DestAv: a log ring buffer whose base pointer was corrupted to a wild
 * (canonical, unmapped) address.  Appending a byte is a one-byte store
 * `mov [rdx+rax], cl` with the wild pointer as the destination. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

/* The ring lives in a structure that an earlier bug overwrote. */
static volatile uintptr_t corrupted_base = 0x414141414000ULL;

int main(void)
{
    struct ring log = { (char *)corrupted_base, 0, 4096 };
    const char *msg = "service started\n";
    for (const char *p = msg; *p; p++)
        ring_put(&log, *p);
    puts("logged");
    return 0;
}
