/*
 * classif_sort.c: the sort behind the classification metrics (classif.h):
 * the order-preserving key of a finite double and the radix sort of keys
 * (with a counting path for scores that take few distinct values), which
 * classif_prep.c runs on every side of every ranking problem.
 */
#include <stdlib.h>
#include <string.h>

#include "metrics/classif_int.h"

/* ------------------------------------------------------------------ */
/* Keys and the radix sort                                             */
/* ------------------------------------------------------------------ */

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
