/*
 * edt.c: the exact squared Euclidean distance transform of edt.h. Pass 1
 * finds, along each x line, the nearest feature on either side; passes 2
 * and 3 take, along y and then z, the lower envelope of the parabolas
 * (q - p)^2 s^2 + f(p) (Felzenszwalb and Huttenlocher, "Distance
 * transforms of sampled functions", 2012). Each pass is linear in the
 * number of voxels; its lines (or planes) are split into contiguous
 * ranges, one per thread, and the threads are joined before the next pass.
 *
 * edt_query needs distances at a few voxels (surfaces) only, and those are
 * mostly short. After pass 1 it searches each query's (y, z) neighbourhood
 * outward, stopping when no farther voxel can beat the best value so far.
 * Queries whose search passes a cap (or all that remain once a thread has
 * spent its budget) are set aside with the best value found so far, an
 * upper bound; pass 2 then runs on the (x, z) columns within that bound of
 * them, and each is finished by a search along z, or, when its bound is
 * too long or unknown, by the envelope of its z line. Every path adds the same terms in the
 * same order, so the result has the same bits whichever path found it,
 * and the cost stays linear whatever the masks look like.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics/edt.h"

#define EDT_MAX_THREADS 16
/* Below this many voxels a thread costs more than it saves. */
#define EDT_MIN_PARALLEL ((size_t)1 << 15)
/* Adjacent lines gathered together in pass 2 (and 3), so that each load
 * reads a run of EDT_BLOCK doubles and the block stays in cache. */
#define EDT_BLOCK 16
/* Steps of a query's (y, z) search after pass 1 before it is set aside. */
#define PLANE_CAP 4096
/* Steps of (y, z) searches a thread may spend per voxel of its share. */
#define PLANE_BUDGET 4
/* Steps of a set-aside query's search along z before its line's envelope. */
#define SEARCH_CAP 48

/* A query voxel whose search was set aside: its slot in d, its index, and
 * the best squared distance found so far (INFINITY: none). */
struct deferred {
	size_t k, i;
	double bound;
};

struct job {
	const struct edt_grid *g;
	double *out;          /* the transform being built */
	uint8_t feature, query;
	int pass;             /* 1: y, 2: z (passes_yz) */
	size_t lo, hi;        /* the units of work [lo, hi) of this thread */
	double *blk;          /* EDT_BLOCK lines */
	double *d, *zn, *zd;  /* scratch for one line (zn, zd: one more entry) */
	size_t *v;
	const uint8_t *cols;  /* pass 2 only on the (x, z) columns marked (NULL: all) */
	size_t *counts;       /* query voxels per z plane, then their offsets; for
	                         solve_lines, where each z line's queries start */
	double *dq;           /* edt_query's distances */
	const struct deferred *todo; /* queries for query_lines (the range [lo, hi)) */
	struct deferred *def; /* this thread's set-aside queries */
	size_t ndef, capdef;
	int oom;
};

int edt_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > EDT_MAX_THREADS ? EDT_MAX_THREADS : (int)n;
}

/* ---------------------------------------------------------------- */
/* one line                                                           */
/* ---------------------------------------------------------------- */

/* Pass 1 on x line r: squared distance to the nearest feature in the line. */
static void line_x(const struct job *j, size_t r)
{
	size_t n = j->g->n[0];
	const uint8_t *c = j->g->code + r * n;
	double *o = j->out + r * n, s = j->g->sp[0];
	size_t last = SIZE_MAX;

	for (size_t i = 0; i < n; i++) {
		if (c[i] & j->feature)
			last = i;
		if (last == SIZE_MAX) {
			o[i] = INFINITY;
		} else {
			double dd = (double)(i - last) * s;
			o[i] = dd * dd;
		}
	}
	if (last == SIZE_MAX)
		return;  /* no feature in the line */
	last = SIZE_MAX;
	for (size_t i = n; i-- > 0;) {
		if (c[i] & j->feature)
			last = i;
		if (last != SIZE_MAX) {
			double dd = (double)(last - i) * s;
			if (dd * dd < o[i])
				o[i] = dd * dd;
		}
	}
}

