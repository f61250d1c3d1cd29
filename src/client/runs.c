/*
 * runs.c: flow I, a benchmark's models on one dataset of this site, and
 * the local folder of each execution (see runs.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "client/cube.h"
#include "client/entity.h"
#include "client/execute.h"
#include "client/prepare.h"
#include "client/runs.h"
#include "client/task.h"
#include "client/tree.h"
#include "core/timeutil.h"
#include "core/yaml.h"

/* ---- the local folder of an execution ---- */

char *execution_dir(struct ctx *c, int64_t result_id)
{
	char id[32];

	snprintf(id, sizeof(id), "%lld", (long long)result_id);
	return storage_entity_dir(c, "executions", id);
}

static json_t *load_yaml_in(const char *dir, const char *name)
{
	char *p = path_join(dir, name);
	json_t *v = NULL;
	mp_errbuf e;

	if (p && access(p, F_OK) == 0 && yaml_load_file(p, 16 << 20, &v, NULL, &e) != 0)
		v = NULL;
	free(p);
	return v;
}

static int write_yaml_in(const char *dir, const char *name, const json_t *v)
{
	char *p = path_join(dir, name);
	mp_errbuf e;
	int rc = EXIT_OK;

	if (p == NULL || yaml_write_file(p, v, 0600, &e) != 0)
		rc = fail(EXIT_FAIL, "cannot write '%s': %s", p ? p : name, p ? e.msg : "no memory");
	free(p);
	return rc;
}

