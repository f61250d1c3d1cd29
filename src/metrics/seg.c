/*
 * seg.c: segmentation metrics: overlap, volumes and surface distances of
 * predicted label masks against reference label masks (definitions in
 * seg.h and docs/metrics-images.md), and seg_evaluate, which pairs the
 * NIfTI files of two folders, checks that each pair shares one grid,
 * scores every structure of every case and summarises over cases.
 *
 * One structure is scored on the bounding box of its voxels in either
 * volume, padded by one voxel on every side, as a grid of byte codes (in
 * the prediction, in the reference, on either surface); the two distance
 * transforms run on that grid only.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "metrics/edt.h"
#include "metrics/metrics.h"
#include "metrics/nifti.h"
#include "metrics/seg.h"

const char *const seg_metric_names[SEG_NMETRICS] = {
	"dice", "iou", "sensitivity", "precision",
	"volume_prediction_mm3", "volume_reference_mm3", "volume_difference_mm3",
	"hausdorff", "hd95", "assd", "nsd",
};

/* Codes of the box grid. */
enum { IN_PRED = 1, IN_REF = 2, SURF_PRED = 4, SURF_REF = 8 };

#define DEFAULT_TOLERANCE_MM 1.0
#define SPACING_RTOL 1e-4   /* spacing of prediction and label must agree to this */
#define AFFINE_RTOL 1e-4    /* and their voxel-to-world affines, entry by entry */
#define SHOWN 120           /* characters of a path shown in a message */
#define SHOWN2 75           /* each, when a message names two files */

/* ================================================================ */
/* one structure                                                      */
/* ================================================================ */

static int in_set(const int32_t *set, size_t n, int32_t l)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == l)
			return 1;
	return 0;
}

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

