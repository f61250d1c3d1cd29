/*
 * cmd_association.c: `medperf association ls|approve|reject|set_priority`:
 * the requests between benchmarks and datasets or models. Lists show the
 * latest request of each pair (the one that counts).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/entity.h"

/* The latest row of each (component, benchmark) pair, by created_at. */
static json_t *latest_rows(json_t *rows, const char *comp)
{
	json_t *out = json_array(), *r;
	size_t i, j;

	json_array_foreach(rows, i, r) {
		int latest = 1;
		for (j = 0; j < json_array_size(rows) && latest; j++) {
			json_t *o = json_array_get(rows, j);
			int cmp;
			if (o == r || json_integer_value(json_object_get(o, comp)) !=
					      json_integer_value(json_object_get(r, comp)) ||
			    json_integer_value(json_object_get(o, "benchmark")) !=
				    json_integer_value(json_object_get(r, "benchmark")))
				continue;
			cmp = strcmp(profile_str(o, "created_at"), profile_str(r, "created_at"));
			if (cmp > 0 || (cmp == 0 && json_integer_value(json_object_get(o, "id")) >
							 json_integer_value(json_object_get(r, "id"))))
				latest = 0;
		}
		if (latest)
			json_array_append(out, r);
	}
	return out;
}

/* MedPerf's checks of the association flags (association/utils.py), in its order. */
static int check_flags(struct ctx *c, struct args *a, int ids)
{
	int b = ids ? arg(c, a, "benchmark") != NULL : arg_flag(c, a, "benchmark");
	int t = ids ? arg(c, a, "training_exp") != NULL : arg_flag(c, a, "training_exp");
	int d = ids ? arg(c, a, "dataset") != NULL : arg_flag(c, a, "dataset");
	int m = ids ? arg(c, a, "model") != NULL : arg_flag(c, a, "model");

	if (b == t)
		return fail(EXIT_USAGE, "One training experiment or a benchmark flag must be "
			    "provided");
	if (d == m)
		return fail(EXIT_USAGE, "One dataset or model flag must be provided");
	if (t && m)
		return fail(EXIT_USAGE, "Invalid combination of arguments. There are no "
			    "associations between training experiments and models");
	if (t)
		return fail(EXIT_FAIL, "training experiments are not supported by this version of "
			    "medperf");
	return EXIT_OK;
}

static int ls(struct ctx *c, struct args *a)
{
	const char *status = arg(c, a, "approval-status");
	int model = arg_flag(c, a, "model");
	const char *comp = model ? "model" : "dataset";
	struct comms_result r;
	json_t *rows, *latest, *out, *row;
	size_t i;
	int rc;

	if (status && strcasecmp(status, "pending") && strcasecmp(status, "approved") &&
	    strcasecmp(status, "rejected"))
		return fail(EXIT_USAGE, "If provided, approval status must be one of pending, "
			    "approved, or rejected");
	rc = check_flags(c, a, 0);
	if (rc)
		return rc;
	if (comms_list_all(c->comms, model ? "/me/models/associations/"
					   : "/me/datasets/associations/", &rows, &r) != 0) {
		rc = fail_comms(&r);
		comms_result_release(&r);
		return rc;
	}
	comms_result_release(&r);
	latest = latest_rows(rows, comp);
	out = json_array();
	json_array_foreach(latest, i, row) {
		if (status && strcasecmp(status, profile_str(row, "approval_status")))
			continue;
		json_array_append(out, row);
	}
	if (c->json) {
		print_json(out);
	} else {
		const char *head[] = {model ? "Model UID" : "Dataset UID", "Benchmark UID",
				      "Initiated by", "Status"};
		struct table *t = table_new(head, 4);
		json_array_foreach(out, i, row) {
			char cu[24], bu[24], who[24];
			const char *cells[4] = {cu, bu, who, profile_str(row, "approval_status")};
			snprintf(cu, sizeof(cu), "%lld",
				 (long long)json_integer_value(json_object_get(row, comp)));
			snprintf(bu, sizeof(bu), "%lld",
				 (long long)json_integer_value(json_object_get(row, "benchmark")));
			snprintf(who, sizeof(who), "%lld",
				 (long long)json_integer_value(json_object_get(row, "initiated_by")));
			table_add(t, cells);
		}
		table_print(c, t);
		table_free(t);
	}
	json_decref(out);
	json_decref(latest);
	json_decref(rows);
	return EXIT_OK;
}

