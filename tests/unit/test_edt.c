/*
 * test_edt.c: metrics/edt: the distance transform and the query distances
 * against brute force (every voxel against every feature) on random grids
 * with anisotropic spacing, with one thread and with several, and on grids
 * that force the last pass's long searches onto the envelope.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "metrics/edt.h"

/* The features of a grid, as coordinates, for brute force. */
struct feats {
	size_t n, xyz[4096][3];
};

static struct feats feats;

static void collect(const struct edt_grid *g, uint8_t feature)
{
	size_t i = 0;

	feats.n = 0;
	for (size_t c = 0; c < g->n[2]; c++)
		for (size_t b = 0; b < g->n[1]; b++)
			for (size_t a = 0; a < g->n[0]; a++, i++)
				if (g->code[i] & feature) {
					ck_assert_uint_lt(feats.n, 4096);
					feats.xyz[feats.n][0] = a;
					feats.xyz[feats.n][1] = b;
					feats.xyz[feats.n++][2] = c;
				}
}

/* Squared distance to the nearest collected feature, computed as edt.h says. */
static double brute(const struct edt_grid *g, size_t x, size_t y, size_t z)
{
	double best = INFINITY;

	for (size_t k = 0; k < feats.n; k++) {
		double dx = ((double)feats.xyz[k][0] - (double)x) * g->sp[0];
		double dy = ((double)feats.xyz[k][1] - (double)y) * g->sp[1];
		double dz = ((double)feats.xyz[k][2] - (double)z) * g->sp[2];
		double d = (dx * dx + dy * dy) + dz * dz;
		if (d < best)
			best = d;
	}
	return best;
}

static uint8_t *random_grid(const size_t n[3], unsigned seed, int feature_per_mille,
			    int query_per_mille)
{
	size_t total = n[0] * n[1] * n[2];
	uint8_t *c = calloc(total, 1);

	srand(seed);
	for (size_t i = 0; i < total; i++) {
		if (rand() % 1000 < feature_per_mille)
			c[i] |= 1;
		if (rand() % 1000 < query_per_mille)
			c[i] |= 2;
	}
	return c;
}

static void assert_close(double got, double want)
{
	if (isinf(want)) {
		ck_assert(isinf(got));
		return;
	}
	ck_assert_msg(fabs(got - want) <= 1e-12 * (1 + want), "got %.17g, want %.17g", got, want);
}

static const struct {
	size_t n[3];
	double sp[3];
	int feat, query;
} grids[] = {
	{{17, 13, 11}, {1, 1, 1}, 10, 50},
	{{23, 7, 19}, {0.7, 2.5, 1.3}, 4, 80},
	{{40, 36, 25}, {1.1, 0.9, 3.0}, 2, 20},   /* over the threading threshold */
	{{1, 1, 50}, {1, 1, 0.5}, 40, 300},
	{{31, 1, 1}, {2, 1, 1}, 60, 300},
	{{9, 8, 7}, {1, 1, 1}, 1000, 500},        /* every voxel a feature */
};

START_TEST(squared_matches_brute_force)
{
	for (size_t k = 0; k < sizeof(grids) / sizeof(grids[0]); k++) {
		for (int threads = 1; threads <= 3; threads++) {
			struct edt_grid g = {NULL, {grids[k].n[0], grids[k].n[1], grids[k].n[2]},
					     {grids[k].sp[0], grids[k].sp[1], grids[k].sp[2]}};
			size_t total = g.n[0] * g.n[1] * g.n[2], i = 0;
			uint8_t *c = random_grid(g.n, (unsigned)(k * 7 + 1), grids[k].feat, 0);
			double *out = malloc(sizeof(double) * total);
			g.code = c;
			collect(&g, 1);
			ck_assert_int_eq(edt_squared(&g, 1, threads, out, NULL), MP_OK);
			for (size_t z = 0; z < g.n[2]; z++)
				for (size_t y = 0; y < g.n[1]; y++)
					for (size_t x = 0; x < g.n[0]; x++, i++)
						assert_close(out[i], brute(&g, x, y, z));
			free(out);
			free(c);
		}
	}
}
END_TEST

