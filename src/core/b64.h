/*
 * b64.h: base64url without padding (RFC 4648 section 5), as JWTs use it,
 * plus standard base64 encoding for PEM-free key material.
 * Decoding is strict: a character outside the alphabet, '=' padding, or
 * impossible trailing bits are errors.
 */
#ifndef MP_B64_H
#define MP_B64_H

#include <stddef.h>

#include "core/buf.h"

int b64url_encode(struct buf *out, const void *data, size_t len);
int b64url_decode(struct buf *out, const char *s, size_t len);
/* Standard base64 (RFC 4648 section 4) with '=' padding. */
int b64_encode_std(struct buf *out, const void *data, size_t len);

#endif
