/*
 * cmd_dataset.c: `medperf dataset ls|view|submit|prepare|set_operational|
 * check|associate|export|import`. submit hashes the raw data and labels as
 * MedPerf does (the folder hash, reference 2.5), keeps a local record
 * (registration-info.yaml, raw.yaml) and registers the dataset in
 * DEVELOPMENT; prepare runs the preparation container (flow E, prepare.c);
 * set_operational registers the hashes and statistics (flow F); check
 * compares them with the data here; associate runs the reference model on
 * the dataset (flow G, runs.c) and asks the benchmark to take it;
 * export/import move the local copy between machines (dataset_io.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/cube.h"
#include "client/dataset_io.h"
#include "client/entity.h"
#include "client/prepare.h"
#include "client/runs.h"
#include "client/tree.h"
#include "core/hash.h"
#include "core/yaml.h"

static const struct column dataset_cols[] = {
	{"UID", "id", COL_INT},
	{"Name", "name", COL_TEXT},
	{"Data Preparation Container UID", "data_preparation_mlcube", COL_INT},
	{"State", "state", COL_TEXT},
	{"Status", "report", COL_DICT},
	{"Owner", "owner", COL_INT},
	{NULL, NULL, 0},
};

const struct entity_kind kind_dataset = {"dataset", "/datasets/", "/me/datasets/", "data",
	"registration-info.yaml", dataset_cols, 0};

/* Keeps the items matching the client-side filters (the server has none for datasets). */
static json_t *filter(struct ctx *c, struct args *a, json_t *items)
{
	json_t *out = json_array(), *it;
	size_t i;

	json_array_foreach(items, i, it) {
		const char *name = arg(c, a, "name"), *state = arg(c, a, "state");
		if (name && strcmp(name, profile_str(it, "name")))
			continue;
		if (state && strcmp(state, profile_str(it, "state")))
			continue;
		if (arg(c, a, "owner") &&
		    json_integer_value(json_object_get(it, "owner")) != arg_int(c, a, "owner"))
			continue;
		if (arg_flag(c, a, "invalid") == json_is_true(json_object_get(it, "is_valid")))
			continue;
		json_array_append(out, it);
	}
	return out;
}

static int ls(struct ctx *c, struct args *a)
{
	struct comms_result r;
	json_t *items, *shown;
	char path[96];

	if (arg_flag(c, a, "valid") && arg_flag(c, a, "invalid"))
		return fail(EXIT_USAGE, "--valid and --invalid exclude each other");
	if (arg(c, a, "data-preparation-container"))
		snprintf(path, sizeof(path), "/mlcubes/%lld/datasets/",
			 (long long)arg_int(c, a, "data-preparation-container"));
	else
		snprintf(path, sizeof(path), "%s", arg_flag(c, a, "mine") ? kind_dataset.me_path
									    : kind_dataset.path);
	if (comms_list_all(c->comms, path, &items, &r) != 0) {
		int rc = fail_comms(&r);
		comms_result_release(&r);
		return rc;
	}
	comms_result_release(&r);
	shown = filter(c, a, items);
	entity_print_list(c, &kind_dataset, shown);
	json_decref(shown);
	json_decref(items);
	return EXIT_OK;
}

static int view(struct ctx *c, struct args *a)
{
	return entity_view(c, &kind_dataset, a);
}

