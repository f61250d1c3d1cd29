/*
 * execute.h: one execution (reference 2.3 I, MedPerf's ContainerExecution):
 * the model's infer task on the prepared data, then the evaluator's
 * evaluate task on its predictions and the prepared labels, the metrics
 * read from the evaluator's output file; for a registered result, its
 * status reported to the server as MedPerf does (PUT /results/{id}/ with
 * model_report / evaluation_report {"execution_status": pending, started,
 * finished, failed or interrupted}). Nothing else leaves the machine.
 */
#ifndef MP_CLIENT_EXECUTE_H
#define MP_CLIENT_EXECUTE_H

#include <jansson.h>

#include "client/cli.h"
#include "client/cube.h"

struct exec_request {
	int64_t result_id;          /* the server's result; 0: a compatibility test (no reports) */
	const struct cube *model;
	const struct cube *evaluator;
	const char *data;           /* the prepared data (infer's data_path) */
	const char *labels;         /* the prepared labels (evaluate's labels) */
	const char *predictions;    /* infer's output folder (emptied first) */
	const char *local_outputs;  /* evaluate's local_outputs_path (kept here, never sent) */
	const char *model_log;      /* the logs (their folders exist) */
	const char *metrics_log;
	int ignore_model_errors;    /* a failed infer still gets evaluated: a partial result */
};

enum exec_state {
	EXEC_DONE,              /* metrics in results (partial when the model failed and was ignored) */
	EXEC_MODEL_FAILED,      /* infer failed (or could not start): no metrics */
	EXEC_EVAL_FAILED,       /* evaluate failed, or wrote no metrics */
	EXEC_INTERRUPTED,       /* Ctrl-C or SIGTERM stopped a task */
};

struct exec_outcome {
	enum exec_state state;
	int partial;            /* the model failed, ignored (--ignore-model-errors) */
	json_t *results;        /* EXEC_DONE: the metrics (owned) */
	const char *task;       /* the task that failed ("infer", "evaluate") */
	char reason[400];       /* why it failed, for people (no data in it) */
	char log[300];          /* the failed task's log */
	int rc;                 /* the exit status this outcome calls for */
};

/* Runs one execution; fills out (release with exec_outcome_release). Returns out->rc. */
int execute_one(struct ctx *c, const struct exec_request *r, struct exec_outcome *out);
void exec_outcome_release(struct exec_outcome *out);
/*
 * PUT /results/{id}/ {field: {"execution_status": status}} (field:
 * "model_report" or "evaluation_report"); nothing for id 0. A failure is a
 * warning.
 */
void execute_report(struct ctx *c, int64_t id, const char *field, const char *status);
/* Names of the states ("executed", "model failed", ...). */
const char *exec_state_name(enum exec_state s);

#endif
