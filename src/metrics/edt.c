/* metrics/edt.c: (being written) */
