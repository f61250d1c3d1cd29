/*
 * test_jsonw.c: unit tests for core/jsonw. Every expected string below is what
 * Python 3 prints for json.dumps(x, separators=(',', ':'), ensure_ascii=False)
 * after DRF's U+2028/U+2029 escaping; they were generated once with Python
 * and are hard-coded here, so the test needs no Python.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/jsonw.h"

struct dcase {
	double d;
	const char *want;
};

static const struct dcase doubles[] = {
	{ 0.61, "0.61" },
	{ 1e-05, "1e-05" },
	{ 0.00001, "1e-05" },
	{ 1e16, "1e+16" },
	{ 1.0, "1.0" },
	{ 1234567890123456.0, "1234567890123456.0" },
	{ 1e15, "1000000000000000.0" },
	{ -0.0, "-0.0" },
	{ 0.0, "0.0" },
	{ 0.1 + 0.2, "0.30000000000000004" },
	{ 5e-324, "5e-324" },
	{ 1.7976931348623157e+308, "1.7976931348623157e+308" },
	{ 123.456, "123.456" },
	{ 0.0001, "0.0001" },
	{ -1.5, "-1.5" },
	{ 1e22, "1e+22" },
	{ 1e-7, "1e-07" },
	{ 100.0, "100.0" },
	{ -2.5e-10, "-2.5e-10" },
	{ 0.5, "0.5" },
	{ 3.141592653589793, "3.141592653589793" },
	{ 12345678.9, "12345678.9" },
	/*
	 * Powers of two: the shortest round-tripping string is not always the
	 * correctly rounded one of that length (the gap below d is half the gap
	 * above it). Python prints 16 digits here, not 17.
	 */
	{ 0x1p-24, "5.960464477539063e-08" },
	{ 0x1p-44, "5.684341886080802e-14" },
	{ 0x1p89, "6.189700196426902e+26" },
	{ -0x1p-24, "-5.960464477539063e-08" },
};

/* A string literal and its length, embedded NULs included. */
#define LIT(s) s, sizeof(s) - 1

/* Writes v with jsonw_value and compares the whole output. */
static void assert_json(const json_t *v, const char *want)
{
	struct buf b;

	ck_assert_ptr_nonnull(v);
	buf_init(&b, 0);
	ck_assert_int_eq(jsonw_value(&b, v), MP_OK);
	ck_assert_str_eq(b.data, want);
	ck_assert_uint_eq(b.len, strlen(want));
	buf_release(&b);
}

static void assert_string(const char *s, size_t len, const char *want)
{
	struct buf b;

	buf_init(&b, 0);
	ck_assert_int_eq(jsonw_string(&b, s, len), MP_OK);
	ck_assert_str_eq(b.data, want);
	buf_release(&b);
}

START_TEST(test_doubles)
{
	for (size_t i = 0; i < sizeof(doubles) / sizeof(doubles[0]); i++) {
		struct buf b;

		buf_init(&b, 0);
		ck_assert_int_eq(jsonw_double(&b, doubles[i].d), MP_OK);
		ck_assert_msg(strcmp(b.data, doubles[i].want) == 0, "%.17g: got \"%s\", want \"%s\"",
			      doubles[i].d, b.data, doubles[i].want);
		buf_release(&b);
	}
}
END_TEST

START_TEST(test_double_nonfinite)
{
	struct buf b;

	buf_init(&b, 0);
	ck_assert_int_eq(jsonw_double(&b, NAN), MP_EINVAL);
	ck_assert_int_eq(jsonw_double(&b, INFINITY), MP_EINVAL);
	ck_assert_int_eq(jsonw_double(&b, -INFINITY), MP_EINVAL);
	ck_assert_uint_eq(b.len, 0);
	buf_release(&b);
}
END_TEST

/* Every double it writes reads back as the same double. */
START_TEST(test_double_roundtrip)
{
	uint64_t x = 0x2545f4914f6cdd1du;
	struct buf b;

	buf_init(&b, 0);
	for (int i = 0; i < 20000; i++) {
		double d;
		char *end;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(&d, &x, sizeof(d));
		if (!isfinite(d))
			continue;
		buf_reset(&b);
		ck_assert_int_eq(jsonw_double(&b, d), MP_OK);
		ck_assert_msg(strtod(b.data, &end) == d && *end == '\0', "%a printed as %s", d,
			      b.data);
		/* Python always shows a fraction or an exponent */
		ck_assert_ptr_nonnull(strpbrk(b.data, ".e"));
	}
	buf_release(&b);
}
END_TEST

START_TEST(test_real_in_value)
{
	json_t *v = json_pack("[f,f,f]", 0.61, 1e-05, 1.0);

	assert_json(v, "[0.61,1e-05,1.0]");
	json_decref(v);
}
END_TEST

