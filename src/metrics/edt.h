/*
 * edt.h: the exact Euclidean distance transform of a 3-D grid with
 * anisotropic spacing, in time linear in the number of voxels: a distance
 * along x, then the lower envelope of parabolas along y and along z
 * (Felzenszwalb and Huttenlocher's separable method). Lines of each pass are
 * shared among threads.
 *
 * The grid is a box of voxel codes (one byte each, x fastest); a voxel is a
 * feature when its code has a chosen bit. Squared distances are in mm^2
 * between voxel centres, computed as ((dx*sx)^2 + (dy*sy)^2) + (dz*sz)^2
 * with dx, dy, dz whole numbers of voxels, so that they are the same bits
 * whichever method finds the nearest feature.
 */
#ifndef MP_EDT_H
#define MP_EDT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct edt_grid {
	const uint8_t *code;  /* n[0] * n[1] * n[2] voxel codes, x fastest */
	size_t n[3];
	double sp[3];         /* voxel spacing in mm along x, y, z (> 0) */
};

/*
 * The whole transform: out (n[0]*n[1]*n[2] doubles) gets the squared
 * distance from every voxel to the nearest voxel whose code has a bit of
 * feature; INFINITY everywhere when there is none. nthreads <= 0: one per
 * online CPU (small grids use one). MP_ENOMEM is the only failure.
 */
int edt_squared(const struct edt_grid *g, uint8_t feature, int nthreads, double *out,
		mp_errbuf *e);

/*
 * The distances (mm, not squared) from each voxel whose code has a bit of
 * query to the nearest feature voxel, in grid order (x fastest), into d,
 * which has room for every query voxel; *nd is how many there were. work
 * is scratch of n[0]*n[1]*n[2] doubles. The last pass runs at the query
 * voxels only, which is much cheaper when they are few (surfaces).
 */
int edt_query(const struct edt_grid *g, uint8_t feature, uint8_t query, int nthreads,
	      double *work, double *d, size_t *nd, mp_errbuf *e);

/* Threads to use for nthreads <= 0: the online CPUs, at most 16. */
int edt_default_threads(void);

#endif
