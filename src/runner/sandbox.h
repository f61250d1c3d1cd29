/*
 * sandbox.h: what the native backend's files share: the seccomp filter
 * (seccomp.c) and the fixed descriptor numbers its command line names.
 */
#ifndef MP_SANDBOX_H
#define MP_SANDBOX_H

#include "core/err.h"

/* Descriptors the bwrap child receives (fixed, so command lines are exact). */
enum { SANDBOX_FD_SECCOMP = 10, SANDBOX_FD_PASSWD = 11, SANDBOX_FD_GROUP = 12 };

/*
 * The seccomp filter of every native task, as a BPF program in a memfd
 * positioned at its start (for bwrap --seccomp). Returns the descriptor or
 * a negative mp_err.
 */
int sandbox_seccomp_fd(mp_errbuf *e);

/* The names of the system calls the filter refuses (NULL-terminated), for docs and tests. */
extern const char *const sandbox_refused_syscalls[];

#endif
