/*
 * test_store.c: the SQLite store (src/store/) on a real database file: the
 * schema matches the entity tables, migrations are idempotent and refuse a
 * newer database, rows round-trip in wire order, constraints map to
 * MP_ECONSTRAINT, deletes protect or cascade as the original does, and the
 * association queries pick the latest row of a pair.
 */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

static char dir[64];
static char dbpath[128];
static struct store *st;

static void setup(void)
{
	struct store_opts o = {.create = 1};
	mp_errbuf e;

	snprintf(dir, sizeof(dir), "/tmp/mp-store-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(dbpath, sizeof(dbpath), "%s/t.db", dir);
	o.path = dbpath;
	ck_assert_int_eq(store_open(&o, &st, &e), 0);
	ck_assert_int_eq(store_migrate(st, NULL, NULL, &e), 0);
}

static void teardown(void)
{
	char p[160];

	store_close(st);
	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
	rmdir(dir);
}

static int64_t insert(enum entity_id ent, const char *json)
{
	json_t *v = json_loads(json, 0, NULL);
	int64_t id = 0;

	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(store_insert(st, ent, v, &id), 0);
	json_decref(v);
	return id;
}

START_TEST(schema_matches_entities)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	for (int e = 0; e < ENT__MAX; e++) {
		const struct entity *en = &entities[e];
		for (int i = 0; i < en->nfields; i++) {
			const struct field *f = &en->fields[i];
			sqlite3_stmt *q;
			char sql[256];
			int found = 0;

			snprintf(sql, sizeof(sql), "SELECT \"notnull\" FROM pragma_table_info('%s') "
				 "WHERE name = '%s'", en->table, f->name);
			ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
			if (sqlite3_step(q) == SQLITE_ROW) {
				found = 1;
				/* a field the API accepts as null must have a nullable column */
				ck_assert_msg(!(f->flags & FF_NULLABLE) || sqlite3_column_int(q, 0) == 0,
					      "%s.%s is nullable in entity.c but NOT NULL in the schema",
					      en->table, f->name);
			}
			sqlite3_finalize(q);
			ck_assert_msg(found, "column %s.%s is missing", en->table, f->name);
		}
	}
	sqlite3_close(db);
}
END_TEST

START_TEST(migrations)
{
	mp_errbuf e;
	int from = -1, to = -1;
	sqlite3 *db;
	char sql[64];

	ck_assert_int_eq(store_schema_version(st), store_latest_schema_version());
	ck_assert_int_eq(store_migrate(st, &from, &to, &e), 0);
	ck_assert_int_eq(from, to);
	/* a database from a newer program is refused, not damaged */
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", store_latest_schema_version() + 1);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(store_migrate(st, NULL, NULL, &e), MP_EDB);
	ck_assert_ptr_nonnull(strstr(e.msg, "newer"));
}
END_TEST

START_TEST(seeds)
{
	json_t *row;

	ck_assert_int_eq(store_get(st, ENT_USER, 1, &row), 0);
	ck_assert_str_eq(json_string_value(json_object_get(row, "username")), "admin");
	ck_assert(json_is_true(json_object_get(row, "is_admin")));
	json_decref(row);
	ck_assert_int_eq(store_get(st, ENT_MLCUBE, 1, &row), 0);
	ck_assert_str_eq(json_string_value(json_object_get(row, "name")), "MedPerf CA");
	ck_assert_str_eq(json_string_value(json_object_get(row, "state")), "OPERATION");
	json_decref(row);
}
END_TEST

START_TEST(round_trip_in_wire_order)
{
	const struct entity *en = &entities[ENT_MLCUBE];
	json_t *row, *v;
	const char *key;
	int64_t id;
	int i = 0;

	id = insert(ENT_MLCUBE, "{\"name\":\"c\",\"container_config\":{\"b\":1,\"a\":[0.5,\"x\"]},"
		    "\"image_hash\":\"h\",\"owner\":1}");
	ck_assert_int_eq(store_get(st, ENT_MLCUBE, id, &row), 0);
	json_object_foreach(row, key, v)
		ck_assert_str_eq(key, en->fields[i++].name);
	ck_assert_int_eq(i, en->nfields);
	/* defaults from the schema, JSON preserved, datetimes in the wire form */
	ck_assert_str_eq(json_string_value(json_object_get(row, "state")), "DEVELOPMENT");
	ck_assert(json_is_true(json_object_get(row, "is_valid")));
	ck_assert(json_is_null(json_object_get(row, "parameters_config")));
	ck_assert_int_eq(json_object_size(json_object_get(row, "metadata")), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(row, "container_config"),
							   "b")), 1);
	ck_assert_int_eq(strlen(json_string_value(json_object_get(row, "created_at"))), 27);
	json_decref(row);
	ck_assert_int_eq(store_get(st, ENT_MLCUBE, 999, &row), MP_ENOTFOUND);
	ck_assert_ptr_null(row);
}
END_TEST

