/*
 * api_results.c: /results/ ("executions"). A data owner creates a result
 * before running (allowed only with approved latest associations, except
 * for the benchmark's reference model); the first PUT carrying "results"
 * finalizes it and nothing may change afterwards. Model owners see nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "server/policy.h"
#include "server/server.h"

static const char *const result_filters[] = {"name", "owner", "benchmark", "model", "dataset",
	"is_valid", "approval_status", NULL};

void results_list(struct api *a)
{
	static const struct list_spec ls = {.ent = ENT_RESULT, .filters = result_filters,
					    .ordering = 1};

	if (api_require(a, ROLE_ADMIN, policy_base(a->user.id, a->user.is_admin)))
		return;
	api_list(a, &ls);
}

/* Roles toward a result (or a result to be created from ids). */
static unsigned result_roles(struct api *a, int64_t dataset, int64_t benchmark)
{
	unsigned held = policy_base(a->user.id, a->user.is_admin);
	json_t *d = dataset > 0 ? api_get(a, ENT_DATASET, dataset) : NULL;
	json_t *b = benchmark > 0 ? api_get(a, ENT_BENCHMARK, benchmark) : NULL;

	if (d && row_int(d, "owner") == a->user.id)
		held |= ROLE_DATASET_OWNER;
	if (b && row_int(b, "owner") == a->user.id)
		held |= ROLE_BENCH_OWNER;
	return held;
}

/* Checks that the latest association of (comp, benchmark) is approved. */
static const char *assoc_check(struct api *a, enum entity_id assoc, int64_t comp, int64_t bench,
			       const char *missing, const char *unapproved)
{
	json_t *latest = NULL;
	int rc = store_assoc_latest(a->st, assoc, comp, bench, &latest);
	const char *msg = NULL;

	if (rc == MP_ENOTFOUND)
		return missing;
	if (rc)
		return "Database error";
	if (strcmp(row_str(latest, "approval_status"), "APPROVED") != 0)
		msg = unapproved;
	json_decref(latest);
	return msg;
}

static const char *create_check(struct api *a, json_t *row, json_t *values)
{
	int64_t bench = row_int(values, "benchmark");
	int64_t model = row_int(values, "model");
	json_t *b = api_get(a, ENT_BENCHMARK, bench);
	const char *msg;

	(void)row;
	/* the reference model runs on any dataset: the compatibility test */
	if (b && row_int(b, "reference_model") == model)
		return NULL;
	msg = assoc_check(a, ENT_BENCHMARK_MODEL, model, bench,
			  "Model must be associated to the benchmark",
			  "Model-Benchmark association must be approved");
	if (msg)
		return msg;
	return assoc_check(a, ENT_BENCHMARK_DATASET, row_int(values, "dataset"), bench,
			   "Dataset must be associated to the benchmark",
			   "Dataset-Benchmark association must be approved");
}

/*
 * The dataset pk of a POST body as the original's permission sees it:
 * Dataset.objects.get(pk=value) takes an int, an integral float or a
 * numeric string (Python int()). 0 when there is none.
 */
static int64_t body_pk(json_t *v)
{
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v)) {
		double d = json_real_value(v);
		return d >= 1 && d < 9.2e18 && d == (double)(int64_t)d ? (int64_t)d : 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		long long x;

		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		if (*s < '0' || *s > '9')
			return 0;
		errno = 0;
		x = strtoll(s, &end, 10);
		while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
			end++;
		return errno || *end ? 0 : x;
	}
	return 0;
}

void results_create(struct api *a)
{
	static const struct write_spec ws = {.ent = ENT_RESULT, .object_check = create_check};
	json_t *d = json_is_object(a->body) ? json_object_get(a->body, "dataset") : NULL;

	/* the original's permission reads the dataset id from the body */
	if (api_require(a, ROLE_ADMIN | ROLE_DATASET_OWNER, result_roles(a, body_pk(d), 0)))
		return;
	crud_create(a, &ws);
}

void results_get(struct api *a)
{
	const unsigned allow = ROLE_ADMIN | ROLE_DATASET_OWNER | ROLE_BENCH_OWNER;
	json_t *row;

	if (api_load(a, ENT_RESULT, a->id[0], allow, &row) ||
	    api_require(a, allow, result_roles(a, row_int(row, "dataset"),
					       row_int(row, "benchmark"))))
		return;
	api_reply(a, 200, ser_row(a, ENT_RESULT, row, 0));
}

static const char *update_check(struct api *a, json_t *row, json_t *values)
{
	(void)a;
	(void)values;
	if (row_bool(row, "finalized"))
		return "User cannot update a result object after it's been finalized.";
	return NULL;
}

static int update_prepare(struct api *a, json_t *row, json_t *values)
{
	(void)row;
	/* the first PUT that carries "results" finalizes the result */
	if (json_object_get(a->body, "results")) {
		json_object_set_new(values, "finalized", json_true());
		json_object_set_new(values, "finalized_at", json_integer(tm_now_us()));
	}
	return 0;
}

void results_put(struct api *a)
{
	static const struct write_spec ws = {
		.ent = ENT_RESULT,
		.object_check = update_check,
		.prepare = update_prepare,
	};
	const unsigned allow = ROLE_ADMIN | ROLE_DATASET_OWNER;
	json_t *row = api_get(a, ENT_RESULT, a->id[0]);

	crud_update(a, &ws, allow, row ? result_roles(a, row_int(row, "dataset"), 0) : 0);
}

void results_delete(struct api *a)
{
	crud_delete(a, ENT_RESULT);
}
