/*
 * serialize.c: rows to wire objects, as the original's serializers render
 * them: fields in table order, hidden fields never, private fields only in
 * the full view, nested objects expanded, and dictionary fields never null.
 */
#include <string.h>

#include "server/server.h"

json_t *ser_user(json_t *row)
{
	json_t *md = json_object_get(row, "metadata");

	return json_pack("{s:O,s:O,s:O,s:O,s:O,s:O}",
			 "id", json_object_get(row, "id"),
			 "username", json_object_get(row, "username"),
			 "email", json_object_get(row, "email"),
			 "first_name", json_object_get(row, "first_name"),
			 "last_name", json_object_get(row, "last_name"),
			 "metadata", json_is_object(md) ? md : json_object());
}

json_t *ser_row(struct api *a, enum entity_id ent, json_t *row, int flags)
{
	const struct entity *en = &entities[ent];
	json_t *out;

	if (ent == ENT_USER)
		return ser_user(row);
	out = json_object();
	if (out == NULL)
		return NULL;
	for (int i = 0; i < en->nfields; i++) {
		const struct field *f = &en->fields[i];
		json_t *v = json_object_get(row, f->name);

		if (f->flags & FF_HIDDEN)
			continue;
		if ((flags & SER_PUBLIC) && (f->flags & FF_PRIVATE))
			continue;
		if (v == NULL)
			v = json_null();
		if ((f->flags & FF_NESTED) && (flags & SER_FLAT))
			continue;
		if ((f->flags & FF_NESTED) && json_is_integer(v)) {
			json_t *sub = api_get(a, f->fk, json_integer_value(v));
			json_object_set_new(out, f->name, sub ? ser_row(a, f->fk, sub, 0)
							      : json_null());
			continue;
		}
		/* a dictionary field stored as null goes out as {} (clients reject null) */
		if (f->type == FT_JSON && json_is_null(v) && f->def && strcmp(f->def, "{}") == 0) {
			json_object_set_new(out, f->name, json_object());
			continue;
		}
		json_object_set(out, f->name, v);
	}
	for (int i = 0; (flags & SER_FLAT) && i < en->nfields; i++)
		if (en->fields[i].flags & FF_NESTED) {
			json_t *v = json_object_get(row, en->fields[i].name);
			json_object_set(out, en->fields[i].name, v ? v : json_null());
		}
	return out;
}
