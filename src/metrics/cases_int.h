/*
 * cases_int.h: what the files of the classification input share and
 * nothing else sees: one file read into a table of rows, the helpers that
 * name a row or a value in a message, and the CSV and JSON readers that
 * fill a table. Not part of the interface: include metrics/cases.h.
 *
 *   cases.c       files read, label values, pairing by id, classes, checks
 *   cases_csv.c   CSV (RFC 4180) predictions and labels
 *   cases_json.c  JSON predictions and labels
 */
#ifndef MP_METRICS_CASES_INT_H
#define MP_METRICS_CASES_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/err.h"
#include "metrics/cases.h"

/* One file, read: a predictions file or a labels file. */
struct table {
	const char *path;
	char *text;            /* the file, NUL-terminated (CSV fields point into it) */
	size_t len;
	json_t *json;          /* the document, for JSON files */
	size_t n;              /* rows (cases) */
	const char **id;       /* n */
	uint32_t *line;        /* n: line of each CSV row; NULL for JSON */
	/* predictions */
	size_t ncol;
	char **col;            /* ncol names (NULL for JSON arrays) */
	double *score;         /* n * ncol */
	/* labels */
	uint32_t *code;        /* n: index into labname */
	char **labname;
	size_t nlab;
	uint32_t last;         /* the code found last (labels come in runs) */
};

/* "path:line" of a row for messages (just the path for JSON). */
static inline const char *where(const struct table *t, size_t row, char *out, size_t size)
{
	if (t->line)
		snprintf(out, size, "%s:%u", t->path, t->line[row]);
	else
		snprintf(out, size, "%s", t->path);
	return out;
}

/* A case id or value quoted for a message, shortened when long. */
static inline const char *shown(const char *s, char *out, size_t size)
{
	size_t n = strlen(s);

	if (n + 1 <= size)
		snprintf(out, size, "%s", s);
	else
		snprintf(out, size, "%.*s...", (int)(size - 4), s);
	return out;
}

/*
 * The code of a label value (len bytes at s), adding it to the table's
 * distinct values (at most CASES_MAX_LABELS).
 */
int cases_intern_label(struct table *t, const char *s, size_t len, uint32_t *code,
		       mp_errbuf *e);

/*
 * The readers: each fills t (whose text was read) with its rows, checking
 * every row as it goes; the message names the file, the line (CSV) and the
 * problem. Predictions take their score columns from spec.
 */
int cases_csv_predictions(struct table *t, const struct cases_spec *spec, mp_errbuf *e);
int cases_csv_labels(struct table *t, const struct cases_spec *spec, mp_errbuf *e);
int cases_json_predictions(struct table *t, const struct cases_spec *spec, mp_errbuf *e);
int cases_json_labels(struct table *t, mp_errbuf *e);

#endif
