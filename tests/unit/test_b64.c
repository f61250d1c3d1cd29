/*
 * test_b64.c: unit tests for core/b64: base64url without padding, known
 * vectors (RFC 4648 section 10 in the URL alphabet), strict decoding ('='
 * padding, characters outside the alphabet, impossible lengths, non-zero
 * trailing bits), round trips of random data of every length 0..64, and the
 * size cap of the output buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core/b64.h"
#include "core/buf.h"
#include "core/err.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct vector {
	const char *raw;
	size_t rawlen;
	const char *enc;
};

static const struct vector vectors[] = {
	{ "", 0, "" },
	{ "f", 1, "Zg" },
	{ "fo", 2, "Zm8" },
	{ "foo", 3, "Zm9v" },
	{ "foob", 4, "Zm9vYg" },
	{ "fooba", 5, "Zm9vYmE" },
	{ "foobar", 6, "Zm9vYmFy" },
	{ "\xfb\xff\xbf", 3, "-_-_" },
	{ "\xfb\xff", 2, "-_8" },
	{ "\xff", 1, "_w" },
	{ "\x00", 1, "AA" },
	{ "\x00\x00\x00", 3, "AAAA" },
	{ "\xf8\x3f\xfe\xff", 4, "-D_-_w" },
};

/* Deterministic xorshift64 so that a failure can be reproduced. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static int decodes(const char *s, size_t len)
{
	struct buf b;
	int rc;

	buf_init(&b, 0);
	rc = b64url_decode(&b, s, len);
	buf_release(&b);
	return rc;
}

START_TEST(test_vectors_encode)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct buf b;

		buf_init(&b, 0);
		ck_assert_int_eq(b64url_encode(&b, vectors[i].raw, vectors[i].rawlen), MP_OK);
		ck_assert_str_eq(b.data, vectors[i].enc);
		ck_assert_uint_eq(b.len, strlen(vectors[i].enc));
		buf_release(&b);
	}
}
END_TEST

START_TEST(test_vectors_decode)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct buf b;

		buf_init(&b, 0);
		ck_assert_int_eq(b64url_decode(&b, vectors[i].enc, strlen(vectors[i].enc)), MP_OK);
		ck_assert_uint_eq(b.len, vectors[i].rawlen);
		ck_assert_mem_eq(b.data, vectors[i].raw, vectors[i].rawlen);
		ck_assert_int_eq(b.data[b.len], '\0');
		buf_release(&b);
	}
}
END_TEST

START_TEST(test_encode_appends)
{
	struct buf b;

	buf_init(&b, 0);
	ck_assert_int_eq(buf_adds(&b, "x."), MP_OK);
	ck_assert_int_eq(b64url_encode(&b, "foob", 4), MP_OK);
	ck_assert_int_eq(buf_addch(&b, '.'), MP_OK);
	ck_assert_int_eq(b64url_decode(&b, "Zm8", 3), MP_OK);
	ck_assert_str_eq(b.data, "x.Zm9vYg.fo");
	buf_release(&b);
}
END_TEST

START_TEST(test_reject_padding)
{
	ck_assert_int_eq(decodes("Zg==", 4), MP_EINVAL);
	ck_assert_int_eq(decodes("Zg=", 3), MP_EINVAL);
	ck_assert_int_eq(decodes("Zm8=", 4), MP_EINVAL);
	ck_assert_int_eq(decodes("====", 4), MP_EINVAL);
	ck_assert_int_eq(decodes("Zm9v====", 8), MP_EINVAL);
}
END_TEST

START_TEST(test_reject_bad_chars)
{
	/* standard-alphabet characters are not base64url */
	ck_assert_int_eq(decodes("Zm+v", 4), MP_EINVAL);
	ck_assert_int_eq(decodes("Zm/v", 4), MP_EINVAL);
	ck_assert_int_eq(decodes("Zm9v\n", 5), MP_EINVAL);
	ck_assert_int_eq(decodes("Zm9vYg\r\n", 8), MP_EINVAL);
	ck_assert_int_eq(decodes("Zm 9", 4), MP_EINVAL);
	ck_assert_int_eq(decodes("Zm.9", 4), MP_EINVAL);
	ck_assert_int_eq(decodes("Zm\0v", 4), MP_EINVAL);
	ck_assert_int_eq(decodes("Zm\xc3\xa9", 4), MP_EINVAL);
	ck_assert_int_eq(decodes("\xffZm9", 4), MP_EINVAL);
	/* every byte value outside the alphabet is refused, in any position */
	for (int c = 0; c < 256; c++) {
		char s[4] = { 'A', 'A', 'A', 'A' };

		if (c != 0 && strchr(alphabet, c))
			continue;
		for (int pos = 0; pos < 4; pos++) {
			s[pos] = (char)c;
			ck_assert_msg(decodes(s, 4) == MP_EINVAL, "byte 0x%02x at %d accepted", c, pos);
			s[pos] = 'A';
		}
	}
}
END_TEST