static void envelope(const double *f, size_t n, double s, double *d, size_t *v, double *zn,
		     double *zd)
{
	double inv = 1.0 / (s * s);
	size_t k = 0;
	int any = 0;

	for (size_t q = 0; q < n; q++) {
		double fq = f[q], q2 = (double)q * (double)q;
		if (fq == INFINITY)
			continue;
		if (!any) {
			v[0] = q;
			zn[0] = -INFINITY;
			zd[0] = 1;
			zn[1] = INFINITY;
			zd[1] = 1;
			any = 1;
			continue;
		}
		for (;;) {
			size_t p = v[k];
			double num = (fq - f[p]) * inv + (q2 - (double)p * (double)p);
			double den = 2.0 * (double)(q - p);
			/* num/den <= zn[k]/zd[k]; at k == 0 zn is -inf and this is false */
			if (num * zd[k] <= zn[k] * den && k > 0) {
				k--;
				continue;
			}
			k++;
			v[k] = q;
			zn[k] = num;
			zd[k] = den;
			zn[k + 1] = INFINITY;
			zd[k + 1] = 1;
			break;
		}
	}
	if (!any) {
		for (size_t q = 0; q < n; q++)
			d[q] = INFINITY;
		return;
	}
	k = 0;
	for (size_t q = 0; q < n; q++) {
		double dd;
		while (zn[k + 1] < (double)q * zd[k + 1])
			k++;
		dd = ((double)q - (double)v[k]) * s;
		d[q] = dd * dd + f[v[k]];
	}
}

/*
 * Passes 2 and 3 on nb adjacent lines (x = x0 .. x0+nb-1), each of n
 * values at stride: gather them into rows of blk, take each row's
 * envelope, scatter. Lines without a finite value are left as they are.
 */
static void lines_yz(struct job *j, size_t base, size_t nb, size_t stride, size_t n, double s,
		     const uint8_t *mark)
{
	double *o = j->out, *blk = j->blk;
	int live[EDT_BLOCK];

	for (size_t i = 0; i < n; i++) {
		const double *src = o + base + i * stride;
		for (size_t b = 0; b < nb; b++)
			blk[b * n + i] = src[b];
	}
	for (size_t b = 0; b < nb; b++) {
		double *f = blk + b * n;
		live[b] = 0;
		if (mark && !mark[b])
			continue;
		for (size_t i = 0; i < n && !live[b]; i++)
			live[b] = f[i] != INFINITY;
		if (!live[b])
			continue;
		envelope(f, n, s, j->d, j->v, j->zn, j->zd);
		memcpy(f, j->d, sizeof(double) * n);
	}
	for (size_t i = 0; i < n; i++) {
		double *dst = o + base + i * stride;
		for (size_t b = 0; b < nb; b++)
			if (live[b])
				dst[b] = blk[b * n + i];
	}
}

/* ---------------------------------------------------------------- */
/* the work of one thread                                             */
/* ---------------------------------------------------------------- */

static void *pass_x(void *arg)
{
	struct job *j = arg;

	for (size_t t = j->lo; t < j->hi; t++)
		line_x(j, t);
	return NULL;
}

/* Pass 2 (y; unit t = z * nx + x) or 3 (z; unit t = y * nx + x). */
static void *passes_yz(void *arg)
{
	struct job *j = arg;
	const size_t *n = j->g->n;
	size_t t = j->lo, nb;

	while (t < j->hi) {
		nb = n[0] - t % n[0];  /* a block of adjacent x within one row of lines */
		if (nb > EDT_BLOCK)
			nb = EDT_BLOCK;
		if (nb > j->hi - t)
			nb = j->hi - t;
		if (j->pass == 1)
			lines_yz(j, t / n[0] * n[0] * n[1] + t % n[0], nb, n[0], n[1], j->g->sp[1],
				 j->cols ? j->cols + t : NULL);
		else
			lines_yz(j, t, nb, n[0] * n[1], n[2], j->g->sp[2], NULL);
		t += nb;
	}
	return NULL;
}

