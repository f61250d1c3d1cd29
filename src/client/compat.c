/*
 * compat.c: the compatibility test (see compat.h). Its steps:
 *   1. the three parts: the ones given, else the benchmark's;
 *   2. the data: a prepared dataset of this site, or the demo tarball
 *      (verified, extracted safely once into demo/<sha256>/, whose
 *      paths.yaml names data_path and labels_path relative to it) made into
 *      a local test dataset and prepared (flow E, no reports), its folder
 *      then named by the prepared data's hash;
 *   3. the report {demo_dataset_url, demo_dataset_hash, prepared_data_hash,
 *      data_preparation_mlcube, model, data_evaluator_mlcube}, whose id is
 *      the SHA-256 of its compact JSON; an earlier report with results is
 *      reused unless --no-cache;
 *   4. infer and evaluate (execute.c, no server result), the report written.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/compat.h"
#include "client/cube.h"
#include "client/entity.h"
#include "client/execute.h"
#include "client/fetch.h"
#include "client/prepare.h"
#include "client/task.h"
#include "client/tree.h"
#include "core/jsonw.h"
#include "core/yaml.h"
#include "runner/archive.h"

void compat_result_release(struct compat_result *out)
{
	json_decref(out->report);
	memset(out, 0, sizeof(*out));
}

/* A path from paths.yaml: relative, no "..", inside root, a folder. */
static int demo_path(const char *root, const json_t *paths, const char *key, int required,
		     char **out)
{
	const char *rel = profile_str(paths, key);
	char *joined, real[PATH_MAX], rroot[PATH_MAX];
	size_t n;

	*out = NULL;
	if (*rel == '\0')
		return required ? fail(EXIT_FAIL, "the demo data's paths.yaml has no %s", key)
				: EXIT_OK;
	if (rel[0] == '/' || strstr(rel, ".."))
		return fail(EXIT_FAIL, "the demo data's paths.yaml: %s '%s' must be a path inside "
			    "the tarball", key, rel);
	joined = path_join(root, rel);
	if (joined == NULL || realpath(joined, real) == NULL || realpath(root, rroot) == NULL) {
		free(joined);
		return fail(EXIT_FAIL, "the demo data has no %s '%s'", key, rel);
	}
	free(joined);
	n = strlen(rroot);
	if (strncmp(real, rroot, n) != 0 || (real[n] != '/' && real[n] != '\0') ||
	    !path_is_dir(real))
		return fail(EXIT_FAIL, "the demo data's %s '%s' is not a folder inside it", key, rel);
	*out = strdup(real);
	return *out ? EXIT_OK : fail(EXIT_FAIL, "out of memory");
}

/* The demo tarball fetched and extracted; *data and *labels its paths.yaml's folders. */
static int demo_data(struct ctx *c, const struct compat_request *r, const char *url,
		     const char *want, struct compat_result *out, char **data, char **labels)
{
	char *file = NULL, *dir = NULL, *root = NULL, *py = NULL, *demo = NULL;
	json_t *paths = NULL;
	mp_errbuf e;
	int rc;

	(void)r;
	note("Getting the demo data...");
	rc = fetch_resource(c, "the demo dataset", url, want && *want ? want : NULL,
			    out->demo_hash, &file);
	if (rc)
		return rc;
	if (asprintf(&demo, "%s/demo", c->storage) < 0 || (dir = path_join(demo, out->demo_hash))
	    == NULL) {
		rc = fail(EXIT_FAIL, "out of memory");
		goto out;
	}
	if (mkdirs(demo, 0700) != 0) {
		rc = fail(EXIT_FAIL, "cannot create '%s': %s", demo, strerror(errno));
		goto out;
	}
	if (!path_is_dir(dir) && archive_extract_safe(file, dir, NULL, NULL, &e) != 0) {
		rc = fail(EXIT_FAIL, "the demo dataset: %s", e.msg);
		goto out;
	}
	/* paths.yaml at the root, or in the one folder the tarball holds */
	root = strdup(dir);
	py = path_join(dir, "paths.yaml");
	if (root && py && access(py, F_OK) != 0) {
		DIR *dd = opendir(dir);
		struct dirent *de;
		int nd = 0;
		char *only = NULL;
		while (dd && (de = readdir(dd)) != NULL)
			if (de->d_name[0] != '.') {
				nd++;
				free(only);
				only = path_join(dir, de->d_name);
			}
		if (dd)
			closedir(dd);
		if (nd == 1 && path_is_dir(only)) {
			free(root);
			free(py);
			root = only;
			py = path_join(root, "paths.yaml");
		} else {
			free(only);
		}
	}
	if (root == NULL || py == NULL) {
		rc = fail(EXIT_FAIL, "out of memory");
		goto out;
	}
	if (access(py, F_OK) != 0) {
		rc = fail(EXIT_FAIL, "the demo dataset has no paths.yaml (with data_path and "
			  "labels_path)");
		goto out;
	}
	if (yaml_load_file(py, 1 << 20, &paths, NULL, &e) != 0) {
		rc = fail(EXIT_FAIL, "the demo dataset: %s", e.msg);
		goto out;
	}
	rc = demo_path(root, paths, "data_path", 1, data);
	if (rc == EXIT_OK)
		rc = demo_path(root, paths, "labels_path", 1, labels);
out:
	json_decref(paths);
	free(file);
	free(dir);
	free(demo);
	free(root);
	free(py);
	return rc;
}