static int submit(struct ctx *c, struct args *a)
{
	const char *data = arg(c, a, "data_path"), *labels = arg(c, a, "labels_path");
	const char *meta = arg(c, a, "metadata_path");
	int as_prepared = arg_flag(c, a, "submit-as-prepared");
	int64_t prep_id;
	char hash[HASH_HEX], absd[PATH_MAX], absl[PATH_MAX], absm[PATH_MAX], id[32];
	struct comms_result r = {0};
	struct hash_stats hs;
	json_t *body = NULL, *prep = NULL, *raw;
	char *dir = NULL, *file = NULL;
	mp_errbuf e;
	int rc;

	if ((arg(c, a, "benchmark") != NULL) == (arg(c, a, "data_prep") != NULL))
		return fail(EXIT_USAGE, "Must provide either a benchmark or a preparation container "
			    "(--benchmark or --data_prep, not both)");
	if (meta && !as_prepared)
		return fail(EXIT_USAGE, "metadata path should only be provided when the dataset is "
			    "submitted as prepared");
	if (realpath(data, absd) == NULL)
		return fail(EXIT_FAIL, "--data_path: cannot find '%s': %s", data, strerror(errno));
	if (realpath(labels, absl) == NULL)
		return fail(EXIT_FAIL, "--labels_path: cannot find '%s': %s", labels, strerror(errno));
	/*
	 * A file would add nothing to the folder hash (MedPerf walks folders), so
	 * any two one-file datasets would look the same: only folders are taken.
	 */
	if (!path_is_dir(absd))
		return fail(EXIT_FAIL, "--data_path: '%s' is not a folder", data);
	if (!path_is_dir(absl))
		return fail(EXIT_FAIL, "--labels_path: '%s' is not a folder", labels);
	/* checked before anything is sent, as MedPerf does */
	if (meta && realpath(meta, absm) == NULL)
		return fail(EXIT_FAIL, "--metadata_path: cannot find '%s': %s", meta,
			    strerror(errno));
	if (arg(c, a, "benchmark")) {
		json_t *b;
		rc = entity_get(c, &kind_benchmark, arg_int(c, a, "benchmark"), &b);
		if (rc)
			return rc;
		prep_id = json_integer_value(json_object_get(b, "data_preparation_mlcube"));
		json_decref(b);
	} else {
		prep_id = arg_int(c, a, "data_prep");
	}
	rc = entity_get(c, &kind_container, prep_id, &prep);
	if (rc)
		return rc;
	if (!json_is_true(json_object_get(prep, "is_valid"))) {
		rc = fail(EXIT_FAIL, "container %lld has been invalidated", (long long)prep_id);
		goto out;
	}
	{
		const char *paths[2] = {absd, absl};
		note("Hashing the data and labels...");
		if (hash_folders(paths, 2, 0, hash, &hs, &e) != 0) {
			rc = fail(EXIT_FAIL, "%s", e.msg);
			goto out;
		}
	}
	body = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:I,s:b,s:{},s:s}",
		"name", arg(c, a, "name"),
		"description", arg(c, a, "description") ? arg(c, a, "description") : "",
		"location", arg(c, a, "location") ? arg(c, a, "location") : "",
		"input_data_hash", hash, "generated_uid", hash, "split_seed", 0,
		"data_preparation_mlcube", (json_int_t)prep_id,
		"submitted_as_prepared", as_prepared, "generated_metadata", "state", "DEVELOPMENT");
	rc = confirm_send(c, "The dataset to register (only these hashes leave this machine)",
			  body);
	if (rc == EXIT_OK && comms_request(c->comms, "POST", "/datasets/", body, &r) != 0)
		rc = fail_comms(&r);
	if (rc)
		goto out;
	/* the local record: registration, raw paths, and the prepared copy when given */
	snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(r.body, "id")));
	rc = entity_save_local(c, &kind_dataset, r.body);
	dir = storage_entity_dir(c, kind_dataset.local_kind, id);
	raw = json_pack("{s:s,s:s}", "data_path", absd, "labels_path", absl);
	file = dir ? malloc(strlen(dir) + 16) : NULL;
	if (rc == EXIT_OK && file) {
		snprintf(file, strlen(dir) + 16, "%s/raw.yaml", dir);
		if (yaml_write_file(file, raw, 0600, &e) != 0)
			rc = fail(EXIT_FAIL, "%s", e.msg);
	}
	json_decref(raw);
	if (rc == EXIT_OK && as_prepared) {
		char t[PATH_MAX];
		snprintf(t, sizeof(t), "%s/data", dir);
		if (tree_copy(absd, t) != 0)
			rc = fail(EXIT_FAIL, "cannot copy the data into '%s'", t);
		snprintf(t, sizeof(t), "%s/labels", dir);
		if (rc == EXIT_OK && tree_copy(absl, t) != 0)
			rc = fail(EXIT_FAIL, "cannot copy the labels into '%s'", t);
		snprintf(t, sizeof(t), "%s/metadata", dir);
		if (rc == EXIT_OK && (meta ? tree_copy(absm, t) : mkdirs(t, 0700)) != 0)
			rc = fail(EXIT_FAIL, "cannot copy the metadata into '%s'", t);
	}
	if (rc)
		goto out;
	if (c->json)
		print_json(r.body);
	done_msg(c, "Registered dataset %s '%s' (%llu files, %s)", id,
		 json_string_value(json_object_get(r.body, "name")),
		 (unsigned long long)hs.files, hash);
