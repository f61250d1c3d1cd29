/*
 * store_sqlite.c: the SQLite backend of store.h.
 *
 * SQL text is generated from the entity tables (entity.h) and cached as
 * prepared statements per connection; every value is bound. The database runs
 * in WAL mode with foreign keys on. Schema migrations live in
 * migrations_sqlite.c.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/buf.h"
#include "core/jsonw.h"
#include "core/timeutil.h"
#include "store/store.h"

#define STMT_CACHE 256  /* power of two */
#define STMT_PROBE 8

struct stmt_slot {
	char *sql;
	sqlite3_stmt *st;
};

#define COUNT_CACHE 64  /* power of two */

/* A remembered count(*): valid while nobody has written since. */
struct count_slot {
	char *key;          /* SQL text and bound values */
	int64_t n;
	int64_t version;    /* PRAGMA data_version when counted (others' commits) */
	uint64_t wseq;      /* this connection's write sequence when counted */
};

struct store {
	sqlite3 *db;
	struct stmt_slot cache[STMT_CACHE];
	char *cols[ENT__MAX][2];  /* column lists, plain and with the "a." prefix */
	struct count_slot counts[COUNT_CACHE];
	uint64_t wseq;            /* bumped by every write through this connection */
	sqlite3_stmt *get[ENT__MAX]; /* "row by id", kept apart from the cache: never evicted */
};

extern const char *const sqlite_migrations[];
extern const int sqlite_nmigrations;

/* ---------------------------------------------------------------------
 * Low level: errors, statement cache, binding, reading
 * ------------------------------------------------------------------- */

