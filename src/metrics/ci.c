/* metrics/ci.c: (being written) */
