/*
 * test_classif.c: metrics/classif: the radix sort against qsort on awkward
 * score distributions (signs, zeros, subnormals, few distinct values, long
 * runs that differ in the lowest bits), keys that keep the order of doubles,
 * known small values, and weighted metrics equal to the metrics of the data
 * with every case repeated as often as its weight says (what the bootstrap
 * relies on).
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/classif.h"

static uint64_t rng_state = 88172645463325252u;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static double uniform(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

enum dist { D_UNIFORM, D_SIGNED, D_FEW, D_ULPS, D_ZEROS, D_EXTREME, D_MAX };

static double draw(enum dist d, size_t i)
{
	switch (d) {
	case D_UNIFORM: return uniform();
	case D_SIGNED: return (uniform() - 0.5) * 1e6;
	case D_FEW: return (double)(rnd() % 37) / 8;
	case D_ULPS: return 1.0 + (double)(rnd() % 100000) * DBL_EPSILON; /* runs in the top bits */
	case D_ZEROS: return (rnd() & 1) ? 0.0 : -0.0;
	case D_EXTREME: {
		static const double v[] = {-DBL_MAX, -1.0, -DBL_MIN, -4.9e-324, -0.0, 0.0,
					   4.9e-324, DBL_MIN, 1.0, DBL_MAX};
		return (i % 3) ? v[rnd() % 10] : uniform() * 1e-310;
	}
	default: return 0;
	}
}

START_TEST(sort_matches_qsort)
{
	static const size_t sizes[] = {0, 1, 2, 47, 48, 49, 1000, 5000, 70000};

	for (int d = 0; d < D_MAX; d++)
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			size_t n = sizes[s];
			uint64_t *key = malloc((n + 1) * 8), *ref = malloc((n + 1) * 8);
			uint64_t *tmp = malloc((n + 1) * 8);
			uint32_t *idx = malloc((n + 1) * 4), *itmp = malloc((n + 1) * 4);
			double *score = malloc((n + 1) * 8);

			for (size_t i = 0; i < n; i++) {
				score[i] = draw(d, i);
				key[i] = ref[i] = classif_key(score[i]);
				idx[i] = (uint32_t)i;
			}
			qsort(ref, n, 8, cmp_u64);
			classif_radix_sort(key, idx, n, tmp, itmp);
			for (size_t i = 0; i < n; i++) {
				ck_assert_msg(key[i] == ref[i], "dist %d n %zu at %zu", d, n, i);
				ck_assert(classif_key(score[idx[i]]) == key[i]);
			}
			/* keys only */
			for (size_t i = 0; i < n; i++)
				key[i] = classif_key(score[i]);
			classif_radix_sort(key, NULL, n, tmp, NULL);
			ck_assert(n == 0 || memcmp(key, ref, n * 8) == 0);
			free(key);
			free(ref);
			free(tmp);
			free(idx);
			free(itmp);
			free(score);
		}
}
END_TEST

START_TEST(keys_keep_the_order_of_doubles)
{
	static const double v[] = {-INFINITY, -DBL_MAX, -1e10, -1.0, -DBL_MIN, -4.9e-324, 0.0,
				   4.9e-324, DBL_MIN, 0.5, 1.0, 1e300, DBL_MAX, INFINITY};

	for (size_t i = 0; i + 1 < sizeof(v) / sizeof(v[0]); i++) {
		ck_assert(classif_key(v[i]) < classif_key(v[i + 1]));
		ck_assert(classif_unkey(classif_key(v[i])) == v[i]);
	}
	ck_assert(classif_key(-0.0) == classif_key(0.0));
}
END_TEST

static void compute(size_t n, size_t k, const double *score, const uint32_t *label,
		    double threshold, unsigned want, const uint32_t *w, double *out, double *pc,
		    struct classif_prep **keep)
{
	struct classif_input in = {n, k, score, label, threshold, 1, 10, 1};
	struct classif_prep *p;
	mp_errbuf e;

	ck_assert_int_eq(classif_prep_new(&in, &p, &e), 0);
	ck_assert_int_eq(classif_compute(p, want, w, out, pc), 0);
	if (keep)
		*keep = p;
	else
		classif_prep_free(p);
}

START_TEST(known_small_values)
{
	/* scikit-learn's documentation examples */
	const double s[] = {0.1, 0.4, 0.35, 0.8};
	const uint32_t y[] = {0, 0, 1, 1};
	double out[CLASSIF_SLOTS];
	uint64_t cm[4];
	struct classif_prep *p;

	compute(4, 2, s, y, 0.5, (1u << CM_MAX) - 1, NULL, out, NULL, &p);
	ck_assert_double_eq(out[CLASSIF_SLOT(CM_ROC_AUC, CA_NONE)], 0.75);
	ck_assert_double_eq_tol(out[CLASSIF_SLOT(CM_AVERAGE_PRECISION, CA_NONE)],
				0.8333333333333333, 1e-15);
	ck_assert_double_eq(out[CLASSIF_SLOT(CM_ACCURACY, CA_NONE)], 0.75);
	ck_assert(isnan(out[CLASSIF_SLOT(CM_ROC_AUC, CA_MACRO)]));
	classif_confusion(p, cm);
	ck_assert(cm[0] == 2 && cm[1] == 0 && cm[2] == 1 && cm[3] == 1);
	classif_prep_free(p);
	/* ties: a positive and a negative at 0.5 count one half */
	{
		const double t[] = {0.5, 0.5, 0.2, 0.9};
		const uint32_t z[] = {1, 0, 0, 1};
		compute(4, 2, t, z, 0.5, CLASSIF_BIT(CM_ROC_AUC), NULL, out, NULL, NULL);
		ck_assert_double_eq(out[CLASSIF_SLOT(CM_ROC_AUC, CA_NONE)], 0.875);
		ck_assert(isnan(out[CLASSIF_SLOT(CM_ACCURACY, CA_NONE)])); /* not asked */
	}
}
END_TEST