/* Neumaier's compensated sum, so that long sums do not drift. */
static double sum_of(const double *v, size_t n)
{
	double s = 0, c = 0;

	for (size_t i = 0; i < n; i++) {
		double t = s + v[i];
		c += fabs(s) >= fabs(v[i]) ? (s - t) + v[i] : (v[i] - t) + s;
		s = t;
	}
	return s + c;
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

/* ================================================================ */
/* labels present in a case, with their boxes                         */
/* ================================================================ */

struct lstat {
	int32_t label;
	int used;
	struct seg_box box;
};

struct ltable {
	struct lstat *e;
	size_t cap, n;   /* cap: a power of two */
};

static size_t lt_slot(const struct ltable *t, int32_t l)
{
	size_t i = ((uint32_t)l * 2654435761u) & (t->cap - 1);

	while (t->e[i].used && t->e[i].label != l)
		i = (i + 1) & (t->cap - 1);
	return i;
}

static struct lstat *lt_get(struct ltable *t, int32_t l)
{
	size_t i;

	if (2 * (t->n + 1) > t->cap) {
		struct ltable bigger = {NULL, t->cap ? 2 * t->cap : 64, t->n};
		bigger.e = calloc(bigger.cap, sizeof(*bigger.e));
		if (bigger.e == NULL)
			return NULL;
		for (size_t k = 0; k < t->cap; k++)
			if (t->e[k].used)
				bigger.e[lt_slot(&bigger, t->e[k].label)] = t->e[k];
		free(t->e);
		*t = bigger;
	}
	i = lt_slot(t, l);
	if (!t->e[i].used) {
		t->e[i].used = 1;
		t->e[i].label = l;
		for (int a = 0; a < 3; a++) {
			t->e[i].box.lo[a] = SIZE_MAX;
			t->e[i].box.hi[a] = 0;
		}
		t->n++;
	}
	return &t->e[i];
}

static void box_add(struct seg_box *b, size_t x0, size_t x1, size_t y, size_t z)
{
	if (x0 < b->lo[0]) b->lo[0] = x0;
	if (x1 > b->hi[0]) b->hi[0] = x1;
	if (y < b->lo[1]) b->lo[1] = y;
	if (y + 1 > b->hi[1]) b->hi[1] = y + 1;
	if (z < b->lo[2]) b->lo[2] = z;
	if (z + 1 > b->hi[2]) b->hi[2] = z + 1;
}

/* Adds the runs of non-zero labels of lab to t. */
static int lt_scan(struct ltable *t, const int32_t *lab, const size_t n[3])
{
	struct lstat *last = NULL;

	for (size_t z = 0; z < n[2]; z++)
		for (size_t y = 0; y < n[1]; y++) {
			const int32_t *row = lab + (z * n[1] + y) * n[0];
			size_t x = 0;
			while (x < n[0]) {
				int32_t l = row[x];
				size_t x1 = x + 1;
				while (x1 < n[0] && row[x1] == l)
					x1++;
				if (l != 0) {
					if (last == NULL || last->label != l) {
						last = lt_get(t, l);
						if (last == NULL)
							return MP_ENOMEM;
					}
					box_add(&last->box, x, x1, y, z);
				}
				x = x1;
			}
		}
	return MP_OK;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

/* ================================================================ */
/* parameters                                                         */
/* ================================================================ */

struct structure {
	char *name;
	int32_t *labels;
	size_t n;
};

struct seg_params {
	struct structure *st;  /* asked for; NULL: every non-zero label present */
	size_t nst;
	struct seg_opts o;
	int per_case;
};

static void params_release(struct seg_params *p)
{
	for (size_t i = 0; i < p->nst; i++) {
		free(p->st[i].name);
		free(p->st[i].labels);
	}
	free(p->st);
	memset(p, 0, sizeof(*p));
}

#define PERR(...) mp_seterr(e, MP_EINVAL, "segmentation parameters: " __VA_ARGS__)

static int label_of(const json_t *v, int32_t *out)
{
	json_int_t i;

	if (!json_is_integer(v))
		return -1;
	i = json_integer_value(v);
	if (i < INT32_MIN || i > INT32_MAX)
		return -1;
	*out = (int32_t)i;
	return 0;
}

static char *dup_label_name(int32_t l)
{
	struct buf b;

	buf_init(&b, 32);
	if (buf_addf(&b, "%d", (int)l))
		return NULL;
	return buf_detach(&b, NULL);
}

/* One structure from a label or a list of labels. */
static int parse_structure(const char *name, const json_t *v, struct structure *s,
			   mp_errbuf *e)
{
	size_t n = json_is_array(v) ? json_array_size(v) : 1;

	s->name = name ? strdup(name) : NULL;
	s->labels = calloc(n, sizeof(int32_t));
	if ((name && s->name == NULL) || s->labels == NULL)
		return mp_seterr(e, MP_ENOMEM, "segmentation parameters: out of memory");
	if (json_is_array(v) && n == 0)
		return PERR("labels: '%s' has an empty list of labels", name);
	for (size_t i = 0; i < n; i++) {
		const json_t *x = json_is_array(v) ? json_array_get(v, i) : v;
		if (label_of(x, &s->labels[i]))
			return PERR("labels: %s%s%s must be an integer label or a list of them",
				    name ? "'" : "an entry", name ? name : "", name ? "'" : "");
		if (in_set(s->labels, i, s->labels[i]))
			return PERR("labels: label %d is listed twice in '%s'", (int)s->labels[i],
				    name ? name : "");
		s->n++;
	}
	if (name == NULL) {
		s->name = dup_label_name(s->labels[0]);
		if (s->name == NULL)
			return mp_seterr(e, MP_ENOMEM, "segmentation parameters: out of memory");
	}
	return MP_OK;
}

static int parse_labels(const json_t *v, struct seg_params *p, mp_errbuf *e)
{
	size_t n = json_is_array(v) ? json_array_size(v) : json_is_object(v) ? json_object_size(v) : 0;
	const char *key;
	json_t *x;
	int rc;

	if (v == NULL || json_is_null(v))
		return MP_OK;
	if (!json_is_array(v) && !json_is_object(v))
		return PERR("labels must be a list of integer labels or a mapping of names to "
			    "labels");
	if (n == 0)
		return PERR("labels is empty (leave it out to score every label present)");
	p->st = calloc(n, sizeof(*p->st));
	if (p->st == NULL)
		return mp_seterr(e, MP_ENOMEM, "segmentation parameters: out of memory");
	if (json_is_array(v)) {
		size_t i;
		json_array_foreach(v, i, x) {
			int32_t l;
			if (label_of(x, &l))
				return PERR("labels: entry %zu is not an integer label (int32)", i + 1);
			rc = parse_structure(NULL, x, &p->st[p->nst++], e);
			if (rc)
				return rc;
			for (size_t k = 0; k + 1 < p->nst; k++)
				if (p->st[k].labels[0] == p->st[i].labels[0])
					return PERR("labels: label %d is listed twice",
						    (int)p->st[i].labels[0]);
		}
		return MP_OK;
	}
	json_object_foreach((json_t *)v, key, x) {
		rc = parse_structure(key, x, &p->st[p->nst++], e);
		if (rc)
			return rc;
	}
	return MP_OK;
}

static int parse_metrics(const json_t *v, struct seg_params *p, mp_errbuf *e)
{
	size_t i;
	json_t *x;

	if (v == NULL || json_is_null(v))
		return MP_OK;
	if (!json_is_array(v) || json_array_size(v) == 0)
		return PERR("metrics must be a non-empty list of metric names");
	p->o.metrics = 0;
	json_array_foreach(v, i, x) {
		int m = 0;
		const char *s = json_string_value(x);
		while (s && m < SEG_NMETRICS && strcmp(s, seg_metric_names[m]) != 0)
			m++;
		if (s == NULL || m == SEG_NMETRICS)
			return PERR("unknown metric %s%s%s (known: dice, iou, sensitivity, precision, "
				    "volume_prediction_mm3, volume_reference_mm3, "
				    "volume_difference_mm3, hausdorff, hd95, assd, nsd)",
				    s ? "'" : "", s ? s : "that is not a string", s ? "'" : "");
		p->o.metrics |= 1u << m;
	}
	return MP_OK;
}

static const char *const param_keys[] = {"labels", "metrics", "tolerance_mm", "per_case"};

/* Parses the options into p; on failure *key (if key) is the key at fault. */
static int parse_params(const json_t *opt, struct seg_params *p, const char **key,
			mp_errbuf *e)
{
	const char *k;
	const json_t *v;
	int rc;

	memset(p, 0, sizeof(*p));
	p->o.metrics = SEG_ALL_METRICS;
	p->o.tolerance_mm = DEFAULT_TOLERANCE_MM;
	p->per_case = 1;
	if (key)
		*key = NULL;
	if (opt == NULL || json_is_null(opt))
		return MP_OK;
	if (!json_is_object(opt))
		return PERR("must be a mapping");
	json_object_foreach((json_t *)opt, k, v) {
		size_t i = 0;
		while (i < sizeof(param_keys) / sizeof(param_keys[0]) && strcmp(k, param_keys[i]))
			i++;
		if (i == sizeof(param_keys) / sizeof(param_keys[0])) {
			if (key)
				*key = k;
			return PERR("unknown key '%.60s' (known: labels, metrics, tolerance_mm, "
				    "per_case)", k);
		}
	}
	if (key)
		*key = "labels";
	rc = parse_labels(json_object_get(opt, "labels"), p, e);
	if (rc)
		return rc;
	if (key)
		*key = "metrics";
	rc = parse_metrics(json_object_get(opt, "metrics"), p, e);
	if (rc)
		return rc;
	if (key)
		*key = "tolerance_mm";
	v = json_object_get(opt, "tolerance_mm");
	if (v && !json_is_null(v)) {
		if (!json_is_number(v) || !(json_number_value(v) > 0) ||
		    !isfinite(json_number_value(v)))
			return PERR("tolerance_mm must be a positive number of millimetres");
		p->o.tolerance_mm = json_number_value(v);
	}
	if (key)
		*key = "per_case";
	v = json_object_get(opt, "per_case");
	if (v && !json_is_null(v)) {
		if (!json_is_boolean(v))
			return PERR("per_case must be true or false");
		p->per_case = json_is_true(v);
	}
	if (key)
		*key = NULL;
	return MP_OK;
}

int seg_check_options(const json_t *options, const char **key, mp_errbuf *e)
{
	struct seg_params p;
	int rc = parse_params(options, &p, key, e);

	params_release(&p);
	return rc;
}

/* ================================================================ */
/* cases: files paired by name                                         */
/* ================================================================ */

struct case_file {
	char *id, *pred, *ref;
};

static const char *const nifti_exts[] = {".nii.gz", ".nii", ".hdr.gz", ".hdr"};

/* Length of name without its NIfTI extension, or 0 if it has none. */
static size_t stem_len(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(nifti_exts) / sizeof(nifti_exts[0]); i++) {
		size_t k = strlen(nifti_exts[i]);
		if (n > k && strcmp(name + n - k, nifti_exts[i]) == 0)
			return n - k;
	}
	return 0;
}

struct named {
	char *stem, *path;
};

static int cmp_named(const void *a, const void *b)
{
	return strcmp(((const struct named *)a)->stem, ((const struct named *)b)->stem);
}

static void named_free(struct named *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].stem);
		free(v[i].path);
	}
	free(v);
}

