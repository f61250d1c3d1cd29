/*
 * classif.c: the classification metrics (classif.h) computed from a prep
 * (classif_prep.c): the ranking metrics (ROC AUC, average precision) by
 * one merge walk over the sorted positives and negatives with ties
 * grouped, the confusion-matrix metrics, and the probability metrics
 * (Brier score, log loss, ECE), each with optional per-case weights for
 * the bootstrap; and the metrics' names.
 *
 * It does not read files, choose defaults or print: cases.c reads,
 * classif_opts.c and cmd_classif.c decide, cmd_classif.c writes.
 * Definitions (and where they follow scikit-learn 1.2) are in
 * docs/metrics.md.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/classif_int.h"

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
