/* runner/proc.c: (being written) */
