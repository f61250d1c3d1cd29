/* bc_io.h: what the breast-cancer example's programs share: the 30 feature names,
 * error exits, option parsing, a strict CSV reader, number parsing and printing,
 * and writing outputs (atomically into a folder, or in place into a mounted file).
 * libc and libm only. */
#ifndef BC_IO_H
#define BC_IO_H

#include <stddef.h>

#define BC_FEATURES 30

/* The 30 features of the Wisconsin Diagnostic Breast Cancer data, in the order of
 * scikit-learn's breast_cancer.csv: ten measurements as mean, standard error, worst. */
extern const char *const bc_feature_names[BC_FEATURES];

/* The program's name in messages ("bc-prep"); set once by main. */
void bc_set_prog(const char *name);
/* Prints "PROG: message" to standard error and exits with status 1. */
_Noreturn void bc_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same with status 2 (usage errors). */
_Noreturn void bc_usage_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *bc_xmalloc(size_t n);
void *bc_xrealloc(void *p, size_t n);
char *bc_xstrdup(const char *s);

/* Options "--name value" or "--name=value"; '-' and '_' are the same in names.
 * names: the accepted option names (with underscores), NULL-terminated; values is
 * filled in the same order (NULL when absent). An unknown option, a missing value
 * or an option given twice exits with status 2. */
void bc_parse_options(int argc, char **argv, const char *const *names, const char **values);

/* A CSV file read whole: the header and rows of fields, each with its line number.
 * Fields are separated by ',', rows by "\n" or "\r\n"; spaces around a field are
 * dropped; quotes are refused (no field of this data needs them); blank lines are
 * skipped. Every row must have as many fields as the header. */
struct bc_csv {
	char *path;         /* a copy of the path given, for messages */
	char *text;         /* the file, cut into fields in place */
	size_t ncols;
	char **header;      /* ncols names */
	size_t nrows;
	char **cells;       /* nrows * ncols */
	unsigned *lines;    /* nrows line numbers */
};

/* Reads path; on any problem exits through bc_die with the file and line. */
void bc_csv_read(const char *path, struct bc_csv *csv);
void bc_csv_free(struct bc_csv *csv);
/* The column called name, or -1. */
long bc_csv_column(const struct bc_csv *csv, const char *name);
static inline const char *bc_cell(const struct bc_csv *csv, size_t row, size_t col)
{
	return csv->cells[row * csv->ncols + col];
}

/* A number written in full ("1.5e-3", "-0.2"): 0; not a number: -1; a number that
 * is not finite ("nan", "inf", 1e999): -2. */
int bc_parse_double(const char *s, double *out);
/* Decimal text that reads back as exactly v: the fewest decimals ("1290", "0.1184")
 * for 1e-4 <= |v| < 1e15, else the fewest %g digits (at most 17). */
void bc_format_double(char out[40], double v);

/* A case id: 1 to 64 of [A-Za-z0-9._-], not starting with '.' (it is a CSV key). */
int bc_valid_id(const char *s);

/* A growable text buffer. */
struct bc_buf {
	char *data;
	size_t len, cap;
};
void bc_buf_add(struct bc_buf *b, const char *s);
void bc_buf_printf(struct bc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bc_buf_free(struct bc_buf *b);

/* Writes b into dir/name through a temporary file in dir renamed over it. */
void bc_write_in_dir(const char *dir, const char *name, const struct bc_buf *b);
/* Writes b into path in place (truncated first): for an output file that is a mount
 * point, which a rename cannot replace. */
void bc_write_in_place(const char *path, const struct bc_buf *b);
/* Exits with a message unless path is an existing folder. */
void bc_need_dir(const char *path, const char *what);
/* The visible entries of folder path (names not starting with '.'), sorted;
 * *n gets their count. */
char **bc_list_dir(const char *path, size_t *n);

/* Prepared data as the models read it: the ids and, per case, the 30 features in
 * the order of bc_feature_names. */
struct bc_cases {
	size_t n;
	char **ids;
	double *x; /* n * BC_FEATURES */
};
/* Reads <dir>/features.csv (the prepared format: "id" then the 30 features in
 * order); exits with a message on anything else. */
void bc_read_prepared(const char *dir, struct bc_cases *cases, struct bc_csv *keep);

#endif
