/* bc_io.c: the shared helpers of the breast-cancer example's programs (see bc_io.h):
 * messages and exits, options, the strict CSV reader, numbers, output files. */
#include "bc_io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const bc_feature_names[BC_FEATURES] = {
	"mean_radius", "mean_texture", "mean_perimeter", "mean_area", "mean_smoothness",
	"mean_compactness", "mean_concavity", "mean_concave_points", "mean_symmetry",
	"mean_fractal_dimension",
	"radius_error", "texture_error", "perimeter_error", "area_error", "smoothness_error",
	"compactness_error", "concavity_error", "concave_points_error", "symmetry_error",
	"fractal_dimension_error",
	"worst_radius", "worst_texture", "worst_perimeter", "worst_area", "worst_smoothness",
	"worst_compactness", "worst_concavity", "worst_concave_points", "worst_symmetry",
	"worst_fractal_dimension",
};

#define MAX_FILE (64L << 20) /* far above any breast-cancer table */

static const char *prog = "bc";

void bc_set_prog(const char *name)
{
	prog = name;
}

__attribute__((format(printf, 2, 0)))
static _Noreturn void vdie(int status, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	exit(status);
}

void bc_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdie(1, fmt, ap);
}

void bc_usage_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdie(2, fmt, ap);
}

void *bc_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		bc_die("out of memory");
	return p;
}

void *bc_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		bc_die("out of memory");
	return p;
}

char *bc_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(bc_xmalloc(n), s, n);
}

/* name (from the command line, up to len bytes) equals want, with '-' as '_' */
static int same_name(const char *name, size_t len, const char *want)
{
	if (strlen(want) != len)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i] == '-' ? '_' : name[i];
		if (c != want[i])
			return 0;
	}
	return 1;
}

void bc_parse_options(int argc, char **argv, const char *const *names, const char **values)
{
	size_t count = 0;
	while (names[count])
		count++;
	for (size_t i = 0; i < count; i++)
		values[i] = NULL;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *eq, *value;
		if (strncmp(a, "--", 2) != 0)
			bc_usage_die("unexpected argument '%s' (options are --name value)", a);
		a += 2;
		eq = strchr(a, '=');
		size_t len = eq ? (size_t)(eq - a) : strlen(a);
		size_t k = 0;
		while (k < count && !same_name(a, len, names[k]))
			k++;
		if (k == count)
			bc_usage_die("unknown option '--%.*s'", (int)len, a);
		if (eq) {
			value = eq + 1;
		} else {
			if (i + 1 >= argc)
				bc_usage_die("option '--%s' needs a value", names[k]);
			value = argv[++i];
		}
		if (values[k])
			bc_usage_die("option '--%s' given twice", names[k]);
		values[k] = value;
	}
}

/* ------------------------------------------------------------------ CSV */