/* Query voxels per z plane of this thread's planes. */
static void *count_queries(void *arg)
{
	struct job *j = arg;
	size_t plane = j->g->n[0] * j->g->n[1];

	for (size_t z = j->lo; z < j->hi; z++) {
		const uint8_t *c = j->g->code + z * plane;
		size_t k = 0;
		for (size_t i = 0; i < plane; i++)
			k += (c[i] & j->query) != 0;
		j->counts[z] = k;
	}
	return NULL;
}

static void defer(struct job *j, size_t k, size_t i, double bound)
{
	if (j->ndef == j->capdef) {
		size_t cap = j->capdef ? 2 * j->capdef : 1024;
		struct deferred *nd = realloc(j->def, cap * sizeof(*nd));
		if (nd == NULL) {
			j->oom = 1;
			return;
		}
		j->def = nd;
		j->capdef = cap;
	}
	j->def[j->ndef].k = k;
	j->def[j->ndef].bound = bound;
	j->def[j->ndef++].i = i;
}

/*
 * The squared distance from voxel i = (x, y, z) to the nearest feature,
 * from pass 1's values f1: the minimum of (dz sz)^2 + ((dy sy)^2 + f1)
 * over the (y, z) plane through x, visiting rows outward from y in planes
 * outward from z and stopping as soon as the offsets alone reach the best
 * value (floating addition is monotonic, so nothing skipped can be lower).
 * Returns 0 with the distance in *best, or -1 when more than cap steps
 * would be needed (*best is then the best value found so far).
 */
static int search_plane(const struct job *j, size_t i, size_t cap, size_t *steps, double *best)
{
	const size_t *n = j->g->n;
	const double *f1 = j->out, *sp = j->g->sp;
	size_t plane = n[0] * n[1], z = i / plane, y = i % plane / n[0], used = 0;

	*best = INFINITY;
	for (size_t rz = 0; rz <= z || z + rz < n[2]; rz++) {
		double dz = (double)rz * sp[2], dz2 = dz * dz;
		if (dz2 >= *best)
			break;
		for (int side = 0; side < (rz ? 2 : 1); side++) {
			const double *col;
			if (side == 0 ? rz > z : z + rz >= n[2])
				continue;
			col = f1 + (side == 0 ? i - rz * plane : i + rz * plane) - y * n[0];
			for (size_t ry = 0; ry <= y || y + ry < n[1]; ry++) {
				double dy = (double)ry * sp[1], dy2 = dy * dy, v;
				if (dz2 + dy2 >= *best)
					break;
				if (++used > cap) {
					*steps += used;
					return -1;
				}
				if (ry <= y) {
					v = dz2 + (dy2 + col[(y - ry) * n[0]]);
					if (v < *best)
						*best = v;
				}
				if (ry > 0 && y + ry < n[1]) {
					v = dz2 + (dy2 + col[(y + ry) * n[0]]);
					if (v < *best)
						*best = v;
				}
			}
		}
	}
	*steps += used;
	return 0;
}

/*
 * After pass 1, the query voxels of this thread's planes: each searched in
 * its (y, z) plane, or set aside when its search is long or the thread's
 * budget is spent.
 */
static void *query_planes(void *arg)
{
	struct job *j = arg;
	const size_t *n = j->g->n;
	size_t plane = n[0] * n[1], steps = 0;
	size_t budget = PLANE_BUDGET * plane * (j->hi - j->lo) + 4096;

	for (size_t z = j->lo; z < j->hi; z++) {
		const uint8_t *c = j->g->code + z * plane;
		size_t k = j->counts[z];
		for (size_t p = 0; p < plane; p++) {
			double d2 = INFINITY;
			if (!(c[p] & j->query))
				continue;
			if (steps < budget && search_plane(j, z * plane + p, PLANE_CAP, &steps,
							   &d2) == 0)
				j->dq[k] = sqrt(d2);
			else
				defer(j, k, z * plane + p, d2);
			k++;
		}
	}
	return NULL;
}

