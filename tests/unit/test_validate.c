/*
 * test_validate.c: request-body validation (src/server/validate.c) against
 * a real SQLite store in a temporary file: coercions, the original's
 * messages, error order, uniqueness and foreign keys.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/server.h"

static char dir[] = "/tmp/mp-validate-XXXXXX";
static char dbpath[256];
static struct store *st;
static struct arena *arena;
static struct api a;

static void setup(void)
{
	struct store_opts o = {.create = 1};
	mp_errbuf e;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(dbpath, sizeof(dbpath), "%s/t.db", dir);
	o.path = dbpath;
	ck_assert_int_eq(store_open(&o, &st, &e), 0);
	ck_assert_int_eq(store_migrate(st, NULL, NULL, &e), 0);
	arena = arena_new();
	memset(&a, 0, sizeof(a));
	a.st = st;
	a.arena = arena;
	a.user.id = 1;
}

static void teardown(void)
{
	char p[300];

	arena_free(arena);
	store_close(st);
	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
	rmdir(dir);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

/* Validates text as a body of ent; returns the errors object as compact JSON (or "" when valid). */
static char *check_body(enum entity_id ent, enum val_mode mode, const char *text, json_t **values)
{
	json_t *body = json_loads(text, JSON_DECODE_ANY, NULL), *errors = json_object();
	json_t *v;
	char *out;

	ck_assert_ptr_nonnull(body);
	v = val_collect(&a, ent, mode, body, 0, errors);
	out = json_object_size(errors) ? json_dumps(errors, JSON_COMPACT | JSON_PRESERVE_ORDER)
				       : strdup("");
	if (values)
		*values = v;
	else
		json_decref(v);
	json_decref(body);
	json_decref(errors);
	return out;
}

static void expect(enum entity_id ent, enum val_mode mode, const char *body, const char *errors)
{
	char *got = check_body(ent, mode, body, NULL);

	ck_assert_msg(strcmp(got, errors) == 0, "body %s: got %s, want %s", body, got, errors);
	free(got);
}

START_TEST(required_in_field_order)
{
	expect(ENT_BENCHMARK, VAL_CREATE, "{\"description\":\"x\"}",
	       "{\"name\":[\"This field is required.\"],"
	       "\"demo_dataset_tarball_url\":[\"This field is required.\"],"
	       "\"demo_dataset_tarball_hash\":[\"This field is required.\"],"
	       "\"demo_dataset_generated_uid\":[\"This field is required.\"],"
	       "\"data_preparation_mlcube\":[\"This field is required.\"],"
	       "\"reference_model\":[\"This field is required.\"],"
	       "\"data_evaluator_mlcube\":[\"This field is required.\"]}");
	/* nothing is required on update */
	expect(ENT_BENCHMARK, VAL_UPDATE, "{}", "");
}
END_TEST

START_TEST(nulls)
{
	json_t *v;
	char *e;

	expect(ENT_MLCUBE, VAL_UPDATE, "{\"name\":null}", "{\"name\":[\"This field may not be null.\"]}");
	e = check_body(ENT_MLCUBE, VAL_UPDATE, "{\"parameters_config\":null,\"metadata\":null}", &v);
	ck_assert_str_eq(e, "");
	ck_assert(json_is_null(json_object_get(v, "parameters_config")));
	ck_assert(json_is_null(json_object_get(v, "metadata")));
	free(e);
	json_decref(v);
}
END_TEST