static int db_err(int rc)
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

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Returns a reset statement for sql (cached); NULL on error. */
static sqlite3_stmt *prep(struct store *s, const char *sql)
{
	uint32_t h = hash_str(sql);
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

static void done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static int bind_value(sqlite3_stmt *st, int i, const struct field *f, json_t *v)
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

static json_t *read_column(sqlite3_stmt *st, int col, const struct field *f)
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
static json_t *read_row(sqlite3_stmt *st, const struct entity *en, int first)
{
	json_t *row = json_object();

	if (row == NULL)
		return NULL;
	for (int i = 0; i < en->nfields; i++)
		json_object_set_new_nocheck(row, en->fields[i].name,
					    read_column(st, first + i, &en->fields[i]));
	return row;
}

/* Appends the column list of en (built once per connection and kept). */
static int add_columns(struct store *s, struct buf *b, const struct entity *en,
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
static int add_where(struct buf *b, const struct entity *en, const struct store_cond *c, int n,
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

static int bind_conds(sqlite3_stmt *st, const struct entity *en, const struct store_cond *c,
		      int n, int *idx)
{
	for (int i = 0; i < n; i++) {
		const struct field *f = NULL;
		if (json_is_null(c[i].value))
			continue;
		for (int k = 0; k < en->nfields; k++)
			if (strcmp(en->fields[k].name, c[i].field) == 0)
				f = &en->fields[k];
		if (f == NULL || bind_value(st, ++*idx, f, c[i].value) != SQLITE_OK)
			return MP_EINVAL;
	}
	return MP_OK;
}

static int add_order(struct buf *b, const struct entity *en, const struct store_order *o, int n,
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
static int collect(sqlite3_stmt *st, const struct entity *en, json_t **rows)
{
	json_t *arr = json_array();
	int rc;

	if (arr == NULL)
		return MP_ENOMEM;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = read_row(st, en, 0);
		if (row == NULL || json_array_append_new(arr, row)) {
			json_decref(arr);
			return MP_ENOMEM;
		}
	}
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return db_err(rc);
	}
	*rows = arr;
	return MP_OK;
}

static int exec_simple(struct store *s, const char *sql)
{
	sqlite3_stmt *st = prep(s, sql);
	int rc;

	if (st == NULL)
		return db_err(sqlite3_errcode(s->db));
	rc = sqlite3_step(st);
	done(st);
	return db_err(rc);
}

/* ---------------------------------------------------------------------
 * Open, close, migrate, transactions
 * ------------------------------------------------------------------- */

int store_open(const struct store_opts *o, struct store **out, mp_errbuf *e)
{
	struct store *s = calloc(1, sizeof(*s));
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	char *errmsg = NULL;
	struct buf pragmas;
	int rc;

	*out = NULL;
	if (s == NULL)
		return MP_ENOMEM;
	if (o->create)
		flags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(o->path, &s->db, flags, NULL);
	if (rc != SQLITE_OK) {
		mp_seterr(e, MP_EDB, "cannot open database '%s': %s", o->path,
			  s->db ? sqlite3_errmsg(s->db) : "out of memory");
		sqlite3_close(s->db);
		free(s);
		return MP_EDB;
	}
	sqlite3_busy_timeout(s->db, o->busy_ms > 0 ? o->busy_ms : 5000);
	sqlite3_extended_result_codes(s->db, 1);
	buf_init(&pragmas, 512);
	buf_addf(&pragmas, "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; "
		 "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; "
		 /* reads of large tables from the mapping, not pread() into a small cache */
		 "PRAGMA mmap_size=1073741824; PRAGMA cache_size=-16384;%s",
		 o->sync_full ? "FULL" : "NORMAL",
		 o->no_autocheckpoint ? " PRAGMA wal_autocheckpoint=0;" : "");
	rc = sqlite3_exec(s->db, pragmas.data, NULL, NULL, &errmsg);
	buf_release(&pragmas);
	if (rc != SQLITE_OK) {
		mp_seterr(e, db_err(rc), "cannot configure database '%s': %s", o->path,
			  errmsg ? errmsg : "unknown error");
		sqlite3_free(errmsg);
		store_close(s);
		return db_err(rc) ? db_err(rc) : MP_EDB;
	}
	*out = s;
	return MP_OK;
}

void store_close(struct store *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < STMT_CACHE; i++) {
		sqlite3_finalize(s->cache[i].st);
		free(s->cache[i].sql);
	}
	for (int i = 0; i < ENT__MAX; i++) {
		free(s->cols[i][0]);
		free(s->cols[i][1]);
	}
	for (int i = 0; i < COUNT_CACHE; i++)
		free(s->counts[i].key);
	for (int i = 0; i < ENT__MAX; i++)
		sqlite3_finalize(s->get[i]);
	sqlite3_close(s->db);
	free(s);
}

int store_checkpoint(struct store *s, int truncate, int *frames)
{
	int log = 0, done_frames = 0;
	int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, truncate ? SQLITE_CHECKPOINT_TRUNCATE
						       : SQLITE_CHECKPOINT_PASSIVE,
					   &log, &done_frames);

	if (frames)
		*frames = log;
	return rc == SQLITE_OK ? MP_OK : db_err(rc);
}

int store_schema_version(struct store *s)
{
	sqlite3_stmt *st = prep(s, "PRAGMA user_version");
	int v = -1;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	if (st)
		done(st);
	return v;
}

int store_latest_schema_version(void)
{
	return sqlite_nmigrations;
}

int store_migrate(struct store *s, int *from, int *to, mp_errbuf *e)
{
	int v = store_schema_version(s);
	char *errmsg = NULL;

	if (v < 0)
		return mp_seterr(e, MP_EDB, "cannot read the schema version: %s",
				 sqlite3_errmsg(s->db));
	if (from)
		*from = v;
	if (v > sqlite_nmigrations)
		return mp_seterr(e, MP_EDB,
				 "database schema version %d is newer than this program (%d)",
				 v, sqlite_nmigrations);
	for (; v < sqlite_nmigrations; v++) {
		char setv[64];
		int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, &errmsg);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(s->db, sqlite_migrations[v], NULL, NULL, &errmsg);
		snprintf(setv, sizeof(setv), "PRAGMA user_version=%d", v + 1);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(s->db, setv, NULL, NULL, &errmsg);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, &errmsg);
		if (rc != SQLITE_OK) {
			mp_seterr(e, MP_EDB, "migration %d failed: %s", v + 1,
				  errmsg ? errmsg : sqlite3_errmsg(s->db));
			sqlite3_free(errmsg);
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return MP_EDB;
		}
	}
	if (to)
		*to = v;
	return MP_OK;
}

