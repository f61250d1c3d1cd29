/*
 * seg_params.c: the segmentation parameters shared by the evaluator and
 * seg_evaluate (labels or named structures, metrics, tolerance_mm,
 * per_case): read from a JSON object with their defaults, every key and
 * value checked, each refusal naming the key (seg_check_options, metrics.h).
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "metrics/metrics.h"
#include "metrics/seg_int.h"

#define DEFAULT_TOLERANCE_MM 1.0

void seg_params_release(struct seg_params *p)
{
	for (size_t i = 0; i < p->nst; i++) {
		free(p->st[i].name);
		free(p->st[i].labels);
	}
	free(p->st);
	memset(p, 0, sizeof(*p));
}

#define PERR(...) mp_seterr(e, MP_EINVAL, "segmentation parameters: " __VA_ARGS__)

static int label_of(const json_t *v, int32_t *out)
{
	json_int_t i;

	if (!json_is_integer(v))
		return -1;
	i = json_integer_value(v);
	if (i < INT32_MIN || i > INT32_MAX)
		return -1;
	*out = (int32_t)i;
	return 0;
}

static char *dup_label_name(int32_t l)
{
	struct buf b;

	buf_init(&b, 32);
	if (buf_addf(&b, "%d", (int)l))
		return NULL;
	return buf_detach(&b, NULL);
}

/* One structure from a label or a list of labels. */
static int parse_structure(const char *name, const json_t *v, struct structure *s,
			   mp_errbuf *e)
{
	size_t n = json_is_array(v) ? json_array_size(v) : 1;

	s->name = name ? strdup(name) : NULL;
	s->labels = calloc(n, sizeof(int32_t));
	if ((name && s->name == NULL) || s->labels == NULL)
		return mp_seterr(e, MP_ENOMEM, "segmentation parameters: out of memory");
	if (json_is_array(v) && n == 0)
		return PERR("labels: '%s' has an empty list of labels", name);
	for (size_t i = 0; i < n; i++) {
		const json_t *x = json_is_array(v) ? json_array_get(v, i) : v;
		if (label_of(x, &s->labels[i]))
			return PERR("labels: %s%s%s must be an integer label or a list of them",
				    name ? "'" : "an entry", name ? name : "", name ? "'" : "");
		if (in_set(s->labels, i, s->labels[i]))
			return PERR("labels: label %d is listed twice in '%s'", (int)s->labels[i],
				    name ? name : "");
		s->n++;
	}
	if (name == NULL) {
		s->name = dup_label_name(s->labels[0]);
		if (s->name == NULL)
			return mp_seterr(e, MP_ENOMEM, "segmentation parameters: out of memory");
	}
	return MP_OK;
}

static int parse_labels(const json_t *v, struct seg_params *p, mp_errbuf *e)
{
	size_t n = json_is_array(v) ? json_array_size(v) : json_is_object(v) ? json_object_size(v) : 0;
	const char *key;
	json_t *x;
	int rc;

	if (v == NULL || json_is_null(v))
		return MP_OK;
	if (!json_is_array(v) && !json_is_object(v))
		return PERR("labels must be a list of integer labels or a mapping of names to "
			    "labels");
	if (n == 0)
		return PERR("labels is empty (leave it out to score every label present)");
	p->st = calloc(n, sizeof(*p->st));
	if (p->st == NULL)
		return mp_seterr(e, MP_ENOMEM, "segmentation parameters: out of memory");
	if (json_is_array(v)) {
		size_t i;
		json_array_foreach(v, i, x) {
			int32_t l;
			if (label_of(x, &l))
				return PERR("labels: entry %zu is not an integer label (int32)", i + 1);
			rc = parse_structure(NULL, x, &p->st[p->nst++], e);
			if (rc)
				return rc;
			for (size_t k = 0; k + 1 < p->nst; k++)
				if (p->st[k].labels[0] == p->st[i].labels[0])
					return PERR("labels: label %d is listed twice",
						    (int)p->st[i].labels[0]);
		}
		return MP_OK;
	}
	json_object_foreach((json_t *)v, key, x) {
		rc = parse_structure(key, x, &p->st[p->nst++], e);
		if (rc)
			return rc;
	}
	return MP_OK;
}

static int parse_metrics(const json_t *v, struct seg_params *p, mp_errbuf *e)
{
	size_t i;
	json_t *x;

	if (v == NULL || json_is_null(v))
		return MP_OK;
	if (!json_is_array(v) || json_array_size(v) == 0)
		return PERR("metrics must be a non-empty list of metric names");
	p->o.metrics = 0;
	json_array_foreach(v, i, x) {
		int m = 0;
		const char *s = json_string_value(x);
		while (s && m < SEG_NMETRICS && strcmp(s, seg_metric_names[m]) != 0)
			m++;
		if (s == NULL || m == SEG_NMETRICS)
			return PERR("unknown metric %s%s%s (known: dice, iou, sensitivity, precision, "
				    "volume_prediction_mm3, volume_reference_mm3, "
				    "volume_difference_mm3, hausdorff, hd95, assd, nsd)",
				    s ? "'" : "", s ? s : "that is not a string", s ? "'" : "");
		p->o.metrics |= 1u << m;
	}
	return MP_OK;
}

static const char *const param_keys[] = {"labels", "metrics", "tolerance_mm", "per_case"};

int seg_parse_params(const json_t *opt, struct seg_params *p, const char **key, mp_errbuf *e)
{
	const char *k;
	const json_t *v;
	int rc;

	memset(p, 0, sizeof(*p));
	p->o.metrics = SEG_ALL_METRICS;
	p->o.tolerance_mm = DEFAULT_TOLERANCE_MM;
	p->per_case = 1;
	if (key)
		*key = NULL;
	if (opt == NULL || json_is_null(opt))
		return MP_OK;
	if (!json_is_object(opt))
		return PERR("must be a mapping");
	json_object_foreach((json_t *)opt, k, v) {
		size_t i = 0;
		while (i < sizeof(param_keys) / sizeof(param_keys[0]) && strcmp(k, param_keys[i]))
			i++;
		if (i == sizeof(param_keys) / sizeof(param_keys[0])) {
			if (key)
				*key = k;
			return PERR("unknown key '%.60s' (known: labels, metrics, tolerance_mm, "
				    "per_case)", k);
		}
	}
	if (key)
		*key = "labels";
	rc = parse_labels(json_object_get(opt, "labels"), p, e);
	if (rc)
		return rc;
	if (key)
		*key = "metrics";
	rc = parse_metrics(json_object_get(opt, "metrics"), p, e);
	if (rc)
		return rc;
	if (key)
		*key = "tolerance_mm";
	v = json_object_get(opt, "tolerance_mm");
	if (v && !json_is_null(v)) {
		if (!json_is_number(v) || !(json_number_value(v) > 0) ||
		    !isfinite(json_number_value(v)))
			return PERR("tolerance_mm must be a positive number of millimetres");
		p->o.tolerance_mm = json_number_value(v);
	}
	if (key)
		*key = "per_case";
	v = json_object_get(opt, "per_case");
	if (v && !json_is_null(v)) {
		if (!json_is_boolean(v))
			return PERR("per_case must be true or false");
		p->per_case = json_is_true(v);
	}
	if (key)
		*key = NULL;
	return MP_OK;
}

int seg_check_options(const json_t *options, const char **key, mp_errbuf *e)
{
	struct seg_params p;
	int rc = seg_parse_params(options, &p, key, e);

	seg_params_release(&p);
	return rc;
}
