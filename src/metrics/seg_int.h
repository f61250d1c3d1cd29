/*
 * seg_int.h: what the files of the segmentation metrics share and nothing
 * else sees: the parsed parameters of seg_evaluate and two small helpers.
 * Not part of the interface: include metrics/seg.h or metrics/metrics.h.
 *
 *   seg.c         one structure: grid, surfaces, distances, metrics (seg.h)
 *   seg_params.c  the evaluator's parameters (seg_check_options)
 *   seg_eval.c    seg_evaluate: files paired, read, checked, scored, summarised
 */
#ifndef MP_METRICS_SEG_INT_H
#define MP_METRICS_SEG_INT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "metrics/seg.h"

/* Whether label l is one of the n labels of set. */
static inline int in_set(const int32_t *set, size_t n, int32_t l)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == l)
			return 1;
	return 0;
}

/* Neumaier's compensated sum, so that long sums do not drift. */
static inline double sum_of(const double *v, size_t n)
{
	double s = 0, c = 0;

	for (size_t i = 0; i < n; i++) {
		double t = s + v[i];
		c += fabs(s) >= fabs(v[i]) ? (s - t) + v[i] : (v[i] - t) + s;
		s = t;
	}
	return s + c;
}

/* A structure asked for: its name in the results and its labels. */
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

/*
 * Parses the options into p (defaults for what they leave out); on
 * failure *key (if key) is the key at fault. p is released with
 * seg_params_release, whatever the outcome.
 */
int seg_parse_params(const json_t *opt, struct seg_params *p, const char **key, mp_errbuf *e);
void seg_params_release(struct seg_params *p);

#endif
