/*
 * classif_opts.c: the classification option keys shared by `medperf-metrics
 * classification` and the evaluator's parameters, in one table: each key's
 * type, range and default checked and recorded (struct copts,
 * classif_opts.h), and classif_check_options (metrics.h), which checks
 * them without reading any file. docs/metrics.md documents every key.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/ci.h"
#include "metrics/classif_opts.h"
#include "metrics/metrics.h"

static void copts_init(struct copts *o)
{
	memset(o, 0, sizeof(*o));
	o->want = (1u << CM_MAX) - 1;
	o->averages = (1u << CA_MACRO) | (1u << CA_WEIGHTED) | (1u << CA_MICRO);
	o->threshold = 0.5;
	o->ci_level = 0.95;
	o->bootstrap = 1000;
	o->ece_bins = 10;
	o->spec.probabilities = 1;
}

void copts_release(struct copts *o)
{
	strv_free(&o->score_columns);
	strv_free(&o->classes);
	free(o->positive);
	free(o->negative);
}

/* Metric names accepted in options, with a few common aliases. */
static const struct {
	const char *name;
	enum classif_metric m;
} metric_names[] = {
	{"roc_auc", CM_ROC_AUC},
	{"auc", CM_ROC_AUC},
	{"average_precision", CM_AVERAGE_PRECISION},
	{"accuracy", CM_ACCURACY},
	{"balanced_accuracy", CM_BALANCED_ACCURACY},
	{"sensitivity", CM_SENSITIVITY},
	{"recall", CM_SENSITIVITY},
	{"specificity", CM_SPECIFICITY},
	{"precision", CM_PRECISION},
	{"ppv", CM_PRECISION},
	{"npv", CM_NPV},
	{"f1", CM_F1},
	{"mcc", CM_MCC},
	{"cohen_kappa", CM_COHEN_KAPPA},
	{"kappa", CM_COHEN_KAPPA},
	{"brier", CM_BRIER},
	{"log_loss", CM_LOG_LOSS},
	{"ece", CM_ECE},
	{"confusion_matrix", CM_CONFUSION_MATRIX},
};

const char *const copts_avg_names[CA_MAX] = {"", "macro", "weighted", "micro"};

