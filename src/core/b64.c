/* b64.c: strict base64url (no padding) encoder and decoder (see b64.h). */
#include <stdint.h>

#include "core/b64.h"
#include "core/err.h"

static const char b64url_alpha[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static const char b64_std_alpha[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Encodes with alphabet; pad adds '=' to a multiple of four. */
static int encode(struct buf *out, const void *data, size_t len, const char *alpha, int pad)
{
	const unsigned char *p = data;
	char q[4];
	size_t i;
	int rc;

	/* exactly the output, so that a result at the cap fits */
	rc = buf_grow(out, pad ? (len + 2) / 3 * 4 : len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0));
	if (rc)
		return rc;
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		q[0] = alpha[v >> 18 & 63];
		q[1] = alpha[v >> 12 & 63];
		q[2] = alpha[v >> 6 & 63];
		q[3] = alpha[v & 63];
		buf_add(out, q, 4);
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;
		q[0] = alpha[v >> 18 & 63];
		q[1] = alpha[v >> 12 & 63];
		q[2] = q[3] = '=';
		buf_add(out, q, pad ? 4 : 2);
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		q[0] = alpha[v >> 18 & 63];
		q[1] = alpha[v >> 12 & 63];
		q[2] = alpha[v >> 6 & 63];
		q[3] = '=';
		buf_add(out, q, pad ? 4 : 3);
	}
	return MP_OK;
}

int b64url_encode(struct buf *out, const void *data, size_t len)
{
	return encode(out, data, len, b64url_alpha, 0);
}

int b64_encode_std(struct buf *out, const void *data, size_t len)
{
	return encode(out, data, len, b64_std_alpha, 1);
}

static int b64url_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int b64url_decode(struct buf *out, const char *s, size_t len)
{
	uint32_t acc = 0;
	int bits = 0, rc;
	unsigned char c;

	if (len % 4 == 1)
		return MP_EINVAL;
	rc = buf_grow(out, len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0));
	if (rc)
		return rc;
	for (size_t i = 0; i < len; i++) {
		int v = b64url_val(s[i]);
		if (v < 0)
			return MP_EINVAL;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			c = (unsigned char)(acc >> bits & 0xff);
			buf_add(out, &c, 1);
		}
	}
	/* leftover bits must be zero (canonical encoding) */
	if (bits && (acc & ((1u << bits) - 1)))
		return MP_EINVAL;
	return MP_OK;
}