START_TEST(update_list_count_delete)
{
	struct store_cond c = {"owner", NULL};
	struct store_order o = {"name", 1};
	struct store_query q = {0};
	json_t *rows, *ch, *one = json_integer(1);
	int64_t count = -1, n = -1, ids[3];

	ids[0] = insert(ENT_MLCUBE, "{\"name\":\"b\",\"container_config\":{},\"image_hash\":\"1\",\"owner\":1}");
	ids[1] = insert(ENT_MLCUBE, "{\"name\":\"a\",\"container_config\":{},\"image_hash\":\"2\",\"owner\":1}");
	ids[2] = insert(ENT_MLCUBE, "{\"name\":\"c\",\"container_config\":{},\"image_hash\":\"3\",\"owner\":1}");
	c.value = one;
	q.conds = &c;
	q.nconds = 1;
	q.order = &o;
	q.norder = 1;
	q.limit = 2;
	q.offset = 0;
	q.count = 1;
	ck_assert_int_eq(store_list(st, ENT_MLCUBE, &q, &rows, &count), 0);
	ck_assert_int_eq(count, 4); /* with the seeded container */
	ck_assert_int_eq(json_array_size(rows), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rows, 0), "name")), "c");
	json_decref(rows);
	ch = json_pack("{s:s,s:b}", "name", "z", "is_valid", 0);
	ck_assert_int_eq(store_update(st, ENT_MLCUBE, ids[1], ch), 0);
	ck_assert_int_eq(store_update(st, ENT_MLCUBE, 999, ch), MP_ENOTFOUND);
	json_decref(ch);
	ck_assert_int_eq(store_count(st, ENT_MLCUBE, &c, 1, ids[0], &n), 0);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(store_delete(st, ENT_MLCUBE, ids[2]), 0);
	ck_assert_int_eq(store_delete(st, ENT_MLCUBE, ids[2]), MP_ENOTFOUND);
	json_decref(one);
}
END_TEST

START_TEST(constraints)
{
	json_t *v = json_pack("{s:s,s:{},s:s,s:i}", "name", "MedPerf CA", "container_config",
			      "image_hash", "h", "owner", 1);
	int64_t id;

	/* unique name */
	ck_assert_int_eq(store_insert(st, ENT_MLCUBE, v, &id), MP_ECONSTRAINT);
	json_decref(v);
	/* unknown owner (foreign key) */
	v = json_pack("{s:s,s:{},s:s,s:i}", "name", "n", "container_config", "image_hash", "h",
		      "owner", 77);
	ck_assert_int_eq(store_insert(st, ENT_MLCUBE, v, &id), MP_ECONSTRAINT);
	json_decref(v);
	/* a referenced row is protected */
	ck_assert_int_eq(store_delete(st, ENT_USER, 1), MP_ECONSTRAINT);
}
END_TEST

