/*
 * test_seg.c: metrics/seg on volumes small enough to check by hand: the
 * percentile rule, the empty-mask policy, single voxels at known distances,
 * structures made of several labels, and the box hint.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics.h"
#include "metrics/seg.h"

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

START_TEST(percentile_interpolates_linearly)
{
	double a[] = {5, 1, 4, 2, 3}, one[] = {7.5}, two[] = {2, 1};

	ck_assert(seg_percentile(a, 5, 95) == 4.8);   /* h = 3.8: 4 + 0.8 * (5 - 4) */
	ck_assert(seg_percentile(one, 1, 95) == 7.5);
	ck_assert(seg_percentile(two, 2, 50) == 1.5);
	ck_assert(seg_percentile(two, 2, 100) == 2);
	ck_assert(seg_percentile(two, 2, 0) == 1);
}
END_TEST

START_TEST(percentile_matches_sorting)
{
	srand(3);
	for (int t = 0; t < 200; t++) {
		size_t n = 1 + (size_t)(rand() % 300);
		double *v = malloc(sizeof(double) * n), *s = malloc(sizeof(double) * n);
		double h, lo, want;
		for (size_t i = 0; i < n; i++)
			v[i] = s[i] = (double)(rand() % (t % 3 ? 1000 : 4));  /* with many ties */
		qsort(s, n, sizeof(double), cmp);
		h = (double)(n - 1) * 0.95;
		lo = floor(h);
		want = (size_t)lo + 1 < n ? s[(size_t)lo] + (h - lo) * (s[(size_t)lo + 1] -
									s[(size_t)lo])
					  : s[n - 1];
		ck_assert(fabs(seg_percentile(v, n, 95) - want) <= 1e-12 * (1 + fabs(want)));
		free(v);
		free(s);
	}
}
END_TEST

#define NX 9
#define NY 8
#define NZ 7
static int32_t pred[NX * NY * NZ], ref[NX * NY * NZ];

static size_t at(size_t x, size_t y, size_t z)
{
	return (z * NY + y) * NX + x;
}

static const struct seg_volume vol = {pred, ref, {NX, NY, NZ}, {0.5, 2.0, 3.0}};
static const struct seg_opts all = {SEG_ALL_METRICS, 1.0, 1};

START_TEST(single_voxels_at_a_known_distance)
{
	double out[SEG_NMETRICS], d = sqrt(pow(6 * 0.5, 2) + pow(2 * 2.0, 2) + pow(1 * 3.0, 2));
	int32_t one = 1;

	memset(pred, 0, sizeof(pred));
	memset(ref, 0, sizeof(ref));
	pred[at(1, 2, 3)] = 1;
	ref[at(7, 4, 4)] = 1;
	ck_assert_int_eq(seg_structure(&vol, &one, 1, NULL, &all, out, NULL), MP_OK);
	ck_assert(out[SEG_DICE] == 0 && out[SEG_IOU] == 0);
	ck_assert(fabs(out[SEG_HD] - d) < 1e-12 && fabs(out[SEG_HD95] - d) < 1e-12);
	ck_assert(fabs(out[SEG_ASSD] - d) < 1e-12);
	ck_assert(out[SEG_NSD] == 0);
	ck_assert(out[SEG_VOL_PRED] == 3.0 && out[SEG_VOL_DIFF] == 0);
}
END_TEST

START_TEST(empty_masks_follow_the_policy)
{
	double out[SEG_NMETRICS];
	double diag = sqrt(pow(NX * 0.5, 2) + pow(NY * 2.0, 2) + pow(NZ * 3.0, 2));
	int32_t one = 1, two = 2;

	memset(pred, 0, sizeof(pred));
	memset(ref, 0, sizeof(ref));
	ck_assert_int_eq(seg_structure(&vol, &one, 1, NULL, &all, out, NULL), MP_OK);
	ck_assert(out[SEG_DICE] == 1 && out[SEG_SENSITIVITY] == 1 && out[SEG_PRECISION] == 1);
	ck_assert(out[SEG_HD] == 0 && out[SEG_HD95] == 0 && out[SEG_ASSD] == 0);
	ck_assert(out[SEG_NSD] == 1 && out[SEG_VOL_PRED] == 0);
	ref[at(0, 0, 0)] = 2;
	ck_assert_int_eq(seg_structure(&vol, &two, 1, NULL, &all, out, NULL), MP_OK);
	ck_assert(out[SEG_DICE] == 0 && out[SEG_SENSITIVITY] == 0 && out[SEG_PRECISION] == 0);
	ck_assert(out[SEG_HD] == diag && out[SEG_HD95] == diag && out[SEG_ASSD] == diag);
	ck_assert(out[SEG_NSD] == 0 && out[SEG_VOL_REF] == 3.0);
	memcpy(pred, ref, sizeof(ref));
	memset(ref, 0, sizeof(ref));
	ck_assert_int_eq(seg_structure(&vol, &two, 1, NULL, &all, out, NULL), MP_OK);
	ck_assert(out[SEG_HD95] == diag && out[SEG_PRECISION] == 0 && out[SEG_VOL_DIFF] == 3.0);
}
END_TEST

