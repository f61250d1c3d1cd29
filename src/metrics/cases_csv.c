/*
 * cases_csv.c: classification input from CSV (RFC 4180, with a header
 * row): the predictions' score columns and the labels' label column,
 * every row checked (ragged rows, quotes, empty or long case ids, scores
 * that are not finite numbers), each message with the file and the line.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "metrics/cases_int.h"

/* A score: a finite decimal number (blanks around it allowed). */
static int parse_score(const char *s, double *v)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0' || strpbrk(s, "xXnNiI") != NULL)
		return -1;
	errno = 0;
	*v = strtod(s, &end);
	while (*end == ' ' || *end == '\t')
		end++;
	if (end == s || *end != '\0' || !isfinite(*v))
		return -1;
	return 0;
}

struct csv {
	const char *path;
	char *p, *end;
	unsigned line;      /* line of the cursor */
	unsigned row_line;  /* line where the current row started */
	char **f;           /* the current row's fields, NUL-terminated in place */
	size_t nf, cap;
};

static int csv_push(struct csv *c, char *field)
{
	if (c->nf == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		char **f = realloc(c->f, cap * sizeof(*f));
		if (f == NULL)
			return MP_ENOMEM;
		c->f = f;
		c->cap = cap;
	}
	c->f[c->nf++] = field;
	return MP_OK;
}

/*
 * Reads the next row into c->f (fields unquoted in place). Returns 1 for a
 * row, 0 at the end, or an error. Blank lines are skipped. Line ends are
 * LF or CRLF; a quoted field may hold commas, quotes ("") and line breaks.
 */
static int csv_row(struct csv *c, mp_errbuf *e)
{
	while (c->p < c->end && (*c->p == '\n' || (*c->p == '\r' && c->p[1] == '\n'))) {
		c->p += *c->p == '\r' ? 2 : 1;
		c->line++;
	}
	if (c->p >= c->end)
		return 0;
	c->row_line = c->line;
	c->nf = 0;
	for (;;) {
		char *start = c->p, *out, sep;

		if (*c->p == '"') {
			unsigned opened = c->line;
			out = start;
			c->p++;
			for (;;) {
				if (c->p >= c->end)
					return mp_seterr(e, MP_EINVAL,
							 "%s:%u: quoted field never closed",
							 c->path, opened);
				if (*c->p == '"') {
					if (c->p[1] == '"') {
						*out++ = '"';
						c->p += 2;
						continue;
					}
					c->p++;
					break;
				}
				if (*c->p == '\n')
					c->line++;
				*out++ = *c->p++;
			}
			if (c->p < c->end && *c->p != ',' && *c->p != '\n' &&
			    !(*c->p == '\r' && c->p[1] == '\n'))
				return mp_seterr(e, MP_EINVAL, "%s:%u: text after a closing quote",
						 c->path, c->line);
		} else {
			c->p += strcspn(c->p, ",\n\r\"");
			if (*c->p == '"')
				return mp_seterr(e, MP_EINVAL,
						 "%s:%u: quote inside an unquoted field", c->path,
						 c->line);
			if (*c->p == '\r' && c->p[1] != '\n')
				return mp_seterr(e, MP_EINVAL, "%s:%u: carriage return inside a field",
						 c->path, c->line);
			out = c->p;
		}
		sep = c->p < c->end ? *c->p : '\n';
		*out = '\0';
		if (csv_push(c, start))
			return mp_seterr(e, MP_ENOMEM, "%s: out of memory", c->path);
		if (sep == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end) {
			c->p += *c->p == '\r' ? 2 : 1;
			c->line++;
		}
		return 1;
	}
}

static long find_column(char **names, size_t n, const char *want)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], want) == 0)
			return (long)i;
	return -1;
}

static int no_column(const char *path, const char *want, char **names, size_t n, mp_errbuf *e)
{
	struct buf b;
	int rc;

	buf_init(&b, 160);
	for (size_t i = 0; i < n; i++)
		if (buf_addf(&b, "%s%s", i ? ", " : "", names[i]))
			break;
	rc = mp_seterr(e, MP_EINVAL, "%s: no column '%s' (columns: %s%s)", path, want, b.data,
		       b.len == 160 ? "..." : "");
	buf_release(&b);
	return rc;
}