START_TEST(strings)
{
	json_t *v;
	char *e, big[400];

	e = check_body(ENT_MLCUBE, VAL_UPDATE, "{\"name\":\"  spaced  \",\"image_hash\":42}", &v);
	ck_assert_str_eq(e, "");
	ck_assert_str_eq(json_string_value(json_object_get(v, "name")), "spaced");
	ck_assert_str_eq(json_string_value(json_object_get(v, "image_hash")), "42");
	free(e);
	json_decref(v);
	expect(ENT_MLCUBE, VAL_UPDATE, "{\"name\":true}", "{\"name\":[\"Not a valid string.\"]}");
	expect(ENT_MLCUBE, VAL_UPDATE, "{\"name\":{}}", "{\"name\":[\"Not a valid string.\"]}");
	expect(ENT_MLCUBE, VAL_UPDATE, "{\"name\":\"   \"}",
	       "{\"name\":[\"This field may not be blank.\"]}");
	/* blank allowed where the model says so */
	expect(ENT_MLCUBE, VAL_UPDATE, "{\"additional_files_tarball_url\":\"\"}", "");
	/* max length counts characters, not bytes: 128 two-byte characters pass */
	{
		size_t n = 0;
		memcpy(big, "{\"name\":\"", 9);
		n = 9;
		for (int i = 0; i < 128; i++) {
			memcpy(big + n, "\xc3\xa9", 2);
			n += 2;
		}
		memcpy(big + n, "\"}", 3);
		expect(ENT_MLCUBE, VAL_UPDATE, big, "");
		memcpy(big + n, "x\"}", 4);
		expect(ENT_MLCUBE, VAL_UPDATE, big,
		       "{\"name\":[\"Ensure this field has no more than 128 characters.\"]}");
	}
}
END_TEST

START_TEST(integers_and_booleans)
{
	json_t *v;
	char *e;

	e = check_body(ENT_DATASET, VAL_UPDATE,
		       "{\"split_seed\":\" 12 \",\"is_valid\":\"false\",\"submitted_as_prepared\":1}", &v);
	ck_assert_str_eq(e, "");
	ck_assert_int_eq(json_integer_value(json_object_get(v, "split_seed")), 12);
	ck_assert(json_is_false(json_object_get(v, "is_valid")));
	ck_assert(json_is_true(json_object_get(v, "submitted_as_prepared")));
	free(e);
	json_decref(v);
	e = check_body(ENT_DATASET, VAL_UPDATE, "{\"split_seed\":3.0}", &v);
	ck_assert_int_eq(json_integer_value(json_object_get(v, "split_seed")), 3);
	free(e);
	json_decref(v);
	expect(ENT_DATASET, VAL_UPDATE, "{\"split_seed\":3.5}",
	       "{\"split_seed\":[\"A valid integer is required.\"]}");
	expect(ENT_DATASET, VAL_UPDATE, "{\"split_seed\":true}",
	       "{\"split_seed\":[\"A valid integer is required.\"]}");
	expect(ENT_DATASET, VAL_UPDATE, "{\"split_seed\":\"x\"}",
	       "{\"split_seed\":[\"A valid integer is required.\"]}");
	expect(ENT_DATASET, VAL_UPDATE, "{\"is_valid\":\"maybe\"}",
	       "{\"is_valid\":[\"Must be a valid boolean.\"]}");
	expect(ENT_DATASET, VAL_UPDATE, "{\"is_valid\":2}",
	       "{\"is_valid\":[\"Must be a valid boolean.\"]}");
}
END_TEST

START_TEST(choices)
{
	expect(ENT_MLCUBE, VAL_UPDATE, "{\"state\":\"OPERATION\"}", "");
	expect(ENT_MLCUBE, VAL_UPDATE, "{\"state\":\"operation\"}",
	       "{\"state\":[\"\\\"operation\\\" is not a valid choice.\"]}");
	expect(ENT_MLCUBE, VAL_UPDATE, "{\"state\":5}",
	       "{\"state\":[\"\\\"5\\\" is not a valid choice.\"]}");
	expect(ENT_MLCUBE, VAL_UPDATE, "{\"state\":true}",
	       "{\"state\":[\"\\\"True\\\" is not a valid choice.\"]}");
}
END_TEST

