/*
 * seg.c: segmentation metrics of one structure (seg.h): overlap, volumes
 * and surface distances of a predicted label mask against a reference
 * label mask (definitions in seg.h and docs/metrics-images.md). Pairing
 * files and scoring every structure of every case (seg_evaluate) is
 * seg_eval.c's job; the parameters are read in seg_params.c.
 *
 * One structure is scored on the bounding box of its voxels in either
 * volume, padded by one voxel on every side, as a grid of byte codes (in
 * the prediction, in the reference, on either surface); the two distance
 * transforms run on that grid only.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/edt.h"
#include "metrics/seg_int.h"

const char *const seg_metric_names[SEG_NMETRICS] = {
	"dice", "iou", "sensitivity", "precision",
	"volume_prediction_mm3", "volume_reference_mm3", "volume_difference_mm3",
	"hausdorff", "hd95", "assd", "nsd",
};

/* Codes of the box grid. */
enum { IN_PRED = 1, IN_REF = 2, SURF_PRED = 4, SURF_REF = 8 };

/* The bounding box of the structure's voxels in either volume. */
static void scan_box(const struct seg_volume *v, const int32_t *set, size_t nset,
		     struct seg_box *b)
{
	const size_t *n = v->n;
	size_t i = 0;

	for (int a = 0; a < 3; a++) {
		b->lo[a] = SIZE_MAX;
		b->hi[a] = 0;
	}
	for (size_t z = 0; z < n[2]; z++)
		for (size_t y = 0; y < n[1]; y++)
			for (size_t x = 0; x < n[0]; x++, i++) {
				if (!in_set(set, nset, v->pred[i]) && !in_set(set, nset, v->ref[i]))
					continue;
				size_t c[3] = {x, y, z};
				for (int a = 0; a < 3; a++) {
					if (c[a] < b->lo[a])
						b->lo[a] = c[a];
					if (c[a] + 1 > b->hi[a])
						b->hi[a] = c[a] + 1;
				}
			}
	if (b->hi[0] == 0)
		memset(b, 0, sizeof(*b));
}

/*
 * Fills the padded grid g (m[0]*m[1]*m[2] zeroed bytes) from the box and
 * counts the voxels in the prediction, the reference and both.
 */
static void fill_grid(const struct seg_volume *v, const int32_t *set, size_t nset,
		      const struct seg_box *b, uint8_t *g, const size_t m[3], uint64_t cnt[3])
{
	const size_t *n = v->n;
	size_t w = b->hi[0] - b->lo[0];
	uint64_t np = 0, nr = 0, nb = 0;

	for (size_t z = b->lo[2]; z < b->hi[2]; z++)
		for (size_t y = b->lo[1]; y < b->hi[1]; y++) {
			size_t src = (z * n[1] + y) * n[0] + b->lo[0];
			const int32_t *p = v->pred + src, *r = v->ref + src;
			uint8_t *d = g + ((z - b->lo[2] + 1) * m[1] + (y - b->lo[1] + 1)) * m[0] + 1;
			if (nset == 1) {
				int32_t l = set[0];
				for (size_t x = 0; x < w; x++) {
					unsigned a = p[x] == l, c = r[x] == l;
					d[x] = (uint8_t)(a | c << 1);
					np += a;
					nr += c;
					nb += a & c;
				}
			} else {
				for (size_t x = 0; x < w; x++) {
					unsigned a = (unsigned)in_set(set, nset, p[x]);
					unsigned c = (unsigned)in_set(set, nset, r[x]);
					d[x] = (uint8_t)(a | c << 1);
					np += a;
					nr += c;
					nb += a & c;
				}
			}
		}
	cnt[0] = np;
	cnt[1] = nr;
	cnt[2] = nb;
}

/* Marks with surf the voxels of in having a face neighbour outside in. */
static size_t mark_surface(uint8_t *g, const size_t m[3], uint8_t in, uint8_t surf)
{
	size_t sy = m[0], sz = m[0] * m[1], count = 0;

	for (size_t z = 1; z + 1 < m[2]; z++)
		for (size_t y = 1; y + 1 < m[1]; y++) {
			size_t i = z * sz + y * sy + 1;
			for (size_t x = 1; x + 1 < m[0]; x++, i++) {
				if (!(g[i] & in))
					continue;
				if (!(g[i - 1] & g[i + 1] & g[i - sy] & g[i + sy] & g[i - sz] &
				      g[i + sz] & in)) {
					g[i] |= surf;
					count++;
				}
			}
		}
	return count;
}

static double max_of(const double *v, size_t n)
{
	double m = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

static size_t within(const double *v, size_t n, double tol)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += v[i] <= tol;
	return k;
}

static void select_kth(double *v, size_t n, size_t k)
{
	ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;

	while (hi > lo) {
		ptrdiff_t mid = lo + (hi - lo) / 2, i = lo, j = hi;
		double t, pivot;
		/* median of three: v[lo] <= v[mid] <= v[hi] bounds the scans below */
		if (v[mid] < v[lo]) { t = v[mid]; v[mid] = v[lo]; v[lo] = t; }
		if (v[hi] < v[lo]) { t = v[hi]; v[hi] = v[lo]; v[lo] = t; }
		if (v[hi] < v[mid]) { t = v[hi]; v[hi] = v[mid]; v[mid] = t; }
		pivot = v[mid];
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				j--;
			}
		}
		if (kk <= j)
			hi = j;
		else if (kk >= i)
			lo = i;
		else
			return;
	}
}

