/*
 * test_jsonerr.c: core/jsonerr.c words malformed bodies as the original
 * server does: DRF decodes with a UTF-8 StreamReader and parses with
 * Python's json and strict constants. The expected strings were produced
 * once by that very pipeline in Python 3.11 and are written down here.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonerr.h"

static const struct {
	const char *text;
	size_t len;
	const char *want; /* NULL: the original accepts it */
} cases[] = {
	{"{not json", 9, "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"},
	{"", 0, "Expecting value: line 1 column 1 (char 0)"},
	{"   ", 3, "Expecting value: line 1 column 4 (char 3)"},
	{"{\"a\" 1}", 7, "Expecting ':' delimiter: line 1 column 6 (char 5)"},
	{"{\"a\":1 \"b\":2}", 13, "Expecting ',' delimiter: line 1 column 8 (char 7)"},
	{"[1,]", 4, "Expecting value: line 1 column 4 (char 3)"},
	{"[1 2]", 5, "Expecting ',' delimiter: line 1 column 4 (char 3)"},
	{"{\"a\":1,}", 8, "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)"},
	{"\"abc", 4, "Unterminated string starting at: line 1 column 1 (char 0)"},
	{"\"a\\qb\"", 6, "Invalid \\escape: line 1 column 3 (char 2)"},
	{"{\"a\":\"x\012y\"}", 11, "Invalid control character at: line 1 column 8 (char 7)"},
	{"1 2", 3, "Extra data: line 1 column 3 (char 2)"},
	{"NaN", 3, "Out of range float values are not JSON compliant: 'NaN'"},
	{"[-Infinity]", 11, "Out of range float values are not JSON compliant: '-Infinity'"},
	{"{\"\303\251\":1, x}", 11, "Expecting property name enclosed in double quotes: line 1 column 9 (char 8)"},
	{"[1,2", 4, "Expecting ',' delimiter: line 1 column 5 (char 4)"},
	{"{\"a\":", 5, "Expecting value: line 1 column 6 (char 5)"},
	{"-", 1, "Expecting value: line 1 column 1 (char 0)"},
	{"01", 2, "Extra data: line 1 column 2 (char 1)"},
	{"{\"a\":\"\\u12G4\"}", 14, "Invalid \\uXXXX escape: line 1 column 8 (char 7)"},
	{"{\"a\":\012 [1,\012  }", 14, "Expecting value: line 3 column 3 (char 13)"},
	{"{\"a\":[{\"b\":tru}]}", 17, "Expecting value: line 1 column 12 (char 11)"},
	{"\357\273\277{}", 5, "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)"},
	{"{}", 2, NULL},
	{"[]", 2, NULL},
	{"{\"a\":[1,2.5e-3,-0,true,false,null,\"x\\u00e9\"]}", 45, NULL},
	{" 1 ", 3, NULL},
	{"\"\\/\"", 4, NULL},
	{"{\"a\":\"\377\"}", 9, "'utf-8' codec can't decode byte 0xff in position 6: invalid start byte"},
	{"{\"a\":\"\342\202X\"}", 11, "'utf-8' codec can't decode bytes in position 6-7: invalid continuation byte"},
	{"{\"a\":\"\342\202", 8, "Unterminated string starting at: line 1 column 6 (char 5)"},
	{"\303", 1, "Expecting value: line 1 column 1 (char 0)"},
	{"\355\240\200", 3, "'utf-8' codec can't decode byte 0xed in position 0: invalid continuation byte"},
	{"{\"\303\251\":1,x}", 10, "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)"},
	{"\360\237\230\200", 4, "Expecting value: line 1 column 1 (char 0)"},
	{"{}\303", 3, NULL},
};

/* The same two steps as the server's read_body(). */
static int drf_error(const char *s, size_t n, char *msg, size_t cap)
{
	size_t usable;

	if (json_utf8_prefix(s, n, &usable, msg, cap) != 0)
		return 1;
	return json_python_error(s, usable, msg, cap);
}

START_TEST(drf_messages)
{
	char msg[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = drf_error(cases[i].text, cases[i].len, msg, sizeof(msg));
		if (cases[i].want == NULL) {
			ck_assert_msg(got == 0, "case %zu is accepted by the original, got: %s", i, msg);
		} else {
			ck_assert_msg(got == 1, "case %zu: no error found", i);
			ck_assert_str_eq(msg, cases[i].want);
		}
	}
}
END_TEST

START_TEST(deep_nesting_is_refused)
{
	char *deep = malloc(100001), msg[256];

	memset(deep, '[', 100000);
	deep[100000] = '\0';
	/* no crash, no stack overflow: some error is reported */
	ck_assert_int_eq(json_python_error(deep, 100000, msg, sizeof(msg)), 1);
	free(deep);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("jsonerr");
	TCase *tc = tcase_create("jsonerr");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, drf_messages);
	tcase_add_test(tc, deep_nesting_is_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
