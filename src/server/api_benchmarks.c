/*
 * api_benchmarks.c: /benchmarks/: the committee's benchmark, its approval by
 * an admin, the OPERATION latch that needs operational components, and the
 * lists of its models, datasets, results and participants.
 */
#include <string.h>

#include "core/timeutil.h"
#include "server/policy.h"
#include "server/server.h"

static const char *const bench_filters[] = {"name", "owner", "state", "is_valid", "is_active",
	"approval_status", "data_preparation_mlcube", NULL};
static const char not_operational[] =
	"User cannot mark a benchmark as operational if its containers are not operational";

void benchmarks_list(struct api *a)
{
	static const struct list_spec ls = {.ent = ENT_BENCHMARK, .filters = bench_filters,
					    .ordering = 1, .public_view = 1};

	api_list(a, &ls);
}

/* 1 when any of the three components (ids taken from src) is in DEVELOPMENT. */
static int components_not_operational(struct api *a, json_t *src)
{
	static const struct {
		const char *field;
		enum entity_id ent;
	} comp[] = {
		{"data_preparation_mlcube", ENT_MLCUBE},
		{"reference_model", ENT_MODEL},
		{"data_evaluator_mlcube", ENT_MLCUBE},
	};

	for (size_t i = 0; i < 3; i++) {
		json_t *row = api_get(a, comp[i].ent, row_int(src, comp[i].field));
		if (row && strcmp(row_str(row, "state"), "OPERATION") != 0)
			return 1;
	}
	return 0;
}

static const char *create_check(struct api *a, json_t *row, json_t *values)
{
	json_t *me = arena_keep(a->arena, json_integer(a->user.id));
	json_t *pending = arena_keep(a->arena, json_string("PENDING"));
	struct store_cond c[2] = {{"owner", me}, {"approval_status", pending}};
	int64_t n = 0;

	(void)row;
	if (store_count(a->st, ENT_BENCHMARK, c, 2, 0, &n) == 0 && n > 0)
		return "User can own at most one pending benchmark";
	if (strcmp(row_str(values, "state"), "OPERATION") == 0 &&
	    components_not_operational(a, values))
		return not_operational;
	return NULL;
}

static int create_prepare(struct api *a, json_t *row, json_t *values)
{
	(void)row;
	if (a->user.email && cfg_auto_approve_benchmark(&a->srv->cfg, a->user.email))
		json_object_set_new(values, "approval_status", json_string("APPROVED"));
	return 0;
}

void benchmarks_create(struct api *a)
{
	static const struct write_spec ws = {
		.ent = ENT_BENCHMARK,
		.object_check = create_check,
		.prepare = create_prepare,
	};

	crud_create(a, &ws);
}

void benchmarks_get(struct api *a)
{
	json_t *row;

	if (api_load(a, ENT_BENCHMARK, a->id[0], ROLE_AUTH, &row))
		return;
	/* the full view (allow lists) is for the owner only, admins included in "others" */
	api_reply(a, 200, ser_row(a, ENT_BENCHMARK, row,
				  row_int(row, "owner") == a->user.id ? 0 : SER_PUBLIC));
}

/* The value of key of body as the generic field checks accept it, or NULL. */
static json_t *checked_value(struct api *a, const char *key)
{
	json_t *v = json_object_get(a->body, key), *one, *errs, *out;

	if (v == NULL)
		return NULL;
	one = json_pack("{s:O}", key, v);
	errs = json_object();
	out = val_collect(a, ENT_BENCHMARK, VAL_UPDATE, one, a->id[0], errs);
	json_decref(one);
	json_decref(errs);
	return out ? json_object_get(arena_keep(a->arena, out), key) : NULL;
}

/*
 * The original's validate_approval_status and validate_state: field-level
 * checks, run for a key whose value passed the generic checks, reported with
 * the other field errors.
 */
static void update_field_checks(struct api *a, json_t *row, json_t *errors)
{
	json_t *ap = checked_value(a, "approval_status");
	json_t *st = checked_value(a, "state");

	if (ap) {
		const char *msg = policy_benchmark_transition(
			approval_parse(row_str(row, "approval_status")),
			approval_parse(json_string_value(ap)));
		if (msg)
			err_add(errors, "approval_status", msg);
	}
	/* checked against the stored components, as the original does */
	if (st && strcmp(json_string_value(st), "OPERATION") == 0 &&
	    strcmp(row_str(row, "state"), "OPERATION") != 0 && components_not_operational(a, row))
		err_add(errors, "state", not_operational);
}

/* All field errors of generic and own, in the serializer's field order. */
static json_t *ordered_errors(json_t *generic, json_t *own)
{
	const struct entity *en = &entities[ENT_BENCHMARK];
	json_t *out = json_object(), *v;

	v = json_object_get(generic, "non_field_errors");
	if (v)
		json_object_set(out, "non_field_errors", v);
	for (int i = 0; i < en->nfields; i++) {
		const char *name = en->fields[i].name;
		if ((v = json_object_get(generic, name)) || (v = json_object_get(own, name)))
			json_object_set(out, name, v);
	}
	return out;
}