int store_begin(struct store *s)
{
	return exec_simple(s, "BEGIN IMMEDIATE");
}

int store_begin_read(struct store *s)
{
	return exec_simple(s, "BEGIN");
}

int store_in_transaction(struct store *s)
{
	return !sqlite3_get_autocommit(s->db);
}

int store_commit(struct store *s)
{
	return exec_simple(s, "COMMIT");
}

void store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		exec_simple(s, "ROLLBACK");
}

/* ---------------------------------------------------------------------
 * Generic row operations
 * ------------------------------------------------------------------- */

/* The statement reading one row of ent by id (prepared once per connection). */
static sqlite3_stmt *get_stmt(struct store *s, enum entity_id ent)
{
	struct buf sql;

	if (s->get[ent])
		return s->get[ent];
	buf_init(&sql, 8192);
	if (buf_adds(&sql, "SELECT ") == 0 && add_columns(s, &sql, &entities[ent], "") == 0 &&
	    buf_addf(&sql, " FROM \"%s\" WHERE \"id\" = ?", entities[ent].table) == 0)
		sqlite3_prepare_v3(s->db, sql.data, -1, SQLITE_PREPARE_PERSISTENT, &s->get[ent],
				   NULL);
	buf_release(&sql);
	return s->get[ent];
}

int store_get(struct store *s, enum entity_id ent, int64_t id, json_t **row)
{
	sqlite3_stmt *st = get_stmt(s, ent);
	int rc;

	*row = NULL;
	if (st == NULL)
		return MP_EDB;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*row = read_row(st, &entities[ent], 0);
		rc = *row ? MP_OK : MP_ENOMEM;
	} else {
		rc = rc == SQLITE_DONE ? MP_ENOTFOUND : (db_err(rc) ? db_err(rc) : MP_EDB);
	}
	done(st);
	return rc;
}

int store_find(struct store *s, enum entity_id ent, const struct store_cond *conds, int n,
	       json_t **row)
{
	struct store_query q = {.conds = conds, .nconds = n, .limit = 1};
	json_t *rows;
	int rc = store_list(s, ent, &q, &rows, NULL);

	*row = NULL;
	if (rc)
		return rc;
	if (json_array_size(rows) == 0) {
		json_decref(rows);
		return MP_ENOTFOUND;
	}
	*row = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	return MP_OK;
}

/*
 * Filtered counts scan an index range, which is slow for large ranges (the
 * results of a benchmark, say) and repeated on every page of a list. They
 * are remembered per connection until the database changes: another
 * connection's commit changes PRAGMA data_version, our own writes change wseq.
 */
static int64_t data_version(struct store *s)
{
	sqlite3_stmt *st = prep(s, "PRAGMA data_version");
	int64_t v = -1;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	if (st)
		done(st);
	return v;
}

static struct count_slot *count_slot_for(struct store *s, const struct buf *sql,
					 const struct entity *en, const struct store_cond *conds,
					 int n, int64_t exclude_id, int64_t *version)
{
	struct count_slot *slot;
	struct buf key;

	*version = data_version(s);
	if (*version < 0)
		return NULL;
	buf_init(&key, 16384);
	buf_add(&key, sql->data, sql->len);
	for (int i = 0; i < n; i++) {
		buf_addch(&key, '\x1f');
		if (jsonw_value(&key, conds[i].value)) {
			buf_release(&key);
			return NULL;
		}
	}
	if (buf_addf(&key, "\x1f%lld", (long long)exclude_id)) {
		buf_release(&key);
		return NULL;
	}
	(void)en;
	slot = &s->counts[hash_str(key.data) & (COUNT_CACHE - 1)];
	if (slot->key == NULL || strcmp(slot->key, key.data) != 0) {
		free(slot->key);
		slot->key = buf_detach(&key, NULL);
		slot->version = -1;
	}
	buf_release(&key);
	return slot->key ? slot : NULL;
}