out:
	comms_result_release(&r);
	json_decref(body);
	json_decref(prep);
	free(dir);
	free(file);
	return rc;
}

/* The dataset (GET) and its local folder. */
static int open_dataset(struct ctx *c, int64_t id, json_t **ds, struct dset *d)
{
	int rc = entity_get(c, &kind_dataset, id, ds);

	memset(d, 0, sizeof(*d));
	if (rc == EXIT_OK)
		rc = dset_open(c, *ds, d);
	return rc;
}

static int prepare(struct ctx *c, struct args *a)
{
	int64_t id = arg_int(c, a, "data_uid");
	json_t *ds = NULL;
	struct cube prep;
	struct dset d;
	int rc;

	memset(&prep, 0, sizeof(prep));
	rc = open_dataset(c, id, &ds, &d);
	if (rc == EXIT_OK && strcmp(profile_str(ds, "state"), "OPERATION") == 0)
		rc = fail(EXIT_FAIL, "dataset %lld is operational already: it was prepared",
			  (long long)id);
	if (rc == EXIT_OK)
		rc = cube_load(c, json_integer_value(json_object_get(ds, "data_preparation_mlcube")),
			       &prep);
	if (rc == EXIT_OK)
		rc = dset_prepare(c, &d, &prep, c->yes ? 1 : -1);
	if (rc == EXIT_OK)
		done_msg(c, "Dataset %lld is prepared (%s). Next: 'medperf dataset set_operational "
			 "-d %lld'", (long long)id, d.dir, (long long)id);
	cube_release(&prep);
	dset_release(&d);
	json_decref(ds);
	return rc;
}

static int set_operational(struct ctx *c, struct args *a)
{
	int64_t id = arg_int(c, a, "data_uid");
	char raw[HASH_HEX], prepared[HASH_HEX], path[64];
	struct comms_result r = {0};
	json_t *ds = NULL, *stats = NULL, *body = NULL;
	struct dset d;
	int rc;

	rc = open_dataset(c, id, &ds, &d);
	if (rc == EXIT_OK && strcmp(profile_str(ds, "state"), "DEVELOPMENT") != 0)
		rc = fail(EXIT_FAIL, "dataset %lld is operational already", (long long)id);
	if (rc == EXIT_OK && !dset_ready(&d))
		rc = fail(EXIT_FAIL, "dataset %lld is not prepared: run 'medperf dataset prepare -d "
			  "%lld' first", (long long)id, (long long)id);
	if (rc == EXIT_OK) {
		note("Hashing the raw and the prepared data...");
		rc = dset_raw_hash(&d, raw);
	}
	if (rc == EXIT_OK)
		rc = dset_prepared_hash(&d, prepared);
	if (rc == EXIT_OK)
		rc = dset_statistics(&d, &stats);
	if (rc)
		goto out;
	body = json_pack("{s:s,s:s,s:O,s:s}", "input_data_hash", raw, "generated_uid", prepared,
			 "generated_metadata", stats, "state", "OPERATION");
	rc = confirm_send(c, "The dataset's hashes and statistics (nothing else leaves this "
			  "machine)", body);
	snprintf(path, sizeof(path), "/datasets/%lld/", (long long)id);
	if (rc == EXIT_OK && comms_request(c->comms, "PUT", path, body, &r) != 0)
		rc = fail_comms(&r);
	if (rc == EXIT_OK) {
		rc = entity_save_local(c, &kind_dataset, r.body);
		if (c->json)
			print_json(r.body);
		done_msg(c, "Dataset %lld is operational (generated_uid %s)", (long long)id, prepared);
	}
out:
	comms_result_release(&r);
	json_decref(body);
	json_decref(stats);
	json_decref(ds);
	dset_release(&d);
	return rc;
}

/* One line of `dataset check`; 1 when it matches. */
static int check_line(const char *what, const char *have, const char *want, const char *field)
{
	if (strcmp(have, want) == 0) {
		printf("%-14s unchanged (%s)\n", what, have);
		return 1;
	}
	printf("%-14s CHANGED: it hashes to %s, registered as %s (%s)\n", what, have, want, field);
	return 0;
}