void benchmarks_put(struct api *a)
{
	static const char op_edit_msg[] =
		"User cannot update non editable fields in Operation mode";
	unsigned allow = ROLE_ADMIN | ROLE_OWNER;
	json_t *row, *values, *errors, *own;
	const char *ap;
	int rc;

	/* only an admin may change approval_status */
	if (json_is_object(a->body) && json_object_get(a->body, "approval_status"))
		allow = ROLE_ADMIN;
	if (api_load(a, ENT_BENCHMARK, a->id[0], allow, &row) ||
	    api_require(a, allow, crud_owner_roles(a, row)))
		return;
	errors = arena_keep(a->arena, json_object());
	own = arena_keep(a->arena, json_object());
	values = arena_keep(a->arena, val_collect(a, ENT_BENCHMARK, VAL_UPDATE, a->body,
						  a->id[0], errors));
	if (json_is_object(a->body))
		update_field_checks(a, row, own);
	if (values == NULL || json_object_size(own) > 0) {
		api_field_errors(a, ordered_errors(errors, own));
		return;
	}
	if (strcmp(row_str(row, "state"), "OPERATION") == 0 &&
	    !policy_operation_edit_ok(ENT_BENCHMARK, row, values)) {
		api_non_field(a, op_edit_msg);
		return;
	}
	/* approved_at moves when approval_status changes to a non-PENDING value */
	ap = json_string_value(json_object_get(values, "approval_status"));
	if (ap && strcmp(ap, row_str(row, "approval_status")) != 0 && strcmp(ap, "PENDING") != 0)
		json_object_set_new(values, "approved_at", json_integer(tm_now_us()));
	rc = store_update(a->st, ENT_BENCHMARK, a->id[0], values);
	if (rc == 0)
		rc = store_get(a->st, ENT_BENCHMARK, a->id[0], &row);
	if (rc) {
		api_store_error(a, rc);
		return;
	}
	arena_keep(a->arena, row);
	/* the full serializer, allow lists included, for the admin too */
	api_reply(a, 200, ser_row(a, ENT_BENCHMARK, row, 0));
}

void benchmarks_delete(struct api *a)
{
	crud_delete(a, ENT_BENCHMARK);
}

/* Loads the benchmark of the path and checks allow; held gets extra roles from fn. */
static int bench_access(struct api *a, unsigned allow, enum entity_id approved_assoc)
{
	json_t *row;
	unsigned held;
	int yes = 0;

	if (api_load(a, ENT_BENCHMARK, a->id[0], allow, &row))
		return -1;
	held = policy_base(a->user.id, a->user.is_admin);
	if (row_int(row, "owner") == a->user.id)
		held |= ROLE_BENCH_OWNER;
	if (!policy_allows(allow, held) && approved_assoc != ENT__MAX &&
	    store_assoc_owner_approved(a->st, approved_assoc, a->user.id, a->id[0], &yes) == 0 &&
	    yes)
		held |= approved_assoc == ENT_BENCHMARK_DATASET ? ROLE_APPROVED_DATA
								: ROLE_APPROVED_MODEL;
	return api_require(a, allow, held);
}

static json_t *project_model(struct api *a, json_t *row)
{
	(void)a;
	return json_pack("{s:O,s:O,s:O}", "model", json_object_get(row, "model"),
			 "approval_status", json_object_get(row, "approval_status"),
			 "created_at", json_object_get(row, "created_at"));
}

static json_t *project_dataset(struct api *a, json_t *row)
{
	(void)a;
	return json_pack("{s:O,s:O,s:O}", "dataset", json_object_get(row, "dataset"),
			 "approval_status", json_object_get(row, "approval_status"),
			 "created_at", json_object_get(row, "created_at"));
}

static void bench_sublist(struct api *a, enum entity_id ent,
			  json_t *(*project)(struct api *, json_t *))
{
	struct store_cond c = {"benchmark", arena_keep(a->arena, json_integer(a->id[0]))};
	struct list_spec ls = {.ent = ent, .conds = &c, .nconds = 1, .project = project};

	api_list(a, &ls);
}

void benchmarks_models(struct api *a)
{
	if (bench_access(a, ROLE_ADMIN | ROLE_BENCH_OWNER | ROLE_APPROVED_DATA,
			 ENT_BENCHMARK_DATASET) == 0)
		bench_sublist(a, ENT_BENCHMARK_MODEL, project_model);
}

void benchmarks_datasets(struct api *a)
{
	if (bench_access(a, ROLE_ADMIN | ROLE_BENCH_OWNER | ROLE_APPROVED_MODEL,
			 ENT_BENCHMARK_MODEL) == 0)
		bench_sublist(a, ENT_BENCHMARK_DATASET, project_dataset);
}

void benchmarks_results(struct api *a)
{
	if (bench_access(a, ROLE_ADMIN | ROLE_BENCH_OWNER, ENT__MAX) == 0)
		bench_sublist(a, ENT_RESULT, NULL);
}

void benchmarks_participants(struct api *a)
{
	int64_t limit, offset, count = 0;
	json_t *rows, *out, *row;
	size_t i;
	int rc;

	if (bench_access(a, ROLE_ADMIN | ROLE_BENCH_OWNER, ENT__MAX))
		return;
	api_page(a, &limit, &offset);
	rc = store_benchmark_participants(a->st, a->id[0], limit, offset, &rows, &count);
	if (rc) {
		api_store_error(a, rc);
		return;
	}
	arena_keep(a->arena, rows);
	out = json_array();
	json_array_foreach(rows, i, row) {
		json_t *u = api_get(a, ENT_USER, row_int(row, "owner"));
		json_array_append_new(out, json_pack("{s:O,s:o}", "id", json_object_get(row, "id"),
						     "owner", u ? ser_user(u) : json_null()));
	}
	api_page_reply(a, count, limit, offset, out);
}
