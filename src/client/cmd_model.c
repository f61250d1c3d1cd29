/*
 * cmd_model.c: `medperf model ls|view|submit|associate`. A model is a
 * container with an `infer` task (the container options) or a file asset
 * (--asset-path: hashed here and kept local; --asset-url: downloaded and
 * hashed). associate asks a benchmark to take the model, after running the
 * compatibility test of the model with the benchmark's parts on its demo
 * data (compat.c) unless the benchmark skips it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client/compat.h"
#include "client/entity.h"
#include "client/fetch.h"

static const struct column model_cols[] = {
	{"UID", "id", COL_INT},
	{"Name", "name", COL_TEXT},
	{"Type", "type", COL_TEXT},
	{"State", "state", COL_TEXT},
	{"Registered", "id", COL_REGISTERED},
	{NULL, NULL, 0},
};

const struct entity_kind kind_model = {"model", "/models/", "/me/models/", "models",
	"model-info.yaml", model_cols, 0};

static int ls(struct ctx *c, struct args *a)
{
	struct buf path;
	int rc;

	buf_init(&path, 8192);
	buf_adds(&path, arg_flag(c, a, "mine") ? kind_model.me_path : kind_model.path);
	query_add(&path, "is_valid", "True");
	if (arg(c, a, "type"))
		query_add(&path, "type", arg(c, a, "type"));
	rc = entity_ls(c, &kind_model, path.data);
	buf_release(&path);
	return rc;
}

static int view(struct ctx *c, struct args *a)
{
	return entity_view(c, &kind_model, a);
}

static int submit_asset(struct ctx *c, struct args *a)
{
	const char *apath = arg(c, a, "asset-path"), *aurl = arg(c, a, "asset-url");
	struct comms_result r = {0};
	char hash[HASH_HEX];
	json_t *body;
	int rc;

	rc = fetch_resource(c, "the asset", apath ? apath : aurl, NULL, hash, NULL);
	if (rc)
		return rc;
	body = json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s}}",
		"name", arg(c, a, "name"), "type", "ASSET",
		"state", arg_flag(c, a, "operational") ? "OPERATION" : "DEVELOPMENT",
		"asset", "name", arg(c, a, "name"), "asset_hash", hash,
		"asset_url", apath ? "local" : aurl,
		"state", arg_flag(c, a, "operational") ? "OPERATION" : "DEVELOPMENT");
	rc = confirm_send(c, apath ? "The model to register (the asset file stays on this "
				     "machine)" : "The model to register", body);
	if (rc == EXIT_OK && comms_request(c->comms, "POST", "/models/", body, &r) != 0)
		rc = fail_comms(&r);
	if (rc == EXIT_OK) {
		entity_save_local(c, &kind_model, r.body);
		if (c->json)
			print_json(r.body);
		done_msg(c, "Registered model %lld '%s' (asset %s)",
			 (long long)json_integer_value(json_object_get(r.body, "id")),
			 json_string_value(json_object_get(r.body, "name")), hash);
	}
	comms_result_release(&r);
	json_decref(body);
	return rc;
}

static int submit(struct ctx *c, struct args *a)
{
	int has_cfg = arg(c, a, "container-config-file") != NULL;
	int nsrc = has_cfg + (arg(c, a, "asset-path") != NULL) + (arg(c, a, "asset-url") != NULL);
	json_t *body;
	int is_model = 0, rc;

	if (nsrc != 1)
		return fail(EXIT_USAGE, "give exactly one of --container-config-file, --asset-path "
			    "and --asset-url");
	if (!has_cfg)
		return submit_asset(c, a);
	rc = container_body(c, a, &body, &is_model);
	if (rc)
		return rc;
	if (!is_model)
		rc = fail(EXIT_USAGE, "%s has no 'infer' task, so it is not a model (register it with "
			  "'medperf container submit')", arg(c, a, "container-config-file"));
	else
		rc = container_register(c, a, body, 1);
	json_decref(body);
	return rc;
}

static int associate(struct ctx *c, struct args *a)
{
	json_t *bench = NULL, *body, *results = NULL;
	struct comms_result r = {0};
	int64_t bid = arg_int(c, a, "benchmark"), mid = arg_int(c, a, "model_uid");
	struct compat_result test;
	int rc;

	memset(&test, 0, sizeof(test));
	rc = entity_get(c, &kind_benchmark, bid, &bench);
	if (rc)
		return rc;
	if (json_is_true(json_object_get(json_object_get(bench, "metadata"),
					 "skip_compatibility_tests"))) {
		results = json_object();
	} else if (strcmp(profile_str(bench, "approval_status"), "APPROVED") != 0) {
		/* the server would refuse the request: do not run the test for nothing */
		rc = fail(EXIT_SERVER, "Association requests can be made only on an approved "
			  "benchmark (benchmark %lld is %s)", (long long)bid,
			  profile_str(bench, "approval_status"));
	} else {
		struct compat_request req;
		char m[32];
		snprintf(m, sizeof(m), "%lld", (long long)mid);
		memset(&req, 0, sizeof(req));
		req.bench = bench;
		req.model = m;
		req.no_cache = arg_flag(c, a, "no-cache");
		note("Running the compatibility test of model %lld with benchmark %lld on its demo "
		     "data...", (long long)mid, (long long)bid);
		rc = compat_run(c, &req, &test);
		if (rc == EXIT_OK)
			results = json_incref(test.results);
	}
	json_decref(bench);
	if (rc) {
		compat_result_release(&test);
		return rc;
	}
	body = json_pack("{s:I,s:I,s:s,s:{s:O}}", "model", (json_int_t)mid, "benchmark",
			 (json_int_t)bid, "approval_status", "PENDING", "metadata", "test_result",
			 results);
	rc = confirm_send(c, "The association request", body);
	if (rc == EXIT_OK && comms_request(c->comms, "POST", "/models/benchmarks/", body, &r) != 0)
		rc = fail_comms(&r);
	if (rc == EXIT_OK) {
		if (c->json)
			print_json(r.body);
		done_msg(c, "Asked benchmark %lld to take model %lld: %s", (long long)bid,
			 (long long)mid, json_string_value(json_object_get(r.body, "approval_status")));
	}
	comms_result_release(&r);
	compat_result_release(&test);
	json_decref(results);
	json_decref(body);
	return rc;
}

