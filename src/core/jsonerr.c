/*
 * jsonerr.c: how the original server words a malformed request body. DRF
 * decodes the body with a codecs StreamReader (UTF-8, not final: an
 * incomplete sequence at the very end is dropped) and parses it with
 * Python's json module and strict constants; both steps' messages and
 * positions (characters, not bytes) are reproduced here, checked against
 * Python 3.11.
 */
#include <stdio.h>
#include <string.h>

#include "core/jsonerr.h"

#define PY_CONT(c) (((unsigned char)(c) & 0xc0) == 0x80)

/*
 * CPython's UTF-8 decoder. Returns 0 and the decodable length in *usable, or
 * -1 with UnicodeDecodeError's text in msg.
 */
int json_utf8_prefix(const char *s, size_t n, size_t *usable, char *msg, size_t cap)
{
	size_t i = 0, bad = 0;
	const char *why = NULL;

	while (i < n) {
		unsigned c = (unsigned char)s[i];
		size_t need, left = n - i;
		unsigned c2;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c < 0xc2 || c > 0xf4) {
			why = "invalid start byte";
			bad = 1;
			break;
		}
		need = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		if (left >= 2) {
			c2 = (unsigned char)s[i + 1];
			if (!PY_CONT(c2) || (c == 0xe0 && c2 < 0xa0) || (c == 0xed && c2 >= 0xa0) ||
			    (c == 0xf0 && c2 < 0x90) || (c == 0xf4 && c2 >= 0x90)) {
				/* a truncated surrogate at the very end waits for more data */
				if (c == 0xed && left == 2 && PY_CONT(c2))
					break;
				why = "invalid continuation byte";
				bad = 1;
				break;
			}
		}
		if (need >= 3 && left >= 3 && !PY_CONT(s[i + 2])) {
			why = "invalid continuation byte";
			bad = 2;
			break;
		}
		if (need == 4 && left >= 4 && !PY_CONT(s[i + 3])) {
			why = "invalid continuation byte";
			bad = 3;
			break;
		}
		if (left < need)
			break; /* incomplete at the end: not an error, not decoded */
		i += need;
	}
	*usable = i;
	if (why == NULL)
		return 0;
	if (bad == 1)
		snprintf(msg, cap, "'utf-8' codec can't decode byte 0x%02x in position %zu: %s",
			 (unsigned char)s[i], i, why);
	else
		snprintf(msg, cap, "'utf-8' codec can't decode bytes in position %zu-%zu: %s", i,
			 i + bad - 1, why);
	return -1;
}

struct pyscan {
	const char *s;
	size_t n;
	size_t pos;       /* byte offset of the error */
	const char *msg;  /* NULL: no error found */
	const char *constant;
	int depth;
};

static int py_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t py_skip(const struct pyscan *p, size_t i)
{
	while (i < p->n && py_ws(p->s[i]))
		i++;
	return i;
}

static int py_fail(struct pyscan *p, const char *msg, size_t pos)
{
	p->msg = msg;
	p->pos = pos;
	return -1;
}

