/* runner/seccomp.c: (being written) */
