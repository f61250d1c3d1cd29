/*
 * api_leaderboard.c: GET /benchmarks/{id}/leaderboard/: a benchmark's
 * results side by side, for those who may see them (reference §1.9: the
 * benchmark owner, i.e. the committee, and admins): the latest finalized,
 * valid result of every (model, dataset) pair, ordered by model then dataset.
 *
 * {"benchmark": 3, "rows": [{"model": 5, "dataset": 2, "result": 11,
 *   "finalized_at": "...Z", "partial": false, "results": {...}}, ...]}
 *
 * The metrics stay as the evaluator wrote them: the server does not interpret
 * them (the web UI reads metrics.<name>.value/ci and summary.<label>.<metric>).
 */
#include <stdio.h>
#include <stdlib.h>

#include "server/policy.h"
#include "server/server.h"

struct lb_row {
	int64_t model, dataset;
	json_t *row;
};

static int lb_cmp(const void *pa, const void *pb)
{
	const struct lb_row *x = pa, *y = pb;

	if (x->model != y->model)
		return x->model < y->model ? -1 : 1;
	if (x->dataset != y->dataset)
		return x->dataset < y->dataset ? -1 : 1;
	return 0;
}

static json_t *lb_entry(json_t *row)
{
	json_t *meta = json_object_get(row, "metadata");
	json_t *res = json_object_get(row, "results");
	json_t *at = json_object_get(row, "finalized_at");

	return json_pack("{s:I,s:I,s:I,s:o,s:b,s:o}",
			 "model", (json_int_t)row_int(row, "model"),
			 "dataset", (json_int_t)row_int(row, "dataset"),
			 "result", (json_int_t)row_int(row, "id"),
			 "finalized_at", at ? json_incref(at) : json_null(),
			 "partial", json_is_true(json_object_get(meta, "partial")),
			 "results", res ? json_incref(res) : json_object());
}

void benchmarks_leaderboard(struct api *a)
{
	static const struct store_order order[] = {{"finalized_at", 0}, {"id", 0}};
	unsigned allow = ROLE_ADMIN | ROLE_BENCH_OWNER, held;
	json_t *bench, *rows = NULL, *latest, *row, *out, *arr;
	struct store_cond c[3];
	struct store_query q;
	struct lb_row *lb;
	const char *key;
	size_t i, n;
	int rc;

	if (api_load(a, ENT_BENCHMARK, a->id[0], allow, &bench))
		return;
	held = policy_base(a->user.id, a->user.is_admin);
	if (row_int(bench, "owner") == a->user.id)
		held |= ROLE_BENCH_OWNER;
	if (api_require(a, allow, held))
		return;
	c[0] = (struct store_cond){"benchmark", arena_keep(a->arena, json_integer(a->id[0]))};
	c[1] = (struct store_cond){"finalized", arena_keep(a->arena, json_true())};
	c[2] = (struct store_cond){"is_valid", arena_keep(a->arena, json_true())};
	q = (struct store_query){.conds = c, .nconds = 3, .order = order, .norder = 2,
				 .limit = -1};
	rc = store_list(a->st, ENT_RESULT, &q, &rows, NULL);
	if (rc) {
		api_store_error(a, rc);
		return;
	}
	arena_keep(a->arena, rows);
	/* rows come oldest first: a later row of a pair replaces an earlier one */
	latest = arena_keep(a->arena, json_object());
	json_array_foreach(rows, i, row) {
		char k[48];
		snprintf(k, sizeof(k), "%lld:%lld", (long long)row_int(row, "model"),
			 (long long)row_int(row, "dataset"));
		json_object_set(latest, k, row);
	}
	n = json_object_size(latest);
	lb = calloc(n ? n : 1, sizeof(*lb));
	if (lb == NULL) {
		api_detail(a, 500, "A server error occurred.");
		return;
	}
	i = 0;
	json_object_foreach(latest, key, row) {
		lb[i].model = row_int(row, "model");
		lb[i].dataset = row_int(row, "dataset");
		lb[i].row = row;
		i++;
	}
	qsort(lb, n, sizeof(*lb), lb_cmp);
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, lb_entry(lb[i].row));
	free(lb);
	out = json_pack("{s:I,s:o}", "benchmark", (json_int_t)a->id[0], "rows", arr);
	api_reply(a, 200, out);
}
