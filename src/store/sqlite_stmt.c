/*
 * sqlite_stmt.c: the SQLite backend's statement layer: the per-connection
 * cache of prepared statements, error codes, binding JSON values to
 * parameters, reading rows back as JSON, and the SQL fragments built from
 * the entity tables (see sqlite_int.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/buf.h"
#include "core/jsonw.h"
#include "core/timeutil.h"
#include "store/sqlite_int.h"

int sq_db_err(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return MP_OK;
	case SQLITE_CONSTRAINT:
		return MP_ECONSTRAINT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return MP_EBUSY;
	case SQLITE_NOMEM:
		return MP_ENOMEM;
	default:
		return MP_EDB;
	}
}

uint32_t sq_hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Returns a reset statement for sql (cached); NULL on error. */
sqlite3_stmt *sq_prep(struct store *s, const char *sql)
{
	uint32_t h = sq_hash_str(sql);
	struct stmt_slot *slot = NULL;
	sqlite3_stmt *st;

	for (int i = 0; i < STMT_PROBE; i++) {
		struct stmt_slot *c = &s->cache[(h + (uint32_t)i) & (STMT_CACHE - 1)];
		if (c->sql && strcmp(c->sql, sql) == 0)
			return c->st;
		if (c->sql == NULL && slot == NULL)
			slot = c;
	}
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
		return NULL;
	if (slot == NULL) {
		/* all probed slots busy: evict the first */
		slot = &s->cache[h & (STMT_CACHE - 1)];
		sqlite3_finalize(slot->st);
		free(slot->sql);
	}
	slot->sql = strdup(sql);
	if (slot->sql == NULL) {
		sqlite3_finalize(st);
		slot->st = NULL;
		return NULL;
	}
	slot->st = st;
	return st;
}

int sq_prepare(struct store *s, const char *sql, sqlite3_stmt **st)
{
	int rc;

	*st = sq_prep(s, sql);
	if (*st)
		return MP_OK;
	rc = sq_db_err(sqlite3_errcode(s->db));
	return rc ? rc : MP_EDB;
}

int sq_select_sql(struct store *s, struct buf *sql, const struct entity *en,
		  const struct store_query *q)
{
	int rc = buf_adds(sql, "SELECT ");

	rc = rc ? rc : sq_add_columns(s, sql, en, "");
	rc = rc ? rc : buf_addf(sql, " FROM \"%s\"", en->table);
	if (q->offset > 0) {
		/*
		 * SQLite reads every skipped row in full; skip over ids in the
		 * (covering) index instead and read only the rows of the page.
		 */
		rc = rc ? rc : buf_addf(sql, " WHERE \"id\" IN (SELECT \"id\" FROM \"%s\"",
					en->table);
		rc = rc ? rc : sq_add_where(sql, en, q->conds, q->nconds, "");
		rc = rc ? rc : sq_add_order(sql, en, q->order, q->norder, "");
		rc = rc ? rc : buf_adds(sql, " LIMIT ? OFFSET ?)");
		return rc ? rc : sq_add_order(sql, en, q->order, q->norder, "");
	}
	rc = rc ? rc : sq_add_where(sql, en, q->conds, q->nconds, "");
	rc = rc ? rc : sq_add_order(sql, en, q->order, q->norder, "");
	return rc ? rc : buf_adds(sql, " LIMIT ? OFFSET ?");
}

void sq_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int sq_bind_value(sqlite3_stmt *st, int i, const struct field *f, json_t *v)
{
	int64_t us;
	char *text;
	int rc;

	if (v == NULL || json_is_null(v))
		return sqlite3_bind_null(st, i);
	switch (f->type) {
	case FT_ID:
	case FT_INT:
	case FT_FK:
		if (!json_is_integer(v))
			return SQLITE_MISMATCH;
		return sqlite3_bind_int64(st, i, json_integer_value(v));
	case FT_BOOL:
		if (json_is_boolean(v))
			return sqlite3_bind_int(st, i, json_is_true(v));
		if (json_is_integer(v))
			return sqlite3_bind_int(st, i, json_integer_value(v) != 0);
		return SQLITE_MISMATCH;
	case FT_STR:
	case FT_TEXT:
	case FT_ENUM:
		if (!json_is_string(v))
			return SQLITE_MISMATCH;
		return sqlite3_bind_text(st, i, json_string_value(v), (int)json_string_length(v),
					 SQLITE_TRANSIENT);
	case FT_DT:
		if (json_is_integer(v))
			return sqlite3_bind_int64(st, i, json_integer_value(v));
		if (json_is_string(v) && tm_parse_iso(json_string_value(v), &us) == 0)
			return sqlite3_bind_int64(st, i, us);
		return SQLITE_MISMATCH;
	case FT_JSON:
		text = jsonw_dumps(v);
		if (text == NULL)
			return SQLITE_NOMEM;
		rc = sqlite3_bind_text(st, i, text, -1, free);
		return rc;
	}
	return SQLITE_MISMATCH;
}

static json_t *sq_read_column(sqlite3_stmt *st, int col, const struct field *f)
{
	char iso[TM_ISO_LEN];
	const char *text;
	json_t *v;

	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	switch (f->type) {
	case FT_ID:
	case FT_INT:
	case FT_FK:
		return json_integer(sqlite3_column_int64(st, col));
	case FT_BOOL:
		return json_boolean(sqlite3_column_int(st, col));
	case FT_STR:
	case FT_TEXT:
	case FT_ENUM:
		text = (const char *)sqlite3_column_text(st, col);
		return json_stringn_nocheck(text ? text : "", (size_t)sqlite3_column_bytes(st, col));
	case FT_DT:
		tm_iso(sqlite3_column_int64(st, col), iso);
		return json_string(iso);
	case FT_JSON:
		text = (const char *)sqlite3_column_text(st, col);
		/* most dictionary columns hold "{}": skip the parser for them */
		if (text && text[0] == '{' && text[1] == '}' && text[2] == '\0')
			return json_object();
		if (text && text[0] == '[' && text[1] == ']' && text[2] == '\0')
			return json_array();
		v = json_loadb(text ? text : "null", (size_t)sqlite3_column_bytes(st, col),
			       JSON_DECODE_ANY, NULL);
		return v ? v : json_null();
	}
	return json_null();
}

