/*
 * yaml.c: YAML text <-> jansson values, matching PyYAML's safe_load and
 * safe_dump (see yaml.h for the contract).
 *
 * Reading runs in two passes, as PyYAML does. The composer turns libyaml's
 * events into a graph of nodes (an alias is a second edge to its anchor's
 * node); the constructor walks that graph from the root, resolves every
 * scalar with YAML 1.1's implicit rules (PyYAML's Resolver, hand-written
 * below instead of regular expressions), expands aliases and merge keys, and
 * builds the jansson value together with a tree of node positions. The
 * constructor counts what it builds, so that a few aliases cannot expand
 * into gigabytes ("billion laughs").
 *
 * Writing is a small block-style emitter laid out like PyYAML's (mappings
 * indented by two, sequences inside mappings not indented, "? " for keys
 * that cannot be simple keys). It does not fold long lines, and it writes
 * strings with line breaks double-quoted with escapes where PyYAML would
 * use folded single quotes; both read back the same.
 *
 * This file does not read or write files itself beyond yaml_load_file and
 * yaml_write_file, which use core/pkey.h's file helpers.
 */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "core/arena.h"
#include "core/jsonw.h"
#include "core/pkey.h"
#include "core/yaml.h"

/*
 * Limits. Input beyond YAML_MAX_INPUT is refused before libyaml sees it.
 * YAML_MAX_DEPTH bounds the recursion of the constructor and the emitter
 * (libyaml itself keeps explicit stacks). YAML_ALIAS_NODES and
 * YAML_ALIAS_BYTES bound what aliases and merge keys may add to the document
 * as written: the constructor may build that many more nodes (values, keys,
 * merged pairs) and string bytes than the composer saw, so that a large file
 * without aliases is never refused for its size alone.
 */
#define YAML_MAX_INPUT ((size_t)64 << 20)
#define YAML_MAX_DEPTH 1000
#define YAML_ALIAS_NODES ((size_t)1000000)
#define YAML_ALIAS_BYTES ((size_t)64 << 20)
#define YAML_FILE_MAX ((size_t)16 << 20)
/* A key of this many characters or more is written as "? key". */
#define YAML_SIMPLE_KEY_MAX 128

/* ------------------------------------------------------------------ */
/* Implicit resolution (PyYAML's Resolver, YAML 1.1)                   */
/* ------------------------------------------------------------------ */

/* What a node constructs to: the tags SafeConstructor knows, and more. */
enum ytag {
	YT_STR,
	YT_NULL,
	YT_BOOL,
	YT_INT,
	YT_FLOAT,
	YT_TIMESTAMP, /* kept as the string it is */
	YT_MERGE,     /* "<<": only meaningful as a mapping key */
	YT_VALUE,     /* "=": a string as a key, an error as a value */
	YT_SEQ,
	YT_MAP,
	YT_UNKNOWN,   /* any other explicit tag */
};

static const struct {
	const char *tag;
	enum ytag t;
} known_tags[] = {
	{ YAML_STR_TAG, YT_STR },
	{ YAML_NULL_TAG, YT_NULL },
	{ YAML_BOOL_TAG, YT_BOOL },
	{ YAML_INT_TAG, YT_INT },
	{ YAML_FLOAT_TAG, YT_FLOAT },
	{ YAML_TIMESTAMP_TAG, YT_TIMESTAMP },
	{ "tag:yaml.org,2002:merge", YT_MERGE },
	{ "tag:yaml.org,2002:value", YT_VALUE },
	{ YAML_SEQ_TAG, YT_SEQ },
	{ YAML_MAP_TAG, YT_MAP },
};

static const char *const tag_names[] = {
	[YT_STR] = YAML_STR_TAG,
	[YT_NULL] = YAML_NULL_TAG,
	[YT_BOOL] = YAML_BOOL_TAG,
	[YT_INT] = YAML_INT_TAG,
	[YT_FLOAT] = YAML_FLOAT_TAG,
	[YT_TIMESTAMP] = YAML_TIMESTAMP_TAG,
	[YT_MERGE] = "tag:yaml.org,2002:merge",
	[YT_VALUE] = "tag:yaml.org,2002:value",
	[YT_SEQ] = YAML_SEQ_TAG,
	[YT_MAP] = YAML_MAP_TAG,
	[YT_UNKNOWN] = "?",
};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_lit(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* True when s[*i..] starts with one char of set (set has no NUL). */
static int take(const char *s, size_t n, size_t *i, const char *set)
{
	if (*i < n && s[*i] != '\0' && strchr(set, s[*i])) {
		(*i)++;
		return 1;
	}
	return 0;
}

/* Consumes a run of chars from set; returns how many. */
static size_t take_run(const char *s, size_t n, size_t *i, const char *set)
{
	size_t start = *i;

	while (take(s, n, i, set))
		;
	return *i - start;
}

/* Between min and max digits, greedily. */
static int take_digits(const char *s, size_t n, size_t *i, size_t min, size_t max)
{
	size_t k = 0;

	while (k < max && *i < n && is_digit(s[*i])) {
		(*i)++;
		k++;
	}
	return k >= min;
}

#define DIGITS "0123456789"
#define DIGITS_ "0123456789_"

/* One or more (:[0-5]?[0-9]); the caller checks what follows. */
static int take_sexagesimal(const char *s, size_t n, size_t *i)
{
	int segs = 0;

	while (*i < n && s[*i] == ':') {
		size_t j = *i + 1;

		if (j + 1 < n && s[j] >= '0' && s[j] <= '5' && is_digit(s[j + 1]))
			j += 2;
		else if (j < n && is_digit(s[j]))
			j += 1;
		else
			return 0;
		*i = j;
		segs++;
	}
	return segs > 0;
}

static int match_bool(const char *s, size_t n, int *value)
{
	static const char *const words[] = {
		"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
		"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
	};

	for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
		if (is_lit(s, n, words[k])) {
			*value = k < 9;
			return 1;
		}
	}
	return 0;
}

static int match_null(const char *s, size_t n)
{
	return n == 0 || is_lit(s, n, "~") || is_lit(s, n, "null") || is_lit(s, n, "Null") ||
	       is_lit(s, n, "NULL");
}

/*
 * [-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?(?:0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+
 * | [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+
 */
static int match_int(const char *s, size_t n)
{
	size_t i = 0, j;

	take(s, n, &i, "-+");
	if (i >= n)
		return 0;
	if (s[i] == '0') {
		if (i + 1 == n)
			return 1;
		j = i + 2;
		if (s[i + 1] == 'b' && j < n && take_run(s, n, &j, "01_") == n - i - 2)
			return 1;
		if (s[i + 1] == 'x' && j < n) {
			while (j < n && (is_hex(s[j]) || s[j] == '_'))
				j++;
			if (j == n)
				return 1;
		}
		j = i + 1;
		return take_run(s, n, &j, "01234567_") == n - i - 1;
	}
	if (s[i] < '1' || s[i] > '9')
		return 0;
	i++;
	take_run(s, n, &i, DIGITS_);
	if (i == n)
		return 1;
	return take_sexagesimal(s, n, &i) && i == n;
}

/* (?:[eE][-+][0-9]+)? and the end of the string */
static int exponent_end(const char *s, size_t n, size_t i)
{
	if (i == n)
		return 1;
	if (!take(s, n, &i, "eE") || !take(s, n, &i, "-+"))
		return 0;
	return take_run(s, n, &i, DIGITS) > 0 && i == n;
}