static int check(struct ctx *c, struct args *a)
{
	int64_t id = arg_int(c, a, "data_uid");
	char h[HASH_HEX];
	json_t *ds = NULL;
	struct dset d;
	int rc, op, bad = 0, checked = 0;

	rc = open_dataset(c, id, &ds, &d);
	if (rc)
		goto out;
	op = strcmp(profile_str(ds, "state"), "OPERATION") == 0;
	note("Hashing the data of dataset %lld...", (long long)id);
	if (*d.raw_data && path_is_dir(d.raw_data) && path_is_dir(d.raw_labels)) {
		rc = dset_raw_hash(&d, h);
		if (rc)
			goto out;
		bad += !check_line("raw data:", h, profile_str(ds, "input_data_hash"),
				   "input_data_hash");
		checked++;
	} else if (*d.raw_data) {
		printf("%-14s not found ('%s', '%s')\n", "raw data:", d.raw_data, d.raw_labels);
	}
	if (op) {
		if (!path_is_dir(d.data) || !path_is_dir(d.labels)) {
			printf("%-14s MISSING: '%s' or '%s' is gone\n", "prepared data:", d.data, d.labels);
			bad++;
		} else {
			rc = dset_prepared_hash(&d, h);
			if (rc)
				goto out;
			bad += !check_line("prepared data:", h, profile_str(ds, "generated_uid"),
					   "generated_uid");
		}
		checked++;
	}
	if (bad)
		rc = fail(EXIT_INTEGRITY, "dataset %lld has changed since it was registered: its "
			  "results would not be those of the registered data", (long long)id);
	else if (!checked)
		rc = fail(EXIT_FAIL, "nothing to check: dataset %lld is not prepared and its raw data "
			  "is not on this machine", (long long)id);
	else
		done_msg(c, "Dataset %lld is as registered", (long long)id);
out:
	json_decref(ds);
	dset_release(&d);
	return rc;
}

static int associate(struct ctx *c, struct args *a)
{
	int64_t id = arg_int(c, a, "data_uid"), bid = arg_int(c, a, "benchmark_uid");
	struct comms_result r = {0};
	struct run_summary s = {0};
	json_t *ds = NULL, *bench = NULL, *body = NULL, *results = NULL;
	int rc;

	rc = entity_get(c, &kind_dataset, id, &ds);
	if (rc == EXIT_OK)
		rc = entity_get(c, &kind_benchmark, bid, &bench);
	if (rc)
		goto out;
	if (json_integer_value(json_object_get(ds, "data_preparation_mlcube")) !=
	    json_integer_value(json_object_get(bench, "data_preparation_mlcube"))) {
		rc = fail(EXIT_FAIL, "dataset %lld was not prepared with the preparation container of "
			  "benchmark %lld", (long long)id, (long long)bid);
		goto out;
	}
	if (json_is_true(json_object_get(json_object_get(bench, "metadata"),
					 "skip_compatibility_tests"))) {
		results = json_object();
	} else {
		struct run_request req = {0};
		if (strcmp(profile_str(bench, "approval_status"), "APPROVED") != 0) {
			rc = fail(EXIT_SERVER, "Association requests can be made only on an approved "
				  "benchmark (benchmark %lld is %s)", (long long)bid,
				  profile_str(bench, "approval_status"));
			goto out;
		}
		req.benchmark = bid;
		req.dataset = id;
		req.reference_only = 1;
		req.no_cache = arg_flag(c, a, "no-cache");
		note("Running the benchmark's reference model on the dataset (its result stays on "
		     "this machine until you submit it)...");
		rc = runs_execute(c, &req, &s);
		if (rc == EXIT_OK && s.n == 1 && s.e[0].results)
			results = json_incref(s.e[0].results);
		else if (rc == EXIT_OK)
			rc = fail(EXIT_FAIL, "the reference model did not run on dataset %lld: %s",
				  (long long)id, s.n ? s.e[0].reason : "no result");
		else if (s.n == 1 && s.e[0].how == MR_FAILED)
			rc = fail(rc, "the reference model failed on dataset %lld: %s%s%s%s",
				  (long long)id, s.e[0].reason, s.e[0].log[0] ? " (log: " : "",
				  s.e[0].log, s.e[0].log[0] ? ")" : "");
		if (rc)
			goto out;
	}
	body = json_pack("{s:I,s:I,s:s,s:{s:O}}", "dataset", (json_int_t)id, "benchmark",
			 (json_int_t)bid, "approval_status", "PENDING", "metadata", "test_result",
			 results);
	rc = confirm_send(c, "The association request (with the reference model's metrics on "
			  "this dataset)", body);
	if (rc == EXIT_OK && comms_request(c->comms, "POST", "/datasets/benchmarks/", body, &r))
		rc = fail_comms(&r);
	if (rc == EXIT_OK) {
		if (c->json)
			print_json(r.body);
		done_msg(c, "Asked benchmark %lld to take dataset %lld: %s", (long long)bid,
			 (long long)id, profile_str(r.body, "approval_status"));
	}
out:
	comms_result_release(&r);
	run_summary_release(&s);
	json_decref(results);
	json_decref(body);
	json_decref(ds);
	json_decref(bench);
	return rc;
}

