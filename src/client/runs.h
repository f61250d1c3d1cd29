/*
 * runs.h: flow I of reference 2.3 (`result create`, `benchmark run`, and the
 * reference model's run of `dataset associate`): a benchmark's models on
 * one prepared, operational dataset of this site, each model's result made
 * on the server before it runs, and each execution's local folder
 * (executions/<srv>/<result id>/: result-info.yaml, results.yaml,
 * .executed, .partial, status.yaml, local_outputs/).
 *
 * Beyond MedPerf: a model that crashes, hangs (its infer_timeout) or does
 * not start is recorded as failed, with the reason, in status.yaml and the
 * run goes on with the next model; a run stopped by Ctrl-C stops at once
 * and a later run resumes it without redoing the models that finished
 * (their .executed flag); the order is the reference model first, then the
 * approved models by priority.
 */
#ifndef MP_CLIENT_RUNS_H
#define MP_CLIENT_RUNS_H

#include <jansson.h>

#include "client/cli.h"

struct run_request {
	int64_t benchmark;
	int64_t dataset;
	const int64_t *models;      /* the models asked for; NULL: all approved and the reference */
	size_t n_models;
	int reference_only;         /* only the benchmark's reference model */
	int ignore_model_errors;    /* a failed model still gets evaluated: a partial result */
	int no_cache;               /* run again what ran (not what was submitted) */
	int new_result;             /* run again, submitted or not, into a new result if needed */
};

enum model_run {
	MR_RAN,           /* ran now: metrics waiting for review */
	MR_CACHED,        /* ran before (.executed): not run again */
	MR_SUBMITTED,     /* its latest result is finalized: not run (--new-result runs it) */
	MR_FAILED,        /* failed: reason says why */
	MR_INTERRUPTED,   /* stopped by Ctrl-C */
	MR_NOT_RUN,       /* not reached (the run was interrupted before it) */
};

struct run_entry {
	int64_t model;
	int64_t result;             /* its result on the server (0: none) */
	enum model_run how;
	int partial;
	json_t *results;            /* the metrics, when there are some (owned) */
	char reason[400];
	char log[300];
};

struct run_summary {
	struct run_entry *e;
	size_t n;
};

/* Runs flow I; fills s (release with run_summary_release). Returns an exit status. */
int runs_execute(struct ctx *c, const struct run_request *r, struct run_summary *s);
/* Prints what happened to each model (stdout) and what to do next. */
void runs_print(struct ctx *c, const struct run_request *r, const struct run_summary *s);
void run_summary_release(struct run_summary *s);

/* executions/<srv>/<id>/ (malloc'd). */
char *execution_dir(struct ctx *c, int64_t result_id);
/*
 * What this machine knows of result id: NULL when nothing, else
 * {state, reason, log, partial, executed} (state: "executed", "model
 * failed", "evaluation failed", "interrupted", "running"). Caller decrefs.
 */
json_t *execution_local_state(struct ctx *c, int64_t result_id);
/* The metrics a run left (results.yaml), or NULL. */
json_t *execution_results(struct ctx *c, int64_t result_id);

#endif