/*
 * [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)? | \.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
 * | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)
 */
static int match_float(const char *s, size_t n)
{
	size_t i = 0;
	int sign;

	if (is_lit(s, n, ".nan") || is_lit(s, n, ".NaN") || is_lit(s, n, ".NAN"))
		return 1;
	sign = take(s, n, &i, "-+");
	if (i < n && s[i] == '.') {
		const char *rest = s + i + 1;
		size_t m = n - i - 1;

		if (is_lit(rest, m, "inf") || is_lit(rest, m, "Inf") || is_lit(rest, m, "INF"))
			return 1;
		if (sign || m == 0 || !is_digit(rest[0]))
			return 0;
		i += 2;
		take_run(s, n, &i, DIGITS_);
		return exponent_end(s, n, i);
	}
	if (i >= n || !is_digit(s[i]))
		return 0;
	take_run(s, n, &i, DIGITS_);
	if (i < n && s[i] == '.') {
		i++;
		take_run(s, n, &i, DIGITS_);
		return exponent_end(s, n, i);
	}
	if (!take_sexagesimal(s, n, &i) || i >= n || s[i] != '.')
		return 0;
	i++;
	take_run(s, n, &i, DIGITS_);
	return i == n;
}

/*
 * [0-9]{4}-[0-9]{2}-[0-9]{2}
 * | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}
 *   (?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?
 */
static int match_timestamp(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 10 && take_digits(s, n, &i, 4, 4) && take(s, n, &i, "-") &&
	    take_digits(s, n, &i, 2, 2) && take(s, n, &i, "-") && take_digits(s, n, &i, 2, 2))
		return 1;
	i = 0;
	if (!take_digits(s, n, &i, 4, 4) || !take(s, n, &i, "-") ||
	    !take_digits(s, n, &i, 1, 2) || !take(s, n, &i, "-") ||
	    !take_digits(s, n, &i, 1, 2))
		return 0;
	if (!take(s, n, &i, "Tt") && take_run(s, n, &i, " \t") == 0)
		return 0;
	if (!take_digits(s, n, &i, 1, 2) || !take(s, n, &i, ":") ||
	    !take_digits(s, n, &i, 2, 2) || !take(s, n, &i, ":") || !take_digits(s, n, &i, 2, 2))
		return 0;
	if (take(s, n, &i, "."))
		take_run(s, n, &i, DIGITS);
	if (i == n)
		return 1;
	take_run(s, n, &i, " \t");
	if (take(s, n, &i, "Z"))
		return i == n;
	if (!take(s, n, &i, "-+") || !take_digits(s, n, &i, 1, 2))
		return 0;
	if (take(s, n, &i, ":") && !take_digits(s, n, &i, 2, 2))
		return 0;
	return i == n;
}

/* The tag PyYAML's resolver gives a plain scalar. */
static enum ytag resolve_plain(const char *s, size_t n)
{
	int b;

	if (n == 0)
		return YT_NULL;
	switch (s[0]) {
	case 'y': case 'Y': case 'n': case 'N': case 't': case 'T':
	case 'f': case 'F': case 'o': case 'O':
		if (match_bool(s, n, &b))
			return YT_BOOL;
		break;
	default:
		break;
	}
	if (s[0] != '\0' && strchr("-+0123456789.", s[0]) && match_float(s, n))
		return YT_FLOAT;
	if (s[0] != '\0' && strchr("-+0123456789", s[0]) && match_int(s, n))
		return YT_INT;
	if (is_lit(s, n, "<<"))
		return YT_MERGE;
	if (match_null(s, n))
		return YT_NULL;
	if (is_digit(s[0]) && match_timestamp(s, n))
		return YT_TIMESTAMP;
	if (is_lit(s, n, "="))
		return YT_VALUE;
	return YT_STR;
}

/* ------------------------------------------------------------------ */
/* Scalar constructors (PyYAML's SafeConstructor)                      */
/* ------------------------------------------------------------------ */

/* s without '_', in a new buffer (for the number constructors). */
static int strip_underscores(const char *s, size_t n, struct buf *out)
{
	size_t i, run = 0;
	int rc = MP_OK;

	buf_init(out, n + 1);
	for (i = 0; rc == 0 && i < n; i++) {
		if (s[i] != '_') {
			run++;
			continue;
		}
		rc = buf_add(out, s + i - run, run);
		run = 0;
	}
	if (rc == 0)
		rc = buf_add(out, s + i - run, run);
	return rc;
}

/* Adds the digits of p (all in base) to *acc; -1 on a bad digit, -2 on overflow. */
static int accumulate(const char *p, size_t n, unsigned base, uint64_t *acc)
{
	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d;
		char c = p[i];

		if (is_digit(c))
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -1;
		if (d >= base)
			return -1;
		if (*acc > (UINT64_MAX - d) / base)
			return -2;
		*acc = *acc * base + d;
	}
	return 0;
}

/*
 * construct_yaml_int: '_' removed, then a sign, then 0, 0b.., 0x.., 0.. (octal),
 * a:b:c (base 60) or decimal. 0 ok, -1 not an integer, -2 outside int64.
 */
static int parse_int(const char *s, size_t n, json_int_t *out)
{
	struct buf b;
	const char *p;
	size_t m;
	uint64_t mag = 0;
	int neg = 0, rc;

	if (strip_underscores(s, n, &b))
		return -1;
	p = b.data;
	m = b.len;
	if (m && (p[0] == '-' || p[0] == '+')) {
		neg = p[0] == '-';
		p++;
		m--;
	}
	if (m == 0)
		rc = -1;
	else if (is_lit(p, m, "0"))
		rc = 0;
	else if (m >= 2 && p[0] == '0' && p[1] == 'b')
		rc = accumulate(p + 2, m - 2, 2, &mag);
	else if (m >= 2 && p[0] == '0' && p[1] == 'x')
		rc = accumulate(p + 2, m - 2, 16, &mag);
	else if (p[0] == '0' && m >= 2 && (p[1] == 'o' || p[1] == 'O'))
		rc = accumulate(p + 2, m - 2, 8, &mag); /* Python's int(x, 8) takes 0o */
	else if (p[0] == '0')
		rc = accumulate(p, m, 8, &mag);
	else if (memchr(p, ':', m)) {
		rc = 0;
		while (rc == 0 && m) {
			const char *colon = memchr(p, ':', m);
			size_t k = colon ? (size_t)(colon - p) : m;
			uint64_t part = 0;

			rc = accumulate(p, k, 10, &part);
			if (rc == 0 && mag > (UINT64_MAX - part) / 60)
				rc = -2;
			if (rc == 0)
				mag = mag * 60 + part;
			p += k;
			m -= k;
			if (colon) {
				p++;
				m--;
				if (m == 0)
					rc = -1;
			}
		}
	} else {
		rc = accumulate(p, m, 10, &mag);
	}
	buf_release(&b);
	if (rc)
		return rc;
	if (mag > (uint64_t)INT64_MAX + (uint64_t)neg)
		return -2;
	*out = neg ? (json_int_t)(0 - mag) : (json_int_t)mag;
	return 0;
}

