/*
 * test_policy.c: the permission roles and state machines of
 * src/server/policy.c, rule by rule, with the original's messages.
 */
#include <check.h>
#include <stdlib.h>

#include "server/policy.h"
#include "store/entity.h"

START_TEST(base_roles)
{
	ck_assert_uint_eq(policy_base(0, 0), 0);
	ck_assert_uint_eq(policy_base(0, 1), 0); /* anonymous is never admin */
	ck_assert_uint_eq(policy_base(7, 0), ROLE_AUTH);
	ck_assert_uint_eq(policy_base(7, 1), ROLE_AUTH | ROLE_ADMIN);
}
END_TEST

START_TEST(allows_is_or)
{
	ck_assert(policy_allows(ROLE_ADMIN | ROLE_OWNER, ROLE_AUTH | ROLE_OWNER));
	ck_assert(!policy_allows(ROLE_ADMIN | ROLE_OWNER, ROLE_AUTH));
	ck_assert(!policy_allows(ROLE_ADMIN, ROLE_AUTH | ROLE_BENCH_OWNER));
	ck_assert(policy_allows(ROLE_AUTH, ROLE_AUTH));
	ck_assert(!policy_allows(ROLE_AUTH, 0));
}
END_TEST

START_TEST(benchmark_transitions)
{
	static const char pend[] = "User can only approve or reject a benchmark";
	static const char notpend[] = "User can approve only a pending request";

	ck_assert_ptr_null(policy_benchmark_transition(AP_PENDING, AP_APPROVED));
	ck_assert_ptr_null(policy_benchmark_transition(AP_PENDING, AP_REJECTED));
	ck_assert_ptr_null(policy_benchmark_transition(AP_APPROVED, AP_REJECTED));
	ck_assert_ptr_null(policy_benchmark_transition(AP_APPROVED, AP_APPROVED));
	ck_assert_ptr_null(policy_benchmark_transition(AP_REJECTED, AP_REJECTED));
	ck_assert_str_eq(policy_benchmark_transition(AP_PENDING, AP_PENDING), pend);
	ck_assert_str_eq(policy_benchmark_transition(AP_APPROVED, AP_PENDING), pend);
	ck_assert_str_eq(policy_benchmark_transition(AP_REJECTED, AP_PENDING), pend);
	ck_assert_str_eq(policy_benchmark_transition(AP_REJECTED, AP_APPROVED), notpend);
}
END_TEST

START_TEST(assoc_create_table)
{
	static const char prior[] =
		"User can approve or reject association request only if there are prior requests";
	static const char only_rej[] = "User can create a new request only if prior request is rejected";
	static const char no_appr[] = "User cannot create an approved association request";
	static const char rej_appr[] = "User can reject request only if prior request is approved";

	ck_assert_ptr_null(policy_assoc_create(AP_NONE, AP_PENDING));
	ck_assert_str_eq(policy_assoc_create(AP_NONE, AP_APPROVED), prior);
	ck_assert_str_eq(policy_assoc_create(AP_NONE, AP_REJECTED), prior);
	ck_assert_ptr_null(policy_assoc_create(AP_REJECTED, AP_PENDING));
	ck_assert_str_eq(policy_assoc_create(AP_REJECTED, AP_APPROVED), no_appr);
	ck_assert_str_eq(policy_assoc_create(AP_REJECTED, AP_REJECTED), rej_appr);
	ck_assert_str_eq(policy_assoc_create(AP_PENDING, AP_PENDING), only_rej);
	ck_assert_str_eq(policy_assoc_create(AP_PENDING, AP_APPROVED), no_appr);
	ck_assert_str_eq(policy_assoc_create(AP_PENDING, AP_REJECTED), rej_appr);
	ck_assert_str_eq(policy_assoc_create(AP_APPROVED, AP_PENDING), only_rej);
	ck_assert_str_eq(policy_assoc_create(AP_APPROVED, AP_APPROVED), no_appr);
	ck_assert_ptr_null(policy_assoc_create(AP_APPROVED, AP_REJECTED));
}
END_TEST

START_TEST(auto_approve_order)
{
	json_t *list = json_pack("[s,s]", "a@x.org", "b@x.org");
	json_t *empty = json_array();

	/* 1. same owner: approved whatever the mode and whoever asks */
	ck_assert_int_eq(policy_auto_approve(5, 5, 5, AM_NEVER, empty, "z@x.org"), AP_APPROVED);
	ck_assert_int_eq(policy_auto_approve(5, 5, 9, AM_NEVER, empty, "z@x.org"), AP_APPROVED);
	/* 2. the benchmark owner inviting someone else's component: stays pending */
	ck_assert_int_eq(policy_auto_approve(5, 3, 3, AM_ALWAYS, list, "a@x.org"), AP_PENDING);
	/* 3. ALWAYS */
	ck_assert_int_eq(policy_auto_approve(5, 3, 5, AM_ALWAYS, empty, "z@x.org"), AP_APPROVED);
	/* 4. ALLOWLIST: exact email match */
	ck_assert_int_eq(policy_auto_approve(5, 3, 5, AM_ALLOWLIST, list, "b@x.org"), AP_APPROVED);
	ck_assert_int_eq(policy_auto_approve(5, 3, 5, AM_ALLOWLIST, list, "c@x.org"), AP_PENDING);
	ck_assert_int_eq(policy_auto_approve(5, 3, 5, AM_ALLOWLIST, list, "B@x.org"), AP_PENDING);
	ck_assert_int_eq(policy_auto_approve(5, 3, 5, AM_ALLOWLIST, NULL, "b@x.org"), AP_PENDING);
	/* 5. NEVER, even when listed */
	ck_assert_int_eq(policy_auto_approve(5, 3, 5, AM_NEVER, list, "a@x.org"), AP_PENDING);
	json_decref(list);
	json_decref(empty);
}
END_TEST