/* The NIfTI files of dir, sorted by stem; two files of one stem are refused. */
static int list_dir(const char *dir, const char *what, struct named **out, size_t *nout,
		    mp_errbuf *e)
{
	const char *ell, *shown = nifti_msg_path(dir, SHOWN, &ell);
	struct named *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d = opendir(dir);
	int rc = MP_OK;

	if (d == NULL)
		return mp_seterr(e, MP_EIO, "cannot open %s folder '%s%s': %s", what, ell, shown,
				 strerror(errno));
	while ((de = readdir(d)) != NULL) {
		size_t k = stem_len(de->d_name);
		struct buf path;
		struct stat st;
		if (de->d_name[0] == '.' || k == 0)
			continue;
		buf_init(&path, 1 << 16);
		if (buf_addf(&path, "%s/%s", dir, de->d_name)) {
			buf_release(&path);
			rc = mp_seterr(e, MP_ETOOBIG, "%s folder '%s%s': path too long", what, ell,
				       shown);
			break;
		}
		if (stat(path.data, &st) != 0 || !S_ISREG(st.st_mode)) {
			buf_release(&path);
			continue;
		}
		if (n == cap) {
			struct named *nv = realloc(v, sizeof(*v) * (cap = cap ? 2 * cap : 64));
			if (nv == NULL) {
				buf_release(&path);
				rc = mp_seterr(e, MP_ENOMEM, "segmentation: out of memory");
				break;
			}
			v = nv;
		}
		v[n].stem = strndup(de->d_name, k);
		v[n].path = buf_detach(&path, NULL);
		if (v[n++].stem == NULL) {
			rc = mp_seterr(e, MP_ENOMEM, "segmentation: out of memory");
			break;
		}
	}
	closedir(d);
	if (rc == MP_OK && n == 0)
		rc = mp_seterr(e, MP_EINVAL, "%s folder '%s%s' holds no NIfTI file (.nii, .nii.gz, "
			       ".hdr)", what, ell, shown);
	if (rc == MP_OK) {
		qsort(v, n, sizeof(*v), cmp_named);
		for (size_t i = 1; i < n && rc == MP_OK; i++)
			if (strcmp(v[i - 1].stem, v[i].stem) == 0)
				rc = mp_seterr(e, MP_EINVAL, "%s folder '%s%s' has two files for case "
					       "'%.60s'", what, ell, shown, v[i].stem);
	}
	if (rc) {
		named_free(v, n);
		return rc;
	}
	*out = v;
	*nout = n;
	return MP_OK;
}

