/*
 * cmd_result.c: `medperf result ls|view|create|submit`, and the top-level
 * `medperf run` (create, then submit). Data owners see their own results
 * (GET /me/results/) joined with what this machine knows of each (ran,
 * failed and why, waiting for review); benchmark owners those of their
 * benchmark (-b). create runs flow I for one model (runs.c); submit shows
 * the metrics and sends them (flow J), which finalizes the result.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/entity.h"
#include "client/runs.h"
#include "client/tree.h"

static const struct column result_cols[] = {
	{"UID", "id", COL_INT},
	{"Name", "name", COL_TEXT},
	{"Benchmark", "benchmark", COL_INT},
	{"Model", "model", COL_INT},
	{"Dataset", "dataset", COL_INT},
	{"Executed", "executed", COL_BOOL},
	{"Finalized", "finalized", COL_BOOL},
	{NULL, NULL, 0},
};

const struct entity_kind kind_result = {"result", "/results/", "/me/results/", "executions",
	"result-info.yaml", result_cols, 1};

/* "finished" from {"execution_status": "finished"}, or "-". */
static const char *status_of(const json_t *report)
{
	const char *s = json_string_value(json_object_get(report, "execution_status"));

	return s ? s : "-";
}

/* What a result is, for people: from the server's record and this machine's. */
static void describe(const json_t *it, const json_t *local, char *state, size_t n)
{
	const char *ls = profile_str(local, "state");

	if (json_is_true(json_object_get(it, "finalized")))
		snprintf(state, n, "submitted%s", json_is_true(json_object_get(
			json_object_get(it, "metadata"), "partial")) ? " (partial)" : "");
	else if (json_is_true(json_object_get(local, "executed")))
		snprintf(state, n, "waiting for review%s",
			 json_is_true(json_object_get(local, "partial")) ? " (partial)" : "");
	else if (strcmp(ls, "running") == 0)
		snprintf(state, n, "did not finish");
	else
		snprintf(state, n, "%s", *ls ? ls : "not run here");
}

/* The second table: what ran here, what failed and why, what waits for review. */
static void print_local(struct ctx *c, json_t *items)
{
	static const char *const head[] = {"UID", "Model", "Dataset", "Here", "Infer",
					   "Evaluate", "Why"};
	struct table *t = table_new(head, 7);
	json_t *it;
	size_t i, rows = 0;

	json_array_foreach(items, i, it) {
		json_t *local = json_object_get(it, "local");
		char id[32], m[32], d[32], state[64], why[720];
		const char *row[7] = {id, m, d, state, status_of(json_object_get(it, "model_report")),
				      status_of(json_object_get(it, "evaluation_report")), why};
		if (local == NULL)
			continue;
		snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(it, "id")));
		snprintf(m, sizeof(m), "%lld",
			 (long long)json_integer_value(json_object_get(it, "model")));
		snprintf(d, sizeof(d), "%lld",
			 (long long)json_integer_value(json_object_get(it, "dataset")));
		describe(it, local, state, sizeof(state));
		snprintf(why, sizeof(why), "%.400s%s%.280s%s", profile_str(local, "reason"),
			 *profile_str(local, "log") ? " (log: " : "", profile_str(local, "log"),
			 *profile_str(local, "log") ? ")" : "");
		table_add(t, row);
		rows++;
	}
	if (rows) {
		printf("\nOn this machine:\n");
		table_print(c, t);
	}
	table_free(t);
}

static int ls(struct ctx *c, struct args *a)
{
	struct comms_result r;
	json_t *items, *out, *it;
	char path[96];
	size_t i;

	if (arg(c, a, "benchmark"))
		snprintf(path, sizeof(path), "/benchmarks/%lld/results/",
			 (long long)arg_int(c, a, "benchmark"));
	else
		snprintf(path, sizeof(path), "/me/results/");
	if (comms_list_all(c->comms, path, &items, &r) != 0) {
		int rc = fail_comms(&r);
		comms_result_release(&r);
		return rc;
	}
	comms_result_release(&r);
	out = json_array();
	json_array_foreach(items, i, it) {
		json_t *local;
		if (arg(c, a, "model") &&
		    json_integer_value(json_object_get(it, "model")) != arg_int(c, a, "model"))
			continue;
		if (arg(c, a, "dataset") &&
		    json_integer_value(json_object_get(it, "dataset")) != arg_int(c, a, "dataset"))
			continue;
		/* what this machine knows (executions/<srv>/<id>/), under "local" */
		local = execution_local_state(c, json_integer_value(json_object_get(it, "id")));
		if (local)
			json_object_set_new(it, "local", local);
		if (!c->json)
			json_object_set_new(it, "executed", json_boolean(
				json_is_true(json_object_get(local, "executed"))));
		json_array_append(out, it);
	}
	entity_print_list(c, &kind_result, out);
	if (!c->json)
		print_local(c, out);
	json_decref(out);
	json_decref(items);
	return EXIT_OK;
}

