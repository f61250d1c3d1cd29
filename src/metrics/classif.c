/* metrics/classif.c: (being written) */