static int count_where(struct store *s, const struct entity *en, const struct store_cond *conds,
		       int n, int64_t exclude_id, int64_t *count)
{
	struct count_slot *slot = NULL;
	struct buf sql;
	sqlite3_stmt *st;
	int64_t version = -1;
	int rc, idx = 0;

	buf_init(&sql, 8192);
	if (n == 0 && exclude_id == 0)
		/* whole-table counts are kept by triggers (see migrations_sqlite.c) */
		rc = buf_addf(&sql, "SELECT n FROM row_counts WHERE tbl = '%s'", en->table);
	else
		rc = buf_addf(&sql, "SELECT count(*) FROM \"%s\"", en->table);
	if (rc == 0 && (n || exclude_id))
		rc = add_where(&sql, en, conds, n, "");
	if (rc == 0 && exclude_id)
		rc = buf_adds(&sql, n ? " AND \"id\" <> ?" : " WHERE \"id\" <> ?");
	if (rc)
		goto out;
	if (n || exclude_id) {
		slot = count_slot_for(s, &sql, en, conds, n, exclude_id, &version);
		if (slot && slot->version == version && slot->wseq == s->wseq) {
			*count = slot->n;
			goto out;
		}
	}
	st = prep(s, sql.data);
	rc = st ? bind_conds(st, en, conds, n, &idx) : db_err(sqlite3_errcode(s->db));
	if (rc == 0 && exclude_id)
		sqlite3_bind_int64(st, ++idx, exclude_id);
	if (rc == 0) {
		int r = sqlite3_step(st);
		if (r == SQLITE_ROW)
			*count = sqlite3_column_int64(st, 0);
		else
			rc = db_err(r) ? db_err(r) : MP_EDB;
	}
	if (st)
		done(st);
	if (rc == 0 && slot) {
		slot->n = *count;
		slot->version = version;
		slot->wseq = s->wseq;
	}
out:
	buf_release(&sql);
	return rc;
}

int store_count(struct store *s, enum entity_id ent, const struct store_cond *conds, int n,
		int64_t exclude_id, int64_t *count)
{
	return count_where(s, &entities[ent], conds, n, exclude_id, count);
}

int store_list(struct store *s, enum entity_id ent, const struct store_query *q,
	       json_t **rows, int64_t *count)
{
	const struct entity *en = &entities[ent];
	struct buf sql;
	sqlite3_stmt *st = NULL;
	int rc, idx = 0;

	*rows = NULL;
	buf_init(&sql, 8192);
	rc = buf_adds(&sql, "SELECT ");
	if (rc == 0)
		rc = add_columns(s, &sql, en, "");
	if (rc == 0)
		rc = buf_addf(&sql, " FROM \"%s\"", en->table);
	if (rc == 0)
		rc = add_where(&sql, en, q->conds, q->nconds, "");
	if (rc == 0)
		rc = add_order(&sql, en, q->order, q->norder, "");
	if (rc == 0)
		rc = buf_adds(&sql, " LIMIT ? OFFSET ?");
	if (rc)
		goto out;
	st = prep(s, sql.data);
	if (st == NULL) {
		rc = db_err(sqlite3_errcode(s->db));
		rc = rc ? rc : MP_EDB;
		goto out;
	}
	rc = bind_conds(st, en, q->conds, q->nconds, &idx);
	if (rc == 0) {
		sqlite3_bind_int64(st, ++idx, q->limit);
		sqlite3_bind_int64(st, ++idx, q->offset);
		rc = collect(st, en, rows);
	}
	done(st);
	if (rc == 0 && q->count && count)
		rc = count_where(s, en, q->conds, q->nconds, 0, count);
	if (rc) {
		json_decref(*rows);
		*rows = NULL;
	}
out:
	buf_release(&sql);
	return rc;
}

static int render_row(struct store *s, sqlite3_stmt *st, const struct entity *en,
		      const struct store_view *v, struct buf *out);

/* Writes row id of ent as a nested object (null when it is gone). */
static int render_nested(struct store *s, enum entity_id ent, int64_t id,
			 const struct store_view *v, struct buf *out)
{
	sqlite3_stmt *st = get_stmt(s, ent);
	int rc;

	if (st == NULL)
		return MP_EDB;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = render_row(s, st, &entities[ent], v, out);
	else if (rc == SQLITE_DONE)
		rc = buf_adds(out, "null");
	else
		rc = db_err(rc) ? db_err(rc) : MP_EDB;
	done(st);
	return rc;
}

