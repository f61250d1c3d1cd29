/*
 * api_users.c: /users/ (admin, self, and owners of preparation containers
 * a user's datasets use) and /me/ with the caller's own lists.
 */
#include "server/policy.h"
#include "server/server.h"

static json_t *project_user(struct api *a, json_t *row)
{
	(void)a;
	return ser_user(row);
}

void users_list(struct api *a)
{
	static const struct list_spec ls = {.ent = ENT_USER, .project = project_user};

	if (api_require(a, ROLE_ADMIN, policy_base(a->user.id, a->user.is_admin)))
		return;
	api_list(a, &ls);
}

static unsigned user_roles(struct api *a, int64_t target)
{
	unsigned held = policy_base(a->user.id, a->user.is_admin);
	int yes = 0;

	if (target == a->user.id)
		held |= ROLE_SELF;
	if (store_user_prepped_by(a->st, target, a->user.id, &yes) == 0 && yes)
		held |= ROLE_PREP_OWNER;
	return held;
}

void users_get(struct api *a)
{
	const unsigned allow = ROLE_ADMIN | ROLE_SELF | ROLE_PREP_OWNER;
	json_t *row;

	if (api_load(a, ENT_USER, a->id[0], allow, &row) ||
	    api_require(a, allow, user_roles(a, a->id[0])))
		return;
	api_reply(a, 200, ser_user(row));
}

void users_put(struct api *a)
{
	const unsigned allow = ROLE_ADMIN | ROLE_SELF;
	json_t *row, *md;
	int rc;

	if (api_load(a, ENT_USER, a->id[0], allow, &row) ||
	    api_require(a, allow, user_roles(a, a->id[0])))
		return;
	if (!json_is_object(a->body)) {
		api_non_field(a, "Invalid data. Expected a dictionary, but got list.");
		return;
	}
	md = json_object_get(a->body, "metadata");
	if (md && !json_is_null(md)) {
		json_t *ch = json_pack("{s:O}", "metadata", md);
		rc = store_update(a->st, ENT_USER, a->id[0], ch);
		json_decref(ch);
		if (rc == 0)
			rc = store_get(a->st, ENT_USER, a->id[0], &row);
		if (rc) {
			api_store_error(a, rc);
			return;
		}
		arena_keep(a->arena, row);
	}
	api_reply(a, 200, ser_user(row));
}

void users_delete(struct api *a)
{
	crud_delete(a, ENT_USER);
}

void users_metadata(struct api *a)
{
	json_t *row, *md;

	if (api_load(a, ENT_USER, a->id[0], ROLE_AUTH, &row))
		return;
	/* any JSON the user stored (a JSONField, no shape check); {} when none */
	md = json_object_get(row, "metadata");
	if (md == NULL || json_is_null(md))
		api_reply(a, 200, json_pack("{s:o}", "metadata", json_object()));
	else
		api_reply(a, 200, json_pack("{s:O}", "metadata", md));
}

void me_get(struct api *a)
{
	json_t *row = api_get(a, ENT_USER, a->user.id);

	if (row == NULL) {
		api_store_error(a, MP_EDB);
		return;
	}
	api_reply(a, 200, ser_user(row));
}

/* One of the caller's own lists: owner = me, no filters, no ordering. */
static void me_list(struct api *a, enum entity_id ent)
{
	struct store_cond c = {"owner", arena_keep(a->arena, json_integer(a->user.id))};
	struct list_spec ls = {.ent = ent, .conds = &c, .nconds = 1};

	api_list(a, &ls);
}

void me_benchmarks(struct api *a) { me_list(a, ENT_BENCHMARK); }
void me_mlcubes(struct api *a) { me_list(a, ENT_MLCUBE); }
void me_assets(struct api *a) { me_list(a, ENT_ASSET); }
void me_models(struct api *a) { me_list(a, ENT_MODEL); }
void me_datasets(struct api *a) { me_list(a, ENT_DATASET); }
void me_results(struct api *a) { me_list(a, ENT_RESULT); }

static void me_assocs(struct api *a, enum entity_id assoc)
{
	int64_t limit, offset, count = 0;
	json_t *rows, *out, *row;
	size_t i;
	int rc;

	api_page(a, &limit, &offset);
	rc = store_assoc_of_user(a->st, assoc, a->user.id, limit, offset, &rows, &count);
	if (rc) {
		api_store_error(a, rc);
		return;
	}
	arena_keep(a->arena, rows);
	out = json_array();
	json_array_foreach(rows, i, row)
		json_array_append_new(out, ser_row(a, assoc, row, 0));
	api_page_reply(a, count, limit, offset, out);
}

void me_dataset_assocs(struct api *a) { me_assocs(a, ENT_BENCHMARK_DATASET); }
void me_model_assocs(struct api *a) { me_assocs(a, ENT_BENCHMARK_MODEL); }
