/* StackGuard: a greeting copies a name into a 16-byte stack buffer without a
 * bound.  Built with -fstack-protector-strong: the canary check in the
 * epilogue fails and calls __stack_chk_fail ("*** stack smashing detected
 * ***"), which aborts.  The user frame is the epilogue of greet(). */
#include <stdio.h>

static void greet(const char *src)
{
    char name[16];
    int i;
    for (i = 0; src[i] != '\0'; i++)
        name[i] = src[i];
    name[i] = '\0';
    printf("hello, %s\n", name);
    fflush(stdout);
} // CRASH-LINE

int main(int argc, char **argv)
{
    /* 26 bytes and the terminator.  On x86-64 the buffer is at rbp-0x20 and
     * the canary at rbp-8: bytes 24..25 change the canary.  On i386 the
     * buffer is at ebp-0x1c and the canary at ebp-0xc: bytes 16..19 change
     * it.  Neither reaches the saved frame pointer or the return address,
     * so the stack above greet() still unwinds. */
    greet(argc > 1 ? argv[1] : "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    return 0;
}
