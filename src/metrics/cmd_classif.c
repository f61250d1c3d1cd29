/*
 * cmd_classif.c: classification, from options to results:
 * classif_evaluate() (read the cases, compute the metrics and their
 * confidence intervals, build the results object) and the command
 * `medperf-metrics classification` itself with its usage and output.
 *
 * The option keys are read in classif_opts.c, the metrics computed in
 * classif.c, the intervals in ci.c, the files read in cases.c;
 * docs/metrics.md documents every key and the results.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/jsonw.h"
#include "core/pkey.h"
#include "core/yaml.h"
#include "metrics/cases.h"
#include "metrics/ci.h"
#include "metrics/classif.h"
#include "metrics/classif_opts.h"
#include "metrics/metrics.h"

/* ------------------------------------------------------------------ */
/* Results                                                             */
/* ------------------------------------------------------------------ */

enum ci_method { CIM_NONE, CIM_WILSON, CIM_DELONG, CIM_BOOTSTRAP };
static const char *const ci_method_names[] = {"", "wilson", "delong", "bootstrap"};

struct intervals {
	double lo[CLASSIF_SLOTS], hi[CLASSIF_SLOTS];
	unsigned used[CLASSIF_SLOTS];
	enum ci_method method[CLASSIF_SLOTS];
};

/* Why a binary metric can be undefined (multi-class: "for every class"). */
static const char *const undefined_why[CM_MAX] = {
	[CM_ROC_AUC] = "undefined: the cases hold one class only",
	[CM_AVERAGE_PRECISION] = "undefined: no positive case",
	[CM_SENSITIVITY] = "undefined: no positive case",
	[CM_SPECIFICITY] = "undefined: no negative case",
	[CM_PRECISION] = "undefined: no case predicted positive",
	[CM_NPV] = "undefined: no case predicted negative",
	[CM_F1] = "undefined: no positive case and none predicted positive",
	[CM_COHEN_KAPPA] = "undefined: labels and predictions are all the same one class",
};

