/*
 * ci.c: confidence intervals (ci.h): the normal quantile, Wilson's score
 * interval, DeLong's AUC variance from sorted scores, and the stratified
 * percentile bootstrap, run on every core with one random stream per
 * resample. It computes no metric itself: the bootstrap calls
 * classif_compute() with per-case counts.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics/ci.h"

/* ------------------------------------------------------------------ */
/* Normal quantiles                                                    */
/* ------------------------------------------------------------------ */

/*
 * Acklam's rational approximation (relative error below 1.2e-9), then two
 * Halley steps on the exact CDF (erfc), which bring it to double precision.
 * The upper half is the mirror of the lower, where the CDF is precise.
 */
double ci_norm_ppf(double p)
{
	static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
				   -2.759285104469687e+02, 1.383577518672690e+02,
				   -3.066479806614716e+01, 2.506628277459239e+00};
	static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
				   -1.556989798598866e+02, 6.680131188771972e+01,
				   -1.328068155288572e+01};
	static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
				   -2.400758277161838e+00, -2.549732539343734e+00,
				   4.374664141464968e+00, 2.938163982698783e+00};
	static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
				   2.445134137142996e+00, 3.754408661907416e+00};
	const double plow = 0.02425;
	double x, q, r;

	if (!(p > 0 && p < 1))
		return p == 0 ? -INFINITY : p == 1 ? INFINITY : NAN;
	if (p > 0.5)
		return -ci_norm_ppf(1 - p); /* exact for p > 0.5; keeps the upper tail precise */
	if (p < plow) {
		q = sqrt(-2 * log(p));
		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	} else {
		q = p - 0.5;
		r = q * q;
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
		    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
	}
	for (int step = 0; step < 2; step++) {
		double err = 0.5 * erfc(-x / M_SQRT2) - p;
		double u = err * sqrt(2 * M_PI) * exp(x * x / 2);
		x = x - u / (1 + x * u / 2);
	}
	return x;
}

double ci_z(double level)
{
	return ci_norm_ppf(1 - (1 - level) / 2);
}

static double clip01(double v)
{
	return v < 0 ? 0 : v > 1 ? 1 : v;
}

void ci_wilson(uint64_t x, uint64_t n, double level, double *lo, double *hi)
{
	double z, z2, dn, ph, denom, center, half;

	if (n == 0) {
		*lo = *hi = NAN;
		return;
	}
	z = ci_z(level);
	z2 = z * z;
	dn = (double)n;
	ph = (double)x / dn;
	denom = 1 + z2 / dn;
	center = (ph + z2 / (2 * dn)) / denom;
	half = z / denom * sqrt(ph * (1 - ph) / dn + z2 / (4 * dn * dn));
	*lo = x == 0 ? 0 : clip01(center - half);
	*hi = x == n ? 1 : clip01(center + half);
}

/* ------------------------------------------------------------------ */
/* DeLong                                                              */
/* ------------------------------------------------------------------ */

/*
 * The structural components of Sun and Xu (2014): for a positive scored v,
 * V10 = (negatives below v + half the negatives at v) / n; for a negative
 * at v, V01 = (positives above v + half the positives at v) / m. Their means
 * are the AUC; var(AUC) = S10 / m + S01 / n with S the sample variances.
 * Every case of one tie group has the same component, so one merge walk
 * over the sorted keys per pass suffices (first the AUC, then the sums).
 */
struct group_walk {
	const uint64_t *a, *b;
	size_t m, n, i, j;
};

/* Next tie group: its positives (*wp), negatives (*wn). 0 at the end. */
static int next_group(struct group_walk *g, size_t *wp, size_t *wn)
{
	uint64_t v;
	size_t i0 = g->i, j0 = g->j;

	if (g->i == g->m && g->j == g->n)
		return 0;
	if (g->j == g->n || (g->i < g->m && g->a[g->i] < g->b[g->j]))
		v = g->a[g->i];
	else
		v = g->b[g->j];
	while (g->i < g->m && g->a[g->i] == v)
		g->i++;
	while (g->j < g->n && g->b[g->j] == v)
		g->j++;
	*wp = g->i - i0;
	*wn = g->j - j0;
	return 1;
}

double ci_delong_var(const uint64_t *pos, size_t m, const uint64_t *neg, size_t n, double *auc)
{
	struct group_walk g = {pos, neg, m, n, 0, 0};
	size_t wp, wn, below = 0, pbelow = 0;
	uint64_t u2 = 0;
	double a, s10 = 0, s01 = 0, dm = (double)m, dn = (double)n;

	*auc = NAN;
	if (m == 0 || n == 0)
		return NAN;
	while (next_group(&g, &wp, &wn)) {
		u2 += (uint64_t)wp * (2 * (uint64_t)below + wn);
		below += wn;
	}
	a = (double)u2 / (2.0 * dm * dn);
	*auc = a;
	if (m < 2 || n < 2)
		return NAN;
	g.i = g.j = 0;
	below = 0;
	while (next_group(&g, &wp, &wn)) {
		double v10 = ((double)below + (double)wn / 2) / dn;
		double v01 = (dm - (double)pbelow - (double)wp / 2) / dm;
		s10 += (double)wp * (v10 - a) * (v10 - a);
		s01 += (double)wn * (v01 - a) * (v01 - a);
		below += wn;
		pbelow += wp;
	}
	return s10 / (dm - 1) / dm + s01 / (dn - 1) / dn;
}

void ci_normal_interval(double est, double var, double level, double *lo, double *hi)
{
	double half;

	if (isnan(est) || isnan(var) || var < 0) {
		*lo = *hi = NAN;
		return;
	}
	half = ci_z(level) * sqrt(var);
	*lo = clip01(est - half);
	*hi = clip01(est + half);
}

