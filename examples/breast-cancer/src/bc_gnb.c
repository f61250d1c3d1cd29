/* bc_gnb.c: bc-gnb, a competing model: Gaussian naive Bayes on the raw features.
 * Weights (weights/gnb.txt, written by ../train): log_prior of benign and malignant,
 * and per class the mean and variance of each feature (variances already include the
 * training's smoothing). Joint log-likelihood per class c:
 * log_prior_c - 1/2 sum_j [log(2 pi var_cj) + (x_j - mean_cj)^2 / var_cj];
 * p(malignant) = 1 / (1 + exp(jll_benign - jll_malignant)). */
#include "bc_model.h"

#include <math.h>
#include <string.h>

#define TWO_PI 6.283185307179586476925286766559

static double log_prior[2], mean[2][BC_FEATURES], var[2][BC_FEATURES];

static void load(const struct bc_weights *w)
{
	const struct bc_wline *cl = bc_w_get(w, "classes");
	if (cl->nvals != 2 || strcmp(cl->vals[0], "benign") != 0 ||
	    strcmp(cl->vals[1], "malignant") != 0)
		bc_die("%s:%u: classes must be 'benign malignant'", w->path, cl->line);
	bc_w_numbers(w, "log_prior", log_prior, 2);
	bc_w_numbers(w, "mean_benign", mean[0], BC_FEATURES);
	bc_w_numbers(w, "var_benign", var[0], BC_FEATURES);
	bc_w_numbers(w, "mean_malignant", mean[1], BC_FEATURES);
	bc_w_numbers(w, "var_malignant", var[1], BC_FEATURES);
	for (int c = 0; c < 2; c++)
		for (int j = 0; j < BC_FEATURES; j++)
			if (!(var[c][j] > 0))
				bc_die("%s: a variance of %s is not positive", w->path,
				       bc_feature_names[j]);
}

static double joint_log_likelihood(int c, const double *x)
{
	double s = 0, q = 0;
	for (int j = 0; j < BC_FEATURES; j++)
		s += log(TWO_PI * var[c][j]);
	for (int j = 0; j < BC_FEATURES; j++) {
		double d = x[j] - mean[c][j];
		q += d * d / var[c][j];
	}
	return log_prior[c] - 0.5 * s - 0.5 * q;
}

static double predict(const double *x)
{
	double d = joint_log_likelihood(0, x) - joint_log_likelihood(1, x);
	if (d <= 0)
		return 1.0 / (1.0 + exp(d));
	double e = exp(-d);
	return e / (1.0 + e);
}

int main(int argc, char **argv)
{
	static const struct bc_model m = {"gnb", load, predict};
	return bc_model_main(argc, argv, &m);
}