/* Upper bound of the rows: the lines. */
static size_t count_lines(const char *s, size_t len)
{
	size_t n = 1;
	const char *p = s, *end = s + len;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	return n;
}

/* Reads the header: checks names and returns the column count. */
static int csv_header(struct csv *c, char ***names, size_t *ncols, mp_errbuf *e)
{
	int rc;

	if ((unsigned char)c->p[0] == 0xEF && (unsigned char)c->p[1] == 0xBB &&
	    (unsigned char)c->p[2] == 0xBF)
		c->p += 3;
	rc = csv_row(c, e);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return mp_seterr(e, MP_EINVAL, "%s: no header row", c->path);
	for (size_t i = 0; i < c->nf; i++)
		for (size_t j = 0; j < i; j++)
			if (c->f[i][0] && strcmp(c->f[i], c->f[j]) == 0)
				return mp_seterr(e, MP_EINVAL, "%s:%u: column '%s' appears twice",
						 c->path, c->row_line, c->f[i]);
	*names = malloc(c->nf * sizeof(**names));
	if (*names == NULL)
		return mp_seterr(e, MP_ENOMEM, "%s: out of memory", c->path);
	memcpy(*names, c->f, c->nf * sizeof(**names));
	*ncols = c->nf;
	return MP_OK;
}

static int csv_field_count(const struct csv *c, size_t want, mp_errbuf *e)
{
	if (c->nf == want)
		return MP_OK;
	return mp_seterr(e, MP_EINVAL, "%s:%u: %zu fields where the header has %zu (ragged row)",
			 c->path, c->row_line, c->nf, want);
}

static int csv_id(struct csv *c, struct table *t, long idc, mp_errbuf *e)
{
	const char *id = c->f[idc];

	if (id[0] == '\0')
		return mp_seterr(e, MP_EINVAL, "%s:%u: empty case id", c->path, c->row_line);
	if (strlen(id) > CASES_MAX_ID)
		return mp_seterr(e, MP_EINVAL, "%s:%u: case id longer than %d bytes", c->path,
				 c->row_line, CASES_MAX_ID);
	t->id[t->n] = id;
	t->line[t->n] = c->row_line;
	return MP_OK;
}

static int csv_alloc_rows(struct table *t, size_t ncol)
{
	size_t rows = count_lines(t->text, t->len);

	t->id = malloc(rows * sizeof(*t->id));
	t->line = malloc(rows * sizeof(*t->line));
	if (ncol)
		t->score = malloc(rows * ncol * sizeof(*t->score));
	else
		t->code = malloc(rows * sizeof(*t->code));
	return t->id && t->line && (ncol ? t->score != NULL : t->code != NULL) ? MP_OK
									: MP_ENOMEM;
}