/*
 * After pass 2, the set-aside queries [lo, hi) of todo: the minimum of
 * their bound and of (dz sz)^2 + f2 along the z line, searching outward
 * from the voxel until (dz sz)^2 reaches the best value so far (so within
 * the bound, where pass 2 ran), or setting the query aside again after
 * SEARCH_CAP steps (its bound was too long: its whole line has pass 2).
 */
static void *query_lines(void *arg)
{
	struct job *j = arg;
	const size_t *n = j->g->n;
	size_t plane = n[0] * n[1];
	const double *w = j->out;
	double s = j->g->sp[2];

	for (size_t t = j->lo; t < j->hi; t++) {
		size_t i = j->todo[t].i, z = i / plane, r = 1;
		double best = w[i] < j->todo[t].bound ? w[i] : j->todo[t].bound;
		double far = (double)SEARCH_CAP * s;
		if (best > far * far)
			r = SEARCH_CAP + 1;  /* too far for the search: straight to the envelope */
		for (; r <= SEARCH_CAP; r++) {
			double dd = (double)r * s, rr = dd * dd;
			if (rr >= best || (r > z && z + r >= n[2]))
				break;
			if (r <= z && rr + w[i - r * plane] < best)
				best = rr + w[i - r * plane];
			if (z + r < n[2] && rr + w[i + r * plane] < best)
				best = rr + w[i + r * plane];
		}
		if (r > SEARCH_CAP)
			defer(j, j->todo[t].k, i, j->todo[t].bound);
		else
			j->dq[j->todo[t].k] = sqrt(best);
	}
	return NULL;
}

/* ---------------------------------------------------------------- */
/* threads                                                            */
/* ---------------------------------------------------------------- */

/* Runs fn on every job, units [0, units) split in contiguous ranges. */
static void run_all(struct job *jobs, int nt, size_t units, void *(*fn)(void *))
{
	pthread_t tid[EDT_MAX_THREADS];
	int started[EDT_MAX_THREADS] = {0};

	for (int t = 0; t < nt; t++) {
		jobs[t].lo = units * (size_t)t / (size_t)nt;
		jobs[t].hi = units * (size_t)(t + 1) / (size_t)nt;
	}
	for (int t = 1; t < nt; t++)
		started[t] = pthread_create(&tid[t], NULL, fn, &jobs[t]) == 0;
	fn(&jobs[0]);
	for (int t = 1; t < nt; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			fn(&jobs[t]);  /* no thread: do its share here */
	}
}

static void jobs_free(struct job *jobs, int nt)
{
	for (int t = 0; t < nt; t++) {
		free(jobs[t].blk);
		free(jobs[t].def);
	}
}

/* Sets up nt jobs with their scratch; returns the thread count or -1. */
static int jobs_init(struct job *jobs, const struct edt_grid *g, uint8_t feature,
		     uint8_t query, int nthreads, double *out)
{
	size_t nmax = g->n[0], total = g->n[0] * g->n[1] * g->n[2];
	int nt = nthreads <= 0 ? edt_default_threads() : nthreads;

	for (int i = 1; i < 3; i++)
		if (g->n[i] > nmax)
			nmax = g->n[i];
	if (nt > EDT_MAX_THREADS)
		nt = EDT_MAX_THREADS;
	if (total < EDT_MIN_PARALLEL)
		nt = 1;
	memset(jobs, 0, sizeof(*jobs) * EDT_MAX_THREADS);
	for (int t = 0; t < nt; t++) {
		double *mem = malloc(sizeof(double) * ((EDT_BLOCK + 3) * nmax + 2) +
				     sizeof(size_t) * nmax);
		if (mem == NULL) {
			jobs_free(jobs, nt);
			return -1;
		}
		jobs[t].g = g;
		jobs[t].out = out;
		jobs[t].feature = feature;
		jobs[t].query = query;
		jobs[t].blk = mem;
		jobs[t].d = mem + EDT_BLOCK * nmax;
		jobs[t].zn = mem + (EDT_BLOCK + 1) * nmax;
		jobs[t].zd = mem + (EDT_BLOCK + 2) * nmax + 1;
		jobs[t].v = (size_t *)(void *)(mem + (EDT_BLOCK + 3) * nmax + 2);
	}
	return nt;
}

