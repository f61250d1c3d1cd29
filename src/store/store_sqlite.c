/*
 * store_sqlite.c: the SQLite backend of store.h: connections, migrations,
 * transactions and the generic row operations.
 *
 * SQL text is generated from the entity tables (entity.h) and cached as
 * prepared statements per connection; every value is bound. The database runs
 * in WAL mode with foreign keys on. Schema migrations live in
 * migrations_sqlite.c; the other parts are listed in sqlite_int.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/buf.h"
#include "core/jsonw.h"
#include "core/timeutil.h"
#include "store/sqlite_int.h"

extern const char *const sqlite_migrations[];
extern const int sqlite_nmigrations;

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
		mp_seterr(e, sq_db_err(rc), "cannot configure database '%s': %s", o->path,
			  errmsg ? errmsg : "unknown error");
		sqlite3_free(errmsg);
		store_close(s);
		return sq_db_err(rc) ? sq_db_err(rc) : MP_EDB;
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
	return rc == SQLITE_OK ? MP_OK : sq_db_err(rc);
}

int store_schema_version(struct store *s)
{
	sqlite3_stmt *st = sq_prep(s, "PRAGMA user_version");
	int v = -1;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	if (st)
		sq_done(st);
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
	return sq_exec_simple(s, "BEGIN IMMEDIATE");
}

int store_begin_read(struct store *s)
{
	return sq_exec_simple(s, "BEGIN");
}

int store_in_transaction(struct store *s)
{
	return !sqlite3_get_autocommit(s->db);
}

int store_commit(struct store *s)
{
	return sq_exec_simple(s, "COMMIT");
}

void store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sq_exec_simple(s, "ROLLBACK");
}

/* ---------------------------------------------------------------------
 * Generic row operations
 * ------------------------------------------------------------------- */

int store_get(struct store *s, enum entity_id ent, int64_t id, json_t **row)
{
	sqlite3_stmt *st = sq_get_stmt(s, ent);
	int rc;

	*row = NULL;
	if (st == NULL)
		return MP_EDB;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*row = sq_read_row(st, &entities[ent], 0);
		rc = *row ? MP_OK : MP_ENOMEM;
	} else {
		rc = rc == SQLITE_DONE ? MP_ENOTFOUND : (sq_db_err(rc) ? sq_db_err(rc) : MP_EDB);
	}
	sq_done(st);
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
 * connection's commit or our own write changes store_generation().
 */
int64_t store_generation(struct store *s)
{
	sqlite3_stmt *st = sq_prep(s, "PRAGMA data_version");
	int64_t v = -1;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	if (st)
		sq_done(st);
	if (v < 0)
		return -1;
	/* others' commits move data_version; our writes bump gen themselves */
	if (v != s->last_data_version) {
		s->last_data_version = v;
		s->gen++;
	}
	return (int64_t)s->gen;
}

static struct count_slot *count_slot_for(struct store *s, const struct buf *sql,
					 const struct entity *en, const struct store_cond *conds,
					 int n, int64_t exclude_id, int64_t *version)
{
	struct count_slot *slot;
	struct buf key;

	*version = store_generation(s);
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
	slot = &s->counts[sq_hash_str(key.data) & (COUNT_CACHE - 1)];
	if (slot->key == NULL || strcmp(slot->key, key.data) != 0) {
		free(slot->key);
		slot->key = buf_detach(&key, NULL);
		slot->version = -1;
	}
	buf_release(&key);
	return slot->key ? slot : NULL;
}

