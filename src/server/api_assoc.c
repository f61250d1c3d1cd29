/*
 * api_assoc.c: dataset-benchmark and model-benchmark associations, one
 * implementation for both kinds. Rows are append-only requests; the latest
 * row of a (component, benchmark) pair is authoritative. Creation follows
 * the request rules and auto-approval of policy.c; a PUT decides the latest
 * row; model associations also carry a priority.
 */
#include <string.h>

#include "core/timeutil.h"
#include "server/policy.h"
#include "server/server.h"

struct assoc_kind {
	enum entity_id assoc;      /* ENT_BENCHMARK_DATASET / ENT_BENCHMARK_MODEL */
	enum entity_id comp;       /* ENT_DATASET / ENT_MODEL */
	const char *field;         /* "dataset" / "model" */
	unsigned comp_role;        /* ROLE_DATASET_OWNER / ROLE_MODEL_OWNER */
	const char *mode_field;
	const char *list_field;
	const char *not_operational;
	const char *not_found;
};

static const struct assoc_kind dataset_kind = {
	ENT_BENCHMARK_DATASET, ENT_DATASET, "dataset", ROLE_DATASET_OWNER,
	"dataset_auto_approval_mode", "dataset_auto_approval_allow_list",
	"Association requests can be made only on an operational dataset",
	"No dataset association found",
};

static const struct assoc_kind model_kind = {
	ENT_BENCHMARK_MODEL, ENT_MODEL, "model", ROLE_MODEL_OWNER,
	"model_auto_approval_mode", "model_auto_approval_allow_list",
	"Association requests can be made only on an operational model",
	"No model association found",
};

/* Roles toward a (component, benchmark) pair; missing rows give none. */
static unsigned pair_roles(struct api *a, const struct assoc_kind *k, int64_t comp, int64_t bench)
{
	unsigned held = policy_base(a->user.id, a->user.is_admin);
	json_t *c = comp > 0 ? api_get(a, k->comp, comp) : NULL;
	json_t *b = bench > 0 ? api_get(a, ENT_BENCHMARK, bench) : NULL;

	if (c && row_int(c, "owner") == a->user.id)
		held |= k->comp_role;
	if (b && row_int(b, "owner") == a->user.id)
		held |= ROLE_BENCH_OWNER;
	return held;
}

static int64_t body_id(struct api *a, const char *key)
{
	json_t *v = json_is_object(a->body) ? json_object_get(a->body, key) : NULL;

	return json_is_integer(v) ? json_integer_value(v) : 0;
}

static const char *create_check(struct api *a, const struct assoc_kind *k, json_t *values)
{
	json_t *bench = api_get(a, ENT_BENCHMARK, row_int(values, "benchmark"));
	json_t *comp = api_get(a, k->comp, row_int(values, k->field));
	json_t *latest = NULL;
	const char *want = json_string_value(json_object_get(values, "approval_status"));
	enum approval last = AP_NONE;

	if (bench == NULL || comp == NULL)
		return "Invalid association";
	if (strcmp(row_str(bench, "approval_status"), "APPROVED") != 0)
		return "Association requests can be made only on an approved benchmark";
	if (strcmp(row_str(comp, "state"), "OPERATION") != 0)
		return k->not_operational;
	if (k->comp == ENT_DATASET && row_int(comp, "data_preparation_mlcube") !=
				      row_int(bench, "data_preparation_mlcube"))
		return "Dataset association request can be made only if the dataset was prepared "
		       "with benchmark's data preparation MLCube";
	if (store_assoc_latest(a->st, k->assoc, row_int(comp, "id"), row_int(bench, "id"),
			       &latest) == 0) {
		last = approval_parse(row_str(latest, "approval_status"));
		json_decref(latest);
	}
	return policy_assoc_create(last, approval_parse(want ? want : "PENDING"));
}