int edt_squared(const struct edt_grid *g, uint8_t feature, int nthreads, double *out,
		mp_errbuf *e)
{
	struct job jobs[EDT_MAX_THREADS];
	int nt;

	if (g->n[0] * g->n[1] * g->n[2] == 0)
		return MP_OK;
	nt = jobs_init(jobs, g, feature, 0, nthreads, out);
	if (nt < 0)
		return mp_seterr(e, MP_ENOMEM, "distance transform: out of memory");
	run_all(jobs, nt, g->n[1] * g->n[2], pass_x);
	for (int pass = 1; pass <= 2; pass++) {
		for (int t = 0; t < nt; t++)
			jobs[t].pass = pass;
		run_all(jobs, nt, pass == 1 ? g->n[0] * g->n[2] : g->n[0] * g->n[1], passes_yz);
	}
	jobs_free(jobs, nt);
	return MP_OK;
}

/* Moves every job's set-aside queries into one array (*all, *n). */
static int gather_deferred(struct job *jobs, int nt, struct deferred **all, size_t *n,
			   mp_errbuf *e)
{
	size_t at = 0;

	*all = NULL;
	*n = 0;
	for (int t = 0; t < nt; t++) {
		if (jobs[t].oom)
			return mp_seterr(e, MP_ENOMEM, "distance transform: out of memory");
		*n += jobs[t].ndef;
	}
	if (*n == 0)
		return MP_OK;
	*all = malloc(sizeof(**all) * *n);
	if (*all == NULL)
		return mp_seterr(e, MP_ENOMEM, "distance transform: out of memory");
	for (int t = 0; t < nt; t++) {
		memcpy(*all + at, jobs[t].def, sizeof(**all) * jobs[t].ndef);
		at += jobs[t].ndef;
		jobs[t].ndef = 0;
	}
	return MP_OK;
}

/*
 * Queries set aside twice, the z lines [lo, hi) of byline (grouped by
 * line, first[] their starts): gather, envelope, read off.
 */
static void *solve_lines(void *arg)
{
	struct job *j = arg;
	const struct edt_grid *g = j->g;
	size_t plane = g->n[0] * g->n[1];

	for (size_t line = j->lo; line < j->hi; line++) {
		size_t a = j->counts[line], b = j->counts[line + 1];
		if (a == b)
			continue;
		for (size_t z = 0; z < g->n[2]; z++)
			j->blk[z] = j->out[line + z * plane];
		envelope(j->blk, g->n[2], g->sp[2], j->d, j->v, j->zn, j->zd);
		for (; a < b; a++)
			j->dq[j->todo[a].k] = sqrt(j->d[j->todo[a].i / plane]);
	}
	return NULL;
}

/* Groups the n queries of all by z line (a counting sort) and solves them. */
static int solve_all_lines(struct job *jobs, int nt, const struct deferred *all, size_t n,
			   mp_errbuf *e)
{
	const struct edt_grid *g = jobs[0].g;
	size_t plane = g->n[0] * g->n[1];
	size_t *first = calloc(plane + 1, sizeof(size_t));
	struct deferred *byline = malloc(sizeof(*byline) * n);

	if (first == NULL || byline == NULL) {
		free(first);
		free(byline);
		return mp_seterr(e, MP_ENOMEM, "distance transform: out of memory");
	}
	for (size_t t = 0; t < n; t++)
		first[all[t].i % plane + 1]++;
	for (size_t l = 0; l < plane; l++)
		first[l + 1] += first[l];
	for (size_t t = 0; t < n; t++)
		byline[first[all[t].i % plane]++] = all[t];
	for (size_t l = plane; l > 0; l--)  /* the scatter moved every start one group on */
		first[l] = first[l - 1];
	first[0] = 0;
	for (int t = 0; t < nt; t++) {
		jobs[t].counts = first;
		jobs[t].todo = byline;
	}
	run_all(jobs, nt, plane, solve_lines);
	free(first);
	free(byline);
	return MP_OK;
}