/* Writes the current row of st as a JSON object (see store_list_json). */
static int render_row(struct store *s, sqlite3_stmt *st, const struct entity *en,
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
	rc = buf_adds(&sql, "SELECT ");
	rc = rc ? rc : add_columns(s, &sql, en, "");
	rc = rc ? rc : buf_addf(&sql, " FROM \"%s\"", en->table);
	rc = rc ? rc : add_where(&sql, en, q->conds, q->nconds, "");
	rc = rc ? rc : add_order(&sql, en, q->order, q->norder, "");
	rc = rc ? rc : buf_adds(&sql, " LIMIT ? OFFSET ?");
	if (rc)
		goto out;
	st = prep(s, sql.data);
	if (st == NULL) {
		rc = db_err(sqlite3_errcode(s->db));
		rc = rc ? rc : MP_EDB;
		goto out;
	}
	rc = bind_conds(st, en, q->conds, q->nconds, &idx);
	if (rc == 0) {
		int r;
		sqlite3_bind_int64(st, ++idx, q->limit);
		sqlite3_bind_int64(st, ++idx, q->offset);
		rc = buf_addch(out, '[');
		while (rc == 0 && (r = sqlite3_step(st)) == SQLITE_ROW) {
			if (n++)
				buf_addch(out, ',');
			rc = render_row(s, st, en, v, out);
		}
		if (rc == 0 && r != SQLITE_DONE)
			rc = db_err(r) ? db_err(r) : MP_EDB;
		if (rc == 0)
			rc = buf_addch(out, ']');
	}
	done(st);
	if (rc == 0 && q->count && count)
		rc = count_where(s, en, q->conds, q->nconds, 0, count);
out:
	if (rc) {
		out->len = start;
		out->data[start] = '\0';
	}
	buf_release(&sql);
	return rc;
}

static int step_write(struct store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	done(st);
	s->wseq++;
	return rc == SQLITE_DONE ? MP_OK : (db_err(rc) ? db_err(rc) : MP_EDB);
}

int store_insert(struct store *s, enum entity_id ent, json_t *values, int64_t *id)
{
	const struct entity *en = &entities[ent];
	struct buf sql, ph;
	sqlite3_stmt *st;
	int64_t now = tm_now_us();
	int rc = MP_OK, idx = 0, n = 0;

	buf_init(&sql, 8192);
	buf_init(&ph, 2048);
	rc = buf_addf(&sql, "INSERT INTO \"%s\" (", en->table);
	for (int i = 0; i < en->nfields && rc == 0; i++) {
		const struct field *f = &en->fields[i];
		if (f->type == FT_ID || !(f->flags & (FF_AUTO_NOW | FF_AUTO_MOD) ||
					 json_object_get(values, f->name)))
			continue;
		rc = buf_addf(&sql, "%s\"%s\"", n ? "," : "", f->name);
		if (rc == 0)
			rc = buf_adds(&ph, n ? ",?" : "?");
		n++;
	}
	if (rc == 0)
		rc = buf_addf(&sql, ") VALUES (%s)", ph.data);
	if (rc)
		goto out;
	st = prep(s, sql.data);
	if (st == NULL) {
		rc = db_err(sqlite3_errcode(s->db));
		rc = rc ? rc : MP_EDB;
		goto out;
	}
	for (int i = 0; i < en->nfields; i++) {
		const struct field *f = &en->fields[i];
		int r;
		if (f->type == FT_ID)
			continue;
		if (f->flags & (FF_AUTO_NOW | FF_AUTO_MOD))
			r = sqlite3_bind_int64(st, ++idx, now);
		else if (json_object_get(values, f->name))
			r = bind_value(st, ++idx, f, json_object_get(values, f->name));
		else
			continue;
		if (r != SQLITE_OK) {
			done(st);
			rc = MP_EINVAL;
			goto out;
		}
	}
	rc = step_write(s, st);
	if (rc == 0 && id)
		*id = sqlite3_last_insert_rowid(s->db);
out:
	buf_release(&sql);
	buf_release(&ph);
	return rc;
}