static void assoc_create(struct api *a, const struct assoc_kind *k)
{
	const unsigned allow = ROLE_ADMIN | ROLE_BENCH_OWNER | k->comp_role;
	json_t *values, *bench, *comp, *owner, *row;
	const char *msg, *want;
	int64_t id, now = tm_now_us();
	enum approval st;
	int rc;

	/* the original's permission classes read the ids from the body */
	if (api_require(a, allow, pair_roles(a, k, body_id(a, k->field), body_id(a, "benchmark"))))
		return;
	values = val_body(a, k->assoc, VAL_CREATE, a->body, 0);
	if (values == NULL)
		return;
	msg = create_check(a, k, values);
	if (msg) {
		api_non_field(a, msg);
		return;
	}
	bench = api_get(a, ENT_BENCHMARK, row_int(values, "benchmark"));
	comp = api_get(a, k->comp, row_int(values, k->field));
	want = json_string_value(json_object_get(values, "approval_status"));
	st = approval_parse(want ? want : "PENDING");
	if (st == AP_PENDING) {
		owner = api_get(a, ENT_USER, row_int(comp, "owner"));
		st = policy_auto_approve(row_int(comp, "owner"), row_int(bench, "owner"), a->user.id,
					 automode_parse(row_str(bench, k->mode_field)),
					 json_object_get(bench, k->list_field),
					 owner ? row_str(owner, "email") : NULL);
	}
	json_object_set_new(values, "approval_status", json_string(approval_str(st)));
	if (st != AP_PENDING)
		json_object_set_new(values, "approved_at", json_integer(now));
	json_object_set_new(values, "initiated_by", json_integer(a->user.id));
	rc = store_insert(a->st, k->assoc, values, &id);
	if (rc == 0)
		rc = store_get(a->st, k->assoc, id, &row);
	if (rc) {
		api_store_error(a, rc);
		return;
	}
	arena_keep(a->arena, row);
	api_reply(a, 201, ser_row(a, k->assoc, row, 0));
}

/* The short "approval" view of an association row. */
static json_t *approval_view(const struct assoc_kind *k, json_t *row)
{
	json_t *o = json_pack("{s:O,s:O,s:O,s:O,s:O}",
			      "approval_status", json_object_get(row, "approval_status"),
			      "initiated_by", json_object_get(row, "initiated_by"),
			      "approved_at", json_object_get(row, "approved_at"),
			      "created_at", json_object_get(row, "created_at"),
			      "modified_at", json_object_get(row, "modified_at"));

	if (o && k->assoc == ENT_BENCHMARK_MODEL)
		json_object_set(o, "priority", json_object_get(row, "priority"));
	return o;
}

static void assoc_get(struct api *a, const struct assoc_kind *k)
{
	const unsigned allow = ROLE_ADMIN | ROLE_BENCH_OWNER | k->comp_role;
	struct store_cond c[2] = {
		{k->field, arena_keep(a->arena, json_integer(a->id[0]))},
		{"benchmark", arena_keep(a->arena, json_integer(a->id[1]))},
	};
	struct store_query q = {.conds = c, .nconds = 2, .limit = -1};
	json_t *rows, *out, *row;
	size_t i;
	int rc;

	if (api_require(a, allow, pair_roles(a, k, a->id[0], a->id[1])))
		return;
	rc = store_list(a->st, k->assoc, &q, &rows, NULL);
	if (rc) {
		api_store_error(a, rc);
		return;
	}
	arena_keep(a->arena, rows);
	out = json_array();
	json_array_foreach(rows, i, row)
		json_array_append_new(out, approval_view(k, row));
	api_reply(a, 200, out);
}

