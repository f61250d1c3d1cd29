/*
 * cases.c: classification input (cases.h): reads a predictions file and a
 * labels file (CSV per RFC 4180 with a header row, or JSON objects keyed by
 * case id: cases_csv.c and cases_json.c parse them), pairs the rows by
 * case id, resolves the classes, and checks everything a metric would
 * silently get wrong: missing, duplicate or unpaired ids, ragged rows,
 * unknown columns, scores that are not finite or not probabilities,
 * labels outside the classes.
 *
 * Every message names the file (and the line, for CSV) and the problem.
 * Nothing here computes a metric.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "metrics/cases_int.h"

/* ------------------------------------------------------------------ */
/* One file, read                                                      */
/* ------------------------------------------------------------------ */

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

/* Reads one file into t: CSV or JSON, predictions or labels. */
static int load_table(struct table *t, int labels, const struct cases_spec *spec, mp_errbuf *e)
{
	int rc = read_text(t, e);

	if (rc)
		return rc;
	if (memchr(t->text, '\0', t->len) != NULL)
		return mp_seterr(e, MP_EINVAL, "%s: binary data (a NUL byte), not text", t->path);
	if (is_json(t))
		return labels ? cases_json_labels(t, e) : cases_json_predictions(t, spec, e);
	return labels ? cases_csv_labels(t, spec, e) : cases_csv_predictions(t, spec, e);
}

/* ------------------------------------------------------------------ */
/* Values                                                              */
/* ------------------------------------------------------------------ */

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

int cases_intern_label(struct table *t, const char *s, size_t len, uint32_t *code,
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
