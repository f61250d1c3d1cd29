/*
 * ci.h: confidence intervals for the classification metrics: Wilson's
 * score interval for proportions, DeLong's variance for the ROC AUC (Sun
 * and Xu's O(n) algorithm on sorted scores), and a seeded, stratified
 * percentile bootstrap over a classif prep. Definitions: docs/metrics.md.
 *
 * Intervals are two-sided at a level in (0, 1) (0.95: 95%). An interval
 * that cannot be computed is [NaN, NaN].
 */
#ifndef MP_METRICS_CI_H
#define MP_METRICS_CI_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "metrics/classif.h"

#define CI_MAX_RESAMPLES 1000000u
#define CI_MAX_THREADS 64

/* The standard normal quantile function (inverse CDF), p in (0, 1). */
double ci_norm_ppf(double p);
/* The two-sided normal quantile of a level: ci_norm_ppf(1 - (1 - level) / 2). */
double ci_z(double level);

/* Wilson's score interval of x successes in n trials (NaN when n is 0). */
void ci_wilson(uint64_t x, uint64_t n, double level, double *lo, double *hi);

/*
 * DeLong's estimate of the variance of the AUC of positives' scores against
 * negatives' scores, given as ascending order-preserving keys (m and n of
 * them); *auc gets the AUC. Returns NaN when m < 2 or n < 2.
 */
double ci_delong_var(const uint64_t *pos, size_t m, const uint64_t *neg, size_t n, double *auc);
/* est +- z * sqrt(var), clipped to [0, 1]. */
void ci_normal_interval(double est, double var, double level, double *lo, double *hi);

/* The q-quantile of n ascending values, linear between order statistics. */
double ci_quantile(const double *sorted, size_t n, double q);

struct ci_bootstrap_opts {
	unsigned resamples; /* 1 .. CI_MAX_RESAMPLES */
	uint64_t seed;
	int threads;        /* 0: one per online CPU */
	double level;
};

/*
 * Resamples the cases of each class with replacement (each class keeps its
 * count), computes the metrics of want on each resample, and writes the
 * percentile interval of every slot to lo[CLASSIF_SLOTS] and
 * hi[CLASSIF_SLOTS]; used[slot] counts the resamples where the metric was
 * defined (the interval is taken over those). Resample r draws from its own
 * generator seeded by (seed, r), so the result does not depend on threads.
 * The prep must have been made with weighted set.
 */
int ci_bootstrap(const struct classif_prep *p, unsigned want, const struct ci_bootstrap_opts *o,
		 double *lo, double *hi, unsigned *used, mp_errbuf *e);

#endif