static void cases_free(struct case_file *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].id);
		free(c[i].pred);
		free(c[i].ref);
	}
	free(c);
}

static int unmatched(const struct named *x, const char *what, const char *other_dir,
		     const char *other, mp_errbuf *e)
{
	const char *ell, *shown = nifti_msg_path(other_dir, SHOWN, &ell);
	const char *base = strrchr(x->path, '/');

	return mp_seterr(e, MP_EINVAL, "%s '%.60s' has no %s in '%s%s' (files are paired by "
			 "name)", what, base ? base + 1 : x->path, other, ell, shown);
}

static int pair_dirs(const char *pdir, const char *rdir, struct case_file **out, size_t *nout,
		     mp_errbuf *e)
{
	struct named *p = NULL, *r = NULL;
	size_t np = 0, nr = 0, i = 0, j = 0, n = 0;
	struct case_file *c = NULL;
	int rc;

	rc = list_dir(pdir, "predictions", &p, &np, e);
	if (rc == MP_OK)
		rc = list_dir(rdir, "labels", &r, &nr, e);
	if (rc)
		goto out;
	c = calloc(nr, sizeof(*c));
	if (c == NULL) {
		rc = mp_seterr(e, MP_ENOMEM, "segmentation: out of memory");
		goto out;
	}
	while (rc == MP_OK && (i < np || j < nr)) {
		int d = i == np ? 1 : j == nr ? -1 : strcmp(p[i].stem, r[j].stem);
		if (d < 0) {
			rc = unmatched(&p[i], "prediction", rdir, "label", e);
		} else if (d > 0) {
			rc = unmatched(&r[j], "label", pdir, "prediction", e);
		} else {
			c[n].id = r[j].stem;
			c[n].ref = r[j].path;
			c[n].pred = p[i].path;
			r[j].stem = r[j].path = p[i].path = NULL;
			n++;
			i++;
			j++;
		}
	}
out:
	named_free(p, np);
	named_free(r, nr);
	if (rc) {
		cases_free(c, n);
		return rc;
	}
	*out = c;
	*nout = n;
	return MP_OK;
}