json_t *execution_results(struct ctx *c, int64_t result_id)
{
	char *dir = execution_dir(c, result_id);
	json_t *v = dir ? load_yaml_in(dir, "results.yaml") : NULL;

	free(dir);
	if (v && !json_is_object(v)) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

json_t *execution_local_state(struct ctx *c, int64_t result_id)
{
	char *dir = execution_dir(c, result_id);
	json_t *st = NULL;
	int executed;

	if (dir == NULL || !path_is_dir(dir)) {
		free(dir);
		return NULL;
	}
	executed = flag_get(dir, ".executed");
	st = load_yaml_in(dir, "status.yaml");
	if (!json_is_object(st)) {
		json_decref(st);
		st = executed ? json_pack("{s:s}", "state", "executed") : NULL;
	}
	if (st) {
		json_object_set_new(st, "executed", json_boolean(executed));
		json_object_set_new(st, "partial", json_boolean(flag_get(dir, ".partial")));
	}
	free(dir);
	return st;
}

/* status.yaml: what happened to this execution, for `result ls`. */
static int write_status(const char *dir, const char *state, const struct exec_outcome *o)
{
	char now[TM_ISO_LEN];
	json_t *v;
	int rc;

	tm_iso(tm_now_us(), now);
	v = json_pack("{s:s,s:s,s:s,s:s,s:s}", "state", state,
		      "task", o && o->task ? o->task : "",
		      "reason", o ? o->reason : "", "log", o ? o->log : "", "at", now);
	rc = write_yaml_in(dir, "status.yaml", v);
	json_decref(v);
	return rc;
}

/* ---- choosing the models ---- */

/* 1 when a is later than b (created_at, then id). */
static int later(const json_t *a, const json_t *b)
{
	int cmp = strcmp(profile_str(a, "created_at"), profile_str(b, "created_at"));

	if (cmp)
		return cmp > 0;
	return json_integer_value(json_object_get(a, "id")) >
	       json_integer_value(json_object_get(b, "id"));
}

static int list_has(const int64_t *v, size_t n, int64_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

/* 1 when the models asked for are only the benchmark's reference model (no association needed). */
static int only_reference(const struct run_request *r, const json_t *bench)
{
	int64_t ref = json_integer_value(json_object_get(bench, "reference_model"));

	if (r->models == NULL || r->n_models == 0)
		return 0;
	for (size_t i = 0; i < r->n_models; i++)
		if (r->models[i] != ref)
			return 0;
	return 1;
}

/*
 * The models to run, in order: the reference model, then every model whose
 * latest association is APPROVED, by priority (the server's order); or
 * those asked for, each of which must be one of them.
 */
static int choose_models(struct ctx *c, const struct run_request *r, const json_t *bench,
			 int64_t **out, size_t *n)
{
	int64_t ref = json_integer_value(json_object_get(bench, "reference_model"));
	struct comms_result res;
	json_t *rows = NULL, *row;
	char path[96];
	size_t i, k = 0;
	int64_t *v;
	struct buf missing;
	int rc = EXIT_OK;

	*out = NULL;
	*n = 0;
	/* the reference model alone needs no list (only approved datasets may read it) */
	if (r->reference_only || only_reference(r, bench)) {
		v = malloc(sizeof(*v));
		if (v == NULL)
			return fail(EXIT_FAIL, "out of memory");
		v[0] = ref;
		*out = v;
		*n = 1;
		return EXIT_OK;
	}
	snprintf(path, sizeof(path), "/benchmarks/%lld/models/", (long long)r->benchmark);
	if (comms_list_all(c->comms, path, &rows, &res) != 0) {
		rc = fail_comms(&res);
		comms_result_release(&res);
		return rc;
	}
	comms_result_release(&res);
	v = calloc(json_array_size(rows) + 1, sizeof(*v));
	if (v == NULL) {
		json_decref(rows);
		return fail(EXIT_FAIL, "out of memory");
	}
	v[k++] = ref;
	json_array_foreach(rows, i, row) {
		int64_t m = json_integer_value(json_object_get(row, "model"));
		int latest = 1;
		json_t *o;
		size_t j;
		json_array_foreach(rows, j, o)
			if (j != i && json_integer_value(json_object_get(o, "model")) == m &&
			    later(o, row))
				latest = 0;
		if (latest && strcmp(profile_str(row, "approval_status"), "APPROVED") == 0 &&
		    !list_has(v, k, m))
			v[k++] = m;
	}
	json_decref(rows);
	if (r->models == NULL) {
		*out = v;
		*n = k;
		return EXIT_OK;
	}
	buf_init(&missing, 4096);
	for (i = 0; i < r->n_models; i++)
		if (!list_has(v, k, r->models[i]))
			buf_addf(&missing, "%s%lld", missing.len ? ", " : "", (long long)r->models[i]);
	if (missing.len)
		rc = fail(EXIT_FAIL, "not among the models of benchmark %lld (its reference model and "
			  "the approved ones): %s", (long long)r->benchmark, missing.data);
	buf_release(&missing);
	free(v);
	if (rc)
		return rc;
	v = malloc(r->n_models * sizeof(*v));
	if (v == NULL)
		return fail(EXIT_FAIL, "out of memory");
	memcpy(v, r->models, r->n_models * sizeof(*v));
	*out = v;
	*n = r->n_models;
	return EXIT_OK;
}

/* My results of this benchmark and dataset: the latest per model, {model id: result}. */
static int my_results(struct ctx *c, const struct run_request *r, json_t **latest)
{
	struct comms_result res;
	json_t *items = NULL, *it;
	size_t i;
	int rc;

	*latest = NULL;
	if (comms_list_all(c->comms, "/me/results/", &items, &res) != 0) {
		rc = fail_comms(&res);
		comms_result_release(&res);
		return rc;
	}
	comms_result_release(&res);
	*latest = json_object();
	json_array_foreach(items, i, it) {
		char key[32];
		json_t *have;
		if (json_integer_value(json_object_get(it, "benchmark")) != r->benchmark ||
		    json_integer_value(json_object_get(it, "dataset")) != r->dataset)
			continue;
		snprintf(key, sizeof(key), "%lld",
			 (long long)json_integer_value(json_object_get(it, "model")));
		have = json_object_get(*latest, key);
		if (have == NULL || later(it, have))
			json_object_set(*latest, key, it);
	}
	json_decref(items);
	return EXIT_OK;
}

/* ---- one model ---- */

struct run_ctx {
	const struct run_request *r;
	const json_t *bench;
	struct dset *d;
	struct cube *evaluator;
	json_t *latest;
};

/* POST /results/ for model m; the new result in *out. */
static int create_result(struct ctx *c, const struct run_ctx *x, int64_t m, json_t **out,
			 struct run_entry *e)
{
	struct comms_result res = {0};
	char name[96];
	json_t *body;
	int rc = EXIT_OK;

	snprintf(name, sizeof(name), "b%lldm%lldd%lld", (long long)x->r->benchmark, (long long)m,
		 (long long)x->r->dataset);
	body = json_pack("{s:s,s:I,s:I,s:I}", "name", name, "benchmark",
			 (json_int_t)x->r->benchmark, "model", (json_int_t)m, "dataset",
			 (json_int_t)x->r->dataset);
	if (comms_request(c->comms, "POST", "/results/", body, &res) != 0) {
		snprintf(e->reason, sizeof(e->reason), "the server did not make its result: %.300s",
			 res.message);
		rc = fail_comms(&res);
		comms_result_release(&res);
	} else {
		*out = res.body;
	}
	json_decref(body);
	return rc;
}

static int run_model(struct ctx *c, const struct run_ctx *x, struct run_entry *e)
{
	const struct run_request *r = x->r;
	char key[32], ts[64], sub[96], data_id[64], mlog[100];
	json_t *result = NULL, *model = NULL;
	struct exec_request req;
	struct exec_outcome o;
	struct cube cb;
	char *dir = NULL, *preds = NULL, *outs = NULL, *logs = NULL, *ml = NULL, *el = NULL;
	struct timeval tv;
	int rc;

	memset(&cb, 0, sizeof(cb));
	memset(&o, 0, sizeof(o));
	snprintf(key, sizeof(key), "%lld", (long long)e->model);
	result = json_incref(json_object_get(x->latest, key));
	if (result && json_is_true(json_object_get(result, "finalized")) && !r->new_result) {
		e->how = MR_SUBMITTED;
		e->result = json_integer_value(json_object_get(result, "id"));
		e->results = json_incref(json_object_get(result, "results"));
		json_decref(result);
		return EXIT_OK;
	}
	if (result == NULL || json_is_true(json_object_get(result, "finalized"))) {
		json_decref(result);
		result = NULL;
		rc = create_result(c, x, e->model, &result, e);
		if (rc) {
			e->how = MR_FAILED;
			return rc;
		}
	}
	e->result = json_integer_value(json_object_get(result, "id"));
	dir = execution_dir(c, e->result);
	rc = dir ? entity_save_local(c, &kind_result, result) : fail(EXIT_FAIL, "out of memory");
	json_decref(result);
	if (rc)
		goto out;
	if (flag_get(dir, ".executed") && !r->no_cache && !r->new_result) {
		e->how = MR_CACHED;
		e->partial = flag_get(dir, ".partial");
		e->results = load_yaml_in(dir, "results.yaml");
		goto out;
	}
	flag_clear(dir, ".executed");
	flag_clear(dir, ".partial");
	{
		char *old = path_join(dir, "results.yaml");
		if (old)
			unlink(old);
		free(old);
	}
	write_status(dir, "running", NULL);
	rc = entity_get(c, &kind_model, e->model, &model);
	if (rc == EXIT_OK)
		rc = cube_of_model(c, model, &cb);
	if (rc) {
		e->how = MR_FAILED;
		snprintf(o.reason, sizeof(o.reason), "model %lld could not be set up to run (see "
			 "the error above)", (long long)e->model);
		snprintf(e->reason, sizeof(e->reason), "%s", o.reason);
		write_status(dir, "model failed", &o);
		execute_report(c, e->result, "model_report", "failed");
		goto out;
	}
	gettimeofday(&tv, NULL);
	snprintf(ts, sizeof(ts), "%lld_%06ld", (long long)tv.tv_sec, (long)tv.tv_usec);
	snprintf(sub, sizeof(sub), "%lld/%s", (long long)e->result, ts);
	snprintf(data_id, sizeof(data_id), "%lld/%lld", (long long)e->model,
		 (long long)r->dataset);
	snprintf(mlog, sizeof(mlog), "metrics_%s.log", x->evaluator->key);
	preds = storage_entity_dir(c, "predictions", sub);
	logs = storage_entity_dir(c, "experiments_logs", data_id);
	outs = path_join(dir, "local_outputs");
	ml = logs ? path_join(logs, "model.log") : NULL;
	el = logs ? path_join(logs, mlog) : NULL;
	if (preds == NULL || outs == NULL || ml == NULL || el == NULL) {
		rc = fail(EXIT_FAIL, "out of memory");
		goto out;
	}
	if (mkdirs(logs, 0700) != 0) {
		rc = fail(EXIT_FAIL, "cannot create '%s': %s", logs, strerror(errno));
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.result_id = e->result;
	req.model = &cb;
	req.evaluator = x->evaluator;
	req.data = x->d->data;
	req.labels = x->d->labels;
	req.predictions = preds;
	req.local_outputs = outs;
	req.model_log = ml;
	req.metrics_log = el;
	req.ignore_model_errors = r->ignore_model_errors;
	rc = execute_one(c, &req, &o);
	snprintf(e->reason, sizeof(e->reason), "%s", o.reason);
	snprintf(e->log, sizeof(e->log), "%s", o.log);
	e->partial = o.partial;
	if (o.state == EXEC_DONE) {
		rc = write_yaml_in(dir, "results.yaml", o.results);
		if (rc == EXIT_OK && o.partial && flag_set(dir, ".partial") != 0)
			rc = fail(EXIT_FAIL, "cannot write in '%s': %s", dir, strerror(errno));
		if (rc == EXIT_OK && flag_set(dir, ".executed") != 0)
			rc = fail(EXIT_FAIL, "cannot write in '%s': %s", dir, strerror(errno));
		if (rc == EXIT_OK) {
			e->how = MR_RAN;
			e->results = json_incref(o.results);
		} else {
			e->how = MR_FAILED;
		}
	} else {
		e->how = o.state == EXEC_INTERRUPTED ? MR_INTERRUPTED : MR_FAILED;
	}
	write_status(dir, o.state == EXEC_DONE ? "executed" : exec_state_name(o.state), &o);
out:
	exec_outcome_release(&o);
	cube_release(&cb);
	json_decref(model);
	free(dir);
	free(preds);
	free(outs);
	free(logs);
	free(ml);
	free(el);
	return rc;
}

/* ---- the run ---- */

/* The dataset must be this site's, operational, prepared here, unchanged, and the benchmark's. */
static int check_dataset(struct ctx *c, const json_t *bench, json_t *ds, struct dset *d)
{
	long long id = (long long)json_integer_value(json_object_get(ds, "id"));
	int64_t dp = json_integer_value(json_object_get(ds, "data_preparation_mlcube"));
	int64_t bp = json_integer_value(json_object_get(bench, "data_preparation_mlcube"));
	char hash[HASH_HEX];
	int rc;

	if (strcmp(profile_str(ds, "state"), "OPERATION") != 0)
		return fail(EXIT_FAIL, "dataset %lld is not operational (state %s): run 'medperf "
			    "dataset set_operational -d %lld' first", id, profile_str(ds, "state"),
			    id);
	if (dp != bp)
		return fail(EXIT_FAIL, "dataset %lld was prepared with container %lld, benchmark "
			    "%lld prepares data with container %lld: they do not fit", id,
			    (long long)dp, (long long)json_integer_value(json_object_get(bench, "id")),
			    (long long)bp);
	rc = dset_open(c, ds, d);
	if (rc)
		return rc;
	if (!dset_ready(d))
		return fail(EXIT_FAIL, "dataset %lld is not prepared on this machine: run 'medperf "
			    "dataset prepare -d %lld'", id, id);
	rc = dset_prepared_hash(d, hash);
	if (rc)
		return rc;
	if (strcmp(hash, profile_str(ds, "generated_uid")) != 0)
		return fail(EXIT_INTEGRITY, "the prepared data of dataset %lld has changed since it "
			    "was registered (it hashes to %s, the server has %s): nothing was run "
			    "(see 'medperf dataset check -d %lld')", id, hash,
			    profile_str(ds, "generated_uid"), id);
	return EXIT_OK;
}

/*
 * The latest association of the dataset with the benchmark must be APPROVED
 * (the server refuses results otherwise): said once, before anything runs.
 */
static int check_association(struct ctx *c, const struct run_request *r)
{
	struct comms_result res = {0};
	const json_t *latest = NULL, *row;
	char path[96];
	size_t i;
	int rc = EXIT_OK;

	snprintf(path, sizeof(path), "/datasets/%lld/benchmarks/%lld/", (long long)r->dataset,
		 (long long)r->benchmark);
	if (comms_request(c->comms, "GET", path, NULL, &res) != 0) {
		rc = fail_comms(&res);
		comms_result_release(&res);
		return rc;
	}
	json_array_foreach(res.body, i, row)
		if (latest == NULL || later(row, latest))
			latest = row;
	if (latest == NULL)
		rc = fail(EXIT_FAIL, "dataset %lld is not associated with benchmark %lld: ask for it "
			  "with 'medperf dataset associate -d %lld -b %lld'", (long long)r->dataset,
			  (long long)r->benchmark, (long long)r->dataset, (long long)r->benchmark);
	else if (strcmp(profile_str(latest, "approval_status"), "APPROVED") != 0)
		rc = fail(EXIT_FAIL, "the association of dataset %lld with benchmark %lld is %s, not "
			  "approved: only the reference model may run on it", (long long)r->dataset,
			  (long long)r->benchmark, profile_str(latest, "approval_status"));
	comms_result_release(&res);
	return rc;
}

int runs_execute(struct ctx *c, const struct run_request *r, struct run_summary *s)
{
	json_t *bench = NULL, *ds = NULL, *latest = NULL;
	struct cube evaluator;
	struct dset d;
	struct run_ctx x;
	int64_t *models = NULL;
	size_t n = 0, i;
	int rc, worst = EXIT_OK;

	memset(s, 0, sizeof(*s));
	memset(&d, 0, sizeof(d));
	memset(&evaluator, 0, sizeof(evaluator));
	rc = entity_get(c, &kind_benchmark, r->benchmark, &bench);
	if (rc == EXIT_OK)
		rc = entity_get(c, &kind_dataset, r->dataset, &ds);
	if (rc == EXIT_OK)
		rc = check_dataset(c, bench, ds, &d);
	if (rc == EXIT_OK && !r->reference_only && !only_reference(r, bench))
		rc = check_association(c, r);
	if (rc == EXIT_OK)
		rc = choose_models(c, r, bench, &models, &n);
	if (rc == EXIT_OK)
		rc = cube_load(c, json_integer_value(json_object_get(bench, "data_evaluator_mlcube")),
			       &evaluator);
	if (rc == EXIT_OK)
		rc = my_results(c, r, &latest);
	if (rc == EXIT_OK && (s->e = calloc(n ? n : 1, sizeof(*s->e))) == NULL)
		rc = fail(EXIT_FAIL, "out of memory");
	if (rc)
		goto out;
	s->n = n;
	x = (struct run_ctx){r, bench, &d, &evaluator, latest};
	task_catch_interrupts(1);
	for (i = 0; i < n; i++) {
		struct run_entry *e = &s->e[i];
		e->model = models[i];
		e->how = MR_NOT_RUN;
		if (task_interrupted() || worst == EXIT_INTERRUPTED)
			continue;
		note("Model %lld (%zu of %zu):", (long long)e->model, i + 1, n);
		rc = run_model(c, &x, e);
		if (e->how == MR_INTERRUPTED)
			worst = EXIT_INTERRUPTED;
		else if (e->how == MR_FAILED && worst != EXIT_INTERRUPTED && worst != EXIT_INTEGRITY)
			worst = rc == EXIT_INTEGRITY ? EXIT_INTEGRITY : EXIT_FAIL;
		else if (rc && e->how != MR_FAILED && worst == EXIT_OK)
			worst = rc;
	}
	if (task_interrupted())
		worst = EXIT_INTERRUPTED;
	task_catch_interrupts(0);
	rc = worst;
	if (rc == EXIT_INTERRUPTED) {
		fail(rc, "interrupted: the same command goes on where this run stopped (models that "
		     "ran are not run again)");
	} else if (rc) {
		size_t bad = 0;
		for (i = 0; i < n; i++)
			bad += s->e[i].how == MR_FAILED;
		fail(rc, "%zu of %zu model%s failed (see why below)", bad, n, n == 1 ? "" : "s");
	}
out:
	cube_release(&evaluator);
	dset_release(&d);
	json_decref(bench);
	json_decref(ds);
	json_decref(latest);
	free(models);
	return rc;
}

void run_summary_release(struct run_summary *s)
{
	for (size_t i = 0; i < s->n; i++)
		json_decref(s->e[i].results);
	free(s->e);
	memset(s, 0, sizeof(*s));
}

static const char *const how_names[] = {
	[MR_RAN] = "ran", [MR_CACHED] = "ran before", [MR_SUBMITTED] = "submitted",
	[MR_FAILED] = "failed", [MR_INTERRUPTED] = "interrupted", [MR_NOT_RUN] = "not run",
};

void runs_print(struct ctx *c, const struct run_request *r, const struct run_summary *s)
{
	static const char *const head[] = {"Model", "Result", "Status", "Detail"};
	struct table *t = table_new(head, 4);
	size_t count[MR_NOT_RUN + 1] = {0}, waiting = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct run_entry *e = &s->e[i];
		char m[32], res[32], how[64], detail[760];
		const char *row[4] = {m, res, how, detail};
		snprintf(m, sizeof(m), "%lld", (long long)e->model);
		snprintf(res, sizeof(res), e->result ? "%lld" : "-", (long long)e->result);
		snprintf(how, sizeof(how), "%s%s", how_names[e->how],
			 e->partial && (e->how == MR_RAN || e->how == MR_CACHED) ? " (partial)" : "");
		if (e->how == MR_RAN || e->how == MR_CACHED) {
			waiting++;
			snprintf(detail, sizeof(detail), "%s%s%s", "waiting for review",
				 e->reason[0] ? "; " : "", e->reason);
		} else {
			snprintf(detail, sizeof(detail), "%s%s%s%s", e->reason,
				 e->log[0] ? " (log: " : "", e->log, e->log[0] ? ")" : "");
		}
		count[e->how]++;
		table_add(t, row);
	}
	table_print(c, t);
	table_free(t);
	printf("\n%zu model%s: %zu ran, %zu ran before, %zu submitted already, %zu failed%s\n",
	       s->n, s->n == 1 ? "" : "s", count[MR_RAN], count[MR_CACHED], count[MR_SUBMITTED],
	       count[MR_FAILED], count[MR_INTERRUPTED] || count[MR_NOT_RUN] ?
	       ", interrupted (run the same command again to go on)" : "");
	if (waiting)
		printf("Review the metrics with 'medperf result ls -b %lld -d %lld' and send them "
		       "with 'medperf result submit -r ID'.\n", (long long)r->benchmark,
		       (long long)r->dataset);
}
