/* api_assets.c: /assets/ (file artifacts a model of type ASSET wraps). */
#include "server/policy.h"
#include "server/server.h"

static const char *const asset_filters[] = {"name", "owner", "state", "is_valid", NULL};
static const struct write_spec asset_spec = {.ent = ENT_ASSET};

void assets_list(struct api *a)
{
	static const struct list_spec ls = {.ent = ENT_ASSET, .filters = asset_filters,
					    .ordering = 1};

	api_list(a, &ls);
}

void assets_create(struct api *a)
{
	crud_create(a, &asset_spec);
}

void assets_get(struct api *a)
{
	crud_get(a, ENT_ASSET, 0);
}

void assets_put(struct api *a)
{
	crud_update(a, &asset_spec, ROLE_ADMIN | ROLE_OWNER, 0);
}

void assets_delete(struct api *a)
{
	crud_delete(a, ENT_ASSET);
}

void assets_model(struct api *a)
{
	json_t *m = model_wrapping(a, "asset", a->id[0]);

	if (m == NULL)
		api_not_found(a);
	else
		api_reply(a, 200, m);
}