static char *read_file(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		bc_die("%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0)
		bc_die("%s: cannot read: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		bc_die("%s: is a folder, not a file", path);
	if (!S_ISREG(st.st_mode))
		bc_die("%s: not a regular file", path);
	if (st.st_size > MAX_FILE)
		bc_die("%s: too large (%lld bytes; at most %ld)", path, (long long)st.st_size,
		       MAX_FILE);
	size_t cap = (size_t)st.st_size + 1, n = 0;
	char *text = bc_xmalloc(cap);
	for (;;) {
		ssize_t r = read(fd, text + n, cap - 1 - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			bc_die("%s: cannot read: %s", path, strerror(errno));
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap - 1)
			break;
	}
	close(fd);
	text[n] = '\0';
	if (memchr(text, '\0', n))
		bc_die("%s: binary data (a NUL byte), not a CSV file", path);
	*len = n;
	return text;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* Cuts line (already NUL-terminated) into fields; returns their count and sets *out
 * (grown as needed). */
static size_t split_fields(const char *path, unsigned lineno, char *line, char ***out,
			   size_t *cap)
{
	size_t n = 0;
	char *p = line;
	if (strchr(line, '"'))
		bc_die("%s:%u: a quote character: quoted fields are not part of this format",
		       path, lineno);
	for (;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (n == *cap) {
			*cap = *cap ? 2 * *cap : 32;
			*out = bc_xrealloc(*out, *cap * sizeof(**out));
		}
		(*out)[n++] = trim(p);
		if (!comma)
			return n;
		p = comma + 1;
	}
}

void bc_csv_read(const char *path, struct bc_csv *csv)
{
	size_t len, fcap = 0, rows_cap = 0, ncells = 0, cells_cap = 0;
	char **fields = NULL;
	unsigned lineno = 0;
	int have_header = 0;

	memset(csv, 0, sizeof(*csv));
	csv->path = bc_xstrdup(path);
	csv->text = read_file(path, &len);
	char *p = csv->text;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3; /* a UTF-8 byte order mark, as some spreadsheets write */
	while (*p) {
		char *nl = strchr(p, '\n'), *next;
		lineno++;
		if (nl) {
			*nl = '\0';
			next = nl + 1;
		} else {
			next = p + strlen(p);
		}
		size_t l = strlen(p);
		if (l && p[l - 1] == '\r')
			p[l - 1] = '\0';
		char *line = p;
		p = next;
		if (*trim(line) == '\0')
			continue;
		size_t n = split_fields(path, lineno, line, &fields, &fcap);
		if (!have_header) {
			have_header = 1;
			csv->ncols = n;
			csv->header = bc_xmalloc(n * sizeof(char *));
			memcpy(csv->header, fields, n * sizeof(char *));
			for (size_t i = 0; i < n; i++) {
				if (!*csv->header[i])
					bc_die("%s:%u: column %zu of the header has no name", path,
					       lineno, i + 1);
				for (size_t j = 0; j < i; j++)
					if (strcmp(csv->header[i], csv->header[j]) == 0)
						bc_die("%s:%u: column '%s' appears twice", path,
						       lineno, csv->header[i]);
			}
			continue;
		}
		if (n != csv->ncols)
			bc_die("%s:%u: %zu fields where the header has %zu", path, lineno, n,
			       csv->ncols);
		if (csv->nrows == rows_cap) {
			rows_cap = rows_cap ? 2 * rows_cap : 256;
			csv->lines = bc_xrealloc(csv->lines, rows_cap * sizeof(unsigned));
		}
		if (ncells + n > cells_cap) {
			cells_cap = cells_cap ? 2 * cells_cap : 256 * n;
			while (ncells + n > cells_cap)
				cells_cap *= 2;
			csv->cells = bc_xrealloc(csv->cells, cells_cap * sizeof(char *));
		}
		memcpy(csv->cells + ncells, fields, n * sizeof(char *));
		ncells += n;
		csv->lines[csv->nrows++] = lineno;
	}
	free(fields);
	if (!have_header)
		bc_die("%s: empty file (a header row and one row per case are expected)", path);
}

void bc_csv_free(struct bc_csv *csv)
{
	free(csv->path);
	free(csv->text);
	free(csv->header);
	free(csv->cells);
	free(csv->lines);
	memset(csv, 0, sizeof(*csv));
}

long bc_csv_column(const struct bc_csv *csv, const char *name)
{
	for (size_t i = 0; i < csv->ncols; i++)
		if (strcmp(csv->header[i], name) == 0)
			return (long)i;
	return -1;
}

/* ------------------------------------------------------------------ numbers */

int bc_parse_double(const char *s, double *out)
{
	char *end;
	const char *q = s;
	if (*q == '+' || *q == '-')
		q++;
	/* digits or a point must start it: strtod would also take "nan", "inf", hex */
	if (!((*q >= '0' && *q <= '9') || (*q == '.' && q[1] >= '0' && q[1] <= '9'))) {
		if (strncmp(q, "nan", 3) == 0 || strncmp(q, "NaN", 3) == 0 ||
		    strncmp(q, "inf", 3) == 0 || strncmp(q, "Inf", 3) == 0 ||
		    strncmp(q, "NAN", 3) == 0 || strncmp(q, "INF", 3) == 0)
			return -2;
		return -1;
	}
	if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X'))
		return -1;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end != '\0')
		return -1;
	if (!isfinite(v))
		return -2;
	*out = v;
	return 0;
}

void bc_format_double(char out[40], double v)
{
	/* plain decimals where they are short enough ("1290", "0.1184"), else %g */
	if (v == 0 || (fabs(v) >= 1e-4 && fabs(v) < 1e15))
		for (int decimals = 0; decimals <= 19; decimals++) {
			snprintf(out, 40, "%.*f", decimals, v);
			if (strtod(out, NULL) == v)
				return;
		}
	for (int digits = 1; digits <= 17; digits++) {
		snprintf(out, 40, "%.*g", digits, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

int bc_valid_id(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64 || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* ------------------------------------------------------------------ buffers and files */

static void buf_reserve(struct bc_buf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more + 1)
		cap *= 2;
	b->data = bc_xrealloc(b->data, cap);
	b->cap = cap;
}

void bc_buf_add(struct bc_buf *b, const char *s)
{
	size_t n = strlen(s);
	buf_reserve(b, n);
	memcpy(b->data + b->len, s, n + 1);
	b->len += n;
}

void bc_buf_printf(struct bc_buf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		bc_die("cannot format output");
	buf_reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	b->len += (size_t)n;
}

void bc_buf_free(struct bc_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static void write_all(int fd, const char *path, const struct bc_buf *b)
{
	size_t done = 0;
	while (done < b->len) {
		ssize_t w = write(fd, b->data + done, b->len - done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			bc_die("%s: cannot write: %s", path, strerror(errno));
		}
		done += (size_t)w;
	}
	if (fsync(fd) != 0 && errno != EINVAL)
		bc_die("%s: cannot write: %s", path, strerror(errno));
	if (close(fd) != 0)
		bc_die("%s: cannot write: %s", path, strerror(errno));
}

void bc_write_in_dir(const char *dir, const char *name, const struct bc_buf *b)
{
	size_t n = strlen(dir) + strlen(name) + 16;
	char *tmp = bc_xmalloc(n), *final = bc_xmalloc(n);
	snprintf(tmp, n, "%s/.%s.tmp", dir, name);
	snprintf(final, n, "%s/%s", dir, name);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		bc_die("%s: cannot create: %s", tmp, strerror(errno));
	write_all(fd, tmp, b);
	if (rename(tmp, final) != 0)
		bc_die("%s: cannot rename to %s: %s", tmp, final, strerror(errno));
	free(tmp);
	free(final);
}

void bc_write_in_place(const char *path, const struct bc_buf *b)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		bc_die("%s: cannot write: %s", path, strerror(errno));
	write_all(fd, path, b);
}

void bc_need_dir(const char *path, const char *what)
{
	struct stat st;
	if (stat(path, &st) != 0)
		bc_die("%s '%s': %s", what, path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		bc_die("%s '%s' is not a folder", what, path);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **bc_list_dir(const char *path, size_t *n)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char **names = NULL;
	size_t cap = 0;
	if (!d)
		bc_die("%s: cannot list: %s", path, strerror(errno));
	*n = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			names = bc_xrealloc(names, cap * sizeof(char *));
		}
		names[(*n)++] = bc_xstrdup(e->d_name);
	}
	closedir(d);
	if (*n)
		qsort(names, *n, sizeof(char *), cmp_names);
	return names;
}

/* ------------------------------------------------------------------ prepared data */

void bc_read_prepared(const char *dir, struct bc_cases *cases, struct bc_csv *csv)
{
	size_t len = strlen(dir) + 16;
	char *path = bc_xmalloc(len);
	bc_need_dir(dir, "prepared data folder");
	snprintf(path, len, "%s/features.csv", dir);
	if (access(path, F_OK) != 0)
		bc_die("prepared data folder '%s' has no features.csv (is it the output of "
		       "bc-prep prepare?)", dir);
	bc_csv_read(path, csv);
	if (csv->ncols != BC_FEATURES + 1 || strcmp(csv->header[0], "id") != 0)
		bc_die("%s:1: the header must be id and the 30 features in order (found %zu "
		       "columns, the first '%s')", path, csv->ncols, csv->header[0]);
	for (size_t j = 0; j < BC_FEATURES; j++)
		if (strcmp(csv->header[j + 1], bc_feature_names[j]) != 0)
			bc_die("%s:1: column %zu is '%s', expected '%s'", path, j + 2,
			       csv->header[j + 1], bc_feature_names[j]);
	if (csv->nrows == 0)
		bc_die("%s: no cases (only a header row)", path);
	cases->n = csv->nrows;
	cases->ids = bc_xmalloc(cases->n * sizeof(char *));
	cases->x = bc_xmalloc(cases->n * BC_FEATURES * sizeof(double));
	for (size_t i = 0; i < cases->n; i++) {
		const char *id = bc_cell(csv, i, 0);
		if (!bc_valid_id(id))
			bc_die("%s:%u: case id '%s' is not 1 to 64 of A-Z a-z 0-9 . _ -", path,
			       csv->lines[i], id);
		cases->ids[i] = (char *)id;
		for (size_t j = 0; j < BC_FEATURES; j++) {
			const char *s = bc_cell(csv, i, j + 1);
			double v;
			int r = bc_parse_double(s, &v);
			if (r != 0)
				bc_die("%s:%u: %s of case '%s' is '%s', not %s", path,
				       csv->lines[i], bc_feature_names[j], id, s,
				       r == -2 ? "a finite number" : "a number");
			cases->x[i * BC_FEATURES + j] = v;
		}
	}
	free(path);
}
