/* bc_prep.c: bc-prep, the breast-cancer benchmark's data preparator, with MedPerf's
 * three data-preparation tasks (reference §3.2):
 *
 *   bc-prep prepare      --data_path RAW --labels_path RAW_LABELS --output_path DATA
 *                        --output_labels_path LABELS [--report_file FILE]
 *   bc-prep sanity_check --data_path DATA --labels_path LABELS
 *   bc-prep statistics   --data_path DATA --labels_path LABELS --output_path FILE
 *
 * Raw format (a hospital's export): RAW/cases.csv with a case_id column and the 30
 * feature columns by name, in any order; RAW_LABELS/diagnosis.csv with case_id and
 * diagnosis (M malignant, B benign, UCI's codes). Prepared format: DATA/features.csv
 * ("id" and the 30 features in bc_feature_names order, rows sorted by id) and
 * LABELS/labels.csv ("id,label", label benign or malignant), as medperf-metrics reads
 * it. Any problem exits 1 with one line naming the file, the line and the case. */
#include "bc_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* one case of a table, for sorting by id */
struct row {
	const char *id;
	size_t index;
};

static int cmp_row(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->id, ((const struct row *)b)->id);
}

/* Sorts the ids of column idcol of csv and refuses an invalid or repeated one. */
static struct row *sorted_ids(const struct bc_csv *csv, size_t idcol)
{
	struct row *r = bc_xmalloc(csv->nrows * sizeof(*r));
	for (size_t i = 0; i < csv->nrows; i++) {
		r[i].id = bc_cell(csv, i, idcol);
		r[i].index = i;
		if (!*r[i].id)
			bc_die("%s:%u: empty case id", csv->path, csv->lines[i]);
		if (!bc_valid_id(r[i].id))
			bc_die("%s:%u: case id '%s' is not 1 to 64 of A-Z a-z 0-9 . _ - "
			       "(not starting with '.')", csv->path, csv->lines[i], r[i].id);
	}
	qsort(r, csv->nrows, sizeof(*r), cmp_row);
	for (size_t i = 1; i < csv->nrows; i++)
		if (strcmp(r[i].id, r[i - 1].id) == 0) {
			unsigned a = csv->lines[r[i - 1].index], b = csv->lines[r[i].index];
			bc_die("%s:%u: case id '%s' appears twice (also on line %u)", csv->path,
			       a > b ? a : b, r[i].id, a > b ? b : a);
		}
	return r;
}

/* Refuses two sorted id lists that differ: names up to three ids of each side. */
static void same_cases(const struct row *a, size_t na, const char *afile, const struct row *b,
		       size_t nb, const char *bfile, const char *missing_what)
{
	size_t i = 0, j = 0, only_a = 0, only_b = 0;
	char la[256] = "", lb[256] = "";
	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : strcmp(a[i].id, b[j].id);
		if (c == 0) {
			i++;
			j++;
			continue;
		}
		char *list = c < 0 ? la : lb;
		size_t *count = c < 0 ? &only_a : &only_b;
		const char *id = c < 0 ? a[i++].id : b[j++].id;
		if (++*count <= 3)
			snprintf(list + strlen(list), sizeof(la) - strlen(list), "%s'%s'",
				 *count > 1 ? ", " : "", id);
	}
	if (only_a)
		bc_die("%s: %zu case%s without %s in %s: %s%s", afile, only_a,
		       only_a > 1 ? "s" : "", missing_what, bfile, la, only_a > 3 ? ", ..." : "");
	if (only_b)
		bc_die("%s: %zu case%s not in %s: %s%s", bfile, only_b, only_b > 1 ? "s" : "",
		       afile, lb, only_b > 3 ? ", ..." : "");
}

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = bc_xmalloc(n);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* Parses feature name of case id (row of csv), text s: a finite, non-negative number. */
static double feature_value(const struct bc_csv *csv, size_t row, const char *id,
			    const char *name, const char *s)
{
	double v;
	int r = bc_parse_double(s, &v);
	if (r != 0)
		bc_die("%s:%u: %s of case '%s' is '%s', not %s", csv->path, csv->lines[row],
		       name, id, s, r == -2 ? "a finite number" : "a number");
	if (v < 0)
		bc_die("%s:%u: %s of case '%s' is %s: a measurement cannot be negative",
		       csv->path, csv->lines[row], name, id, s);
	return v;
}

