/*
 * sqlite_int.h: what the files of the SQLite backend share: the connection
 * handle, the prepared-statement cache, and the helpers that turn entity
 * tables into SQL and SQLite rows into JSON. Not part of the store
 * interface; nothing outside src/store/ includes it.
 *
 *   sqlite_stmt.c          statements, errors, binding, reading rows, SQL fragments
 *   store_sqlite.c         connections, migrations, transactions, generic row operations
 *   store_sqlite_render.c  rows straight to JSON text (store_list_json)
 *   store_sqlite_assoc.c   association and participation queries
 */
#ifndef MP_SQLITE_INT_H
#define MP_SQLITE_INT_H

#include <stdint.h>

#include <sqlite3.h>

#include "core/buf.h"
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
	int64_t version;    /* store_generation() when counted */
};

struct store {
	sqlite3 *db;
	struct stmt_slot cache[STMT_CACHE];
	char *cols[ENT__MAX][2];  /* column lists, plain and with the "a." prefix */
	struct count_slot counts[COUNT_CACHE];
	uint64_t gen;             /* store_generation(): bumped by our writes and others' commits */
	int64_t last_data_version;
	sqlite3_stmt *get[ENT__MAX]; /* "row by id", kept apart from the cache: never evicted */
};

extern const char *const sqlite_migrations[];
extern const int sqlite_nmigrations;


/* MP_* code of an SQLite result code (MP_OK for OK, ROW and DONE). */
int sq_db_err(int rc);
uint32_t sq_hash_str(const char *s);
/*
 * A reset statement for sql from the connection's cache; NULL on error. It stays
 * valid until the next sq_prep on the connection (which may evict it): step
 * it to the end and sq_done it before preparing another.
 */
sqlite3_stmt *sq_prep(struct store *s, const char *sql);
/* sq_prep with an MP_* code: MP_OK and *st, or the error (MP_EDB at least). */
int sq_prepare(struct store *s, const char *sql, sqlite3_stmt **st);
/* "SELECT <columns> FROM <table> WHERE ... ORDER BY ... LIMIT ? OFFSET ?" for q. */
int sq_select_sql(struct store *s, struct buf *sql, const struct entity *en,
		  const struct store_query *q);
/* Resets st and clears its bindings, for the next use. */
void sq_done(sqlite3_stmt *st);
int sq_bind_value(sqlite3_stmt *st, int i, const struct field *f, json_t *v);
/* The current row (all fields of en, from column first) as a new object. */
json_t *sq_read_row(sqlite3_stmt *st, const struct entity *en, int first);
/* SQL fragments: column list, WHERE for conds, ORDER BY (default or given). */
int sq_add_columns(struct store *s, struct buf *b, const struct entity *en, const char *prefix);
int sq_add_where(struct buf *b, const struct entity *en, const struct store_cond *c, int n,
		 const char *prefix);
int sq_bind_conds(sqlite3_stmt *st, const struct entity *en, const struct store_cond *c, int n,
		  int *idx);
int sq_add_order(struct buf *b, const struct entity *en, const struct store_order *o, int n,
		 const char *prefix);
/* Steps st, collecting rows of en into a new array. */
int sq_collect(sqlite3_stmt *st, const struct entity *en, json_t **rows);
int sq_exec_simple(struct store *s, const char *sql);
/* The statement reading one row of ent by id (never evicted from the cache). */
sqlite3_stmt *sq_get_stmt(struct store *s, enum entity_id ent);
/* count(*) of en's rows matching conds (remembered until the database changes). */
int sq_count_where(struct store *s, const struct entity *en, const struct store_cond *conds,
		   int n, int64_t exclude_id, int64_t *count);
/* Steps a write statement to completion and counts the write. */
int sq_step_write(struct store *s, sqlite3_stmt *st);
/* Writes the current row of st as a JSON object (store_list_json). */
int sq_render_row(struct store *s, sqlite3_stmt *st, const struct entity *en,
		  const struct store_view *v, struct buf *out);

#endif
