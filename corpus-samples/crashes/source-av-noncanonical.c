/* SourceAv through a non-canonical pointer: a length field is read through
 * a pointer made of attacker bytes (0x4141414141414141).  The load
 * `mov eax, [rax]` raises #GP, so the kernel reports SIGSEGV with si_code
 * SI_KERNEL and si_addr 0: the fault address must come from the
 * instruction, not from siginfo. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct message {
    char tag[8];
    const int *length; /* overwritten by the tag copy below */
};

static int message_length(const struct message *m)
{
    return *m->length; // CRASH-LINE
}

int main(void)
{
    struct message m;
    int len = 16;
    m.length = &len;
    /* An unchecked copy of 16 tag bytes into an 8-byte field. */
    memcpy((char *)&m, "AAAAAAAAAAAAAAAA", 16);
    printf("length: %d\n", message_length(&m));
    return 0;
}
