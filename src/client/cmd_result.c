/*
 * cmd_result.c: `medperf result ls|view`: results of runs. Data owners see
 * their own (GET /me/results/), benchmark owners those of their benchmark
 * (-b). Creating and submitting results runs containers: that comes with the
 * runner.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/entity.h"

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
		if (arg(c, a, "model") &&
		    json_integer_value(json_object_get(it, "model")) != arg_int(c, a, "model"))
			continue;
		if (arg(c, a, "dataset") &&
		    json_integer_value(json_object_get(it, "dataset")) != arg_int(c, a, "dataset"))
			continue;
		if (!c->json) {
			/* Executed: the local flag a run leaves (executions/<srv>/<id>/.executed) */
			char id[32], *dir, flag[4200];
			snprintf(id, sizeof(id), "%lld",
				 (long long)json_integer_value(json_object_get(it, "id")));
			dir = storage_entity_dir(c, kind_result.local_kind, id);
			snprintf(flag, sizeof(flag), "%s/.executed", dir ? dir : "");
			json_object_set_new(it, "executed", json_boolean(dir && access(flag, F_OK) == 0));
			free(dir);
		}
		json_array_append(out, it);
	}
	entity_print_list(c, &kind_result, out);
	json_decref(out);
	json_decref(items);
	return EXIT_OK;
}

static int view(struct ctx *c, struct args *a)
{
	return entity_view(c, &kind_result, a);
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

static const struct cmd result_cmds[] = {
	{"ls", ls, ls_opts, CMD_SERVER | CMD_LOGIN, "list results", NULL},
	{"view", view, view_opts, CMD_SERVER | CMD_LOGIN, "show results in detail", NULL},
	{NULL, NULL, NULL, 0, NULL, NULL},
};

const struct group group_result = {"result", NULL, result_cmds, "results of runs: list, view"};
