/*
 * test_buf.c: unit tests for core/buf: the size cap (an append past it fails
 * with MP_ETOOBIG and leaves the buffer as it was), NUL termination, the
 * growth paths of buf_addf (first use, fits, exactly fills, one past), detach,
 * reset and wipe.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core/buf.h"
#include "core/err.h"

/* Asserts the invariants buf.h promises: data never NULL, NUL at len, len <= max. */
static void assert_buf_ok(const struct buf *b)
{
	ck_assert_ptr_nonnull(b->data);
	ck_assert_uint_le(b->len, b->max);
	ck_assert_int_eq(b->data[b->len], '\0');
	if (b->cap)
		ck_assert_uint_lt(b->len, b->cap);
}

START_TEST(test_init_empty)
{
	struct buf b;

	buf_init(&b, 0);
	assert_buf_ok(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
	ck_assert_uint_eq(b.max, BUF_MAX_DEFAULT);
	ck_assert_str_eq(b.data, "");
	buf_release(&b);

	buf_init(&b, 10);
	ck_assert_uint_eq(b.max, 10);
	buf_release(&b);
	ck_assert_uint_eq(b.max, 10);
	ck_assert_str_eq(b.data, "");
}
END_TEST

START_TEST(test_add_variants)
{
	struct buf b;

	buf_init(&b, 0);
	ck_assert_int_eq(buf_add(&b, "abc", 3), MP_OK);
	assert_buf_ok(&b);
	ck_assert_int_eq(buf_adds(&b, "def"), MP_OK);
	ck_assert_int_eq(buf_addch(&b, 'g'), MP_OK);
	ck_assert_int_eq(buf_add(&b, "zzz", 0), MP_OK);
	ck_assert_int_eq(buf_adds(&b, ""), MP_OK);
	assert_buf_ok(&b);
	ck_assert_uint_eq(b.len, 7);
	ck_assert_str_eq(b.data, "abcdefg");
	/* binary data with an embedded NUL is kept byte for byte */
	ck_assert_int_eq(buf_add(&b, "x\0y", 3), MP_OK);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_mem_eq(b.data, "abcdefgx\0y", 11);
	buf_release(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, "");
}
END_TEST

START_TEST(test_large_growth)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	for (i = 0; i < 100000; i++)
		ck_assert_int_eq(buf_addch(&b, (char)('a' + i % 26)), MP_OK);
	assert_buf_ok(&b);
	ck_assert_uint_eq(b.len, 100000);
	for (i = 0; i < 100000; i++)
		ck_assert_int_eq(b.data[i], 'a' + (int)(i % 26));
	buf_release(&b);
}
END_TEST

START_TEST(test_cap_add)
{
	struct buf b;

	buf_init(&b, 10);
	ck_assert_int_eq(buf_adds(&b, "0123456789"), MP_OK); /* exactly max */
	assert_buf_ok(&b);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_int_eq(buf_addch(&b, 'x'), MP_ETOOBIG);
	ck_assert_int_eq(buf_adds(&b, "xy"), MP_ETOOBIG);
	assert_buf_ok(&b);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_str_eq(b.data, "0123456789");
	/* an empty append at the cap is fine */
	ck_assert_int_eq(buf_add(&b, "", 0), MP_OK);
	buf_release(&b);

	/* a single append larger than the cap, into an empty buffer */
	buf_init(&b, 4);
	ck_assert_int_eq(buf_adds(&b, "12345"), MP_ETOOBIG);
	assert_buf_ok(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, "");
	ck_assert_int_eq(buf_adds(&b, "1234"), MP_OK);
	ck_assert_str_eq(b.data, "1234");
	/* the allocation never exceeds max + 1 */
	ck_assert_uint_le(b.cap, 5);
	buf_release(&b);
}
END_TEST

START_TEST(test_cap_partial_fill)
{
	struct buf b;

	buf_init(&b, 8);
	ck_assert_int_eq(buf_adds(&b, "abcde"), MP_OK);
	/* 5 + 4 > 8: refused as a whole, not truncated to "abcdefgh" */
	ck_assert_int_eq(buf_adds(&b, "fghi"), MP_ETOOBIG);
	ck_assert_str_eq(b.data, "abcde");
	ck_assert_uint_eq(b.len, 5);
	ck_assert_int_eq(buf_adds(&b, "fgh"), MP_OK);
	ck_assert_str_eq(b.data, "abcdefgh");
	buf_release(&b);
}
END_TEST

