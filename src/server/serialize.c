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
#include <string.h>

#include "server/server.h"

json_t *ser_user(json_t *row)
{
	static const char *const drop[] = {"is_admin", "is_active", "created_at", "modified_at"};
	json_t *md = json_object_get(row, "metadata");

	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		json_object_del(row, drop[i]);
	if (!json_is_object(md))
		json_object_set_new(row, "metadata", json_object());
	return json_incref(row);
}

json_t *ser_row(struct api *a, enum entity_id ent, json_t *row, int flags)
{
	const struct entity *en = &entities[ent];

	if (ent == ENT_USER)
		return ser_user(row);
	for (int i = 0; i < en->nfields; i++) {
		const struct field *f = &en->fields[i];
		json_t *v = json_object_get(row, f->name);

		if ((f->flags & FF_HIDDEN) || ((flags & SER_PUBLIC) && (f->flags & FF_PRIVATE))) {
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
		if (f->type == FT_JSON && json_is_null(v) && f->def && strcmp(f->def, "{}") == 0)
			json_object_set_new(row, f->name, json_object());
	}
	return json_incref(row);
}
