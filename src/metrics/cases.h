/*
 * cases.h: reads classification predictions and labels keyed by case id
 * (CSV with a header row, or JSON), pairs them by id, and resolves the
 * classes, refusing anything doubtful with the file and the problem.
 * Accepted shapes and every refusal: docs/metrics.md ("Input files").
 */
#ifndef MP_METRICS_CASES_H
#define MP_METRICS_CASES_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Limits: a file's size, distinct label values, a case id's length. */
#define CASES_MAX_FILE ((size_t)4 << 30)
#define CASES_MAX_LABELS 1000
#define CASES_MAX_ID 4096
/* Rows of probabilities must sum to 1 within this. */
#define CASES_SUM_TOLERANCE 1e-3

/* What to read; NULL and 0 mean the defaults of docs/metrics.md. */
struct cases_spec {
	const char *id_column;           /* "id" */
	const char *label_column;        /* "label" */
	const char *const *score_columns; /* every column but the id and label */
	size_t nscore_columns;
	const char *const *classes;      /* names of the score columns' classes */
	size_t nclasses;
	const char *positive_class;      /* binary: "1" */
	const char *negative_class;      /* binary, one score column: "0" or the other label */
	int probabilities;               /* scores must be probabilities */
};

/*
 * The cases in the predictions file's order. Binary (k == 2): classes[0]
 * is the negative class, classes[1] the positive one, score[i] is case i's
 * positive-class score and label[i] is 1 for a positive. Multi-class:
 * score[i*k + c] is case i's score for class c.
 */
struct cases {
	size_t n, k;
	char **classes;
	uint32_t *label;
	double *score;
};

int cases_load(const char *predictions, const char *labels, const struct cases_spec *spec,
	       struct cases *out, mp_errbuf *e);
void cases_release(struct cases *c);

#endif
