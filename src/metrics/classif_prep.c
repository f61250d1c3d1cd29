/*
 * classif_prep.c: the classification prep (classif.h): what every metric
 * needs, computed once per set of cases. Binary: the positives' and the
 * negatives' keys sorted (one thread per core), the threshold's cut on
 * each side and, for the bootstrap, the strata, the merged order of both
 * sides and the per-case log-loss terms and ECE bins. Multi-class: each
 * case's prediction and probability terms, and the one-vs-rest and micro
 * ranking problems, sorted. The layout is in classif_int.h; the metrics
 * computed from it are in classif.c.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics/classif_int.h"

/* ------------------------------------------------------------------ */
/* The prep                                                            */
/* ------------------------------------------------------------------ */

size_t classif_cases(const struct classif_prep *p)
{
	return p->n;
}

size_t classif_classes(const struct classif_prep *p)
{
	return p->k;
}

void classif_prep_free(struct classif_prep *p)
{
	if (p == NULL)
		return;
	free(p->members);
	free(p->start);
	free(p->ll);
	free(p->sv);
	free(p->ecut);
	free(p->bin.merged);
	free(p->micro.merged);
	for (size_t c = 0; p->ovr && c < p->k; c++)
		free(p->ovr[c].merged);
	free(p->ovr);
	free(p->label);
	free(p->pred);
	free(p->bin_of);
	free(p->brier);
	free(p->logl);
	free(p->conf);
	free(p->correct);
	free(p->keys);
	free(p->idx);
	free(p);
}

/*
 * The keys of the cases whose label is fill_want, in input order. Stores
 * unconditionally and advances by the comparison: labels in random order
 * would make a branch mispredict half the time.
 */
static void fill_side(struct rank_side *s)
{
	size_t j = 0;

	for (size_t i = 0; i < s->fill_n; i++) {
		s->key[j] = key_of(s->fill_score[i]);
		j += s->fill_label[i] == s->fill_want;
	}
}

/* Sorting the sides: a few jobs shared by one thread per core. */
struct sort_pool {
	struct rank_side **sides;
	size_t nsides;
	atomic_size_t next;
	atomic_int failed;
};

static void *sort_worker(void *arg)
{
	struct sort_pool *sp = arg;
	uint64_t *tmp = NULL;
	uint32_t *itmp = NULL;
	size_t cap = 0;

	for (;;) {
		size_t j = atomic_fetch_add(&sp->next, 1);
		struct rank_side *s;

		if (j >= sp->nsides)
			break;
		s = sp->sides[j];
		if (s->fill_score)
			fill_side(s);
		if (s->n > cap) {
			free(tmp);
			free(itmp);
			cap = s->n;
			tmp = malloc(cap * sizeof(*tmp));
			itmp = s->idx ? malloc(cap * sizeof(*itmp)) : NULL;
			if (tmp == NULL || (s->idx && itmp == NULL)) {
				atomic_store(&sp->failed, 1);
				cap = 0;
				continue;
			}
		} else if (s->idx && itmp == NULL) {
			itmp = malloc(cap * sizeof(*itmp));
			if (itmp == NULL) {
				atomic_store(&sp->failed, 1);
				continue;
			}
		}
		classif_radix_sort(s->key, s->idx, s->n, tmp, itmp);
		s->key[s->n] = SENTINEL;
	}
	free(tmp);
	free(itmp);
	return NULL;
}

static int cpus(void)
{
	long c = sysconf(_SC_NPROCESSORS_ONLN);

	return c < 1 ? 1 : c > 16 ? 16 : (int)c;
}

