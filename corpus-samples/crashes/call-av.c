/* CallAv: a codec table pointer is wild (canonical but unmapped); the
 * compiler (-O2) emits `call [rax]`, and the memory operand of the call is
 * what faults (SIGSEGV SEGV_MAPERR, si_addr = the table address). */
#include <stdint.h>
#include <stdio.h>

typedef int (*codec_fn)(const char *data);

/* The selected codec slot; a stale index made it point far outside the
 * table. */
static codec_fn *volatile selected_codec = (codec_fn *)0x414141414000ULL;

__attribute__((noipa)) static int decode(const char *data)
{
    int rc = (*selected_codec)(data); // CRASH-LINE
    return rc + 1;
}

int main(int argc, char **argv)
{
    int rc = decode(argc > 1 ? argv[1] : "frame");
    printf("decoded: %d\n", rc);
    return rc;
}