#define END {0, NULL, 0, NULL, NULL, 0}
static const struct opt ls_opts[] = {
	{0, "mine", OPT_FLAG, NULL, "only the models I own", 0},
	{0, "type", OPT_VALUE, "TYPE", "CONTAINER or ASSET", 0},
	{0, "json", OPT_FLAG, NULL, "print JSON instead of a table", 0},
	END,
};
static const struct opt view_opts[] = {
	{0, "id", OPT_POS, "ID", "the model (default: all)", 0},
	{'f', "format", OPT_VALUE, "yaml|json", "output format (default yaml)", 0},
	{0, "mine", OPT_FLAG, NULL, "without ID: only mine", 0},
	{'o', "output", OPT_VALUE, "FILE", "write to FILE instead of the screen", 0},
	{0, "json", OPT_FLAG, NULL, "same as --format json", 0},
	END,
};
static const struct opt submit_opts[] = {
	{'n', "name", OPT_VALUE, "NAME", "name of the model", 1},
	CONTAINER_OPTS(0),
	{0, "asset-path", OPT_VALUE, "FILE", "a model file that stays on this machine", 0},
	{0, "asset-url", OPT_VALUE, "URL", "a model file to download", 0},
	{'y', "yes", OPT_FLAG, NULL, "do not ask for confirmation", 0},
	{0, "json", OPT_FLAG, NULL, "print what was registered as JSON", 0},
	END,
};
static const struct opt assoc_opts[] = {
	{'b', "benchmark", OPT_INT, "ID", "the benchmark", 1},
	{'m', "model_uid", OPT_INT, "ID", "the model", 1},
	{'y', "yes", OPT_FLAG, NULL, "do not ask for confirmation", 0},
	{0, "no-cache", OPT_FLAG, NULL, "run the compatibility test even if it ran before", 0},
	{0, "json", OPT_FLAG, NULL, "print the association as JSON", 0},
	END,
};

static const struct cmd model_cmds[] = {
	{"ls", ls, ls_opts, CMD_SERVER | CMD_LOGIN, "list models", NULL},
	{"view", view, view_opts, CMD_SERVER | CMD_LOGIN, "show models in detail", NULL},
	{"submit", submit, submit_opts, CMD_SERVER | CMD_LOGIN, "register a model",
	 "A model is a container with an 'infer' task (the container options, as for\n"
	 "'medperf container submit'), or a file: --asset-path (hashed here, never\n"
	 "uploaded) or --asset-url (downloaded and hashed)."},
	{"associate", associate, assoc_opts, CMD_SERVER | CMD_LOGIN, "ask a benchmark to take "
	 "a model", "Runs the model with the benchmark's parts on its demo data, here (unless the\n"
	 "benchmark skips compatibility tests), and sends the metrics with the request."},
	{NULL, NULL, NULL, 0, NULL, NULL},
};

const struct group group_model = {"model", NULL, model_cmds, "models: list, view, register, "
	"associate with benchmarks"};