/* The test dataset: the demo data prepared, its folder named by the prepared hash. */
static int test_dataset(struct ctx *c, const struct compat_request *r, const struct cube *prep,
			const char *data, const char *labels, struct dset *d, char hash[HASH_HEX])
{
	const char *paths[2] = {data, labels};
	char in_uid[HASH_HEX];
	json_t *info;
	mp_errbuf e;
	int rc;

	if (hash_folders(paths, 2, 0, in_uid, NULL, &e) != 0)
		return fail(EXIT_FAIL, "%s", e.msg);
	rc = dset_open_test(c, in_uid, data, labels, r->demo_prepared, d);
	if (rc == EXIT_OK)
		rc = dset_prepare(c, d, prep, 0);
	if (rc == EXIT_OK)
		rc = dset_prepared_hash(d, hash);
	if (rc == EXIT_OK)
		rc = dset_rekey(c, d, hash);
	if (rc)
		return rc;
	info = json_pack("{s:s,s:s,s:s,s:s,s:b,s:b}", "name", "demo data", "input_data_hash",
			 in_uid, "generated_uid", hash, "data_preparation_mlcube", prep->key,
			 "submitted_as_prepared", r->demo_prepared, "for_test", 1);
	{
		char *p = path_join(d->dir, "registration-info.yaml");
		if (p == NULL || yaml_write_file(p, info, 0600, &e) != 0)
			rc = fail(EXIT_FAIL, "cannot write the test dataset's record: %s",
				  p ? e.msg : "out of memory");
		free(p);
	}
	json_decref(info);
	return rc;
}

/* A component's value in the report: its id, or its local key. */
static json_t *component(const struct cube *cb, int64_t model_id)
{
	if (model_id)
		return json_integer(model_id);
	return cb->id ? json_integer(cb->id) : json_string(cb->key);
}

/* The model: a model id (its container) or a local configuration. */
static int load_model(struct ctx *c, const char *ref, struct cube *cb, int64_t *id)
{
	char *end;
	long long v;
	json_t *m = NULL;
	int rc;

	*id = 0;
	errno = 0;
	v = strtoll(ref, &end, 10);
	if (!(*ref && *end == '\0' && errno == 0))
		return cube_load_local(c, ref, cb);
	if (v <= 0)
		return fail(EXIT_USAGE, "the model: '%s' is not a model id", ref);
	rc = entity_get(c, &kind_model, v, &m);
	if (rc == EXIT_OK)
		rc = cube_of_model(c, m, cb);
	json_decref(m);
	*id = v;
	return rc;
}

static int run_test(struct ctx *c, const struct cube *model, int64_t model_id,
		    const struct cube *evaluator, const char *data, const char *labels,
		    struct compat_result *out)
{
	char mkey[80], sub[200], *preds = NULL, *logs = NULL, *ml = NULL, *el = NULL, *tmp = NULL;
	char mlog[100];
	struct exec_request req;
	struct exec_outcome o;
	int rc;

