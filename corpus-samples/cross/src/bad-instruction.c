/* BadInstruction on AArch64 and RISC-V: the same state machine as
 * crashes/bad-instruction.c, but the "impossible" state executes an
 * architecturally undefined instruction written out by hand.  GCC's
 * __builtin_trap() is an undefined instruction only on x86 (ud2) and 32-bit
 * ARM (Thumb `udf #255`); on AArch64 it is `brk #1000` and on RISC-V
 * `ebreak`, both SIGTRAP (TrapSignal), not SIGILL.  Here:
 *   AArch64: `udf #0` (the all-zero word, permanently undefined)
 *   RISC-V:  `unimp` (c.unimp, the all-zero halfword, with the C extension)
 * Either gives SIGILL ILL_ILLOPC with the pc at the instruction. */
#include <stdio.h>

enum phase { PHASE_INIT, PHASE_RUN, PHASE_DONE };

#if defined(__aarch64__)
#define UNDEFINED_INSTRUCTION() __asm__ volatile("udf #0")
#elif defined(__riscv)
#define UNDEFINED_INSTRUCTION() __asm__ volatile("unimp")
#else
#define UNDEFINED_INSTRUCTION() __builtin_trap()
#endif

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
    printf("resuming in phase %s\n", phase_name((enum phase)checkpoint_phase));
    return 0;
}
