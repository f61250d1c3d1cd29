/*
 * volume.h: what the brain segmentation example's programs share about
 * images: the case files of a folder and their pairing, a 3-D volume read
 * with the project's NIfTI reader (src/metrics/nifti.c) as doubles, the grid
 * check between two volumes, our NIfTI-1 writer, a percentile, and the mean
 * of a box neighbourhood within a mask.
 *
 * A case is one file named ID.nii.gz or ID.nii; its id is the name without
 * that ending. Hidden files are ignored; any other file or folder in a case
 * folder is refused, so a stray file never passes for "no case".
 *
 * Lifecycle: caselist_read fills a caller's struct, caselist_release frees
 * it; vol_read fills a caller's struct (nothing to free on failure),
 * vol_release frees it.
 */
#ifndef BS_VOLUME_H
#define BS_VOLUME_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "metrics/nifti.h"

/* Cap on the voxels of one case (the example's volumes have ~130,000). */
#define VOL_MAX_VOXELS ((size_t)64 << 20)

struct caselist {
	size_t n;
	char **file;  /* file names, sorted (strcmp) */
	char **id;    /* the same without .nii.gz / .nii */
};

int caselist_read(const char *dir, struct caselist *cl, mp_errbuf *e);
void caselist_release(struct caselist *cl);
/* Every id of a is in b and every id of b in a (what names the folders). */
int caselist_pair(const struct caselist *a, const char *adir, const struct caselist *b,
		  const char *bdir, mp_errbuf *e);

struct vol {
	struct nifti_image img;  /* header; its data is freed once v is filled */
	int64_t nx, ny, nz;
	size_t n;                /* nx * ny * nz */
	double *v;               /* values with scl_slope/scl_inter applied, x fastest */
};

/*
 * Reads a 3-D image (dim[4..7] must be 1) with positive, finite spacing and
 * finite values. Messages name the file and the problem.
 */
int vol_read(const char *path, struct vol *vol, mp_errbuf *e);
void vol_release(struct vol *vol);
/* The same dimensions, spacing (relative 1e-6) and voxel-to-world affine (1e-5). */
int vol_same_grid(const struct vol *a, const char *aname, const struct vol *b,
		  const char *bname, mp_errbuf *e);

/*
 * Writes a gzip-compressed NIfTI-1 file at path (through a hidden temporary
 * file in the same folder, renamed over path) with geom's dimensions,
 * spacing and orientation fields and the given voxels (datatype
 * NIFTI_DT_UINT8 or NIFTI_DT_FLOAT32, geom->nvox of them). The same input
 * gives the same bytes (no time stamp).
 */
int niftiw_write(const char *path, const struct nifti_image *geom, int datatype,
		 const void *data, const char *descrip, mp_errbuf *e);

/* The q-th percentile (0..100) of n values, by linear interpolation between
 * order statistics (numpy's default); sorts vals. n must be > 0. */
double percentile(double *vals, size_t n, double q);

/*
 * out[i] = the mean of v over the voxels of mask within the (2r+1)^3 box
 * around voxel i, for the voxels of mask; 0 elsewhere. Boxes are cut at the
 * volume's border.
 */
int box_mean(const double *v, const unsigned char *mask, int64_t nx, int64_t ny, int64_t nz,
	     int r, double *out);

/* "DIR/NAME" into a new string (NULL when out of memory). */
char *path_join(const char *dir, const char *name);

#endif
