/*
 * classif_opts.h: the classification options as classif_opts.c reads them
 * (from the evaluator's parameters or the command line's, one table of
 * keys) and cmd_classif.c uses them: what to read, which metrics and
 * averages, the threshold and the intervals' settings. Not part of the
 * interface: classif_check_options and classif_evaluate (metrics.h) are.
 */
#ifndef MP_METRICS_CLASSIF_OPTS_H
#define MP_METRICS_CLASSIF_OPTS_H

#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "core/strv.h"
#include "metrics/cases.h"
#include "metrics/classif.h"

/* Every option, with its default when not given. */
struct copts {
	struct cases_spec spec;
	struct strv score_columns, classes;
	char *positive, *negative;
	int has_score_column;
	unsigned want;          /* CLASSIF_BIT of each metric */
	unsigned named;         /* the metrics named one by one (not through "all") */
	unsigned averages;      /* 1 << CA_MACRO, CA_WEIGHTED, CA_MICRO */
	double threshold, ci_level;
	unsigned bootstrap;
	uint64_t seed;
	int ece_bins, threads;
};

/* Names of the averages as options and result keys write them ("" for CA_NONE). */
extern const char *const copts_avg_names[CA_MAX];

/*
 * Checks options (a JSON object, or NULL for every default) and records
 * them in o; on failure *badkey (when badkey is not NULL) is the key at
 * fault. o is released with copts_release, whatever the outcome.
 */
int copts_parse(const json_t *options, struct copts *o, const char **badkey, mp_errbuf *e);
void copts_release(struct copts *o);

#endif