static int view(struct ctx *c, struct args *a)
{
	return entity_view(c, &kind_result, a);
}

/* ---- create and submit ---- */

/* `result create` and `run`: flow I for one model; *result gets its id. */
static int create_one(struct ctx *c, struct args *a, int64_t *result)
{
	int64_t m = arg_int(c, a, "model_uid");
	struct run_request req = {0};
	struct run_summary s = {0};
	int rc;

	req.benchmark = arg_int(c, a, "benchmark");
	req.dataset = arg_int(c, a, "data_uid");
	req.models = &m;
	req.n_models = 1;
	req.ignore_model_errors = arg_flag(c, a, "ignore-model-errors");
	req.no_cache = arg_flag(c, a, "no-cache");
	req.new_result = arg_flag(c, a, "new-result");
	rc = runs_execute(c, &req, &s);
	if (s.n && !c->json)
		runs_print(c, &req, &s);
	if (s.n && c->json && s.e[0].results && result == NULL)
		print_json(s.e[0].results);
	if (result)
		*result = s.n ? s.e[0].result : 0;
	if (rc == EXIT_OK && s.n && s.e[0].how == MR_SUBMITTED && result)
		rc = fail(EXIT_SERVER, "result %lld of model %lld was submitted already: "
			  "--new-result runs the model again into a new result",
			  (long long)s.e[0].result, (long long)m);
	run_summary_release(&s);
	return rc;
}

static int create(struct ctx *c, struct args *a)
{
	return create_one(c, a, NULL);
}

/* The latest of my results for (benchmark, dataset, model). */
static int find_triplet(struct ctx *c, int64_t b, int64_t d, int64_t m, json_t **out)
{
	struct comms_result r;
	json_t *items = NULL, *it, *best = NULL;
	size_t i;
	int rc;

	*out = NULL;
	if (comms_list_all(c->comms, "/me/results/", &items, &r) != 0) {
		rc = fail_comms(&r);
		comms_result_release(&r);
		return rc;
	}
	comms_result_release(&r);
	json_array_foreach(items, i, it) {
		if (json_integer_value(json_object_get(it, "benchmark")) != b ||
		    json_integer_value(json_object_get(it, "dataset")) != d ||
		    json_integer_value(json_object_get(it, "model")) != m)
			continue;
		if (best == NULL || strcmp(profile_str(it, "created_at"),
					   profile_str(best, "created_at")) > 0 ||
		    (strcmp(profile_str(it, "created_at"), profile_str(best, "created_at")) == 0 &&
		     json_integer_value(json_object_get(it, "id")) >
		     json_integer_value(json_object_get(best, "id"))))
			best = it;
	}
	if (best)
		*out = json_incref(best);
	json_decref(items);
	if (*out == NULL)
		return fail(EXIT_FAIL, "you have no result of model %lld on dataset %lld for "
			    "benchmark %lld: run 'medperf result create -b %lld -d %lld -m %lld' "
			    "first", (long long)m, (long long)d, (long long)b, (long long)b,
			    (long long)d, (long long)m);
	return EXIT_OK;
}

