/*
 * cmd_benchmark.c: `medperf benchmark ls|view|submit|update_associations_policy|
 * approve|reject|run`. approve/reject are for platform admins (MedPerf has
 * no command for it). submit runs the compatibility test of the three parts
 * on the demo data first (flow C, compat.c) unless told to skip it; run
 * runs every model of the benchmark on a dataset of this site (flow I,
 * runs.c).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client/compat.h"
#include "client/entity.h"
#include "client/runs.h"
#include "core/pkey.h"

static const struct column bench_cols[] = {
	{"UID", "id", COL_INT},
	{"Name", "name", COL_TEXT},
	{"Description", "description", COL_TEXT},
	{"Data Preparation Container", "data_preparation_mlcube", COL_INT},
	{"State", "state", COL_TEXT},
	{"Approval Status", "approval_status", COL_TEXT},
	{"Registered", "id", COL_REGISTERED},
	{NULL, NULL, 0},
};

const struct entity_kind kind_benchmark = {"benchmark", "/benchmarks/", "/me/benchmarks/",
	"benchmarks", "benchmark.yaml", bench_cols, 0};

static int ls(struct ctx *c, struct args *a)
{
	struct buf path;
	int rc;

	buf_init(&path, 8192);
	buf_adds(&path, arg_flag(c, a, "mine") ? "/me/benchmarks/" : "/benchmarks/");
	query_add(&path, "is_valid", arg_flag(c, a, "invalid") ? "False" : "True");
	if (arg(c, a, "name"))
		query_add(&path, "name", arg(c, a, "name"));
	if (arg(c, a, "owner"))
		query_add(&path, "owner", arg(c, a, "owner"));
	if (arg(c, a, "state"))
		query_add(&path, "state", arg(c, a, "state"));
	if (arg_flag(c, a, "active") || arg_flag(c, a, "inactive"))
		query_add(&path, "is_active", arg_flag(c, a, "active") ? "True" : "False");
	if (arg(c, a, "data-preparation-container"))
		query_add(&path, "data_preparation_mlcube", arg(c, a, "data-preparation-container"));
	if (arg_flag(c, a, "valid") && arg_flag(c, a, "invalid"))
		rc = fail(EXIT_USAGE, "--valid and --invalid exclude each other");
	else if (arg_flag(c, a, "active") && arg_flag(c, a, "inactive"))
		rc = fail(EXIT_USAGE, "--active and --inactive exclude each other");
	else
		rc = entity_ls(c, &kind_benchmark, path.data);
	buf_release(&path);
	return rc;
}

static int view(struct ctx *c, struct args *a)
{
	return entity_view(c, &kind_benchmark, a);
}

static int submit(struct ctx *c, struct args *a)
{
	const char *demo_url = arg(c, a, "demo-url"), *demo_hash = arg(c, a, "demo-hash");
	int skip = arg_flag(c, a, "skip-compatibility-tests");
	struct comms_result r = {0};
	struct compat_result test;
	json_t *body, *md;
	int rc = EXIT_OK;

	memset(&test, 0, sizeof(test));
	if (!skip) {
		struct compat_request req;
		if (demo_url == NULL)
			return fail(EXIT_USAGE, "--demo-url is needed: the compatibility test runs the "
				    "three parts on the demo data (or give --skip-compatibility-tests)");
		memset(&req, 0, sizeof(req));
		req.prep = arg(c, a, "data-preparation-container");
		req.model = arg(c, a, "reference-model");
		req.evaluator = arg(c, a, "evaluator-container");
		req.demo_url = demo_url;
		req.demo_hash = demo_hash;
		req.demo_prepared = arg_flag(c, a, "skip-demo-data-preparation");
		note("Running the compatibility test of the benchmark's parts on the demo data...");
		rc = compat_run(c, &req, &test);
		if (rc)
			return rc;
	}
	md = json_pack("{s:b,s:b,s:O}", "demo_dataset_already_prepared",
		       arg_flag(c, a, "skip-demo-data-preparation"), "skip_compatibility_tests", skip,
		       "results", skip ? json_object() : test.results);
	if (skip)
		json_decref(json_object_get(md, "results")); /* the {} made above: its extra reference */
	body = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:o,s:s}",
		"name", arg(c, a, "name"),
		"description", arg(c, a, "description") ? arg(c, a, "description") : "",
		"docs_url", arg(c, a, "docs-url") ? arg(c, a, "docs-url") : "",
		"demo_dataset_tarball_url", demo_url ? demo_url : "link",
		"demo_dataset_tarball_hash", skip ? (demo_hash ? demo_hash : "hash") : test.demo_hash,
		"demo_dataset_generated_uid", skip ? "uid" : test.prepared_hash,
		"data_preparation_mlcube", (json_int_t)arg_int(c, a, "data-preparation-container"),
		"reference_model", (json_int_t)arg_int(c, a, "reference-model"),
		"data_evaluator_mlcube", (json_int_t)arg_int(c, a, "evaluator-container"),
		"metadata", md,
		"state", arg_flag(c, a, "operational") ? "OPERATION" : "DEVELOPMENT");
	rc = confirm_send(c, "The benchmark to register", body);
	if (rc == EXIT_OK && comms_request(c->comms, "POST", "/benchmarks/", body, &r) != 0)
		rc = fail_comms(&r);
	if (rc == EXIT_OK) {
		entity_save_local(c, &kind_benchmark, r.body);
		if (c->json)
			print_json(r.body);
		done_msg(c, "Registered benchmark %lld '%s' (%s)",
			 (long long)json_integer_value(json_object_get(r.body, "id")),
			 json_string_value(json_object_get(r.body, "name")),
			 json_string_value(json_object_get(r.body, "approval_status")));
	}
	comms_result_release(&r);
	compat_result_release(&test);
	json_decref(body);
	return rc;
}