/* Python's float(): [digits][.digits][e[+-]digits] with a digit, inf, infinity, nan. */
static int python_float_syntax(const char *p, size_t n)
{
	size_t i = 0, mant;

	if (is_lit(p, n, "inf") || is_lit(p, n, "infinity") || is_lit(p, n, "nan"))
		return 1;
	mant = take_run(p, n, &i, DIGITS);
	if (take(p, n, &i, "."))
		mant += take_run(p, n, &i, DIGITS);
	if (mant == 0)
		return 0;
	if (take(p, n, &i, "e")) {
		take(p, n, &i, "-+");
		if (take_run(p, n, &i, DIGITS) == 0)
			return 0;
	}
	return i == n;
}

/*
 * The value of a piece that passed python_float_syntax. strtod stops at the
 * ':' or NUL that ends the piece, so no copy is needed.
 */
static double piece_to_double(const char *p, size_t n)
{
	if (is_lit(p, n, "inf") || is_lit(p, n, "infinity"))
		return INFINITY;
	if (is_lit(p, n, "nan"))
		return NAN;
	return strtod(p, NULL);
}

/* construct_yaml_float: '_' removed, lowercased, sign, .inf, .nan, base 60, float(). */
static int parse_float(const char *s, size_t n, double *out)
{
	struct buf b;
	char *p;
	size_t m;
	double sign = 1, d = 0, base = 1;
	int rc = 0;

	if (strip_underscores(s, n, &b))
		return -1;
	for (size_t i = 0; i < b.len; i++)
		if (b.data[i] >= 'A' && b.data[i] <= 'Z')
			b.data[i] = (char)(b.data[i] - 'A' + 'a');
	p = b.data;
	m = b.len;
	if (m && (p[0] == '-' || p[0] == '+')) {
		sign = p[0] == '-' ? -1 : 1;
		p++;
		m--;
	}
	if (is_lit(p, m, ".inf")) {
		d = INFINITY;
	} else if (is_lit(p, m, ".nan")) {
		d = NAN;
		sign = 1;
	} else if (m && memchr(p, ':', m)) {
		/* digits reversed, value += digit * base, base *= 60 */
		while (rc == 0 && m) {
			char *colon = memrchr(p, ':', m);
			size_t start = colon ? (size_t)(colon - p) + 1 : 0;

			if (!python_float_syntax(p + start, m - start))
				rc = -1;
			else
				d += piece_to_double(p + start, m - start) * base;
			base *= 60;
			m = colon ? start - 1 : 0;
			if (colon && m == 0)
				rc = -1;
		}
	} else if (python_float_syntax(p, m)) {
		d = piece_to_double(p, m);
	} else {
		rc = -1;
	}
	buf_release(&b);
	if (rc == 0)
		*out = sign * d;
	return rc;
}

/* construct_yaml_bool on an explicit !!bool: the lowercased word. */
static int parse_bool(const char *s, size_t n, int *value)
{
	static const char *const words[] = { "yes", "true", "on", "no", "false", "off" };
	char low[8];

	if (n >= sizeof(low))
		return -1;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	for (size_t k = 0; k < 6; k++) {
		if (is_lit(low, n, words[k])) {
			*value = k < 3;
			return 0;
		}
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* Composer: libyaml events -> node graph                              */
/* ------------------------------------------------------------------ */

enum ykind { YN_SCALAR, YN_SEQ, YN_MAP };

static const char *const kind_names[] = { "scalar", "sequence", "mapping" };

struct ynode;

/* A place in a collection: the node and where it was referred to. */
struct yslot {
	struct ynode *node;
	int line, col; /* of the node, or of the alias that names it */
};

struct ynode {
	struct yslot *kids; /* sequence items; mapping key, value, key, value, ... */
	size_t n, cap;
	const char *tag;    /* explicit tag; NULL when there is none (or "!") */
	const char *value;  /* scalar text, len bytes (may hold NULs) */
	size_t len;
	int line, col;
	unsigned char kind;
	unsigned char implicit; /* plain scalar without a specific tag: resolve it */
	unsigned char done;     /* its end was seen, so aliases may refer to it */
};

struct composer {
	struct arena *a;
	const char *name;
	mp_errbuf *e;
	struct yslot root;
	struct ynode *stack[YAML_MAX_DEPTH];
	size_t depth;
	json_t *anchors;        /* name -> index into anodes */
	struct ynode **anodes;
	size_t nanchors, capanchors;
	int ndocs;
	size_t nodes, bytes;    /* as written: scalars and collections, scalar bytes */
};

/* Formats "NAME:LINE:COL: message" into e and returns MP_EINVAL. */
static int at_error(mp_errbuf *e, const char *name, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int at_error(mp_errbuf *e, const char *name, int line, int col, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mp_seterr(e, MP_EINVAL, "%s:%d:%d: %s", name, line, col, msg);
}

static int mark_int(size_t v)
{
	return v >= (size_t)INT_MAX ? INT_MAX : (int)v + 1;
}

/* Line and column (1-based, in characters) of byte offset off of text. */
static void offset_position(const char *text, size_t len, size_t off, int *line, int *col)
{
	size_t l = 0, c = 0;

	if (off > len)
		off = len;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			l++;
			c = 0;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			c++;
		}
	}
	*line = mark_int(l);
	*col = mark_int(c);
}

static int parser_error(const yaml_parser_t *p, const char *text, size_t len, const char *name,
			mp_errbuf *e)
{
	const char *problem = p->problem ? p->problem : "syntax error";
	int line, col;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return mp_seterr(e, MP_ENOMEM, "%s: out of memory while parsing YAML", name);
	case YAML_READER_ERROR:
		offset_position(text, len, p->problem_offset, &line, &col);
		return at_error(e, name, line, col, "%s", problem);
	case YAML_SCANNER_ERROR:
	case YAML_PARSER_ERROR:
		line = mark_int(p->problem_mark.line);
		col = mark_int(p->problem_mark.column);
		if (p->context == NULL)
			return at_error(e, name, line, col, "%s", problem);
		if (p->context_mark.line != p->problem_mark.line)
			return at_error(e, name, line, col, "%s (%s at line %d)", problem, p->context,
					mark_int(p->context_mark.line));
		return at_error(e, name, line, col, "%s (%s)", problem, p->context);
	default:
		return mp_seterr(e, MP_EINVAL, "%s: cannot parse YAML", name);
	}
}

static struct ynode *new_node(struct composer *c, enum ykind kind, const yaml_event_t *ev,
			      const yaml_char_t *tag)
{
	struct ynode *n = arena_alloc(c->a, sizeof(*n));

	if (n == NULL)
		return NULL;
	c->nodes++;
	n->kind = (unsigned char)kind;
	n->line = mark_int(ev->start_mark.line);
	n->col = mark_int(ev->start_mark.column);
	if (tag && strcmp((const char *)tag, "!") != 0) {
		n->tag = arena_strdup(c->a, (const char *)tag);
		if (n->tag == NULL)
			return NULL;
	}
	return n;
}

static int add_child(struct composer *c, struct ynode *n, const yaml_event_t *ev)
{
	struct yslot s = { n, mark_int(ev->start_mark.line), mark_int(ev->start_mark.column) };
	struct ynode *parent;

	if (c->depth == 0) {
		c->root = s;
		return MP_OK;
	}
	parent = c->stack[c->depth - 1];
	if (parent->n == parent->cap) {
		size_t ncap = parent->cap ? parent->cap * 2 : 4;
		struct yslot *k;

		if (ncap > SIZE_MAX / sizeof(*k))
			return MP_ENOMEM;
		k = arena_alloc(c->a, ncap * sizeof(*k));
		if (k == NULL)
			return MP_ENOMEM;
		if (parent->n)
			memcpy(k, parent->kids, parent->n * sizeof(*k));
		parent->kids = k;
		parent->cap = ncap;
	}
	parent->kids[parent->n++] = s;
	return MP_OK;
}

