/* StackOverflow by unbounded recursion: a recursive list walk over a list
 * that was accidentally made circular.  walk() keeps its state in globals,
 * so its -O0 frame is exactly the return address (written by `call`) and
 * the saved rbp (written by `push rbp`), 16 bytes.  Frames are 16-byte
 * aligned and `call` writes the upper half of each 16-byte slot before
 * `push` writes the lower half, so the first write below the stack limit
 * is always the `call` on the CRASH-LINE: SIGSEGV SEGV_MAPERR with si_addr
 * = rsp - 8. */
#include <stdio.h>
#include <stdlib.h>

struct node {
    struct node *next;
    unsigned long visits;
};

static struct node *cursor;
static unsigned long visited;

static void walk(void)
{
    if (cursor == NULL)
        return;
    cursor->visits++;
    visited++;
    cursor = cursor->next;
    walk(); // CRASH-LINE
}

int main(void)
{
    enum { N = 8 };
    struct node *nodes = calloc(N, sizeof *nodes);
    for (int i = 0; i < N; i++)
        nodes[i].next = &nodes[(i + 1) % N]; /* bug: the last node links back */
    cursor = &nodes[0];
    walk();
    printf("visited %lu nodes\n", visited);
    return 0;
}
