/*
 * store.h: the narrow interface between the server and its database.
 *
 * Rows travel as jansson objects whose keys are field names (entity.h) in
 * wire order; datetimes come out as ISO-8601 strings and JSON fields as JSON
 * values. The store runs prepared statements only; SQL text is built from
 * the static entity tables, never from request data, which is always bound.
 *
 * The store decides nothing about permissions or validity: it stores and
 * finds. A handle is one database connection: not thread-safe, so each server
 * worker thread opens its own. A second backend (PostgreSQL) implements this
 * same header; see docs/architecture.md.
 *
 * Every function returns MP_OK or a negative mp_err: MP_ENOTFOUND for a
 * missing row, MP_ECONSTRAINT when a unique or foreign-key rule refused a
 * write, MP_EBUSY when the database stayed locked, MP_EDB otherwise.
 * Returned json_t values belong to the caller (json_decref).
 */
#ifndef MP_STORE_H
#define MP_STORE_H

#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/entity.h"

struct store;

struct store_opts {
	const char *path;   /* database file */
	int sync_full;      /* 1: fsync every commit; 0: WAL "normal" (survives kill -9) */
	int busy_ms;        /* how long to wait for a lock */
	int create;         /* 1: create the file if missing */
	int no_autocheckpoint; /* 1: commits never checkpoint (a background thread does) */
};

int store_open(const struct store_opts *o, struct store **out, mp_errbuf *e);
void store_close(struct store *s);
/*
 * Copies committed WAL frames into the database file without blocking
 * anyone (truncate = 1: also empties the WAL, waiting for readers; for
 * shutdown). *frames receives the WAL size in frames (may be NULL).
 */
int store_checkpoint(struct store *s, int truncate, int *frames);
/*
 * A number that changes whenever the database may have changed, through
 * this connection or any other: equal numbers mean nothing changed in
 * between, so whatever was read then is still true. Negative on error.
 */
int64_t store_generation(struct store *s);
/* Applies pending schema migrations; from and to receive the versions. */
int store_migrate(struct store *s, int *from, int *to, mp_errbuf *e);
int store_schema_version(struct store *s);
int store_latest_schema_version(void);

/*
 * Transactions: store_begin takes the write lock at once (no upgrades);
 * store_begin_read opens a read transaction, so that several reads share
 * one snapshot and one lock (end it with store_commit). Only one
 * transaction is open at a time per connection.
 */
int store_begin(struct store *s);
int store_begin_read(struct store *s);
int store_in_transaction(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/* field == value; a JSON null value means IS NULL. Values are borrowed. */
struct store_cond {
	const char *field;
	json_t *value;
};

struct store_order {
	const char *field;
	int desc;
};

struct store_query {
	const struct store_cond *conds;
	int nconds;
	const struct store_order *order;  /* NULL: the entity's default order */
	int norder;
	int64_t limit;                    /* < 0: no limit */
	int64_t offset;
	int count;                        /* 1: also compute the total count */
};

/*
 * Rendering straight to JSON text, for the hot read paths: rows are written
 * as compact JSON objects (fields in table order) without building jansson
 * values. JSON columns are copied verbatim: they hold what the store wrote,
 * which is already compact JSON from core/jsonw.c. Bit i of a mask refers to
 * field i of the entity table.
 */
struct store_view {
	uint64_t omit;          /* fields left out */
	uint64_t null_object;   /* fields written as {} when NULL */
	/* FF_NESTED fields: written as the referenced row in nested[its entity]
	 * (an array of ENT__MAX views), or as the id when nested is NULL */
	const struct store_view *nested;
};
/* Appends a JSON array of the rows of q to out; *count as store_list. */
int store_list_json(struct store *s, enum entity_id ent, const struct store_query *q,
		    const struct store_view *v, struct buf *out, int64_t *count);

int store_get(struct store *s, enum entity_id ent, int64_t id, json_t **row);
/* The first row matching all conds in default order; MP_ENOTFOUND if none. */
int store_find(struct store *s, enum entity_id ent, const struct store_cond *conds, int n,
	       json_t **row);
/* *rows receives an array; *count the total (when q->count). */
int store_list(struct store *s, enum entity_id ent, const struct store_query *q,
	       json_t **rows, int64_t *count);
/* Number of rows matching conds, excluding id exclude_id (0: none). */
int store_count(struct store *s, enum entity_id ent, const struct store_cond *conds, int n,
		int64_t exclude_id, int64_t *count);
/*
 * Inserts a row from the fields present in values (others take their column
 * defaults). created_at and modified_at are set to now; *id gets the new id.
 * FT_DT values may be given as integers (microseconds) or ISO strings.
 */
int store_insert(struct store *s, enum entity_id ent, json_t *values, int64_t *id);
/* Sets the fields present in changes and modified_at = now. */
int store_update(struct store *s, enum entity_id ent, int64_t id, json_t *changes);
int store_delete(struct store *s, enum entity_id ent, int64_t id);
/* Deletes every row matching conds. */
int store_delete_where(struct store *s, enum entity_id ent, const struct store_cond *conds,
		       int n);

/*
 * Association queries. assoc is ENT_BENCHMARK_DATASET or ENT_BENCHMARK_MODEL;
 * the component is the dataset or the model. The latest row of a pair is the
 * one with the greatest created_at (then id).
 */
int store_assoc_latest(struct store *s, enum entity_id assoc, int64_t component,
		       int64_t benchmark, json_t **row);
/* 1 in *yes when user owns a component whose latest association with
 * benchmark is APPROVED. */
int store_assoc_owner_approved(struct store *s, enum entity_id assoc, int64_t user,
			       int64_t benchmark, int *yes);
/* Rows of assoc whose component or benchmark is owned by user. */
int store_assoc_of_user(struct store *s, enum entity_id assoc, int64_t user, int64_t limit,
			int64_t offset, json_t **rows, int64_t *count);
/* Datasets whose latest association with benchmark is APPROVED, as
 * [{"id": dataset, "owner": user}], in dataset id order. */
int store_benchmark_participants(struct store *s, int64_t benchmark, int64_t limit,
				 int64_t offset, json_t **rows, int64_t *count);
/* 1 in *yes when prep_owner owns the preparation container of one of
 * user's datasets. */
int store_user_prepped_by(struct store *s, int64_t user, int64_t prep_owner, int *yes);

#endif