int store_update(struct store *s, enum entity_id ent, int64_t id, json_t *changes)
{
	const struct entity *en = &entities[ent];
	struct buf sql;
	sqlite3_stmt *st;
	int64_t now = tm_now_us();
	int rc, idx = 0, n = 0;

	buf_init(&sql, 8192);
	rc = buf_addf(&sql, "UPDATE \"%s\" SET ", en->table);
	for (int i = 0; i < en->nfields && rc == 0; i++) {
		const struct field *f = &en->fields[i];
		if (f->type == FT_ID || f->flags & FF_AUTO_NOW)
			continue;
		if (!(f->flags & FF_AUTO_MOD) && !json_object_get(changes, f->name))
			continue;
		rc = buf_addf(&sql, "%s\"%s\"=?", n++ ? "," : "", f->name);
	}
	if (rc == 0)
		rc = buf_adds(&sql, " WHERE \"id\"=?");
	if (rc)
		goto out;
	st = prep(s, sql.data);
	if (st == NULL) {
		rc = db_err(sqlite3_errcode(s->db));
		rc = rc ? rc : MP_EDB;
		goto out;
	}
	for (int i = 0; i < en->nfields; i++) {
		const struct field *f = &en->fields[i];
		int r;
		if (f->type == FT_ID || f->flags & FF_AUTO_NOW)
			continue;
		if (f->flags & FF_AUTO_MOD)
			r = sqlite3_bind_int64(st, ++idx, now);
		else if (json_object_get(changes, f->name))
			r = bind_value(st, ++idx, f, json_object_get(changes, f->name));
		else
			continue;
		if (r != SQLITE_OK) {
			done(st);
			rc = MP_EINVAL;
			goto out;
		}
	}
	sqlite3_bind_int64(st, ++idx, id);
	rc = step_write(s, st);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = MP_ENOTFOUND;
out:
	buf_release(&sql);
	return rc;
}

int store_delete_where(struct store *s, enum entity_id ent, const struct store_cond *conds,
		       int n)
{
	const struct entity *en = &entities[ent];
	struct buf sql;
	sqlite3_stmt *st;
	int rc, idx = 0;

	buf_init(&sql, 4096);
	rc = buf_addf(&sql, "DELETE FROM \"%s\"", en->table);
	if (rc == 0)
		rc = add_where(&sql, en, conds, n, "");
	if (rc)
		goto out;
	st = prep(s, sql.data);
	if (st == NULL) {
		rc = db_err(sqlite3_errcode(s->db));
		rc = rc ? rc : MP_EDB;
		goto out;
	}
	rc = bind_conds(st, en, conds, n, &idx);
	if (rc == 0)
		rc = step_write(s, st);
	else
		done(st);
out:
	buf_release(&sql);
	return rc;
}

int store_delete(struct store *s, enum entity_id ent, int64_t id)
{
	json_t *v = json_integer(id);
	struct store_cond c = {"id", v};
	int rc = store_delete_where(s, ent, &c, 1);

	json_decref(v);
	if (rc == 0 && sqlite3_changes(s->db) == 0)
		rc = MP_ENOTFOUND;
	return rc;
}

/* ---------------------------------------------------------------------
 * Association and participation queries
 * ------------------------------------------------------------------- */

static const char *component_of(enum entity_id assoc)
{
	return assoc == ENT_BENCHMARK_MODEL ? "model" : "dataset";
}

/* SQL condition: row a is the latest of its pair. */
static int add_latest_cond(struct buf *b, const char *t, const char *comp)
{
	return buf_addf(b, "NOT EXISTS (SELECT 1 FROM \"%s\" z WHERE z.\"%s\" = a.\"%s\" AND "
			"z.\"benchmark\" = a.\"benchmark\" AND (z.\"created_at\" > a.\"created_at\" "
			"OR (z.\"created_at\" = a.\"created_at\" AND z.\"id\" > a.\"id\")))",
			t, comp, comp);
}

