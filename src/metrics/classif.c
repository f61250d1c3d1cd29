/*
 * classif.c: the classification metrics (classif.h): the radix sort of
 * scores, the ranking metrics (ROC AUC, average precision) by one merge
 * walk over the sorted positives and negatives with ties grouped, the
 * confusion-matrix metrics, and the probability metrics (Brier score, log
 * loss, ECE), each with optional per-case weights for the bootstrap.
 *
 * It does not read files, choose defaults or print: cases.c reads,
 * cmd_classif.c decides and writes. Definitions (and where they follow
 * scikit-learn 1.2) are in docs/metrics.md.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics/classif.h"

static const char *const metric_names[CM_MAX] = {
	[CM_ROC_AUC] = "roc_auc",
	[CM_AVERAGE_PRECISION] = "average_precision",
	[CM_ACCURACY] = "accuracy",
	[CM_BALANCED_ACCURACY] = "balanced_accuracy",
	[CM_SENSITIVITY] = "sensitivity",
	[CM_SPECIFICITY] = "specificity",
	[CM_PRECISION] = "precision",
	[CM_NPV] = "npv",
	[CM_F1] = "f1",
	[CM_MCC] = "mcc",
	[CM_COHEN_KAPPA] = "cohen_kappa",
	[CM_BRIER] = "brier",
	[CM_LOG_LOSS] = "log_loss",
	[CM_ECE] = "ece",
	[CM_CONFUSION_MATRIX] = "confusion_matrix",
};

const char *classif_metric_name(enum classif_metric m)
{
	return m < CM_MAX ? metric_names[m] : "?";
}

int classif_metric_averaged(enum classif_metric m)
{
	return m == CM_ROC_AUC || m == CM_AVERAGE_PRECISION || m == CM_SENSITIVITY ||
	       m == CM_SPECIFICITY || m == CM_PRECISION || m == CM_NPV || m == CM_F1;
}

/* ------------------------------------------------------------------ */
/* Keys and the radix sort                                             */
/* ------------------------------------------------------------------ */

#define SIGN_BIT ((uint64_t)1 << 63)

static inline uint64_t key_of(double d)
{
	uint64_t u;

	if (d == 0)
		d = 0.0; /* -0.0 == 0.0: one key */
	memcpy(&u, &d, sizeof(u));
	return (u & SIGN_BIT) ? ~u : u | SIGN_BIT;
}

uint64_t classif_key(double d)
{
	return key_of(d);
}

double classif_unkey(uint64_t k)
{
	uint64_t u = (k & SIGN_BIT) ? k & ~SIGN_BIT : ~k;
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

/*
 * The sort (unless sort_few applies): an LSD radix sort on 11-bit digits
 * of the top TOP_BITS bits
 * that vary among the keys (at most three passes), then one scan that
 * sorts each run of keys equal in those bits by their remaining low bits
 * (insertion sort for short runs, the same sort again for long ones). For
 * n scores these runs are short, so this reads and writes the keys about
 * half as often as sorting all 64 bits. The histograms stay in the first-
 * level cache; a pass whose digit is the same in every key is skipped.
 */
#define RADIX_BITS 11
#define RADIX_SIZE (1u << RADIX_BITS)
#define RADIX_MASK (RADIX_SIZE - 1)
#define TOP_BITS 33
#define TOP_PASSES ((TOP_BITS + RADIX_BITS - 1) / RADIX_BITS)
#define SHORT_RUN 48

static void insertion_sort(uint64_t *key, uint32_t *idx, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		uint64_t k = key[i];
		uint32_t x = idx ? idx[i] : 0;
		size_t j = i;
		while (j > 0 && key[j - 1] > k) {
			key[j] = key[j - 1];
			if (idx)
				idx[j] = idx[j - 1];
			j--;
		}
		key[j] = k;
		if (idx)
			idx[j] = x;
	}
}

/*
 * Scores with few distinct values (rounded, or a few thresholds) make radix
 * passes slow (every key of a run increments the same counter) and need no
 * comparison sort at all: count each distinct value in a small hash table,
 * sort the distinct values, and write the keys out in order (stable, with
 * their indices). Gives up (returns -1) at the FEW_DISTINCT+1-th value.
 */
#define FEW_DISTINCT 4096
#define FEW_SLOT_BITS 13
#define FEW_MIN_N 4096

struct few_slot {
	uint64_t key;
	uint32_t count, next; /* count 0: empty; next: write position */
};

