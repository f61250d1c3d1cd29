/*
 * test_ci.c: metrics/ci: the normal quantile and Wilson's interval against
 * values computed with SciPy, DeLong's fast variance against its O(n^2)
 * definition, the bootstrap's independence from the thread count, and
 * coverage simulations (seeded, so deterministic) for Wilson, DeLong and
 * the stratified bootstrap: a 95% interval covers the true value in
 * roughly 95% of draws.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/ci.h"
#include "metrics/classif.h"

static uint64_t rng_state = 0x2545F4914F6CDD1Du;

static double uniform(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(void)
{
	return sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
}

static double phi(double x)
{
	return 0.5 * erfc(-x / M_SQRT2);
}

START_TEST(normal_quantiles)
{
	static const struct {
		double p, x;
	} v[] = {
		{0.975, 1.959963984540054},	  {0.5, 0.0},
		{0.995, 2.5758293035489004},	  {1e-10, -6.361340902404056},
		{0.9, 1.2815515655446004},	  {0.025, -1.9599639845400545},
		{0.999999999999, 7.0344869100478356},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ck_assert_double_eq_tol(ci_norm_ppf(v[i].p), v[i].x, 1e-12 * fmax(1, fabs(v[i].x)));
	ck_assert_double_eq_tol(ci_z(0.95), 1.959963984540054, 1e-13);
	ck_assert(isnan(ci_norm_ppf(1.5)));
}
END_TEST

START_TEST(wilson_known_values)
{
	double lo, hi;

	ci_wilson(5, 10, 0.95, &lo, &hi);
	ck_assert_double_eq_tol(lo, 0.236593090512564, 1e-13);
	ck_assert_double_eq_tol(hi, 0.7634069094874361, 1e-13);
	ci_wilson(0, 20, 0.95, &lo, &hi);
	ck_assert_double_eq(lo, 0.0);
	ck_assert_double_eq_tol(hi, 0.16112515805281938, 1e-13);
	ci_wilson(37, 40, 0.9, &lo, &hi);
	ck_assert_double_eq_tol(lo, 0.8265198212630996, 1e-13);
	ck_assert_double_eq_tol(hi, 0.969629747388261, 1e-13);
	ci_wilson(0, 0, 0.95, &lo, &hi);
	ck_assert(isnan(lo) && isnan(hi));
}
END_TEST

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* DeLong from its definition: psi over all pairs. */
static double delong_quadratic(const double *pos, size_t m, const double *neg, size_t n,
			       double *auc)
{
	double *v10 = calloc(m, sizeof(double)), *v01 = calloc(n, sizeof(double));
	double a = 0, s10 = 0, s01 = 0;

	for (size_t i = 0; i < m; i++)
		for (size_t j = 0; j < n; j++) {
			double psi = pos[i] > neg[j] ? 1 : pos[i] == neg[j] ? 0.5 : 0;
			v10[i] += psi / (double)n;
			v01[j] += psi / (double)m;
			a += psi;
		}
	a /= (double)m * (double)n;
	for (size_t i = 0; i < m; i++)
		s10 += (v10[i] - a) * (v10[i] - a);
	for (size_t j = 0; j < n; j++)
		s01 += (v01[j] - a) * (v01[j] - a);
	free(v10);
	free(v01);
	*auc = a;
	return s10 / (double)(m - 1) / (double)m + s01 / (double)(n - 1) / (double)n;
}

static double delong_fast(const double *pos, size_t m, const double *neg, size_t n, double *auc)
{
	uint64_t *kp = malloc(m * 8), *kn = malloc(n * 8);
	double v;

	for (size_t i = 0; i < m; i++)
		kp[i] = classif_key(pos[i]);
	for (size_t j = 0; j < n; j++)
		kn[j] = classif_key(neg[j]);
	qsort(kp, m, 8, cmp_u64);
	qsort(kn, n, 8, cmp_u64);
	v = ci_delong_var(kp, m, kn, n, auc);
	free(kp);
	free(kn);
	return v;
}

START_TEST(delong_equals_its_definition)
{
	for (int round = 0; round < 6; round++) {
		size_t m = 20 + (size_t)round * 37, n = 15 + (size_t)round * 23;
		double *pos = malloc(m * 8), *neg = malloc(n * 8), a1, a2, v1, v2;

		for (size_t i = 0; i < m; i++)
			pos[i] = round % 2 ? floor((gauss() + 0.7) * 4) : gauss() + 0.7;
		for (size_t j = 0; j < n; j++)
			neg[j] = round % 2 ? floor(gauss() * 4) : gauss();
		v1 = delong_quadratic(pos, m, neg, n, &a1);
		v2 = delong_fast(pos, m, neg, n, &a2);
		ck_assert_double_eq_tol(a1, a2, 1e-13);
		ck_assert_double_eq_tol(v1, v2, 1e-13 * v1);
		free(pos);
		free(neg);
	}
	{
		double p1[] = {0.9}, n2[] = {0.1, 0.2}, a;
		ck_assert(isnan(delong_fast(p1, 1, n2, 2, &a)));
		ck_assert_double_eq(a, 1.0);
	}
}
END_TEST

static struct classif_prep *binary_prep(size_t n, double d, uint32_t *label, double *score)
{
	struct classif_input in = {n, 2, score, label, 0.0, 0, 10, 1};
	struct classif_prep *p;
	mp_errbuf e;

	for (size_t i = 0; i < n; i++) {
		label[i] = i % 2;
		score[i] = gauss() + d * label[i];
	}
	ck_assert_int_eq(classif_prep_new(&in, &p, &e), 0);
	return p;
}

