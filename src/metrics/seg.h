/*
 * seg.h: segmentation metrics of one predicted label volume against one
 * reference label volume, per structure (a set of labels), with the
 * definitions pinned in docs/metrics-images.md:
 *
 *  - a structure's mask is the voxels whose label is in its set;
 *  - its surface is the mask's voxels with at least one of their 6 face
 *    neighbours outside the mask (outside the volume counts as outside);
 *  - distances are between voxel centres, in mm, from pixdim[1..3];
 *  - the directed distances A->B are, for each surface voxel of A, the
 *    distance to the nearest surface voxel of B;
 *  - HD95 is the larger of the two directed sets' 95th percentiles, each by
 *    linear interpolation between order statistics (numpy's "linear");
 *  - both masks empty: every metric takes its best value (overlap 1,
 *    distances 0); one empty: overlap metrics 0 and every distance the
 *    diagonal of the image's field of view, sqrt(sum (n_i s_i)^2).
 *
 * seg_evaluate (metrics.h) is built on these and pairs files, reads them,
 * checks them and summarises over cases.
 */
#ifndef MP_SEG_H
#define MP_SEG_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

enum seg_metric {
	SEG_DICE, SEG_IOU, SEG_SENSITIVITY, SEG_PRECISION,
	SEG_VOL_PRED, SEG_VOL_REF, SEG_VOL_DIFF,
	SEG_HD, SEG_HD95, SEG_ASSD, SEG_NSD,
	SEG_NMETRICS
};

/* Names of the metrics as they appear in parameters and results. */
extern const char *const seg_metric_names[SEG_NMETRICS];

#define SEG_ALL_METRICS ((1u << SEG_NMETRICS) - 1)
/* The metrics that need surfaces and distance transforms. */
#define SEG_DISTANCE_METRICS \
	((1u << SEG_HD) | (1u << SEG_HD95) | (1u << SEG_ASSD) | (1u << SEG_NSD))

/* Two label volumes on one grid. */
struct seg_volume {
	const int32_t *pred, *ref;  /* n[0]*n[1]*n[2] labels each, x fastest */
	size_t n[3];
	double sp[3];               /* spacing in mm (> 0) */
};

struct seg_opts {
	unsigned metrics;     /* bits (1 << enum seg_metric); others are not computed */
	double tolerance_mm;  /* NSD tolerance (> 0) */
	int nthreads;         /* for the distance transforms; <= 0: one per CPU */
};

/* A box of voxels [lo, hi) on each axis; empty when lo[0] >= hi[0]. */
struct seg_box {
	size_t lo[3], hi[3];
};

/*
 * Every metric for the structure made of the labels in set (nset of them)
 * into out[SEG_NMETRICS] (metrics not asked for are NAN). box, when not
 * NULL, must contain every voxel of the structure in either volume (it
 * saves a scan of the whole volume). MP_ENOMEM is the only failure.
 */
int seg_structure(const struct seg_volume *v, const int32_t *set, size_t nset,
		  const struct seg_box *box, const struct seg_opts *o, double out[SEG_NMETRICS],
		  mp_errbuf *e);

/*
 * The q-th percentile (0..100) of v[0..n-1] by linear interpolation
 * between order statistics: with h = (n-1) q/100, v_(floor h) +
 * (h - floor h) (v_(floor h + 1) - v_(floor h)). Reorders v. n > 0.
 */
double seg_percentile(double *v, size_t n, double q);

/* The values of every metric when both masks are empty (the best ones). */
void seg_both_empty(unsigned metrics, double out[SEG_NMETRICS]);

#endif
