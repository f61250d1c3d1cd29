/* metrics/seg.c: (being written) */