static int list_cases(const char *pred, const char *ref, struct case_file **out, size_t *n,
		      mp_errbuf *e)
{
	struct stat sp, sr;
	const char *base;

	if (stat(pred, &sp) != 0) {
		const char *ell, *shown = nifti_msg_path(pred, SHOWN, &ell);
		return mp_seterr(e, MP_EIO, "predictions '%s%s': %s", ell, shown, strerror(errno));
	}
	if (stat(ref, &sr) != 0) {
		const char *ell, *shown = nifti_msg_path(ref, SHOWN, &ell);
		return mp_seterr(e, MP_EIO, "labels '%s%s': %s", ell, shown, strerror(errno));
	}
	if (S_ISDIR(sp.st_mode) && S_ISDIR(sr.st_mode))
		return pair_dirs(pred, ref, out, n, e);
	if (S_ISDIR(sp.st_mode) || S_ISDIR(sr.st_mode)) {
		const char *ell, *shown = nifti_msg_path(S_ISDIR(sp.st_mode) ? pred : ref, SHOWN,
							 &ell);
		return mp_seterr(e, MP_EINVAL, "'%s%s' is a folder but the %s is a file: give two "
				 "files or two folders", ell, shown,
				 S_ISDIR(sp.st_mode) ? "label" : "prediction");
	}
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return mp_seterr(e, MP_ENOMEM, "segmentation: out of memory");
	base = strrchr(ref, '/');
	base = base ? base + 1 : ref;
	(*out)->id = strndup(base, stem_len(base) ? stem_len(base) : strlen(base));
	(*out)->pred = strdup(pred);
	(*out)->ref = strdup(ref);
	*n = 1;
	if ((*out)->id == NULL || (*out)->pred == NULL || (*out)->ref == NULL) {
		cases_free(*out, 1);
		return mp_seterr(e, MP_ENOMEM, "segmentation: out of memory");
	}
	return MP_OK;
}

/* ================================================================ */
/* one case: read, check, score                                        */
/* ================================================================ */

struct case_res {
	size_t n;
	int32_t *labels;              /* every-label mode: the labels scored */
	double (*val)[SEG_NMETRICS];  /* n rows */
};

static int check_mask(const struct nifti_image *im, const char *path, double sp[3],
		      mp_errbuf *e)
{
	const char *ell, *shown = nifti_msg_path(path, SHOWN, &ell);

	for (int i = 4; i < 8; i++)
		if (im->dim[i] > 1)
			return mp_seterr(e, MP_EINVAL, "'%s%s': a mask must be 3-D, but dim[%d] is "
					 "%lld", ell, shown, i, (long long)im->dim[i]);
	for (int i = 0; i < 3; i++) {
		sp[i] = i + 1 > im->ndim ? 1.0 : fabs(im->pixdim[i + 1]);
		if (!(sp[i] > 0) || !isfinite(sp[i]))
			return mp_seterr(e, MP_EINVAL, "'%s%s': voxel spacing pixdim[%d] is %g "
					 "(distances and volumes need a positive spacing)", ell,
					 shown, i + 1, im->pixdim[i + 1]);
	}
	return MP_OK;
}

