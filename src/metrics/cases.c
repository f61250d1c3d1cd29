/* metrics/cases.c: (being written) */
