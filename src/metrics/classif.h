/*
 * classif.h: classification metrics on numbers already read (cases.h reads
 * the files): binary and multi-class, with exact tie handling, and the same
 * computation with per-case weights so that the bootstrap (ci.h) resamples
 * without sorting again. Definitions: docs/metrics.md.
 *
 * Lifecycle:
 *   1. classif_prep_new() sorts the scores once (radix sort, both cores)
 *      and keeps what every metric needs, in "prep order" (below);
 *   2. classif_compute() any number of times, from any number of threads
 *      (the prep is read-only), with weights NULL (each case once: the
 *      estimate) or bootstrap counts per case in prep order;
 *   3. classif_prep_free().
 *
 * Prep order: binary cases are the positives by ascending score, then the
 * negatives by ascending score; multi-class cases keep their input order.
 * classif_strata() lists the cases of each class in prep order.
 *
 * Undefined values (a zero denominator, a class missing) are NaN here; the
 * command writes them as null.
 */
#ifndef MP_METRICS_CLASSIF_H
#define MP_METRICS_CLASSIF_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Limits: cases, classes, and cases x classes (one-vs-rest micro ranking). */
#define CLASSIF_MAX_CASES ((size_t)1 << 29)
#define CLASSIF_MAX_CLASSES 100
#define CLASSIF_MAX_ENTRIES ((size_t)1 << 31)
#define CLASSIF_MAX_ECE_BINS 10000

/* The metrics, in the order the results list them. */
enum classif_metric {
	CM_ROC_AUC,
	CM_AVERAGE_PRECISION,
	CM_ACCURACY,
	CM_BALANCED_ACCURACY,
	CM_SENSITIVITY,
	CM_SPECIFICITY,
	CM_PRECISION,
	CM_NPV,
	CM_F1,
	CM_MCC,
	CM_COHEN_KAPPA,
	CM_BRIER,
	CM_LOG_LOSS,
	CM_ECE,
	CM_CONFUSION_MATRIX, /* counts only: classif_confusion() */
	CM_MAX
};

/* Averages of the one-vs-rest metrics in multi-class tasks; binary: NONE. */
enum classif_avg { CA_NONE, CA_MACRO, CA_WEIGHTED, CA_MICRO, CA_MAX };

#define CLASSIF_SLOT(m, a) ((size_t)(m) * CA_MAX + (size_t)(a))
#define CLASSIF_SLOTS ((size_t)CM_MAX * CA_MAX)
#define CLASSIF_BIT(m) (1u << (m))
/* Brier score, log loss and ECE need probabilities. */
#define CLASSIF_PROBABILITY_METRICS \
	(CLASSIF_BIT(CM_BRIER) | CLASSIF_BIT(CM_LOG_LOSS) | CLASSIF_BIT(CM_ECE))

/* Per-class (one-vs-rest) values of a multi-class task. */
enum classif_pc {
	CPC_ROC_AUC,
	CPC_AVERAGE_PRECISION,
	CPC_SENSITIVITY,
	CPC_SPECIFICITY,
	CPC_PRECISION,
	CPC_NPV,
	CPC_F1,
	CPC_MAX
};

/* Name of a metric as written in results and accepted in options. */
const char *classif_metric_name(enum classif_metric m);
/* Whether metric m is averaged over classes (one-vs-rest) in multi-class. */
int classif_metric_averaged(enum classif_metric m);

struct classif_input {
	size_t n;              /* cases, 1 .. CLASSIF_MAX_CASES */
	size_t k;              /* 2: binary; 3 .. CLASSIF_MAX_CLASSES: multi-class */
	const double *score;   /* binary: n positive-class scores; else n*k, row-major */
	const uint32_t *label; /* class of each case, 0 .. k-1 (binary: 1 = positive) */
	double threshold;      /* binary: predicted positive iff score >= threshold */
	int probabilities;     /* scores are probabilities: Brier, log loss, ECE */
	int ece_bins;          /* 1 .. CLASSIF_MAX_ECE_BINS */
	int weighted;          /* will be used with weights (the bootstrap) */
};

struct classif_prep;

/* Scores must be finite. *out is freed with classif_prep_free. */
int classif_prep_new(const struct classif_input *in, struct classif_prep **out, mp_errbuf *e);
void classif_prep_free(struct classif_prep *p);

size_t classif_cases(const struct classif_prep *p);
size_t classif_classes(const struct classif_prep *p);

/*
 * Computes the metrics whose CLASSIF_BIT is in want into out[CLASSIF_SLOTS]
 * (NaN where undefined or not asked). w: NULL, or a count per case in prep
 * order (the prep made with weighted set). per_class: NULL, or k * CPC_MAX
 * values (multi-class only). Returns MP_OK, MP_ENOMEM, or MP_EINVAL for
 * weights on a prep made without. Safe to call concurrently on one prep.
 */
int classif_compute(const struct classif_prep *p, unsigned want, const uint32_t *w,
		    double *out, double *per_class);

/* The confusion matrix (k*k counts; row = true class, column = predicted). */
void classif_confusion(const struct classif_prep *p, uint64_t *cm);

/*
 * Cases of each class for a stratified bootstrap: members[start[c] ..
 * start[c+1]) are the prep-order indices of class c. Returns k.
 */
size_t classif_strata(const struct classif_prep *p, const uint32_t **members,
		      const size_t **start);

/*
 * Binary only: the positives' and the negatives' scores as ascending
 * order-preserving keys (equal keys are equal scores), for DeLong.
 */
void classif_ranked(const struct classif_prep *p, const uint64_t **pos, size_t *npos,
		    const uint64_t **neg, size_t *nneg);

/* The order-preserving key of a finite double (-0.0 and 0.0 share one). */
uint64_t classif_key(double d);
double classif_unkey(uint64_t k);

/*
 * Sorts n keys ascending (LSD radix sort); idx (may be NULL) is permuted
 * alongside. tmp and itmp (when idx) are scratch of n elements.
 */
void classif_radix_sort(uint64_t *key, uint32_t *idx, size_t n, uint64_t *tmp, uint32_t *itmp);

#endif