double seg_percentile(double *v, size_t n, double q)
{
	double h = (double)(n - 1) * (q / 100.0), t, a, b, diff;
	size_t lo = (size_t)floor(h);

	if (lo >= n - 1) {
		select_kth(v, n, n - 1);
		return v[n - 1];
	}
	t = h - (double)lo;
	select_kth(v, n, lo);
	a = v[lo];
	b = v[lo + 1];
	for (size_t i = lo + 2; i < n; i++)
		if (v[i] < b)
			b = v[i];
	/* numpy's lerp: exact at both ends */
	diff = b - a;
	return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

void seg_both_empty(unsigned metrics, double out[SEG_NMETRICS])
{
	static const double best[SEG_NMETRICS] = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1};

	for (int m = 0; m < SEG_NMETRICS; m++)
		out[m] = metrics & (1u << m) ? best[m] : NAN;
}

static void overlap(const uint64_t c[3], double voxel_mm3, double out[SEG_NMETRICS])
{
	double np = (double)c[0], nr = (double)c[1], tp = (double)c[2];

	out[SEG_DICE] = 2 * tp / (np + nr);
	out[SEG_IOU] = tp / (np + nr - tp);
	out[SEG_SENSITIVITY] = c[1] ? tp / nr : 0;
	out[SEG_PRECISION] = c[0] ? tp / np : 0;
	out[SEG_VOL_PRED] = np * voxel_mm3;
	out[SEG_VOL_REF] = nr * voxel_mm3;
	out[SEG_VOL_DIFF] = out[SEG_VOL_PRED] - out[SEG_VOL_REF];
}

/* HD, HD95, ASSD and NSD on the grid whose surfaces are marked. */
static int distances(const struct edt_grid *eg, size_t ns_pred, size_t ns_ref,
		     const struct seg_opts *o, double out[SEG_NMETRICS], mp_errbuf *e)
{
	size_t total = eg->n[0] * eg->n[1] * eg->n[2];
	double *buf = malloc(sizeof(double) * total);
	double *dp = malloc(sizeof(double) * ns_pred), *dr = malloc(sizeof(double) * ns_ref);
	double ns = (double)(ns_pred + ns_ref);
	size_t k;
	int rc;

	if (buf == NULL || dp == NULL || dr == NULL) {
		rc = mp_seterr(e, MP_ENOMEM, "segmentation: out of memory for distances");
		goto out;
	}
	rc = edt_query(eg, SURF_REF, SURF_PRED, o->nthreads, buf, dp, &k, e);
	if (rc == MP_OK && k != ns_pred)
		rc = mp_seterr(e, MP_EINVAL, "segmentation: surface count mismatch");
	if (rc == MP_OK)
		rc = edt_query(eg, SURF_PRED, SURF_REF, o->nthreads, buf, dr, &k, e);
	if (rc == MP_OK && k != ns_ref)
		rc = mp_seterr(e, MP_EINVAL, "segmentation: surface count mismatch");
	if (rc)
		goto out;
	out[SEG_HD] = fmax(max_of(dp, ns_pred), max_of(dr, ns_ref));
	out[SEG_ASSD] = (sum_of(dp, ns_pred) + sum_of(dr, ns_ref)) / ns;
	out[SEG_NSD] = (double)(within(dp, ns_pred, o->tolerance_mm) +
				within(dr, ns_ref, o->tolerance_mm)) / ns;
	out[SEG_HD95] = fmax(seg_percentile(dp, ns_pred, 95), seg_percentile(dr, ns_ref, 95));
out:
	free(buf);
	free(dp);
	free(dr);
	return rc;
}

int seg_structure(const struct seg_volume *v, const int32_t *set, size_t nset,
		  const struct seg_box *box, const struct seg_opts *o, double out[SEG_NMETRICS],
		  mp_errbuf *e)
{
	struct seg_box b;
	struct edt_grid eg;
	size_t m[3], ns_pred, ns_ref;
	uint64_t cnt[3];
	uint8_t *g;
	double voxel = v->sp[0] * v->sp[1] * v->sp[2], diag = 0;
	int rc = MP_OK;

	if (box)
		b = *box;
	else
		scan_box(v, set, nset, &b);
	seg_both_empty(o->metrics, out);
	if (b.lo[0] >= b.hi[0])
		return MP_OK;
	for (int a = 0; a < 3; a++) {
		m[a] = b.hi[a] - b.lo[a] + 2;
		diag += ((double)v->n[a] * v->sp[a]) * ((double)v->n[a] * v->sp[a]);
	}
	g = calloc(m[0] * m[1], m[2]);
	if (g == NULL)
		return mp_seterr(e, MP_ENOMEM, "segmentation: out of memory for a %zux%zux%zu box",
				 m[0], m[1], m[2]);
	fill_grid(v, set, nset, &b, g, m, cnt);
	if (cnt[0] == 0 && cnt[1] == 0)
		goto out;  /* the box held none of the structure: both empty */
	overlap(cnt, voxel, out);
	if (!(o->metrics & SEG_DISTANCE_METRICS))
		goto out;
	if (cnt[0] == 0 || cnt[1] == 0) {  /* one empty: the worst distances */
		out[SEG_HD] = out[SEG_HD95] = out[SEG_ASSD] = sqrt(diag);
		out[SEG_NSD] = 0;
		goto out;
	}
	ns_pred = mark_surface(g, m, IN_PRED, SURF_PRED);
	ns_ref = mark_surface(g, m, IN_REF, SURF_REF);
	eg.code = g;
	memcpy(eg.n, m, sizeof(m));
	memcpy(eg.sp, v->sp, sizeof(eg.sp));
	rc = distances(&eg, ns_pred, ns_ref, o, out, e);
out:
	for (int k = 0; k < SEG_NMETRICS; k++)
		if (!(o->metrics & (1u << k)))
			out[k] = NAN;
	free(g);
	return rc;
}
