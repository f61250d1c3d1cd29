/* bc_logreg.c: bc-logreg, the benchmark's reference model: logistic regression on
 * standardised features. Weights (weights/logreg.txt, written by ../train): mean and
 * scale of each feature on the training split, coef per feature, intercept;
 * p(malignant) = 1 / (1 + exp(-(intercept + sum coef_j (x_j - mean_j) / scale_j))). */
#include "bc_model.h"

#include <math.h>

static double mean[BC_FEATURES], scale[BC_FEATURES], coef[BC_FEATURES], intercept;

static void load(const struct bc_weights *w)
{
	bc_w_numbers(w, "mean", mean, BC_FEATURES);
	bc_w_numbers(w, "scale", scale, BC_FEATURES);
	bc_w_numbers(w, "coef", coef, BC_FEATURES);
	bc_w_numbers(w, "intercept", &intercept, 1);
	for (int j = 0; j < BC_FEATURES; j++)
		if (!(scale[j] > 0))
			bc_die("%s: scale of %s is not positive", w->path, bc_feature_names[j]);
}

static double predict(const double *x)
{
	double z = intercept;
	for (int j = 0; j < BC_FEATURES; j++)
		z += coef[j] * ((x[j] - mean[j]) / scale[j]);
	/* both branches avoid exp overflow */
	if (z >= 0)
		return 1.0 / (1.0 + exp(-z));
	double e = exp(z);
	return e / (1.0 + e);
}

int main(int argc, char **argv)
{
	static const struct bc_model m = {"logreg", load, predict};
	return bc_model_main(argc, argv, &m);
}