START_TEST(structures_of_several_labels_and_box_hints)
{
	double a[SEG_NMETRICS], b[SEG_NMETRICS];
	int32_t set[] = {4, 2};
	struct seg_box box = {{0, 0, 0}, {NX, NY, NZ}};
	struct seg_opts some = {(1u << SEG_DICE) | (1u << SEG_HD), 1.0, 2};

	memset(pred, 0, sizeof(pred));
	memset(ref, 0, sizeof(ref));
	for (size_t x = 2; x < 6; x++)
		for (size_t y = 1; y < 5; y++) {
			pred[at(x, y, 2)] = x < 4 ? 2 : 4;
			ref[at(x, y, 2)] = y < 3 ? 4 : 2;
			ref[at(x, y, 3)] = 9;
		}
	ck_assert_int_eq(seg_structure(&vol, set, 2, NULL, &all, a, NULL), MP_OK);
	ck_assert(a[SEG_DICE] == 1 && a[SEG_HD] == 0 && a[SEG_NSD] == 1);
	ck_assert_int_eq(seg_structure(&vol, set, 1, NULL, &all, a, NULL), MP_OK);
	ck_assert(a[SEG_DICE] == 0.5);
	ck_assert_int_eq(seg_structure(&vol, set, 1, &box, &all, b, NULL), MP_OK);
	ck_assert_mem_eq(a, b, sizeof(a));
	ck_assert_int_eq(seg_structure(&vol, set, 1, NULL, &some, b, NULL), MP_OK);
	ck_assert(b[SEG_DICE] == a[SEG_DICE] && b[SEG_HD] == a[SEG_HD]);
	ck_assert(isnan(b[SEG_HD95]) && isnan(b[SEG_IOU]));
}
END_TEST

static void options_refused(const char *json, const char *key, const char *msg)
{
	json_t *o = json_loads(json, 0, NULL);
	const char *k = "unset";
	mp_errbuf e;

	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(seg_check_options(o, &k, &e), MP_EINVAL);
	if (key)
		ck_assert_str_eq(k, key);
	else
		ck_assert_ptr_null(k);
	ck_assert_msg(strstr(e.msg, msg) != NULL, "'%s' not in '%s'", msg, e.msg);
	json_decref(o);
}

START_TEST(options_are_checked)
{
	json_t *o = json_loads("{\"labels\": {\"WT\": [1, 2, 4], \"ET\": 4}, \"metrics\": "
			       "[\"dice\", \"nsd\"], \"tolerance_mm\": 2, \"per_case\": false}",
			       0, NULL);
	const char *k = "unset";
	mp_errbuf e;

	ck_assert_int_eq(seg_check_options(o, &k, &e), MP_OK);
	ck_assert_ptr_null(k);
	ck_assert_int_eq(seg_check_options(NULL, NULL, &e), MP_OK);
	json_decref(o);
	options_refused("{\"tolerence_mm\": 1}", "tolerence_mm",
			"segmentation parameters: unknown key 'tolerence_mm' (known: labels");
	options_refused("{\"labels\": []}", "labels", "labels is empty");
	options_refused("{\"labels\": [1, 2.5]}", "labels", "entry 2 is not an integer label");
	options_refused("{\"labels\": [1, 4294967296]}", "labels", "entry 2 is not an integer");
	options_refused("{\"labels\": {\"A\": []}}", "labels", "'A' has an empty list");
	options_refused("{\"labels\": {\"A\": \"x\"}}", "labels", "'A' must be an integer");
	options_refused("{\"labels\": 3}", "labels", "labels must be a list");
	options_refused("{\"metrics\": [\"dice\", \"hd96\"]}", "metrics",
			"unknown metric 'hd96'");
	options_refused("{\"metrics\": []}", "metrics", "non-empty list");
	options_refused("{\"tolerance_mm\": -1}", "tolerance_mm", "positive number");
	options_refused("{\"tolerance_mm\": \"1\"}", "tolerance_mm", "positive number");
	options_refused("{\"per_case\": 1}", "per_case", "true or false");
	options_refused("[1]", NULL, "must be a mapping");
}
END_TEST

int main(void)
{
	Suite *su = suite_create("seg");
	TCase *tc = tcase_create("seg");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, percentile_interpolates_linearly);
	tcase_add_test(tc, percentile_matches_sorting);
	tcase_add_test(tc, single_voxels_at_a_known_distance);
	tcase_add_test(tc, empty_masks_follow_the_policy);
	tcase_add_test(tc, structures_of_several_labels_and_box_hints);
	tcase_add_test(tc, options_are_checked);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
