/*
 * metrics.h: what the parts of medperf-metrics offer each other. The
 * library (classification, images, segmentation) knows files and numbers;
 * the cmd_* files turn command lines and the evaluator's parameters into
 * calls of these functions and print.
 *
 * Every function returns MP_OK or a negative mp_err, with the file and the
 * problem in e. Results are jansson objects in the shape written to the
 * results YAML (docs/metrics.md).
 */
#ifndef MP_METRICS_H
#define MP_METRICS_H

#include <jansson.h>

#include "core/err.h"

/*
 * Classification: predictions and labels files (CSV or JSON keyed by case
 * id), options as in the evaluator's parameters (docs/metrics.md).
 */
int classif_evaluate(const char *predictions, const char *labels, const json_t *options,
		     json_t **results, mp_errbuf *e);
/*
 * Checks classification options (known keys, types, ranges) without reading
 * any file; on failure *key (when key is not NULL) is the offending key.
 */
int classif_check_options(const json_t *options, const char **key, mp_errbuf *e);

/*
 * Segmentation: a folder (or file) of predicted NIfTI masks and one of
 * label masks, paired by file name; options as in the evaluator's
 * parameters.
 */
int seg_evaluate(const char *predictions, const char *labels, const json_t *options,
		 json_t **results, mp_errbuf *e);
/*
 * Checks segmentation options (known keys: labels, metrics, tolerance_mm,
 * per_case; their types and values) without reading any file; on failure
 * *key (when key is not NULL) is the offending key.
 */
int seg_check_options(const json_t *options, const char **key, mp_errbuf *e);

/* The subcommands of medperf-metrics (argv[0] is the subcommand's name). */
int cmd_classification(int argc, char **argv);
int cmd_segmentation(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);

#endif