START_TEST(foreign_keys)
{
	json_t *v;
	char *e;

	/* container 1 (the seeded MedPerf CA) exists */
	e = check_body(ENT_DATASET, VAL_UPDATE, "{\"data_preparation_mlcube\":\"1\"}", &v);
	ck_assert_str_eq(e, "");
	ck_assert_int_eq(json_integer_value(json_object_get(v, "data_preparation_mlcube")), 1);
	free(e);
	json_decref(v);
	expect(ENT_DATASET, VAL_UPDATE, "{\"data_preparation_mlcube\":999}",
	       "{\"data_preparation_mlcube\":[\"Invalid pk \\\"999\\\" - object does not exist.\"]}");
	expect(ENT_DATASET, VAL_UPDATE, "{\"data_preparation_mlcube\":\"abc\"}",
	       "{\"data_preparation_mlcube\":[\"Incorrect type. Expected pk value, received str.\"]}");
	expect(ENT_DATASET, VAL_UPDATE, "{\"data_preparation_mlcube\":true}",
	       "{\"data_preparation_mlcube\":[\"Incorrect type. Expected pk value, received bool.\"]}");
	expect(ENT_DATASET, VAL_UPDATE, "{\"data_preparation_mlcube\":[1]}",
	       "{\"data_preparation_mlcube\":[\"Incorrect type. Expected pk value, received list.\"]}");
}
END_TEST

START_TEST(uniqueness_and_dropped_keys)
{
	json_t *v, *body;
	char *e;
	int64_t id;

	/* the seeded container is named "MedPerf CA" */
	expect(ENT_MLCUBE, VAL_UPDATE, "{\"name\":\"MedPerf CA\"}",
	       "{\"name\":[\"ml cube with this name already exists.\"]}");
	/* the object itself does not clash with its own name */
	body = json_pack("{s:s}", "name", "MedPerf CA");
	json_t *errors = json_object();
	v = val_collect(&a, ENT_MLCUBE, VAL_UPDATE, body, 1, errors);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(json_object_size(errors), 0);
	json_decref(v);
	json_decref(body);
	json_decref(errors);
	/* read-only, unknown and create-excluded keys are dropped */
	e = check_body(ENT_DATASET, VAL_CREATE,
		       "{\"id\":9,\"owner\":9,\"foo\":1,\"created_at\":null,\"state\":\"OPERATION\","
		       "\"name\":\"d\",\"input_data_hash\":\"a\",\"generated_uid\":\"b\",\"split_seed\":0,"
		       "\"data_preparation_mlcube\":1,\"submitted_as_prepared\":false}", &v);
	ck_assert_str_eq(e, "");
	ck_assert_ptr_null(json_object_get(v, "id"));
	ck_assert_ptr_null(json_object_get(v, "owner"));
	ck_assert_ptr_null(json_object_get(v, "foo"));
	ck_assert_ptr_null(json_object_get(v, "state"));
	json_object_set_new(v, "owner", json_integer(1));
	ck_assert_int_eq(store_insert(st, ENT_DATASET, v, &id), 0);
	json_decref(v);
	free(e);
	/* update-excluded keys are dropped on update */
	e = check_body(ENT_RESULT, VAL_UPDATE, "{\"benchmark\":1,\"approval_status\":\"APPROVED\"}", &v);
	ck_assert_str_eq(e, "");
	ck_assert_ptr_null(json_object_get(v, "benchmark"));
	ck_assert_str_eq(json_string_value(json_object_get(v, "approval_status")), "APPROVED");
	json_decref(v);
	free(e);
}
END_TEST

START_TEST(not_an_object)
{
	expect(ENT_MLCUBE, VAL_CREATE, "[1,2]",
	       "{\"non_field_errors\":[\"Invalid data. Expected a dictionary, but got list.\"]}");
	expect(ENT_MLCUBE, VAL_CREATE, "\"x\"",
	       "{\"non_field_errors\":[\"Invalid data. Expected a dictionary, but got str.\"]}");
	expect(ENT_MLCUBE, VAL_CREATE, "3",
	       "{\"non_field_errors\":[\"Invalid data. Expected a dictionary, but got int.\"]}");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("validate");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, required_in_field_order);
	tcase_add_test(tc, nulls);
	tcase_add_test(tc, strings);
	tcase_add_test(tc, integers_and_booleans);
	tcase_add_test(tc, choices);
	tcase_add_test(tc, foreign_keys);
	tcase_add_test(tc, uniqueness_and_dropped_keys);
	tcase_add_test(tc, not_an_object);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