static int py_hex4(const struct pyscan *p, size_t i, unsigned *out)
{
	unsigned v = 0;

	for (size_t k = 0; k < 4; k++) {
		char c = p->s[i + k];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* scanstring_unicode: i is just past the opening quote; *end past the closing one. */
static int py_string(struct pyscan *p, size_t i, size_t *end)
{
	size_t begin = i - 1;

	for (;;) {
		char c = 0;
		while (i < p->n) {
			c = p->s[i];
			if (c == '"' || c == '\\')
				break;
			if ((unsigned char)c <= 0x1f)
				return py_fail(p, "Invalid control character at", i);
			i++;
		}
		if (i >= p->n)
			return py_fail(p, "Unterminated string starting at", begin);
		if (c == '"') {
			*end = i + 1;
			return 0;
		}
		i++; /* past the backslash */
		if (i >= p->n)
			return py_fail(p, "Unterminated string starting at", begin);
		c = p->s[i];
		if (c != 'u') {
			if (!strchr("\"\\/bfnrt", c) || c == '\0')
				return py_fail(p, "Invalid \\escape", i - 1);
			i++;
			continue;
		}
		{
			size_t e = i + 5; /* past the 4 digits */
			unsigned v, v2;
			if (e >= p->n)
				return py_fail(p, "Invalid \\uXXXX escape", i);
			if (py_hex4(p, i + 1, &v))
				return py_fail(p, "Invalid \\uXXXX escape", i);
			i = e;
			if (v >= 0xd800 && v <= 0xdbff && e + 6 < p->n && p->s[e] == '\\' &&
			    p->s[e + 1] == 'u') {
				if (py_hex4(p, e + 2, &v2))
					return py_fail(p, "Invalid \\uXXXX escape", e + 1);
				if (v2 >= 0xdc00 && v2 <= 0xdfff)
					i = e + 6;
			}
		}
	}
}

static int py_value(struct pyscan *p, size_t i, size_t *end);

static int py_number(struct pyscan *p, size_t i, size_t *end)
{
	size_t start = i, n = p->n;

	if (p->s[i] == '-') {
		i++;
		if (i >= n)
			return py_fail(p, "Expecting value", start);
	}
	if (p->s[i] >= '1' && p->s[i] <= '9') {
		i++;
		while (i < n && p->s[i] >= '0' && p->s[i] <= '9')
			i++;
	} else if (p->s[i] == '0') {
		i++;
	} else {
		return py_fail(p, "Expecting value", start);
	}
	if (i + 1 < n && p->s[i] == '.' && p->s[i + 1] >= '0' && p->s[i + 1] <= '9') {
		i += 2;
		while (i < n && p->s[i] >= '0' && p->s[i] <= '9')
			i++;
	}
	if (i + 1 < n && (p->s[i] == 'e' || p->s[i] == 'E')) {
		size_t e = i++;
		if (i + 1 < n && (p->s[i] == '-' || p->s[i] == '+'))
			i++;
		while (i < n && p->s[i] >= '0' && p->s[i] <= '9')
			i++;
		if (!(p->s[i - 1] >= '0' && p->s[i - 1] <= '9'))
			i = e;
	}
	*end = i;
	return 0;
}

static int py_word(const struct pyscan *p, size_t i, const char *w)
{
	size_t k = strlen(w);

	return i + k <= p->n && memcmp(p->s + i, w, k) == 0;
}

static int py_container(struct pyscan *p, size_t i, size_t *end, int object)
{
	char close = object ? '}' : ']';

	if (++p->depth > 1000) /* Python: RecursionError; answered as a parse error */
		return py_fail(p, "maximum recursion depth exceeded", i);
	i = py_skip(p, i);
	if (i < p->n && p->s[i] == close) {
		p->depth--;
		*end = i + 1;
		return 0;
	}
	for (;;) {
		if (object) {
			if (i >= p->n || p->s[i] != '"')
				return py_fail(p, "Expecting property name enclosed in double quotes", i);
			if (py_string(p, i + 1, &i))
				return -1;
			i = py_skip(p, i);
			if (i >= p->n || p->s[i] != ':')
				return py_fail(p, "Expecting ':' delimiter", i);
			i = py_skip(p, i + 1);
		}
		if (py_value(p, i, &i))
			return -1;
		i = py_skip(p, i);
		if (i < p->n && p->s[i] == close)
			break;
		if (i >= p->n || p->s[i] != ',')
			return py_fail(p, "Expecting ',' delimiter", i);
		i = py_skip(p, i + 1);
	}
	p->depth--;
	*end = i + 1;
	return 0;
}

/* scan_once_unicode */
static int py_value(struct pyscan *p, size_t i, size_t *end)
{
	static const char *const constants[] = {"NaN", "Infinity", "-Infinity"};

	if (i >= p->n)
		return py_fail(p, "Expecting value", i);
	switch (p->s[i]) {
	case '"':
		return py_string(p, i + 1, end);
	case '{':
		return py_container(p, i + 1, end, 1);
	case '[':
		return py_container(p, i + 1, end, 0);
	}
	if (py_word(p, i, "null") || py_word(p, i, "true")) {
		*end = i + 4;
		return 0;
	}
	if (py_word(p, i, "false")) {
		*end = i + 5;
		return 0;
	}
	for (int k = 0; k < 3; k++) {
		if (py_word(p, i, constants[k])) {
			/* DRF's strict_constant */
			p->constant = constants[k];
			return py_fail(p, "Out of range float values are not JSON compliant", i);
		}
	}
	return py_number(p, i, end);
}

/* Python's message for the first error in s (JSONDecodeError or ValueError); 0 if none. */
int json_python_error(const char *s, size_t n, char *msg, size_t cap)
{
	struct pyscan p = {s, n, 0, NULL, NULL, 0};
	size_t end, line = 1, col, chars = 0, line_start = 0;

	if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		py_fail(&p, "Unexpected UTF-8 BOM (decode using utf-8-sig)", 0);
	} else if (py_value(&p, py_skip(&p, 0), &end) == 0) {
		end = py_skip(&p, end);
		if (end != n)
			py_fail(&p, "Extra data", end);
	}
	if (p.msg == NULL)
		return 0;
	if (p.constant) {
		snprintf(msg, cap, "%s: '%s'", p.msg, p.constant);
		return 1;
	}
	for (size_t k = 0; k < p.pos; k++) {
		if (((unsigned char)s[k] & 0xc0) == 0x80)
			continue;
		/* 4-byte sequences are one character (Python strings are code points) */
		chars++;
		if (s[k] == '\n') {
			line++;
			line_start = chars;
		}
	}
	col = chars - line_start + 1;
	snprintf(msg, cap, "%s: line %zu column %zu (char %zu)", p.msg, line, col, chars);
	return 1;
}