static int add_anchor(struct composer *c, const yaml_char_t *anchor, struct ynode *n)
{
	const char *name = (const char *)anchor;
	json_t *idx;

	if (anchor == NULL)
		return MP_OK;
	if (json_object_get(c->anchors, name))
		return at_error(c->e, c->name, n->line, n->col, "found duplicate anchor '%s'", name);
	if (c->nanchors == c->capanchors) {
		size_t ncap = c->capanchors ? c->capanchors * 2 : 16;
		struct ynode **p = realloc(c->anodes, ncap * sizeof(*p));

		if (p == NULL)
			return MP_ENOMEM;
		c->anodes = p;
		c->capanchors = ncap;
	}
	idx = json_integer((json_int_t)c->nanchors);
	if (idx == NULL || json_object_set_new(c->anchors, name, idx))
		return MP_ENOMEM;
	c->anodes[c->nanchors++] = n;
	return MP_OK;
}

static int on_alias(struct composer *c, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	json_t *idx = json_object_get(c->anchors, name);
	int line = mark_int(ev->start_mark.line), col = mark_int(ev->start_mark.column);
	struct ynode *n;

	if (idx == NULL || c->anodes == NULL)
		return at_error(c->e, c->name, line, col, "found undefined alias '%s'", name);
	n = c->anodes[json_integer_value(idx)];
	if (!n->done)
		return at_error(c->e, c->name, line, col,
				"alias '%s' refers to a collection that contains it", name);
	return add_child(c, n, ev);
}

static int on_scalar(struct composer *c, const yaml_event_t *ev)
{
	struct ynode *n = new_node(c, YN_SCALAR, ev, ev->data.scalar.tag);
	int rc;

	if (n == NULL)
		return MP_ENOMEM;
	n->value = arena_strndup(c->a, (const char *)ev->data.scalar.value, ev->data.scalar.length);
	if (n->value == NULL)
		return MP_ENOMEM;
	n->len = ev->data.scalar.length;
	c->bytes += n->len;
	n->implicit = ev->data.scalar.plain_implicit != 0;
	n->done = 1;
	rc = add_anchor(c, ev->data.scalar.anchor, n);
	return rc ? rc : add_child(c, n, ev);
}

static int on_start(struct composer *c, const yaml_event_t *ev, enum ykind kind)
{
	const yaml_char_t *tag, *anchor;
	struct ynode *n;
	int rc;

	if (kind == YN_SEQ) {
		tag = ev->data.sequence_start.tag;
		anchor = ev->data.sequence_start.anchor;
	} else {
		tag = ev->data.mapping_start.tag;
		anchor = ev->data.mapping_start.anchor;
	}
	if (c->depth == YAML_MAX_DEPTH)
		return at_error(c->e, c->name, mark_int(ev->start_mark.line),
				mark_int(ev->start_mark.column), "nesting deeper than %d levels",
				YAML_MAX_DEPTH);
	n = new_node(c, kind, ev, tag);
	if (n == NULL)
		return MP_ENOMEM;
	rc = add_anchor(c, anchor, n);
	if (rc == 0)
		rc = add_child(c, n, ev);
	if (rc == 0)
		c->stack[c->depth++] = n;
	return rc;
}

static int on_event(struct composer *c, const yaml_event_t *ev, int *end)
{
	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		*end = 1;
		return MP_OK;
	case YAML_DOCUMENT_START_EVENT:
		if (c->ndocs++)
			return at_error(c->e, c->name, mark_int(ev->start_mark.line),
					mark_int(ev->start_mark.column),
					"expected a single document in the stream, but found another document");
		return MP_OK;
	case YAML_ALIAS_EVENT:
		return on_alias(c, ev);
	case YAML_SCALAR_EVENT:
		return on_scalar(c, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(c, ev, YN_SEQ);
	case YAML_MAPPING_START_EVENT:
		return on_start(c, ev, YN_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (c->depth)
			c->stack[--c->depth]->done = 1;
		return MP_OK;
	default:
		return MP_OK;
	}
}

static int compose(struct composer *c, const char *text, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int rc = MP_OK, end = 0;

	if (!yaml_parser_initialize(&p))
		return mp_seterr(c->e, MP_ENOMEM, "%s: out of memory", c->name);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (rc == 0 && !end) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = parser_error(&p, text, len, c->name, c->e);
			break;
		}
		rc = on_event(c, &ev, &end);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (rc == MP_ENOMEM)
		mp_seterr(c->e, rc, "%s: out of memory", c->name);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Positions                                                           */
/* ------------------------------------------------------------------ */

struct ypos;

struct ypos_ent {
	const char *key;
	size_t klen;
	size_t order;      /* while building: later duplicates win */
	struct ypos *pos;
};

struct ypos {
	int line;
	unsigned char kind;
	size_t n;
	struct ypos **items;     /* sequences */
	struct ypos_ent *ents;   /* mappings, sorted by key */
};

struct yaml_doc {
	struct arena *a;
	struct ypos *root;
};

static int key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* By key, then by the order the pairs came in. */
static int ent_cmp(const void *pa, const void *pb)
{
	const struct ypos_ent *x = pa, *y = pb;
	int c = key_cmp(x->key, x->klen, y->key, y->klen);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Sorts ents by key, keeps the last of each duplicate, copies them to a. */
static int finish_map_pos(struct arena *a, struct ypos *pos, struct ypos_ent *ents, size_t n)
{
	size_t out = 0;

	if (n == 0)
		return MP_OK;
	qsort(ents, n, sizeof(*ents), ent_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && ents[i].klen == ents[i + 1].klen &&
		    memcmp(ents[i].key, ents[i + 1].key, ents[i].klen) == 0)
			continue;
		ents[out++] = ents[i];
	}
	pos->ents = arena_alloc(a, out * sizeof(*ents));
	if (pos->ents == NULL)
		return MP_ENOMEM;
	memcpy(pos->ents, ents, out * sizeof(*ents));
	pos->n = out;
	return MP_OK;
}

static const struct ypos *pos_child(const struct ypos *p, const char *tok, size_t n)
{
	if (p->kind == YN_SEQ) {
		size_t idx = 0;

		if (n == 0 || (n > 1 && tok[0] == '0'))
			return NULL;
		for (size_t i = 0; i < n; i++) {
			if (!is_digit(tok[i]) || idx > (SIZE_MAX - 9) / 10)
				return NULL;
			idx = idx * 10 + (size_t)(tok[i] - '0');
		}
		return idx < p->n ? p->items[idx] : NULL;
	}
	if (p->kind == YN_MAP) {
		size_t lo = 0, hi = p->n;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int c = key_cmp(tok, n, p->ents[mid].key, p->ents[mid].klen);

			if (c == 0)
				return p->ents[mid].pos;
			if (c < 0)
				hi = mid;
			else
				lo = mid + 1;
		}
	}
	return NULL;
}

