/*
 * params.c: the flat "key: number" parameters files of the brain
 * segmentation example (see params.h for what is read and what is refused).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"

#define LINE_MAX_LEN 1024

static const struct param_spec *find_spec(const struct param_spec *specs, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (strcmp(specs[i].key, key) == 0)
			return &specs[i];
	return NULL;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return s;
}

/* Removes a comment: a '#' at the start or after a blank. */
static void strip_comment(char *s)
{
	for (char *c = s; *c; c++) {
		if (*c == '#' && (c == s || c[-1] == ' ' || c[-1] == '\t')) {
			*c = '\0';
			return;
		}
	}
}

static int known_keys(const struct param_spec *specs, int n, char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (int i = 0; i < n && used < size; i++) {
		int w = snprintf(out + used, size - used, "%s%s", i ? ", " : "", specs[i].key);
		if (w < 0)
			return -1;
		used += (size_t)w;
	}
	return 0;
}

static int parse_line(struct params *p, const struct param_spec *specs, int n, char *text,
		      int lineno, mp_errbuf *e)
{
	strip_comment(text);
	char *s = trim(text);
	if (*s == '\0' || strcmp(s, "---") == 0 || strcmp(s, "{}") == 0)
		return MP_OK;
	char *colon = strchr(s, ':');
	if (colon == NULL || s[0] == '-' || s[0] == '{' || s[0] == '[')
		return mp_seterr(e, MP_EINVAL, "'%s':%d: expected 'key: number'", p->path, lineno);
	*colon = '\0';
	char *key = trim(s);
	char *value = trim(colon + 1);
	const struct param_spec *spec = find_spec(specs, n, key);
	if (spec == NULL) {
		char known[512];
		known_keys(specs, n, known, sizeof(known));
		return mp_seterr(e, MP_EINVAL, "'%s':%d: unknown parameter '%.64s' (known: %s)",
				 p->path, lineno, key, known);
	}
	for (int i = 0; i < p->n; i++)
		if (strcmp(p->key[i], key) == 0)
			return mp_seterr(e, MP_EINVAL, "'%s':%d: '%s' is given twice (first at line %d)",
					 p->path, lineno, key, p->line[i]);
	if (*value == '\0' || strcmp(value, "~") == 0 || strcmp(value, "null") == 0)
		return MP_OK; /* null: the default */
	errno = 0;
	char *end = NULL;
	double v = strtod(value, &end);
	if (end == value || *end != '\0' || errno != 0 || !isfinite(v))
		return mp_seterr(e, MP_EINVAL, "'%s':%d: %s: '%.64s' is not a number", p->path,
				 lineno, key, value);
	if (v < spec->min || v > spec->max || (spec->integer && v != floor(v)))
		return mp_seterr(e, MP_EINVAL, "'%s':%d: %s must be %s from %g to %g (%s)", p->path,
				 lineno, key, spec->integer ? "a whole number" : "a number", spec->min,
				 spec->max, spec->help);
	if (p->n == PARAMS_MAX)
		return mp_seterr(e, MP_EINVAL, "'%s':%d: too many parameters", p->path, lineno);
	p->key[p->n] = strdup(key);
	if (p->key[p->n] == NULL)
		return mp_seterr(e, MP_ENOMEM, "out of memory");
	p->val[p->n] = v;
	p->line[p->n] = lineno;
	p->n++;
	return MP_OK;
}

int params_load(const char *path, const struct param_spec *specs, int n, struct params *p,
		mp_errbuf *e)
{
	memset(p, 0, sizeof(*p));
	if (path == NULL || *path == '\0')
		return MP_OK;
	snprintf(p->path, sizeof(p->path), "%s", path);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return mp_seterr(e, MP_EIO, "'%s': %s", path, strerror(errno));
	char line[LINE_MAX_LEN];
	int lineno = 0, rc = MP_OK;
	while (rc == MP_OK && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f))
			rc = mp_seterr(e, MP_EINVAL, "'%s':%d: line too long", path, lineno);
		else
			rc = parse_line(p, specs, n, line, lineno, e);
	}
	if (rc == MP_OK && ferror(f))
		rc = mp_seterr(e, MP_EIO, "'%s': read error", path);
	fclose(f);
	if (rc != MP_OK)
		params_release(p);
	return rc;
}

double params_get(const struct params *p, const struct param_spec *specs, int n, const char *key)
{
	for (int i = 0; i < p->n; i++)
		if (strcmp(p->key[i], key) == 0)
			return p->val[i];
	const struct param_spec *spec = find_spec(specs, n, key);
	return spec ? spec->def : NAN;
}

void params_release(struct params *p)
{
	for (int i = 0; i < p->n; i++)
		free(p->key[i]);
	memset(p, 0, sizeof(*p));
}