static inline struct few_slot *few_find(struct few_slot *t, uint64_t k)
{
	size_t h = (size_t)((k * 0x9E3779B97F4A7C15u) >> (64 - FEW_SLOT_BITS));

	while (t[h].count && t[h].key != k)
		h = (h + 1) & ((1u << FEW_SLOT_BITS) - 1);
	return &t[h];
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int sort_few(uint64_t *key, uint32_t *idx, size_t n, uint64_t *tmp, uint32_t *itmp)
{
	struct few_slot *t = calloc((size_t)1 << FEW_SLOT_BITS, sizeof(*t));
	uint64_t *d = malloc(FEW_DISTINCT * sizeof(*d));
	size_t nd = 0, at = 0;
	int rc = -1;

	if (t == NULL || d == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct few_slot *s = few_find(t, key[i]);
		if (s->count == 0) {
			if (nd == FEW_DISTINCT)
				goto out;
			s->key = key[i];
			d[nd++] = key[i];
		}
		s->count++;
	}
	qsort(d, nd, sizeof(*d), cmp_u64);
	for (size_t r = 0; r < nd; r++) {
		struct few_slot *s = few_find(t, d[r]);
		s->next = (uint32_t)at;
		at += s->count;
	}
	if (idx == NULL) {
		for (size_t r = 0, o = 0; r < nd; r++)
			for (uint32_t c = few_find(t, d[r])->count; c > 0; c--)
				key[o++] = d[r];
	} else {
		for (size_t i = 0; i < n; i++) {
			uint32_t o = few_find(t, key[i])->next++;
			tmp[o] = key[i];
			itmp[o] = idx[i];
		}
		memcpy(key, tmp, n * sizeof(*key));
		memcpy(idx, itmp, n * sizeof(*idx));
	}
	rc = 0;
out:
	free(t);
	free(d);
	return rc;
}

void classif_radix_sort(uint64_t *key, uint32_t *idx, size_t n, uint64_t *tmp, uint32_t *itmp)
{
	static _Thread_local uint32_t hist[TOP_PASSES][RADIX_SIZE];
	uint64_t *src = key, *dst = tmp, any = 0, all = ~(uint64_t)0, vary;
	uint32_t *isrc = idx, *idst = itmp;
	unsigned hi, lo, npass;

	if (n <= SHORT_RUN) {
		insertion_sort(key, idx, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		any |= key[i];
		all &= key[i];
	}
	vary = any ^ all;
	if (vary == 0)
		return; /* all equal */
	if (n >= FEW_MIN_N && sort_few(key, idx, n, tmp, itmp) == 0)
		return;
	hi = 63 - (unsigned)__builtin_clzll(vary);
	lo = hi >= TOP_BITS - 1 ? hi - (TOP_BITS - 1) : 0;
	npass = (hi - lo) / RADIX_BITS + 1;
	memset(hist, 0, sizeof(hist));
	for (size_t i = 0; i < n; i++) {
		uint64_t k = key[i] >> lo;
		for (unsigned p = 0; p < npass; p++)
			hist[p][(k >> (p * RADIX_BITS)) & RADIX_MASK]++;
	}
	for (unsigned p = 0; p < npass; p++) {
		unsigned shift = lo + p * RADIX_BITS;
		uint32_t *h = hist[p], off = 0;

		if (h[(key[0] >> shift) & RADIX_MASK] == n)
			continue;
		for (unsigned b = 0; b < RADIX_SIZE; b++) {
			uint32_t c = h[b];
			h[b] = off;
			off += c;
		}
		if (idx) {
			for (size_t i = 0; i < n; i++) {
				uint32_t at = h[(src[i] >> shift) & RADIX_MASK]++;
				dst[at] = src[i];
				idst[at] = isrc[i];
			}
			uint32_t *t = isrc;
			isrc = idst;
			idst = t;
		} else {
			for (size_t i = 0; i < n; i++)
				dst[h[(src[i] >> shift) & RADIX_MASK]++] = src[i];
		}
		uint64_t *t = src;
		src = dst;
		dst = t;
	}
	if (src != key) {
		memcpy(key, src, n * sizeof(*key));
		if (idx)
			memcpy(idx, isrc, n * sizeof(*idx));
	}
	if (lo == 0)
		return;
	/* runs equal in the sorted bits: order them by the bits below */
	for (size_t i = 0; i < n;) {
		uint64_t top = key[i] >> lo;
		size_t j = i + 1;
		while (j < n && key[j] >> lo == top)
			j++;
		if (j - i > 1)
			classif_radix_sort(key + i, idx ? idx + i : NULL, j - i, tmp, itmp);
		i = j;
	}
}

/* ------------------------------------------------------------------ */
/* The prep                                                            */
/* ------------------------------------------------------------------ */

/*
 * One side of a binary ranking problem: ascending keys and, for weights,
 * either the case index of each key (idx) or, when idx is NULL, the case
 * index woff + position. Every side's keys are followed by a sentinel
 * key (SENTINEL: no finite double has it) that the merge walks rely on.
 * Binary sides are filled by the sorting thread itself (fill_* below).
 */
struct rank_side {
	uint64_t *key;
	uint32_t *idx;
	size_t n, woff;
	const double *fill_score;   /* binary: the scores to take ... */
	const uint32_t *fill_label; /* ... where the label is fill_want */
	size_t fill_n;
	uint32_t fill_want;
};

#define SENTINEL UINT64_MAX

/*
 * A ranking problem: its two sides and, for weighted preps, the merged
 * order of both sides (ascending scores) as entries of a case index and
 * flags: positive, first and last entry of a group of tied scores. The
 * bootstrap walks it once per resample without comparing keys or
 * branching on which side comes next.
 */
struct rank_pair {
	struct rank_side pos, neg;
	uint32_t *merged; /* pos.n + neg.n entries, or NULL */
};

#define M_POS ((uint32_t)1 << 31)
#define M_LAST ((uint32_t)1 << 30)
#define M_FIRST ((uint32_t)1 << 29)
#define M_INDEX (M_FIRST - 1)

struct classif_prep {
	size_t n, k;
	int probabilities, ece_bins, weighted;
	double threshold;
	uint32_t *members;      /* strata (weighted preps only) */
	size_t *start;          /* k + 1 */
	/* binary: prep order is positives then negatives, each ascending */
	struct rank_pair bin;
	size_t pos_cut, neg_cut; /* first position predicted positive on each side */
	double *ll;              /* log-loss term per case (weighted preps) */
	double *sv;              /* score per case (weighted preps) */
	size_t *ecut;            /* ECE bins: first position of each bin, pos then neg side */
	/* multi-class: input order */
	struct rank_pair *ovr;   /* k one-vs-rest problems */
	struct rank_pair micro;  /* the n*k (case, class) entries */
	uint32_t *label, *pred, *bin_of;
	double *brier, *logl, *conf;
	unsigned char *correct;
	/* storage of the sides */
	uint64_t *keys;
	uint32_t *idx;
};

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

/* scikit-learn's log_loss per case: clip to [eps, 1-eps], renormalize. */
static double binary_log_loss(double s, int positive)
{
	const double eps = 2.220446049250313e-16;
	double p = s < eps ? eps : s > 1 - eps ? 1 - eps : s;
	double sum = (1 - p) + p;

	return -log((positive ? p : 1 - p) / sum);
}

static int ece_bin(double c, int bins)
{
	double b = floor(c * bins);

	return b < 0 ? 0 : b >= bins ? bins - 1 : (int)b;
}

/* The key of binary case j in prep order (the sentinel after the positives skipped). */
static inline uint64_t bin_key(const struct classif_prep *p, size_t j)
{
	return j < p->bin.pos.n ? p->bin.pos.key[j] : p->bin.neg.key[j - p->bin.pos.n];
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

/* ------------------------------------------------------------------ */
/* Ranking metrics                                                     */
/* ------------------------------------------------------------------ */

/*
 * Unweighted: twice the Mann-Whitney count is the sum over positives of
 * the negatives strictly below them plus those at or below them. One
 * branch-free merge per sum (the two interleaved, so that their chains of
 * loads run in parallel); b ends with the sentinel, so j never passes the
 * negatives.
 */
static uint64_t sum_below(const uint64_t *a, size_t m, const uint64_t *b)
{
	size_t i = 0, j = 0, i2 = 0, j2 = 0;
	uint64_t sum = 0, sum2 = 0;

	while (i < m && i2 < m) {
		uint64_t c = a[i] <= b[j], c2 = a[i2] < b[j2];
		sum += j & (0 - c);
		i += c;
		j += 1 - c;
		sum2 += j2 & (0 - c2);
		i2 += c2;
		j2 += 1 - c2;
	}
	while (i < m) {
		uint64_t c = a[i] <= b[j];
		sum += j & (0 - c);
		i += c;
		j += 1 - c;
	}
	while (i2 < m) {
		uint64_t c2 = a[i2] < b[j2];
		sum2 += j2 & (0 - c2);
		i2 += c2;
		j2 += 1 - c2;
	}
	return sum + sum2;
}

/*
 * ROC AUC as the Mann-Whitney count: pairs (positive, negative) with the
 * positive scored higher, plus half of the tied pairs, over all pairs.
 * u2 counts twice that, so it stays an exact integer. Weighted: one walk
 * of the merged order, each tie group closed at its last entry.
 */
static double rank_auc(const struct rank_pair *r, const uint32_t *w)
{
	uint64_t below = 0, u2 = 0, np = 0, nn = 0, wp = 0, wn = 0;
	size_t ne = r->pos.n + r->neg.n;

	if (w == NULL) {
		if (r->pos.n == 0 || r->neg.n == 0)
			return NAN;
		u2 = sum_below(r->pos.key, r->pos.n, r->neg.key);
		return (double)u2 / (2.0 * (double)r->pos.n * (double)r->neg.n);
	}
	for (size_t e = 0; e < ne; e++) {
		uint32_t x = r->merged[e];
		uint64_t wt = w[x & M_INDEX], pos = 0 - (uint64_t)(x >> 31);
		uint64_t end = 0 - (uint64_t)((x >> 30) & 1);

		wp += wt & pos;
		wn += wt & ~pos;
		u2 += (wp * (2 * below + wn)) & end;
		below += wn & end;
		np += wp & end;
		nn += wn & end;
		wp &= ~end;
		wn &= ~end;
	}
	if (np == 0 || nn == 0)
		return NAN;
	return (double)u2 / (2.0 * (double)np * (double)nn);
}

/*
 * Average precision as scikit-learn computes it: over the distinct scores
 * from the highest down, sum (recall_k - recall_{k-1}) * precision_k,
 * where both count every case scored at or above the k-th score. The
 * weighted walk (descending merged order, groups closed at their first
 * entry) sums the positives gained times the precision and divides once.
 */
static double rank_ap(const struct rank_pair *r, const uint32_t *w)
{
	const struct rank_side *a = &r->pos, *b = &r->neg;
	size_t i = a->n, j = b->n;
	uint64_t tp = 0, fp = 0, last_tp = 0;
	double ap = 0, prev = 0;

	if (w != NULL) {
		for (size_t e = a->n + b->n; e-- > 0;) {
			uint32_t x = r->merged[e];
			uint64_t wt = w[x & M_INDEX];

			if (x & M_POS)
				tp += wt;
			else
				fp += wt;
			if ((x & M_FIRST) && tp != last_tp) {
				ap += (double)(tp - last_tp) * ((double)tp / (double)(tp + fp));
				last_tp = tp;
			}
		}
		return tp ? ap / (double)tp : NAN;
	}
	if (a->n == 0)
		return NAN;
	while (i > 0 || j > 0) {
		uint64_t v, dtp = 0;

		if (j == 0 || (i > 0 && a->key[i - 1] > b->key[j - 1]))
			v = a->key[i - 1];
		else
			v = b->key[j - 1];
		while (i > 0 && a->key[i - 1] == v) {
			dtp++;
			i--;
		}
		while (j > 0 && b->key[j - 1] == v) {
			fp++;
			j--;
		}
		tp += dtp;
		if (dtp) {
			double rec = (double)tp / (double)a->n;
			ap += (rec - prev) * ((double)tp / (double)(tp + fp));
			prev = rec;
		}
	}
	return ap;
}

/* ------------------------------------------------------------------ */
/* Counts and sums                                                     */
/* ------------------------------------------------------------------ */

/* Neumaier's compensated sum: the probability metrics of many cases. */
struct ksum {
	double s, c;
};

static void ksum_add(struct ksum *k, double x)
{
	double t = k->s + x;

	if (fabs(k->s) >= fabs(x))
		k->c += (k->s - t) + x;
	else
		k->c += (x - t) + k->s;
	k->s = t;
}

static double ksum_get(const struct ksum *k)
{
	return k->s + k->c;
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : NAN;
}

/* Row (true) and column (predicted) sums of a k x k confusion matrix. */
static void cm_sums(const uint64_t *cm, size_t k, uint64_t *truth, uint64_t *pred)
{
	for (size_t c = 0; c < k; c++)
		truth[c] = pred[c] = 0;
	for (size_t r = 0; r < k; r++)
		for (size_t c = 0; c < k; c++) {
			truth[r] += cm[r * k + c];
			pred[c] += cm[r * k + c];
		}
}

/*
 * Matthews correlation and Cohen's kappa from a k x k confusion matrix,
 * with scikit-learn's formulas (MCC 0 when undefined, kappa NaN).
 */
static double cm_mcc(const uint64_t *cm, size_t k, uint64_t n)
{
	uint64_t truth[CLASSIF_MAX_CLASSES], pred[CLASSIF_MAX_CLASSES];
	double cov_ytyp, cov_ypyp, cov_ytyt, dot_tp = 0, dot_pp = 0, dot_tt = 0, correct = 0;
	double dn = (double)n;

	cm_sums(cm, k, truth, pred);
	for (size_t c = 0; c < k; c++) {
		dot_tp += (double)truth[c] * (double)pred[c];
		dot_pp += (double)pred[c] * (double)pred[c];
		dot_tt += (double)truth[c] * (double)truth[c];
		correct += (double)cm[c * k + c];
	}
	cov_ytyp = correct * dn - dot_tp;
	cov_ypyp = dn * dn - dot_pp;
	cov_ytyt = dn * dn - dot_tt;
	if (cov_ypyp * cov_ytyt == 0)
		return 0.0;
	return cov_ytyp / sqrt(cov_ytyt * cov_ypyp);
}

static double cm_kappa(const uint64_t *cm, size_t k, uint64_t n)
{
	uint64_t truth[CLASSIF_MAX_CLASSES], pred[CLASSIF_MAX_CLASSES];
	double observed = 0, expected = 0;

	cm_sums(cm, k, truth, pred);
	for (size_t i = 0; i < k; i++)
		for (size_t j = 0; j < k; j++) {
			if (i == j)
				continue;
			observed += (double)cm[i * k + j];
			expected += (double)(pred[i] * truth[j]) / (double)n;
		}
	if (expected == 0)
		return NAN;
	return 1 - observed / expected;
}

/* One-vs-rest values of one class from its four counts. */
static void ovr_values(uint64_t tp, uint64_t fn, uint64_t fp, uint64_t tn, double *v)
{
	v[CPC_SENSITIVITY] = ratio(tp, tp + fn);
	v[CPC_SPECIFICITY] = ratio(tn, tn + fp);
	v[CPC_PRECISION] = ratio(tp, tp + fp);
	v[CPC_NPV] = ratio(tn, tn + fn);
	v[CPC_F1] = ratio(2 * tp, 2 * tp + fp + fn);
}

/* ------------------------------------------------------------------ */
/* Binary                                                              */
/* ------------------------------------------------------------------ */

static uint64_t range_w(const struct rank_side *s, const uint32_t *w, size_t from, size_t to)
{
	uint64_t t = 0;

	if (w == NULL)
		return to - from;
	for (size_t j = from; j < to; j++)
		t += w[s->woff + j];
	return t;
}

/*
 * Weighted binary probability metrics from sums over each side's ECE bins
 * (runs of the sorted scores): W = sum w, S = sum w s, S2 = sum w s^2 and
 * L = sum w log-loss. Brier: positives (1 - s)^2 = W - 2S + S2, negatives
 * S2; a bin's calibration gap: positives' W - S minus negatives' S.
 */
static void binary_probability_sums(const struct classif_prep *p, unsigned want,
				    const uint32_t *w, uint64_t total, double *out)
{
	size_t nb = (size_t)p->ece_bins, npos = p->bin.pos.n;
	double brier = 0, ll = 0, ece = 0;

	for (size_t b = 0; b < nb; b++) {
		double gap = 0;
		for (int side = 0; side < 2; side++) {
			const size_t *cut = p->ecut + (size_t)side * (nb + 1);
			size_t off = side ? npos : 0;
			double W = 0, S = 0, S2 = 0, L = 0;
			for (size_t j = off + cut[b]; j < off + cut[b + 1]; j++) {
				double wt = (double)w[j], sv = p->sv[j];
				W += wt;
				S += wt * sv;
				S2 += wt * sv * sv;
				L += wt * p->ll[j];
			}
			brier += side ? S2 : W - 2 * S + S2;
			ll += L;
			gap += side ? -S : W - S;
		}
		ece += fabs(gap);
	}
	if (want & CLASSIF_BIT(CM_BRIER))
		out[CLASSIF_SLOT(CM_BRIER, CA_NONE)] = brier / (double)total;
	if (want & CLASSIF_BIT(CM_LOG_LOSS))
		out[CLASSIF_SLOT(CM_LOG_LOSS, CA_NONE)] = ll / (double)total;
	if (want & CLASSIF_BIT(CM_ECE))
		out[CLASSIF_SLOT(CM_ECE, CA_NONE)] = ece / (double)total;
}

static int binary_probability(const struct classif_prep *p, unsigned want, const uint32_t *w,
			      uint64_t total, double *out)
{
	struct ksum brier = {0, 0}, ll = {0, 0};
	double *acc = NULL, ece = 0;
	size_t npos = p->bin.pos.n;

	if (w != NULL && p->sv != NULL) {
		binary_probability_sums(p, want, w, total, out);
		return MP_OK;
	}
	if (want & CLASSIF_BIT(CM_ECE)) {
		acc = calloc((size_t)p->ece_bins, sizeof(*acc));
		if (acc == NULL)
			return MP_ENOMEM;
	}
	for (size_t j = 0; j < p->n; j++) {
		int y = j < npos;
		double s = classif_unkey(bin_key(p, j));
		double wt = w ? (double)w[j] : 1.0;

		if (wt == 0)
			continue;
		if (want & CLASSIF_BIT(CM_BRIER))
			ksum_add(&brier, wt * (y - s) * (y - s));
		if (want & CLASSIF_BIT(CM_LOG_LOSS))
			ksum_add(&ll, wt * (p->ll ? p->ll[j] : binary_log_loss(s, y)));
		if (acc)
			acc[ece_bin(s, p->ece_bins)] += wt * (y - s);
	}
	if (want & CLASSIF_BIT(CM_BRIER))
		out[CLASSIF_SLOT(CM_BRIER, CA_NONE)] = ksum_get(&brier) / (double)total;
	if (want & CLASSIF_BIT(CM_LOG_LOSS))
		out[CLASSIF_SLOT(CM_LOG_LOSS, CA_NONE)] = ksum_get(&ll) / (double)total;
	if (acc) {
		for (int b = 0; b < p->ece_bins; b++)
			ece += fabs(acc[b]);
		out[CLASSIF_SLOT(CM_ECE, CA_NONE)] = ece / (double)total;
		free(acc);
	}
	return MP_OK;
}

static int compute_binary(const struct classif_prep *p, unsigned want, const uint32_t *w,
			  double *out)
{
	const struct rank_side *ps = &p->bin.pos, *ns = &p->bin.neg;
	uint64_t fn = range_w(ps, w, 0, p->pos_cut), tp = range_w(ps, w, p->pos_cut, ps->n);
	uint64_t tn = range_w(ns, w, 0, p->neg_cut), fp = range_w(ns, w, p->neg_cut, ns->n);
	uint64_t np = tp + fn, nn = tn + fp, total = np + nn;
	uint64_t cm[4] = {tn, fp, fn, tp};
	double v[CPC_MAX];

	ovr_values(tp, fn, fp, tn, v);
	out[CLASSIF_SLOT(CM_ACCURACY, CA_NONE)] = ratio(tp + tn, total);
	out[CLASSIF_SLOT(CM_SENSITIVITY, CA_NONE)] = v[CPC_SENSITIVITY];
	out[CLASSIF_SLOT(CM_SPECIFICITY, CA_NONE)] = v[CPC_SPECIFICITY];
	out[CLASSIF_SLOT(CM_PRECISION, CA_NONE)] = v[CPC_PRECISION];
	out[CLASSIF_SLOT(CM_NPV, CA_NONE)] = v[CPC_NPV];
	out[CLASSIF_SLOT(CM_F1, CA_NONE)] = v[CPC_F1];
	/* scikit-learn: the mean recall of the classes present */
	out[CLASSIF_SLOT(CM_BALANCED_ACCURACY, CA_NONE)] =
		np && nn ? (v[CPC_SENSITIVITY] + v[CPC_SPECIFICITY]) / 2
		: np	 ? v[CPC_SENSITIVITY]
			 : v[CPC_SPECIFICITY];
	out[CLASSIF_SLOT(CM_MCC, CA_NONE)] = cm_mcc(cm, 2, total);
	out[CLASSIF_SLOT(CM_COHEN_KAPPA, CA_NONE)] = cm_kappa(cm, 2, total);
	if (want & CLASSIF_BIT(CM_ROC_AUC))
		out[CLASSIF_SLOT(CM_ROC_AUC, CA_NONE)] = rank_auc(&p->bin, w);
	if (want & CLASSIF_BIT(CM_AVERAGE_PRECISION))
		out[CLASSIF_SLOT(CM_AVERAGE_PRECISION, CA_NONE)] = rank_ap(&p->bin, w);
	if (p->probabilities && (want & CLASSIF_PROBABILITY_METRICS))
		return binary_probability(p, want, w, total, out);
	return MP_OK;
}

/* ------------------------------------------------------------------ */
/* Multi-class                                                         */
/* ------------------------------------------------------------------ */

/*
 * Macro (mean over classes where defined), weighted (by each class's
 * true count, over classes where defined) of per-class values pc[c*CPC_MAX+m].
 */
static void averages(const double *pc, size_t k, int m, const uint64_t *support, double *macro,
		     double *weighted)
{
	double sum = 0, wsum = 0, wtot = 0;
	size_t nd = 0;

	for (size_t c = 0; c < k; c++) {
		double v = pc[c * CPC_MAX + m];
		if (isnan(v))
			continue;
		sum += v;
		nd++;
		wsum += (double)support[c] * v;
		wtot += (double)support[c];
	}
	*macro = nd ? sum / (double)nd : NAN;
	*weighted = wtot > 0 ? wsum / wtot : NAN;
}

static int multi_probability(const struct classif_prep *p, unsigned want, const uint32_t *w,
			     uint64_t total, double *out)
{
	struct ksum brier = {0, 0}, ll = {0, 0};
	double *acc = NULL, ece = 0;

	if (want & CLASSIF_BIT(CM_ECE)) {
		acc = calloc((size_t)p->ece_bins, sizeof(*acc));
		if (acc == NULL)
			return MP_ENOMEM;
	}
	for (size_t i = 0; i < p->n; i++) {
		double wt = w ? (double)w[i] : 1.0;
		if (wt == 0)
			continue;
		ksum_add(&brier, wt * p->brier[i]);
		ksum_add(&ll, wt * p->logl[i]);
		if (acc)
			acc[p->bin_of[i]] += wt * (p->correct[i] - p->conf[i]);
	}
	if (want & CLASSIF_BIT(CM_BRIER))
		out[CLASSIF_SLOT(CM_BRIER, CA_NONE)] = ksum_get(&brier) / (double)total;
	if (want & CLASSIF_BIT(CM_LOG_LOSS))
		out[CLASSIF_SLOT(CM_LOG_LOSS, CA_NONE)] = ksum_get(&ll) / (double)total;
	if (acc) {
		for (int b = 0; b < p->ece_bins; b++)
			ece += fabs(acc[b]);
		out[CLASSIF_SLOT(CM_ECE, CA_NONE)] = ece / (double)total;
		free(acc);
	}
	return MP_OK;
}

static void multi_counts(const struct classif_prep *p, const uint32_t *w, uint64_t *cm)
{
	size_t k = p->k;

	memset(cm, 0, k * k * sizeof(*cm));
	for (size_t i = 0; i < p->n; i++)
		cm[p->label[i] * k + p->pred[i]] += w ? w[i] : 1;
}

static int compute_multi(const struct classif_prep *p, unsigned want, const uint32_t *w,
			 double *out, double *per_class)
{
	size_t k = p->k;
	uint64_t *cm = malloc(k * k * sizeof(*cm) + 2 * k * sizeof(uint64_t));
	double *pc = per_class ? per_class : malloc(k * CPC_MAX * sizeof(*pc));
	uint64_t *support, *predicted, total = 0, trace = 0, stp = 0, sfn = 0, sfp = 0, stn = 0;
	double rsum = 0;
	size_t rn = 0;
	int rc = MP_OK;

	if (cm == NULL || pc == NULL) {
		rc = MP_ENOMEM;
		goto out;
	}
	support = cm + k * k;
	predicted = support + k;
	multi_counts(p, w, cm);
	for (size_t c = 0; c < k; c++) {
		support[c] = predicted[c] = 0;
		for (size_t j = 0; j < k; j++) {
			support[c] += cm[c * k + j];
			predicted[c] += cm[j * k + c];
		}
		total += support[c];
		trace += cm[c * k + c];
	}
	for (size_t c = 0; c < k; c++) {
		uint64_t tp = cm[c * k + c], fn = support[c] - tp, fp = predicted[c] - tp;
		uint64_t tn = total - tp - fn - fp;
		double *v = pc + c * CPC_MAX;

		ovr_values(tp, fn, fp, tn, v);
		stp += tp;
		sfn += fn;
		sfp += fp;
		stn += tn;
		if (support[c]) {
			rsum += v[CPC_SENSITIVITY];
			rn++;
		}
		v[CPC_ROC_AUC] = want & CLASSIF_BIT(CM_ROC_AUC) ? rank_auc(&p->ovr[c], w) : NAN;
		v[CPC_AVERAGE_PRECISION] =
			want & CLASSIF_BIT(CM_AVERAGE_PRECISION) ? rank_ap(&p->ovr[c], w) : NAN;
	}
	out[CLASSIF_SLOT(CM_ACCURACY, CA_NONE)] = ratio(trace, total);
	out[CLASSIF_SLOT(CM_BALANCED_ACCURACY, CA_NONE)] = rn ? rsum / (double)rn : NAN;
	out[CLASSIF_SLOT(CM_MCC, CA_NONE)] = cm_mcc(cm, k, total);
	out[CLASSIF_SLOT(CM_COHEN_KAPPA, CA_NONE)] = cm_kappa(cm, k, total);
	{
		static const struct {
			enum classif_metric m;
			enum classif_pc c;
		} avg[] = {
			{CM_ROC_AUC, CPC_ROC_AUC},	   {CM_AVERAGE_PRECISION, CPC_AVERAGE_PRECISION},
			{CM_SENSITIVITY, CPC_SENSITIVITY}, {CM_SPECIFICITY, CPC_SPECIFICITY},
			{CM_PRECISION, CPC_PRECISION},	   {CM_NPV, CPC_NPV},
			{CM_F1, CPC_F1},
		};
		for (size_t a = 0; a < sizeof(avg) / sizeof(avg[0]); a++)
			averages(pc, k, avg[a].c, support, &out[CLASSIF_SLOT(avg[a].m, CA_MACRO)],
				 &out[CLASSIF_SLOT(avg[a].m, CA_WEIGHTED)]);
	}
	/* micro: the one-vs-rest counts of every class pooled */
	out[CLASSIF_SLOT(CM_SENSITIVITY, CA_MICRO)] = ratio(stp, stp + sfn);
	out[CLASSIF_SLOT(CM_SPECIFICITY, CA_MICRO)] = ratio(stn, stn + sfp);
	out[CLASSIF_SLOT(CM_PRECISION, CA_MICRO)] = ratio(stp, stp + sfp);
	out[CLASSIF_SLOT(CM_NPV, CA_MICRO)] = ratio(stn, stn + sfn);
	out[CLASSIF_SLOT(CM_F1, CA_MICRO)] = ratio(2 * stp, 2 * stp + sfp + sfn);
	if (want & CLASSIF_BIT(CM_ROC_AUC))
		out[CLASSIF_SLOT(CM_ROC_AUC, CA_MICRO)] = rank_auc(&p->micro, w);
	if (want & CLASSIF_BIT(CM_AVERAGE_PRECISION))
		out[CLASSIF_SLOT(CM_AVERAGE_PRECISION, CA_MICRO)] = rank_ap(&p->micro, w);
	if (p->probabilities && (want & CLASSIF_PROBABILITY_METRICS))
		rc = multi_probability(p, want, w, total, out);
out:
	free(cm);
	if (pc != per_class)
		free(pc);
	return rc;
}

int classif_compute(const struct classif_prep *p, unsigned want, const uint32_t *w,
		    double *out, double *per_class)
{
	double tmp[CLASSIF_SLOTS];
	int rc;

	for (size_t s = 0; s < CLASSIF_SLOTS; s++)
		tmp[s] = out[s] = NAN;
	if (w != NULL && !p->weighted)
		return MP_EINVAL;
	rc = p->k == 2 ? compute_binary(p, want, w, tmp) : compute_multi(p, want, w, tmp, per_class);
	/* report only what was asked */
	for (size_t s = 0; s < CLASSIF_SLOTS; s++)
		out[s] = (want & CLASSIF_BIT(s / CA_MAX)) ? tmp[s] : NAN;
	return rc;
}

void classif_confusion(const struct classif_prep *p, uint64_t *cm)
{
	if (p->k == 2) {
		const struct rank_side *ps = &p->bin.pos, *ns = &p->bin.neg;
		cm[0] = p->neg_cut;
		cm[1] = ns->n - p->neg_cut;
		cm[2] = p->pos_cut;
		cm[3] = ps->n - p->pos_cut;
		return;
	}
	multi_counts(p, NULL, cm);
}
