/*
 * serialize.c: rows to wire objects, as the original's serializers render
 * them: fields in table order, hidden fields never, private fields only in
 * the full view, nested objects expanded, and dictionary fields never null.
 *
 * The store already returns rows in wire order, so serializing trims the
 * row in place instead of copying it: ser_row and ser_user return the row
 * itself (a new reference), which callers must not use for anything else
 * afterwards.
 */
#include <pthread.h>
#include <string.h>

#include "server/server.h"

json_t *ser_user(json_t *row)
{
	static const char *const drop[] = {"is_admin", "is_active", "created_at", "modified_at"};
	json_t *md = json_object_get(row, "metadata");

	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		json_object_del(row, drop[i]);
	/* any JSON the user stored comes back as stored; only "none" reads as {} */
	if (md == NULL || json_is_null(md))
		json_object_set_new(row, "metadata", json_object());
	return json_incref(row);
}

/* The full views of every entity, for nested objects (computed on first use). */
static struct store_view full_views[ENT__MAX];
static pthread_once_t full_views_once = PTHREAD_ONCE_INIT;

static void view_of(enum entity_id ent, int flags, struct store_view *v);

static void init_full_views(void)
{
	for (int e = 0; e < ENT__MAX; e++)
		view_of((enum entity_id)e, 0, &full_views[e]);
}

void ser_view(enum entity_id ent, int flags, struct store_view *v)
{
	pthread_once(&full_views_once, init_full_views);
	view_of(ent, flags, v);
}

static void view_of(enum entity_id ent, int flags, struct store_view *v)
{
	const struct entity *en = &entities[ent];

	v->omit = 0;
	v->null_object = 0;
	v->nested = full_views;
	for (int i = 0; i < en->nfields; i++) {
		const struct field *f = &en->fields[i];
		if ((f->flags & FF_HIDDEN) || ((flags & SER_PUBLIC) && (f->flags & FF_PRIVATE)))
			v->omit |= (uint64_t)1 << i;
		if (f->type == FT_JSON && f->def && strcmp(f->def, "{}") == 0)
			v->null_object |= (uint64_t)1 << i;
	}
}

int ser_renderable(enum entity_id ent)
{
	/* users have their own serializer; nested objects are rendered one level deep */
	return ent != ENT_USER;
}

json_t *ser_row(struct api *a, enum entity_id ent, json_t *row, int flags)
{
	const struct entity *en = &entities[ent];
	struct store_view view;

	if (ent == ENT_USER)
		return ser_user(row);
	ser_view(ent, flags, &view);
	for (int i = 0; i < en->nfields; i++) {
		const struct field *f = &en->fields[i];
		json_t *v = json_object_get(row, f->name);

		if (view.omit >> i & 1) {
			json_object_del(row, f->name);
			continue;
		}
		if (v == NULL)
			continue;
		if (f->flags & FF_NESTED) {
			if (flags & SER_FLAT) {
				/* ids, moved after the other fields */
				json_incref(v);
				json_object_del(row, f->name);
				json_object_set_new(row, f->name, v);
			} else if (json_is_integer(v)) {
				json_t *sub = api_get(a, f->fk, json_integer_value(v));
				json_object_set_new(row, f->name, sub ? ser_row(a, f->fk, sub, 0)
								      : json_null());
			}
			continue;
		}
		/* a dictionary field stored as null goes out as {} (clients reject null) */
		if ((view.null_object >> i & 1) && json_is_null(v))
			json_object_set_new(row, f->name, json_object());
	}
	return json_incref(row);
}
