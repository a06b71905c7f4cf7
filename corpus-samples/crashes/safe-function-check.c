/* SafeFunctionCheck: a user name from the command line is copied into a
 * 16-byte buffer with strcpy.  Built with -O2 -D_FORTIFY_SOURCE=2, the call
 * becomes __strcpy_chk(buf, src, 16); the source length is only known at run
 * time, so the check fails there: __chk_fail -> __fortify_fail ("*** buffer
 * overflow detected ***") -> abort. */
#include <stdio.h>
#include <string.h>

__attribute__((noipa)) static void set_user(const char *name)
{
    char user[16];
    strcpy(user, name); // CRASH-LINE
    printf("user: %s\n", user);
}

int main(int argc, char **argv)
{
    set_user(argc > 1 ? argv[1] : "administrator@example.org");
    return 0;
}