	memset(&o, 0, sizeof(o));
	if (model_id)
		snprintf(mkey, sizeof(mkey), "%lld", (long long)model_id);
	else
		snprintf(mkey, sizeof(mkey), "%s", model->key);
	snprintf(sub, sizeof(sub), "%s/%s", mkey, out->prepared_hash);
	snprintf(mlog, sizeof(mlog), "metrics_%s.log", evaluator->key);
	preds = storage_entity_dir(c, "predictions", sub);
	logs = storage_entity_dir(c, "experiments_logs", sub);
	if (asprintf(&tmp, "%s/.tmp/test-outputs-XXXXXX", c->storage) < 0)
		tmp = NULL;
	ml = logs ? path_join(logs, "model.log") : NULL;
	el = logs ? path_join(logs, mlog) : NULL;
	if (preds == NULL || logs == NULL || tmp == NULL || ml == NULL || el == NULL) {
		rc = fail(EXIT_FAIL, "out of memory");
		goto out;
	}
	if (mkdirs(logs, 0700) != 0 || mkdtemp(tmp) == NULL) {
		rc = fail(EXIT_FAIL, "cannot create '%s': %s", logs, strerror(errno));
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.model = model;
	req.evaluator = evaluator;
	req.data = data;
	req.labels = labels;
	req.predictions = preds;
	req.local_outputs = tmp;   /* a test keeps no local outputs */
	req.model_log = ml;
	req.metrics_log = el;
	rc = execute_one(c, &req, &o);
	if (o.state == EXEC_DONE) {
		json_object_set(out->report, "results", o.results);
		out->results = json_object_get(out->report, "results");
	} else if (o.state == EXEC_INTERRUPTED) {
		rc = fail(EXIT_INTERRUPTED, "the compatibility test was interrupted");
	} else {
		rc = fail(o.rc, "the compatibility test failed: %s%s%s%s", o.reason,
			  o.log[0] ? " (log: " : "", o.log, o.log[0] ? ")" : "");
	}
out:
	exec_outcome_release(&o);
	if (tmp)
		tree_remove(tmp);
	free(preds);
	free(logs);
	free(ml);
	free(el);
	free(tmp);
	return rc;
}

static int compat_test(struct ctx *c, const struct compat_request *r, struct compat_result *out);

int compat_run(struct ctx *c, const struct compat_request *r, struct compat_result *out)
{
	int rc;

	task_catch_interrupts(1);   /* Ctrl-C ends as "interrupted" at the next task at most */
	rc = compat_test(c, r, out);
	task_catch_interrupts(0);
	return rc;
}

static int compat_test(struct ctx *c, const struct compat_request *r, struct compat_result *out)
{
	const json_t *b = r->bench;
	char bprep[32], beval[32], bmodel[32], *data = NULL, *labels = NULL, *rdir = NULL;
	const char *prep_ref, *eval_ref, *model_ref, *url;
	struct cube prep, model, evaluator;
	json_t *ds = NULL, *old = NULL;
	struct dset d;
	int64_t model_id = 0;
	struct buf text;
	mp_errbuf e;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&prep, 0, sizeof(prep));
	memset(&model, 0, sizeof(model));
	memset(&evaluator, 0, sizeof(evaluator));
	memset(&d, 0, sizeof(d));
	snprintf(bprep, sizeof(bprep), "%lld",
		 (long long)json_integer_value(json_object_get(b, "data_preparation_mlcube")));
	snprintf(bmodel, sizeof(bmodel), "%lld",
		 (long long)json_integer_value(json_object_get(b, "reference_model")));
	snprintf(beval, sizeof(beval), "%lld",
		 (long long)json_integer_value(json_object_get(b, "data_evaluator_mlcube")));
	prep_ref = r->prep ? r->prep : b ? bprep : NULL;
	model_ref = r->model ? r->model : b ? bmodel : NULL;
	eval_ref = r->evaluator ? r->evaluator : b ? beval : NULL;
	url = r->demo_url ? r->demo_url : b ? profile_str(b, "demo_dataset_tarball_url") : NULL;
	/* registered without a test, a benchmark's demo fields are MedPerf's placeholders */
	if (r->demo_url == NULL && b && json_is_true(json_object_get(json_object_get(b, "metadata"),
							       "skip_compatibility_tests")))
		url = NULL;
	if (model_ref == NULL || eval_ref == NULL || (prep_ref == NULL && r->data_uid == 0))
		return fail(EXIT_USAGE, "give a benchmark (-b), or the preparation container (-p), "
			    "the model (-m) and the evaluator (-e)");
	if (r->data_uid == 0 && (url == NULL || *url == '\0'))
		return fail(EXIT_USAGE, "no demo data: give --demo_dataset_url (or a benchmark with "
			    "demo data: one registered with its compatibility test; or a prepared "
			    "dataset with -d)");
	rc = load_model(c, model_ref, &model, &model_id);
	if (rc == EXIT_OK)
		rc = cube_resolve(c, "the evaluator", eval_ref, &evaluator);
	if (rc == EXIT_OK && prep_ref)
		rc = cube_resolve(c, "the preparation container", prep_ref, &prep);
	if (rc)
		goto out;
	if (r->data_uid) {
		rc = entity_get(c, &kind_dataset, r->data_uid, &ds);
		if (rc == EXIT_OK)
			rc = dset_open(c, ds, &d);
		if (rc == EXIT_OK && !dset_ready(&d))
			rc = fail(EXIT_FAIL, "dataset %lld is not prepared on this machine: run "
				  "'medperf dataset prepare -d %lld'", (long long)r->data_uid,
				  (long long)r->data_uid);
		if (rc == EXIT_OK)
			rc = dset_prepared_hash(&d, out->prepared_hash);
		url = "";
	} else {
		rc = demo_data(c, r, url, r->demo_hash ? r->demo_hash : b && !r->demo_url ?
			       profile_str(b, "demo_dataset_tarball_hash") : NULL, out, &data,
			       &labels);
		if (rc == EXIT_OK)
			rc = test_dataset(c, r, &prep, data, labels, &d, out->prepared_hash);
	}
	if (rc)
		goto out;
	out->report = json_pack("{s:s,s:s,s:s,s:o,s:o,s:o}", "demo_dataset_url", url,
		"demo_dataset_hash", out->demo_hash, "prepared_data_hash", out->prepared_hash,
		"data_preparation_mlcube", prep_ref ? component(&prep, 0) : json_null(),
		"model", component(&model, model_id),
		"data_evaluator_mlcube", component(&evaluator, 0));
	buf_init(&text, 0);
	jsonw_value(&text, out->report);
	sha256_hex(text.data, text.len, out->id);
	buf_release(&text);
	rdir = storage_entity_dir(c, "tests", out->id);
	if (rdir == NULL) {
		rc = fail(EXIT_FAIL, "out of memory");
		goto out;
	}
	{
		char *file = path_join(rdir, "test_report.yaml");
		if (file && !r->no_cache && access(file, F_OK) == 0 &&
		    yaml_load_file(file, 16 << 20, &old, NULL, &e) == 0 &&
		    json_is_object(json_object_get(old, "results"))) {
			json_object_set(out->report, "results", json_object_get(old, "results"));
			out->results = json_object_get(out->report, "results");
			out->cached = 1;
			note("The same test ran before: its results are reused (--no-cache runs it "
			     "again).");
		}
		if (!out->cached) {
			rc = run_test(c, &model, model_id, &evaluator, d.data, d.labels, out);
			if (rc == EXIT_OK && (mkdirs(rdir, 0700) != 0 ||
					      yaml_write_file(file, out->report, 0600, &e) != 0))
				rc = fail(EXIT_FAIL, "cannot write the test report '%s'", file);
		}
		free(file);
	}
out:
	if (rc) {
		json_decref(out->report);
		out->report = NULL;
		out->results = NULL;
	}
	json_decref(old);
	json_decref(ds);
	dset_release(&d);
	cube_release(&prep);
	cube_release(&model);
	cube_release(&evaluator);
	free(data);
	free(labels);
	free(rdir);
	return rc;
}
