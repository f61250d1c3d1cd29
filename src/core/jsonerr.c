/*
 * jsonerr.c: a small JSON scanner that stops at the first error Python's
 * json module (with DRF's strict constants) would report, and formats the
 * message and position (line, column, character index) as Python does.
 */
#include <stdio.h>
#include <string.h>

#include "core/jsonerr.h"

#define MAX_DEPTH 512

struct scan {
	const unsigned char *s;
	size_t len;
	const char *what;  /* message of the first error */
	size_t at;         /* its byte offset */
};

static int fail(struct scan *sc, const char *what, size_t at)
{
	sc->what = what;
	sc->at = at;
	return -1;
}

static size_t skip_ws(const struct scan *sc, size_t i)
{
	while (i < sc->len && (sc->s[i] == ' ' || sc->s[i] == '\t' || sc->s[i] == '\n' ||
			       sc->s[i] == '\r'))
		i++;
	return i;
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A string starting at the quote i; returns the index after it or -1. */
static long scan_string(struct scan *sc, size_t i)
{
	size_t start = i++;

	while (i < sc->len) {
		unsigned char c = sc->s[i];
		if (c == '"')
			return (long)i + 1;
		if (c < 0x20)
			return fail(sc, "Invalid control character at", i);
		if (c == '\\') {
			if (i + 1 >= sc->len)
				break;
			c = sc->s[i + 1];
			if (c == 'u') {
				for (int k = 2; k < 6; k++)
					if (i + (size_t)k >= sc->len || !is_hex(sc->s[i + (size_t)k]))
						return fail(sc, "Invalid \\uXXXX escape", i + 1);
				i += 6;
				continue;
			}
			if (!strchr("\"\\/bfnrt", c))
				return fail(sc, "Invalid \\escape", i);
			i += 2;
			continue;
		}
		i++;
	}
	return fail(sc, "Unterminated string starting at", start);
}

/* Python's number pattern: -?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?; -1 when none. */
static long scan_number(const struct scan *sc, size_t i)
{
	size_t j = i;

	if (j < sc->len && sc->s[j] == '-')
		j++;
	if (j >= sc->len || !is_digit(sc->s[j]))
		return -1;
	if (sc->s[j] == '0')
		j++;
	else
		while (j < sc->len && is_digit(sc->s[j]))
			j++;
	if (j + 1 < sc->len && sc->s[j] == '.' && is_digit(sc->s[j + 1])) {
		j++;
		while (j < sc->len && is_digit(sc->s[j]))
			j++;
	}
	if (j < sc->len && (sc->s[j] == 'e' || sc->s[j] == 'E')) {
		size_t k = j + 1;
		if (k < sc->len && (sc->s[k] == '+' || sc->s[k] == '-'))
			k++;
		if (k < sc->len && is_digit(sc->s[k])) {
			while (k < sc->len && is_digit(sc->s[k]))
				k++;
			j = k;
		}
	}
	return (long)j;
}

static int starts(const struct scan *sc, size_t i, const char *word)
{
	size_t n = strlen(word);

	return i + n <= sc->len && memcmp(sc->s + i, word, n) == 0;
}

static long scan_value(struct scan *sc, size_t i, int depth);

static long scan_object(struct scan *sc, size_t i, int depth)
{
	long r;

	i = skip_ws(sc, i + 1);
	if (i < sc->len && sc->s[i] == '}')
		return (long)i + 1;
	for (;;) {
		if (i >= sc->len || sc->s[i] != '"')
			return fail(sc, "Expecting property name enclosed in double quotes", i);
		r = scan_string(sc, i);
		if (r < 0)
			return -1;
		i = skip_ws(sc, (size_t)r);
		if (i >= sc->len || sc->s[i] != ':')
			return fail(sc, "Expecting ':' delimiter", i);
		r = scan_value(sc, skip_ws(sc, i + 1), depth + 1);
		if (r < 0)
			return -1;
		i = skip_ws(sc, (size_t)r);
		if (i < sc->len && sc->s[i] == '}')
			return (long)i + 1;
		if (i >= sc->len || sc->s[i] != ',')
			return fail(sc, "Expecting ',' delimiter", i);
		i = skip_ws(sc, i + 1);
	}
}

static long scan_array(struct scan *sc, size_t i, int depth)
{
	long r;

	i = skip_ws(sc, i + 1);
	if (i < sc->len && sc->s[i] == ']')
		return (long)i + 1;
	for (;;) {
		r = scan_value(sc, i, depth + 1);
		if (r < 0)
			return -1;
		i = skip_ws(sc, (size_t)r);
		if (i < sc->len && sc->s[i] == ']')
			return (long)i + 1;
		if (i >= sc->len || sc->s[i] != ',')
			return fail(sc, "Expecting ',' delimiter", i);
		i = skip_ws(sc, i + 1);
	}
}

static long scan_value(struct scan *sc, size_t i, int depth)
{
	long r;

	if (depth > MAX_DEPTH)
		return fail(sc, "Too deeply nested", i);
	if (i >= sc->len)
		return fail(sc, "Expecting value", i);
	switch (sc->s[i]) {
	case '{':
		return scan_object(sc, i, depth);
	case '[':
		return scan_array(sc, i, depth);
	case '"':
		return scan_string(sc, i);
	}
	if (starts(sc, i, "true"))
		return (long)i + 4;
	if (starts(sc, i, "false"))
		return (long)i + 5;
	if (starts(sc, i, "null"))
		return (long)i + 4;
	/* Python reads these; DRF's strict parser then refuses them */
	if (starts(sc, i, "NaN") || starts(sc, i, "Infinity") || starts(sc, i, "-Infinity"))
		return fail(sc, "Out of range float values are not JSON compliant", (size_t)-1);
	r = scan_number(sc, i);
	if (r < 0)
		return fail(sc, "Expecting value", i);
	return r;
}

/* Python positions count characters, not bytes. */
static void position(const struct scan *sc, size_t at, size_t *line, size_t *col, size_t *chr)
{
	size_t c = 0, ln = 1, last_nl_char = 0;
	int seen_nl = 0;

	for (size_t i = 0; i < at && i < sc->len; i++) {
		if ((sc->s[i] & 0xc0) == 0x80)
			continue;
		if (sc->s[i] == '\n') {
			ln++;
			last_nl_char = c;
			seen_nl = 1;
		}
		c++;
	}
	*chr = c;
	*line = ln;
	*col = seen_nl ? c - last_nl_char : c + 1;
}

/* Python's strict UTF-8 decoder: 0 when s is valid, else 1 with its message. */
static int utf8_error(const unsigned char *s, size_t len, char *msg, size_t cap)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i], lo = 0x80, hi = 0xbf;
		size_t n, end = 0;
		const char *why = NULL;

		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			lo = c == 0xe0 ? 0xa0 : 0x80;
			hi = c == 0xed ? 0x9f : 0xbf;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			lo = c == 0xf0 ? 0x90 : 0x80;
			hi = c == 0xf4 ? 0x8f : 0xbf;
		} else {
			why = "invalid start byte";
			end = i + 1;
			n = 0;
		}
		for (size_t k = 1; why == NULL && k <= n; k++) {
			unsigned char b;
			if (i + k >= len) {
				why = "unexpected end of data";
				end = len;
				break;
			}
			b = s[i + k];
			if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xbf)) {
				why = "invalid continuation byte";
				end = i + k;
			}
		}
		if (why == NULL) {
			i += n;
			continue;
		}
		if (end - i == 1)
			snprintf(msg, cap, "'utf-8' codec can't decode byte 0x%02x in position %zu: %s",
				 c, i, why);
		else
			snprintf(msg, cap, "'utf-8' codec can't decode bytes in position %zu-%zu: %s",
				 i, end - 1, why);
		return 1;
	}
	return 0;
}

int json_python_error(const char *text, size_t len, char *msg, size_t cap)
{
	struct scan sc = {(const unsigned char *)text, len, NULL, 0};
	size_t line, col, chr;
	long end;

	if (utf8_error(sc.s, len, msg, cap))
		return 1;

	end = scan_value(&sc, skip_ws(&sc, 0), 0);
	if (end >= 0) {
		size_t i = skip_ws(&sc, (size_t)end);
		if (i == len)
			return 0;
		sc.what = "Extra data";
		sc.at = i;
	}
	if (sc.at == (size_t)-1) {
		snprintf(msg, cap, "%s", sc.what);
		return 1;
	}
	position(&sc, sc.at, &line, &col, &chr);
	snprintf(msg, cap, "%s: line %zu column %zu (char %zu)", sc.what, line, col, chr);
	return 1;
}
