/* BadInstruction, RV32: ../bad-instruction.c without libc (rt.h).  A state
 * machine reaches a state its author marked impossible, which executes
 * `unimp` (c.unimp, the all-zero halfword): SIGILL ILL_ILLOPC at it.
 * (__builtin_trap() is `ebreak` on RISC-V: SIGTRAP, not SIGILL.) */
#include "rt.h"

enum phase { PHASE_INIT, PHASE_RUN, PHASE_DONE };

#define UNDEFINED_INSTRUCTION() __asm__ volatile("unimp")

static const char *phase_name(enum phase p)
{
    switch (p) {
    case PHASE_INIT: return "init";
    case PHASE_RUN:  return "run";
    case PHASE_DONE: return "done";
    }
    UNDEFINED_INSTRUCTION(); // CRASH-LINE
    return "?";
}

/* A phase value read from a corrupted checkpoint file. */
static volatile int checkpoint_phase = 7;

int main(void)
{
    const char *name = phase_name((enum phase)checkpoint_phase);
    put_str(1, "resuming in phase ");
    put_str(1, name);
    put_str(1, "\n");
    return 0;
}
