/*
 * cmd_dataset.c: `medperf dataset ls|view|submit`. submit hashes the raw
 * data and labels as MedPerf does (the folder hash, reference 2.5), keeps a
 * local record (registration-info.yaml, raw.yaml) and registers the dataset
 * in DEVELOPMENT. Preparing it runs containers: that comes with the runner.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/entity.h"
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

/* Copies the tree src into dst (created). */
static int copy_tree(const char *src, const char *dst)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (mkdirs(dst, 0700) != 0)
		return -1;
	d = opendir(src);
	if (d == NULL)
		return -1;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char s[PATH_MAX], t[PATH_MAX];
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(s, sizeof(s), "%s/%s", src, de->d_name) >= sizeof(s) ||
		    (size_t)snprintf(t, sizeof(t), "%s/%s", dst, de->d_name) >= sizeof(t) ||
		    stat(s, &st) != 0) {
			rc = -1;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			rc = copy_tree(s, t);
		} else if (S_ISREG(st.st_mode)) {
			int in = open(s, O_RDONLY | O_CLOEXEC), out;
			char b[65536];
			ssize_t n = 0;
			out = in < 0 ? -1 : open(t, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			while (out >= 0 && (n = read(in, b, sizeof(b))) > 0)
				if (write(out, b, (size_t)n) != n) {
					rc = -1;
					break;
				}
			if (in < 0 || out < 0 || n < 0)
				rc = -1;
			if (in >= 0)
				close(in);
			if (out >= 0 && close(out) != 0)
				rc = -1;
		}
	}
	closedir(d);
	return rc;
}

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
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
	if (!is_dir(absd))
		return fail(EXIT_FAIL, "--data_path: '%s' is not a folder", data);
	if (!is_dir(absl))
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
		if (copy_tree(absd, t) != 0)
			rc = fail(EXIT_FAIL, "cannot copy the data into '%s'", t);
		snprintf(t, sizeof(t), "%s/labels", dir);
		if (rc == EXIT_OK && copy_tree(absl, t) != 0)
			rc = fail(EXIT_FAIL, "cannot copy the labels into '%s'", t);
		snprintf(t, sizeof(t), "%s/metadata", dir);
		if (rc == EXIT_OK && (meta ? copy_tree(absm, t) : mkdirs(t, 0700)) != 0)
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

static int not_yet(struct ctx *c, struct args *a)
{
	(void)a;
	return fail(EXIT_FAIL, "'medperf %s' runs the data preparation container, which needs "
		    "the container runner: this version of medperf does not have it yet",
		    c->cmdname);
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
	{'y', "yes", OPT_FLAG, NULL, "do not ask for confirmation", 0},
	END,
};

static const struct cmd dataset_cmds[] = {
	{"ls", ls, ls_opts, CMD_SERVER | CMD_LOGIN, "list datasets", NULL},
	{"view", view, view_opts, CMD_SERVER | CMD_LOGIN, "show datasets in detail", NULL},
	{"submit", submit, submit_opts, CMD_SERVER | CMD_LOGIN, "register a dataset",
	 "Hashes the raw data and labels (MedPerf's folder hash) and registers the dataset\n"
	 "with its preparation container. Only hashes and the names you give are sent."},
	{"prepare", not_yet, uid_opts, 0, "prepare a registered dataset (needs the runner)", NULL},
	{"set_operational", not_yet, uid_opts, 0, "mark a prepared dataset operational (needs "
	 "the runner)", NULL},
	{NULL, NULL, NULL, 0, NULL, NULL},
};

const struct group group_dataset = {"dataset", NULL, dataset_cmds,
	"datasets: list, view, register"};