int store_assoc_latest(struct store *s, enum entity_id assoc, int64_t component,
		       int64_t benchmark, json_t **row)
{
	const struct entity *en = &entities[assoc];
	struct buf sql;
	sqlite3_stmt *st;
	int rc;

	*row = NULL;
	buf_init(&sql, 4096);
	rc = buf_adds(&sql, "SELECT ");
	rc = rc ? rc : add_columns(s, &sql, en, "");
	rc = rc ? rc : buf_addf(&sql, " FROM \"%s\" WHERE \"%s\" = ? AND \"benchmark\" = ? "
				"ORDER BY \"created_at\" DESC, \"id\" DESC LIMIT 1",
				en->table, component_of(assoc));
	if (rc)
		goto out;
	st = prep(s, sql.data);
	if (st == NULL) {
		rc = MP_EDB;
		goto out;
	}
	sqlite3_bind_int64(st, 1, component);
	sqlite3_bind_int64(st, 2, benchmark);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*row = read_row(st, en, 0);
		rc = *row ? MP_OK : MP_ENOMEM;
	} else {
		rc = rc == SQLITE_DONE ? MP_ENOTFOUND : db_err(rc);
	}
	done(st);
out:
	buf_release(&sql);
	return rc;
}

int store_assoc_owner_approved(struct store *s, enum entity_id assoc, int64_t user,
			       int64_t benchmark, int *yes)
{
	const struct entity *en = &entities[assoc];
	const char *comp = component_of(assoc);
	struct buf sql;
	sqlite3_stmt *st;
	int rc;

	*yes = 0;
	buf_init(&sql, 4096);
	rc = buf_addf(&sql, "SELECT 1 FROM \"%s\" a JOIN \"%s\" c ON c.\"id\" = a.\"%s\" "
		      "WHERE a.\"benchmark\" = ? AND c.\"owner\" = ? AND "
		      "a.\"approval_status\" = 'APPROVED' AND ", en->table,
		      entities[assoc == ENT_BENCHMARK_MODEL ? ENT_MODEL : ENT_DATASET].table, comp);
	rc = rc ? rc : add_latest_cond(&sql, en->table, comp);
	rc = rc ? rc : buf_adds(&sql, " LIMIT 1");
	if (rc)
		goto out;
	st = prep(s, sql.data);
	if (st == NULL) {
		rc = MP_EDB;
		goto out;
	}
	sqlite3_bind_int64(st, 1, benchmark);
	sqlite3_bind_int64(st, 2, user);
	rc = sqlite3_step(st);
	*yes = rc == SQLITE_ROW;
	rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? MP_OK : db_err(rc);
	done(st);
out:
	buf_release(&sql);
	return rc;
}

int store_assoc_of_user(struct store *s, enum entity_id assoc, int64_t user, int64_t limit,
			int64_t offset, json_t **rows, int64_t *count)
{
	const struct entity *en = &entities[assoc];
	const char *comp = component_of(assoc);
	const char *ctable = entities[assoc == ENT_BENCHMARK_MODEL ? ENT_MODEL : ENT_DATASET].table;
	struct buf sql, from;
	sqlite3_stmt *st;
	int rc;

	*rows = NULL;
	buf_init(&sql, 8192);
	buf_init(&from, 2048);
	rc = buf_addf(&from, " FROM \"%s\" a JOIN \"%s\" c ON c.\"id\" = a.\"%s\" "
		      "JOIN \"benchmark\" b ON b.\"id\" = a.\"benchmark\" "
		      "WHERE c.\"owner\" = ?1 OR b.\"owner\" = ?1", en->table, ctable, comp);
	rc = rc ? rc : buf_adds(&sql, "SELECT ");
	rc = rc ? rc : add_columns(s, &sql, en, "a.");
	rc = rc ? rc : buf_adds(&sql, from.data);
	rc = rc ? rc : add_order(&sql, en, NULL, 0, "a.");
	rc = rc ? rc : buf_adds(&sql, " LIMIT ?2 OFFSET ?3");
	if (rc)
		goto out;
	st = prep(s, sql.data);
	if (st == NULL) {
		rc = MP_EDB;
		goto out;
	}
	sqlite3_bind_int64(st, 1, user);
	sqlite3_bind_int64(st, 2, limit);
	sqlite3_bind_int64(st, 3, offset);
	rc = collect(st, en, rows);
	done(st);
	if (rc == 0) {
		buf_reset(&sql);
		rc = buf_addf(&sql, "SELECT count(*)%s", from.data);
		st = rc ? NULL : prep(s, sql.data);
		if (st == NULL) {
			rc = MP_EDB;
		} else {
			sqlite3_bind_int64(st, 1, user);
			rc = sqlite3_step(st);
			*count = sqlite3_column_int64(st, 0);
			rc = rc == SQLITE_ROW ? MP_OK : db_err(rc);
			done(st);
		}
	}
	if (rc) {
		json_decref(*rows);
		*rows = NULL;
	}
out:
	buf_release(&sql);
	buf_release(&from);
	return rc;
}

