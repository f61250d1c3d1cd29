/*
 * out.c: everything the client prints: errors and notes on stderr, results
 * on stdout as tables fitted to the terminal, JSON or YAML, confirmations,
 * local times. Colour only on a terminal and never with NO_COLOR.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "client/cli.h"
#include "core/jsonw.h"
#include "core/timeutil.h"
#include "core/yaml.h"

int fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("medperf: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int fail_comms(const struct comms_result *r)
{
	int code = EXIT_SERVER;

	if (r->fail == COMMS_NETWORK)
		code = EXIT_NETWORK;
	else if (r->status == 401 || r->status == 403)
		code = EXIT_AUTH;
	else if (r->fail == COMMS_BAD_ANSWER || r->status >= 500)
		code = EXIT_FAIL;
	return fail(code, "%s", r->message[0] ? r->message : "the request failed");
}

void done_msg(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->json)
		return;
	fputs(c->color ? "\033[32m✔\033[0m " : "", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

int confirm(struct ctx *c, const char *question)
{
	char line[64];

	if (c->yes)
		return 1;
	if (!isatty(0)) {
		fprintf(stderr, "%s [y/N] (no terminal to ask: use -y to confirm)\n", question);
		return 0;
	}
	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

/* ---- JSON and YAML ---- */

static void json_pretty(struct buf *b, const json_t *v, int depth)
{
	const char *key;
	json_t *val;
	size_t i, n;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (json_object_size(v) == 0) {
			buf_adds(b, "{}");
			return;
		}
		buf_adds(b, "{\n");
		n = 0;
		json_object_foreach((json_t *)v, key, val) {
			buf_addf(b, "%*s", (depth + 1) * 2, "");
			jsonw_string(b, key, strlen(key));
			buf_adds(b, ": ");
			json_pretty(b, val, depth + 1);
			buf_adds(b, ++n < json_object_size(v) ? ",\n" : "\n");
		}
		buf_addf(b, "%*s}", depth * 2, "");
		return;
	case JSON_ARRAY:
		if (json_array_size(v) == 0) {
			buf_adds(b, "[]");
			return;
		}
		buf_adds(b, "[\n");
		json_array_foreach(v, i, val) {
			buf_addf(b, "%*s", (depth + 1) * 2, "");
			json_pretty(b, val, depth + 1);
			buf_adds(b, i + 1 < json_array_size(v) ? ",\n" : "\n");
		}
		buf_addf(b, "%*s]", depth * 2, "");
		return;
	default:
		jsonw_value(b, v);
	}
}

void print_json(const json_t *v)
{
	struct buf b;

	buf_init(&b, 0);
	json_pretty(&b, v, 0);
	buf_addch(&b, '\n');
	fwrite(b.data, 1, b.len, stdout);
	buf_release(&b);
}

void print_yaml(const json_t *v)
{
	struct buf b;

	buf_init(&b, 0);
	if (yaml_dump(&b, v) == 0)
		fwrite(b.data, 1, b.len, stdout);
	buf_release(&b);
}

const char *local_time(const char *iso, char out[32])
{
	struct tm tm;
	int64_t us;
	time_t t;

	if (iso == NULL || tm_parse_iso(iso, &us) != 0) {
		snprintf(out, 32, "%s", iso ? iso : "");
		return out;
	}
	t = (time_t)(us / 1000000);
	localtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
	return out;
}

/* ---- tables ---- */

struct table {
	int ncols;
	size_t nrows, cap;
	char **cells;   /* (nrows + 1) * ncols, row 0 the headers */
};

struct table *table_new(const char *const *headers, int ncols)
{
	struct table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->ncols = ncols;
	table_add(t, headers);
	return t;
}

void table_add(struct table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 16;
		char **p = realloc(t->cells, nc * (size_t)t->ncols * sizeof(char *));
		if (p == NULL)
			return;
		t->cells = p;
		t->cap = nc;
	}
	for (int i = 0; i < t->ncols; i++)
		t->cells[t->nrows * (size_t)t->ncols + (size_t)i] = strdup(cells[i] ? cells[i] : "");
	t->nrows++;
}

/* Display width of UTF-8 text (one column per code point). */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* Writes s in w columns: cut with "…" when longer, padded when pad. */
static void put_cell(const char *s, size_t w, int pad)
{
	size_t sw = width(s), cols = 0;
	const char *p = s;

	if (sw <= w) {
		fputs(s, stdout);
		if (pad)
			printf("%*s", (int)(w - sw), "");
		return;
	}
	for (; *p && cols < w - 1; p++) {
		fputc(*p, stdout);
		if (((unsigned char)p[1] & 0xc0) != 0x80)
			cols++;
	}
	while (*p && ((unsigned char)*p & 0xc0) == 0x80)
		fputc(*p++, stdout);
	fputs("…", stdout);
}

static size_t term_width(const struct ctx *c)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");
	long v;

	if (cols && (v = strtol(cols, NULL, 10)) > 20)
		return (size_t)v;
	if (c->tty_out && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		return ws.ws_col;
	return c->tty_out ? 80 : (size_t)-1;  /* no limit when piped */
}

void table_print(struct ctx *c, struct table *t)
{
	size_t w[64] = {0}, total = 0, maxw = term_width(c);
	int nc = t->ncols < 64 ? t->ncols : 64;

	for (size_t r = 0; r < t->nrows; r++)
		for (int i = 0; i < nc; i++) {
			size_t cw = width(t->cells[r * (size_t)t->ncols + (size_t)i]);
			if (cw > w[i])
				w[i] = cw;
		}
	for (int i = 0; i < nc; i++)
		total += w[i] + (i ? 2 : 0);
	/* too wide: shrink the widest column, repeatedly, down to 8 */
	while (maxw != (size_t)-1 && total > maxw) {
		int widest = 0;
		for (int i = 1; i < nc; i++)
			if (w[i] > w[widest])
				widest = i;
		if (w[widest] <= 8)
			break;
		w[widest]--;
		total--;
	}
	for (size_t r = 0; r < t->nrows; r++) {
		if (r == 0 && c->color)
			fputs("\033[1m", stdout);
		for (int i = 0; i < nc; i++) {
			if (i)
				fputs("  ", stdout);
			put_cell(t->cells[r * (size_t)t->ncols + (size_t)i], w[i], i < nc - 1);
		}
		if (r == 0 && c->color)
			fputs("\033[0m", stdout);
		fputc('\n', stdout);
	}
}

void table_free(struct table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}
