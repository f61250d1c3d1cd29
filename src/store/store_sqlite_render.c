/*
 * store_sqlite_render.c: rows straight to JSON text, for the hot read paths
 * (store_list_json in store.h): no jansson values per row; JSON columns are
 * copied as stored; nested objects are read by id and written in place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/buf.h"
#include "core/jsonw.h"
#include "core/timeutil.h"
#include "store/sqlite_int.h"


/* Writes row id of ent as a nested object (null when it is gone). */
static int render_nested(struct store *s, enum entity_id ent, int64_t id,
			 const struct store_view *v, struct buf *out)
{
	sqlite3_stmt *st = sq_get_stmt(s, ent);
	int rc;

	if (st == NULL)
		return MP_EDB;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = sq_render_row(s, st, &entities[ent], v, out);
	else if (rc == SQLITE_DONE)
		rc = buf_adds(out, "null");
	else
		rc = sq_db_err(rc) ? sq_db_err(rc) : MP_EDB;
	sq_done(st);
	return rc;
}

/* Writes the current row of st as a JSON object (see store_list_json). */
int sq_render_row(struct store *s, sqlite3_stmt *st, const struct entity *en,
		      const struct store_view *v, struct buf *out)
{
	char iso[TM_ISO_LEN];
	int first = 1, rc = buf_addch(out, '{');

	for (int i = 0; i < en->nfields && rc == 0; i++) {
		const struct field *f = &en->fields[i];
		const char *text;

		if (v->omit >> i & 1)
			continue;
		if (!first)
			buf_addch(out, ',');
		first = 0;
		buf_addch(out, '"');
		buf_adds(out, f->name);
		rc = buf_add(out, "\":", 2);
		if (sqlite3_column_type(st, i) == SQLITE_NULL) {
			rc = buf_adds(out, (v->null_object >> i & 1) ? "{}" : "null");
			continue;
		}
		switch (f->type) {
		case FT_FK:
			if ((f->flags & FF_NESTED) && v->nested) {
				rc = render_nested(s, f->fk, sqlite3_column_int64(st, i),
						   &v->nested[f->fk], out);
				break;
			}
			/* fall through */
		case FT_ID:
		case FT_INT:
			rc = jsonw_int(out, sqlite3_column_int64(st, i));
			break;
		case FT_BOOL:
			rc = buf_adds(out, sqlite3_column_int(st, i) ? "true" : "false");
			break;
		case FT_STR:
		case FT_TEXT:
		case FT_ENUM:
			text = (const char *)sqlite3_column_text(st, i);
			rc = jsonw_string(out, text ? text : "", (size_t)sqlite3_column_bytes(st, i));
			break;
		case FT_DT:
			tm_iso(sqlite3_column_int64(st, i), iso);
			buf_addch(out, '"');
			buf_add(out, iso, TM_ISO_LEN - 1);
			rc = buf_addch(out, '"');
			break;
		case FT_JSON:
			text = (const char *)sqlite3_column_text(st, i);
			rc = buf_add(out, text ? text : "null", text ? (size_t)sqlite3_column_bytes(st, i) : 4);
			break;
		}
	}
	return rc ? rc : buf_addch(out, '}');
}

int store_list_json(struct store *s, enum entity_id ent, const struct store_query *q,
		    const struct store_view *v, struct buf *out, int64_t *count)
{
	const struct entity *en = &entities[ent];
	struct buf sql;
	sqlite3_stmt *st = NULL;
	size_t start = out->len;
	int rc, idx = 0, n = 0;

	buf_init(&sql, 8192);
	rc = sq_select_sql(s, &sql, en, q);
	if (rc)
		goto out;
	rc = sq_prepare(s, sql.data, &st);
	if (rc)
		goto out;
	rc = sq_bind_conds(st, en, q->conds, q->nconds, &idx);
	if (rc == 0) {
		int r;
		sqlite3_bind_int64(st, ++idx, q->limit);
		sqlite3_bind_int64(st, ++idx, q->offset);
		rc = buf_addch(out, '[');
		while (rc == 0 && (r = sqlite3_step(st)) == SQLITE_ROW) {
			if (n++)
				buf_addch(out, ',');
			rc = sq_render_row(s, st, en, v, out);
		}
		if (rc == 0 && r != SQLITE_DONE)
			rc = sq_db_err(r) ? sq_db_err(r) : MP_EDB;
		if (rc == 0)
			rc = buf_addch(out, ']');
	}
	sq_done(st);
	if (rc == 0 && q->count && count)
		rc = sq_count_where(s, en, q->conds, q->nconds, 0, count);
out:
	if (rc) {
		out->len = start;
		out->data[start] = '\0';
	}
	buf_release(&sql);
	return rc;
}