int store_benchmark_participants(struct store *s, int64_t benchmark, int64_t limit,
				 int64_t offset, json_t **rows, int64_t *count)
{
	struct buf sql, where;
	sqlite3_stmt *st;
	json_t *arr;
	int rc;

	*rows = NULL;
	buf_init(&sql, 4096);
	buf_init(&where, 4096);
	rc = buf_adds(&where, " FROM \"dataset\" d WHERE EXISTS (SELECT 1 FROM "
		      "\"benchmark_dataset\" a WHERE a.\"dataset\" = d.\"id\" AND "
		      "a.\"benchmark\" = ?1 AND a.\"approval_status\" = 'APPROVED' AND ");
	rc = rc ? rc : add_latest_cond(&where, "benchmark_dataset", "dataset");
	rc = rc ? rc : buf_adds(&where, ")");
	rc = rc ? rc : buf_addf(&sql, "SELECT d.\"id\", d.\"owner\"%s ORDER BY d.\"modified_at\", "
				"d.\"id\" LIMIT ?2 OFFSET ?3", where.data);
	if (rc)
		goto out;
	st = prep(s, sql.data);
	if (st == NULL) {
		rc = MP_EDB;
		goto out;
	}
	sqlite3_bind_int64(st, 1, benchmark);
	sqlite3_bind_int64(st, 2, limit);
	sqlite3_bind_int64(st, 3, offset);
	arr = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(arr, json_pack("{s:I,s:I}", "id",
			(json_int_t)sqlite3_column_int64(st, 0), "owner",
			(json_int_t)sqlite3_column_int64(st, 1)));
	done(st);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		rc = db_err(rc);
		goto out;
	}
	buf_reset(&sql);
	buf_addf(&sql, "SELECT count(*)%s", where.data);
	st = prep(s, sql.data);
	if (st == NULL) {
		json_decref(arr);
		rc = MP_EDB;
		goto out;
	}
	sqlite3_bind_int64(st, 1, benchmark);
	rc = sqlite3_step(st);
	*count = sqlite3_column_int64(st, 0);
	rc = rc == SQLITE_ROW ? MP_OK : db_err(rc);
	done(st);
	if (rc)
		json_decref(arr);
	else
		*rows = arr;
out:
	buf_release(&sql);
	buf_release(&where);
	return rc;
}

int store_user_prepped_by(struct store *s, int64_t user, int64_t prep_owner, int *yes)
{
	sqlite3_stmt *st = prep(s, "SELECT 1 FROM \"dataset\" d JOIN \"mlcube\" m ON "
				"m.\"id\" = d.\"data_preparation_mlcube\" WHERE d.\"owner\" = ? "
				"AND m.\"owner\" = ? LIMIT 1");
	int rc;

	*yes = 0;
	if (st == NULL)
		return MP_EDB;
	sqlite3_bind_int64(st, 1, user);
	sqlite3_bind_int64(st, 2, prep_owner);
	rc = sqlite3_step(st);
	*yes = rc == SQLITE_ROW;
	done(st);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? MP_OK : db_err(rc);
}