/* ------------------------------------------------------------------ prepare */

static void write_report(const char *path, const struct row *ids, size_t n, const char *status)
{
	struct bc_buf b = {0};
	if (!path)
		return;
	/* MedPerf reads the report as a table (column -> case -> value) and sends only
	 * the share of cases in each status, with the owner's consent */
	bc_buf_add(&b, "status:\n");
	for (size_t i = 0; i < n; i++)
		bc_buf_printf(&b, "  %s: %s\n", ids[i].id, status);
	bc_write_in_place(path, &b);
	bc_buf_free(&b);
}

static int prepare(int argc, char **argv)
{
	static const char *const names[] = {"data_path", "labels_path", "output_path",
		"output_labels_path", "report_file", "metadata_path", "parameters_file", NULL};
	const char *o[8];
	bc_parse_options(argc, argv, names, o);
	for (int i = 0; i < 4; i++)
		if (!o[i])
			bc_usage_die("prepare needs --%s", names[i]);
	bc_need_dir(o[0], "raw data folder");
	bc_need_dir(o[1], "raw labels folder");
	bc_need_dir(o[2], "output folder");
	bc_need_dir(o[3], "output labels folder");

	char *cases_path = join(o[0], "cases.csv"), *diag_path = join(o[1], "diagnosis.csv");
	if (access(cases_path, F_OK) != 0)
		bc_die("raw data folder '%s' has no cases.csv (the raw format: a case_id column "
		       "and the 30 feature columns)", o[0]);
	if (access(diag_path, F_OK) != 0)
		bc_die("raw labels folder '%s' has no diagnosis.csv (the raw format: columns "
		       "case_id and diagnosis, M or B)", o[1]);

	/* the features: every column known, none missing */
	struct bc_csv cases, diag;
	bc_csv_read(cases_path, &cases);
	long idcol = bc_csv_column(&cases, "case_id");
	if (idcol < 0)
		bc_die("%s:1: no column 'case_id'", cases_path);
	size_t colof[BC_FEATURES];
	for (size_t j = 0; j < BC_FEATURES; j++) {
		long c = bc_csv_column(&cases, bc_feature_names[j]);
		if (c < 0)
			bc_die("%s:1: no column '%s' (the 30 features are required)", cases_path,
			       bc_feature_names[j]);
		colof[j] = (size_t)c;
	}
	if (cases.ncols != BC_FEATURES + 1)
		for (size_t c = 0; c < cases.ncols; c++) {
			int known = strcmp(cases.header[c], "case_id") == 0;
			for (size_t j = 0; j < BC_FEATURES && !known; j++)
				known = strcmp(cases.header[c], bc_feature_names[j]) == 0;
			if (!known)
				bc_die("%s:1: unknown column '%s'", cases_path, cases.header[c]);
		}
	if (cases.nrows == 0)
		bc_die("%s: no cases (only a header row)", cases_path);
	struct row *case_ids = sorted_ids(&cases, (size_t)idcol);
	double *x = bc_xmalloc(cases.nrows * BC_FEATURES * sizeof(double));
	for (size_t i = 0; i < cases.nrows; i++)
		for (size_t j = 0; j < BC_FEATURES; j++)
			x[i * BC_FEATURES + j] = feature_value(&cases, i,
				bc_cell(&cases, i, (size_t)idcol), bc_feature_names[j],
				bc_cell(&cases, i, colof[j]));

	/* the diagnoses */
	bc_csv_read(diag_path, &diag);
	long did = bc_csv_column(&diag, "case_id"), ddx = bc_csv_column(&diag, "diagnosis");
	if (did < 0 || ddx < 0)
		bc_die("%s:1: the columns must be case_id and diagnosis (no column '%s')",
		       diag_path, did < 0 ? "case_id" : "diagnosis");
	if (diag.ncols != 2)
		bc_die("%s:1: %zu columns: only case_id and diagnosis are expected", diag_path,
		       diag.ncols);
	struct row *diag_ids = sorted_ids(&diag, (size_t)did);
	for (size_t i = 0; i < diag.nrows; i++) {
		const char *d = bc_cell(&diag, i, (size_t)ddx);
		if (strcmp(d, "M") != 0 && strcmp(d, "B") != 0)
			bc_die("%s:%u: diagnosis of case '%s' is '%s', not M (malignant) or B "
			       "(benign)", diag_path, diag.lines[i], bc_cell(&diag, i, (size_t)did), d);
	}
	same_cases(case_ids, cases.nrows, cases_path, diag_ids, diag.nrows, diag_path,
		   "a diagnosis");
	write_report(o[4], case_ids, cases.nrows, "validated");

	/* the prepared data, both in id order */
	struct bc_buf feat = {0}, lab = {0};
	size_t malignant = 0;
	bc_buf_add(&feat, "id");
	for (size_t j = 0; j < BC_FEATURES; j++)
		bc_buf_printf(&feat, ",%s", bc_feature_names[j]);
	bc_buf_add(&feat, "\n");
	bc_buf_add(&lab, "id,label\n");
	for (size_t k = 0; k < cases.nrows; k++) {
		size_t i = case_ids[k].index;
		char num[40];
		bc_buf_add(&feat, case_ids[k].id);
		for (size_t j = 0; j < BC_FEATURES; j++) {
			bc_format_double(num, x[i * BC_FEATURES + j]);
			bc_buf_printf(&feat, ",%s", num);
		}
		bc_buf_add(&feat, "\n");
		int m = strcmp(bc_cell(&diag, diag_ids[k].index, (size_t)ddx), "M") == 0;
		malignant += (size_t)m;
		bc_buf_printf(&lab, "%s,%s\n", case_ids[k].id, m ? "malignant" : "benign");
	}
	bc_write_in_dir(o[2], "features.csv", &feat);
	bc_write_in_dir(o[3], "labels.csv", &lab);
	write_report(o[4], case_ids, cases.nrows, "prepared");
	printf("prepared %zu cases (%zu malignant, %zu benign)\n", cases.nrows, malignant,
	       cases.nrows - malignant);

	bc_buf_free(&feat);
	bc_buf_free(&lab);
	free(x);
	free(case_ids);
	free(diag_ids);
	bc_csv_free(&cases);
	bc_csv_free(&diag);
	free(cases_path);
	free(diag_path);
	return 0;
}

