/* _start and a few libc functions for the freestanding RV32 fixtures (see
 * rt.h).  Built with each program, with the same flags (-O0 -g
 * -fno-omit-frame-pointer ...). */
#include "rt.h"

/* asm-generic/unistd.h, as rv32 Linux uses them. */
#define SYS_write 64
#define SYS_exit_group 94
#define SYS_tgkill 131
#define SYS_rt_sigprocmask 135
#define SYS_getpid 172
#define SYS_gettid 178
#define SIG_UNBLOCK 1

/* Macros, as glibc's INTERNAL_SYSCALL: the ecall is part of the function that
 * makes it, so no helper frame (an inlined one would still be listed) stands
 * between raise and the signal. */
#define syscall3(n, a, b, c)                                                      \
    ({                                                                            \
        register long a0_ __asm__("a0") = (long)(a);                              \
        register long a1_ __asm__("a1") = (long)(b);                              \
        register long a2_ __asm__("a2") = (long)(c);                              \
        register long a7_ __asm__("a7") = (n);                                    \
        __asm__ volatile("ecall" : "+r"(a0_) : "r"(a1_), "r"(a2_), "r"(a7_) : "memory"); \
        a0_;                                                                      \
    })

#define syscall4(n, a, b, c, d)                                                   \
    ({                                                                            \
        register long a0_ __asm__("a0") = (long)(a);                              \
        register long a1_ __asm__("a1") = (long)(b);                              \
        register long a2_ __asm__("a2") = (long)(c);                              \
        register long a3_ __asm__("a3") = (long)(d);                              \
        register long a7_ __asm__("a7") = (n);                                    \
        __asm__ volatile("ecall" : "+r"(a0_) : "r"(a1_), "r"(a2_), "r"(a3_), "r"(a7_) : "memory"); \
        a0_;                                                                      \
    })

static char **environ_;

void _exit(int status)
{
    for (;;)
        syscall3(SYS_exit_group, status, 0, 0);
}

/* As glibc's: the signal is sent to the calling thread with tgkill, so it
 * arrives with si_code SI_TKILL before raise returns. */
int raise(int sig)
{
    long pid = syscall3(SYS_getpid, 0, 0, 0);
    long tid = syscall3(SYS_gettid, 0, 0, 0);
    return (int)syscall3(SYS_tgkill, pid, tid, sig);
}

/* As glibc's: unblock SIGABRT, raise it; should a handler return, exit. */
void abort(void)
{
    unsigned long set[2] = { 1UL << (SIGABRT - 1), 0 }; /* the kernel's 64-bit sigset_t */
    syscall4(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)set, 0, sizeof set);
    raise(SIGABRT);
    _exit(127);
}

const char *getenv(const char *name)
{
    for (char **e = environ_; e && *e; e++) {
        const char *p = *e, *n = name;
        while (*n && *p == *n)
            p++, n++;
        if (!*n && *p == '=')
            return p + 1;
    }
    return NULL;
}

int atoi(const char *s)
{
    int sign = 1, v = 0;
    if (*s == '-')
        sign = -1, s++;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (*s++ - '0');
    return sign * v;
}

void put_str(int fd, const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    syscall3(SYS_write, fd, (long)s, (long)n);
}

void put_uint(int fd, unsigned v)
{
    char buf[12];
    char *p = buf + sizeof buf - 1;
    *p = '\0';
    do
        *--p = (char)('0' + v % 10);
    while (v /= 10);
    put_str(fd, p);
}

int main(int argc, char **argv);

void start_c(int argc, char **argv)
{
    environ_ = argv + argc + 1;
    _exit(main(argc, argv));
}

/* The kernel's initial stack: argc, argv[], NULL, envp[], NULL, auxv.  As
 * glibc's start.S: gp is set to __global_pointer$ (the linker relaxes
 * accesses near it to gp-relative ones) without relaxation, ra is undefined
 * here (the outermost frame), fp is cleared. */
__asm__(
    ".text\n"
    ".globl _start\n"
    ".type _start, @function\n"
    "_start:\n"
    ".cfi_startproc\n"
    ".cfi_undefined ra\n"
    ".option push\n"
    ".option norelax\n"
    "  la gp, __global_pointer$\n"
    ".option pop\n"
    "  li fp, 0\n"
    "  li ra, 0\n"
    "  lw a0, 0(sp)\n"
    "  addi a1, sp, 4\n"
    "  andi sp, sp, -16\n"
    "  call start_c\n"
    "  unimp\n"
    ".cfi_endproc\n"
    ".size _start, .-_start\n");
