/* runner/archive.c: (being written) */
