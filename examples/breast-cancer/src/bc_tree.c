/* bc_tree.c: bc-tree, a competing model: a shallow decision tree on the raw features.
 * Weights (weights/tree.txt, written by ../train): "nodes N", then one line per node,
 * "split ID FEATURE THRESHOLD LEFT RIGHT" (x <= THRESHOLD goes LEFT) or
 * "leaf ID P_MALIGNANT" (the share of malignant training cases in the leaf).
 * The tree was fitted on single-precision features (scikit-learn's trees compare
 * float32 values), so each feature is rounded to float before the comparison. */
#include "bc_model.h"

#include <stdlib.h>
#include <string.h>

#define MAX_NODES 4096

static struct node {
	int set;
	int feature; /* -1: a leaf */
	double threshold, p;
	long left, right;
} nodes[MAX_NODES];
static long nnodes;

static long node_id(const struct bc_weights *w, const struct bc_wline *l, size_t i)
{
	double v = bc_w_number(w, l, i);
	if (v != (double)(long)v || v < 0 || v >= (double)nnodes)
		bc_die("%s:%u: node '%s' is not a node id from 0 to %ld", w->path, l->line,
		       l->vals[i], nnodes - 1);
	return (long)v;
}

static void load(const struct bc_weights *w)
{
	double n;
	bc_w_numbers(w, "nodes", &n, 1);
	if (n < 1 || n > MAX_NODES || n != (double)(long)n)
		bc_die("%s: nodes must be a count from 1 to %d", w->path, MAX_NODES);
	nnodes = (long)n;
	for (size_t i = 0; i < w->n; i++) {
		const struct bc_wline *l = &w->lines[i];
		int split = strcmp(l->key, "split") == 0;
		if (!split && strcmp(l->key, "leaf") != 0)
			continue;
		if (l->nvals != (split ? 5u : 2u))
			bc_die("%s:%u: a %s line has %d values", w->path, l->line, l->key,
			       split ? 5 : 2);
		struct node *nd = &nodes[node_id(w, l, 0)];
		if (nd->set)
			bc_die("%s:%u: node %s given twice", w->path, l->line, l->vals[0]);
		nd->set = 1;
		nd->feature = -1;
		if (split) {
			for (int j = 0; j < BC_FEATURES && nd->feature < 0; j++)
				if (strcmp(l->vals[1], bc_feature_names[j]) == 0)
					nd->feature = j;
			if (nd->feature < 0)
				bc_die("%s:%u: unknown feature '%s'", w->path, l->line, l->vals[1]);
			nd->threshold = bc_w_number(w, l, 2);
			nd->left = node_id(w, l, 3);
			nd->right = node_id(w, l, 4);
			if (nd->left <= node_id(w, l, 0) || nd->right <= node_id(w, l, 0))
				bc_die("%s:%u: children must come after their node", w->path,
				       l->line);
		} else {
			nd->p = bc_w_number(w, l, 1);
			if (!(nd->p >= 0 && nd->p <= 1))
				bc_die("%s:%u: a leaf's value must be a probability", w->path,
				       l->line);
		}
	}
	for (long i = 0; i < nnodes; i++)
		if (!nodes[i].set)
			bc_die("%s: node %ld is missing", w->path, i);
}

static double predict(const double *x)
{
	long i = 0; /* children come after their node, so this ends */
	while (nodes[i].feature >= 0)
		i = (double)(float)x[nodes[i].feature] <= nodes[i].threshold ? nodes[i].left
									     : nodes[i].right;
	return nodes[i].p;
}

int main(int argc, char **argv)
{
	static const struct bc_model m = {"tree", load, predict};
	return bc_model_main(argc, argv, &m);
}