START_TEST(assoc_decide)
{
	ck_assert_ptr_null(policy_assoc_decide(AP_PENDING, AP_APPROVED, 4, 3));
	ck_assert_ptr_null(policy_assoc_decide(AP_PENDING, AP_REJECTED, 4, 3));
	ck_assert_ptr_null(policy_assoc_decide(AP_PENDING, AP_REJECTED, 4, 4)); /* withdrawal */
	ck_assert_ptr_null(policy_assoc_decide(AP_PENDING, AP_PENDING, 4, 3));
	ck_assert_str_eq(policy_assoc_decide(AP_PENDING, AP_APPROVED, 4, 4),
			 "Same user cannot approve the association request");
	ck_assert_str_eq(policy_assoc_decide(AP_APPROVED, AP_REJECTED, 4, 3),
			 "User can approve or reject only a pending request");
	ck_assert_str_eq(policy_assoc_decide(AP_REJECTED, AP_APPROVED, 4, 3),
			 "User can approve or reject only a pending request");
}
END_TEST

START_TEST(parsing)
{
	ck_assert_int_eq(approval_parse("PENDING"), AP_PENDING);
	ck_assert_int_eq(approval_parse("APPROVED"), AP_APPROVED);
	ck_assert_int_eq(approval_parse("REJECTED"), AP_REJECTED);
	ck_assert_int_eq(approval_parse("approved"), AP_NONE);
	ck_assert_int_eq(approval_parse(NULL), AP_NONE);
	ck_assert_str_eq(approval_str(AP_REJECTED), "REJECTED");
	ck_assert_int_eq(automode_parse("ALLOWLIST"), AM_ALLOWLIST);
	ck_assert_int_eq(automode_parse("always"), AM_INVALID);
}
END_TEST

START_TEST(operation_edit)
{
	json_t *row = json_pack("{s:s,s:s,s:b,s:{},s:i}", "name", "b", "state", "OPERATION",
				"is_valid", 1, "user_metadata", "data_preparation_mlcube", 4);
	json_t *ok1 = json_pack("{s:b,s:{s:i}}", "is_valid", 0, "user_metadata", "k", 1);
	json_t *ok2 = json_pack("{s:s,s:i}", "name", "b", "data_preparation_mlcube", 4);
	json_t *bad1 = json_pack("{s:s}", "name", "c");
	json_t *bad2 = json_pack("{s:i}", "data_preparation_mlcube", 5);

	ck_assert(policy_operation_edit_ok(ENT_BENCHMARK, row, ok1));
	ck_assert(policy_operation_edit_ok(ENT_BENCHMARK, row, ok2)); /* same values pass */
	ck_assert(!policy_operation_edit_ok(ENT_BENCHMARK, row, bad1));
	ck_assert(!policy_operation_edit_ok(ENT_BENCHMARK, row, bad2));
	/* Python equality: 4 == 4.0 == ..., dictionaries compare by value */
	{
		json_t *r2 = json_pack("{s:s,s:{s:i,s:f}}", "state", "OPERATION", "metadata",
				       "a", 1, "b", 0.5);
		json_t *same = json_pack("{s:{s:f,s:f}}", "metadata", "b", 0.5, "a", 1.0);
		json_t *diff = json_pack("{s:{s:f,s:f}}", "metadata", "b", 0.5, "a", 1.5);
		ck_assert(policy_operation_edit_ok(ENT_BENCHMARK, r2, same));
		ck_assert(!policy_operation_edit_ok(ENT_BENCHMARK, r2, diff));
		json_decref(r2);
		json_decref(same);
		json_decref(diff);
	}
	/* for a dataset, is_valid is editable but the name is not */
	ck_assert(policy_operation_edit_ok(ENT_DATASET, row, ok1));
	ck_assert(!policy_operation_edit_ok(ENT_DATASET, row, bad1));
	json_decref(row);
	json_decref(ok1);
	json_decref(ok2);
	json_decref(bad1);
	json_decref(bad2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("policy");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, base_roles);
	tcase_add_test(tc, allows_is_or);
	tcase_add_test(tc, benchmark_transitions);
	tcase_add_test(tc, assoc_create_table);
	tcase_add_test(tc, auto_approve_order);
	tcase_add_test(tc, assoc_decide);
	tcase_add_test(tc, parsing);
	tcase_add_test(tc, operation_edit);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