START_TEST(test_reject_length)
{
	/* len % 4 == 1 can never be a valid encoding */
	ck_assert_int_eq(decodes("A", 1), MP_EINVAL);
	ck_assert_int_eq(decodes("Z", 1), MP_EINVAL);
	ck_assert_int_eq(decodes("Zm9vY", 5), MP_EINVAL);
	ck_assert_int_eq(decodes("Zm9vYmFyA", 9), MP_EINVAL);
	ck_assert_int_eq(decodes("", 0), MP_OK);
}
END_TEST

START_TEST(test_reject_trailing_bits)
{
	/* 'h' = 33: its low 4 bits are set, so "Zh" is not canonical for "f" */
	ck_assert_int_eq(decodes("Zh", 2), MP_EINVAL);
	ck_assert_int_eq(decodes("Zg", 2), MP_OK);
	/* '9' = 61: low 2 bits set, "Zm9" is not canonical for "fo" */
	ck_assert_int_eq(decodes("Zm9", 3), MP_EINVAL);
	ck_assert_int_eq(decodes("Zm8", 3), MP_OK);
	ck_assert_int_eq(decodes("_x", 2), MP_EINVAL);
	ck_assert_int_eq(decodes("_w", 2), MP_OK);
}
END_TEST

/*
 * Every 2- and 3-character string: it decodes exactly when the unused low
 * bits of its last character are zero, and then re-encodes to itself.
 */
START_TEST(test_exhaustive_short)
{
	struct buf dec, enc;
	char s[3];
	int accepted2 = 0, accepted3 = 0;

	buf_init(&dec, 0);
	buf_init(&enc, 0);
	for (int a = 0; a < 64; a++) {
		for (int c = 0; c < 64; c++) {
			s[0] = alphabet[a];
			s[1] = alphabet[c];
			buf_reset(&dec);
			if (b64url_decode(&dec, s, 2) == MP_OK) {
				accepted2++;
				ck_assert_int_eq(c & 15, 0);
				ck_assert_uint_eq(dec.len, 1);
				buf_reset(&enc);
				ck_assert_int_eq(b64url_encode(&enc, dec.data, dec.len), MP_OK);
				ck_assert_mem_eq(enc.data, s, 2);
			} else {
				ck_assert_int_ne(c & 15, 0);
			}
			for (int d = 0; d < 64; d++) {
				s[1] = alphabet[c];
				s[2] = alphabet[d];
				buf_reset(&dec);
				if (b64url_decode(&dec, s, 3) == MP_OK) {
					accepted3++;
					ck_assert_int_eq(d & 3, 0);
					ck_assert_uint_eq(dec.len, 2);
					buf_reset(&enc);
					ck_assert_int_eq(b64url_encode(&enc, dec.data, dec.len), MP_OK);
					ck_assert_mem_eq(enc.data, s, 3);
				} else {
					ck_assert_int_ne(d & 3, 0);
				}
			}
		}
	}
	/* exactly one encoding per 1-byte and per 2-byte value */
	ck_assert_int_eq(accepted2, 256);
	ck_assert_int_eq(accepted3, 65536);
	buf_release(&dec);
	buf_release(&enc);
}
END_TEST