START_TEST(bootstrap_does_not_depend_on_threads)
{
	enum { N = 301 };
	uint32_t label[N];
	double score[N], lo[4][CLASSIF_SLOTS], hi[4][CLASSIF_SLOTS];
	unsigned used[CLASSIF_SLOTS];
	unsigned want = CLASSIF_BIT(CM_F1) | CLASSIF_BIT(CM_AVERAGE_PRECISION) |
			CLASSIF_BIT(CM_MCC);
	struct classif_prep *p = binary_prep(N, 0.8, label, score);
	mp_errbuf e;

	for (int t = 0; t < 4; t++) {
		struct ci_bootstrap_opts o = {250, t == 3 ? 99 : 5, t + 1, 0.95};
		ck_assert_int_eq(ci_bootstrap(p, want, &o, lo[t], hi[t], used, &e), 0);
		ck_assert_uint_eq(used[CLASSIF_SLOT(CM_F1, CA_NONE)], 250);
	}
	for (size_t s = 0; s < CLASSIF_SLOTS; s++) {
		if (isnan(lo[0][s])) {
			ck_assert(isnan(lo[1][s]) && isnan(lo[2][s]));
			continue;
		}
		ck_assert(lo[0][s] == lo[1][s] && lo[1][s] == lo[2][s]);
		ck_assert(hi[0][s] == hi[1][s] && hi[1][s] == hi[2][s]);
	}
	ck_assert(lo[0][CLASSIF_SLOT(CM_F1, CA_NONE)] != lo[3][CLASSIF_SLOT(CM_F1, CA_NONE)] ||
		  hi[0][CLASSIF_SLOT(CM_F1, CA_NONE)] != hi[3][CLASSIF_SLOT(CM_F1, CA_NONE)]);
	classif_prep_free(p);
}
END_TEST

START_TEST(coverage_wilson_and_delong)
{
	enum { DRAWS = 400, N = 100 };
	double d = 1.0, true_auc = phi(d / M_SQRT2), p_true = 0.3;
	int auc_in = 0, wilson_in = 0;
	uint32_t label[N];
	double score[N];

	for (int t = 0; t < DRAWS; t++) {
		struct classif_prep *p = binary_prep(N, d, label, score);
		const uint64_t *pos, *neg;
		size_t m, n;
		double auc, var, lo, hi;
		uint64_t x = 0;

		classif_ranked(p, &pos, &m, &neg, &n);
		var = ci_delong_var(pos, m, neg, n, &auc);
		ci_normal_interval(auc, var, 0.95, &lo, &hi);
		auc_in += lo <= true_auc && true_auc <= hi;
		for (int i = 0; i < 60; i++)
			x += uniform() < p_true;
		ci_wilson(x, 60, 0.95, &lo, &hi);
		wilson_in += lo <= p_true && p_true <= hi;
		classif_prep_free(p);
	}
	ck_assert_msg(auc_in >= 0.9 * DRAWS && auc_in <= 0.99 * DRAWS, "DeLong %d/400", auc_in);
	ck_assert_msg(wilson_in >= 0.9 * DRAWS && wilson_in <= 0.99 * DRAWS, "Wilson %d/400",
		      wilson_in);
}
END_TEST

START_TEST(coverage_bootstrap)
{
	/* balanced accuracy at threshold 0.5 of binormal scores (means 0 and 1) */
	enum { DRAWS = 200, N = 120 };
	double d = 1.0, thr = 0.5, truth = (phi(thr) + 1 - phi(thr - d)) / 2;
	unsigned want = CLASSIF_BIT(CM_BALANCED_ACCURACY), used[CLASSIF_SLOTS];
	double lo[CLASSIF_SLOTS], hi[CLASSIF_SLOTS];
	size_t s = CLASSIF_SLOT(CM_BALANCED_ACCURACY, CA_NONE);
	uint32_t label[N];
	double score[N];
	int in = 0;
	mp_errbuf e;

	for (int t = 0; t < DRAWS; t++) {
		struct classif_input ci_in = {N, 2, score, label, thr, 0, 10, 1};
		struct ci_bootstrap_opts o = {400, (uint64_t)t, 0, 0.95};
		struct classif_prep *p;

		for (int i = 0; i < N; i++) {
			label[i] = i % 2;
			score[i] = gauss() + d * label[i];
		}
		ck_assert_int_eq(classif_prep_new(&ci_in, &p, &e), 0);
		ck_assert_int_eq(ci_bootstrap(p, want, &o, lo, hi, used, &e), 0);
		in += lo[s] <= truth && truth <= hi[s];
		classif_prep_free(p);
	}
	ck_assert_msg(in >= 0.85 * DRAWS && in <= 0.99 * DRAWS, "bootstrap %d/200", in);
}
END_TEST

START_TEST(quantiles_like_numpy)
{
	const double v[] = {1, 2, 4, 8};

	ck_assert_double_eq(ci_quantile(v, 4, 0.0), 1);
	ck_assert_double_eq(ci_quantile(v, 4, 1.0), 8);
	ck_assert_double_eq(ci_quantile(v, 4, 0.5), 3);
	ck_assert_double_eq_tol(ci_quantile(v, 4, 0.9), 6.8, 1e-15);
	ck_assert(isnan(ci_quantile(v, 0, 0.5)));
}
END_TEST

int main(void)
{
	Suite *su = suite_create("ci");
	TCase *tc = tcase_create("ci");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, normal_quantiles);
	tcase_add_test(tc, wilson_known_values);
	tcase_add_test(tc, delong_equals_its_definition);
	tcase_add_test(tc, bootstrap_does_not_depend_on_threads);
	tcase_add_test(tc, coverage_wilson_and_delong);
	tcase_add_test(tc, coverage_bootstrap);
	tcase_add_test(tc, quantiles_like_numpy);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
