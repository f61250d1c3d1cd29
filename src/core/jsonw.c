/* jsonw.c: compact, Python-compatible JSON writer for jansson values (see jsonw.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/jsonw.h"

/* Bytes that need a look: control characters, '"', '\\', and 0xe2 (U+2028/9). */
static const unsigned char special[256] = {
	[0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
	[0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1,
	[0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
	[0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1,
	[0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0xe2] = 1,
};

static int string_slow(struct buf *b, const char *s, size_t len);

int jsonw_string(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;
	int rc;

	/* the common case, nothing to escape: one copy */
	for (i = 0; i < len; i++)
		if (special[p[i]])
			return string_slow(b, s, len);
	rc = buf_grow(b, len + 2);
	if (rc)
		return rc;
	b->data[b->len] = '"';
	memcpy(b->data + b->len + 1, s, len);
	b->data[b->len + 1 + len] = '"';
	b->len += len + 2;
	b->data[b->len] = '\0';
	return MP_OK;
}

static int string_slow(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i, run = 0;
	int rc = buf_addch(b, '"');

	for (i = 0; rc == 0 && i < len; i++) {
		unsigned char c = p[i];
		char esc[7];
		size_t n = 0;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			n = 2;
		} else if (c < 0x20) {
			esc[0] = '\\';
			n = 2;
			switch (c) {
			case '\n': esc[1] = 'n'; break;
			case '\r': esc[1] = 'r'; break;
			case '\t': esc[1] = 't'; break;
			case '\b': esc[1] = 'b'; break;
			case '\f': esc[1] = 'f'; break;
			default:
				esc[1] = 'u';
				esc[2] = '0';
				esc[3] = '0';
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				n = 6;
			}
		} else if (c == 0xe2 && i + 2 < len && p[i + 1] == 0x80 &&
			   (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
			memcpy(esc, p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
			n = 6;
		}
		if (n == 0) {
			run++;
			continue;
		}
		rc = buf_add(b, s + i - run, run);
		run = 0;
		if (rc == 0)
			rc = buf_add(b, esc, n);
		if (c == 0xe2)
			i += 2;
	}
	if (rc == 0)
		rc = buf_add(b, s + i - run, run);
	if (rc == 0)
		rc = buf_addch(b, '"');
	return rc;
}

/* Adds one unit in the last digit of "[-]d.ddde+XX"; 0 when it would carry out. */
static int bump_last_digit(char *s)
{
	char *p = strchr(s, 'e');

	while (p && p > s) {
		p--;
		if (*p == '-')
			break;
		if (*p == '.')
			continue;
		if (*p != '9') {
			(*p)++;
			return 1;
		}
		*p = '0';
	}
	return 0;
}

int jsonw_double(struct buf *b, double d)
{
	char tmp[40], digits[20], out[64];
	int prec, exp10, nd = 0, n = 0;
	const char *p;

	if (!isfinite(d))
		return MP_EINVAL;
	if (d == 0)
		return buf_adds(b, signbit(d) ? "-0.0" : "0.0");
	/*
	 * Shortest %.Ne that reads back as the same double (17 digits always
	 * do). At a power of two the interval of such strings is narrower below
	 * d than above it, so when the nearest N-digit string falls short the
	 * next one up may still round-trip: Python takes that one.
	 */
	for (prec = 0; prec < 16; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
		if (bump_last_digit(tmp) && strtod(tmp, NULL) == d)
			break;
	}
	if (prec == 16)
		snprintf(tmp, sizeof(tmp), "%.*e", prec, d);
	/* tmp is "[-]d[.ddd]e[+-]XX" */
	p = tmp;
	if (*p == '-') {
		out[n++] = '-';
		p++;
	}
	for (; *p && *p != 'e'; p++)
		if (*p != '.')
			digits[nd++] = *p;
	exp10 = (int)strtol(p + 1, NULL, 10);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (exp10 < -4 || exp10 >= 16) {
		/* Python: 1e-05, 1.5e+16 */
		out[n++] = digits[0];
		if (nd > 1) {
			out[n++] = '.';
			memcpy(out + n, digits + 1, (size_t)nd - 1);
			n += nd - 1;
		}
		n += snprintf(out + n, sizeof(out) - (size_t)n, "e%c%02d",
			      exp10 < 0 ? '-' : '+', abs(exp10));
	} else if (exp10 < 0) {
		out[n++] = '0';
		out[n++] = '.';
		for (int i = -1; i > exp10; i--)
			out[n++] = '0';
		memcpy(out + n, digits, (size_t)nd);
		n += nd;
	} else {
		/* exp10 in [0, 15]: the integer part has exp10 + 1 digits */
		for (int i = 0; i <= exp10; i++)
			out[n++] = i < nd ? digits[i] : '0';
		out[n++] = '.';
		if (nd > exp10 + 1) {
			memcpy(out + n, digits + exp10 + 1, (size_t)(nd - exp10 - 1));
			n += nd - exp10 - 1;
		} else {
			out[n++] = '0';
		}
	}
	return buf_add(b, out, (size_t)n);
}

int jsonw_int(struct buf *b, int64_t v)
{
	char tmp[24];
	int n = sizeof(tmp);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do {
		tmp[--n] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[--n] = '-';
	return buf_add(b, tmp + n, sizeof(tmp) - (size_t)n);
}

int jsonw_value(struct buf *b, const json_t *v)
{
	const char *key;
	json_t *val;
	size_t i;
	int rc = MP_OK, first = 1;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		rc = buf_addch(b, '{');
		json_object_foreach((json_t *)v, key, val) {
			if (!first && rc == 0)
				rc = buf_addch(b, ',');
			first = 0;
			if (rc == 0)
				rc = jsonw_string(b, key, strlen(key));
			if (rc == 0)
				rc = buf_addch(b, ':');
			if (rc == 0)
				rc = jsonw_value(b, val);
			if (rc)
				return rc;
		}
		return rc ? rc : buf_addch(b, '}');
	case JSON_ARRAY:
		rc = buf_addch(b, '[');
		json_array_foreach(v, i, val) {
			if (i && rc == 0)
				rc = buf_addch(b, ',');
			if (rc == 0)
				rc = jsonw_value(b, val);
			if (rc)
				return rc;
		}
		return rc ? rc : buf_addch(b, ']');
	case JSON_STRING:
		return jsonw_string(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return jsonw_int(b, json_integer_value(v));
	case JSON_REAL:
		return jsonw_double(b, json_real_value(v));
	case JSON_TRUE:
		return buf_adds(b, "true");
	case JSON_FALSE:
		return buf_adds(b, "false");
	case JSON_NULL:
		return buf_adds(b, "null");
	}
	return MP_EINVAL;
}

char *jsonw_dumps(const json_t *v)
{
	struct buf b;

	buf_init(&b, 0);
	if (jsonw_value(&b, v)) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}