START_TEST(test_grow_overflow)
{
	struct buf b;

	buf_init(&b, 0);
	ck_assert_int_eq(buf_adds(&b, "x"), MP_OK);
	ck_assert_int_eq(buf_grow(&b, SIZE_MAX), MP_ETOOBIG);
	ck_assert_int_eq(buf_grow(&b, SIZE_MAX - 1), MP_ETOOBIG);
	ck_assert_int_eq(buf_grow(&b, BUF_MAX_DEFAULT), MP_ETOOBIG);
	ck_assert_str_eq(b.data, "x");
	/* grow reserves without changing the contents */
	ck_assert_int_eq(buf_grow(&b, 1000), MP_OK);
	ck_assert_uint_ge(b.cap, 1002);
	ck_assert_uint_eq(b.len, 1);
	ck_assert_str_eq(b.data, "x");
	buf_release(&b);
}
END_TEST

START_TEST(test_addf_first_use)
{
	struct buf b;

	buf_init(&b, 0);
	ck_assert_int_eq(buf_addf(&b, "%d-%s", 42, "x"), MP_OK);
	assert_buf_ok(&b);
	ck_assert_str_eq(b.data, "42-x");
	ck_assert_uint_eq(b.len, 4);
	buf_release(&b);

	/* an empty result on an unallocated buffer */
	buf_init(&b, 0);
	ck_assert_int_eq(buf_addf(&b, "%s", ""), MP_OK);
	assert_buf_ok(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, "");
	buf_release(&b);
}
END_TEST

/* Fills b with n bytes of 'a' after reserving so that cap is known. */
static void fill(struct buf *b, size_t n)
{
	char tmp[256];

	ck_assert_uint_le(n, sizeof(tmp));
	memset(tmp, 'a', n);
	ck_assert_int_eq(buf_add(b, tmp, n), MP_OK);
}

START_TEST(test_addf_growth_paths)
{
	struct buf b;
	size_t cap;

	/* fits: the formatted text and its NUL land in the existing allocation */
	buf_init(&b, 0);
	fill(&b, 10);
	cap = b.cap;
	ck_assert_uint_eq(cap, 64);
	ck_assert_int_eq(buf_addf(&b, "%05d", 7), MP_OK);
	ck_assert_uint_eq(b.cap, cap);
	ck_assert_str_eq(b.data + 10, "00007");
	ck_assert_uint_eq(b.len, 15);
	buf_release(&b);

	/* exactly fills: len + n + 1 == cap, no growth */
	buf_init(&b, 0);
	fill(&b, 60);
	cap = b.cap;
	ck_assert_int_eq(buf_addf(&b, "%s", "xyz"), MP_OK);
	assert_buf_ok(&b);
	ck_assert_uint_eq(b.cap, cap);
	ck_assert_uint_eq(b.len, 63);
	ck_assert_str_eq(b.data + 60, "xyz");
	buf_release(&b);

	/* one past: len + n == cap, the NUL does not fit, must grow and redo */
	buf_init(&b, 0);
	fill(&b, 60);
	cap = b.cap;
	ck_assert_int_eq(buf_addf(&b, "%s", "wxyz"), MP_OK);
	assert_buf_ok(&b);
	ck_assert_uint_gt(b.cap, cap);
	ck_assert_uint_eq(b.len, 64);
	ck_assert_str_eq(b.data + 60, "wxyz");
	ck_assert_int_eq(b.data[59], 'a');
	buf_release(&b);

	/* much larger than the allocation */
	buf_init(&b, 0);
	fill(&b, 3);
	ck_assert_int_eq(buf_addf(&b, "%0300d|", 5), MP_OK);
	assert_buf_ok(&b);
	ck_assert_uint_eq(b.len, 304);
	ck_assert_int_eq(b.data[3], '0');
	ck_assert_int_eq(b.data[302], '5');
	ck_assert_int_eq(b.data[303], '|');
	buf_release(&b);
}
END_TEST

