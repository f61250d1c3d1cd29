/*
 * test_jsonerr.c: core/jsonerr.c gives Python's json messages and positions
 * (expected strings produced once with Python 3.11's json.loads, with DRF's
 * strict constants, and written down here).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonerr.h"

static const struct {
	const char *text;
	const char *want; /* NULL: Python accepts it */
} cases[] = {
	{"{not json", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"},
	{"", "Expecting value: line 1 column 1 (char 0)"},
	{"   ", "Expecting value: line 1 column 4 (char 3)"},
	{"{\"a\" 1}", "Expecting ':' delimiter: line 1 column 6 (char 5)"},
	{"{\"a\":1 \"b\":2}", "Expecting ',' delimiter: line 1 column 8 (char 7)"},
	{"[1,]", "Expecting value: line 1 column 4 (char 3)"},
	{"[1 2]", "Expecting ',' delimiter: line 1 column 4 (char 3)"},
	{"{\"a\":1,}", "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)"},
	{"\"abc", "Unterminated string starting at: line 1 column 1 (char 0)"},
	{"\"a\\qb\"", "Invalid \\escape: line 1 column 3 (char 2)"},
	{"{\"a\":\"x\ny\"}", "Invalid control character at: line 1 column 8 (char 7)"},
	{"1 2", "Extra data: line 1 column 3 (char 2)"},
	{"NaN", "Out of range float values are not JSON compliant"},
	{"{\"\303\251\":1, x}", "Expecting property name enclosed in double quotes: line 1 column 9 (char 8)"},
	{"[1,2", "Expecting ',' delimiter: line 1 column 5 (char 4)"},
	{"{\"a\":", "Expecting value: line 1 column 6 (char 5)"},
	{"-", "Expecting value: line 1 column 1 (char 0)"},
	{"01", "Extra data: line 1 column 2 (char 1)"},
	{"{\"a\":\"\\u12G4\"}", "Invalid \\uXXXX escape: line 1 column 8 (char 7)"},
	{"{\"a\":\n [1,\n  }", "Expecting value: line 3 column 3 (char 13)"},
	{"{\"a\":[{\"b\":tru}]}", "Expecting value: line 1 column 12 (char 11)"},
	{"{}", NULL},
	{"[]", NULL},
	{"{\"a\":[1,2.5e-3,-0,true,false,null,\"x\\u00e9\"]}", NULL},
	{" 1 ", NULL},
	{"\"\\/\"", NULL},
	/* bytes that are not UTF-8: the decoder's message, in byte positions */
	{"{\"a\":\"\377\"}", "'utf-8' codec can't decode byte 0xff in position 6: invalid start byte"},
	{"{\"a\":\"\342\202X\"}", "'utf-8' codec can't decode bytes in position 6-7: invalid continuation byte"},
	{"{\"a\":\"\342\202", "'utf-8' codec can't decode bytes in position 6-7: unexpected end of data"},
	{"\303", "'utf-8' codec can't decode byte 0xc3 in position 0: unexpected end of data"},
	{"\355\240\200", "'utf-8' codec can't decode byte 0xed in position 0: invalid continuation byte"},
	{"{\"\303\251\":1,x}", "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)"},
	{"\360\237\230\200", "Expecting value: line 1 column 1 (char 0)"},
};

START_TEST(python_messages)
{
	char msg[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = json_python_error(cases[i].text, strlen(cases[i].text), msg, sizeof(msg));
		if (cases[i].want == NULL) {
			ck_assert_msg(got == 0, "case %zu accepted by Python, got: %s", i, msg);
		} else {
			ck_assert_msg(got == 1, "case %zu: no error found", i);
			ck_assert_str_eq(msg, cases[i].want);
		}
	}
}
END_TEST

START_TEST(deep_nesting_is_an_error)
{
	char *deep = malloc(3001), msg[256];

	memset(deep, '[', 3000);
	deep[3000] = '\0';
	ck_assert_int_eq(json_python_error(deep, 3000, msg, sizeof(msg)), 1);
	free(deep);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("jsonerr");
	TCase *tc = tcase_create("jsonerr");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, python_messages);
	tcase_add_test(tc, deep_nesting_is_an_error);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