static int differ(double a, double b, double rtol)
{
	return fabs(a - b) > rtol * fmax(1.0, fmax(fabs(a), fabs(b)));
}

static int check_pair(const struct case_file *c, const struct nifti_image *p,
		      const struct nifti_image *r, double sp[3], mp_errbuf *e)
{
	const char *pe, *ps = nifti_msg_path(c->pred, SHOWN2, &pe);
	const char *re, *rs = nifti_msg_path(c->ref, SHOWN2, &re);
	double rsp[3], ap[3][4], ar[3][4];
	int rc = check_mask(p, c->pred, sp, e);

	if (rc == MP_OK)
		rc = check_mask(r, c->ref, rsp, e);
	if (rc)
		return rc;
	if (p->dim[1] != r->dim[1] || p->dim[2] != r->dim[2] || p->dim[3] != r->dim[3])
		return mp_seterr(e, MP_EINVAL, "prediction '%s%s' is %lldx%lldx%lld voxels but "
				 "label '%s%s' is %lldx%lldx%lld", pe, ps, (long long)p->dim[1],
				 (long long)p->dim[2], (long long)p->dim[3], re, rs,
				 (long long)r->dim[1], (long long)r->dim[2], (long long)r->dim[3]);
	for (int i = 0; i < 3; i++)
		if (fabs(sp[i] - rsp[i]) > SPACING_RTOL * fmax(sp[i], rsp[i]))
			return mp_seterr(e, MP_EINVAL, "prediction '%s%s' and label '%s%s' differ "
					 "in voxel spacing: %gx%gx%g vs %gx%gx%g mm", pe, ps, re, rs,
					 sp[0], sp[1], sp[2], rsp[0], rsp[1], rsp[2]);
	if (nifti_affine(p, ap) == 0 || nifti_affine(r, ar) == 0)
		return MP_OK;  /* a file without orientation: nothing to compare */
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 4; j++)
			if (differ(ap[i][j], ar[i][j], AFFINE_RTOL))
				return mp_seterr(e, MP_EINVAL, "prediction '%s%s' and label '%s%s' "
						 "are not on the same grid (voxel-to-world affine "
						 "row %d column %d: %g vs %g)", pe, ps, re, rs,
						 i + 1, j + 1, ap[i][j], ar[i][j]);
	return MP_OK;
}

/* Reads path's labels into *lab (malloc'd). */
static int read_labels(const char *path, struct nifti_image *im, int32_t **lab, mp_errbuf *e)
{
	int rc = nifti_read(path, 0, im, e);

	if (rc)
		return rc;
	*lab = malloc(sizeof(int32_t) * im->nvox);
	if (*lab == NULL)
		return mp_seterr(e, MP_ENOMEM, "segmentation: out of memory for %zu labels",
				 im->nvox);
	rc = nifti_labels(im, path, *lab, e);
	free(im->data);  /* keep the header only */
	im->data = NULL;
	return rc;
}

/* The union of the boxes of the labels of s (label 0: the whole volume). */
static void structure_box(const struct ltable *t, const int32_t *set, size_t n,
			  const size_t dim[3], struct seg_box *b)
{
	struct seg_box u = {{SIZE_MAX, SIZE_MAX, SIZE_MAX}, {0, 0, 0}};

	for (size_t k = 0; k < n; k++) {
		const struct seg_box *x;
		if (set[k] == 0) {
			u = (struct seg_box){{0, 0, 0}, {dim[0], dim[1], dim[2]}};
			break;
		}
		if (t->cap == 0 || !t->e[lt_slot(t, set[k])].used)
			continue;
		x = &t->e[lt_slot(t, set[k])].box;
		for (int a = 0; a < 3; a++) {
			if (x->lo[a] < u.lo[a])
				u.lo[a] = x->lo[a];
			if (x->hi[a] > u.hi[a])
				u.hi[a] = x->hi[a];
		}
	}
	if (u.hi[0] == 0)
		memset(&u, 0, sizeof(u));
	*b = u;
}