/* Flow J for the result res: shown, confirmed, sent; the server finalizes it. */
static int submit_result(struct ctx *c, const json_t *res)
{
	long long id = (long long)json_integer_value(json_object_get(res, "id"));
	struct comms_result r = {0};
	json_t *local, *results = NULL, *meta, *body = NULL;
	char path[64], what[160];
	int rc = EXIT_OK;

	if (json_is_true(json_object_get(res, "finalized")))
		return fail(EXIT_SERVER, "result %lld was submitted already (on %s): a submitted "
			    "result never changes; 'medperf result create ... --new-result' runs "
			    "the model again into a new one", id, profile_str(res, "finalized_at"));
	local = execution_local_state(c, id);
	if (!json_is_true(json_object_get(local, "executed"))) {
		if (local && strcmp(profile_str(local, "state"), "running") != 0)
			rc = fail(EXIT_FAIL, "result %lld has no metrics to send: its run %s: %s", id,
				  profile_str(local, "state"), profile_str(local, "reason"));
		else
			rc = fail(EXIT_FAIL, "result %lld has not run on this machine: run 'medperf "
				  "result create -b %lld -d %lld -m %lld' first", id,
				  (long long)json_integer_value(json_object_get(res, "benchmark")),
				  (long long)json_integer_value(json_object_get(res, "dataset")),
				  (long long)json_integer_value(json_object_get(res, "model")));
		json_decref(local);
		return rc;
	}
	results = execution_results(c, id);
	if (results == NULL) {
		json_decref(local);
		return fail(EXIT_FAIL, "result %lld ran, but its results.yaml is missing or "
			    "unreadable: run it again with --no-cache", id);
	}
	meta = json_is_object(json_object_get(res, "metadata")) ?
	       json_deep_copy(json_object_get(res, "metadata")) : json_object();
	json_object_set_new(meta, "partial", json_boolean(json_is_true(
		json_object_get(local, "partial"))));
	body = json_pack("{s:o,s:o}", "results", results, "metadata", meta);
	snprintf(what, sizeof(what), "Result %lld (model %lld, dataset %lld, benchmark %lld): "
		 "these metrics, nothing else", id,
		 (long long)json_integer_value(json_object_get(res, "model")),
		 (long long)json_integer_value(json_object_get(res, "dataset")),
		 (long long)json_integer_value(json_object_get(res, "benchmark")));
	rc = confirm_send(c, what, body);
	snprintf(path, sizeof(path), "/results/%lld/", id);
	if (rc == EXIT_OK && comms_request(c->comms, "PUT", path, body, &r) != 0)
		rc = fail_comms(&r);
	if (rc == EXIT_OK) {
		rc = entity_save_local(c, &kind_result, r.body);
		if (c->json)
			print_json(r.body);
		done_msg(c, "Submitted result %lld", id);
	}
	comms_result_release(&r);
	json_decref(body);
	json_decref(local);
	return rc;
}

static int submit(struct ctx *c, struct args *a)
{
	int triplet = (arg(c, a, "benchmark") != NULL) + (arg(c, a, "dataset") != NULL) +
		      (arg(c, a, "model") != NULL);
	json_t *res = NULL;
	int rc;

	if (arg(c, a, "result") ? triplet != 0 : triplet != 3)
		return fail(EXIT_USAGE, "give --result ID, or all of --benchmark, --dataset and "
			    "--model");
	if (arg(c, a, "result"))
		rc = entity_get(c, &kind_result, arg_int(c, a, "result"), &res);
	else
		rc = find_triplet(c, arg_int(c, a, "benchmark"), arg_int(c, a, "dataset"),
				  arg_int(c, a, "model"), &res);
	if (rc == EXIT_OK)
		rc = submit_result(c, res);
	json_decref(res);
	return rc;
}

/* `medperf run`: result create, then result submit of that result. */
static int cmd_run(struct ctx *c, struct args *a)
{
	int64_t id = 0;
	json_t *res = NULL;
	int rc = create_one(c, a, &id);

	if (rc == EXIT_OK)
		rc = entity_get(c, &kind_result, id, &res);
	if (rc == EXIT_OK)
		rc = submit_result(c, res);
	json_decref(res);
	return rc;
}