/* Reads the current row (all fields of ent, from column first) as an object. */
json_t *sq_read_row(sqlite3_stmt *st, const struct entity *en, int first)
{
	json_t *row = json_object();

	if (row == NULL)
		return NULL;
	for (int i = 0; i < en->nfields; i++)
		json_object_set_new_nocheck(row, en->fields[i].name,
					    sq_read_column(st, first + i, &en->fields[i]));
	return row;
}

/* Appends the column list of en (built once per connection and kept). */
int sq_add_columns(struct store *s, struct buf *b, const struct entity *en,
		       const char *prefix)
{
	int ent = (int)(en - entities), pre = prefix[0] != '\0';
	struct buf c;

	if (s->cols[ent][pre] == NULL) {
		buf_init(&c, 8192);
		for (int i = 0; i < en->nfields; i++)
			if (buf_addf(&c, "%s%s\"%s\"", i ? "," : "", prefix, en->fields[i].name)) {
				buf_release(&c);
				return MP_ETOOBIG;
			}
		s->cols[ent][pre] = buf_detach(&c, NULL);
		if (s->cols[ent][pre] == NULL)
			return MP_ENOMEM;
	}
	return buf_adds(b, s->cols[ent][pre]);
}

/* Appends " WHERE a=? AND b IS NULL" for conds; *nbind counts placeholders. */
int sq_add_where(struct buf *b, const struct entity *en, const struct store_cond *c, int n,
		     const char *prefix)
{
	for (int i = 0; i < n; i++) {
		const struct field *f = NULL;
		for (int k = 0; k < en->nfields; k++)
			if (strcmp(en->fields[k].name, c[i].field) == 0)
				f = &en->fields[k];
		if (f == NULL)
			return MP_EINVAL;
		if (buf_addf(b, "%s%s\"%s\" %s", i ? " AND " : " WHERE ", prefix, f->name,
			     json_is_null(c[i].value) ? "IS NULL" : "= ?"))
			return MP_ETOOBIG;
	}
	return MP_OK;
}

int sq_bind_conds(sqlite3_stmt *st, const struct entity *en, const struct store_cond *c,
		      int n, int *idx)
{
	for (int i = 0; i < n; i++) {
		const struct field *f = NULL;
		if (json_is_null(c[i].value))
			continue;
		for (int k = 0; k < en->nfields; k++)
			if (strcmp(en->fields[k].name, c[i].field) == 0)
				f = &en->fields[k];
		if (f == NULL || sq_bind_value(st, ++*idx, f, c[i].value) != SQLITE_OK)
			return MP_EINVAL;
	}
	return MP_OK;
}

int sq_add_order(struct buf *b, const struct entity *en, const struct store_order *o, int n,
		     const char *prefix)
{
	const char *def = en->order;
	int rc = buf_adds(b, " ORDER BY ");

	if (n == 0) {
		int desc = def[0] == '-';
		rc = rc ? rc : buf_addf(b, "%s\"%s\" %s,", prefix, def + desc, desc ? "DESC" : "ASC");
	}
	for (int i = 0; i < n && rc == 0; i++) {
		if (entity_field((enum entity_id)(en - entities), o[i].field) < 0)
			return MP_EINVAL;
		rc = buf_addf(b, "%s\"%s\" %s,", prefix, o[i].field, o[i].desc ? "DESC" : "ASC");
	}
	return rc ? rc : buf_addf(b, "%s\"id\" ASC", prefix);
}

/* Steps st collecting rows of en into a new array. */
int sq_collect(sqlite3_stmt *st, const struct entity *en, json_t **rows)
{
	json_t *arr = json_array();
	int rc;

	if (arr == NULL)
		return MP_ENOMEM;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = sq_read_row(st, en, 0);
		if (row == NULL || json_array_append_new(arr, row)) {
			json_decref(arr);
			return MP_ENOMEM;
		}
	}
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return sq_db_err(rc);
	}
	*rows = arr;
	return MP_OK;
}

int sq_exec_simple(struct store *s, const char *sql)
{
	sqlite3_stmt *st = sq_prep(s, sql);
	int rc;

	if (st == NULL)
		return sq_db_err(sqlite3_errcode(s->db));
	rc = sqlite3_step(st);
	sq_done(st);
	return sq_db_err(rc);
}


/* The statement reading one row of ent by id (prepared once per connection). */
sqlite3_stmt *sq_get_stmt(struct store *s, enum entity_id ent)
{
	struct buf sql;

	if (s->get[ent])
		return s->get[ent];
	buf_init(&sql, 8192);
	if (buf_adds(&sql, "SELECT ") == 0 && sq_add_columns(s, &sql, &entities[ent], "") == 0 &&
	    buf_addf(&sql, " FROM \"%s\" WHERE \"id\" = ?", entities[ent].table) == 0)
		sqlite3_prepare_v3(s->db, sql.data, -1, SQLITE_PREPARE_PERSISTENT, &s->get[ent],
				   NULL);
	buf_release(&sql);
	return s->get[ent];
}