static int export_cmd(struct ctx *c, struct args *a)
{
	json_t *ds = NULL;
	int rc = entity_get(c, &kind_dataset, arg_int(c, a, "data_uid"), &ds);

	if (rc == EXIT_OK)
		rc = dataset_export(c, ds, arg(c, a, "output"));
	json_decref(ds);
	return rc;
}

static int import_cmd(struct ctx *c, struct args *a)
{
	json_t *ds = NULL;
	int rc = entity_get(c, &kind_dataset, arg_int(c, a, "data_uid"), &ds);

	if (rc == EXIT_OK)
		rc = dataset_import(c, ds, arg(c, a, "input"), arg(c, a, "raw_dataset_path"));
	json_decref(ds);
	return rc;
}

#define END {0, NULL, 0, NULL, NULL, 0}
static const struct opt ls_opts[] = {
	{0, "mine", OPT_FLAG, NULL, "only the datasets I own", 0},
	{'m', "data-preparation-container", OPT_INT, "ID", "only datasets prepared with this "
	 "container (its owner's view)", 0},
	{0, "name", OPT_VALUE, "NAME", "only datasets with this name", 0},
	{0, "owner", OPT_INT, "ID", "only datasets of this user id", 0},
	{0, "state", OPT_VALUE, "STATE", "DEVELOPMENT or OPERATION", 0},
	{0, "valid", OPT_FLAG, NULL, "only valid datasets (the default)", 0},
	{0, "invalid", OPT_FLAG, NULL, "only invalidated datasets", 0},
	{0, "json", OPT_FLAG, NULL, "print JSON instead of a table", 0},
	END,
};
static const struct opt view_opts[] = {
	{0, "id", OPT_POS, "ID", "the dataset (default: all)", 0},
	{'f', "format", OPT_VALUE, "yaml|json", "output format (default yaml)", 0},
	{0, "mine", OPT_FLAG, NULL, "without ID: only mine", 0},
	{'o', "output", OPT_VALUE, "FILE", "write to FILE instead of the screen", 0},
	{0, "json", OPT_FLAG, NULL, "same as --format json", 0},
	END,
};
static const struct opt submit_opts[] = {
	{'b', "benchmark", OPT_INT, "ID", "the benchmark the dataset is for (its preparation "
	 "container is used)", 0},
	{'p', "data_prep", OPT_INT, "ID", "the data preparation container", 0},
	{'d', "data_path", OPT_VALUE, "DIR", "the raw data", 1},
	{'l', "labels_path", OPT_VALUE, "DIR", "the raw labels", 1},
	{'m', "metadata_path", OPT_VALUE, "DIR", "Metadata folder location (with "
	 "--submit-as-prepared)", 0},
	{0, "name", OPT_VALUE, "NAME", "name of the dataset", 1},
	{0, "description", OPT_VALUE, "TEXT", "description of the dataset", 0},
	{0, "location", OPT_VALUE, "TEXT", "where the data is (an institution, say)", 0},
	{0, "submit-as-prepared", OPT_FLAG, NULL, "the data is prepared already", 0},
	{'y', "yes", OPT_FLAG, NULL, "do not ask for confirmation", 0},
	{0, "json", OPT_FLAG, NULL, "print the registered dataset as JSON", 0},
	END,
};
static const struct opt uid_opts[] = {
	{'d', "data_uid", OPT_INT, "ID", "the dataset", 1},
	{'y', "yes", OPT_FLAG, NULL, "do not ask for confirmation (prepare: send progress "
	 "summaries)", 0},
	END,
};
static const struct opt setop_opts[] = {
	{'d', "data_uid", OPT_INT, "ID", "the dataset", 1},
	{'y', "yes", OPT_FLAG, NULL, "do not ask for confirmation", 0},
	{0, "json", OPT_FLAG, NULL, "print the updated dataset as JSON", 0},
	END,
};
static const struct opt check_opts[] = {
	{'d', "data_uid", OPT_INT, "ID", "the dataset", 1},
	END,
};
static const struct opt assoc_opts[] = {
	{'d', "data_uid", OPT_INT, "ID", "the dataset", 1},
	{'b', "benchmark_uid", OPT_INT, "ID", "the benchmark", 1},
	{'y', "yes", OPT_FLAG, NULL, "do not ask for confirmation", 0},
	{0, "no-cache", OPT_FLAG, NULL, "run the reference model again even if it ran", 0},
	{0, "json", OPT_FLAG, NULL, "print the association as JSON", 0},
	END,
};
static const struct opt export_opts[] = {
	{'d', "data_uid", OPT_INT, "ID", "the dataset", 1},
	{'o', "output", OPT_VALUE, "DIR", "the folder where <ID>.gz is written", 1},
	END,
};
static const struct opt import_opts[] = {
	{'d', "data_uid", OPT_INT, "ID", "the dataset", 1},
	{'i', "input", OPT_VALUE, "FILE", "the archive written by 'dataset export'", 1},
	{0, "raw_dataset_path", OPT_VALUE, "DIR", "where the raw data goes (a dataset in "
	 "DEVELOPMENT; must not exist)", 0},
	END,
};