START_TEST(test_string_escapes)
{
	/* quotes, backslash, the short escapes, other controls as lowercase \u00xx */
	assert_string(LIT("a\"b\\c\n\t\r\b\f\x01\x1f\x7f"),
		      "\"a\\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\\u001f\x7f\"");
	assert_string(LIT("\x1a\x0b"), "\"\\u001a\\u000b\"");
	assert_string(LIT(""), "\"\"");
	/* an embedded NUL is written, not a terminator */
	assert_string(LIT("a\0b"), "\"a\\u0000b\"");
	/* '/' is not escaped by Python */
	assert_string(LIT("a/b"), "\"a/b\"");
}
END_TEST

START_TEST(test_string_utf8)
{
	/* é € 😀 left as is; U+2028 and U+2029 escaped as DRF does */
	assert_string(LIT("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xe2\x80\xa8x\xe2\x80\xa9"),
		      "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\\u2028x\\u2029\"");
	/* U+2027 and U+202A are neighbours that stay literal */
	assert_string(LIT("\xe2\x80\xa7\xe2\x80\xaa"), "\"\xe2\x80\xa7\xe2\x80\xaa\"");
	/* a truncated sequence at the end is copied, not read past */
	assert_string(LIT("x\xe2\x80"), "\"x\xe2\x80\"");
	assert_string(LIT("\xe2"), "\"\xe2\"");
	/* escapes right before and after a separator */
	assert_string(LIT("\n\xe2\x80\xa8\n"), "\"\\n\\u2028\\n\"");
}
END_TEST

START_TEST(test_string_values)
{
	json_t *v = json_pack("{s:s}", "k\"ey\n", "v\xe2\x80\xa9");

	assert_json(v, "{\"k\\\"ey\\n\":\"v\\u2029\"}");
	json_decref(v);
	v = json_stringn("a\0b", 3);
	assert_json(v, "\"a\\u0000b\"");
	json_decref(v);
}
END_TEST

START_TEST(test_nested_order)
{
	json_t *v = json_object();
	json_t *inner = json_object();

	/* insertion order, not sorted: z before a */
	json_object_set_new(inner, "z", json_null());
	json_object_set_new(inner, "a", json_true());
	json_object_set_new(v, "b", json_pack("[i,o]", 1, inner));
	json_object_set_new(v, "a", json_false());
	json_object_set_new(v, "c", json_object());
	json_object_set_new(v, "d", json_array());
	json_object_set_new(v, "e", json_string("x"));
	json_object_set_new(v, "f", json_integer(-7));
	json_object_set_new(v, "g", json_real(2.5));
	assert_json(v, "{\"b\":[1,{\"z\":null,\"a\":true}],\"a\":false,\"c\":{},\"d\":[],"
		       "\"e\":\"x\",\"f\":-7,\"g\":2.5}");
	json_decref(v);
}
END_TEST

START_TEST(test_integers)
{
	json_t *v = json_pack("[I,I,i,i,I]", (json_int_t)INT64_MAX, (json_int_t)INT64_MIN, 0, -1,
			      (json_int_t)1234567890123);

	assert_json(v, "[9223372036854775807,-9223372036854775808,0,-1,1234567890123]");
	json_decref(v);
}
END_TEST

START_TEST(test_scalars)
{
	json_t *v = json_pack("[b,b,n]", 1, 0);

	assert_json(v, "[true,false,null]");
	json_decref(v);
	v = json_null();
	assert_json(v, "null");
	json_decref(v);
}
END_TEST

START_TEST(test_dumps)
{
	json_t *v = json_pack("{s:f,s:[s,i]}", "score", 0.61, "list", "\xe2\x80\xa8", 3);
	char *s = jsonw_dumps(v);

	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "{\"score\":0.61,\"list\":[\"\\u2028\",3]}");
	free(s);
	json_decref(v);
}
END_TEST

START_TEST(test_cap)
{
	json_t *v = json_pack("{s:s}", "key", "value"); /* {"key":"value"} is 15 bytes */
	struct buf b;

	buf_init(&b, 15);
	ck_assert_int_eq(jsonw_value(&b, v), MP_OK);
	ck_assert_str_eq(b.data, "{\"key\":\"value\"}");
	buf_release(&b);
	buf_init(&b, 14);
	ck_assert_int_eq(jsonw_value(&b, v), MP_ETOOBIG);
	ck_assert_int_eq(b.data[b.len], '\0');
	buf_release(&b);
	json_decref(v);
}
END_TEST

static Suite *jsonw_suite(void)
{
	Suite *s = suite_create("jsonw");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_doubles);
	tcase_add_test(tc, test_double_nonfinite);
	tcase_add_test(tc, test_double_roundtrip);
	tcase_add_test(tc, test_real_in_value);
	tcase_add_test(tc, test_string_escapes);
	tcase_add_test(tc, test_string_utf8);
	tcase_add_test(tc, test_string_values);
	tcase_add_test(tc, test_nested_order);
	tcase_add_test(tc, test_integers);
	tcase_add_test(tc, test_scalars);
	tcase_add_test(tc, test_dumps);
	tcase_add_test(tc, test_cap);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(jsonw_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