/* A scalar as text: strings as they are, numbers as integers when whole. */
static int scalar_text(const json_t *v, char *out, size_t size)
{
	if (json_is_string(v))
		snprintf(out, size, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(out, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(out, size, "%.17g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(out, size, "%d", json_is_true(v));
	else
		return -1;
	return out[0] ? 0 : -1;
}

/* A list: a sequence of scalars, or one string of comma-separated items. */
static int parse_list(const json_t *v, const char *key, struct strv *out, mp_errbuf *e)
{
	char item[1024];

	strv_free(out);
	if (json_is_array(v) && json_array_size(v) > 0) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			if (scalar_text(x, item, sizeof(item)))
				return mp_seterr(e, MP_EINVAL, "%s: item %zu is not a name", key,
						 i + 1);
			if (strv_push(out, item))
				return mp_seterr(e, MP_ENOMEM, "out of memory");
		}
		return MP_OK;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		for (;;) {
			size_t n = strcspn(s, ",");
			const char *a = s, *b = s + n;
			while (a < b && (*a == ' ' || *a == '\t'))
				a++;
			while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
				b--;
			if (a == b || (size_t)(b - a) >= sizeof(item))
				return mp_seterr(e, MP_EINVAL, "%s: empty or overlong item in '%s'",
						 key, json_string_value(v));
			memcpy(item, a, (size_t)(b - a));
			item[b - a] = '\0';
			if (strv_push(out, item))
				return mp_seterr(e, MP_ENOMEM, "out of memory");
			if (s[n] == '\0')
				return MP_OK;
			s += n + 1;
		}
	}
	return mp_seterr(e, MP_EINVAL, "%s: must be a list of names (or one comma-separated string)",
			 key);
}

static int get_string(const json_t *v, const char *key, const char **out, mp_errbuf *e)
{
	if (!json_is_string(v) || json_string_length(v) == 0)
		return mp_seterr(e, MP_EINVAL, "%s: must be a non-empty string", key);
	*out = json_string_value(v);
	return MP_OK;
}

static int get_int(const json_t *v, const char *key, long long lo, long long hi, long long *out,
		   mp_errbuf *e)
{
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return mp_seterr(e, MP_EINVAL, "%s: must be an integer from %lld to %lld", key, lo,
				 hi);
	*out = json_integer_value(v);
	return MP_OK;
}

static int opt_id_column(const json_t *v, struct copts *o, mp_errbuf *e)
{
	return get_string(v, "id_column", &o->spec.id_column, e);
}

static int opt_label_column(const json_t *v, struct copts *o, mp_errbuf *e)
{
	return get_string(v, "label_column", &o->spec.label_column, e);
}

static int opt_score_column(const json_t *v, struct copts *o, mp_errbuf *e)
{
	const char *s = NULL;
	int rc = get_string(v, "score_column", &s, e);

	if (rc)
		return rc;
	strv_free(&o->score_columns);
	o->has_score_column = 1;
	return strv_push(&o->score_columns, s) ? mp_seterr(e, MP_ENOMEM, "out of memory") : MP_OK;
}

static int opt_score_columns(const json_t *v, struct copts *o, mp_errbuf *e)
{
	return parse_list(v, "score_columns", &o->score_columns, e);
}

static int opt_classes(const json_t *v, struct copts *o, mp_errbuf *e)
{
	return parse_list(v, "classes", &o->classes, e);
}

static int class_option(const json_t *v, const char *key, char **out, mp_errbuf *e)
{
	char text[1024];

	if (scalar_text(v, text, sizeof(text)))
		return mp_seterr(e, MP_EINVAL, "%s: must be a class name", key);
	free(*out);
	*out = strdup(text);
	return *out ? MP_OK : mp_seterr(e, MP_ENOMEM, "out of memory");
}

static int opt_positive_class(const json_t *v, struct copts *o, mp_errbuf *e)
{
	return class_option(v, "positive_class", &o->positive, e);
}

static int opt_negative_class(const json_t *v, struct copts *o, mp_errbuf *e)
{
	return class_option(v, "negative_class", &o->negative, e);
}

static int opt_score_type(const json_t *v, struct copts *o, mp_errbuf *e)
{
	const char *s = json_string_value(v);

	if (s && strcmp(s, "probability") == 0)
		o->spec.probabilities = 1;
	else if (s && strcmp(s, "score") == 0)
		o->spec.probabilities = 0;
	else
		return mp_seterr(e, MP_EINVAL, "score_type: must be 'probability' or 'score'");
	return MP_OK;
}

static int opt_threshold(const json_t *v, struct copts *o, mp_errbuf *e)
{
	if (!json_is_number(v) || !isfinite(json_number_value(v)))
		return mp_seterr(e, MP_EINVAL, "threshold: must be a number");
	o->threshold = json_number_value(v);
	return MP_OK;
}

static int opt_metrics(const json_t *v, struct copts *o, mp_errbuf *e)
{
	struct strv names = STRV_INIT;
	int rc = parse_list(v, "metrics", &names, e);

	o->want = 0;
	o->named = 0;
	for (size_t i = 0; rc == MP_OK && i < names.n; i++) {
		size_t j, nm = sizeof(metric_names) / sizeof(metric_names[0]);
		if (strcmp(names.v[i], "all") == 0) {
			o->want = (1u << CM_MAX) - 1;
			continue;
		}
		for (j = 0; j < nm; j++)
			if (strcmp(names.v[i], metric_names[j].name) == 0)
				break;
		if (j == nm)
			rc = mp_seterr(e, MP_EINVAL, "metrics: unknown metric '%s' (see --help)",
				       names.v[i]);
		else {
			o->want |= CLASSIF_BIT(metric_names[j].m);
			o->named |= CLASSIF_BIT(metric_names[j].m);
		}
	}
	strv_free(&names);
	return rc;
}

static int opt_averages(const json_t *v, struct copts *o, mp_errbuf *e)
{
	struct strv names = STRV_INIT;
	int rc = parse_list(v, "averages", &names, e);

	o->averages = 0;
	for (size_t i = 0; rc == MP_OK && i < names.n; i++) {
		int a;
		for (a = CA_MACRO; a < CA_MAX; a++)
			if (strcmp(names.v[i], copts_avg_names[a]) == 0)
				break;
		if (a == CA_MAX)
			rc = mp_seterr(e, MP_EINVAL,
				       "averages: '%s' is not macro, weighted or micro", names.v[i]);
		else
			o->averages |= 1u << a;
	}
	strv_free(&names);
	return rc;
}

static int opt_ci_level(const json_t *v, struct copts *o, mp_errbuf *e)
{
	double l = json_number_value(v);

	if (!json_is_number(v) || !(l >= 0 && l < 1))
		return mp_seterr(e, MP_EINVAL, "ci_level: must be a number in [0, 1) (0: none)");
	o->ci_level = l;
	return MP_OK;
}

static int opt_bootstrap(const json_t *v, struct copts *o, mp_errbuf *e)
{
	long long n = 0;
	int rc = get_int(v, "bootstrap", 0, CI_MAX_RESAMPLES, &n, e);

	o->bootstrap = (unsigned)n;
	return rc;
}

static int opt_seed(const json_t *v, struct copts *o, mp_errbuf *e)
{
	long long n = 0;
	int rc = get_int(v, "seed", 0, INT64_MAX, &n, e);

	o->seed = (uint64_t)n;
	return rc;
}

static int opt_ece_bins(const json_t *v, struct copts *o, mp_errbuf *e)
{
	long long n = 0;
	int rc = get_int(v, "ece_bins", 1, CLASSIF_MAX_ECE_BINS, &n, e);

	o->ece_bins = (int)n;
	return rc;
}

static int opt_threads(const json_t *v, struct copts *o, mp_errbuf *e)
{
	long long n = 0;
	int rc = get_int(v, "threads", 0, CI_MAX_THREADS, &n, e);

	o->threads = (int)n;
	return rc;
}

/* Every option key, with the function that checks and records it. */
static const struct {
	const char *key;
	int (*parse)(const json_t *v, struct copts *o, mp_errbuf *e);
} option_table[] = {
	{"id_column", opt_id_column},
	{"label_column", opt_label_column},
	{"score_column", opt_score_column},
	{"score_columns", opt_score_columns},
	{"classes", opt_classes},
	{"positive_class", opt_positive_class},
	{"negative_class", opt_negative_class},
	{"score_type", opt_score_type},
	{"threshold", opt_threshold},
	{"metrics", opt_metrics},
	{"averages", opt_averages},
	{"ci_level", opt_ci_level},
	{"bootstrap", opt_bootstrap},
	{"seed", opt_seed},
	{"ece_bins", opt_ece_bins},
	{"threads", opt_threads},
};

int copts_parse(const json_t *options, struct copts *o, const char **badkey, mp_errbuf *e)
{
	const char *key;
	json_t *v;
	int rc;

	copts_init(o);
	if (badkey)
		*badkey = NULL;
	if (options == NULL)
		return MP_OK;
	if (!json_is_object(options))
		return mp_seterr(e, MP_EINVAL, "the options must be a mapping");
	json_object_foreach((json_t *)options, key, v) {
		size_t i, n = sizeof(option_table) / sizeof(option_table[0]);

		if (badkey)
			*badkey = key;
		for (i = 0; i < n; i++)
			if (strcmp(key, option_table[i].key) == 0)
				break;
		if (i == n)
			return mp_seterr(e, MP_EINVAL, "unknown option '%s'", key);
		if (json_is_null(v))
			continue; /* null: the default */
		rc = option_table[i].parse(v, o, e);
		if (rc)
			return rc;
	}
	if (o->has_score_column && json_object_get(options, "score_columns"))
		return mp_seterr(e, MP_EINVAL, "score_column and score_columns: give one of them");
	if (!o->spec.probabilities && (o->named & CLASSIF_PROBABILITY_METRICS)) {
		if (badkey)
			*badkey = "metrics";
		return mp_seterr(e, MP_EINVAL, "metrics: brier, log_loss and ece need "
			       "probabilities (score_type: probability)");
	}
	if (!o->spec.probabilities)
		o->want &= ~CLASSIF_PROBABILITY_METRICS;
	if (o->want == 0) {
		if (badkey)
			*badkey = "metrics";
		return mp_seterr(e, MP_EINVAL, "metrics: no metric asked for");
	}
	if (badkey)
		*badkey = NULL;
	o->spec.score_columns = (const char *const *)o->score_columns.v;
	o->spec.nscore_columns = o->score_columns.n;
	o->spec.classes = (const char *const *)o->classes.v;
	o->spec.nclasses = o->classes.n;
	o->spec.positive_class = o->positive;
	o->spec.negative_class = o->negative;
	return MP_OK;
}

int classif_check_options(const json_t *options, const char **key, mp_errbuf *e)
{
	struct copts o;
	int rc = copts_parse(options, &o, key, e);

	copts_release(&o);
	return rc;
}
