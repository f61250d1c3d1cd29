/* bc_model.h: the frame the breast-cancer models share: the infer task's options,
 * the weights text format, reading prepared data and writing predictions.csv.
 *
 *   bc-MODEL infer --data_path DATA --output_path PREDICTIONS [--weights FILE]
 *
 * A weights file is text: one "key value value ..." per line, '#' starts a comment;
 * numbers are written exactly (17 significant digits); it must have "model NAME" and
 * "features" with the 30 feature names in the prepared order. Without --weights the
 * program reads weights/NAME.txt beside its own bin/ folder (its program tree). */
#ifndef BC_MODEL_H
#define BC_MODEL_H

#include "bc_io.h"

struct bc_wline {
	const char *key;
	size_t nvals;
	char **vals;
	unsigned line;
};

struct bc_weights {
	const char *path;
	char *text;
	size_t n;
	struct bc_wline *lines;
};

/* The first line with key, or exit with a message. */
const struct bc_wline *bc_w_get(const struct bc_weights *w, const char *key);
/* The values of key as numbers; exactly count of them, or exit. */
void bc_w_numbers(const struct bc_weights *w, const char *key, double *out, size_t count);
/* Value i of line l as a number, or exit. */
double bc_w_number(const struct bc_weights *w, const struct bc_wline *l, size_t i);

struct bc_model {
	const char *name;     /* "logreg": the program is bc-logreg, weights/logreg.txt */
	/* reads the model's own keys; exits with a message on a problem */
	void (*load)(const struct bc_weights *w);
	/* the probability of malignancy of one case's 30 features */
	double (*predict)(const double *x);
};

/* main() of a model program. */
int bc_model_main(int argc, char **argv, const struct bc_model *m);

#endif
