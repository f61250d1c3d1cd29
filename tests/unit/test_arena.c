/*
 * test_arena.c: unit tests for core/arena: allocations are 16-byte aligned,
 * zeroed and do not overlap; large allocations get their own chunk; sizes
 * that cannot be represented fail; string copies; and arena_keep takes
 * exactly one reference to a jansson value and drops it in arena_free.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core/arena.h"

static int is_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/*
 * Leaves dirty freed blocks in the heap, so that memory the arena gets from
 * malloc is likely not fresh (and so already zero) from the kernel.
 */
static void dirty_heap(void)
{
	void *p[8];

	for (int i = 0; i < 8; i++) {
		p[i] = malloc(8192 + 64 * (size_t)i);
		ck_assert_ptr_nonnull(p[i]);
		memset(p[i], 0xff, 8192 + 64 * (size_t)i);
	}
	for (int i = 0; i < 8; i++)
		free(p[i]);
}

START_TEST(test_aligned_zeroed)
{
	struct arena *a;
	unsigned char *prev = NULL;
	size_t prevn = 0;

	dirty_heap();
	a = arena_new();
	ck_assert_ptr_nonnull(a);
	for (size_t n = 1; n <= 300; n++) {
		unsigned char *p = arena_alloc(a, n);

		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq((uintptr_t)p % 16, 0);
		ck_assert_msg(is_zero(p, n), "allocation of %zu bytes not zeroed", n);
		/* dirty it, so that a later allocation handing it out again shows */
		memset(p, 0xa5, n);
		/* the previous block was not overwritten by this one */
		if (prev)
			ck_assert_int_eq(prev[prevn - 1], 0xa5);
		prev = p;
		prevn = n;
	}
	arena_free(a);
}
END_TEST

START_TEST(test_zero_size)
{
	struct arena *a = arena_new();
	void *p = arena_alloc(a, 0);
	void *q = arena_alloc(a, 0);

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(q);
	ck_assert_ptr_ne(p, q);
	ck_assert_uint_eq((uintptr_t)p % 16, 0);
	arena_free(a);
}
END_TEST

START_TEST(test_large)
{
	struct arena *a = arena_new();
	unsigned char *small1 = arena_alloc(a, 100);
	unsigned char *big = arena_alloc(a, 1 << 20);
	unsigned char *big2 = arena_alloc(a, 8193);
	unsigned char *small2 = arena_alloc(a, 100);

	ck_assert_ptr_nonnull(small1);
	ck_assert_ptr_nonnull(big);
	ck_assert_ptr_nonnull(big2);
	ck_assert_ptr_nonnull(small2);
	ck_assert_uint_eq((uintptr_t)big % 16, 0);
	ck_assert_uint_eq((uintptr_t)big2 % 16, 0);
	ck_assert_uint_eq((uintptr_t)small2 % 16, 0);
	ck_assert(is_zero(big, 1 << 20));
	ck_assert(is_zero(big2, 8193));
	/* every byte is usable (the sanitizer build checks the bounds) */
	memset(small1, 1, 100);
	memset(big, 2, 1 << 20);
	memset(big2, 3, 8193);
	memset(small2, 4, 100);
	ck_assert_int_eq(small1[99], 1);
	ck_assert_int_eq(big[0], 2);
	ck_assert_int_eq(big[(1 << 20) - 1], 2);
	ck_assert_int_eq(big2[8192], 3);
	ck_assert_int_eq(small2[0], 4);
	arena_free(a);
}
END_TEST

START_TEST(test_many_chunks)
{
	struct arena *a = arena_new();
	unsigned char *blocks[2000];

	/* 2000 x 1000 bytes: many 8 KiB chunks */
	for (int i = 0; i < 2000; i++) {
		blocks[i] = arena_alloc(a, 1000);
		ck_assert_ptr_nonnull(blocks[i]);
		memset(blocks[i], i & 0xff, 1000);
	}
	for (int i = 0; i < 2000; i++) {
		ck_assert_int_eq(blocks[i][0], i & 0xff);
		ck_assert_int_eq(blocks[i][999], i & 0xff);
	}
	arena_free(a);
}
END_TEST

START_TEST(test_impossible_size)
{
	struct arena *a = arena_new();

	/* sizes whose rounding or chunk header would overflow size_t */
	ck_assert_ptr_null(arena_alloc(a, SIZE_MAX));
	ck_assert_ptr_null(arena_alloc(a, SIZE_MAX - 15));
	ck_assert_ptr_null(arena_alloc(a, SIZE_MAX - 30));
	/* the arena still works afterwards */
	ck_assert_ptr_nonnull(arena_alloc(a, 10));
	arena_free(a);
}
END_TEST

START_TEST(test_strdup)
{
	struct arena *a = arena_new();
	char src[] = "hello world";
	char *s = arena_strdup(a, src);
	char *t = arena_strndup(a, src, 5);
	char *e = arena_strdup(a, "");

	ck_assert_str_eq(s, "hello world");
	ck_assert_ptr_ne(s, src);
	ck_assert_str_eq(t, "hello");
	ck_assert_str_eq(e, "");
	/* copies, not aliases */
	src[0] = 'J';
	ck_assert_str_eq(s, "hello world");
	arena_free(a);
}
END_TEST

START_TEST(test_keep_decref)
{
	struct arena *a = arena_new();
	json_t *obj = json_object();
	json_t *arr = json_array();

	ck_assert_ptr_nonnull(obj);
	ck_assert_uint_eq(obj->refcount, 1);
	json_incref(obj);
	ck_assert_uint_eq(obj->refcount, 2);
	/* keep returns its argument and takes over one reference, no more */
	ck_assert_ptr_eq(arena_keep(a, obj), obj);
	ck_assert_uint_eq(obj->refcount, 2);
	json_incref(arr);
	ck_assert_ptr_eq(arena_keep(a, arr), arr);
	ck_assert_ptr_null(arena_keep(a, NULL));
	arena_free(a);
	/* arena_free dropped exactly the kept reference */
	ck_assert_uint_eq(obj->refcount, 1);
	ck_assert_uint_eq(arr->refcount, 1);
	json_decref(obj);
	json_decref(arr);
}
END_TEST

START_TEST(test_keep_many)
{
	struct arena *a = arena_new();
	json_t *shared = json_string("shared");

	/* past the initial capacity of the kept list, several times */
	for (int i = 0; i < 100; i++) {
		json_incref(shared);
		ck_assert_ptr_eq(arena_keep(a, shared), shared);
	}
	/* and new values owned only by the arena (the sanitizer sees leaks) */
	for (int i = 0; i < 100; i++)
		ck_assert_ptr_nonnull(arena_keep(a, json_integer(i)));
	ck_assert_uint_eq(shared->refcount, 101);
	arena_free(a);
	ck_assert_uint_eq(shared->refcount, 1);
	json_decref(shared);
}
END_TEST

START_TEST(test_free_null)
{
	arena_free(NULL);
	arena_free(arena_new());
}
END_TEST

static Suite *arena_suite(void)
{
	Suite *s = suite_create("arena");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_aligned_zeroed);
	tcase_add_test(tc, test_zero_size);
	tcase_add_test(tc, test_large);
	tcase_add_test(tc, test_many_chunks);
	tcase_add_test(tc, test_impossible_size);
	tcase_add_test(tc, test_strdup);
	tcase_add_test(tc, test_keep_decref);
	tcase_add_test(tc, test_keep_many);
	tcase_add_test(tc, test_free_null);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(arena_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
