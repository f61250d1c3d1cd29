/*
 * cmd_test.c: `medperf test run|ls|view`: the compatibility test (flow H',
 * compat.c) of a data preparation container, a model and an evaluator on
 * demo data or on a prepared dataset of this site, and the test reports
 * kept in tests/<srv>/<id>/test_report.yaml. Nothing is sent to the server.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "client/compat.h"
#include "client/entity.h"
#include "client/tree.h"
#include "core/yaml.h"

static int run(struct ctx *c, struct args *a)
{
	struct compat_request req;
	struct compat_result res;
	json_t *bench = NULL;
	int rc = EXIT_OK;

	memset(&req, 0, sizeof(req));
	if (arg(c, a, "benchmark"))
		rc = entity_get(c, &kind_benchmark, arg_int(c, a, "benchmark"), &bench);
	if (rc)
		return rc;
	req.bench = bench;
	req.prep = arg(c, a, "data_preparation");
	req.model = arg(c, a, "model");
	req.evaluator = arg(c, a, "evaluator");
	req.demo_url = arg(c, a, "demo_dataset_url");
	req.demo_hash = arg(c, a, "demo_dataset_hash");
	req.data_uid = arg(c, a, "data_uid") ? arg_int(c, a, "data_uid") : 0;
	req.demo_prepared = arg_flag(c, a, "skip-demo-data-preparation");
	req.no_cache = arg_flag(c, a, "no-cache");
	if (req.demo_hash && req.demo_url == NULL)
		rc = fail(EXIT_USAGE, "--demo_dataset_hash goes with --demo_dataset_url");
	if (rc == EXIT_OK)
		rc = compat_run(c, &req, &res);
	if (rc == EXIT_OK) {
		if (c->json) {
			print_json(res.report);
		} else {
			print_yaml(res.results);
			done_msg(c, "Compatibility test %s%s (report %s)", res.cached ? "results from "
				 "an earlier identical run" : "passed", "", res.id);
		}
	}
	compat_result_release(&res);
	json_decref(bench);
	return rc;
}

/* Every report: [{id, report}]. */
static json_t *all_reports(struct ctx *c)
{
	char *dir = storage_entity_dir(c, "tests", "");
	json_t *out = json_array();
	struct dirent *de;
	DIR *d = dir ? opendir(dir) : NULL;

	while (d && (de = readdir(d)) != NULL) {
		char *sub, *file;
		json_t *v = NULL;
		mp_errbuf e;
		if (de->d_name[0] == '.')
			continue;
		sub = path_join(dir, de->d_name);
		file = sub ? path_join(sub, "test_report.yaml") : NULL;
		if (file && yaml_load_file(file, 16 << 20, &v, NULL, &e) == 0 && json_is_object(v)) {
			json_object_set_new(v, "id", json_string(de->d_name));
			json_array_append(out, v);
		}
		json_decref(v);
		free(sub);
		free(file);
	}
	if (d)
		closedir(d);
	free(dir);
	return out;
}

static const struct column test_cols[] = {
	{"ID", "id", COL_TEXT},
	{"Data Preparation", "data_preparation_mlcube", COL_TEXT},
	{"Model", "model", COL_TEXT},
	{"Evaluator", "data_evaluator_mlcube", COL_TEXT},
	{"Prepared Data", "prepared_data_hash", COL_TEXT},
	{"Results", "results", COL_DICT},
	{NULL, NULL, 0},
};
static const struct entity_kind kind_test = {"test", "", "", "tests", "test_report.yaml",
	test_cols, 0};

static int ls(struct ctx *c, struct args *a)
{
	json_t *all = all_reports(c);

	(void)a;
	entity_print_list(c, &kind_test, all);
	json_decref(all);
	return EXIT_OK;
}

static int view(struct ctx *c, struct args *a)
{
	const char *id = arg(c, a, "id"), *fmt = arg(c, a, "format");
	json_t *all = all_reports(c), *it, *found = NULL;
	size_t i, n = 0;
	int rc = EXIT_OK;

	if (fmt && strcmp(fmt, "yaml") && strcmp(fmt, "json")) {
		json_decref(all);
		return fail(EXIT_USAGE, "--format must be yaml or json, not '%s'", fmt);
	}
	json_array_foreach(all, i, it)
		if (strncmp(profile_str(it, "id"), id, strlen(id)) == 0) {
			found = it;
			n++;
		}
	if (n == 0)
		rc = fail(EXIT_FAIL, "there is no test report '%s' on this machine (see 'medperf test "
			  "ls')", id);
	else if (n > 1)
		rc = fail(EXIT_USAGE, "'%s' names %zu test reports: give more of the id", id, n);
	else if (c->json || (fmt && strcmp(fmt, "json") == 0))
		print_json(found);
	else
		print_yaml(found);
	json_decref(all);
	return rc;
}

#define END {0, NULL, 0, NULL, NULL, 0}
static const struct opt run_opts[] = {
	{'b', "benchmark", OPT_INT, "ID", "the benchmark whose parts and demo data are the "
	 "defaults", 0},
	{'d', "data_uid", OPT_INT, "ID", "a prepared dataset of this site instead of the demo "
	 "data", 0},
	{'p', "data_preparation", OPT_VALUE, "ID|FILE", "the data preparation container: an id, "
	 "or a local container_config.yaml", 0},
	{'m', "model", OPT_VALUE, "ID|FILE", "the model: a model id, or a local "
	 "container_config.yaml", 0},
	{'e', "evaluator", OPT_VALUE, "ID|FILE", "the evaluator container: an id, or a local "
	 "container_config.yaml", 0},
	{0, "demo_dataset_url", OPT_VALUE, "URL", "the demo data tarball (URL, direct:URL or a "
	 "local file)", 0},
	{0, "demo_dataset_hash", OPT_VALUE, "SHA256", "the demo tarball's SHA-256", 0},
	{0, "skip-demo-data-preparation", OPT_FLAG, NULL, "the demo data is prepared already", 0},
	{0, "no-cache", OPT_FLAG, NULL, "run even if the same test ran before", 0},
	{0, "json", OPT_FLAG, NULL, "print the test report as JSON", 0},
	END,
};
static const struct opt ls_opts[] = {
	{0, "json", OPT_FLAG, NULL, "print JSON instead of a table", 0},
	END,
};
static const struct opt view_opts[] = {
	{0, "id", OPT_POS, "REPORT", "the test report (its id, or the beginning of it)", 1},
	{'f', "format", OPT_VALUE, "yaml|json", "output format (default yaml)", 0},
	{0, "json", OPT_FLAG, NULL, "same as --format json", 0},
	END,
};

static const struct cmd test_cmds[] = {
	{"run", run, run_opts, CMD_SERVER | CMD_LOGIN, "run a compatibility test",
	 "Prepares the demo data (or takes a prepared dataset) and runs the model and the\n"
	 "evaluator on it, here: whether a model fits a benchmark. Nothing is sent. The\n"
	 "report is kept and reused for the same parts and data unless --no-cache."},
	{"ls", ls, ls_opts, 0, "list the test reports on this machine", NULL},
	{"view", view, view_opts, 0, "show a test report", NULL},
	{NULL, NULL, NULL, 0, NULL, NULL},
};

const struct group group_test = {"test", NULL, test_cmds,
	"compatibility tests: run, list and view their reports"};
