/*
 * test_strv.c: core/strv: pushing, NULL termination, shell quoting.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/strv.h"

START_TEST(push_keeps_null_terminated)
{
	struct strv s = STRV_INIT;
	const char *more[] = {"c", "d", NULL};

	ck_assert_int_eq(strv_push(&s, "a"), 0);
	ck_assert_ptr_null(s.v[1]);
	ck_assert_int_eq(strv_pushf(&s, "%s-%d", "b", 2), 0);
	ck_assert_int_eq(strv_pushv(&s, more), 0);
	ck_assert_int_eq(strv_pushv(&s, NULL), 0);
	ck_assert_uint_eq(s.n, 4);
	ck_assert_str_eq(s.v[1], "b-2");
	ck_assert_str_eq(s.v[3], "d");
	ck_assert_ptr_null(s.v[4]);
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(strv_pushf(&s, "%d", i), 0);
	ck_assert_str_eq(s.v[103], "99");
	ck_assert_ptr_null(s.v[104]);
	strv_free(&s);
	ck_assert_ptr_null(s.v);
	ck_assert_uint_eq(s.n, 0);
}
END_TEST

START_TEST(join_quotes_what_the_shell_would_split)
{
	struct strv s = STRV_INIT;
	const char *w[] = {"bwrap", "--ro-bind", "/a b", "/x", "it's", "", "k=v,w:1", NULL};
	char *line;

	strv_pushv(&s, w);
	line = strv_join_shell(&s);
	ck_assert_str_eq(line, "bwrap --ro-bind '/a b' /x 'it'\\''s' '' k=v,w:1");
	free(line);
	strv_free(&s);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("strv");
	TCase *tc = tcase_create("strv");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, push_keeps_null_terminated);
	tcase_add_test(tc, join_quotes_what_the_shell_would_split);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
