/* metrics/nifti.c: (being written) */
