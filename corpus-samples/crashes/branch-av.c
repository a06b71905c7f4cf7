/* BranchAv: a protocol state machine hands each byte to the current state's
 * handler with a tail call.  The state pointer was overwritten with a wild
 * (canonical, unmapped) value; at -O2 the sibling call compiles to
 * `jmp [rax+0x10]`, and that indirect jump's memory operand faults. */
#include <stdio.h>

struct machine;

struct state {
    const char *name;
    int (*on_enter)(struct machine *m);
    int (*on_input)(struct machine *m, int byte);
};

struct machine {
    const char *protocol;
    const struct state *current;
    int bytes_seen;
};

__attribute__((noipa)) static int feed(struct machine *m, int byte)
{
    m->bytes_seen++;
    return m->current->on_input(m, byte); // CRASH-LINE
}

static int idle_input(struct machine *m, int byte)
{
    (void)m;
    return byte == 'H';
}

static const struct state idle = { "idle", NULL, idle_input };

/* Machines are reached through a table the compiler cannot see into. */
static struct machine *volatile machines[1];

int main(void)
{
    static struct machine m = { "hello", &idle, 0 };
    machines[0] = &m;
    printf("accepted: %d\n", feed(machines[0], 'H'));
    /* A use-after-free elsewhere scribbled over the state pointer. */
    machines[0]->current = (const struct state *)0x414141414000ULL;
    printf("accepted: %d\n", feed(machines[0], 'E'));
    return 0;
}