int yaml_line(const struct yaml_doc *doc, const char *ptr)
{
	const struct ypos *p;
	struct buf tok;

	if (doc == NULL || doc->root == NULL)
		return 0;
	p = doc->root;
	if (ptr == NULL || ptr[0] != '/')
		return p->line;
	buf_init(&tok, 0);
	while (*ptr == '/') {
		const char *s = ptr + 1, *end = strchr(s, '/');
		const struct ypos *next;
		int rc = 0;

		if (end == NULL)
			end = s + strlen(s);
		buf_reset(&tok);
		for (; rc == 0 && s < end; s++) {
			if (*s == '~' && s + 1 < end && (s[1] == '0' || s[1] == '1'))
				rc = buf_addch(&tok, *++s == '0' ? '~' : '/');
			else
				rc = buf_addch(&tok, *s);
		}
		next = rc ? NULL : pos_child(p, tok.data, tok.len);
		if (next == NULL)
			break;
		p = next;
		ptr = end;
	}
	buf_release(&tok);
	return p->line;
}

void yaml_doc_free(struct yaml_doc *doc)
{
	if (doc == NULL)
		return;
	arena_free(doc->a);
	free(doc);
}

/* ------------------------------------------------------------------ */
/* Constructor: node graph -> jansson value (+ positions)              */
/* ------------------------------------------------------------------ */

struct builder {
	const char *name;
	mp_errbuf *e;
	size_t nodes, bytes;         /* built so far */
	size_t max_nodes, max_bytes; /* as written, plus what aliases may add */
	struct arena *pa; /* positions; NULL when the caller wants none */
};

/* A flattened mapping: key and value slots, merges first (flatten_mapping). */
struct pairs {
	struct yslot *p; /* key, value, key, value ... */
	size_t n, cap;   /* in slots */
};

static int construct(struct builder *b, const struct yslot *s, int depth, json_t **out,
		     struct ypos **pos);

static enum ytag node_tag(const struct ynode *n)
{
	if (n->kind == YN_SCALAR && n->implicit)
		return resolve_plain(n->value, n->len);
	if (n->tag == NULL)
		return n->kind == YN_SCALAR ? YT_STR : n->kind == YN_SEQ ? YT_SEQ : YT_MAP;
	for (size_t i = 0; i < sizeof(known_tags) / sizeof(known_tags[0]); i++)
		if (strcmp(n->tag, known_tags[i].tag) == 0)
			return known_tags[i].t;
	return YT_UNKNOWN;
}

static int count_node(struct builder *b, const struct yslot *s, size_t bytes)
{
	if (++b->nodes > b->max_nodes)
		return at_error(b->e, b->name, s->line, s->col,
				"aliases expand the document by more than %zu nodes",
				YAML_ALIAS_NODES);
	if (bytes > b->max_bytes - b->bytes)
		return at_error(b->e, b->name, s->line, s->col,
				"aliases expand the document by more than %zu bytes of text",
				YAML_ALIAS_BYTES);
	b->bytes += bytes;
	return MP_OK;
}

static int too_deep(struct builder *b, const struct yslot *s)
{
	return at_error(b->e, b->name, s->line, s->col, "nesting deeper than %d levels",
			YAML_MAX_DEPTH);
}

static int oom(struct builder *b)
{
	return mp_seterr(b->e, MP_ENOMEM, "%s: out of memory", b->name);
}

/* Special float values: 0 finite, 1 nan, 2 +inf, 3 -inf. */
static int float_kind(double d)
{
	if (isnan(d))
		return 1;
	if (isinf(d))
		return d > 0 ? 2 : 3;
	return 0;
}

/*
 * Constructs scalar node n with tag t. *special is the float_kind of a
 * float (nan and infinities become the strings "nan", "Infinity", "-Infinity").
 */
static int construct_scalar(struct builder *b, const struct yslot *s, enum ytag t, json_t **out,
			    int *special)
{
	const struct ynode *n = s->node;
	json_int_t iv;
	double d;
	int bv, rc;

	*special = 0;
	*out = NULL;
	if (t == YT_UNKNOWN)
		return at_error(b->e, b->name, n->line, n->col,
				"could not determine a constructor for the tag '%s'", n->tag);
	if (t == YT_MERGE || t == YT_VALUE)
		return at_error(b->e, b->name, n->line, n->col,
				"could not determine a constructor for the tag '%s'", tag_names[t]);
	if (t == YT_SEQ || t == YT_MAP)
		return at_error(b->e, b->name, n->line, n->col, "expected a %s node, but found %s",
				kind_names[t == YT_SEQ ? YN_SEQ : YN_MAP], kind_names[n->kind]);
	if (n->kind != YN_SCALAR)
		return at_error(b->e, b->name, n->line, n->col,
				"expected a scalar node, but found %s", kind_names[n->kind]);
	switch (t) {
	case YT_NULL:
		*out = json_null();
		break;
	case YT_BOOL:
		if (n->implicit ? !match_bool(n->value, n->len, &bv)
				: parse_bool(n->value, n->len, &bv) != 0)
			return at_error(b->e, b->name, n->line, n->col, "invalid boolean '%.40s'",
					n->value);
		*out = json_boolean(bv);
		break;
	case YT_INT:
		rc = parse_int(n->value, n->len, &iv);
		if (rc == -2)
			return at_error(b->e, b->name, n->line, n->col,
					"integer '%.40s' does not fit in 64 bits", n->value);
		if (rc)
			return at_error(b->e, b->name, n->line, n->col, "invalid integer '%.40s'",
					n->value);
		*out = json_integer(iv);
		break;
	case YT_FLOAT:
		if (parse_float(n->value, n->len, &d))
			return at_error(b->e, b->name, n->line, n->col, "invalid float '%.40s'",
					n->value);
		*special = float_kind(d);
		if (*special == 1)
			*out = json_string("nan");
		else if (*special)
			*out = json_string(*special == 2 ? "Infinity" : "-Infinity");
		else
			*out = json_real(d);
		break;
	default: /* YT_STR, YT_TIMESTAMP */
		*out = json_stringn(n->value, n->len);
		if (*out == NULL)
			return at_error(b->e, b->name, n->line, n->col, "invalid UTF-8 in a string");
		break;
	}
	return *out ? MP_OK : oom(b);
}

/* A mapping key as the text json.dumps would write for it. */
static int construct_key(struct builder *b, const struct yslot *s, struct buf *key)
{
	static const char *const specials[] = { NULL, "NaN", "Infinity", "-Infinity" };
	const struct ynode *n = s->node;
	enum ytag t = node_tag(n);
	json_t *v = NULL;
	int special, rc;

	buf_reset(key);
	if (n->kind != YN_SCALAR && (t == YT_SEQ || t == YT_MAP))
		return at_error(b->e, b->name, s->line, s->col,
				"found unhashable key (while constructing a mapping)");
	if (t == YT_VALUE)
		t = YT_STR; /* flatten_mapping: a "=" key is the string "=" */
	rc = construct_scalar(b, s, t, &v, &special);
	if (rc == 0 && special)
		rc = buf_adds(key, specials[special]);
	else if (rc == 0 && json_is_string(v))
		rc = buf_add(key, json_string_value(v), json_string_length(v));
	else if (rc == 0)
		rc = jsonw_value(key, v);
	json_decref(v);
	if (rc == MP_ENOMEM || rc == MP_ETOOBIG)
		return oom(b);
	return rc ? rc : count_node(b, s, key->len);
}

static int pairs_add(struct pairs *pr, const struct yslot *k, const struct yslot *v)
{
	if (pr->n + 2 > pr->cap) {
		size_t ncap = pr->cap ? pr->cap * 2 : 16;
		struct yslot *p;

		if (ncap > SIZE_MAX / sizeof(*p))
			return MP_ENOMEM;
		p = realloc(pr->p, ncap * sizeof(*p));
		if (p == NULL)
			return MP_ENOMEM;
		pr->p = p;
		pr->cap = ncap;
	}
	pr->p[pr->n++] = *k;
	pr->p[pr->n++] = *v;
	return MP_OK;
}