static void assoc_put(struct api *a, const struct assoc_kind *k)
{
	unsigned allow = ROLE_ADMIN | ROLE_BENCH_OWNER | k->comp_role;
	json_t *latest = NULL, *errors, *ch, *v, *row;
	const char *want;
	int rc;

	if (json_is_object(a->body) && k->assoc == ENT_BENCHMARK_MODEL &&
	    json_object_get(a->body, "priority"))
		allow = ROLE_ADMIN | ROLE_BENCH_OWNER;
	if (api_require(a, allow, pair_roles(a, k, a->id[0], a->id[1])))
		return;
	if (!json_is_object(a->body)) {
		errors = json_object();
		val_collect(a, k->assoc, VAL_UPDATE, a->body, 0, errors);
		api_field_errors(a, errors);
		return;
	}
	rc = store_assoc_latest(a->st, k->assoc, a->id[0], a->id[1], &latest);
	if (rc == MP_ENOTFOUND) {
		api_non_field(a, k->not_found);
		return;
	}
	if (rc) {
		api_store_error(a, rc);
		return;
	}
	arena_keep(a->arena, latest);
	/* only approval_status (and priority for models) can change here */
	errors = json_object();
	ch = json_object();
	arena_keep(a->arena, ch);
	v = json_object_get(a->body, "approval_status");
	if (v) {
		const struct field *f = entity_get_field(k->assoc, "approval_status");
		const char *msg = NULL;
		if (!json_is_string(v) || approval_parse(json_string_value(v)) == AP_NONE) {
			json_t *tmp = json_pack("{s:O}", "approval_status", v);
			val_collect(a, k->assoc, VAL_UPDATE, tmp, 0, errors);
			json_decref(tmp);
		} else {
			msg = policy_assoc_decide(approval_parse(row_str(latest, "approval_status")),
						  approval_parse(json_string_value(v)),
						  row_int(latest, "initiated_by"), a->user.id);
			if (msg)
				err_add(errors, f->name, msg);
			else
				json_object_set(ch, "approval_status", v);
		}
	}
	v = json_object_get(a->body, "priority");
	if (v && k->assoc == ENT_BENCHMARK_MODEL) {
		json_t *tmp = json_pack("{s:O}", "priority", v);
		json_t *ok = val_collect(a, k->assoc, VAL_UPDATE, tmp, 0, errors);
		if (ok)
			json_object_set(ch, "priority", json_object_get(ok, "priority"));
		json_decref(ok);
		json_decref(tmp);
	}
	if (json_object_size(errors)) {
		api_field_errors(a, errors);
		return;
	}
	json_decref(errors);
	want = json_string_value(json_object_get(ch, "approval_status"));
	if (want && strcmp(want, row_str(latest, "approval_status")) == 0) {
		json_object_del(ch, "approval_status");
	} else if (want && strcmp(want, "PENDING") != 0) {
		json_object_set_new(ch, "approved_at", json_integer(tm_now_us()));
	}
	rc = store_update(a->st, k->assoc, row_int(latest, "id"), ch);
	if (rc == 0)
		rc = store_get(a->st, k->assoc, row_int(latest, "id"), &row);
	if (rc) {
		api_store_error(a, rc);
		return;
	}
	arena_keep(a->arena, row);
	api_reply(a, 200, approval_view(k, row));
}

static void assoc_delete(struct api *a, const struct assoc_kind *k)
{
	struct store_cond c[2] = {
		{k->field, arena_keep(a->arena, json_integer(a->id[0]))},
		{"benchmark", arena_keep(a->arena, json_integer(a->id[1]))},
	};
	int rc;

	if (api_require(a, ROLE_ADMIN, policy_base(a->user.id, a->user.is_admin)))
		return;
	rc = store_delete_where(a->st, k->assoc, c, 2);
	if (rc) {
		api_store_error(a, rc);
		return;
	}
	api_reply(a, 204, NULL);
}

/* GET /{component}/{id}/benchmarks/: the component's whole history. */
static void assoc_list(struct api *a, const struct assoc_kind *k)
{
	const unsigned allow = ROLE_ADMIN | k->comp_role;
	struct store_cond c = {k->field, arena_keep(a->arena, json_integer(a->id[0]))};
	struct list_spec ls = {.ent = k->assoc, .conds = &c, .nconds = 1};

	if (api_require(a, allow, pair_roles(a, k, a->id[0], 0)))
		return;
	api_list(a, &ls);
}

void dassoc_create(struct api *a) { assoc_create(a, &dataset_kind); }
void dassoc_list(struct api *a) { assoc_list(a, &dataset_kind); }
void dassoc_get(struct api *a) { assoc_get(a, &dataset_kind); }
void dassoc_put(struct api *a) { assoc_put(a, &dataset_kind); }
void dassoc_delete(struct api *a) { assoc_delete(a, &dataset_kind); }
void massoc_create(struct api *a) { assoc_create(a, &model_kind); }
void massoc_list(struct api *a) { assoc_list(a, &model_kind); }
void massoc_get(struct api *a) { assoc_get(a, &model_kind); }
void massoc_put(struct api *a) { assoc_put(a, &model_kind); }
void massoc_delete(struct api *a) { assoc_delete(a, &model_kind); }