START_TEST(associations_latest_and_cascade)
{
	json_t *row, *rows;
	int64_t ds, b, a1, a2, count = 0, n = 0;
	int yes = -1;

	insert(ENT_USER, "{\"username\":\"u\",\"email\":\"u@x\"}");       /* id 2 */
	ds = insert(ENT_DATASET, "{\"name\":\"d\",\"input_data_hash\":\"i\",\"generated_uid\":\"g\","
		    "\"split_seed\":0,\"submitted_as_prepared\":false,\"owner\":2,"
		    "\"data_preparation_mlcube\":1}");
	insert(ENT_MODEL, "{\"name\":\"m\",\"type\":\"CONTAINER\",\"container\":1,\"owner\":1}");
	b = insert(ENT_BENCHMARK, "{\"name\":\"b\",\"demo_dataset_tarball_url\":\"u\","
		   "\"demo_dataset_tarball_hash\":\"h\",\"demo_dataset_generated_uid\":\"g\","
		   "\"owner\":1,\"data_preparation_mlcube\":1,\"reference_model\":1,"
		   "\"data_evaluator_mlcube\":1}");
	a1 = insert(ENT_BENCHMARK_DATASET, "{\"metadata\":{},\"approval_status\":\"APPROVED\","
		    "\"dataset\":1,\"benchmark\":1,\"initiated_by\":2}");
	ck_assert_int_eq(store_assoc_owner_approved(st, ENT_BENCHMARK_DATASET, 2, b, &yes), 0);
	ck_assert_int_eq(yes, 1);
	ck_assert_int_eq(store_benchmark_participants(st, b, 10, 0, &rows, &count), 0);
	ck_assert_int_eq(count, 1);
	json_decref(rows);
	a2 = insert(ENT_BENCHMARK_DATASET, "{\"metadata\":{},\"approval_status\":\"REJECTED\","
		    "\"dataset\":1,\"benchmark\":1,\"initiated_by\":2}");
	ck_assert_int_eq(store_assoc_latest(st, ENT_BENCHMARK_DATASET, ds, b, &row), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(row, "id")), a2);
	ck_assert_int_ne(a1, a2);
	json_decref(row);
	/* the revocation is the latest row: no longer approved, no longer a participant */
	ck_assert_int_eq(store_assoc_owner_approved(st, ENT_BENCHMARK_DATASET, 2, b, &yes), 0);
	ck_assert_int_eq(yes, 0);
	ck_assert_int_eq(store_benchmark_participants(st, b, 10, 0, &rows, &count), 0);
	ck_assert_int_eq(count, 0);
	json_decref(rows);
	ck_assert_int_eq(store_assoc_of_user(st, ENT_BENCHMARK_DATASET, 2, 10, 0, &rows, &count), 0);
	ck_assert_int_eq(count, 2);
	json_decref(rows);
	ck_assert_int_eq(store_user_prepped_by(st, 2, 1, &yes), 0);
	ck_assert_int_eq(yes, 1);
	/* the dataset is protected while associated; the benchmark's delete cascades */
	ck_assert_int_eq(store_delete(st, ENT_DATASET, ds), MP_ECONSTRAINT);
	ck_assert_int_eq(store_delete(st, ENT_BENCHMARK, b), 0);
	ck_assert_int_eq(store_count(st, ENT_BENCHMARK_DATASET, NULL, 0, 0, &n), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(store_delete(st, ENT_DATASET, ds), 0);
}
END_TEST

START_TEST(cached_counts_follow_writes)
{
	struct store_opts o = {.path = dbpath};
	struct store *other;
	json_t *one = json_integer(1);
	struct store_cond c = {"owner", one};
	int64_t n0, n1, n2, n3;
	mp_errbuf e;

	ck_assert_int_eq(store_open(&o, &other, &e), 0);
	ck_assert_int_eq(store_count(st, ENT_MLCUBE, &c, 1, 0, &n0), 0);
	ck_assert_int_eq(store_count(st, ENT_MLCUBE, &c, 1, 0, &n1), 0);  /* from the cache */
	ck_assert_int_eq(n0, n1);
	/* another connection commits: the count follows */
	{
		json_t *v = json_pack("{s:s,s:{},s:s,s:i}", "name", "x1", "container_config",
				      "image_hash", "h1", "owner", 1);
		ck_assert_int_eq(store_insert(other, ENT_MLCUBE, v, NULL), 0);
		json_decref(v);
	}
	ck_assert_int_eq(store_count(st, ENT_MLCUBE, &c, 1, 0, &n2), 0);
	ck_assert_int_eq(n2, n0 + 1);
	/* and so do this connection's own writes */
	insert(ENT_MLCUBE, "{\"name\":\"x2\",\"container_config\":{},\"image_hash\":\"h2\",\"owner\":1}");
	ck_assert_int_eq(store_count(st, ENT_MLCUBE, &c, 1, 0, &n3), 0);
	ck_assert_int_eq(n3, n0 + 2);
	store_close(other);
	json_decref(one);
}
END_TEST

START_TEST(transactions)
{
	int64_t n0, n1;

	ck_assert_int_eq(store_count(st, ENT_USER, NULL, 0, 0, &n0), 0);
	ck_assert_int_eq(store_begin(st), 0);
	insert(ENT_USER, "{\"username\":\"t\",\"email\":\"t@x\"}");
	store_rollback(st);
	ck_assert_int_eq(store_count(st, ENT_USER, NULL, 0, 0, &n1), 0);
	ck_assert_int_eq(n0, n1);
	ck_assert_int_eq(store_begin(st), 0);
	insert(ENT_USER, "{\"username\":\"t\",\"email\":\"t@x\"}");
	ck_assert_int_eq(store_commit(st), 0);
	ck_assert_int_eq(store_count(st, ENT_USER, NULL, 0, 0, &n1), 0);
	ck_assert_int_eq(n1, n0 + 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, schema_matches_entities);
	tcase_add_test(tc, migrations);
	tcase_add_test(tc, seeds);
	tcase_add_test(tc, round_trip_in_wire_order);
	tcase_add_test(tc, update_list_count_delete);
	tcase_add_test(tc, constraints);
	tcase_add_test(tc, associations_latest_and_cascade);
	tcase_add_test(tc, cached_counts_follow_writes);
	tcase_add_test(tc, transactions);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