static int pairs_append(struct pairs *to, const struct pairs *from)
{
	int rc = MP_OK;

	for (size_t i = 0; rc == 0 && i < from->n; i += 2)
		rc = pairs_add(to, &from->p[i], &from->p[i + 1]);
	return rc;
}

static int flatten(struct builder *b, const struct yslot *map, int depth, struct pairs *out);

/* One "<<" value: a mapping, or a sequence of mappings (the first wins). */
static int flatten_merge(struct builder *b, const struct yslot *map, const struct yslot *v,
			 int depth, struct pairs *merge)
{
	const struct ynode *vn = v->node;
	struct pairs sub = { 0 };
	int rc = MP_OK;

	if (vn->kind == YN_MAP) {
		rc = flatten(b, v, depth + 1, &sub);
		if (rc == 0)
			rc = pairs_append(merge, &sub);
		free(sub.p);
		return rc;
	}
	if (vn->kind != YN_SEQ)
		return at_error(b->e, b->name, v->line, v->col,
				"expected a mapping or list of mappings for merging, but found %s "
				"(while constructing the mapping at line %d)",
				kind_names[vn->kind], map->line);
	for (size_t i = 0; i < vn->n; i++) {
		const struct yslot *item = &vn->kids[i];

		if (item->node->kind != YN_MAP)
			return at_error(b->e, b->name, item->line, item->col,
					"expected a mapping for merging, but found %s "
					"(while constructing the mapping at line %d)",
					kind_names[item->node->kind], map->line);
	}
	/* submerge.reverse(): later mappings first, so earlier ones override */
	for (size_t i = vn->n; rc == 0 && i-- > 0;) {
		sub.n = 0;
		rc = flatten(b, &vn->kids[i], depth + 1, &sub);
		if (rc == 0)
			rc = pairs_append(merge, &sub);
	}
	free(sub.p);
	return rc;
}

/* flatten_mapping: the pairs of map, "<<" merges first, then its own pairs. */
static int flatten(struct builder *b, const struct yslot *map, int depth, struct pairs *out)
{
	const struct ynode *n = map->node;
	struct pairs merge = { 0 }, own = { 0 };
	int rc = MP_OK;

	if (depth > YAML_MAX_DEPTH)
		return too_deep(b, map);
	for (size_t i = 0; rc == 0 && i + 1 < n->n; i += 2) {
		const struct yslot *k = &n->kids[i], *v = &n->kids[i + 1];

		if (k->node->kind == YN_SCALAR && node_tag(k->node) == YT_MERGE)
			rc = flatten_merge(b, map, v, depth, &merge);
		else
			rc = pairs_add(&own, k, v);
	}
	if (rc == 0)
		rc = pairs_append(out, &merge);
	if (rc == 0)
		rc = pairs_append(out, &own);
	/* every merged pair is work, as much as a node */
	for (size_t i = 0; rc == 0 && i < merge.n; i += 2)
		rc = count_node(b, &merge.p[i], 0);
	free(merge.p);
	free(own.p);
	if (rc == MP_ENOMEM)
		return oom(b);
	return rc;
}

static int construct_map(struct builder *b, const struct yslot *s, int depth, json_t *obj,
			 struct ypos *pos)
{
	struct pairs pr = { 0 };
	struct ypos_ent *ents = NULL;
	struct buf key;
	int rc;

	buf_init(&key, 0);
	rc = flatten(b, s, depth, &pr);
	if (rc == 0 && pos && pr.n) {
		ents = calloc(pr.n / 2, sizeof(*ents));
		if (ents == NULL)
			rc = oom(b);
	}
	for (size_t i = 0; rc == 0 && i < pr.n; i += 2) {
		json_t *v = NULL;
		struct ypos *vp = NULL;

		rc = construct_key(b, &pr.p[i], &key);
		if (rc == 0)
			rc = construct(b, &pr.p[i + 1], depth + 1, &v, pos ? &vp : NULL);
		if (rc)
			break;
		if (json_object_setn_new(obj, key.data, key.len, v)) {
			rc = oom(b);
			break;
		}
		if (ents) {
			vp->line = pr.p[i].line; /* a member's line is its key's */
			ents[i / 2].key = arena_strndup(b->pa, key.data, key.len);
			ents[i / 2].klen = key.len;
			ents[i / 2].order = i;
			ents[i / 2].pos = vp;
			if (ents[i / 2].key == NULL)
				rc = oom(b);
		}
	}
	if (rc == 0 && ents && finish_map_pos(b->pa, pos, ents, pr.n / 2))
		rc = oom(b);
	free(ents);
	free(pr.p);
	buf_release(&key);
	return rc;
}

static int construct_seq(struct builder *b, const struct yslot *s, int depth, json_t *arr,
			 struct ypos *pos)
{
	const struct ynode *n = s->node;
	int rc = MP_OK;

	if (pos && n->n) {
		pos->items = arena_alloc(b->pa, n->n * sizeof(*pos->items));
		if (pos->items == NULL)
			return oom(b);
		pos->n = n->n;
	}
	for (size_t i = 0; rc == 0 && i < n->n; i++) {
		json_t *v = NULL;

		rc = construct(b, &n->kids[i], depth + 1, &v, pos ? &pos->items[i] : NULL);
		if (rc == 0 && json_array_append_new(arr, v))
			rc = oom(b);
	}
	return rc;
}

static int construct(struct builder *b, const struct yslot *s, int depth, json_t **out,
		     struct ypos **pos)
{
	const struct ynode *n = s->node;
	enum ytag t = node_tag(n);
	struct ypos *p = NULL;
	json_t *v = NULL;
	int rc, special;

	*out = NULL;
	if (depth > YAML_MAX_DEPTH)
		return too_deep(b, s);
	rc = count_node(b, s, n->kind == YN_SCALAR ? n->len : 0);
	if (rc)
		return rc;
	if (pos) {
		p = arena_alloc(b->pa, sizeof(*p));
		if (p == NULL)
			return oom(b);
		p->line = s->line;
		p->kind = YN_SCALAR;
		*pos = p;
	}
	if (t == YT_SEQ || t == YT_MAP) {
		enum ykind want = t == YT_SEQ ? YN_SEQ : YN_MAP;

		if (n->kind != want)
			return at_error(b->e, b->name, n->line, n->col,
					"expected a %s node, but found %s", kind_names[want],
					kind_names[n->kind]);
		v = want == YN_SEQ ? json_array() : json_object();
		if (v == NULL)
			return oom(b);
		if (p)
			p->kind = (unsigned char)want;
		rc = want == YN_SEQ ? construct_seq(b, s, depth, v, p)
				    : construct_map(b, s, depth, v, p);
	} else {
		rc = construct_scalar(b, s, t, &v, &special);
	}
	if (rc) {
		json_decref(v);
		return rc;
	}
	*out = v;
	return MP_OK;
}

/* ------------------------------------------------------------------ */
/* Parsing entry points                                                */
/* ------------------------------------------------------------------ */

int yaml_parse(const char *text, size_t len, const char *name, json_t **out,
	       struct yaml_doc **doc, mp_errbuf *e)
{
	struct composer c = { 0 };
	struct builder b = { 0 };
	struct yaml_doc *d = NULL;
	struct ypos *root = NULL;
	json_t *v = NULL;
	int rc;