static json_t *number(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static int set_new(json_t *obj, const char *key, json_t *v)
{
	return v == NULL || json_object_set_new(obj, key, v) ? MP_ENOMEM : MP_OK;
}

static json_t *metric_entry(enum classif_metric m, size_t slot, const double *vals,
			    const struct intervals *ci, unsigned resamples, int binary,
			    int ece_bins)
{
	json_t *o = json_object();
	int bad = o == NULL;
	double v = vals[slot];

	bad |= set_new(o, "value", number(v));
	if (isnan(v) && undefined_why[m])
		bad |= set_new(o, "note", json_string(binary || m == CM_COHEN_KAPPA
							       ? undefined_why[m]
							       : "undefined for every class"));
	if (m == CM_ECE)
		bad |= set_new(o, "bins", json_integer(ece_bins));
	if (ci->method[slot] != CIM_NONE) {
		json_t *iv = isnan(ci->lo[slot]) || isnan(ci->hi[slot])
				     ? json_null()
				     : json_pack("[f,f]", ci->lo[slot], ci->hi[slot]);
		bad |= set_new(o, "ci", iv);
		bad |= set_new(o, "ci_method", json_string(ci_method_names[ci->method[slot]]));
		if (ci->method[slot] == CIM_BOOTSTRAP && ci->used[slot] < resamples)
			bad |= set_new(o, "ci_resamples", json_integer(ci->used[slot]));
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *metrics_object(const struct copts *o, const struct cases *cs, const double *vals,
			      const struct intervals *ci)
{
	json_t *obj = json_object();
	int binary = cs->k == 2, bad = obj == NULL;

	for (int m = 0; m < CM_CONFUSION_MATRIX && !bad; m++) {
		if (!(o->want & CLASSIF_BIT(m)))
			continue;
		if (binary || !classif_metric_averaged(m)) {
			bad |= set_new(obj, classif_metric_name(m),
				       metric_entry(m, CLASSIF_SLOT(m, CA_NONE), vals, ci,
						    o->bootstrap, binary, o->ece_bins));
			continue;
		}
		for (int a = CA_MACRO; a < CA_MAX && !bad; a++) {
			char name[64];
			if (!(o->averages & (1u << a)))
				continue;
			snprintf(name, sizeof(name), "%s_%s", classif_metric_name(m),
				 copts_avg_names[a]);
			bad |= set_new(obj, name,
				       metric_entry(m, CLASSIF_SLOT(m, a), vals, ci, o->bootstrap,
						    binary, o->ece_bins));
		}
	}
	if (bad) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

static const enum classif_metric pc_metric[CPC_MAX] = {
	[CPC_ROC_AUC] = CM_ROC_AUC,	    [CPC_AVERAGE_PRECISION] = CM_AVERAGE_PRECISION,
	[CPC_SENSITIVITY] = CM_SENSITIVITY, [CPC_SPECIFICITY] = CM_SPECIFICITY,
	[CPC_PRECISION] = CM_PRECISION,	    [CPC_NPV] = CM_NPV,
	[CPC_F1] = CM_F1,
};

static json_t *per_class_object(const struct copts *o, const struct cases *cs, const double *pc,
				const uint64_t *support)
{
	json_t *obj = json_object();
	int bad = obj == NULL;

	for (size_t c = 0; c < cs->k && !bad; c++) {
		json_t *one = json_object();
		bad |= one == NULL || set_new(one, "support", json_integer((json_int_t)support[c]));
		for (int j = 0; j < CPC_MAX && !bad; j++)
			if (o->want & CLASSIF_BIT(pc_metric[j]))
				bad |= set_new(one, classif_metric_name(pc_metric[j]),
					       number(pc[c * CPC_MAX + j]));
		bad |= set_new(obj, cs->classes[c], one);
	}
	if (bad) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

static json_t *confusion_object(const struct cases *cs, const uint64_t *cm)
{
	json_t *obj = json_object(), *labels = json_array(), *rows = json_array();
	int bad = !obj || !labels || !rows;

	for (size_t r = 0; r < cs->k && !bad; r++) {
		json_t *row = json_array();
		bad |= row == NULL || json_array_append_new(labels, json_string(cs->classes[r]));
		for (size_t c = 0; c < cs->k && !bad; c++)
			bad |= json_array_append_new(row, json_integer((json_int_t)cm[r * cs->k + c]));
		bad |= json_array_append_new(rows, row);
	}
	bad |= set_new(obj, "labels", labels);
	labels = NULL;
	bad |= set_new(obj, "matrix", rows);
	rows = NULL;
	if (bad) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/* Which method gives each slot's interval; the rest use the bootstrap. */
static unsigned choose_methods(const struct copts *o, const struct cases *cs,
			       struct intervals *ci)
{
	unsigned boot = 0;

	for (size_t s = 0; s < CLASSIF_SLOTS; s++) {
		ci->method[s] = CIM_NONE;
		ci->lo[s] = ci->hi[s] = NAN;
	}
	if (o->ci_level <= 0)
		return 0;
	for (int m = 0; m < CM_CONFUSION_MATRIX; m++) {
		enum ci_method how = CIM_BOOTSTRAP;
		if (!(o->want & CLASSIF_BIT(m)))
			continue;
		if (m == CM_ACCURACY)
			how = CIM_WILSON;
		else if (cs->k == 2 && m == CM_ROC_AUC)
			how = CIM_DELONG;
		else if (cs->k == 2 && (m == CM_SENSITIVITY || m == CM_SPECIFICITY ||
					m == CM_PRECISION || m == CM_NPV))
			how = CIM_WILSON;
		if (how == CIM_BOOTSTRAP) {
			if (o->bootstrap == 0)
				continue;
			boot |= CLASSIF_BIT(m);
		}
		for (int a = 0; a < CA_MAX; a++)
			ci->method[CLASSIF_SLOT(m, a)] = how;
	}
	return boot;
}

static void wilson_intervals(const struct copts *o, const struct cases *cs, const uint64_t *cm,
			     struct intervals *ci)
{
	struct proportion {
		enum classif_metric m;
		uint64_t x, n;
	} p[5];
	size_t np = 0;

	if (cs->k == 2) {
		uint64_t tn = cm[0], fp = cm[1], fn = cm[2], tp = cm[3];
		p[np++] = (struct proportion){CM_ACCURACY, tp + tn, tp + tn + fp + fn};
		p[np++] = (struct proportion){CM_SENSITIVITY, tp, tp + fn};
		p[np++] = (struct proportion){CM_SPECIFICITY, tn, tn + fp};
		p[np++] = (struct proportion){CM_PRECISION, tp, tp + fp};
		p[np++] = (struct proportion){CM_NPV, tn, tn + fn};
	} else {
		uint64_t trace = 0;
		for (size_t c = 0; c < cs->k; c++)
			trace += cm[c * cs->k + c];
		p[np++] = (struct proportion){CM_ACCURACY, trace, cs->n};
	}
	for (size_t i = 0; i < np; i++) {
		size_t s = CLASSIF_SLOT(p[i].m, CA_NONE);
		if (ci->method[s] == CIM_WILSON)
			ci_wilson(p[i].x, p[i].n, o->ci_level, &ci->lo[s], &ci->hi[s]);
	}
}

static int delong_interval(const struct copts *o, const struct classif_prep *p,
			   struct intervals *ci)
{
	size_t s = CLASSIF_SLOT(CM_ROC_AUC, CA_NONE), m, n;
	const uint64_t *pos, *neg;
	double auc, var;

	if (ci->method[s] != CIM_DELONG)
		return MP_OK;
	classif_ranked(p, &pos, &m, &neg, &n);
	var = ci_delong_var(pos, m, neg, n, &auc);
	ci_normal_interval(auc, var, o->ci_level, &ci->lo[s], &ci->hi[s]);
	return MP_OK;
}

static json_t *results_object(const struct copts *o, const struct cases *cs, const double *vals,
			      const double *pc, const uint64_t *cm, const struct intervals *ci,
			      unsigned boot)
{
	json_t *r = json_object(), *classes = json_array(), *counts = json_object();
	uint64_t support[CLASSIF_MAX_CLASSES];
	int bad = !r || !classes || !counts, binary = cs->k == 2;

	for (size_t c = 0; c < cs->k && !bad; c++) {
		support[c] = 0;
		for (size_t j = 0; j < cs->k; j++)
			support[c] += cm[c * cs->k + j];
		bad |= json_array_append_new(classes, json_string(cs->classes[c]));
		bad |= set_new(counts, cs->classes[c], json_integer((json_int_t)support[c]));
	}
	bad |= set_new(r, "task", json_string(binary ? "binary" : "multiclass"));
	bad |= set_new(r, "cases", json_integer((json_int_t)cs->n));
	bad |= set_new(r, "classes", classes);
	bad |= set_new(r, "class_counts", counts);
	if (binary) {
		bad |= set_new(r, "positive_class", json_string(cs->classes[1]));
		bad |= set_new(r, "threshold", json_real(o->threshold));
	}
	bad |= set_new(r, "score_type",
		       json_string(o->spec.probabilities ? "probability" : "score"));
	if (o->ci_level > 0)
		bad |= set_new(r, "ci_level", json_real(o->ci_level));
	if (boot)
		bad |= set_new(r, "bootstrap", json_pack("{s:i,s:I}", "resamples",
							 (int)o->bootstrap, "seed",
							 (json_int_t)o->seed));
	if (!bad)
		bad |= set_new(r, "metrics", metrics_object(o, cs, vals, ci));
	if (!bad && !binary)
		bad |= set_new(r, "per_class", per_class_object(o, cs, pc, support));
	if (!bad && (o->want & CLASSIF_BIT(CM_CONFUSION_MATRIX)))
		bad |= set_new(r, "confusion_matrix", confusion_object(cs, cm));
	if (bad) {
		json_decref(r);
		return NULL;
	}
	return r;
}

int classif_evaluate(const char *predictions, const char *labels, const json_t *options,
		     json_t **results, mp_errbuf *e)
{
	struct copts o;
	struct cases cs;
	struct classif_prep *p = NULL;
	struct classif_input in;
	struct intervals *ci = NULL;
	double vals[CLASSIF_SLOTS], *pc = NULL;
	uint64_t *cm = NULL;
	unsigned boot;
	int rc;

	*results = NULL;
	memset(&cs, 0, sizeof(cs));
	rc = copts_parse(options, &o, NULL, e);
	if (rc == MP_OK)
		rc = cases_load(predictions, labels, &o.spec, &cs, e);
	if (rc)
		goto out;
	ci = malloc(sizeof(*ci));
	cm = malloc(cs.k * cs.k * sizeof(*cm));
	pc = malloc(cs.k * CPC_MAX * sizeof(*pc));
	if (!ci || !cm || !pc) {
		rc = mp_seterr(e, MP_ENOMEM, "out of memory");
		goto out;
	}
	boot = choose_methods(&o, &cs, ci);
	in = (struct classif_input){cs.n, cs.k, cs.score, cs.label, o.threshold,
				    o.spec.probabilities, o.ece_bins, boot != 0};
	rc = classif_prep_new(&in, &p, e);
	if (rc)
		goto out;
	rc = classif_compute(p, o.want, NULL, vals, cs.k > 2 ? pc : NULL);
	if (rc) {
		rc = mp_seterr(e, rc, "out of memory computing the metrics");
		goto out;
	}
	classif_confusion(p, cm);
	wilson_intervals(&o, &cs, cm, ci);
	delong_interval(&o, p, ci);
	if (boot) {
		struct ci_bootstrap_opts bo = {o.bootstrap, o.seed, o.threads, o.ci_level};
		rc = ci_bootstrap(p, boot, &bo, ci->lo, ci->hi, ci->used, e);
		if (rc)
			goto out;
		/* the bootstrap fills every slot it computed; keep only its own */
		for (size_t s = 0; s < CLASSIF_SLOTS; s++)
			if (ci->method[s] != CIM_BOOTSTRAP)
				ci->lo[s] = ci->hi[s] = NAN;
		wilson_intervals(&o, &cs, cm, ci);
		delong_interval(&o, p, ci);
	}
	*results = results_object(&o, &cs, vals, pc, cm, ci, boot);
	if (*results == NULL)
		rc = mp_seterr(e, MP_ENOMEM, "out of memory building the results");
out:
	classif_prep_free(p);
	cases_release(&cs);
	copts_release(&o);
	free(ci);
	free(cm);
	free(pc);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The command                                                         */
/* ------------------------------------------------------------------ */

static const char classif_usage[] =
	"usage: medperf-metrics classification --predictions FILE --labels FILE [options]\n"
	"\n"
	"Classification metrics of predictions against labels paired by case id, with\n"
	"confidence intervals. Files are CSV with a header row, or JSON objects keyed by\n"
	"case id: {\"case\": score}, {\"case\": [scores]} or {\"case\": {\"class\": score}}.\n"
	"One score per case is a binary task; one per class, binary or multi-class.\n"
	"\n"
	"options:\n"
	"  --predictions FILE      the predictions (required)\n"
	"  --labels FILE           the labels (required)\n"
	"  --id-column NAME        CSV column of the case ids (default: id)\n"
	"  --label-column NAME     labels CSV column of the labels (default: label)\n"
	"  --score-column NAME     the one score column (default: every column but the\n"
	"                          id and label columns)\n"
	"  --score-columns A,B,... score columns, one per class, in class order\n"
	"  --classes A,B,...       class names of the score columns (default: their names;\n"
	"                          JSON lists: 0, 1, ...); one score column: NEGATIVE,POSITIVE\n"
	"  --positive-class C      binary: the positive class (default: 1)\n"
	"  --negative-class C      binary, one score column: the negative class (default:\n"
	"                          0 when the positive class is 1, else the other label)\n"
	"  --score-type TYPE       probability (default; needed by brier, log_loss, ece)\n"
	"                          or score (any finite number)\n"
	"  --threshold T           binary: predicted positive when score >= T (default: 0.5)\n"
	"  --metrics A,B,...       metrics to compute (default: all, see below)\n"
	"  --average A,B,...       multi-class averages: macro, weighted, micro (default: all)\n"
	"  --ci-level L            confidence level, 0 for none (default: 0.95)\n"
	"  --bootstrap N           bootstrap resamples, 0 for none (default: 1000)\n"
	"  --seed S                bootstrap seed (default: 0)\n"
	"  --ece-bins B            bins of the expected calibration error (default: 10)\n"
	"  --threads T             bootstrap threads, 0 for one per core (default: 0);\n"
	"                          the results do not depend on it\n"
	"  --format FORMAT         yaml (default) or json\n"
	"  --output FILE           write the results to FILE (atomically), not to stdout\n"
	"  -h, --help              show this help\n"
	"\n"
	"metrics: roc_auc (auc), average_precision, accuracy, balanced_accuracy,\n"
	"  sensitivity (recall), specificity, precision (ppv), npv, f1, mcc,\n"
	"  cohen_kappa (kappa), brier, log_loss, ece, confusion_matrix\n"
	"intervals: DeLong for a binary ROC AUC, Wilson for accuracy and (binary)\n"
	"  sensitivity, specificity, precision and npv, a stratified bootstrap for the rest\n"
	"\n"
	"exit status: 0 results written, 1 bad input (the message names the file and the\n"
	"problem), 2 usage error. Definitions: docs/metrics.md.\n";

/* Command-line values: numbers are typed, lists stay comma-separated strings. */
enum argkind { ARG_STRING, ARG_REAL, ARG_INT };

static const struct {
	const char *opt, *key;
	enum argkind kind;
} arg_table[] = {
	{"id-column", "id_column", ARG_STRING},
	{"label-column", "label_column", ARG_STRING},
	{"score-column", "score_column", ARG_STRING},
	{"score-columns", "score_columns", ARG_STRING},
	{"classes", "classes", ARG_STRING},
	{"positive-class", "positive_class", ARG_STRING},
	{"negative-class", "negative_class", ARG_STRING},
	{"score-type", "score_type", ARG_STRING},
	{"threshold", "threshold", ARG_REAL},
	{"metrics", "metrics", ARG_STRING},
	{"average", "averages", ARG_STRING},
	{"ci-level", "ci_level", ARG_REAL},
	{"bootstrap", "bootstrap", ARG_INT},
	{"seed", "seed", ARG_INT},
	{"ece-bins", "ece_bins", ARG_INT},
	{"threads", "threads", ARG_INT},
};

#define NARGS (sizeof(arg_table) / sizeof(arg_table[0]))
enum { OPT_PREDICTIONS = 1000, OPT_LABELS, OPT_FORMAT, OPT_OUTPUT };

static json_t *arg_value(enum argkind kind, const char *s)
{
	char *end;

	if (kind == ARG_STRING)
		return json_string(s);
	if (kind == ARG_REAL) {
		double d = strtod(s, &end);
		return end != s && *end == '\0' && isfinite(d) ? json_real(d) : NULL;
	}
	{
		long long v = strtoll(s, &end, 10);
		return end != s && *end == '\0' ? json_integer(v) : NULL;
	}
}

/* Writes results as YAML or JSON to path (atomically) or standard output. */
static int write_results(const json_t *r, int json, const char *path, mp_errbuf *e)
{
	struct buf b;
	int rc;

	buf_init(&b, BUF_MAX_DEFAULT);
	rc = json ? jsonw_value(&b, r) : yaml_dump(&b, r);
	if (rc == MP_OK && json)
		rc = buf_addch(&b, '\n');
	if (rc)
		rc = mp_seterr(e, rc, "cannot write the results: %s", mp_strerror(rc));
	else if (path)
		rc = file_write_atomic(path, b.data, b.len, 0644, e);
	else if (fwrite(b.data, 1, b.len, stdout) != b.len || fflush(stdout) != 0)
		rc = mp_seterr(e, MP_EIO, "cannot write the results to standard output");
	buf_release(&b);
	return rc;
}

int cmd_classification(int argc, char **argv)
{
	struct option opts[NARGS + 6];
	const char *pred = NULL, *lab = NULL, *out = NULL, *format = "yaml";
	json_t *options = json_object(), *results = NULL;
	mp_errbuf e;
	int c, idx, rc = 2;

	for (size_t i = 0; i < NARGS; i++)
		opts[i] = (struct option){arg_table[i].opt, required_argument, NULL, (int)i};
	opts[NARGS] = (struct option){"predictions", required_argument, NULL, OPT_PREDICTIONS};
	opts[NARGS + 1] = (struct option){"labels", required_argument, NULL, OPT_LABELS};
	opts[NARGS + 2] = (struct option){"format", required_argument, NULL, OPT_FORMAT};
	opts[NARGS + 3] = (struct option){"output", required_argument, NULL, OPT_OUTPUT};
	opts[NARGS + 4] = (struct option){"help", no_argument, NULL, 'h'};
	opts[NARGS + 5] = (struct option){NULL, 0, NULL, 0};
	if (options == NULL)
		return 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
		json_t *v;
		switch (c) {
		case OPT_PREDICTIONS: pred = optarg; break;
		case OPT_LABELS: lab = optarg; break;
		case OPT_FORMAT: format = optarg; break;
		case OPT_OUTPUT: out = optarg; break;
		case 'h':
			fputs(classif_usage, stdout);
			rc = 0;
			goto done;
		default:
			if (c < 0 || (size_t)c >= NARGS) {
				fputs(classif_usage, stderr);
				goto done;
			}
			v = arg_value(arg_table[c].kind, optarg);
			if (v == NULL) {
				fprintf(stderr, "medperf-metrics classification: --%s: '%s' is not "
					"a%s number\n", arg_table[c].opt, optarg,
					arg_table[c].kind == ARG_INT ? "n integer" : "");
				goto done;
			}
			json_object_set_new(options, arg_table[c].key, v);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "medperf-metrics classification: unexpected argument '%s'\n",
			argv[optind]);
		goto done;
	}
	if (pred == NULL || lab == NULL) {
		fprintf(stderr, "medperf-metrics classification: --predictions and --labels are "
			"required (see --help)\n");
		goto done;
	}
	if (strcmp(format, "yaml") != 0 && strcmp(format, "json") != 0) {
		fprintf(stderr, "medperf-metrics classification: --format must be yaml or json\n");
		goto done;
	}
	if (classif_check_options(options, NULL, &e)) {
		fprintf(stderr, "medperf-metrics classification: %s\n", e.msg);
		goto done;
	}
	rc = 1;
	if (classif_evaluate(pred, lab, options, &results, &e) ||
	    write_results(results, strcmp(format, "json") == 0, out, &e)) {
		fprintf(stderr, "medperf-metrics classification: %s\n", e.msg);
		goto done;
	}
	rc = 0;
done:
	json_decref(options);
	json_decref(results);
	return rc;
}