START_TEST(query_matches_brute_force)
{
	for (size_t k = 0; k < sizeof(grids) / sizeof(grids[0]); k++) {
		for (int threads = 1; threads <= 2; threads++) {
			struct edt_grid g = {NULL, {grids[k].n[0], grids[k].n[1], grids[k].n[2]},
					     {grids[k].sp[0], grids[k].sp[1], grids[k].sp[2]}};
			size_t total = g.n[0] * g.n[1] * g.n[2], i = 0, nd = 0, j = 0;
			uint8_t *c = random_grid(g.n, (unsigned)(k * 11 + 3), grids[k].feat,
						 grids[k].query);
			double *work = malloc(sizeof(double) * total);
			double *d = malloc(sizeof(double) * total);
			g.code = c;
			collect(&g, 1);
			ck_assert_int_eq(edt_query(&g, 1, 2, threads, work, d, &nd, NULL), MP_OK);
			for (size_t z = 0; z < g.n[2]; z++)
				for (size_t y = 0; y < g.n[1]; y++)
					for (size_t x = 0; x < g.n[0]; x++, i++)
						if (c[i] & 2) {
							ck_assert_uint_lt(j, nd);
							assert_close(d[j] * d[j], brute(&g, x, y, z));
							j++;
						}
			ck_assert_uint_eq(j, nd);
			free(work);
			free(d);
			free(c);
		}
	}
}
END_TEST

START_TEST(long_searches_fall_back_to_the_envelope)
{
	/* features near z = 0, queries near the far end: every search is long */
	struct edt_grid g = {NULL, {6, 5, 260}, {1.0, 1.5, 0.25}};
	size_t total = 6 * 5 * 260, nd, j = 0, i = 0;
	uint8_t *c = calloc(total, 1);
	double *work = malloc(sizeof(double) * total), *d = malloc(sizeof(double) * total);

	g.code = c;
	c[2 + 6 * 3 + 30 * 4] = 1;
	c[5 + 6 * 0 + 30 * 1] = 1;
	for (size_t z = 200; z < 260; z += 3)
		for (size_t p = 0; p < 30; p += 7)
			c[z * 30 + p] |= 2;
	c[10 * 30 + 4] |= 2;  /* and one short search */
	collect(&g, 1);
	ck_assert_int_eq(edt_query(&g, 1, 2, 2, work, d, &nd, NULL), MP_OK);
	for (size_t z = 0; z < 260; z++)
		for (size_t y = 0; y < 5; y++)
			for (size_t x = 0; x < 6; x++, i++)
				if (c[i] & 2) {
					assert_close(d[j] * d[j], brute(&g, x, y, z));
					j++;
				}
	ck_assert_uint_eq(j, nd);
	free(work);
	free(d);
	free(c);
}
END_TEST

START_TEST(many_far_queries_spend_the_budget)
{
	/* one feature in a corner, half the voxels queries: the plane searches
	 * hit their cap and the threads' budgets, the rest goes through pass 2 */
	struct edt_grid g = {NULL, {34, 31, 40}, {0.8, 1.0, 1.7}};
	size_t total = 34 * 31 * 40, nd, j = 0, i = 0;
	uint8_t *c = random_grid(g.n, 99, 0, 500);
	double *work = malloc(sizeof(double) * total), *d = malloc(sizeof(double) * total);

	g.code = c;
	c[1] |= 1;
	c[total - 40] |= 1;
	collect(&g, 1);
	for (int threads = 1; threads <= 2; threads++) {
		ck_assert_int_eq(edt_query(&g, 1, 2, threads, work, d, &nd, NULL), MP_OK);
		i = j = 0;
		for (size_t z = 0; z < g.n[2]; z++)
			for (size_t y = 0; y < g.n[1]; y++)
				for (size_t x = 0; x < g.n[0]; x++, i++)
					if (c[i] & 2) {
						assert_close(d[j] * d[j], brute(&g, x, y, z));
						j++;
					}
		ck_assert_uint_eq(j, nd);
	}
	free(work);
	free(d);
	free(c);
}
END_TEST

START_TEST(no_feature_means_infinity)
{
	struct edt_grid g = {NULL, {5, 4, 3}, {1, 1, 1}};
	uint8_t c[60] = {0};
	double out[60];

	c[7] = 2;
	g.code = c;
	ck_assert_int_eq(edt_squared(&g, 1, 1, out, NULL), MP_OK);
	for (int i = 0; i < 60; i++)
		ck_assert(isinf(out[i]));
}
END_TEST

int main(void)
{
	Suite *su = suite_create("edt");
	TCase *tc = tcase_create("edt");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, squared_matches_brute_force);
	tcase_add_test(tc, query_matches_brute_force);
	tcase_add_test(tc, long_searches_fall_back_to_the_envelope);
	tcase_add_test(tc, many_far_queries_spend_the_budget);
	tcase_add_test(tc, no_feature_means_infinity);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
