/* A few libc functions for the freestanding RV32 fixtures (Debian 12 has no
 * riscv32 libc): raw Linux syscalls through `ecall`, with the generic
 * syscall numbers of asm-generic/unistd.h that rv32 Linux uses.  rt.c holds
 * _start and the functions; every program is linked with it. */
#ifndef RV32_RT_H
#define RV32_RT_H

#include <stddef.h>
#include <stdint.h>

#define SIGABRT 6

void _exit(int status) __attribute__((noreturn));
void abort(void) __attribute__((noreturn));
int raise(int sig);
const char *getenv(const char *name);
int atoi(const char *s);
/* The stdio the programs need: a string, an unsigned number. */
void put_str(int fd, const char *s);
void put_uint(int fd, unsigned v);

#endif