static int sort_sides(struct rank_side **sides, size_t nsides, size_t total)
{
	struct sort_pool sp = {sides, nsides, 0, 0};
	pthread_t th[16];
	int nth = total < ((size_t)1 << 16) ? 1 : cpus(), started = 0;

	if ((size_t)nth > nsides)
		nth = (int)nsides;
	for (int t = 1; t < nth; t++) {
		if (pthread_create(&th[started], NULL, sort_worker, &sp) != 0)
			break;
		started++;
	}
	sort_worker(&sp);
	for (int t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	return atomic_load(&sp.failed) ? MP_ENOMEM : MP_OK;
}

static size_t lower_bound(const uint64_t *key, size_t n, uint64_t v)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (key[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static inline uint32_t case_index(const struct rank_side *s, size_t j)
{
	return s->idx ? s->idx[j] : (uint32_t)(s->woff + j);
}

static int build_merged(struct rank_pair *r)
{
	const struct rank_side *a = &r->pos, *b = &r->neg;
	size_t i = 0, j = 0, e = 0;

	r->merged = malloc((a->n + b->n + 1) * sizeof(*r->merged));
	if (r->merged == NULL)
		return MP_ENOMEM;
	while (i < a->n || j < b->n) {
		uint64_t v = j == b->n || (i < a->n && a->key[i] < b->key[j]) ? a->key[i] : b->key[j];
		size_t e0 = e;

		while (i < a->n && a->key[i] == v)
			r->merged[e++] = M_POS | case_index(a, i++);
		while (j < b->n && b->key[j] == v)
			r->merged[e++] = case_index(b, j++);
		r->merged[e0] |= M_FIRST;
		r->merged[e - 1] |= M_LAST;
	}
	return MP_OK;
}

static int prep_binary(struct classif_prep *p, const struct classif_input *in, int weighted)
{
	size_t npos = 0;
	struct rank_side *sides[2];
	int rc;

	for (size_t i = 0; i < in->n; i++)
		npos += in->label[i] == 1;
	/* positives, sentinel, negatives, sentinel (+1: fill_side's last store) */
	p->keys = malloc((in->n + 3) * sizeof(*p->keys));
	if (p->keys == NULL)
		return MP_ENOMEM;
	p->bin.pos = (struct rank_side){p->keys, NULL, npos, 0, in->score, in->label, in->n, 1};
	p->bin.neg = (struct rank_side){p->keys + npos + 1, NULL, in->n - npos, npos,
					in->score, in->label, in->n, 0};
	sides[0] = &p->bin.pos;
	sides[1] = &p->bin.neg;
	rc = sort_sides(sides, 2, in->n);
	if (rc)
		return rc;
	p->pos_cut = lower_bound(p->bin.pos.key, p->bin.pos.n, classif_key(in->threshold));
	p->neg_cut = lower_bound(p->bin.neg.key, p->bin.neg.n, classif_key(in->threshold));
	if (!weighted)
		return MP_OK;
	/* strata: class 0 (negatives) then class 1 (positives), in prep order */
	p->members = malloc(in->n * sizeof(*p->members));
	p->start = malloc(3 * sizeof(*p->start));
	if (p->members == NULL || p->start == NULL)
		return MP_ENOMEM;
	for (size_t j = 0; j < in->n - npos; j++)
		p->members[j] = (uint32_t)(npos + j);
	for (size_t j = 0; j < npos; j++)
		p->members[in->n - npos + j] = (uint32_t)j;
	p->start[0] = 0;
	p->start[1] = in->n - npos;
	p->start[2] = in->n;
	if (build_merged(&p->bin))
		return MP_ENOMEM;
	if (in->probabilities) {
		size_t nb = (size_t)in->ece_bins;
		p->ll = malloc(in->n * sizeof(*p->ll));
		p->sv = malloc(in->n * sizeof(*p->sv));
		p->ecut = malloc(2 * (nb + 1) * sizeof(*p->ecut));
		if (p->ll == NULL || p->sv == NULL || p->ecut == NULL)
			return MP_ENOMEM;
		for (size_t j = 0; j < in->n; j++) {
			p->sv[j] = classif_unkey(bin_key(p, j));
			p->ll[j] = binary_log_loss(p->sv[j], j < npos);
		}
		/* bins are runs of each side (ascending scores): where each starts */
		for (int side = 0; side < 2; side++) {
			size_t *cut = p->ecut + (size_t)side * (nb + 1);
			size_t off = side ? npos : 0, n = side ? in->n - npos : npos, j = 0;
			for (size_t b = 0; b < nb; b++) {
				cut[b] = j;
				while (j < n && (size_t)ece_bin(p->sv[off + j], in->ece_bins) <= b)
					j++;
			}
			cut[nb] = n;
		}
	}
	return MP_OK;
}

/* Per-case values of a multi-class task: prediction, Brier, log loss, ECE. */
static int prep_multi_cases(struct classif_prep *p, const struct classif_input *in)
{
	const double eps = 2.220446049250313e-16;
	size_t n = in->n, k = in->k;

	p->label = malloc(n * sizeof(*p->label));
	p->pred = malloc(n * sizeof(*p->pred));
	if (p->label == NULL || p->pred == NULL)
		return MP_ENOMEM;
	memcpy(p->label, in->label, n * sizeof(*p->label));
	for (size_t i = 0; i < n; i++) {
		const double *s = in->score + i * k;
		size_t best = 0;
		for (size_t c = 1; c < k; c++)
			if (s[c] > s[best])
				best = c;
		p->pred[i] = (uint32_t)best;
	}
	if (!in->probabilities)
		return MP_OK;
	p->brier = malloc(n * sizeof(*p->brier));
	p->logl = malloc(n * sizeof(*p->logl));
	p->conf = malloc(n * sizeof(*p->conf));
	p->bin_of = malloc(n * sizeof(*p->bin_of));
	p->correct = malloc(n);
	if (!p->brier || !p->logl || !p->conf || !p->bin_of || !p->correct)
		return MP_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const double *s = in->score + i * k;
		double b = 0, sum = 0, py = 0;
		for (size_t c = 0; c < k; c++) {
			double d = s[c] - (c == in->label[i]);
			double q = s[c] < eps ? eps : s[c] > 1 - eps ? 1 - eps : s[c];
			b += d * d;
			sum += q;
			if (c == in->label[i])
				py = q;
		}
		p->brier[i] = b;
		p->logl[i] = -log(py / sum);
		p->conf[i] = s[p->pred[i]];
		p->correct[i] = p->pred[i] == in->label[i];
		p->bin_of[i] = (uint32_t)ece_bin(p->conf[i], in->ece_bins);
	}
	return MP_OK;
}

static int prep_multi(struct classif_prep *p, const struct classif_input *in)
{
	size_t n = in->n, k = in->k, at = 0, ns;
	struct rank_side **sides = NULL;
	int rc;

	rc = prep_multi_cases(p, in);
	if (rc)
		return rc;
	/* strata by class, input order within a class (a counting sort) */
	p->members = malloc(n * sizeof(*p->members));
	p->start = calloc(k + 1, sizeof(*p->start));
	p->ovr = calloc(k, sizeof(*p->ovr));
	/* each side is followed by its sentinel */
	p->keys = malloc((2 * n * k + 2 * k + 2) * sizeof(*p->keys));
	p->idx = malloc((2 * n * k + 2 * k + 2) * sizeof(*p->idx));
	sides = malloc(2 * (k + 1) * sizeof(*sides));
	if (!p->members || !p->start || !p->ovr || !p->keys || !p->idx || !sides) {
		free(sides);
		return MP_ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		p->start[in->label[i] + 1]++;
	for (size_t c = 0; c < k; c++)
		p->start[c + 1] += p->start[c];
	{
		size_t *fill = calloc(k, sizeof(*fill));
		if (fill == NULL) {
			free(sides);
			return MP_ENOMEM;
		}
		for (size_t i = 0; i < n; i++) {
			uint32_t c = in->label[i];
			p->members[p->start[c] + fill[c]++] = (uint32_t)i;
		}
		free(fill);
	}
	/* class c against the rest: its cases, then every other case */
	for (size_t c = 0; c < k; c++) {
		size_t nc = p->start[c + 1] - p->start[c], ip = at, in_ = at + nc + 1;
		p->ovr[c].pos = (struct rank_side){p->keys + ip, p->idx + ip, nc, 0, NULL, NULL, 0, 0};
		p->ovr[c].neg = (struct rank_side){p->keys + in_, p->idx + in_, n - nc, 0, NULL, NULL, 0, 0};
		for (size_t i = 0; i < n; i++) {
			size_t to = in->label[i] == c ? ip++ : in_++;
			p->keys[to] = key_of(in->score[i * k + c]);
			p->idx[to] = (uint32_t)i;
		}
		at += n + 2;
	}
	/* micro: every (case, class) entry, positive when the class is the label */
	{
		size_t ip = at, in_ = at + n + 1;
		p->micro.pos = (struct rank_side){p->keys + ip, p->idx + ip, n, 0, NULL, NULL, 0, 0};
		p->micro.neg = (struct rank_side){p->keys + in_, p->idx + in_, n * (k - 1), 0, NULL, NULL, 0, 0};
		for (size_t i = 0; i < n; i++)
			for (size_t c = 0; c < k; c++) {
				size_t to = c == in->label[i] ? ip++ : in_++;
				p->keys[to] = key_of(in->score[i * k + c]);
				p->idx[to] = (uint32_t)i;
			}
	}
	ns = 0;
	sides[ns++] = &p->micro.neg;
	sides[ns++] = &p->micro.pos;
	for (size_t c = 0; c < k; c++) {
		sides[ns++] = &p->ovr[c].neg;
		sides[ns++] = &p->ovr[c].pos;
	}
	rc = sort_sides(sides, ns, 2 * n * k);
	free(sides);
	if (rc || !in->weighted)
		return rc;
	for (size_t c = 0; c < k; c++)
		if (build_merged(&p->ovr[c]))
			return MP_ENOMEM;
	return build_merged(&p->micro);
}

int classif_prep_new(const struct classif_input *in, struct classif_prep **out, mp_errbuf *e)
{
	struct classif_prep *p;
	int rc;

	*out = NULL;
	if (in->n == 0 || in->n > CLASSIF_MAX_CASES)
		return mp_seterr(e, MP_EINVAL, "%zu cases: need 1 to %zu", in->n, CLASSIF_MAX_CASES);
	if (in->k < 2 || in->k > CLASSIF_MAX_CLASSES || in->n * in->k > CLASSIF_MAX_ENTRIES)
		return mp_seterr(e, MP_EINVAL, "%zu classes: need 2 to %d (and at most %zu scores)",
				 in->k, CLASSIF_MAX_CLASSES, CLASSIF_MAX_ENTRIES);
	if (in->ece_bins < 1 || in->ece_bins > CLASSIF_MAX_ECE_BINS)
		return mp_seterr(e, MP_EINVAL, "ece bins must be 1 to %d", CLASSIF_MAX_ECE_BINS);
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return mp_seterr(e, MP_ENOMEM, "out of memory");
	p->n = in->n;
	p->k = in->k;
	p->probabilities = in->probabilities;
	p->ece_bins = in->ece_bins;
	p->threshold = in->threshold;
	p->weighted = in->weighted;
	rc = in->k == 2 ? prep_binary(p, in, in->weighted) : prep_multi(p, in);
	if (rc) {
		classif_prep_free(p);
		return mp_seterr(e, rc, "out of memory for %zu cases", in->n);
	}
	*out = p;
	return MP_OK;
}

size_t classif_strata(const struct classif_prep *p, const uint32_t **members,
		      const size_t **start)
{
	*members = p->members;
	*start = p->start;
	return p->members ? p->k : 0;
}

void classif_ranked(const struct classif_prep *p, const uint64_t **pos, size_t *npos,
		    const uint64_t **neg, size_t *nneg)
{
	*pos = p->bin.pos.key;
	*npos = p->bin.pos.n;
	*neg = p->bin.neg.key;
	*nneg = p->bin.neg.n;
}
