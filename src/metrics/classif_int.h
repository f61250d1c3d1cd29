/*
 * classif_int.h: what the files of the classification metrics share and
 * nothing else sees: the order-preserving key of a score, the prep's
 * layout (the sorted sides of each ranking problem, the merged order the
 * bootstrap walks, the per-case terms) and the per-case helpers that both
 * the prep and the metrics use. Not part of the interface: include
 * metrics/classif.h instead.
 *
 *   classif_sort.c  order-preserving keys and the radix sort
 *   classif_prep.c  the prep: sides filled and sorted (one thread per core),
 *                   strata, merged orders, per-case terms
 *   classif.c       metric names, and the metrics computed from a prep
 */
#ifndef MP_METRICS_CLASSIF_INT_H
#define MP_METRICS_CLASSIF_INT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "metrics/classif.h"

/* The order-preserving key of a finite double: classif_key() inlined. */
#define SIGN_BIT ((uint64_t)1 << 63)

static inline uint64_t key_of(double d)
{
	uint64_t u;

	if (d == 0)
		d = 0.0; /* -0.0 == 0.0: one key */
	memcpy(&u, &d, sizeof(u));
	return (u & SIGN_BIT) ? ~u : u | SIGN_BIT;
}

/*
 * One side of a binary ranking problem: ascending keys and, for weights,
 * either the case index of each key (idx) or, when idx is NULL, the case
 * index woff + position. Every side's keys are followed by a sentinel
 * key (SENTINEL: no finite double has it) that the merge walks rely on.
 * Binary sides are filled by the sorting thread itself (fill_side in
 * classif_prep.c).
 */
struct rank_side {
	uint64_t *key;
	uint32_t *idx;
	size_t n, woff;
	const double *fill_score;   /* binary: the scores to take ... */
	const uint32_t *fill_label; /* ... where the label is fill_want */
	size_t fill_n;
	uint32_t fill_want;
};

#define SENTINEL UINT64_MAX

/*
 * A ranking problem: its two sides and, for weighted preps, the merged
 * order of both sides (ascending scores) as entries of a case index and
 * flags: positive, first and last entry of a group of tied scores. The
 * bootstrap walks it once per resample without comparing keys or
 * branching on which side comes next.
 */
struct rank_pair {
	struct rank_side pos, neg;
	uint32_t *merged; /* pos.n + neg.n entries, or NULL */
};

#define M_POS ((uint32_t)1 << 31)
#define M_LAST ((uint32_t)1 << 30)
#define M_FIRST ((uint32_t)1 << 29)
#define M_INDEX (M_FIRST - 1)

/* What classif_prep_new() keeps (classif.h says what "prep order" is). */
struct classif_prep {
	size_t n, k;
	int probabilities, ece_bins, weighted;
	double threshold;
	uint32_t *members;      /* strata (weighted preps only) */
	size_t *start;          /* k + 1 */
	/* binary: prep order is positives then negatives, each ascending */
	struct rank_pair bin;
	size_t pos_cut, neg_cut; /* first position predicted positive on each side */
	double *ll;              /* log-loss term per case (weighted preps) */
	double *sv;              /* score per case (weighted preps) */
	size_t *ecut;            /* ECE bins: first position of each bin, pos then neg side */
	/* multi-class: input order */
	struct rank_pair *ovr;   /* k one-vs-rest problems */
	struct rank_pair micro;  /* the n*k (case, class) entries */
	uint32_t *label, *pred, *bin_of;
	double *brier, *logl, *conf;
	unsigned char *correct;
	/* storage of the sides */
	uint64_t *keys;
	uint32_t *idx;
};

/* scikit-learn's log_loss per case: clip to [eps, 1-eps], renormalize. */
static inline double binary_log_loss(double s, int positive)
{
	const double eps = 2.220446049250313e-16;
	double p = s < eps ? eps : s > 1 - eps ? 1 - eps : s;
	double sum = (1 - p) + p;

	return -log((positive ? p : 1 - p) / sum);
}

/* The ECE bin of a confidence c, clamped to 0 .. bins-1. */
static inline int ece_bin(double c, int bins)
{
	double b = floor(c * bins);

	return b < 0 ? 0 : b >= bins ? bins - 1 : (int)b;
}

/* The key of binary case j in prep order (the sentinel after the positives skipped). */
static inline uint64_t bin_key(const struct classif_prep *p, size_t j)
{
	return j < p->bin.pos.n ? p->bin.pos.key[j] : p->bin.neg.key[j - p->bin.pos.n];
}

#endif