START_TEST(test_roundtrip_random)
{
	uint64_t seed = 0x9e3779b97f4a7c15u;
	unsigned char data[64];

	for (int round = 0; round < 20; round++) {
		for (size_t len = 0; len <= 64; len++) {
			struct buf enc, dec;

			for (size_t i = 0; i < len; i++)
				data[i] = (unsigned char)rng_next(&seed);
			buf_init(&enc, 0);
			buf_init(&dec, 0);
			ck_assert_int_eq(b64url_encode(&enc, data, len), MP_OK);
			/* no padding: ceil(4 * len / 3) characters of the alphabet */
			ck_assert_uint_eq(enc.len, (len * 4 + 2) / 3);
			ck_assert_uint_eq(strspn(enc.data, alphabet), enc.len);
			ck_assert_int_eq(b64url_decode(&dec, enc.data, enc.len), MP_OK);
			ck_assert_uint_eq(dec.len, len);
			if (len)
				ck_assert_mem_eq(dec.data, data, len);
			buf_release(&enc);
			buf_release(&dec);
		}
	}
}
END_TEST

START_TEST(test_all_bytes)
{
	unsigned char data[256];
	struct buf enc, dec;

	for (int i = 0; i < 256; i++)
		data[i] = (unsigned char)i;
	buf_init(&enc, 0);
	buf_init(&dec, 0);
	ck_assert_int_eq(b64url_encode(&enc, data, sizeof(data)), MP_OK);
	ck_assert_uint_eq(enc.len, 342);
	ck_assert_int_eq(b64url_decode(&dec, enc.data, enc.len), MP_OK);
	ck_assert_uint_eq(dec.len, 256);
	ck_assert_mem_eq(dec.data, data, 256);
	buf_release(&enc);
	buf_release(&dec);
}
END_TEST

START_TEST(test_cap)
{
	struct buf b;

	/* output exactly at the cap fits: "foob" is 6 characters */
	buf_init(&b, 6);
	ck_assert_int_eq(b64url_encode(&b, "foob", 4), MP_OK);
	ck_assert_str_eq(b.data, "Zm9vYg");
	buf_release(&b);

	/* one byte short of room: refused, buffer unchanged */
	buf_init(&b, 7);
	ck_assert_int_eq(buf_adds(&b, "ab"), MP_OK);
	ck_assert_int_eq(b64url_encode(&b, "foob", 4), MP_ETOOBIG);
	ck_assert_str_eq(b.data, "ab");
	ck_assert_uint_eq(b.len, 2);
	buf_release(&b);

	/* one input byte encodes to two characters */
	buf_init(&b, 2);
	ck_assert_int_eq(b64url_encode(&b, "\0", 1), MP_OK);
	ck_assert_str_eq(b.data, "AA");
	buf_release(&b);

	/* decoding: "Zm9vYg" is 4 bytes */
	buf_init(&b, 4);
	ck_assert_int_eq(b64url_decode(&b, "Zm9vYg", 6), MP_OK);
	ck_assert_str_eq(b.data, "foob");
	buf_release(&b);
	buf_init(&b, 3);
	ck_assert_int_eq(b64url_decode(&b, "Zm9vYg", 6), MP_ETOOBIG);
	ck_assert_uint_eq(b.len, 0);
	buf_release(&b);
}
END_TEST

static Suite *b64_suite(void)
{
	Suite *s = suite_create("b64");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_vectors_encode);
	tcase_add_test(tc, test_vectors_decode);
	tcase_add_test(tc, test_encode_appends);
	tcase_add_test(tc, test_reject_padding);
	tcase_add_test(tc, test_reject_bad_chars);
	tcase_add_test(tc, test_reject_length);
	tcase_add_test(tc, test_reject_trailing_bits);
	tcase_add_test(tc, test_exhaustive_short);
	tcase_add_test(tc, test_roundtrip_random);
	tcase_add_test(tc, test_all_bytes);
	tcase_add_test(tc, test_cap);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(b64_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