/* The queries set aside after pass 1: pass 2 on their columns, then z. */
static int finish_deferred(struct job *jobs, int nt, mp_errbuf *e)
{
	const struct edt_grid *g = jobs[0].g;
	struct deferred *todo = NULL, *again = NULL;
	size_t ntodo, nagain, nx = g->n[0], nz = g->n[2];
	uint8_t *cols = NULL;
	int rc;

	rc = gather_deferred(jobs, nt, &todo, &ntodo, e);
	if (rc || ntodo == 0)
		goto out;
	cols = calloc(nx * nz, 1);
	if (cols == NULL) {
		rc = mp_seterr(e, MP_ENOMEM, "distance transform: out of memory");
		goto out;
	}
	for (size_t t = 0; t < ntodo; t++) {  /* the columns (x, z) within each bound */
		size_t x = todo[t].i % nx, z = todo[t].i / (nx * g->n[1]), r = nz, lo, hi;
		double reach = sqrt(todo[t].bound) / g->sp[2];
		if (reach < SEARCH_CAP)
			r = (size_t)reach + 1;
		lo = z > r ? z - r : 0;
		hi = z + r < nz ? z + r + 1 : nz;
		if (r >= SEARCH_CAP)  /* its line's envelope, or a long search: all of it */
			lo = 0, hi = nz;
		for (size_t zz = lo; zz < hi; zz++)
			cols[zz * nx + x] = 1;
	}
	for (int t = 0; t < nt; t++) {
		jobs[t].pass = 1;
		jobs[t].cols = cols;
		jobs[t].todo = todo;
	}
	run_all(jobs, nt, g->n[0] * g->n[2], passes_yz);
	run_all(jobs, nt, ntodo, query_lines);
	rc = gather_deferred(jobs, nt, &again, &nagain, e);
	if (rc == MP_OK && nagain)
		rc = solve_all_lines(jobs, nt, again, nagain, e);
out:
	free(todo);
	free(again);
	free(cols);
	return rc;
}

int edt_query(const struct edt_grid *g, uint8_t feature, uint8_t query, int nthreads,
	      double *work, double *d, size_t *nd, mp_errbuf *e)
{
	struct job jobs[EDT_MAX_THREADS];
	size_t *counts, sum = 0;
	int nt, rc;

	*nd = 0;
	if (g->n[0] * g->n[1] * g->n[2] == 0)
		return MP_OK;
	counts = malloc(sizeof(size_t) * g->n[2]);
	nt = counts ? jobs_init(jobs, g, feature, query, nthreads, work) : -1;
	if (nt < 0) {
		free(counts);
		return mp_seterr(e, MP_ENOMEM, "distance transform: out of memory");
	}
	for (int t = 0; t < nt; t++) {
		jobs[t].counts = counts;
		jobs[t].dq = d;
	}
	run_all(jobs, nt, g->n[2], count_queries);
	for (size_t z = 0; z < g->n[2]; z++) {  /* counts become offsets into d */
		size_t c = counts[z];
		counts[z] = sum;
		sum += c;
	}
	run_all(jobs, nt, g->n[1] * g->n[2], pass_x);
	run_all(jobs, nt, g->n[2], query_planes);
	rc = finish_deferred(jobs, nt, e);
	jobs_free(jobs, nt);
	free(counts);
	if (rc == MP_OK)
		*nd = sum;
	return rc;
}
