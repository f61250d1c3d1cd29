/*
 * api_mlcubes.c: /mlcubes/ (containers): list with filters, create, detail,
 * the OPERATION edit rule, the additional-files URL/hash pairing, the unique
 * set (image_hash, tarball hash, container_config, parameters_config), and
 * the datasets prepared with a container and the model wrapping it.
 */
#include <string.h>

#include "server/policy.h"
#include "server/server.h"

static const char *const mlcube_filters[] = {"name", "owner", "state", "is_valid", NULL};

/* The value of field after the write: the new one if sent, else the stored one. */
static json_t *merged(json_t *row, json_t *values, const char *field)
{
	json_t *v = json_object_get(values, field);

	return v ? v : json_object_get(row, field);
}

/* The unique set (image_hash, tarball hash, container_config, parameters_config). */
static const char *unique_set_check(struct api *a, json_t *row, json_t *values)
{
	static const char *const set[] = {"image_hash", "additional_files_tarball_hash",
		"container_config", "parameters_config"};
	struct store_cond c[4];
	int complete = 1;
	int64_t n = 0;

	for (int i = 0; i < 4; i++) {
		c[i].field = set[i];
		c[i].value = merged(row, values, set[i]);
		if (c[i].value == NULL) {
			/* an omitted tarball hash means "" (the column default) */
			c[i].value = i == 1 ? arena_keep(a->arena, json_string("")) : NULL;
		}
		if (c[i].value == NULL || json_is_null(c[i].value))
			complete = 0;  /* the original skips the rule when one is null */
	}
	if (complete && store_count(a->st, ENT_MLCUBE, c, 4, row ? row_int(row, "id") : 0, &n) == 0 &&
	    n > 0)
		return "The fields image_hash, additional_files_tarball_hash, container_config, "
		       "parameters_config must make a unique set.";
	return NULL;
}

/* The additional-files URL/hash pairing, on the merged values. */
static const char *pairing_check(struct api *a, json_t *row, json_t *values)
{
	const char *u = json_string_value(merged(row, values, "additional_files_tarball_url"));
	const char *h = json_string_value(merged(row, values, "additional_files_tarball_hash"));

	(void)a;
	if (u && u[0] && !(h && h[0]))
		return "Additional files require file hash";
	if (!(u && u[0]) && h && h[0])
		return "Additional files hash was provided without URL";
	return NULL;
}

/*
 * The unique-set validator runs before validate() in the original, so before
 * the OPERATION edit rule on a PUT: it is a field_check here.
 */
static int unique_set_field_check(struct api *a, json_t *row, json_t *values, json_t *errors)
{
	const char *msg = unique_set_check(a, row, values);

	if (msg == NULL)
		return 0;
	err_add(errors, "non_field_errors", msg);
	return -1;
}

/* Both object-level checks of a create, in the original's order (nested model POST). */
const char *mlcube_object_check(struct api *a, json_t *row, json_t *values)
{
	const char *msg = unique_set_check(a, row, values);

	return msg ? msg : pairing_check(a, row, values);
}

static const struct write_spec mlcube_spec = {
	.ent = ENT_MLCUBE,
	.field_check = unique_set_field_check,
	.object_check = pairing_check,
};

void mlcubes_list(struct api *a)
{
	static const struct list_spec ls = {.ent = ENT_MLCUBE, .filters = mlcube_filters,
					    .ordering = 1};

	api_list(a, &ls);
}

void mlcubes_create(struct api *a)
{
	crud_create(a, &mlcube_spec);
}

void mlcubes_get(struct api *a)
{
	crud_get(a, ENT_MLCUBE, 0);
}

void mlcubes_put(struct api *a)
{
	crud_update(a, &mlcube_spec, ROLE_ADMIN | ROLE_OWNER, 0);
}

void mlcubes_delete(struct api *a)
{
	crud_delete(a, ENT_MLCUBE);
}

void mlcubes_datasets(struct api *a)
{
	const unsigned allow = ROLE_ADMIN | ROLE_OWNER;
	struct store_cond c = {"data_preparation_mlcube",
			       arena_keep(a->arena, json_integer(a->id[0]))};
	struct list_spec ls = {.ent = ENT_DATASET, .conds = &c, .nconds = 1};
	json_t *row = api_get(a, ENT_MLCUBE, a->id[0]);

	/* no object lookup in the original: an admin sees an empty page for a missing id */
	if (api_require(a, allow, crud_owner_roles(a, row)))
		return;
	api_list(a, &ls);
}

json_t *model_wrapping(struct api *a, const char *field, int64_t id)
{
	json_t *v = arena_keep(a->arena, json_integer(id)), *row = NULL;
	struct store_cond c = {field, v};

	if (store_find(a->st, ENT_MODEL, &c, 1, &row) != 0)
		return NULL;
	arena_keep(a->arena, row);
	return ser_row(a, ENT_MODEL, row, 0);
}

void mlcubes_model(struct api *a)
{
	json_t *m = model_wrapping(a, "container", a->id[0]);

	if (m == NULL)
		api_not_found(a);
	else
		api_reply(a, 200, m);
}
