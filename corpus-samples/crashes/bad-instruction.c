/* BadInstruction: a state machine reaches a state its author marked as
 * impossible with __builtin_trap(), which GCC emits as `ud2`: SIGILL with
 * si_code ILL_ILLOPN at the ud2. */
#include <stdio.h>

enum phase { PHASE_INIT, PHASE_RUN, PHASE_DONE };

static const char *phase_name(enum phase p)
{
    switch (p) {
    case PHASE_INIT: return "init";
    case PHASE_RUN:  return "run";
    case PHASE_DONE: return "done";
    }
    __builtin_trap(); // CRASH-LINE
}

/* A phase value read from a corrupted checkpoint file. */
static volatile int checkpoint_phase = 7;

int main(void)
{
    printf("resuming in phase %s\n", phase_name((enum phase)checkpoint_phase));
    return 0;
}