/* ------------------------------------------------------------------ prepared data checks */

struct prepared {
	struct bc_csv feat, lab;
	struct bc_cases cases;
	size_t malignant;
};

/* Only the expected file in a prepared folder: anything else is a sign of a wrong mount. */
static void only_file(const char *dir, const char *name)
{
	size_t n;
	char **names = bc_list_dir(dir, &n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) != 0)
			bc_die("'%s' holds '%s' besides %s (a prepared folder holds only %s)", dir,
			       names[i], name, name);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Reads and checks prepared data and labels; exits with the first problem. */
static void load_prepared(const char *data, const char *labels, struct prepared *p)
{
	bc_read_prepared(data, &p->cases, &p->feat);
	only_file(data, "features.csv");
	for (size_t i = 0; i < p->cases.n; i++)
		for (size_t j = 0; j < BC_FEATURES; j++)
			if (p->cases.x[i * BC_FEATURES + j] < 0)
				bc_die("%s:%u: %s of case '%s' is negative", p->feat.path,
				       p->feat.lines[i], bc_feature_names[j], p->cases.ids[i]);
	struct row *fid = sorted_ids(&p->feat, 0);

	bc_need_dir(labels, "prepared labels folder");
	char *lpath = join(labels, "labels.csv");
	if (access(lpath, F_OK) != 0)
		bc_die("prepared labels folder '%s' has no labels.csv", labels);
	bc_csv_read(lpath, &p->lab);
	only_file(labels, "labels.csv");
	if (p->lab.ncols != 2 || strcmp(p->lab.header[0], "id") != 0 ||
	    strcmp(p->lab.header[1], "label") != 0)
		bc_die("%s:1: the header must be 'id,label'", lpath);
	struct row *lid = sorted_ids(&p->lab, 0);
	p->malignant = 0;
	for (size_t i = 0; i < p->lab.nrows; i++) {
		const char *l = bc_cell(&p->lab, i, 1);
		if (strcmp(l, "malignant") == 0)
			p->malignant++;
		else if (strcmp(l, "benign") != 0)
			bc_die("%s:%u: label of case '%s' is '%s', not benign or malignant", lpath,
			       p->lab.lines[i], bc_cell(&p->lab, i, 0), l);
	}
	same_cases(fid, p->feat.nrows, p->feat.path, lid, p->lab.nrows, lpath, "a label");
	free(fid);
	free(lid);
	free(lpath);
}