START_TEST(test_addf_cap)
{
	struct buf b;

	/* exactly at max is accepted */
	buf_init(&b, 8);
	ck_assert_int_eq(buf_addf(&b, "%s%d", "abc", 12345), MP_OK);
	ck_assert_str_eq(b.data, "abc12345");
	ck_assert_uint_eq(b.len, 8);
	/* one past max fails and leaves the buffer as it was */
	ck_assert_int_eq(buf_addf(&b, "%c", 'z'), MP_ETOOBIG);
	assert_buf_ok(&b);
	ck_assert_str_eq(b.data, "abc12345");
	ck_assert_uint_eq(b.len, 8);
	buf_release(&b);

	/*
	 * The failing format partly fits the current allocation: vsnprintf
	 * writes into it before the cap is checked; the NUL must be restored.
	 */
	buf_init(&b, 20);
	ck_assert_int_eq(buf_adds(&b, "hello"), MP_OK);
	ck_assert_uint_gt(b.cap, 10);
	ck_assert_int_eq(buf_addf(&b, "%s", "0123456789abcdefg"), MP_ETOOBIG);
	assert_buf_ok(&b);
	ck_assert_str_eq(b.data, "hello");
	ck_assert_uint_eq(b.len, 5);
	/* and the buffer is still usable */
	ck_assert_int_eq(buf_addf(&b, "-%d", 1), MP_OK);
	ck_assert_str_eq(b.data, "hello-1");
	buf_release(&b);

	/* failing on an unallocated buffer */
	buf_init(&b, 3);
	ck_assert_int_eq(buf_addf(&b, "%s", "abcd"), MP_ETOOBIG);
	assert_buf_ok(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, "");
	buf_release(&b);
}
END_TEST

START_TEST(test_detach)
{
	struct buf b;
	size_t len = 99;
	char *s;

	/* never allocated: detach still hands out a malloc'd "" */
	buf_init(&b, 50);
	s = buf_detach(&b, &len);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "");
	ck_assert_uint_eq(len, 0);
	free(s);

	ck_assert_int_eq(buf_adds(&b, "payload"), MP_OK);
	s = buf_detach(&b, &len);
	ck_assert_str_eq(s, "payload");
	ck_assert_uint_eq(len, 7);
	/* the buffer is empty again, keeps its cap, and no longer owns s */
	assert_buf_ok(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
	ck_assert_uint_eq(b.max, 50);
	ck_assert_ptr_ne(b.data, s);
	ck_assert_int_eq(buf_adds(&b, "next"), MP_OK);
	ck_assert_str_eq(s, "payload");
	free(s);

	s = buf_detach(&b, NULL);
	ck_assert_str_eq(s, "next");
	free(s);
	buf_release(&b);
}
END_TEST

START_TEST(test_reset)
{
	struct buf b;
	size_t cap;

	/* reset of a never-allocated buffer */
	buf_init(&b, 0);
	buf_reset(&b);
	assert_buf_ok(&b);
	ck_assert_str_eq(b.data, "");

	ck_assert_int_eq(buf_adds(&b, "some text"), MP_OK);
	cap = b.cap;
	buf_reset(&b);
	assert_buf_ok(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, cap);
	ck_assert_str_eq(b.data, "");
	ck_assert_int_eq(buf_adds(&b, "new"), MP_OK);
	ck_assert_str_eq(b.data, "new");
	buf_release(&b);

	/* after a reset the full cap is available again */
	buf_init(&b, 4);
	ck_assert_int_eq(buf_adds(&b, "abcd"), MP_OK);
	ck_assert_int_eq(buf_addch(&b, 'e'), MP_ETOOBIG);
	buf_reset(&b);
	ck_assert_int_eq(buf_adds(&b, "wxyz"), MP_OK);
	ck_assert_str_eq(b.data, "wxyz");
	buf_release(&b);
}
END_TEST

START_TEST(test_wipe)
{
	struct buf b;

	buf_init(&b, 0);
	buf_wipe(&b); /* never allocated */
	ck_assert_str_eq(b.data, "");
	ck_assert_int_eq(buf_adds(&b, "secret-token"), MP_OK);
	buf_wipe(&b);
	assert_buf_ok(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
	ck_assert_str_eq(b.data, "");
	buf_release(&b);
}
END_TEST

static Suite *buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_init_empty);
	tcase_add_test(tc, test_add_variants);
	tcase_add_test(tc, test_large_growth);
	tcase_add_test(tc, test_cap_add);
	tcase_add_test(tc, test_cap_partial_fill);
	tcase_add_test(tc, test_grow_overflow);
	tcase_add_test(tc, test_addf_first_use);
	tcase_add_test(tc, test_addf_growth_paths);
	tcase_add_test(tc, test_addf_cap);
	tcase_add_test(tc, test_detach);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_wipe);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(buf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
