/*
 * cases.c: classification input (cases.h): reads a predictions file and a
 * labels file (CSV per RFC 4180 with a header row, or JSON objects keyed by
 * case id), pairs the rows by case id, resolves the classes, and checks
 * everything a metric would silently get wrong: missing, duplicate or
 * unpaired ids, ragged rows, unknown columns, scores that are not finite
 * or not probabilities, labels outside the classes.
 *
 * Every message names the file (and the line, for CSV) and the problem.
 * Nothing here computes a metric.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/buf.h"
#include "metrics/cases.h"

/* ------------------------------------------------------------------ */
/* One file, read                                                      */
/* ------------------------------------------------------------------ */

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

static void table_release(struct table *t)
{
	free(t->text);
	json_decref(t->json);
	free(t->id);
	free(t->line);
	for (size_t c = 0; t->col && c < t->ncol; c++)
		free(t->col[c]);
	free(t->col);
	free(t->score);
	free(t->code);
	for (size_t c = 0; c < t->nlab; c++)
		free(t->labname[c]);
	free(t->labname);
	memset(t, 0, sizeof(*t));
}

/* "path:line" of a row for messages (just the path for JSON). */
static const char *where(const struct table *t, size_t row, char *out, size_t size)
{
	if (t->line)
		snprintf(out, size, "%s:%u", t->path, t->line[row]);
	else
		snprintf(out, size, "%s", t->path);
	return out;
}

/* A case id or value quoted for a message, shortened when long. */
static const char *shown(const char *s, char *out, size_t size)
{
	size_t n = strlen(s);

	if (n + 1 <= size)
		snprintf(out, size, "%s", s);
	else
		snprintf(out, size, "%.*s...", (int)(size - 4), s);
	return out;
}