static void free_prepared(struct prepared *p)
{
	free(p->cases.ids);
	free(p->cases.x);
	bc_csv_free(&p->feat);
	bc_csv_free(&p->lab);
}

static int sanity_check(int argc, char **argv)
{
	static const char *const names[] = {"data_path", "labels_path", "metadata_path",
		"parameters_file", NULL};
	const char *o[4];
	struct prepared p;
	bc_parse_options(argc, argv, names, o);
	if (!o[0] || !o[1])
		bc_usage_die("sanity_check needs --data_path and --labels_path");
	bc_set_prog("bc-prep sanity_check: failed");
	load_prepared(o[0], o[1], &p);
	printf("sanity check passed: %zu cases, each with its 30 features and a label\n",
	       p.cases.n);
	free_prepared(&p);
	return 0;
}

static int statistics(int argc, char **argv)
{
	static const char *const names[] = {"data_path", "labels_path", "output_path",
		"metadata_path", "parameters_file", NULL};
	const char *o[5];
	struct prepared p;
	struct bc_buf b = {0};
	char frac[40];
	bc_parse_options(argc, argv, names, o);
	if (!o[0] || !o[1] || !o[2])
		bc_usage_die("statistics needs --data_path, --labels_path and --output_path");
	load_prepared(o[0], o[1], &p);
	/* counts only: nothing of any single case leaves the site */
	bc_format_double(frac, (double)p.malignant / (double)p.cases.n);
	bc_buf_printf(&b, "num_cases: %zu\nlabels_count:\n  benign: %zu\n  malignant: %zu\n"
		      "malignant_fraction: %s\nnum_features: %d\n", p.cases.n,
		      p.cases.n - p.malignant, p.malignant, frac, BC_FEATURES);
	bc_write_in_place(o[2], &b);
	printf("statistics of %zu cases written\n", p.cases.n);
	bc_buf_free(&b);
	free_prepared(&p);
	return 0;
}

int main(int argc, char **argv)
{
	bc_set_prog("bc-prep");
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: bc-prep prepare --data_path RAW --labels_path RAW_LABELS "
			"--output_path DATA --output_labels_path LABELS [--report_file FILE]\n"
			"       bc-prep sanity_check --data_path DATA --labels_path LABELS\n"
			"       bc-prep statistics --data_path DATA --labels_path LABELS "
			"--output_path FILE\n");
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "prepare") == 0)
		return prepare(argc - 2, argv + 2);
	if (strcmp(argv[1], "sanity_check") == 0)
		return sanity_check(argc - 2, argv + 2);
	if (strcmp(argv[1], "statistics") == 0)
		return statistics(argc - 2, argv + 2);
	bc_usage_die("unknown task '%s' (prepare, sanity_check or statistics)", argv[1]);
}
