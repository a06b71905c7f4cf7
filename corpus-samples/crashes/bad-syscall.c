/* BadSyscall: a worker puts itself in a seccomp sandbox that traps socket()
 * (SECCOMP_RET_TRAP), then a forgotten code path opens a socket.  The kernel
 * sends SIGSYS (si_code SYS_SECCOMP); nothing handles it, so the process
 * dumps core with the pc just after the `syscall` instruction in libc's
 * socket(); the user frame is the caller of socket(). */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
#elif defined(__i386__)
#define SANDBOX_ARCH AUDIT_ARCH_I386
#else
#error "unsupported architecture"
#endif

static int enter_sandbox(void)
{
    struct sock_filter filter[] = {
        /* Anything not of our architecture is killed. */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        /* socket() traps, everything else is allowed. */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {
        .len = (unsigned short)(sizeof filter / sizeof filter[0]),
        .filter = filter,
    };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

static int report_status(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0); // CRASH-LINE
    if (fd >= 0)
        close(fd);
    return fd;
}

int main(void)
{
    if (enter_sandbox() != 0) {
        perror("seccomp");
        return 1;
    }
    puts("sandboxed");
    fflush(stdout);
    return report_status() < 0;
}
