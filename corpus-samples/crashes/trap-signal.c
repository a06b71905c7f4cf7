/* TrapSignal: a leftover debugging breakpoint.  The inline `int3` raises
 * SIGTRAP (si_code SI_KERNEL); the saved pc is the byte after the int3,
 * which is the `nop` of the same asm statement, so the pc still maps to the
 * CRASH-LINE. */
#include <stdio.h>

/* Stops in the debugger when the sum is not the expected one. */
static int checksum(const unsigned char *p, int n, int expected)
{
    int sum = 0;
    for (int i = 0; i < n; i++)
        sum += p[i];
    if (sum != expected)
        __asm__ volatile("int3\n\tnop"); // CRASH-LINE
    return sum;
}

int main(void)
{
    static const unsigned char data[] = "payload";
    printf("checksum: %d\n", checksum(data, 7, 700));
    return 0;
}