static int score_structures(const struct seg_volume *v, const struct ltable *t,
			    const struct seg_params *p, struct case_res *res, mp_errbuf *e)
{
	size_t n = p->st ? p->nst : t->n;
	int rc = MP_OK;

	res->val = calloc(n ? n : 1, sizeof(*res->val));
	if (res->val == NULL)
		return mp_seterr(e, MP_ENOMEM, "segmentation: out of memory");
	if (p->st == NULL) {
		res->labels = calloc(n ? n : 1, sizeof(int32_t));
		if (res->labels == NULL)
			return mp_seterr(e, MP_ENOMEM, "segmentation: out of memory");
		for (size_t k = 0, i = 0; k < t->cap; k++)
			if (t->e[k].used)
				res->labels[i++] = t->e[k].label;
		qsort(res->labels, n, sizeof(int32_t), cmp_i32);
	}
	for (size_t i = 0; i < n && rc == MP_OK; i++) {
		const int32_t *set = p->st ? p->st[i].labels : &res->labels[i];
		size_t nset = p->st ? p->st[i].n : 1;
		struct seg_box b;
		structure_box(t, set, nset, v->n, &b);
		rc = seg_structure(v, set, nset, &b, &p->o, res->val[i], e);
	}
	res->n = n;
	return rc;
}

static int score_case(const struct case_file *c, const struct seg_params *p,
		      struct case_res *res, mp_errbuf *e)
{
	struct nifti_image pi, ri;
	int32_t *pl = NULL, *rl = NULL;
	struct ltable t = {NULL, 0, 0};
	struct seg_volume v;
	int rc;

	memset(&ri, 0, sizeof(ri));
	rc = read_labels(c->pred, &pi, &pl, e);
	if (rc == MP_OK)
		rc = read_labels(c->ref, &ri, &rl, e);
	if (rc == MP_OK)
		rc = check_pair(c, &pi, &ri, v.sp, e);
	if (rc)
		goto out;
	v.pred = pl;
	v.ref = rl;
	for (int a = 0; a < 3; a++)
		v.n[a] = (size_t)pi.dim[a + 1];
	if (lt_scan(&t, pl, v.n) || lt_scan(&t, rl, v.n)) {
		rc = mp_seterr(e, MP_ENOMEM, "segmentation: out of memory");
		goto out;
	}
	rc = score_structures(&v, &t, p, res, e);
out:
	free(t.e);
	free(pl);
	free(rl);
	nifti_release(&pi);
	nifti_release(&ri);
	return rc;
}

/* ================================================================ */
/* results                                                             */
/* ================================================================ */

static json_t *number(double v)
{
	json_t *j = isfinite(v) ? json_real(v) : NULL;

	return j ? j : json_null();
}

