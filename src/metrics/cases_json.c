/*
 * cases_json.c: classification input from JSON objects keyed by case id:
 * predictions as {"case": score}, {"case": [scores]} or {"case": {"class":
 * score}} (the first case fixes the shape, the others must match it) and
 * labels as {"case": label}; duplicate keys are refused.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/cases_int.h"

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

int cases_json_predictions(struct table *t, const struct cases_spec *spec, mp_errbuf *e)
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

int cases_json_labels(struct table *t, mp_errbuf *e)
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
		rc = cases_intern_label(t, s, strlen(s), &t->code[i], e);
		if (rc)
			return rc;
		i++;
	}
	return MP_OK;
}