int sq_count_where(struct store *s, const struct entity *en, const struct store_cond *conds,
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
		rc = sq_add_where(&sql, en, conds, n, "");
	if (rc == 0 && exclude_id)
		rc = buf_adds(&sql, n ? " AND \"id\" <> ?" : " WHERE \"id\" <> ?");
	if (rc)
		goto out;
	if (n || exclude_id) {
		slot = count_slot_for(s, &sql, en, conds, n, exclude_id, &version);
		if (slot && slot->version == version) {
			*count = slot->n;
			goto out;
		}
	}
	st = sq_prep(s, sql.data);
	rc = st ? sq_bind_conds(st, en, conds, n, &idx) : sq_db_err(sqlite3_errcode(s->db));
	if (rc == 0 && exclude_id)
		sqlite3_bind_int64(st, ++idx, exclude_id);
	if (rc == 0) {
		int r = sqlite3_step(st);
		if (r == SQLITE_ROW)
			*count = sqlite3_column_int64(st, 0);
		else
			rc = sq_db_err(r) ? sq_db_err(r) : MP_EDB;
	}
	if (st)
		sq_done(st);
	if (rc == 0 && slot) {
		slot->n = *count;
		slot->version = version;
	}
out:
	buf_release(&sql);
	return rc;
}

int store_count(struct store *s, enum entity_id ent, const struct store_cond *conds, int n,
		int64_t exclude_id, int64_t *count)
{
	return sq_count_where(s, &entities[ent], conds, n, exclude_id, count);
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
	rc = sq_select_sql(s, &sql, en, q);
	if (rc)
		goto out;
	rc = sq_prepare(s, sql.data, &st);
	if (rc)
		goto out;
	rc = sq_bind_conds(st, en, q->conds, q->nconds, &idx);
	if (rc == 0) {
		sqlite3_bind_int64(st, ++idx, q->limit);
		sqlite3_bind_int64(st, ++idx, q->offset);
		rc = sq_collect(st, en, rows);
	}
	sq_done(st);
	if (rc == 0 && q->count && count)
		rc = sq_count_where(s, en, q->conds, q->nconds, 0, count);
	if (rc) {
		json_decref(*rows);
		*rows = NULL;
	}
out:
	buf_release(&sql);
	return rc;
}

int sq_step_write(struct store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sq_done(st);
	s->gen++;
	return rc == SQLITE_DONE ? MP_OK : (sq_db_err(rc) ? sq_db_err(rc) : MP_EDB);
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
	rc = sq_prepare(s, sql.data, &st);
	if (rc)
		goto out;
	for (int i = 0; i < en->nfields; i++) {
		const struct field *f = &en->fields[i];
		int r;
		if (f->type == FT_ID)
			continue;
		if (f->flags & (FF_AUTO_NOW | FF_AUTO_MOD))
			r = sqlite3_bind_int64(st, ++idx, now);
		else if (json_object_get(values, f->name))
			r = sq_bind_value(st, ++idx, f, json_object_get(values, f->name));
		else
			continue;
		if (r != SQLITE_OK) {
			sq_done(st);
			rc = MP_EINVAL;
			goto out;
		}
	}
	rc = sq_step_write(s, st);
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
	rc = sq_prepare(s, sql.data, &st);
	if (rc)
		goto out;
	for (int i = 0; i < en->nfields; i++) {
		const struct field *f = &en->fields[i];
		int r;
		if (f->type == FT_ID || f->flags & FF_AUTO_NOW)
			continue;
		if (f->flags & FF_AUTO_MOD)
			r = sqlite3_bind_int64(st, ++idx, now);
		else if (json_object_get(changes, f->name))
			r = sq_bind_value(st, ++idx, f, json_object_get(changes, f->name));
		else
			continue;
		if (r != SQLITE_OK) {
			sq_done(st);
			rc = MP_EINVAL;
			goto out;
		}
	}
	sqlite3_bind_int64(st, ++idx, id);
	rc = sq_step_write(s, st);
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
		rc = sq_add_where(&sql, en, conds, n, "");
	if (rc)
		goto out;
	rc = sq_prepare(s, sql.data, &st);
	if (rc)
		goto out;
	rc = sq_bind_conds(st, en, conds, n, &idx);
	if (rc == 0)
		rc = sq_step_write(s, st);
	else
		sq_done(st);
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