int cases_csv_predictions(struct table *t, const struct cases_spec *spec, mp_errbuf *e)
{
	struct csv c = {t->path, t->text, t->text + t->len, 1, 1, NULL, 0, 0};
	const char *idname = spec->id_column ? spec->id_column : "id";
	const char *labname = spec->label_column ? spec->label_column : "label";
	char **names = NULL, at[300], sh[48];
	size_t ncols = 0;
	long idc, *sc = NULL;
	int rc;

	rc = csv_header(&c, &names, &ncols, e);
	if (rc)
		goto out;
	idc = find_column(names, ncols, idname);
	if (idc < 0) {
		rc = no_column(t->path, idname, names, ncols, e);
		goto out;
	}
	sc = malloc((ncols + spec->nscore_columns + 1) * sizeof(*sc));
	if (sc == NULL) {
		rc = mp_seterr(e, MP_ENOMEM, "%s: out of memory", t->path);
		goto out;
	}
	if (spec->nscore_columns) {
		for (size_t i = 0; i < spec->nscore_columns; i++) {
			sc[i] = find_column(names, ncols, spec->score_columns[i]);
			if (sc[i] < 0) {
				rc = no_column(t->path, spec->score_columns[i], names, ncols, e);
				goto out;
			}
		}
		t->ncol = spec->nscore_columns;
	} else {
		/* every named column but the id and the label */
		for (size_t i = 0; i < ncols; i++)
			if ((long)i != idc && names[i][0] && strcmp(names[i], labname) != 0)
				sc[t->ncol++] = (long)i;
		if (t->ncol == 0) {
			rc = mp_seterr(e, MP_EINVAL, "%s: no score column besides '%s'", t->path,
				       idname);
			goto out;
		}
	}
	t->col = calloc(t->ncol, sizeof(*t->col));
	if (t->col == NULL || csv_alloc_rows(t, t->ncol)) {
		rc = mp_seterr(e, MP_ENOMEM, "%s: out of memory", t->path);
		goto out;
	}
	for (size_t j = 0; j < t->ncol; j++) {
		t->col[j] = strdup(names[sc[j]]);
		if (t->col[j] == NULL) {
			rc = mp_seterr(e, MP_ENOMEM, "%s: out of memory", t->path);
			goto out;
		}
	}
	while ((rc = csv_row(&c, e)) == 1) {
		rc = csv_field_count(&c, ncols, e);
		if (rc == MP_OK)
			rc = csv_id(&c, t, idc, e);
		if (rc)
			goto out;
		for (size_t j = 0; j < t->ncol; j++) {
			const char *f = c.f[sc[j]];
			if (parse_score(f, &t->score[t->n * t->ncol + j])) {
				rc = mp_seterr(e, MP_EINVAL,
					       "%s: %s '%s' of case '%s' is not a finite number",
					       where(t, t->n, at, sizeof(at)), names[sc[j]],
					       shown(f, sh, 24), shown(t->id[t->n], sh + 24, 24));
				goto out;
			}
		}
		t->n++;
	}
	if (rc == 0 && t->n == 0)
		rc = mp_seterr(e, MP_EINVAL, "%s: no cases (only a header row)", t->path);
out:
	free(names);
	free(sc);
	free(c.f);
	return rc;
}

int cases_csv_labels(struct table *t, const struct cases_spec *spec, mp_errbuf *e)
{
	struct csv c = {t->path, t->text, t->text + t->len, 1, 1, NULL, 0, 0};
	const char *idname = spec->id_column ? spec->id_column : "id";
	const char *labname = spec->label_column ? spec->label_column : "label";
	char **names = NULL, at[300];
	size_t ncols = 0;
	long idc, lc;
	int rc;

	rc = csv_header(&c, &names, &ncols, e);
	if (rc)
		goto out;
	idc = find_column(names, ncols, idname);
	lc = find_column(names, ncols, labname);
	if (idc < 0 || lc < 0) {
		rc = no_column(t->path, idc < 0 ? idname : labname, names, ncols, e);
		goto out;
	}
	if (csv_alloc_rows(t, 0)) {
		rc = mp_seterr(e, MP_ENOMEM, "%s: out of memory", t->path);
		goto out;
	}
	while ((rc = csv_row(&c, e)) == 1) {
		rc = csv_field_count(&c, ncols, e);
		if (rc == MP_OK)
			rc = csv_id(&c, t, idc, e);
		if (rc == MP_OK && c.f[lc][strspn(c.f[lc], " \t")] == '\0')
			rc = mp_seterr(e, MP_EINVAL, "%s: empty label of case '%s'",
				       where(t, t->n, at, sizeof(at)), t->id[t->n]);
		if (rc == MP_OK)
			rc = cases_intern_label(t, c.f[lc], strlen(c.f[lc]), &t->code[t->n], e);
		if (rc)
			goto out;
		t->n++;
	}
	if (rc == 0 && t->n == 0)
		rc = mp_seterr(e, MP_EINVAL, "%s: no cases (only a header row)", t->path);
out:
	free(names);
	free(c.f);
	return rc;
}
