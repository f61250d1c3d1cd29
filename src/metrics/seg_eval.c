/*
 * seg_eval.c: seg_evaluate (metrics.h): pairs the NIfTI files of two
 * folders (or two files) by name, reads each pair's labels, checks that
 * they share one grid, finds the labels present in a case with their
 * bounding boxes, scores every structure of every case (seg.c) and builds
 * the results with their summaries over cases.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "metrics/metrics.h"
#include "metrics/nifti.h"
#include "metrics/seg_int.h"

#define SPACING_RTOL 1e-4   /* spacing of prediction and label must agree to this */
#define AFFINE_RTOL 1e-4    /* and their voxel-to-world affines, entry by entry */
#define SHOWN 120           /* characters of a path shown in a message */
#define SHOWN2 75           /* each, when a message names two files */

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
	rc = seg_parse_params(options, &p, NULL, e);
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
	seg_params_release(&p);
	return rc;
}
