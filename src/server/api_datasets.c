/*
 * api_datasets.c: /datasets/: registration (always DEVELOPMENT), the move to
 * OPERATION with a generated_uid unique among operational datasets, and the
 * private report seen only by the owner and the preparation container's owner.
 */
#include <string.h>

#include "server/policy.h"
#include "server/server.h"

void datasets_list(struct api *a)
{
	static const struct list_spec ls = {.ent = ENT_DATASET, .public_view = 1};

	api_list(a, &ls);
}

void datasets_create(struct api *a)
{
	static const struct write_spec ws = {.ent = ENT_DATASET};

	crud_create(a, &ws);
}

void datasets_get(struct api *a)
{
	json_t *row, *prep;
	int full;

	if (api_load(a, ENT_DATASET, a->id[0], ROLE_AUTH, &row))
		return;
	full = row_int(row, "owner") == a->user.id;
	if (!full) {
		prep = api_get(a, ENT_MLCUBE, row_int(row, "data_preparation_mlcube"));
		full = prep && row_int(prep, "owner") == a->user.id;
	}
	api_reply(a, 200, ser_row(a, ENT_DATASET, row, full ? 0 : SER_PUBLIC));
}

static const char *update_check(struct api *a, json_t *row, json_t *values)
{
	json_t *uid = json_object_get(values, "generated_uid");
	json_t *op = arena_keep(a->arena, json_string("OPERATION"));
	struct store_cond c[2];
	int64_t n = 0;

	if (strcmp(row_str(values, "state"), "OPERATION") != 0 ||
	    strcmp(row_str(row, "state"), "DEVELOPMENT") != 0)
		return NULL;
	c[0] = (struct store_cond){"state", op};
	c[1] = (struct store_cond){"generated_uid", uid ? uid : json_object_get(row, "generated_uid")};
	if (store_count(a->st, ENT_DATASET, c, 2, row_int(row, "id"), &n) == 0 && n > 0)
		return "An Operational dataset with the same generated UID already exists";
	return NULL;
}

void datasets_put(struct api *a)
{
	static const struct write_spec ws = {.ent = ENT_DATASET, .object_check = update_check};

	crud_update(a, &ws, ROLE_ADMIN | ROLE_OWNER, 0);
}

void datasets_delete(struct api *a)
{
	crud_delete(a, ENT_DATASET);
}