START_TEST(weights_equal_repeated_cases_binary)
{
	enum { N = 300 };
	double s[N], out_w[CLASSIF_SLOTS], out_x[CLASSIF_SLOTS];
	uint32_t y[N], w[N];
	struct classif_prep *p;
	const uint64_t *pos, *neg;
	size_t np, nn, total = 0, at = 0;
	double *xs;
	uint32_t *xy;

	for (int i = 0; i < N; i++) {
		y[i] = rnd() % 3 == 0;
		s[i] = floor((uniform() * 0.6 + 0.4 * y[i]) * 50) / 50; /* ties */
	}
	compute(N, 2, s, y, 0.5, 0, NULL, out_w, NULL, &p);
	for (int j = 0; j < N; j++) {
		w[j] = (uint32_t)(rnd() % 4);
		total += w[j];
	}
	ck_assert_int_eq(classif_compute(p, (1u << CM_MAX) - 1, w, out_w, NULL), 0);
	/* the same cases, in prep order, repeated */
	classif_ranked(p, &pos, &np, &neg, &nn);
	xs = malloc(total * sizeof(*xs));
	xy = malloc(total * sizeof(*xy));
	for (size_t j = 0; j < np + nn; j++)
		for (uint32_t c = 0; c < w[j]; c++) {
			xs[at] = classif_unkey(j < np ? pos[j] : neg[j - np]);
			xy[at++] = j < np;
		}
	compute(total, 2, xs, xy, 0.5, (1u << CM_MAX) - 1, NULL, out_x, NULL, NULL);
	for (size_t sl = 0; sl < CLASSIF_SLOTS; sl++) {
		if (isnan(out_x[sl])) {
			ck_assert_msg(isnan(out_w[sl]), "slot %zu", sl);
			continue;
		}
		ck_assert_msg(fabs(out_w[sl] - out_x[sl]) <= 1e-12, "slot %zu: %.17g vs %.17g", sl,
			      out_w[sl], out_x[sl]);
	}
	free(xs);
	free(xy);
	classif_prep_free(p);
}
END_TEST

START_TEST(weights_equal_repeated_cases_multiclass)
{
	enum { N = 200, K = 4 };
	double s[N * K], out_w[CLASSIF_SLOTS], out_x[CLASSIF_SLOTS], pc_w[K * CPC_MAX],
		pc_x[K * CPC_MAX];
	uint32_t y[N], w[N];
	struct classif_prep *p;
	size_t total = 0, at = 0;
	double *xs;
	uint32_t *xy;

	for (int i = 0; i < N; i++) {
		double sum = 0;
		y[i] = (uint32_t)(rnd() % K);
		for (int c = 0; c < K; c++) {
			s[i * K + c] = floor(uniform() * 8) + (c == (int)y[i]) * 3 + 1;
			sum += s[i * K + c];
		}
		for (int c = 0; c < K; c++)
			s[i * K + c] /= sum;
		w[i] = (uint32_t)(rnd() % 3);
		total += w[i];
	}
	compute(N, K, s, y, 0.5, 0, NULL, out_w, NULL, &p);
	ck_assert_int_eq(classif_compute(p, (1u << CM_MAX) - 1, w, out_w, pc_w), 0);
	classif_prep_free(p);
	xs = malloc(total * K * sizeof(*xs));
	xy = malloc(total * sizeof(*xy));
	for (int i = 0; i < N; i++)
		for (uint32_t c = 0; c < w[i]; c++) {
			memcpy(xs + at * K, s + i * K, K * sizeof(*xs));
			xy[at++] = y[i];
		}
	compute(total, K, xs, xy, 0.5, (1u << CM_MAX) - 1, NULL, out_x, pc_x, NULL);
	for (size_t sl = 0; sl < CLASSIF_SLOTS; sl++) {
		if (isnan(out_x[sl])) {
			ck_assert_msg(isnan(out_w[sl]), "slot %zu", sl);
			continue;
		}
		ck_assert_msg(fabs(out_w[sl] - out_x[sl]) <= 1e-12, "slot %zu: %.17g vs %.17g", sl,
			      out_w[sl], out_x[sl]);
	}
	for (int j = 0; j < K * CPC_MAX; j++)
		ck_assert(isnan(pc_x[j]) ? isnan(pc_w[j]) : fabs(pc_w[j] - pc_x[j]) <= 1e-12);
	free(xs);
	free(xy);
}
END_TEST

START_TEST(prep_refuses_bad_shapes)
{
	double s[2] = {0.1, 0.2};
	uint32_t y[2] = {0, 1};
	struct classif_input in = {2, 1, s, y, 0.5, 1, 10, 0};
	struct classif_prep *p = NULL;
	mp_errbuf e;

	ck_assert_int_eq(classif_prep_new(&in, &p, &e), MP_EINVAL);
	in.k = 2;
	in.n = 0;
	ck_assert_int_eq(classif_prep_new(&in, &p, &e), MP_EINVAL);
	in.n = 2;
	in.ece_bins = 0;
	ck_assert_int_eq(classif_prep_new(&in, &p, &e), MP_EINVAL);
	ck_assert_ptr_null(p);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("classif");
	TCase *tc = tcase_create("classif");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, sort_matches_qsort);
	tcase_add_test(tc, keys_keep_the_order_of_doubles);
	tcase_add_test(tc, known_small_values);
	tcase_add_test(tc, weights_equal_repeated_cases_binary);
	tcase_add_test(tc, weights_equal_repeated_cases_multiclass);
	tcase_add_test(tc, prep_refuses_bad_shapes);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