	*out = NULL;
	if (doc)
		*doc = NULL;
	if (name == NULL)
		name = "<yaml>";
	if (text == NULL) {
		if (len)
			return mp_seterr(e, MP_EINVAL, "%s: no text", name);
		text = "";
	}
	if (len > YAML_MAX_INPUT)
		return mp_seterr(e, MP_ETOOBIG, "%s: YAML text larger than %zu bytes", name,
				 YAML_MAX_INPUT);
	c.name = name;
	c.e = e;
	c.a = arena_new();
	c.anchors = json_object();
	if (c.a == NULL || c.anchors == NULL) {
		rc = mp_seterr(e, MP_ENOMEM, "%s: out of memory", name);
		goto out;
	}
	rc = compose(&c, text, len);
	if (rc)
		goto out;
	if (doc) {
		d = calloc(1, sizeof(*d));
		if (d)
			d->a = arena_new();
		if (d == NULL || d->a == NULL) {
			rc = mp_seterr(e, MP_ENOMEM, "%s: out of memory", name);
			goto out;
		}
	}
	b.name = name;
	b.e = e;
	b.max_nodes = c.nodes + YAML_ALIAS_NODES;
	b.max_bytes = c.bytes + YAML_ALIAS_BYTES;
	b.pa = d ? d->a : NULL;
	if (c.root.node) {
		rc = construct(&b, &c.root, 0, &v, d ? &root : NULL);
		if (rc)
			goto out;
	} else {
		/* an empty stream is one empty (null) document */
		v = json_null();
		if (d) {
			root = arena_alloc(d->a, sizeof(*root));
			if (root == NULL) {
				rc = mp_seterr(e, MP_ENOMEM, "%s: out of memory", name);
				goto out;
			}
			root->line = 1;
		}
	}
	if (d) {
		d->root = root;
		*doc = d;
		d = NULL;
	}
	*out = v;
	v = NULL;
out:
	json_decref(v);
	yaml_doc_free(d);
	free(c.anodes);
	json_decref(c.anchors);
	arena_free(c.a);
	return rc;
}

int yaml_load_file(const char *path, size_t max, json_t **out, struct yaml_doc **doc,
		   mp_errbuf *e)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (doc)
		*doc = NULL;
	rc = file_read_all(path, max ? max : YAML_FILE_MAX, &text, &len, e);
	if (rc == 0)
		rc = yaml_parse(text, len, path, out, doc, e);
	free(text);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

enum sstyle { ST_PLAIN, ST_SINGLE, ST_DOUBLE };

struct sinfo {
	enum sstyle style;
	int simple_key; /* short, not empty, no line break: "key: value" */
};

