/* BranchAvNearNull: a protocol state machine that was never given a
 * current state (NULL).  At -O2 the tail call to the state's input handler
 * is `jmp [rax+0x10]` with rax = 0, so the jump's memory operand faults at
 * 0x10. */
#include <stdio.h>

struct machine;

struct state {
    const char *name;
    int (*on_enter)(struct machine *m);
    int (*on_input)(struct machine *m, int byte);
};

struct machine {
    const char *protocol;
    const struct state *current; /* set by machine_start(), never called */
    int bytes_seen;
};

__attribute__((noipa)) static int feed(struct machine *m, int byte)
{
    m->bytes_seen++;
    return m->current->on_input(m, byte); // CRASH-LINE
}

static struct machine *volatile machines[1];

int main(void)
{
    static struct machine m = { "hello", NULL, 0 };
    machines[0] = &m;
    printf("accepted: %d\n", feed(machines[0], 'H'));
    return 0;
}
