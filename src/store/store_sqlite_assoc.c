/*
 * store_sqlite_assoc.c: the association and participation queries of
 * store.h, where the latest row of a (component, benchmark) pair decides.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/buf.h"
#include "core/jsonw.h"
#include "core/timeutil.h"
#include "store/sqlite_int.h"

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

/* "SELECT count(*)" over from (a FROM ... WHERE clause with one parameter ?1). */
static int count_from(struct store *s, const char *from, int64_t p1, int64_t *count)
{
	struct buf sql;
	sqlite3_stmt *st;
	int rc;

	buf_init(&sql, 8192);
	rc = buf_addf(&sql, "SELECT count(*)%s", from);
	rc = rc ? rc : sq_prepare(s, sql.data, &st);
	if (rc == 0) {
		sqlite3_bind_int64(st, 1, p1);
		rc = sqlite3_step(st);
		*count = sqlite3_column_int64(st, 0);
		rc = rc == SQLITE_ROW ? MP_OK : (sq_db_err(rc) ? sq_db_err(rc) : MP_EDB);
		sq_done(st);
	}
	buf_release(&sql);
	return rc;
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
	rc = rc ? rc : sq_add_columns(s, &sql, en, "");
	rc = rc ? rc : buf_addf(&sql, " FROM \"%s\" WHERE \"%s\" = ? AND \"benchmark\" = ? "
				"ORDER BY \"created_at\" DESC, \"id\" DESC LIMIT 1",
				en->table, component_of(assoc));
	if (rc)
		goto out;
	rc = sq_prepare(s, sql.data, &st);
	if (rc)
		goto out;
	sqlite3_bind_int64(st, 1, component);
	sqlite3_bind_int64(st, 2, benchmark);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*row = sq_read_row(st, en, 0);
		rc = *row ? MP_OK : MP_ENOMEM;
	} else {
		rc = rc == SQLITE_DONE ? MP_ENOTFOUND : sq_db_err(rc);
	}
	sq_done(st);
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
	rc = sq_prepare(s, sql.data, &st);
	if (rc)
		goto out;
	sqlite3_bind_int64(st, 1, benchmark);
	sqlite3_bind_int64(st, 2, user);
	rc = sqlite3_step(st);
	*yes = rc == SQLITE_ROW;
	rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? MP_OK : sq_db_err(rc);
	sq_done(st);
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
	rc = rc ? rc : sq_add_columns(s, &sql, en, "a.");
	rc = rc ? rc : buf_adds(&sql, from.data);
	rc = rc ? rc : sq_add_order(&sql, en, NULL, 0, "a.");
	rc = rc ? rc : buf_adds(&sql, " LIMIT ?2 OFFSET ?3");
	if (rc)
		goto out;
	rc = sq_prepare(s, sql.data, &st);
	if (rc)
		goto out;
	sqlite3_bind_int64(st, 1, user);
	sqlite3_bind_int64(st, 2, limit);
	sqlite3_bind_int64(st, 3, offset);
	rc = sq_collect(st, en, rows);
	sq_done(st);
	if (rc == 0) {
		buf_reset(&sql);
		rc = count_from(s, from.data, user, count);
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
	rc = sq_prepare(s, sql.data, &st);
	if (rc)
		goto out;
	sqlite3_bind_int64(st, 1, benchmark);
	sqlite3_bind_int64(st, 2, limit);
	sqlite3_bind_int64(st, 3, offset);
	arr = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(arr, json_pack("{s:I,s:I}", "id",
			(json_int_t)sqlite3_column_int64(st, 0), "owner",
			(json_int_t)sqlite3_column_int64(st, 1)));
	sq_done(st);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		rc = sq_db_err(rc);
		goto out;
	}
	buf_reset(&sql);
	rc = count_from(s, where.data, benchmark, count);
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
	sqlite3_stmt *st = sq_prep(s, "SELECT 1 FROM \"dataset\" d JOIN \"mlcube\" m ON "
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
	sq_done(st);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? MP_OK : sq_db_err(rc);
}