/* ------------------------------------------------------------------ */
/* Quantiles                                                           */
/* ------------------------------------------------------------------ */

/* numpy's default ("linear"), with its two-sided interpolation formula. */
double ci_quantile(const double *sorted, size_t n, double q)
{
	double h, t, a, b;
	size_t lo;

	if (n == 0)
		return NAN;
	h = (double)(n - 1) * q;
	lo = (size_t)floor(h);
	if (lo >= n - 1)
		return sorted[n - 1];
	t = h - (double)lo;
	a = sorted[lo];
	b = sorted[lo + 1];
	return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* ------------------------------------------------------------------ */
/* The bootstrap                                                       */
/* ------------------------------------------------------------------ */

/* xoshiro256** seeded through splitmix64, one generator per resample. */
struct rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15u);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *g, uint64_t seed, uint64_t stream)
{
	uint64_t h = stream, x = seed ^ splitmix64(&h);

	for (int i = 0; i < 4; i++)
		g->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(struct rng *g)
{
	uint64_t *s = g->s, r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

/* A uniform integer in [0, range), without bias (Lemire's method). */
static inline uint32_t rng_below(struct rng *g, uint32_t range)
{
	uint64_t m = (rng_next(g) >> 32) * range;
	uint32_t l = (uint32_t)m;

	if (l < range) {
		uint32_t floor_ = (uint32_t)(-range) % range;
		while (l < floor_) {
			m = (rng_next(g) >> 32) * range;
			l = (uint32_t)m;
		}
	}
	return (uint32_t)(m >> 32);
}

struct boot {
	const struct classif_prep *p;
	unsigned want, resamples;
	uint64_t seed;
	const uint32_t *members;
	const size_t *start;
	size_t k, n;
	double *rows; /* resamples x CLASSIF_SLOTS */
	atomic_uint next;
	atomic_int failed;
};

static void *boot_worker(void *arg)
{
	struct boot *b = arg;
	uint32_t *w = malloc(b->n * sizeof(*w));

	if (w == NULL) {
		atomic_store(&b->failed, 1);
		return NULL;
	}
	for (;;) {
		unsigned r = atomic_fetch_add(&b->next, 1);
		struct rng g;

		if (r >= b->resamples)
			break;
		rng_seed(&g, b->seed, r);
		memset(w, 0, b->n * sizeof(*w));
		for (size_t c = 0; c < b->k; c++) {
			const uint32_t *mem = b->members + b->start[c];
			uint32_t nc = (uint32_t)(b->start[c + 1] - b->start[c]);
			for (uint32_t t = 0; t < nc; t++)
				w[mem[rng_below(&g, nc)]]++;
		}
		if (classif_compute(b->p, b->want, w, b->rows + (size_t)r * CLASSIF_SLOTS, NULL)) {
			atomic_store(&b->failed, 1);
			break;
		}
	}
	free(w);
	return NULL;
}

static int cpus(void)
{
	long c = sysconf(_SC_NPROCESSORS_ONLN);

	return c < 1 ? 1 : c > CI_MAX_THREADS ? CI_MAX_THREADS : (int)c;
}

int ci_bootstrap(const struct classif_prep *p, unsigned want, const struct ci_bootstrap_opts *o,
		 double *lo, double *hi, unsigned *used, mp_errbuf *e)
{
	struct boot b = {.p = p, .want = want, .resamples = o->resamples, .seed = o->seed};
	pthread_t th[CI_MAX_THREADS];
	double *col = NULL;
	int nth = o->threads > 0 ? o->threads : cpus(), started = 0, rc = MP_OK;

	if (o->resamples == 0 || o->resamples > CI_MAX_RESAMPLES)
		return mp_seterr(e, MP_EINVAL, "bootstrap resamples must be 1 to %u",
				 CI_MAX_RESAMPLES);
	b.k = classif_strata(p, &b.members, &b.start);
	b.n = classif_cases(p);
	if (b.k == 0)
		return mp_seterr(e, MP_EINVAL, "the bootstrap needs a weighted prep");
	if (nth > CI_MAX_THREADS)
		nth = CI_MAX_THREADS;
	if ((unsigned)nth > o->resamples)
		nth = (int)o->resamples;
	b.rows = malloc((size_t)o->resamples * CLASSIF_SLOTS * sizeof(*b.rows));
	col = malloc((size_t)o->resamples * sizeof(*col));
	if (b.rows == NULL || col == NULL) {
		rc = mp_seterr(e, MP_ENOMEM, "out of memory for %u bootstrap resamples",
			       o->resamples);
		goto out;
	}
	atomic_init(&b.next, 0);
	atomic_init(&b.failed, 0);
	for (int t = 1; t < nth; t++) {
		if (pthread_create(&th[started], NULL, boot_worker, &b) != 0)
			break;
		started++;
	}
	boot_worker(&b);
	for (int t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	if (atomic_load(&b.failed)) {
		rc = mp_seterr(e, MP_ENOMEM, "out of memory in the bootstrap");
		goto out;
	}
	for (size_t s = 0; s < CLASSIF_SLOTS; s++) {
		size_t m = 0;
		for (unsigned r = 0; r < o->resamples; r++) {
			double v = b.rows[(size_t)r * CLASSIF_SLOTS + s];
			if (!isnan(v))
				col[m++] = v;
		}
		qsort(col, m, sizeof(*col), cmp_double);
		lo[s] = ci_quantile(col, m, (1 - o->level) / 2);
		hi[s] = ci_quantile(col, m, 1 - (1 - o->level) / 2);
		used[s] = (unsigned)m;
	}
out:
	free(b.rows);
	free(col);
	return rc;
}