/* Decodes one UTF-8 character at s[*i]; -1 when invalid. */
static int utf8_next(const unsigned char *s, size_t n, size_t *i, uint32_t *cp)
{
	unsigned char c = s[*i];
	size_t k, len;
	uint32_t v, min;

	if (c < 0x80) {
		*cp = c;
		(*i)++;
		return 0;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return -1;
	}
	if (n - *i < len)
		return -1;
	for (k = 1; k < len; k++) {
		if ((s[*i + k] & 0xc0) != 0x80)
			return -1;
		v = (v << 6) | (s[*i + k] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return -1;
	*cp = v;
	*i += len;
	return 0;
}

/* Characters that only a double-quoted scalar can carry (as escapes). */
static int needs_escape(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0xfeff || cp == 0xfffe || cp == 0xffff;
}

static int is_break(uint32_t cp)
{
	return cp == '\n' || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
}

/* PyYAML's whitespace for indicator checks: end, blank or line break. */
static int ws_at(const unsigned char *s, size_t n, size_t i)
{
	if (i >= n || s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')
		return 1;
	if (s[i] == 0xc2 && i + 1 < n && s[i + 1] == 0x85)
		return 1;
	return s[i] == 0xe2 && i + 2 < n && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9);
}

/*
 * PyYAML's analyze_scalar for block context with allow_unicode: plain when
 * nothing in it is an indicator and it resolves back to a string; single
 * quotes when it is printable; double quotes otherwise.
 */
static int analyze(const char *str, size_t n, struct sinfo *si)
{
	static const char first_indicators[] = "#,[]{}&*!|>'\"%@`";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, chars = 0;
	int special = 0, breaks = 0, indicators = 0, prev_ws = 1;

	if (n >= 3 && (memcmp(s, "---", 3) == 0 || memcmp(s, "...", 3) == 0))
		indicators = 1;
	while (i < n) {
		size_t at = i;
		uint32_t cp;
		int next_ws;

		if (utf8_next(s, n, &i, &cp))
			return MP_EINVAL;
		chars++;
		next_ws = ws_at(s, n, i);
		if (at == 0) {
			if (cp != 0 && cp < 0x80 && strchr(first_indicators, (int)cp))
				indicators = 1;
			if ((cp == '?' || cp == ':' || cp == '-') && next_ws)
				indicators = 1;
		} else if ((cp == ':' && next_ws) || (cp == '#' && prev_ws)) {
			indicators = 1;
		}
		special |= needs_escape(cp);
		breaks |= is_break(cp);
		prev_ws = cp == ' ' || cp == '\t' || cp == '\r' || is_break(cp);
	}
	si->simple_key = n > 0 && chars < YAML_SIMPLE_KEY_MAX && !breaks;
	if (special)
		si->style = ST_DOUBLE;
	else if (n == 0 || indicators || s[0] == ' ' || s[n - 1] == ' ' ||
		 resolve_plain(str, n) != YT_STR)
		si->style = ST_SINGLE;
	else
		si->style = ST_PLAIN;
	return MP_OK;
}

static int put_double_quoted(struct buf *b, const char *str, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	int rc = buf_addch(b, '"');

	while (rc == 0 && i < n) {
		size_t at = i;
		uint32_t cp;
		char esc[8];
		size_t k = 0;

		if (utf8_next(s, n, &i, &cp))
			return MP_EINVAL;
		esc[k++] = '\\';
		switch (cp) {
		case 0: esc[k++] = '0'; break;
		case 0x07: esc[k++] = 'a'; break;
		case 0x08: esc[k++] = 'b'; break;
		case 0x09: esc[k++] = 't'; break;
		case 0x0a: esc[k++] = 'n'; break;
		case 0x0b: esc[k++] = 'v'; break;
		case 0x0c: esc[k++] = 'f'; break;
		case 0x0d: esc[k++] = 'r'; break;
		case 0x1b: esc[k++] = 'e'; break;
		case '"': esc[k++] = '"'; break;
		case '\\': esc[k++] = '\\'; break;
		case 0x85: esc[k++] = 'N'; break;
		case 0x2028: esc[k++] = 'L'; break;
		case 0x2029: esc[k++] = 'P'; break;
		default:
			if (!needs_escape(cp)) {
				rc = buf_add(b, str + at, i - at);
				continue;
			}
			if (cp < 0x100) {
				esc[k++] = 'x';
			} else {
				esc[k++] = 'u';
				esc[k++] = hex[(cp >> 12) & 15];
				esc[k++] = hex[(cp >> 8) & 15];
			}
			esc[k++] = hex[(cp >> 4) & 15];
			esc[k++] = hex[cp & 15];
		}
		rc = buf_add(b, esc, k);
	}
	return rc ? rc : buf_addch(b, '"');
}

static int put_string(struct buf *b, const char *s, size_t n, const struct sinfo *si)
{
	size_t run = 0;
	int rc;

	switch (si->style) {
	case ST_PLAIN:
		return buf_add(b, s, n);
	case ST_SINGLE:
		/* a quote is written twice */
		rc = buf_addch(b, '\'');
		for (size_t i = 0; rc == 0 && i <= n; i++) {
			if (i < n && s[i] != '\'') {
				run++;
				continue;
			}
			rc = buf_add(b, s + i - run, run);
			if (rc == 0 && i < n)
				rc = buf_adds(b, "''");
			run = 0;
		}
		return rc ? rc : buf_addch(b, '\'');
	default:
		return put_double_quoted(b, s, n);
	}
}

/* Python's repr, with ".0" before a bare exponent as PyYAML's represent_float. */
static int put_real(struct buf *b, double d)
{
	struct buf t;
	const char *e;
	int rc;

	buf_init(&t, 64);
	rc = jsonw_double(&t, d);
	if (rc == 0) {
		e = strchr(t.data, 'e');
		if (e && strchr(t.data, '.') == NULL) {
			rc = buf_add(b, t.data, (size_t)(e - t.data));
			if (rc == 0)
				rc = buf_adds(b, ".0");
			if (rc == 0)
				rc = buf_adds(b, e);
		} else {
			rc = buf_add(b, t.data, t.len);
		}
	}
	buf_release(&t);
	return rc;
}

/* A scalar or an empty collection; *plain says whether it was written plain. */
static int put_scalar(struct buf *b, const json_t *v, int *plain)
{
	struct sinfo si;
	int rc;

	*plain = 1;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		*plain = 0;
		return buf_adds(b, "{}");
	case JSON_ARRAY:
		*plain = 0;
		return buf_adds(b, "[]");
	case JSON_STRING:
		rc = analyze(json_string_value(v), json_string_length(v), &si);
		if (rc)
			return rc;
		*plain = si.style == ST_PLAIN;
		return put_string(b, json_string_value(v), json_string_length(v), &si);
	case JSON_INTEGER:
		return jsonw_int(b, json_integer_value(v));
	case JSON_REAL:
		return put_real(b, json_real_value(v));
	case JSON_TRUE:
		return buf_adds(b, "true");
	case JSON_FALSE:
		return buf_adds(b, "false");
	case JSON_NULL:
		return buf_adds(b, "null");
	}
	return MP_EINVAL;
}

static int put_indent(struct buf *b, int n)
{
	static const char spaces[] = "                                ";
	int rc = MP_OK;

	while (rc == 0 && n > 0) {
		int k = n < (int)sizeof(spaces) - 1 ? n : (int)sizeof(spaces) - 1;

		rc = buf_add(b, spaces, (size_t)k);
		n -= k;
	}
	return rc;
}

static int is_block(const json_t *v)
{
	return (json_is_object(v) && json_object_size(v) > 0) ||
	       (json_is_array(v) && json_array_size(v) > 0);
}

static int emit_map(struct buf *b, const json_t *obj, int indent, int inline_first, int depth);
static int emit_seq(struct buf *b, const json_t *arr, int indent, int inline_first, int depth);

/* After "-" or a complex key's ":": the value on the same line. */
static int emit_inline(struct buf *b, const json_t *v, int indent, int depth)
{
	int rc = buf_addch(b, ' '), plain;

	if (rc)
		return rc;
	if (json_is_object(v) && json_object_size(v))
		return emit_map(b, v, indent, 1, depth + 1);
	if (json_is_array(v) && json_array_size(v))
		return emit_seq(b, v, indent, 1, depth + 1);
	rc = put_scalar(b, v, &plain);
	return rc ? rc : buf_addch(b, '\n');
}

/* After "key:": scalars on the line, mappings indented below, sequences not. */
static int emit_after_key(struct buf *b, const json_t *v, int indent, int depth)
{
	int rc, plain;

	if (!is_block(v)) {
		rc = buf_addch(b, ' ');
		if (rc == 0)
			rc = put_scalar(b, v, &plain);
		return rc ? rc : buf_addch(b, '\n');
	}
	rc = buf_addch(b, '\n');
	if (rc)
		return rc;
	if (json_is_object(v))
		return emit_map(b, v, indent + 2, 0, depth + 1);
	return emit_seq(b, v, indent, 0, depth + 1);
}

static int emit_map(struct buf *b, const json_t *obj, int indent, int inline_first, int depth)
{
	const char *key;
	size_t klen;
	json_t *val;
	int rc = MP_OK, first = 1;

	if (depth > YAML_MAX_DEPTH)
		return MP_EINVAL;
	json_object_keylen_foreach((json_t *)obj, key, klen, val) {
		struct sinfo si;

		if (!first || !inline_first)
			rc = put_indent(b, indent);
		first = 0;
		if (rc == 0)
			rc = analyze(key, klen, &si);
		if (rc == 0 && si.simple_key) {
			rc = put_string(b, key, klen, &si);
			if (rc == 0)
				rc = buf_addch(b, ':');
			if (rc == 0)
				rc = emit_after_key(b, val, indent, depth);
		} else if (rc == 0) {
			rc = buf_adds(b, "? ");
			if (rc == 0)
				rc = put_string(b, key, klen, &si);
			if (rc == 0)
				rc = buf_addch(b, '\n');
			if (rc == 0)
				rc = put_indent(b, indent);
			if (rc == 0)
				rc = buf_addch(b, ':');
			if (rc == 0)
				rc = emit_inline(b, val, indent + 2, depth);
		}
		if (rc)
			return rc;
	}
	return MP_OK;
}

static int emit_seq(struct buf *b, const json_t *arr, int indent, int inline_first, int depth)
{
	size_t i;
	json_t *val;
	int rc = MP_OK;

	if (depth > YAML_MAX_DEPTH)
		return MP_EINVAL;
	json_array_foreach(arr, i, val) {
		if (i || !inline_first)
			rc = put_indent(b, indent);
		if (rc == 0)
			rc = buf_addch(b, '-');
		if (rc == 0)
			rc = emit_inline(b, val, indent + 2, depth);
		if (rc)
			return rc;
	}
	return MP_OK;
}

int yaml_dump(struct buf *out, const json_t *v)
{
	size_t start = out->len;
	int rc, plain = 0;

	if (v == NULL)
		return MP_EINVAL;
	if (json_is_object(v) && json_object_size(v))
		rc = emit_map(out, v, 0, 0, 1);
	else if (json_is_array(v) && json_array_size(v))
		rc = emit_seq(out, v, 0, 0, 1);
	else {
		rc = put_scalar(out, v, &plain);
		if (rc == 0)
			rc = buf_addch(out, '\n');
		/* a plain scalar document is open-ended: PyYAML ends it with "..." */
		if (rc == 0 && plain)
			rc = buf_adds(out, "...\n");
	}
	if (rc && out->cap) {
		out->len = start;
		out->data[start] = '\0';
	}
	return rc;
}

int yaml_write_file(const char *path, const json_t *v, int mode, mp_errbuf *e)
{
	struct buf b;
	int rc;

	buf_init(&b, 0);
	rc = yaml_dump(&b, v);
	if (rc)
		mp_seterr(e, rc, "cannot write '%s' as YAML: %s", path, mp_strerror(rc));
	else
		rc = file_write_atomic(path, b.data, b.len, mode, e);
	buf_release(&b);
	return rc;
}
