/*
 * crud.c: the create, read, update and delete handlers that most resources
 * share, parameterised by a write_spec: generic field validation, the
 * resource's own checks in the original's order, the OPERATION edit rule,
 * and the write.
 */
#include <string.h>

#include "core/timeutil.h"
#include "server/policy.h"
#include "server/server.h"

static const char op_edit_msg[] = "User cannot update non editable fields in Operation mode";

unsigned crud_owner_roles(struct api *a, json_t *row)
{
	unsigned held = policy_base(a->user.id, a->user.is_admin);

	if (row && row_int(row, "owner") == a->user.id)
		held |= ROLE_OWNER;
	return held;
}

void crud_get(struct api *a, enum entity_id ent, int ser_flags)
{
	json_t *row;

	if (api_load(a, ent, a->id[0], ROLE_AUTH, &row))
		return;
	api_reply(a, 200, ser_row(a, ent, row, ser_flags));
}

/* Runs the checks of ws on values; answers 400 and returns -1 on failure. */
static int run_checks(struct api *a, const struct write_spec *ws, json_t *row, json_t *values)
{
	json_t *errors = json_object();
	const char *msg;

	if (ws->field_check && ws->field_check(a, row, values, errors)) {
		api_field_errors(a, errors);
		return -1;
	}
	json_decref(errors);
	if (row && strcmp(row_str(row, "state"), "OPERATION") == 0 &&
	    !policy_operation_edit_ok(ws->ent, row, values)) {
		api_non_field(a, op_edit_msg);
		return -1;
	}
	msg = ws->object_check ? ws->object_check(a, row, values) : NULL;
	if (msg) {
		api_non_field(a, msg);
		return -1;
	}
	return 0;
}

void crud_create(struct api *a, const struct write_spec *ws)
{
	json_t *values = val_body(a, ws->ent, VAL_CREATE, a->body, 0), *row;
	int64_t id;
	int rc;

	if (values == NULL || run_checks(a, ws, NULL, values))
		return;
	if (entity_get_field(ws->ent, "owner"))
		json_object_set_new(values, "owner", json_integer(a->user.id));
	if (ws->prepare && ws->prepare(a, NULL, values))
		return;
	rc = store_insert(a->st, ws->ent, values, &id);
	if (rc == 0)
		rc = store_get(a->st, ws->ent, id, &row);
	if (rc) {
		api_store_error(a, rc);
		return;
	}
	arena_keep(a->arena, row);
	api_reply(a, 201, ser_row(a, ws->ent, row, ws->ser_flags));
}

void crud_update(struct api *a, const struct write_spec *ws, unsigned allow, unsigned held_extra)
{
	json_t *row, *values;
	int rc;

	if (api_load(a, ws->ent, a->id[0], allow, &row))
		return;
	if (api_require(a, allow, crud_owner_roles(a, row) | held_extra))
		return;
	values = val_body(a, ws->ent, VAL_UPDATE, a->body, a->id[0]);
	if (values == NULL || run_checks(a, ws, row, values))
		return;
	if (ws->prepare && ws->prepare(a, row, values))
		return;
	rc = store_update(a->st, ws->ent, a->id[0], values);
	if (rc == 0)
		rc = store_get(a->st, ws->ent, a->id[0], &row);
	if (rc) {
		api_store_error(a, rc);
		return;
	}
	arena_keep(a->arena, row);
	api_reply(a, 200, ser_row(a, ws->ent, row, ws->ser_flags));
}

void crud_delete(struct api *a, enum entity_id ent)
{
	json_t *row;
	int rc;

	if (api_load(a, ent, a->id[0], ROLE_ADMIN, &row))
		return;
	if (api_require(a, ROLE_ADMIN, policy_base(a->user.id, a->user.is_admin)))
		return;
	rc = store_delete(a->st, ent, a->id[0]);
	if (rc == MP_ECONSTRAINT) {
		api_detail(a, 409, "Cannot delete: other objects still refer to this one.");
		return;
	}
	if (rc) {
		api_store_error(a, rc);
		return;
	}
	api_reply(a, 204, NULL);
}