/* PUT on the latest request of a pair. */
static int put_pair(struct ctx *c, struct args *a, json_t *body, const char *done_what)
{
	struct comms_result r = {0};
	char path[128];
	int rc = EXIT_OK;

	rc = check_flags(c, a, 1);
	if (rc) {
		json_decref(body);
		return rc;
	}
	snprintf(path, sizeof(path), "The change to the association of %s %lld and benchmark %lld",
		 arg(c, a, "dataset") ? "dataset" : "model",
		 (long long)arg_int(c, a, arg(c, a, "dataset") ? "dataset" : "model"),
		 (long long)arg_int(c, a, "benchmark"));
	rc = confirm_send(c, path, body);
	if (rc) {
		json_decref(body);
		return rc;
	}
	snprintf(path, sizeof(path), "/%s/%lld/benchmarks/%lld/",
		 arg(c, a, "dataset") ? "datasets" : "models",
		 (long long)arg_int(c, a, arg(c, a, "dataset") ? "dataset" : "model"),
		 (long long)arg_int(c, a, "benchmark"));
	if (comms_request(c->comms, "PUT", path, body, &r) != 0)
		rc = fail_comms(&r);
	else
		done_msg(c, "%s: %s %lld and benchmark %lld", done_what,
			 arg(c, a, "dataset") ? "dataset" : "model",
			 (long long)arg_int(c, a, arg(c, a, "dataset") ? "dataset" : "model"),
			 (long long)arg_int(c, a, "benchmark"));
	comms_result_release(&r);
	json_decref(body);
	return rc;
}

static int approve(struct ctx *c, struct args *a)
{
	return put_pair(c, a, json_pack("{s:s}", "approval_status", "APPROVED"), "Approved");
}

static int reject(struct ctx *c, struct args *a)
{
	return put_pair(c, a, json_pack("{s:s}", "approval_status", "REJECTED"), "Rejected");
}

static int set_priority(struct ctx *c, struct args *a)
{
	struct comms_result r;
	json_t *rows, *latest, *row;
	char path[96];
	size_t i;
	int found = 0, rc;

	/* MedPerf first checks that the model is approved in the benchmark */
	snprintf(path, sizeof(path), "/benchmarks/%lld/models/", (long long)arg_int(c, a, "benchmark"));
	if (comms_list_all(c->comms, path, &rows, &r) != 0) {
		rc = fail_comms(&r);
		comms_result_release(&r);
		return rc;
	}
	comms_result_release(&r);
	/* rows are {model, approval_status, created_at}: the latest per model decides */
	json_array_foreach(rows, i, row)
		json_object_set_new(row, "benchmark", json_integer(arg_int(c, a, "benchmark")));
	latest = latest_rows(rows, "model");
	json_array_foreach(latest, i, row)
		if (json_integer_value(json_object_get(row, "model")) == arg_int(c, a, "model") &&
		    strcmp(profile_str(row, "approval_status"), "APPROVED") == 0)
			found = 1;
	json_decref(latest);
	json_decref(rows);
	if (!found)
		return fail(EXIT_FAIL, "The given model doesn't exist or is not associated with the "
			    "benchmark");
	return put_pair(c, a, json_pack("{s:I}", "priority", (json_int_t)arg_int(c, a, "priority")),
			"Priority set");
}

#define END {0, NULL, 0, NULL, NULL, 0}
static const struct opt ls_opts[] = {
	{'b', "benchmark", OPT_FLAG, NULL, "list benchmark associations", 0},
	{'t', "training_exp", OPT_FLAG, NULL, "list training associations (not supported yet)", 0},
	{'d', "dataset", OPT_FLAG, NULL, "list dataset associations", 0},
	{'m', "model", OPT_FLAG, NULL, "list models associations", 0},
	{0, "approval-status", OPT_VALUE, "STATUS", "Approval status: pending, approved or "
	 "rejected", 0},
	{0, "json", OPT_FLAG, NULL, "print JSON instead of a table", 0},
	END,
};
static const struct opt decide_opts[] = {
	{'b', "benchmark", OPT_INT, "ID", "Benchmark UID", 0},
	{'t', "training_exp", OPT_INT, "ID", "Training exp UID (not supported yet)", 0},
	{'d', "dataset", OPT_INT, "ID", "Dataset UID", 0},
	{'m', "model", OPT_INT, "ID", "Model container UID", 0},
	{'y', "yes", OPT_FLAG, NULL, "do not ask for confirmation", 0},
	END,
};
static const struct opt prio_opts[] = {
	{'b', "benchmark", OPT_INT, "ID", "Benchmark UID", 1},
	{'m', "model", OPT_INT, "ID", "Model container UID", 1},
	{'p', "priority", OPT_INT, "N", "Priority, an integer (higher runs first)", 1},
	{'y', "yes", OPT_FLAG, NULL, "do not ask for confirmation", 0},
	END,
};

static const struct cmd assoc_cmds[] = {
	{"ls", ls, ls_opts, CMD_SERVER | CMD_LOGIN, "list the association requests I am part of",
	 NULL},
	{"approve", approve, decide_opts, CMD_SERVER | CMD_LOGIN, "approve a pending request",
	 NULL},
	{"reject", reject, decide_opts, CMD_SERVER | CMD_LOGIN, "reject a request (or withdraw "
	 "my own)", NULL},
	{"set_priority", set_priority, prio_opts, CMD_SERVER | CMD_LOGIN, "set a model's "
	 "priority in a benchmark (benchmark owners)", NULL},
	{NULL, NULL, NULL, 0, NULL, NULL},
};

const struct group group_association = {"association", NULL, assoc_cmds,
	"association requests between benchmarks and datasets or models"};