static int read_text(struct table *t, mp_errbuf *e)
{
	struct stat st;
	struct buf b;
	char chunk[65536];
	int fd, rc = MP_OK;

	fd = open(t->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mp_seterr(e, MP_EIO, "%s: cannot open: %s", t->path, strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return mp_seterr(e, MP_EINVAL, "%s: is a folder, not a file", t->path);
	}
	buf_init(&b, CASES_MAX_FILE);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size < CASES_MAX_FILE &&
	    buf_grow(&b, (size_t)st.st_size + 1)) {
		close(fd);
		return mp_seterr(e, MP_ENOMEM, "%s: out of memory", t->path);
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = mp_seterr(e, MP_EIO, "%s: cannot read: %s", t->path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (buf_add(&b, chunk, (size_t)n)) {
			rc = mp_seterr(e, MP_ETOOBIG, "%s: larger than %zu bytes", t->path,
				       CASES_MAX_FILE);
			break;
		}
	}
	close(fd);
	if (rc) {
		buf_release(&b);
		return rc;
	}
	t->text = buf_detach(&b, &t->len);
	if (t->len == 0)
		return mp_seterr(e, MP_EINVAL, "%s: empty file", t->path);
	return MP_OK;
}

/* JSON when the name ends in .json or the text starts with '{' or '['. */
static int is_json(const struct table *t)
{
	size_t n = strlen(t->path);
	const char *s = t->text;

	if (n >= 5 && strcasecmp(t->path + n - 5, ".json") == 0)
		return 1;
	if (n >= 4 && strcasecmp(t->path + n - 4, ".csv") == 0)
		return 0;
	if ((unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF)
		s += 3;
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	return *s == '{' || *s == '[';
}

/* ------------------------------------------------------------------ */
/* Values                                                              */
/* ------------------------------------------------------------------ */

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

/*
 * A label or class name as compared: blanks trimmed, and a decimal number
 * with an integral value written as an integer ("1.0" and "01" are "1").
 */
static char *norm_label(const char *s, size_t len)
{
	char tmp[64], *end, *out;
	double v;

	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
		len--;
	if (len > 0 && len < sizeof(tmp) && strspn(s, "+-.0123456789eE") >= len) {
		memcpy(tmp, s, len);
		tmp[len] = '\0';
		v = strtod(tmp, &end);
		if (end != tmp && *end == '\0' && isfinite(v) && v == floor(v) && fabs(v) < 1e15) {
			snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
			return strdup(tmp);
		}
	}
	out = malloc(len + 1);
	if (out) {
		memcpy(out, s, len);
		out[len] = '\0';
	}
	return out;
}

/* The code of a label value, adding it to the table's distinct values. */
static int intern_label(struct table *t, const char *s, size_t len, uint32_t *code,
			mp_errbuf *e)
{
	char at[300], *name;

	/* labels come in runs: the text of the last one, as it is, needs no work */
	if (t->nlab && strncmp(t->labname[t->last], s, len) == 0 &&
	    t->labname[t->last][len] == '\0') {
		*code = t->last;
		return MP_OK;
	}
	name = norm_label(s, len);
	if (name == NULL)
		return mp_seterr(e, MP_ENOMEM, "%s: out of memory", t->path);
	for (size_t c = 0; c < t->nlab; c++)
		if (strcmp(t->labname[c], name) == 0) {
			free(name);
			*code = t->last = (uint32_t)c;
			return MP_OK;
		}
	if (t->nlab == CASES_MAX_LABELS) {
		free(name);
		return mp_seterr(e, MP_EINVAL, "%s: more than %d distinct labels",
				 t->line ? where(t, t->n, at, sizeof(at)) : t->path, CASES_MAX_LABELS);
	}
	if (t->labname == NULL) {
		t->labname = malloc(CASES_MAX_LABELS * sizeof(*t->labname));
		if (t->labname == NULL) {
			free(name);
			return mp_seterr(e, MP_ENOMEM, "%s: out of memory", t->path);
		}
	}
	t->labname[t->nlab] = name;
	*code = (uint32_t)t->nlab++;
	return MP_OK;
}

/* ------------------------------------------------------------------ */
/* CSV (RFC 4180)                                                      */
/* ------------------------------------------------------------------ */

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

static int csv_predictions(struct table *t, const struct cases_spec *spec, mp_errbuf *e)
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

static int csv_labels(struct table *t, const struct cases_spec *spec, mp_errbuf *e)
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
			rc = intern_label(t, c.f[lc], strlen(c.f[lc]), &t->code[t->n], e);
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

/* ------------------------------------------------------------------ */
/* JSON                                                                */
/* ------------------------------------------------------------------ */

static int json_open(struct table *t, mp_errbuf *e)
{
	json_error_t err;

	t->json = json_loadb(t->text, t->len, JSON_REJECT_DUPLICATES, &err);
	if (t->json == NULL) {
		if (strstr(err.text, "duplicate") != NULL)
			return mp_seterr(e, MP_EINVAL,
					 "%s:%d: duplicate key (a case id or class given twice)",
					 t->path, err.line);
		return mp_seterr(e, MP_EINVAL, "%s:%d: not valid JSON: %s", t->path, err.line,
				 err.text);
	}
	if (!json_is_object(t->json))
		return mp_seterr(e, MP_EINVAL, "%s: not a JSON object keyed by case id", t->path);
	t->n = json_object_size(t->json);
	if (t->n == 0)
		return mp_seterr(e, MP_EINVAL, "%s: no cases (an empty object)", t->path);
	t->id = malloc(t->n * sizeof(*t->id));
	return t->id ? MP_OK : mp_seterr(e, MP_ENOMEM, "%s: out of memory", t->path);
}

static int json_number(const json_t *v, double *d)
{
	if (!json_is_number(v))
		return -1;
	*d = json_number_value(v);
	return isfinite(*d) ? 0 : -1;
}

enum jkind { JK_NUMBER, JK_ARRAY, JK_OBJECT };

/* The shape of the first case fixes the score columns. */
static int json_shape(struct table *t, const json_t *first, const struct cases_spec *spec,
		      enum jkind *kind, mp_errbuf *e)
{
	if (json_is_number(first)) {
		*kind = JK_NUMBER;
		t->ncol = 1;
	} else if (json_is_array(first)) {
		*kind = JK_ARRAY;
		t->ncol = json_array_size(first);
	} else if (json_is_object(first)) {
		const char *key;
		json_t *v;
		size_t j = 0;
		*kind = JK_OBJECT;
		t->ncol = spec->nscore_columns ? spec->nscore_columns : json_object_size(first);
		t->col = calloc(t->ncol ? t->ncol : 1, sizeof(*t->col));
		if (t->col == NULL)
			return mp_seterr(e, MP_ENOMEM, "%s: out of memory", t->path);
		if (spec->nscore_columns) {
			for (j = 0; j < t->ncol; j++)
				t->col[j] = strdup(spec->score_columns[j]);
		} else {
			json_object_foreach((json_t *)first, key, v)
				t->col[j++] = strdup(key);
		}
		for (j = 0; j < t->ncol; j++)
			if (t->col[j] == NULL)
				return mp_seterr(e, MP_ENOMEM, "%s: out of memory", t->path);
	} else {
		return mp_seterr(e, MP_EINVAL,
				 "%s: case '%s': scores must be a number, a list of numbers or an "
				 "object of class: number",
				 t->path, t->id[0]);
	}
	if (t->ncol == 0)
		return mp_seterr(e, MP_EINVAL, "%s: case '%s' has no scores", t->path, t->id[0]);
	if (spec->nscore_columns && *kind != JK_OBJECT)
		return mp_seterr(e, MP_EINVAL,
				 "%s: score columns name CSV columns or the classes of "
				 "{\"case\": {\"class\": score}}; this file has no names",
				 t->path);
	return MP_OK;
}

static int json_predictions(struct table *t, const struct cases_spec *spec, mp_errbuf *e)
{
	const char *key;
	json_t *v;
	enum jkind kind = JK_NUMBER;
	size_t i = 0;
	char sh[48];
	int rc = json_open(t, e);

	if (rc)
		return rc;
	json_object_foreach(t->json, key, v) {
		double *row;
		size_t got = 0;

		t->id[i] = key;
		if (key[0] == '\0')
			return mp_seterr(e, MP_EINVAL, "%s: empty case id", t->path);
		if (i == 0) {
			rc = json_shape(t, v, spec, &kind, e);
			if (rc)
				return rc;
			t->score = malloc(t->n * t->ncol * sizeof(*t->score));
			if (t->score == NULL)
				return mp_seterr(e, MP_ENOMEM, "%s: out of memory", t->path);
		}
		row = t->score + i * t->ncol;
		if (kind == JK_NUMBER) {
			got = json_is_number(v) ? 1 : json_is_array(v) ? json_array_size(v) : 0;
			if (got == 1 && json_number(v, row))
				got = 0;
		} else if (kind == JK_ARRAY && json_is_array(v)) {
			got = json_array_size(v);
			for (size_t j = 0; j < got && j < t->ncol; j++)
				if (json_number(json_array_get(v, j), &row[j]))
					return mp_seterr(e, MP_EINVAL,
							 "%s: case '%s': score %zu is not a number",
							 t->path, shown(key, sh, sizeof(sh)), j + 1);
		} else if (kind == JK_OBJECT && json_is_object(v)) {
			got = spec->nscore_columns ? t->ncol : json_object_size(v);
			for (size_t j = 0; j < t->ncol; j++) {
				json_t *s = json_object_get(v, t->col[j]);
				if (s == NULL)
					return mp_seterr(e, MP_EINVAL,
							 "%s: case '%s' has no score for class '%s'",
							 t->path, shown(key, sh, sizeof(sh)),
							 t->col[j]);
				if (json_number(s, &row[j]))
					return mp_seterr(e, MP_EINVAL,
							 "%s: case '%s': score of class '%s' is not "
							 "a number",
							 t->path, shown(key, sh, sizeof(sh)), t->col[j]);
			}
		}
		if (got != t->ncol || (kind == JK_NUMBER && !json_is_number(v)))
			return mp_seterr(e, MP_EINVAL,
					 "%s: case '%s' does not have %zu score%s like the first case "
					 "(ragged)",
					 t->path, shown(key, sh, sizeof(sh)), t->ncol,
					 t->ncol == 1 ? "" : "s");
		i++;
	}
	return MP_OK;
}

static int json_labels(struct table *t, mp_errbuf *e)
{
	const char *key;
	json_t *v;
	size_t i = 0;
	char num[64], sh[48];
	int rc = json_open(t, e);

	if (rc)
		return rc;
	t->code = malloc(t->n * sizeof(*t->code));
	if (t->code == NULL)
		return mp_seterr(e, MP_ENOMEM, "%s: out of memory", t->path);
	json_object_foreach(t->json, key, v) {
		const char *s = num;

		t->id[i] = key;
		if (key[0] == '\0')
			return mp_seterr(e, MP_EINVAL, "%s: empty case id", t->path);
		if (json_is_string(v))
			s = json_string_value(v);
		else if (json_is_integer(v))
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		else if (json_is_real(v))
			snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		else if (json_is_boolean(v))
			snprintf(num, sizeof(num), "%d", json_is_true(v));
		else
			return mp_seterr(e, MP_EINVAL, "%s: case '%s': the label is not one value",
					 t->path, shown(key, sh, sizeof(sh)));
		if (s[strspn(s, " \t")] == '\0')
			return mp_seterr(e, MP_EINVAL, "%s: empty label of case '%s'", t->path,
					 shown(key, sh, sizeof(sh)));
		rc = intern_label(t, s, strlen(s), &t->code[i], e);
		if (rc)
			return rc;
		i++;
	}
	return MP_OK;
}

static int load_table(struct table *t, int labels, const struct cases_spec *spec, mp_errbuf *e)
{
	int rc = read_text(t, e);

	if (rc)
		return rc;
	if (memchr(t->text, '\0', t->len) != NULL)
		return mp_seterr(e, MP_EINVAL, "%s: binary data (a NUL byte), not text", t->path);
	if (is_json(t))
		return labels ? json_labels(t, e) : json_predictions(t, spec, e);
	return labels ? csv_labels(t, spec, e) : csv_predictions(t, spec, e);
}

/* ------------------------------------------------------------------ */
/* Pairing by case id                                                  */
/* ------------------------------------------------------------------ */

/*
 * Open addressing over row numbers + 1 (0: empty), with 32 bits of each
 * id's hash beside it so that most probes compare no strings.
 */
struct idmap {
	uint32_t *slot;
	uint32_t *tag;
	size_t mask;
};

static uint64_t hash_id(const char *s)
{
	uint64_t h = 0xcbf29ce484222325u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3u;
	h ^= h >> 31;
	h *= 0x9E3779B97F4A7C15u;
	return h ^ (h >> 29);
}

static int idmap_init(struct idmap *m, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n)
		cap *= 2;
	m->slot = calloc(cap, sizeof(*m->slot));
	m->tag = malloc(cap * sizeof(*m->tag));
	m->mask = cap - 1;
	return m->slot && m->tag ? MP_OK : MP_ENOMEM;
}

static void idmap_free(struct idmap *m)
{
	free(m->slot);
	free(m->tag);
}

/* The row of id, or -1; *at is its slot or the empty slot where it belongs. */
static long idmap_find(const struct idmap *m, const char **ids, const char *id, size_t *at)
{
	uint64_t hv = hash_id(id);
	uint32_t tag = (uint32_t)(hv >> 32);
	size_t h = (size_t)hv & m->mask;

	while (m->slot[h]) {
		if (m->tag[h] == tag && strcmp(ids[m->slot[h] - 1], id) == 0)
			break;
		h = (h + 1) & m->mask;
	}
	*at = h;
	return m->slot[h] ? (long)m->slot[h] - 1 : -1;
}

/* Adds row r of ids; returns the earlier row with the same id, or -1. */
static long idmap_put(struct idmap *m, const char **ids, uint32_t r)
{
	size_t h;
	long found = idmap_find(m, ids, ids[r], &h);

	if (found < 0) {
		m->slot[h] = r + 1;
		m->tag[h] = (uint32_t)(hash_id(ids[r]) >> 32);
	}
	return found;
}

static long idmap_get(const struct idmap *m, const char **ids, const char *id)
{
	size_t h;

	return idmap_find(m, ids, id, &h);
}

static int check_unique(const struct table *t, struct idmap *m, mp_errbuf *e)
{
	char at[300], sh[48];

	if (idmap_init(m, t->n))
		return mp_seterr(e, MP_ENOMEM, "%s: out of memory", t->path);
	for (size_t r = 0; r < t->n; r++) {
		long first = idmap_put(m, t->id, (uint32_t)r);
		if (first < 0)
			continue;
		if (t->line)
			return mp_seterr(e, MP_EINVAL, "%s: duplicate case id '%s' (first on line %u)",
					 where(t, r, at, sizeof(at)), shown(t->id[r], sh, sizeof(sh)),
					 t->line[first]);
		return mp_seterr(e, MP_EINVAL, "%s: duplicate case id '%s'", t->path,
				 shown(t->id[r], sh, sizeof(sh)));
	}
	return MP_OK;
}

/* "N case(s) of B are not in A: 'x', 'y', 'z' (and N more)". */
static int unpaired(const struct table *a, const struct table *b, const long *other,
		    const char *what, mp_errbuf *e)
{
	struct buf names;
	size_t count = 0, shown_n = 0;
	char sh[32];
	int rc;

	buf_init(&names, 200);
	for (size_t r = 0; r < b->n; r++) {
		if (other[r] >= 0)
			continue;
		if (shown_n < 3 && buf_addf(&names, "%s'%s'", shown_n ? ", " : "",
					    shown(b->id[r], sh, sizeof(sh))) == 0)
			shown_n++;
		count++;
	}
	if (count > shown_n)
		buf_addf(&names, " and %zu more", count - shown_n);
	rc = mp_seterr(e, MP_EINVAL, "%s: %s for %zu case%s of %s: %s", a->path, what, count,
		       count == 1 ? "" : "s", b->path, names.data);
	buf_release(&names);
	return rc;
}

/* lab_of[i]: the labels row of predictions row i. */
static int pair(const struct table *pr, const struct table *lb, long *lab_of, mp_errbuf *e)
{
	struct idmap mp = {NULL, NULL, 0}, ml = {NULL, NULL, 0};
	long *pred_of = NULL;
	size_t missing = 0;
	int rc;

	rc = check_unique(pr, &mp, e);
	if (rc == MP_OK)
		rc = check_unique(lb, &ml, e);
	if (rc)
		goto out;
	for (size_t i = 0; i < pr->n; i++) {
		lab_of[i] = idmap_get(&ml, lb->id, pr->id[i]);
		missing += lab_of[i] < 0;
	}
	if (missing) {
		rc = unpaired(lb, pr, lab_of, "no label", e);
		goto out;
	}
	if (lb->n > pr->n) {
		pred_of = malloc(lb->n * sizeof(*pred_of));
		if (pred_of == NULL) {
			rc = mp_seterr(e, MP_ENOMEM, "out of memory");
			goto out;
		}
		for (size_t r = 0; r < lb->n; r++)
			pred_of[r] = idmap_get(&mp, pr->id, lb->id[r]);
		rc = unpaired(pr, lb, pred_of, "no prediction", e);
	}
out:
	idmap_free(&mp);
	idmap_free(&ml);
	free(pred_of);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Classes                                                             */
/* ------------------------------------------------------------------ */

static long class_index(char **names, size_t k, const char *name)
{
	for (size_t c = 0; c < k; c++)
		if (strcmp(names[c], name) == 0)
			return (long)c;
	return -1;
}

static char *norm_str(const char *s)
{
	return norm_label(s, strlen(s));
}

/* The class names of the score columns (k >= 2), normalized and distinct. */
static int column_classes(const struct table *pr, const struct cases_spec *spec, char **names,
			  mp_errbuf *e)
{
	size_t k = pr->ncol;

	if (spec->nclasses && spec->nclasses != k)
		return mp_seterr(e, MP_EINVAL, "%s: %zu classes named for %zu score columns",
				 pr->path, spec->nclasses, k);
	for (size_t c = 0; c < k; c++) {
		char num[24];
		const char *s;

		snprintf(num, sizeof(num), "%zu", c);
		s = spec->nclasses ? spec->classes[c] : pr->col ? pr->col[c] : num;
		names[c] = norm_str(s);
		if (names[c] == NULL)
			return mp_seterr(e, MP_ENOMEM, "out of memory");
		if (class_index(names, c, names[c]) >= 0)
			return mp_seterr(e, MP_EINVAL, "%s: class '%s' named twice", pr->path,
					 names[c]);
	}
	return MP_OK;
}

/* Binary with one score column: the negative and positive classes' names. */
static int single_score_classes(const struct table *lb, const struct cases_spec *spec,
				char **names, mp_errbuf *e)
{
	const char *pos = spec->positive_class, *neg = spec->negative_class;

	if (spec->nclasses && spec->nclasses != 2)
		return mp_seterr(e, MP_EINVAL,
				 "one score column: classes must name two classes (negative, "
				 "positive), not %zu",
				 spec->nclasses);
	if (pos == NULL)
		pos = spec->nclasses ? spec->classes[1] : "1";
	if (neg == NULL && spec->nclasses)
		neg = spec->classes[0];
	names[1] = norm_str(pos);
	if (names[1] == NULL)
		return mp_seterr(e, MP_ENOMEM, "out of memory");
	if (neg == NULL && strcmp(names[1], "1") != 0) {
		/* the one other label value, if any */
		for (size_t c = 0; c < lb->nlab; c++) {
			if (strcmp(lb->labname[c], names[1]) == 0)
				continue;
			if (neg != NULL)
				return mp_seterr(e, MP_EINVAL,
						 "%s: labels are not binary: besides the positive "
						 "class '%s' there are '%s' and '%s'",
						 lb->path, names[1], neg, lb->labname[c]);
			neg = lb->labname[c];
		}
	}
	names[0] = norm_str(neg ? neg : "0");
	if (names[0] == NULL)
		return mp_seterr(e, MP_ENOMEM, "out of memory");
	if (strcmp(names[0], names[1]) == 0)
		return mp_seterr(e, MP_EINVAL, "the positive and negative classes are both '%s'",
				 names[0]);
	return MP_OK;
}

/* Two score columns: reorder the names so that the positive class is second. */
static int two_column_classes(const struct table *pr, const struct cases_spec *spec,
			      char **names, int *swap, mp_errbuf *e)
{
	char *pos = norm_str(spec->positive_class ? spec->positive_class : "1");
	long pi;
	int rc = MP_OK;

	if (pos == NULL)
		return mp_seterr(e, MP_ENOMEM, "out of memory");
	pi = class_index(names, 2, pos);
	if (pi < 0 && spec->positive_class)
		rc = mp_seterr(e, MP_EINVAL, "%s: the positive class '%s' is not one of the classes "
			       "'%s', '%s'", pr->path, pos, names[0], names[1]);
	else if (pi < 0)
		rc = mp_seterr(e, MP_EINVAL, "%s: no class is named '1': say which of '%s' and '%s' "
			       "is the positive class (positive_class)", pr->path, names[0],
			       names[1]);
	free(pos);
	if (rc)
		return rc;
	*swap = pi == 0;
	if (*swap) {
		char *t = names[0];
		names[0] = names[1];
		names[1] = t;
	}
	if (spec->negative_class) {
		char *neg = norm_str(spec->negative_class);
		int same = neg && strcmp(neg, names[0]) == 0;
		free(neg);
		if (!same)
			return mp_seterr(e, MP_EINVAL, "%s: the negative class '%s' is not the other "
					 "class '%s'", pr->path, spec->negative_class, names[0]);
	}
	return MP_OK;
}

/* Every label value must be a class: code -> class index. */
static int map_labels(const struct table *lb, char **names, size_t k, int binary, long *cls,
		      mp_errbuf *e)
{
	char at[300], sh[48], list[160];

	for (size_t c = 0; c < lb->nlab; c++)
		cls[c] = class_index(names, k, lb->labname[c]);
	for (size_t r = 0; r < lb->n; r++) {
		const char *bad;
		if (cls[lb->code[r]] >= 0)
			continue;
		bad = lb->labname[lb->code[r]];
		if (binary)
			return mp_seterr(e, MP_EINVAL,
					 "%s: label '%s' of case '%s' is neither the positive class "
					 "'%s' nor the negative class '%s' (binary labels required)",
					 where(lb, r, at, sizeof(at)), bad,
					 shown(lb->id[r], sh, sizeof(sh)), names[1], names[0]);
		list[0] = '\0';
		for (size_t c = 0, len = 0; c < k && len + 8 < sizeof(list); c++)
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
						c ? ", " : "", names[c]);
		return mp_seterr(e, MP_EINVAL, "%s: label '%s' of case '%s' is not one of the "
				 "classes (%s)", where(lb, r, at, sizeof(at)), bad,
				 shown(lb->id[r], sh, sizeof(sh)), list);
	}
	return MP_OK;
}

/* Probabilities: each score in [0, 1]; rows of several sum to 1. */
static int check_probabilities(const struct table *pr, mp_errbuf *e)
{
	char at[300], sh[48];

	for (size_t i = 0; i < pr->n; i++) {
		const double *s = pr->score + i * pr->ncol;
		double sum = 0;
		for (size_t j = 0; j < pr->ncol; j++) {
			if (s[j] < 0 || s[j] > 1)
				return mp_seterr(e, MP_EINVAL,
						 "%s: score %.17g of case '%s' is not a probability "
						 "in [0, 1] (score_type: score allows any number)",
						 where(pr, i, at, sizeof(at)), s[j],
						 shown(pr->id[i], sh, sizeof(sh)));
			sum += s[j];
		}
		if (pr->ncol > 1 && fabs(sum - 1) > CASES_SUM_TOLERANCE)
			return mp_seterr(e, MP_EINVAL,
					 "%s: the probabilities of case '%s' sum to %.17g, not 1 "
					 "(score_type: score allows any numbers)",
					 where(pr, i, at, sizeof(at)), shown(pr->id[i], sh, sizeof(sh)),
					 sum);
	}
	return MP_OK;
}

static int build(const struct table *pr, const struct table *lb, const long *lab_of,
		 const struct cases_spec *spec, struct cases *out, mp_errbuf *e)
{
	size_t s = pr->ncol, k = s == 1 ? 2 : s;
	long *cls = NULL;
	int swap = 0, rc;

	out->k = k;
	out->n = pr->n;
	out->classes = calloc(k, sizeof(*out->classes));
	cls = malloc((lb->nlab + 1) * sizeof(*cls));
	out->label = malloc(pr->n * sizeof(*out->label));
	out->score = malloc(pr->n * (s == 1 ? 1 : k == 2 ? 1 : k) * sizeof(*out->score));
	if (!out->classes || !cls || !out->label || !out->score) {
		rc = mp_seterr(e, MP_ENOMEM, "out of memory for %zu cases", pr->n);
		goto out;
	}
	if (k > 2 && (spec->positive_class || spec->negative_class)) {
		rc = mp_seterr(e, MP_EINVAL, "%s: positive and negative classes apply to binary "
			       "tasks; these predictions have %zu classes", pr->path, k);
		goto out;
	}
	if (s == 1)
		rc = single_score_classes(lb, spec, out->classes, e);
	else
		rc = column_classes(pr, spec, out->classes, e);
	if (rc == MP_OK && s == 2)
		rc = two_column_classes(pr, spec, out->classes, &swap, e);
	if (rc == MP_OK)
		rc = map_labels(lb, out->classes, k, k == 2, cls, e);
	if (rc == MP_OK && spec->probabilities)
		rc = check_probabilities(pr, e);
	if (rc)
		goto out;
	for (size_t i = 0; i < pr->n; i++) {
		long c = cls[lb->code[lab_of[i]]];
		const double *row = pr->score + i * s;
		if (s == 2 && swap)
			c = 1 - c;
		out->label[i] = (uint32_t)c;
		if (s == 1)
			out->score[i] = row[0];
		else if (s == 2)
			out->score[i] = row[swap ? 0 : 1];
		else
			memcpy(out->score + i * k, row, k * sizeof(*row));
	}
out:
	free(cls);
	return rc;
}

void cases_release(struct cases *c)
{
	for (size_t i = 0; c->classes && i < c->k; i++)
		free(c->classes[i]);
	free(c->classes);
	free(c->label);
	free(c->score);
	memset(c, 0, sizeof(*c));
}

int cases_load(const char *predictions, const char *labels, const struct cases_spec *spec,
	       struct cases *out, mp_errbuf *e)
{
	struct table pr = {.path = predictions}, lb = {.path = labels};
	long *lab_of = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = load_table(&pr, 0, spec, e);
	if (rc == MP_OK)
		rc = load_table(&lb, 1, spec, e);
	if (rc)
		goto out;
	lab_of = malloc(pr.n * sizeof(*lab_of));
	if (lab_of == NULL) {
		rc = mp_seterr(e, MP_ENOMEM, "out of memory for %zu cases", pr.n);
		goto out;
	}
	rc = pair(&pr, &lb, lab_of, e);
	if (rc == MP_OK)
		rc = build(&pr, &lb, lab_of, spec, out, e);
out:
	if (rc)
		cases_release(out);
	free(lab_of);
	table_release(&pr);
	table_release(&lb);
	return rc;
}