static json_t *values_object(const double *v, unsigned metrics)
{
	json_t *o = json_object();

	for (int m = 0; m < SEG_NMETRICS && o; m++)
		if (metrics & (1u << m))
			json_object_set_new(o, seg_metric_names[m], number(v[m]));
	return o;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* mean, standard deviation (over n, not n - 1) and median of v; sorts v. */
static json_t *summary_of(double *v, size_t n)
{
	double mean = sum_of(v, n) / (double)n, ss = 0, median;

	for (size_t i = 0; i < n; i++)
		ss += (v[i] - mean) * (v[i] - mean);
	qsort(v, n, sizeof(double), cmp_double);
	median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return json_pack("{s:o,s:o,s:o}", "mean", number(mean), "std",
			 number(sqrt(ss / (double)n)), "median", number(median));
}

/* Row of structure k of case r: a label's row, or the both-empty values. */
static const double *row_of(const struct case_res *r, const struct seg_params *p, size_t k,
			    int32_t label, const double *empty)
{
	const int32_t *hit;

	if (p->st)
		return r->val[k];
	hit = r->n ? bsearch(&label, r->labels, r->n, sizeof(int32_t), cmp_i32) : NULL;
	return hit ? r->val[hit - r->labels] : empty;
}

static int build_results(const struct case_file *cf, const struct case_res *res, size_t nc,
			 const struct seg_params *p, json_t **out, mp_errbuf *e)
{
	int32_t *all = NULL;
	size_t nall = 0;
	double empty[SEG_NMETRICS], *col = malloc(sizeof(double) * nc);
	json_t *root = json_object(), *summary = json_object(), *cases = json_object();
	int rc = MP_OK;

	seg_both_empty(p->o.metrics, empty);
	if (p->st == NULL) {  /* the union of the labels present in some case */
		size_t cap = 0;
		for (size_t i = 0; i < nc; i++)
			cap += res[i].n;
		all = malloc(sizeof(int32_t) * (cap ? cap : 1));
		if (all == NULL)
			goto nomem;
		for (size_t i = 0; i < nc; i++)
			for (size_t k = 0; k < res[i].n; k++)
				all[nall++] = res[i].labels[k];
		qsort(all, nall, sizeof(int32_t), cmp_i32);
		cap = 0;
		for (size_t k = 0; k < nall; k++)
			if (cap == 0 || all[cap - 1] != all[k])
				all[cap++] = all[k];
		nall = cap;
	}
	if (col == NULL || root == NULL || summary == NULL || cases == NULL)
		goto nomem;
	for (size_t i = 0; i < nc && p->per_case; i++) {
		json_t *c = json_object();
		size_t ns = p->st ? p->nst : nall;
		if (c == NULL || json_object_set_new(cases, cf[i].id, c))
			goto nomem;
		for (size_t k = 0; k < ns; k++) {
			int32_t l = p->st ? 0 : all[k];
			char name[16];
			snprintf(name, sizeof(name), "%d", (int)l);
			if (json_object_set_new(c, p->st ? p->st[k].name : name,
						values_object(row_of(&res[i], p, k, l, empty),
							      p->o.metrics)))
				goto nomem;
		}
	}
	for (size_t k = 0; k < (p->st ? p->nst : nall); k++) {
		int32_t l = p->st ? 0 : all[k];
		char name[16];
		json_t *s = json_object();
		snprintf(name, sizeof(name), "%d", (int)l);
		if (s == NULL || json_object_set_new(summary, p->st ? p->st[k].name : name, s))
			goto nomem;
		for (int m = 0; m < SEG_NMETRICS; m++) {
			if (!(p->o.metrics & (1u << m)))
				continue;
			for (size_t i = 0; i < nc; i++)
				col[i] = row_of(&res[i], p, k, l, empty)[m];
			if (json_object_set_new(s, seg_metric_names[m], summary_of(col, nc)))
				goto nomem;
		}
	}
	if (json_object_set_new(root, "n_cases", json_integer((json_int_t)nc)) ||
	    json_object_set_new(root, "tolerance_mm", json_real(p->o.tolerance_mm)) ||
	    json_object_set(root, "summary", summary) ||
	    (p->per_case && json_object_set(root, "cases", cases)))
		goto nomem;
	*out = root;
	root = NULL;
	goto out;
nomem:
	rc = mp_seterr(e, MP_ENOMEM, "segmentation: out of memory for the results");
out:
	json_decref(root);
	json_decref(summary);
	json_decref(cases);
	free(all);
	free(col);
	return rc;
}

int seg_evaluate(const char *predictions, const char *labels, const json_t *options,
		 json_t **results, mp_errbuf *e)
{
	struct seg_params p;
	struct case_file *cf = NULL;
	struct case_res *res = NULL;
	size_t nc = 0;
	int rc;

	*results = NULL;
	rc = parse_params(options, &p, NULL, e);
	if (rc == MP_OK)
		rc = list_cases(predictions, labels, &cf, &nc, e);
	if (rc)
		goto out;
	res = calloc(nc, sizeof(*res));
	if (res == NULL) {
		rc = mp_seterr(e, MP_ENOMEM, "segmentation: out of memory");
		goto out;
	}
	for (size_t i = 0; i < nc && rc == MP_OK; i++)
		rc = score_case(&cf[i], &p, &res[i], e);
	if (rc == MP_OK)
		rc = build_results(cf, res, nc, &p, results, e);
out:
	for (size_t i = 0; res && i < nc; i++) {
		free(res[i].labels);
		free(res[i].val);
	}
	free(res);
	cases_free(cf, nc);
	params_release(&p);
	return rc;
}