#define END {0, NULL, 0, NULL, NULL, 0}
static const struct opt ls_opts[] = {
	{'b', "benchmark", OPT_INT, "ID", "the results of this benchmark (its owner's view)", 0},
	{'m', "model", OPT_INT, "ID", "only results of this model", 0},
	{'d', "dataset", OPT_INT, "ID", "only results on this dataset", 0},
	{0, "json", OPT_FLAG, NULL, "print JSON instead of a table", 0},
	END,
};
static const struct opt view_opts[] = {
	{0, "id", OPT_POS, "ID", "the result (default: all of mine)", 0},
	{'f', "format", OPT_VALUE, "yaml|json", "output format (default yaml)", 0},
	{0, "mine", OPT_FLAG, NULL, "without ID: only mine (the default for results)", 0},
	{'o', "output", OPT_VALUE, "FILE", "write to FILE instead of the screen", 0},
	{0, "json", OPT_FLAG, NULL, "same as --format json", 0},
	END,
};
static const struct opt create_opts[] = {
	{'b', "benchmark", OPT_INT, "ID", "the benchmark", 1},
	{'d', "data_uid", OPT_INT, "ID", "the dataset (prepared and operational, on this "
	 "machine)", 1},
	{'m', "model_uid", OPT_INT, "ID", "the model", 1},
	{0, "ignore-model-errors", OPT_FLAG, NULL, "evaluate what a failing model left: a "
	 "partial result", 0},
	{0, "no-cache", OPT_FLAG, NULL, "run again even if it ran (not once submitted)", 0},
	{0, "new-result", OPT_FLAG, NULL, "run again, into a new result if it was submitted", 0},
	{0, "json", OPT_FLAG, NULL, "print the metrics as JSON", 0},
	END,
};
static const struct opt submit_opts[] = {
	{'r', "result", OPT_INT, "ID", "the result", 0},
	{'b', "benchmark", OPT_INT, "ID", "with -d and -m: my latest result of that model", 0},
	{'d', "dataset", OPT_INT, "ID", "the dataset", 0},
	{'m', "model", OPT_INT, "ID", "the model", 0},
	{'y', "yes", OPT_FLAG, NULL, "do not ask for confirmation", 0},
	{0, "json", OPT_FLAG, NULL, "print the submitted result as JSON", 0},
	END,
};
static const struct opt run_opts[] = {
	{'b', "benchmark", OPT_INT, "ID", "the benchmark", 1},
	{'d', "data_uid", OPT_INT, "ID", "the dataset (prepared and operational, on this "
	 "machine)", 1},
	{'m', "model_uid", OPT_INT, "ID", "the model", 1},
	{0, "ignore-model-errors", OPT_FLAG, NULL, "evaluate what a failing model left: a "
	 "partial result", 0},
	{0, "no-cache", OPT_FLAG, NULL, "run again even if it ran (not once submitted)", 0},
	{0, "new-result", OPT_FLAG, NULL, "run again, into a new result if it was submitted", 0},
	{'y', "yes", OPT_FLAG, NULL, "send the metrics without asking", 0},
	{0, "json", OPT_FLAG, NULL, "print the submitted result as JSON", 0},
	END,
};

static const struct cmd result_cmds[] = {
	{"ls", ls, ls_opts, CMD_SERVER | CMD_LOGIN, "list results",
	 "Lists results from the server; for your own results, a second table says what\n"
	 "this machine knows of each: ran and waiting for review, submitted, failed and\n"
	 "why, interrupted."},
	{"view", view, view_opts, CMD_SERVER | CMD_LOGIN, "show results in detail", NULL},
	{"create", create, create_opts, CMD_SERVER | CMD_LOGIN, "run a benchmark's model on a "
	 "dataset of this site",
	 "Makes the result on the server, runs the model's infer task on the prepared data\n"
	 "and the evaluator on its predictions, here, and keeps the metrics for review.\n"
	 "The server hears only the status of the two tasks."},
	{"submit", submit, submit_opts, CMD_SERVER | CMD_LOGIN, "send a result's metrics",
	 "Shows exactly what will be sent (the metrics, and whether the result is partial)\n"
	 "and asks first. A submitted result is final."},
	{NULL, NULL, NULL, 0, NULL, NULL},
};

const struct group group_result = {"result", NULL, result_cmds,
	"results of runs: list, view, create, submit"};
const struct cmd cmd_run_top = {"run", cmd_run, run_opts, CMD_SERVER | CMD_LOGIN,
	"run a model on a dataset and submit its result",
	"'result create' then 'result submit' of that result: runs the model and the\n"
	"evaluator here, shows the metrics and sends them (-y: without asking)."};
