/*
 * execute.c: one execution, infer then evaluate, with its status reports
 * (see execute.h). Task failures are not printed here: the outcome says
 * what failed and why, and the caller decides (a benchmark run goes on
 * with the next model).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/execute.h"
#include "client/tree.h"
#include "core/yaml.h"

static const char *const state_names[] = {
	[EXEC_DONE] = "executed",
	[EXEC_MODEL_FAILED] = "model failed",
	[EXEC_EVAL_FAILED] = "evaluation failed",
	[EXEC_INTERRUPTED] = "interrupted",
};

const char *exec_state_name(enum exec_state s)
{
	return state_names[s];
}

void exec_outcome_release(struct exec_outcome *out)
{
	json_decref(out->results);
	out->results = NULL;
}

void execute_report(struct ctx *c, int64_t id, const char *field, const char *status)
{
	struct comms_result r = {0};
	json_t *body;
	char path[64];

	if (id == 0)
		return;
	body = json_pack("{s:{s:s}}", field, "execution_status", status);
	snprintf(path, sizeof(path), "/results/%lld/", (long long)id);
	if (comms_request(c->comms, "PUT", path, body, &r) != 0)
		note("warning: could not send the %s status '%s' of result %lld to the server: %s",
		     field, status, (long long)id, r.message);
	comms_result_release(&r);
	json_decref(body);
}

/* Records why task failed: how it ended, or why it did not start. */
static void failed(struct exec_outcome *o, const char *task, int rc, const struct run_report *rep,
		   const char *log)
{
	o->task = task;
	o->rc = rc == EXIT_INTEGRITY ? EXIT_INTEGRITY : EXIT_FAIL;
	if (rep->stop != RUN_NOT_STARTED)
		snprintf(o->reason, sizeof(o->reason), "%s %s", task, rep->detail);
	else if (rc == EXIT_INTEGRITY)
		snprintf(o->reason, sizeof(o->reason), "%s did not run: the container's image does "
			 "not match its registered hash", task);
	else
		snprintf(o->reason, sizeof(o->reason), "%s did not start%s%s", task,
			 rep->detail[0] ? ": " : " (see the error above)", rep->detail);
	snprintf(o->log, sizeof(o->log), "%s", rep->stop != RUN_NOT_STARTED ? log : "");
}

/* The metrics the evaluator wrote: a non-empty mapping. */
static int read_metrics(const char *file, struct exec_outcome *o)
{
	mp_errbuf e;

	if (yaml_load_file(file, 16 << 20, &o->results, NULL, &e) != 0) {
		snprintf(o->reason, sizeof(o->reason), "evaluate wrote unreadable metrics: %s", e.msg);
		return -1;
	}
	if (!json_is_object(o->results) || json_object_size(o->results) == 0) {
		json_decref(o->results);
		o->results = NULL;
		snprintf(o->reason, sizeof(o->reason), "evaluate wrote no metrics (an empty file, "
			 "or not a mapping)");
		return -1;
	}
	return 0;
}

static int evaluate(struct ctx *c, const struct exec_request *r, struct exec_outcome *o)
{
	char *dir = NULL, *file = NULL;
	struct run_report rep;
	int rc;

	if (asprintf(&dir, "%s/.tmp/evaluate-XXXXXX", c->storage) < 0)
		return fail(EXIT_FAIL, "out of memory");
	if (mkdtemp(dir) == NULL || (file = path_join(dir, "results.yaml")) == NULL) {
		rc = fail(EXIT_FAIL, "cannot create '%s': %s", dir, strerror(errno));
		free(dir);
		return rc;
	}
	{
		const struct task_mount m[] = {
			{"predictions", r->predictions}, {"labels", r->labels},
			{"output_path", file}, {"local_outputs_path", r->local_outputs},
		};
		execute_report(c, r->result_id, "evaluation_report", "started");
		rc = cube_run(c, r->evaluator, "evaluate", m, 4, r->metrics_log, 1, &rep);
	}
	if (rep.stop == RUN_INTERRUPTED) {
		execute_report(c, r->result_id, "evaluation_report", "interrupted");
		o->state = EXEC_INTERRUPTED;
		o->task = "evaluate";
		o->rc = EXIT_INTERRUPTED;
		snprintf(o->reason, sizeof(o->reason), "evaluate %s", rep.detail);
	} else if (rc) {
		execute_report(c, r->result_id, "evaluation_report", "failed");
		o->state = EXEC_EVAL_FAILED;
		failed(o, "evaluate", rc, &rep, r->metrics_log);
	} else if (read_metrics(file, o) != 0) {
		execute_report(c, r->result_id, "evaluation_report", "failed");
		o->state = EXEC_EVAL_FAILED;
		o->task = "evaluate";
		o->rc = EXIT_FAIL;
		snprintf(o->log, sizeof(o->log), "%s", r->metrics_log);
	} else {
		execute_report(c, r->result_id, "evaluation_report", "finished");
		o->state = EXEC_DONE;
		o->rc = EXIT_OK;
	}
	tree_remove(dir);
	free(file);
	free(dir);
	return o->rc;
}

int execute_one(struct ctx *c, const struct exec_request *r, struct exec_outcome *o)
{
	struct run_report rep;
	int rc;
	const struct task_mount m[] = {
		{"data_path", r->data}, {"output_path", r->predictions},
	};

	memset(o, 0, sizeof(*o));
	execute_report(c, r->result_id, "model_report", "pending");
	execute_report(c, r->result_id, "evaluation_report", "pending");
	if (tree_remove(r->predictions) != 0 || mkdirs(r->predictions, 0755) != 0 ||
	    mkdirs(r->local_outputs, 0755) != 0)
		return o->rc = fail(EXIT_FAIL, "cannot prepare '%s': %s", r->predictions,
				    strerror(errno));
	execute_report(c, r->result_id, "model_report", "started");
	note("Running %s (infer)...", r->model->label);
	rc = cube_run(c, r->model, "infer", m, 2, r->model_log, 1, &rep);
	if (rep.stop == RUN_INTERRUPTED) {
		execute_report(c, r->result_id, "model_report", "interrupted");
		o->state = EXEC_INTERRUPTED;
		o->task = "infer";
		snprintf(o->reason, sizeof(o->reason), "infer %s", rep.detail);
		return o->rc = EXIT_INTERRUPTED;
	}
	if (rc) {
		execute_report(c, r->result_id, "model_report", "failed");
		failed(o, "infer", rc, &rep, r->model_log);
		if (!r->ignore_model_errors) {
			o->state = EXEC_MODEL_FAILED;
			return o->rc;
		}
		/* MedPerf: the evaluator still scores what the model left; the result is partial */
		note("warning: %s: %s; going on (--ignore-model-errors): the result will be "
		     "partial", r->model->label, o->reason);
		o->partial = 1;
	} else {
		execute_report(c, r->result_id, "model_report", "finished");
	}
	note("Evaluating the predictions with %s...", r->evaluator->label);
	{
		char keep[400], log[300];
		int partial = o->partial;
		/* an evaluation failure replaces the model's; a success keeps it as the note */
		snprintf(keep, sizeof(keep), "%s", o->reason);
		snprintf(log, sizeof(log), "%s", o->log);
		rc = evaluate(c, r, o);
		o->partial = partial;
		if (o->state == EXEC_DONE && partial) {
			snprintf(o->reason, sizeof(o->reason), "%s", keep);
			snprintf(o->log, sizeof(o->log), "%s", log);
			o->task = "infer";
		}
	}
	return rc;
}