static const struct cmd dataset_cmds[] = {
	{"ls", ls, ls_opts, CMD_SERVER | CMD_LOGIN, "list datasets", NULL},
	{"view", view, view_opts, CMD_SERVER | CMD_LOGIN, "show datasets in detail", NULL},
	{"submit", submit, submit_opts, CMD_SERVER | CMD_LOGIN, "register a dataset",
	 "Hashes the raw data and labels (MedPerf's folder hash) and registers the dataset\n"
	 "with its preparation container. Only hashes and the names you give are sent."},
	{"prepare", prepare, uid_opts, CMD_SERVER | CMD_LOGIN, "prepare a registered dataset",
	 "Runs the preparation container's prepare, sanity_check and statistics tasks on\n"
	 "the raw data, locally. The server hears whether preparation started, runs,\n"
	 "finished or failed; progress summaries only if you agree (-y agrees)."},
	{"set_operational", set_operational, setop_opts, CMD_SERVER | CMD_LOGIN, "register a "
	 "prepared dataset's hashes and statistics",
	 "Hashes the raw and the prepared data again and sends the hashes and the\n"
	 "statistics (shown first) with state OPERATION."},
	{"check", check, check_opts, CMD_SERVER | CMD_LOGIN, "check that a dataset is still as "
	 "registered", "Hashes the raw and the prepared data and compares them with the\n"
	 "registered hashes. Exit status 6 when something changed."},
	{"associate", associate, assoc_opts, CMD_SERVER | CMD_LOGIN, "ask a benchmark to take "
	 "a dataset", "Runs the benchmark's reference model on the dataset (unless the benchmark\n"
	 "skips compatibility tests) and sends its metrics with the request."},
	{"export", export_cmd, export_opts, CMD_SERVER | CMD_LOGIN, "pack a dataset's local copy "
	 "into DIR/<ID>.gz", NULL},
	{"import", import_cmd, import_opts, CMD_SERVER | CMD_LOGIN, "unpack a dataset exported on "
	 "another machine", NULL},
	{NULL, NULL, NULL, 0, NULL, NULL},
};

const struct group group_dataset = {"dataset", NULL, dataset_cmds,
	"datasets: list, view, register, prepare, check, associate, export"};
