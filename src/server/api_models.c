/*
 * api_models.c: /models/. A model wraps exactly one container (type
 * CONTAINER) or one asset (type ASSET); POST creates the wrapped object from
 * the nested body in the same transaction. GET answers nested objects; the
 * PUT answer is flat (ids), and a PUT of state or is_valid is copied to the
 * wrapped object, as in the original.
 */
#include <string.h>

#include "server/policy.h"
#include "server/server.h"

static const char *const model_filters[] = {"type", NULL};

void models_list(struct api *a)
{
	static const struct list_spec ls = {.ent = ENT_MODEL, .filters = model_filters,
					    .ordering = 1};

	api_list(a, &ls);
}

void models_get(struct api *a)
{
	crud_get(a, ENT_MODEL, 0);
}

void models_delete(struct api *a)
{
	crud_delete(a, ENT_MODEL);
}

/*
 * Validates the nested object under key (ent) into *out. Errors nest under
 * key in errors. Returns -1 when it added errors.
 */
static int nested(struct api *a, const char *key, enum entity_id ent, json_t *errors,
		  json_t **out)
{
	json_t *v = json_object_get(a->body, key), *sub, *vals;
	const char *msg;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	sub = json_object();
	vals = val_collect(a, ent, VAL_CREATE, v, 0, sub);
	if (vals && ent == ENT_MLCUBE) {
		msg = mlcube_object_check(a, NULL, vals);
		if (msg) {
			err_add(sub, "non_field_errors", msg);
			json_decref(vals);
			vals = NULL;
		}
	}
	if (vals == NULL) {
		json_object_set_new(errors, key, sub);
		return -1;
	}
	json_decref(sub);
	*out = arena_keep(a->arena, vals);
	return 0;
}

/* The string value of key in o, or def when absent. */
static const char *str_or(json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : def;
}

/* The boolean value of key in o, or def when absent. */
static int bool_or(json_t *o, const char *key, int def)
{
	json_t *v = json_object_get(o, key);

	return v ? json_is_true(v) : def;
}

static const char *model_object_check(json_t *vals, json_t *cont, json_t *asset)
{
	const char *type = json_string_value(json_object_get(vals, "type"));
	json_t *inner;

	if (strcmp(type, "CONTAINER") == 0) {
		if (cont == NULL)
			return "Container data required.";
		if (asset)
			return "Asset must not be provided.";
		inner = cont;
	} else {
		if (asset == NULL)
			return "Asset data required.";
		if (cont)
			return "Container must not be provided.";
		inner = asset;
	}
	if (strcmp(str_or(vals, "state", "DEVELOPMENT"), str_or(inner, "state", "DEVELOPMENT")))
		return "Model state must match the state of its container or asset.";
	if (bool_or(vals, "is_valid", 1) != bool_or(inner, "is_valid", 1))
		return "Model validity must match the validity of its container or asset.";
	return NULL;
}

void models_create(struct api *a)
{
	json_t *errors, *cont = NULL, *asset = NULL, *vals, *row;
	const char *msg;
	int64_t inner_id, id;
	int rc, bad = 0;

	if (!json_is_object(a->body)) {
		errors = json_object();
		val_collect(a, ENT_MODEL, VAL_CREATE, a->body, 0, errors);
		api_field_errors(a, errors);
		return;
	}
	errors = json_object();
	bad |= nested(a, "container", ENT_MLCUBE, errors, &cont);
	bad |= nested(a, "asset", ENT_ASSET, errors, &asset);
	vals = val_collect(a, ENT_MODEL, VAL_CREATE, a->body, 0, errors);
	if (bad || vals == NULL) {
		json_decref(vals);
		api_field_errors(a, errors);
		return;
	}
	json_decref(errors);
	arena_keep(a->arena, vals);
	msg = model_object_check(vals, cont, asset);
	if (msg) {
		api_non_field(a, msg);
		return;
	}
	json_object_set_new(cont ? cont : asset, "owner", json_integer(a->user.id));
	rc = store_insert(a->st, cont ? ENT_MLCUBE : ENT_ASSET, cont ? cont : asset, &inner_id);
	if (rc == 0) {
		json_object_set_new(vals, cont ? "container" : "asset", json_integer(inner_id));
		json_object_set_new(vals, "owner", json_integer(a->user.id));
		rc = store_insert(a->st, ENT_MODEL, vals, &id);
	}
	if (rc == 0)
		rc = store_get(a->st, ENT_MODEL, id, &row);
	if (rc) {
		api_store_error(a, rc);
		return;
	}
	arena_keep(a->arena, row);
	api_reply(a, 201, ser_row(a, ENT_MODEL, row, 0));
}

/*
 * Copies state and is_valid of a model PUT to the wrapped container or asset.
 * As the original, the wrapped object is saved on every PUT (its modified_at
 * moves even when neither field was sent).
 */
static int model_prepare(struct api *a, json_t *row, json_t *values)
{
	json_t *ch = json_object();
	const char *key = json_is_integer(json_object_get(row, "container")) ? "container" : "asset";
	int64_t inner = row_int(row, key);
	int rc = 0;

	if (json_object_get(values, "state"))
		json_object_set(ch, "state", json_object_get(values, "state"));
	if (json_object_get(values, "is_valid"))
		json_object_set(ch, "is_valid", json_object_get(values, "is_valid"));
	if (inner)
		rc = store_update(a->st, strcmp(key, "container") == 0 ? ENT_MLCUBE : ENT_ASSET,
				  inner, ch);
	json_decref(ch);
	if (rc) {
		api_store_error(a, rc);
		return -1;
	}
	return 0;
}

void models_put(struct api *a)
{
	static const struct write_spec ws = {
		.ent = ENT_MODEL,
		.prepare = model_prepare,
		.ser_flags = SER_FLAT,
	};

	crud_update(a, &ws, ROLE_ADMIN | ROLE_OWNER, 0);
}