/* Reads an allow-list file: one email per line, lower-cased, checked. */
static int read_emails(const char *file, json_t **out)
{
	char *text, *line, *next;
	size_t len;
	mp_errbuf e;
	int n = 0;

	if (file_read_all(file, 1 << 20, &text, &len, &e) != 0)
		return fail(EXIT_FAIL, "%s", e.msg);
	*out = json_array();
	/* line by line, blank ones included, so that n is the line number */
	for (line = text; line && *line; line = next) {
		char *at, *p;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		n++;
		while (isspace((unsigned char)*line))
			line++;
		for (p = line + strlen(line); p > line && isspace((unsigned char)p[-1]); p--)
			p[-1] = '\0';
		if (*line == '\0')
			continue;
		for (p = line; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		at = strchr(line, '@');
		if (at == NULL || at == line || strchr(at + 1, '.') == NULL || strchr(line, ' ')) {
			json_decref(*out);
			*out = NULL;
			fail(EXIT_USAGE, "%s:%d: '%s' is not an email address", file, n, line);
			free(text);
			return EXIT_USAGE;
		}
		json_array_append_new(*out, json_string(line));
	}
	free(text);
	return EXIT_OK;
}

static int policy(struct ctx *c, struct args *a)
{
	static const char *const kinds[] = {"dataset", "model"};
	json_t *body = json_object();
	struct comms_result r;
	char path[64];
	int rc = EXIT_OK;

	for (int i = 0; i < 2 && rc == EXIT_OK; i++) {
		char mopt[64], fopt[64], key[80];
		const char *mode, *file;
		snprintf(mopt, sizeof(mopt), "%s_auto_approve_mode", kinds[i]);
		snprintf(fopt, sizeof(fopt), "%s_auto_approve_file", kinds[i]);
		mode = arg(c, a, mopt);
		file = arg(c, a, fopt);
		if (mode) {
			char up[16];
			size_t n = strlen(mode);
			for (size_t k = 0; k < n && k < sizeof(up) - 1; k++)
				up[k] = (char)toupper((unsigned char)mode[k]);
			up[n < sizeof(up) - 1 ? n : sizeof(up) - 1] = '\0';
			if (strcmp(up, "NEVER") && strcmp(up, "ALWAYS") && strcmp(up, "ALLOWLIST")) {
				rc = fail(EXIT_USAGE, "--%s must be never, always or allowlist", mopt);
				break;
			}
			snprintf(key, sizeof(key), "%s_auto_approval_mode", kinds[i]);
			json_object_set_new(body, key, json_string(up));
		}
		if (file) {
			json_t *list = NULL;
			rc = read_emails(file, &list);
			if (rc)
				break;
			snprintf(key, sizeof(key), "%s_auto_approval_allow_list", kinds[i]);
			json_object_set_new(body, key, list);
		}
	}
	if (rc == EXIT_OK && json_object_size(body) == 0)
		rc = fail(EXIT_USAGE, "nothing to change: give a mode or an allow-list file");
	if (rc == EXIT_OK) {
		char what[96];
		snprintf(what, sizeof(what), "The change to benchmark %lld",
			 (long long)arg_int(c, a, "benchmark"));
		rc = confirm_send(c, what, body);
	}
	if (rc == EXIT_OK) {
		snprintf(path, sizeof(path), "/benchmarks/%lld/", (long long)arg_int(c, a, "benchmark"));
		if (comms_request(c->comms, "PUT", path, body, &r) != 0) {
			rc = fail_comms(&r);
		} else {
			entity_save_local(c, &kind_benchmark, r.body);
			done_msg(c, "Updated the association policy of benchmark %lld",
				 (long long)arg_int(c, a, "benchmark"));
		}
		comms_result_release(&r);
	}
	json_decref(body);
	return rc;
}

static int decide(struct ctx *c, struct args *a, const char *status)
{
	json_t *body = json_pack("{s:s}", "approval_status", status);
	struct comms_result r = {0};
	char path[64];
	int rc;

	snprintf(path, sizeof(path), "The change to benchmark %lld",
		 (long long)arg_int(c, a, "benchmark"));
	rc = confirm_send(c, path, body);
	if (rc) {
		json_decref(body);
		return rc;
	}
	snprintf(path, sizeof(path), "/benchmarks/%lld/", (long long)arg_int(c, a, "benchmark"));
	if (comms_request(c->comms, "PUT", path, body, &r) != 0)
		rc = r.status == 403 ? fail(EXIT_AUTH, "only a platform admin may approve or reject "
					    "a benchmark") : fail_comms(&r);
	else
		done_msg(c, "Benchmark %lld is %s", (long long)arg_int(c, a, "benchmark"), status);
	comms_result_release(&r);
	json_decref(body);
	return rc;
}

static int approve(struct ctx *c, struct args *a) { return decide(c, a, "APPROVED"); }
static int reject(struct ctx *c, struct args *a) { return decide(c, a, "REJECTED"); }

/* A models file: model ids separated by commas (and blanks), as MedPerf reads it. */
static int read_models(const char *file, int64_t **out, size_t *n)
{
	char *text, *p, *end;
	size_t len, cap = 16;
	mp_errbuf e;

	*n = 0;
	if (file_read_all(file, 1 << 20, &text, &len, &e) != 0)
		return fail(EXIT_FAIL, "%s", e.msg);
	*out = malloc(cap * sizeof(**out));
	for (p = text; *out && *p;) {
		long long v;
		while (*p && (isspace((unsigned char)*p) || *p == ','))
			p++;
		if (*p == '\0')
			break;
		errno = 0;
		v = strtoll(p, &end, 10);
		if (end == p || errno || v <= 0 || (*end && !isspace((unsigned char)*end) &&
						     *end != ',')) {
			free(text);
			free(*out);
			*out = NULL;
			return fail(EXIT_USAGE, "%s: the file should hold model ids separated by "
				    "commas, e.g. 3,4,7", file);
		}
		if (*n == cap) {
			int64_t *more = realloc(*out, 2 * cap * sizeof(**out));
			if (more == NULL)
				break;
			*out = more;
			cap *= 2;
		}
		(*out)[(*n)++] = v;
		p = end;
	}
	free(text);
	if (*out == NULL || *n == 0) {
		free(*out);
		*out = NULL;
		return fail(*n ? EXIT_FAIL : EXIT_USAGE, "%s: %s", file, *n ? "out of memory" :
			    "no model ids in it");
	}
	return EXIT_OK;
}

static int run(struct ctx *c, struct args *a)
{
	struct run_request req = {0};
	struct run_summary s = {0};
	int64_t *models = NULL;
	size_t n = 0;
	int rc = EXIT_OK;

	if (arg(c, a, "models-file"))
		rc = read_models(arg(c, a, "models-file"), &models, &n);
	if (rc)
		return rc;
	req.benchmark = arg_int(c, a, "benchmark");
	req.dataset = arg_int(c, a, "data_uid");
	req.models = models;
	req.n_models = n;
	req.ignore_model_errors = arg_flag(c, a, "ignore-model-errors");
	req.no_cache = arg_flag(c, a, "no-cache");
	req.new_result = arg_flag(c, a, "new-result") || arg_flag(c, a, "rerun-finalized");
	rc = runs_execute(c, &req, &s);
	if (s.n)
		runs_print(c, &req, &s);
	run_summary_release(&s);
	free(models);
	return rc;
}

#define END {0, NULL, 0, NULL, NULL, 0}
static const struct opt ls_opts[] = {
	{0, "mine", OPT_FLAG, NULL, "only the benchmarks I own", 0},
	{0, "name", OPT_VALUE, "NAME", "only the benchmark with this name", 0},
	{0, "owner", OPT_VALUE, "ID", "only benchmarks of this user id", 0},
	{0, "state", OPT_VALUE, "STATE", "DEVELOPMENT or OPERATION", 0},
	{0, "valid", OPT_FLAG, NULL, "only valid benchmarks (the default)", 0},
	{0, "invalid", OPT_FLAG, NULL, "only invalidated benchmarks", 0},
	{0, "active", OPT_FLAG, NULL, "only active benchmarks", 0},
	{0, "inactive", OPT_FLAG, NULL, "only inactive benchmarks", 0},
	{'d', "data-preparation-container", OPT_VALUE, "ID", "only benchmarks using this "
	 "preparation container", 0},
	{0, "json", OPT_FLAG, NULL, "print JSON instead of a table", 0},
	END,
};
static const struct opt view_opts[] = {
	{0, "id", OPT_POS, "ID", "the benchmark (default: all)", 0},
	{'f', "format", OPT_VALUE, "yaml|json", "output format (default yaml)", 0},
	{0, "mine", OPT_FLAG, NULL, "without ID: only mine", 0},
	{'o', "output", OPT_VALUE, "FILE", "write to FILE instead of the screen", 0},
	{0, "json", OPT_FLAG, NULL, "same as --format json", 0},
	END,
};
static const struct opt submit_opts[] = {
	{'n', "name", OPT_VALUE, "NAME", "name of the benchmark", 1},
	{'d', "description", OPT_VALUE, "TEXT", "description of the benchmark", 1},
	{'u', "docs-url", OPT_VALUE, "URL", "URL to documentation", 0},
	{0, "demo-url", OPT_VALUE, "URL", "URL of the demo dataset tarball", 0},
	{0, "demo-hash", OPT_VALUE, "SHA256", "SHA-256 of the demo dataset tarball", 0},
	{'p', "data-preparation-container", OPT_INT, "ID", "data preparation container", 1},
	{'m', "reference-model", OPT_INT, "ID", "reference model", 1},
	{'e', "evaluator-container", OPT_INT, "ID", "evaluator (metrics) container", 1},
	{0, "skip-demo-data-preparation", OPT_FLAG, NULL, "the demo data is prepared already", 0},
	{0, "skip-compatibility-tests", OPT_FLAG, NULL, "register without running the "
	 "compatibility test", 0},
	{0, "operational", OPT_FLAG, NULL, "register in OPERATION state", 0},
	{'y', "yes", OPT_FLAG, NULL, "do not ask for confirmation", 0},
	{0, "json", OPT_FLAG, NULL, "print the registered benchmark as JSON", 0},
	END,
};
static const struct opt policy_opts[] = {
	{'b', "benchmark", OPT_INT, "ID", "the benchmark", 1},
	{0, "dataset_auto_approve_mode", OPT_VALUE, "MODE", "never, always or allowlist", 0},
	{0, "dataset_auto_approve_file", OPT_VALUE, "FILE", "allowed data owners, one email "
	 "per line", 0},
	{0, "model_auto_approve_mode", OPT_VALUE, "MODE", "never, always or allowlist", 0},
	{0, "model_auto_approve_file", OPT_VALUE, "FILE", "allowed model owners, one email "
	 "per line", 0},
	{'y', "yes", OPT_FLAG, NULL, "do not ask for confirmation", 0},
	END,
};
static const struct opt decide_opts[] = {
	{'b', "benchmark", OPT_INT, "ID", "the benchmark", 1},
	{'y', "yes", OPT_FLAG, NULL, "do not ask for confirmation", 0},
	END,
};
static const struct opt run_opts[] = {
	{'b', "benchmark", OPT_INT, "ID", "the benchmark", 1},
	{'d', "data_uid", OPT_INT, "ID", "the dataset (prepared and operational, on this "
	 "machine)", 1},
	{'f', "models-file", OPT_VALUE, "FILE", "only these models: ids separated by commas", 0},
	{0, "ignore-model-errors", OPT_FLAG, NULL, "evaluate what a failing model left: a "
	 "partial result", 0},
	{0, "no-cache", OPT_FLAG, NULL, "run again the models that ran (not those submitted)", 0},
	{0, "new-result", OPT_FLAG, NULL, "run every model again, into new results for those "
	 "submitted", 0},
	{0, "rerun-finalized", OPT_FLAG, NULL, "the same as --new-result (MedPerf's name)", 0},
	END,
};

static const struct cmd bench_cmds[] = {
	{"ls", ls, ls_opts, CMD_SERVER | CMD_LOGIN, "list benchmarks", NULL},
	{"view", view, view_opts, CMD_SERVER | CMD_LOGIN, "show benchmarks in detail", NULL},
	{"submit", submit, submit_opts, CMD_SERVER | CMD_LOGIN, "register a benchmark",
	 "Registers a benchmark from its three parts: the data preparation container, the\n"
	 "reference model and the evaluator container, after running them together on the\n"
	 "demo data (--demo-url) unless --skip-compatibility-tests. A platform admin then\n"
	 "approves it."},
	{"update_associations_policy", policy, policy_opts, CMD_SERVER | CMD_LOGIN,
	 "set how dataset and model association requests are approved", NULL},
	{"approve", approve, decide_opts, CMD_SERVER | CMD_LOGIN, "approve a benchmark "
	 "(platform admins)", NULL},
	{"reject", reject, decide_opts, CMD_SERVER | CMD_LOGIN, "reject a benchmark "
	 "(platform admins)", NULL},
	{"run", run, run_opts, CMD_SERVER | CMD_LOGIN, "run a benchmark's models on a dataset of "
	 "this site",
	 "Runs the reference model and every approved model on the dataset, here, each in\n"
	 "the sandbox: a model that fails or hangs is recorded with the reason and the\n"
	 "others run. Models that ran are not run again (a run interrupted with Ctrl-C\n"
	 "goes on where it stopped). The metrics wait for review: 'medperf result ls'."},
	{NULL, NULL, NULL, 0, NULL, NULL},
};

const struct group group_benchmark = {"benchmark", NULL, bench_cmds,
	"benchmarks: list, view, register, approve, association policy, run"};
