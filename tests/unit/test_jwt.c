/*
 * test_jwt.c: unit tests for core/jwt and core/pkey.
 *
 * Tokens are minted with jwt_sign_rs256 or, where a test needs a header the
 * signer would never write (alg none, HS256, crit, a numeric kid), assembled
 * by hand and signed with OpenSSL directly, so that each refusal is shown to
 * come from the check under test and not from a broken signature. All checks
 * run at a fixed clock (NOW) with SKEW seconds of tolerance.
 *
 * The RSA keys are generated once in main() (before the runner forks) because
 * RSA-2048 generation is the slowest step here.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "core/b64.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/jsonw.h"
#include "core/jwt.h"
#include "core/pkey.h"

#define NOW ((int64_t)1700000000)
#define SKEW ((int64_t)60)
#define ISS "https://issuer.example.org/"
#define ISS2 "https://other-issuer.example.org/"
#define AUD "https://api.medperf.org"
#define RS256_HDR "{\"alg\":\"RS256\",\"typ\":\"JWT\"}"

/* Shared read-only fixtures, set up in main() before any test runs. */
static EVP_PKEY *key_a, *key_b, *key_ec;
static char name_a[] = "test-a", iss_a[] = ISS, aud_a[] = AUD;
static char name_b[] = "test-b", iss_b[] = ISS2, aud_b[] = AUD;
static struct jwt_key keys_a[1], keys_b[1];
static struct jwt_issuer issuers[2];

/* ---- helpers -------------------------------------------------------- */

/* The claims of a token that verifies at NOW for issuer A. */
static json_t *base_claims(void)
{
	json_t *c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "iss", ISS, "aud", AUD, "sub",
			      "user-123", "iat", (json_int_t)(NOW - 10), "exp",
			      (json_int_t)(NOW + 3600), JWT_EMAIL_CLAIM, "user@example.org");

	ck_assert_ptr_nonnull(c);
	return c;
}

/* Signs claims (takes the reference) with k and kid; returns a malloc'd token. */
static char *sign_claims(EVP_PKEY *k, const char *kid, json_t *claims)
{
	struct buf out;
	mp_errbuf e = { "" };

	buf_init(&out, 0);
	ck_assert_int_eq(jwt_sign_rs256(k, kid, claims, &out, &e), MP_OK);
	json_decref(claims);
	return buf_detach(&out, NULL);
}

/* base_claims() with one member replaced (v NULL: removed), signed by key A. */
static char *token_with(const char *member, json_t *v)
{
	json_t *c = base_claims();

	if (v)
		json_object_set_new(c, member, v);
	else
		json_object_del(c, member);
	return sign_claims(key_a, NULL, c);
}

static enum jwt_fail verify_n(const char *tok, size_t niss, struct jwt_claims *out)
{
	return jwt_verify(issuers, niss, tok, strlen(tok), NOW, SKEW, out);
}

static void expect_at(const char *tok, enum jwt_fail want, int line)
{
	struct jwt_claims c;
	enum jwt_fail got = verify_n(tok, 1, &c);

	ck_assert_msg(got == want, "line %d: got \"%s\", want \"%s\"", line, jwt_fail_str(got),
		      jwt_fail_str(want));
}

/* Verifies tok against issuer A and asserts the outcome. */
#define EXPECT(tok, want) expect_at((tok), (want), __LINE__)

/* Signs with token_with() and checks the outcome; frees the token. */
static void expect_member_at(const char *member, json_t *v, enum jwt_fail want, int line)
{
	char *tok = token_with(member, v);

	expect_at(tok, want, line);
	free(tok);
}

#define EXPECT_MEMBER(m, v, want) expect_member_at((m), (v), (want), __LINE__)

static char *b64_of(const void *p, size_t n)
{
	struct buf b;

	buf_init(&b, 0);
	ck_assert_int_eq(b64url_encode(&b, p, n), MP_OK);
	return buf_detach(&b, NULL);
}

static char *b64_str(const char *s)
{
	return b64_of(s, strlen(s));
}

/* The decoded text of a base64url string (malloc'd). */
static char *unb64(const char *s)
{
	struct buf b;

	buf_init(&b, 0);
	ck_assert_int_eq(b64url_decode(&b, s, strlen(s)), MP_OK);
	return buf_detach(&b, NULL);
}

/* Part idx (0..2) of a token, malloc'd. */
static char *token_part(const char *tok, int idx)
{
	const char *p = tok, *end;

	for (int i = 0; i < idx; i++) {
		p = strchr(p, '.');
		ck_assert_ptr_nonnull(p);
		p++;
	}
	end = strchr(p, '.');
	if (end == NULL)
		end = p + strlen(p);
	return strndup(p, (size_t)(end - p));
}

static char *join3(const char *a, const char *b, const char *c)
{
	struct buf out;

	buf_init(&out, 0);
	ck_assert_int_eq(buf_addf(&out, "%s.%s.%s", a, b, c), MP_OK);
	return buf_detach(&out, NULL);
}

/* The token with part idx replaced by repl. */
static char *replace_part(const char *tok, int idx, const char *repl)
{
	char *p[3], *out;

	for (int i = 0; i < 3; i++)
		p[i] = idx == i ? strdup(repl) : token_part(tok, i);
	out = join3(p[0], p[1], p[2]);
	for (int i = 0; i < 3; i++)
		free(p[i]);
	return out;
}

/* Base64url of the signature of input by k with md (PKCS#1 v1.5 for RSA). */
static char *sign_input(EVP_PKEY *k, const EVP_MD *md, const char *input)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig;
	size_t n = 0;
	char *out;

	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(EVP_DigestSignInit(ctx, NULL, md, NULL, k), 1);
	ck_assert_int_eq(EVP_DigestSign(ctx, NULL, &n, (const unsigned char *)input,
					strlen(input)), 1);
	sig = malloc(n);
	ck_assert_ptr_nonnull(sig);
	ck_assert_int_eq(EVP_DigestSign(ctx, sig, &n, (const unsigned char *)input,
					strlen(input)), 1);
	out = b64_of(sig, n);
	free(sig);
	EVP_MD_CTX_free(ctx);
	return out;
}

/* A token with header and payload JSON text as given, signed by k with md. */
static char *sign_raw(EVP_PKEY *k, const EVP_MD *md, const char *hdr, const char *payload)
{
	char *h = b64_str(hdr), *p = b64_str(payload), *s, *tok;
	struct buf in;

	buf_init(&in, 0);
	ck_assert_int_eq(buf_addf(&in, "%s.%s", h, p), MP_OK);
	s = sign_input(k, md, in.data);
	tok = join3(h, p, s);
	buf_release(&in);
	free(h);
	free(p);
	free(s);
	return tok;
}

/* The compact JSON of base_claims(), malloc'd. */
static char *base_payload(void)
{
	json_t *c = base_claims();
	char *s = jsonw_dumps(c);

	json_decref(c);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* A token with the given header over the base claims, signed by key A (RS256). */
static char *token_with_header(const char *hdr)
{
	char *p = base_payload();
	char *tok = sign_raw(key_a, EVP_sha256(), hdr, p);

	free(p);
	return tok;
}

/* ---- valid tokens ---------------------------------------------------- */

START_TEST(test_valid)
{
	char *tok = sign_claims(key_a, NULL, base_claims());
	char *h = token_part(tok, 0);
	char *hdr = unb64(h);
	struct jwt_claims c;

	ck_assert_int_eq(verify_n(tok, 1, &c), JWT_OK);
	ck_assert_str_eq(c.sub, "user-123");
	ck_assert_str_eq(c.email, "user@example.org");
	ck_assert_int_eq(c.exp, NOW + 3600);
	ck_assert_uint_eq(c.issuer, 0);
	/* the header the signer writes */
	ck_assert_str_eq(hdr, RS256_HDR);
	free(hdr);
	free(h);
	free(tok);
}
END_TEST

START_TEST(test_second_issuer)
{
	json_t *claims = base_claims();
	struct jwt_claims c;
	char *tok;

	json_object_set_new(claims, "iss", json_string(ISS2));
	json_object_set_new(claims, "sub", json_string("svc|42"));
	tok = sign_claims(key_b, NULL, claims);
	ck_assert_int_eq(verify_n(tok, 2, &c), JWT_OK);
	ck_assert_uint_eq(c.issuer, 1);
	ck_assert_str_eq(c.sub, "svc|42");
	/* issuer B's token is unknown to a verifier that trusts only A */
	ck_assert_int_eq(verify_n(tok, 1, &c), JWT_UNKNOWN_ISSUER);
	/* and no issuer at all */
	ck_assert_int_eq(verify_n(tok, 0, &c), JWT_UNKNOWN_ISSUER);
	free(tok);
}
END_TEST

START_TEST(test_email_optional)
{
	char *tok = token_with(JWT_EMAIL_CLAIM, NULL);
	struct jwt_claims c;

	ck_assert_int_eq(verify_n(tok, 1, &c), JWT_OK);
	ck_assert_str_eq(c.email, "");
	ck_assert_str_eq(c.sub, "user-123");
	free(tok);
	/* a non-string email is ignored, not an error */
	tok = token_with(JWT_EMAIL_CLAIM, json_integer(5));
	ck_assert_int_eq(verify_n(tok, 1, &c), JWT_OK);
	ck_assert_str_eq(c.email, "");
	free(tok);
	/* a plain "email" claim is not the namespaced one */
	tok = token_with("email", json_string("other@example.org"));
	ck_assert_int_eq(verify_n(tok, 1, &c), JWT_OK);
	ck_assert_str_eq(c.email, "user@example.org");
	free(tok);
}
END_TEST

START_TEST(test_failure_clears_claims)
{
	char *tok = token_with("exp", json_integer(NOW - 1000));
	struct jwt_claims c;

	memset(&c, 'x', sizeof(c));
	ck_assert_int_eq(verify_n(tok, 1, &c), JWT_EXPIRED);
	ck_assert_str_eq(c.sub, "");
	ck_assert_str_eq(c.email, "");
	free(tok);
}
END_TEST

/* ---- time claims ------------------------------------------------------ */

START_TEST(test_exp)
{
	struct jwt_claims c;
	char *tok;

	EXPECT_MEMBER("exp", json_integer(NOW - SKEW - 1), JWT_EXPIRED);
	EXPECT_MEMBER("exp", json_integer(NOW - 86400), JWT_EXPIRED);
	/* within the skew allowance */
	EXPECT_MEMBER("exp", json_integer(NOW - SKEW), JWT_OK);
	EXPECT_MEMBER("exp", json_integer(NOW - 1), JWT_OK);
	EXPECT_MEMBER("exp", json_integer(NOW), JWT_OK);
	/* required, and must be a number */
	EXPECT_MEMBER("exp", NULL, JWT_NO_EXP);
	EXPECT_MEMBER("exp", json_string("1700003600"), JWT_NO_EXP);
	EXPECT_MEMBER("exp", json_null(), JWT_NO_EXP);
	EXPECT_MEMBER("exp", json_true(), JWT_NO_EXP);
	EXPECT_MEMBER("exp", json_real(1e300), JWT_NO_EXP);
	/* a fractional NumericDate is truncated */
	tok = token_with("exp", json_real((double)NOW + 100.75));
	ck_assert_int_eq(verify_n(tok, 1, &c), JWT_OK);
	ck_assert_int_eq(c.exp, NOW + 100);
	free(tok);
	EXPECT_MEMBER("exp", json_real((double)(NOW - SKEW) - 1.5), JWT_EXPIRED);
}
END_TEST

/* exp + skew must not overflow (undefined behaviour, and a wrapped sum is in the past). */
START_TEST(test_exp_far_future)
{
	struct jwt_claims c;
	char *tok = token_with("exp", json_integer(INT64_MAX));

	ck_assert_int_eq(verify_n(tok, 1, &c), JWT_OK);
	ck_assert_int_eq(c.exp, INT64_MAX);
	free(tok);
	EXPECT_MEMBER("exp", json_integer(INT64_MAX - SKEW + 1), JWT_OK);
	EXPECT_MEMBER("exp", json_integer(INT64_MIN), JWT_EXPIRED);
}
END_TEST

START_TEST(test_nbf)
{
	EXPECT_MEMBER("nbf", json_integer(NOW + SKEW + 1), JWT_NOT_YET_VALID);
	EXPECT_MEMBER("nbf", json_integer(NOW + 3000), JWT_NOT_YET_VALID);
	EXPECT_MEMBER("nbf", json_integer(NOW + SKEW), JWT_OK);
	EXPECT_MEMBER("nbf", json_integer(NOW - 100), JWT_OK);
	/* present but not a number */
	EXPECT_MEMBER("nbf", json_string("0"), JWT_NOT_YET_VALID);
}
END_TEST

START_TEST(test_iat)
{
	EXPECT_MEMBER("iat", json_integer(NOW + SKEW + 1), JWT_NOT_YET_VALID);
	EXPECT_MEMBER("iat", json_integer(NOW + SKEW), JWT_OK);
	EXPECT_MEMBER("iat", json_integer(NOW - 86400 * 365), JWT_OK);
	EXPECT_MEMBER("iat", NULL, JWT_OK);
	EXPECT_MEMBER("iat", json_string("now"), JWT_NOT_YET_VALID);
}
END_TEST

/* ---- audience, issuer, subject ----------------------------------------- */

START_TEST(test_audience)
{
	EXPECT_MEMBER("aud", json_string("https://evil.example.org"), JWT_BAD_AUDIENCE);
	EXPECT_MEMBER("aud", json_string(AUD "/"), JWT_BAD_AUDIENCE);
	EXPECT_MEMBER("aud", json_string("https://api.medperf.or"), JWT_BAD_AUDIENCE);
	EXPECT_MEMBER("aud", json_string(""), JWT_BAD_AUDIENCE);
	EXPECT_MEMBER("aud", NULL, JWT_BAD_AUDIENCE);
	EXPECT_MEMBER("aud", json_integer(1), JWT_BAD_AUDIENCE);
	EXPECT_MEMBER("aud", json_object(), JWT_BAD_AUDIENCE);
	/* array forms */
	EXPECT_MEMBER("aud", json_array(), JWT_BAD_AUDIENCE);
	EXPECT_MEMBER("aud", json_pack("[s,s]", "a", "https://evil.example.org"), JWT_BAD_AUDIENCE);
	EXPECT_MEMBER("aud", json_pack("[[s]]", AUD), JWT_BAD_AUDIENCE);
	EXPECT_MEMBER("aud", json_pack("[s]", AUD), JWT_OK);
	EXPECT_MEMBER("aud", json_pack("[s,s]", "https://userinfo.example.org", AUD), JWT_OK);
	EXPECT_MEMBER("aud", json_pack("[i,n,s]", 3, AUD), JWT_OK);
}
END_TEST

START_TEST(test_issuer)
{
	EXPECT_MEMBER("iss", json_string("https://evil.example.org/"), JWT_UNKNOWN_ISSUER);
	EXPECT_MEMBER("iss", json_string("https://issuer.example.org"), JWT_UNKNOWN_ISSUER);
	EXPECT_MEMBER("iss", json_string(""), JWT_UNKNOWN_ISSUER);
	EXPECT_MEMBER("iss", NULL, JWT_UNKNOWN_ISSUER);
	EXPECT_MEMBER("iss", json_integer(7), JWT_UNKNOWN_ISSUER);
	EXPECT_MEMBER("iss", json_pack("[s]", ISS), JWT_UNKNOWN_ISSUER);
}
END_TEST

START_TEST(test_subject)
{
	char long_sub[300];
	struct jwt_claims c;
	char *tok;

	EXPECT_MEMBER("sub", NULL, JWT_NO_SUBJECT);
	EXPECT_MEMBER("sub", json_string(""), JWT_NO_SUBJECT);
	EXPECT_MEMBER("sub", json_integer(123), JWT_NO_SUBJECT);
	EXPECT_MEMBER("sub", json_null(), JWT_NO_SUBJECT);
	/*
	 * An embedded NUL would let "admin\0x" pass as "admin"; the JSON parser
	 * already refuses \u0000 in the payload.
	 */
	EXPECT_MEMBER("sub", json_stringn("admin\0x", 7), JWT_MALFORMED);
	/* 255 bytes fit the claims buffer, 256 do not (refused, not truncated) */
	memset(long_sub, 's', sizeof(long_sub));
	tok = token_with("sub", json_stringn(long_sub, 255));
	ck_assert_int_eq(verify_n(tok, 1, &c), JWT_OK);
	ck_assert_uint_eq(strlen(c.sub), 255);
	free(tok);
	EXPECT_MEMBER("sub", json_stringn(long_sub, 256), JWT_NO_SUBJECT);
	/* UTF-8 is kept as is */
	tok = token_with("sub", json_string("\xc3\xa9t\xc3\xa9"));
	ck_assert_int_eq(verify_n(tok, 1, &c), JWT_OK);
	ck_assert_str_eq(c.sub, "\xc3\xa9t\xc3\xa9");
	free(tok);
}
END_TEST

/* ---- signatures and keys ------------------------------------------------ */

START_TEST(test_other_key)
{
	char *tok = sign_claims(key_b, NULL, base_claims());

	EXPECT(tok, JWT_BAD_SIGNATURE);
	free(tok);
}
END_TEST

START_TEST(test_tampered)
{
	char *tok = sign_claims(key_a, NULL, base_claims());
	json_t *claims = base_claims();
	char *text, *p, *forged, *sig, *raw;
	struct buf b;

	/* payload re-encoded with another subject, original signature kept */
	json_object_set_new(claims, "sub", json_string("admin"));
	text = jsonw_dumps(claims);
	p = b64_str(text);
	forged = replace_part(tok, 1, p);
	EXPECT(forged, JWT_BAD_SIGNATURE);
	free(forged);
	free(p);
	free(text);
	json_decref(claims);

	/* header changed (a kid added), same payload and signature */
	p = b64_str("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"x\"}");
	forged = replace_part(tok, 0, p);
	EXPECT(forged, JWT_BAD_SIGNATURE);
	free(forged);
	free(p);

	/* one bit of the signature flipped */
	sig = token_part(tok, 2);
	buf_init(&b, 0);
	ck_assert_int_eq(b64url_decode(&b, sig, strlen(sig)), MP_OK);
	ck_assert_uint_eq(b.len, 256);
	b.data[100] ^= 1;
	raw = b64_of(b.data, b.len);
	forged = replace_part(tok, 2, raw);
	EXPECT(forged, JWT_BAD_SIGNATURE);
	free(forged);
	free(raw);

	/* the signature cut short by one byte */
	b.data[100] ^= 1;
	raw = b64_of(b.data, b.len - 1);
	forged = replace_part(tok, 2, raw);
	EXPECT(forged, JWT_BAD_SIGNATURE);
	free(forged);
	free(raw);

	/* one byte appended */
	ck_assert_int_eq(buf_addch(&b, 0), MP_OK);
	raw = b64_of(b.data, b.len);
	forged = replace_part(tok, 2, raw);
	EXPECT(forged, JWT_BAD_SIGNATURE);
	free(forged);
	free(raw);
	buf_release(&b);
	free(sig);

	/* the untouched token still verifies */
	EXPECT(tok, JWT_OK);
	free(tok);
}
END_TEST

START_TEST(test_ec_key_not_rs256)
{
	/* an ECDSA signature labelled RS256, checked against the EC key itself */
	struct jwt_key k = { NULL, key_ec };
	struct jwt_issuer is = { name_a, iss_a, aud_a, &k, 1 };
	struct jwt_claims c;
	char *tok = sign_claims(key_ec, NULL, base_claims());

	ck_assert_int_eq(jwt_verify(&is, 1, tok, strlen(tok), NOW, SKEW, &c), JWT_BAD_SIGNATURE);
	free(tok);
}
END_TEST

START_TEST(test_kid)
{
	char kid1[] = "k1", kid2[] = "k2";
	struct jwt_key keys[2] = { { kid1, key_a }, { kid2, key_b } };
	struct jwt_issuer is = { name_a, iss_a, aud_a, keys, 2 };
	struct jwt_key anykey = { NULL, key_a };
	struct jwt_issuer is_any = { name_a, iss_a, aud_a, &anykey, 1 };
	struct jwt_claims c;
	char *tok, *hdr, *h;

	/* the signer writes the kid into the header */
	tok = sign_claims(key_b, "k2", base_claims());
	h = token_part(tok, 0);
	hdr = unb64(h);
	ck_assert_str_eq(hdr, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k2\"}");
	free(hdr);
	free(h);
	/* the kid selects the second key */
	ck_assert_int_eq(jwt_verify(&is, 1, tok, strlen(tok), NOW, SKEW, &c), JWT_OK);
	free(tok);
	/* a kid naming the other key: only that key is tried */
	tok = sign_claims(key_b, "k1", base_claims());
	ck_assert_int_eq(jwt_verify(&is, 1, tok, strlen(tok), NOW, SKEW, &c), JWT_BAD_SIGNATURE);
	free(tok);
	/* an unknown kid matches no key */
	tok = sign_claims(key_b, "k3", base_claims());
	ck_assert_int_eq(jwt_verify(&is, 1, tok, strlen(tok), NOW, SKEW, &c), JWT_BAD_SIGNATURE);
	free(tok);
	/* no kid: every key of the issuer is tried */
	tok = sign_claims(key_b, NULL, base_claims());
	ck_assert_int_eq(jwt_verify(&is, 1, tok, strlen(tok), NOW, SKEW, &c), JWT_OK);
	free(tok);
	tok = sign_claims(key_a, "k1", base_claims());
	ck_assert_int_eq(jwt_verify(&is, 1, tok, strlen(tok), NOW, SKEW, &c), JWT_OK);
	/* a key without a kid matches any token kid */
	ck_assert_int_eq(jwt_verify(&is_any, 1, tok, strlen(tok), NOW, SKEW, &c), JWT_OK);
	free(tok);
}
END_TEST

START_TEST(test_kid_not_string)
{
	char *tok = token_with_header("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":7}");

	EXPECT(tok, JWT_MALFORMED);
	free(tok);
}
END_TEST

/* ---- algorithms ------------------------------------------------------ */

START_TEST(test_raw_signer_sane)
{
	/* the hand-made RS256 token verifies, so the refusals below mean something */
	char *tok = token_with_header(RS256_HDR);

	EXPECT(tok, JWT_OK);
	free(tok);
}
END_TEST

START_TEST(test_alg_none)
{
	char *valid = sign_claims(key_a, NULL, base_claims());
	char *p = token_part(valid, 1), *sig = token_part(valid, 2);
	char *h = b64_str("{\"alg\":\"none\",\"typ\":\"JWT\"}");
	char *tok, *with_dot;
	struct jwt_claims c;
	struct buf b;

	/* the classic unsigned token "h.p." has an empty third part */
	buf_init(&b, 0);
	ck_assert_int_eq(buf_addf(&b, "%s.%s.", h, p), MP_OK);
	with_dot = buf_detach(&b, NULL);
	ck_assert_int_ne(verify_n(with_dot, 1, &c), JWT_OK);
	EXPECT(with_dot, JWT_MALFORMED);
	free(with_dot);
	/* any non-empty signature: refused for the algorithm */
	tok = join3(h, p, "AAAA");
	EXPECT(tok, JWT_BAD_ALG);
	free(tok);
	/* even a signature that is valid for the signing input of the RS256 token */
	tok = join3(h, p, sig);
	EXPECT(tok, JWT_BAD_ALG);
	free(tok);
	free(h);
	/* spellings and missing alg */
	h = b64_str("{\"alg\":\"None\"}");
	tok = join3(h, p, "AAAA");
	EXPECT(tok, JWT_BAD_ALG);
	free(tok);
	free(h);
	h = b64_str("{\"alg\":\"NONE\"}");
	tok = join3(h, p, "AAAA");
	EXPECT(tok, JWT_BAD_ALG);
	free(tok);
	free(h);
	free(p);
	free(sig);
	free(valid);
}
END_TEST

START_TEST(test_alg_missing_or_odd)
{
	static const char *const hdrs[] = {
		"{\"typ\":\"JWT\"}",
		"{}",
		"{\"alg\":null}",
		"{\"alg\":256}",
		"{\"alg\":[\"RS256\"]}",
		"{\"alg\":\"rs256\"}",
		"{\"alg\":\"RS256 \"}",
		"{\"alg\":\"RS2560\"}",
		"{\"alg\":\"\"}",
	};

	/* each properly signed with RS256 over its own header */
	for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		char *tok = token_with_header(hdrs[i]);
		struct jwt_claims c;

		ck_assert_msg(verify_n(tok, 1, &c) == JWT_BAD_ALG, "header %s accepted", hdrs[i]);
		free(tok);
	}
}
END_TEST

/* header.payload.MAC, with an HMAC-SHA256 keyed with key (malloc'd). */
static char *hmac_token(const char *hdr, const char *payload, const void *key, size_t keylen)
{
	char *h = b64_str(hdr), *p = b64_str(payload), *m;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	struct buf in;

	buf_init(&in, 0);
	ck_assert_int_eq(buf_addf(&in, "%s.%s", h, p), MP_OK);
	ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, (int)keylen, (unsigned char *)in.data,
				   in.len, mac, &maclen));
	ck_assert_uint_eq(maclen, 32);
	m = b64_of(mac, maclen);
	ck_assert_int_eq(buf_addf(&in, ".%s", m), MP_OK);
	free(m);
	free(h);
	free(p);
	return buf_detach(&in, NULL);
}

START_TEST(test_hs256_confusion)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL, *p = base_payload(), *tok;
	long pemlen;

	/* HMAC-SHA256 keyed with the PEM text of the trusted public key */
	ck_assert_ptr_nonnull(bio);
	ck_assert_int_eq(PEM_write_bio_PUBKEY(bio, key_a), 1);
	pemlen = BIO_get_mem_data(bio, &pem);
	ck_assert_int_gt(pemlen, 0);
	tok = hmac_token("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", p, pem, (size_t)pemlen);
	EXPECT(tok, JWT_BAD_ALG);
	free(tok);
	tok = hmac_token("{\"alg\":\"HS512\"}", p, pem, (size_t)pemlen);
	EXPECT(tok, JWT_BAD_ALG);
	free(tok);
	/* the same MAC under an RS256 header is just a bad signature */
	tok = hmac_token(RS256_HDR, p, pem, (size_t)pemlen);
	EXPECT(tok, JWT_BAD_SIGNATURE);
	free(tok);
	free(p);
	BIO_free(bio);
}
END_TEST

START_TEST(test_other_algs)
{
	char *p = base_payload();
	char *tok;

	/* really signed with RSA-SHA512 by the trusted key */
	tok = sign_raw(key_a, EVP_sha512(), "{\"alg\":\"RS512\",\"typ\":\"JWT\"}", p);
	EXPECT(tok, JWT_BAD_ALG);
	free(tok);
	tok = sign_raw(key_a, EVP_sha384(), "{\"alg\":\"RS384\",\"typ\":\"JWT\"}", p);
	EXPECT(tok, JWT_BAD_ALG);
	free(tok);
	tok = sign_raw(key_a, EVP_sha256(), "{\"alg\":\"PS256\",\"typ\":\"JWT\"}", p);
	EXPECT(tok, JWT_BAD_ALG);
	free(tok);
	/* signed by a P-256 key */
	tok = sign_raw(key_ec, EVP_sha256(), "{\"alg\":\"ES256\",\"typ\":\"JWT\"}", p);
	EXPECT(tok, JWT_BAD_ALG);
	free(tok);
	free(p);
}
END_TEST

START_TEST(test_crit)
{
	static const char *const hdrs[] = {
		"{\"alg\":\"RS256\",\"typ\":\"JWT\",\"crit\":[\"exp\"]}",
		"{\"alg\":\"RS256\",\"crit\":[]}",
		"{\"alg\":\"RS256\",\"crit\":null}",
		"{\"alg\":\"RS256\",\"crit\":[\"b64\"],\"b64\":false}",
	};

	for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		char *tok = token_with_header(hdrs[i]);
		struct jwt_claims c;
		enum jwt_fail f = verify_n(tok, 1, &c);

		ck_assert_msg(f != JWT_OK, "header %s accepted", hdrs[i]);
		ck_assert_msg(f == JWT_BAD_ALG, "header %s: %s", hdrs[i], jwt_fail_str(f));
		free(tok);
	}
}
END_TEST

/* ---- structure ---------------------------------------------------------- */

START_TEST(test_malformed_base64)
{
	char *tok = sign_claims(key_a, NULL, base_claims());
	/* bad characters, padding, a length that cannot be base64 */
	static const char *const damage[] = { "!", "=", "+", "/", " ", "==" };

	for (int part = 0; part < 3; part++) {
		char *orig = token_part(tok, part);

		for (size_t d = 0; d < sizeof(damage) / sizeof(damage[0]); d++) {
			struct buf b;
			char *forged;

			/* appended, and in place of the first character */
			buf_init(&b, 0);
			ck_assert_int_eq(buf_addf(&b, "%s%s", orig, damage[d]), MP_OK);
			forged = replace_part(tok, part, b.data);
			EXPECT(forged, JWT_MALFORMED);
			free(forged);
			buf_reset(&b);
			ck_assert_int_eq(buf_addf(&b, "%s%s", damage[d], orig + 1), MP_OK);
			forged = replace_part(tok, part, b.data);
			EXPECT(forged, JWT_MALFORMED);
			free(forged);
			buf_release(&b);
		}
		free(orig);
	}
	free(tok);
}
END_TEST

START_TEST(test_noncanonical_signature)
{
	char *tok = sign_claims(key_a, NULL, base_claims());
	char *sig = token_part(tok, 2), *forged;
	size_t n = strlen(sig);

	/* 256 bytes -> 342 characters; the last one carries 4 unused bits */
	ck_assert_uint_eq(n, 342);
	ck_assert_uint_eq(n % 4, 2);
	/* 'A' -> 'B' sets an unused bit: same bytes, non-canonical text */
	ck_assert_int_eq(sig[n - 1] == 'A' || sig[n - 1] == 'Q' || sig[n - 1] == 'g' ||
				 sig[n - 1] == 'w', 1);
	sig[n - 1] = (char)(sig[n - 1] + 1);
	forged = replace_part(tok, 2, sig);
	EXPECT(forged, JWT_MALFORMED);
	free(forged);
	/* a signature of impossible length (len % 4 == 1) */
	forged = replace_part(tok, 2, "AAAAA");
	EXPECT(forged, JWT_MALFORMED);
	free(forged);
	free(sig);
	free(tok);
}
END_TEST

START_TEST(test_not_json)
{
	char *tok = sign_claims(key_a, NULL, base_claims());
	static const char *const texts[] = {
		"not json", "{\"a\":", "{\"alg\":\"RS256\"} trailing", "", "\xff\xfe",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char *enc = b64_str(texts[i]);

		for (int part = 0; part < 2; part++) {
			char *forged = replace_part(tok, part, enc);

			EXPECT(forged, JWT_MALFORMED);
			free(forged);
		}
		free(enc);
	}
	free(tok);
}
END_TEST

START_TEST(test_not_object)
{
	static const char *const payloads[] = { "[]", "\"sub\"", "123", "null", "true" };

	/* validly signed payloads that are JSON but not objects */
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		char *tok = sign_raw(key_a, EVP_sha256(), RS256_HDR, payloads[i]);

		EXPECT(tok, JWT_MALFORMED);
		free(tok);
	}
	/* and a header that is an array */
	{
		char *p = base_payload();
		char *tok = sign_raw(key_a, EVP_sha256(), "[\"RS256\"]", p);

		EXPECT(tok, JWT_MALFORMED);
		free(tok);
		free(p);
	}
}
END_TEST

START_TEST(test_duplicate_claims)
{
	/* {"sub":"user","sub":"admin"}: parsers disagree on which wins; refuse it */
	char *p = base_payload();
	struct buf b;
	char *tok;

	ck_assert_int_eq(p[strlen(p) - 1], '}');
	p[strlen(p) - 1] = '\0';
	buf_init(&b, 0);
	ck_assert_int_eq(buf_addf(&b, "%s,\"sub\":\"admin\"}", p), MP_OK);
	tok = sign_raw(key_a, EVP_sha256(), RS256_HDR, b.data);
	EXPECT(tok, JWT_MALFORMED);
	free(tok);
	buf_release(&b);
	free(p);
	/* duplicated header member */
	tok = token_with_header("{\"alg\":\"none\",\"alg\":\"RS256\"}");
	EXPECT(tok, JWT_MALFORMED);
	free(tok);
}
END_TEST

START_TEST(test_dots)
{
	char *tok = sign_claims(key_a, NULL, base_claims());
	char *h = token_part(tok, 0), *p = token_part(tok, 1), *s = token_part(tok, 2);
	char *cases[12];
	struct buf b;
	size_t n = 0;

	buf_init(&b, 0);
#define ADD_CASE(...)                                                     \
	do {                                                              \
		buf_reset(&b);                                            \
		ck_assert_int_eq(buf_addf(&b, __VA_ARGS__), MP_OK);       \
		cases[n++] = strdup(b.data);                              \
	} while (0)
	ADD_CASE("%s", "");
	ADD_CASE("%s", ".");
	ADD_CASE("%s", "..");
	ADD_CASE("%s", "...");
	ADD_CASE("%s%s%s", h, p, s);          /* no dots */
	ADD_CASE("%s.%s", h, p);              /* two parts */
	ADD_CASE("%s.%s.", h, p);             /* empty signature */
	ADD_CASE("%s..%s", h, s);             /* empty payload */
	ADD_CASE(".%s.%s", p, s);             /* empty header */
	ADD_CASE("%s.%s.%s.", h, p, s);       /* trailing dot */
	ADD_CASE("%s.%s.%s.%s", h, p, s, s);  /* four parts (JWE-like) */
	ADD_CASE("%s.%s.%s.%s.%s", h, p, s, s, s);
#undef ADD_CASE
	for (size_t i = 0; i < n; i++) {
		struct jwt_claims c;

		ck_assert_msg(verify_n(cases[i], 1, &c) == JWT_MALFORMED, "case %zu accepted", i);
		free(cases[i]);
	}
	buf_release(&b);
	free(h);
	free(p);
	free(s);
	free(tok);
}
END_TEST

START_TEST(test_embedded_nul)
{
	char *tok = sign_claims(key_a, NULL, base_claims());
	size_t len = strlen(tok);
	char *copy = malloc(len + 5);
	struct jwt_claims c;

	/* only len bytes count: a NUL-terminated token with junk after len */
	memcpy(copy, tok, len);
	memcpy(copy + len, ".xyz", 5);
	ck_assert_int_eq(jwt_verify(issuers, 1, copy, len, NOW, SKEW, &c), JWT_OK);
	/* a NUL inside the token */
	copy[10] = '\0';
	ck_assert_int_eq(jwt_verify(issuers, 1, copy, len, NOW, SKEW, &c), JWT_MALFORMED);
	free(copy);
	free(tok);
}
END_TEST

/* A token signed by key A whose length is exactly want, or NULL if none is. */
static char *token_of_length(size_t want)
{
	json_t *c = base_claims();
	char *filler = malloc(want + 1);
	char *tok = NULL;

	ck_assert_ptr_nonnull(filler);
	memset(filler, 'f', want);
	for (size_t f = 0; f < want && tok == NULL; f++) {
		char *text;
		size_t plen;

		json_object_set_new(c, "pad", json_stringn(filler, f));
		text = jsonw_dumps(c);
		plen = (strlen(text) * 4 + 2) / 3;
		free(text);
		/* header 36 characters, signature 342, two dots */
		if (36 + 1 + plen + 1 + 342 == want)
			tok = sign_claims(key_a, NULL, json_incref(c));
		else if (36 + 1 + plen + 1 + 342 > want)
			break;
	}
	json_decref(c);
	free(filler);
	return tok;
}

START_TEST(test_too_long)
{
	char *tok = token_of_length(JWT_MAX_LEN);
	char *junk;

	/* exactly at the limit is read */
	ck_assert_ptr_nonnull(tok);
	ck_assert_uint_eq(strlen(tok), JWT_MAX_LEN);
	EXPECT(tok, JWT_OK);
	free(tok);
	/* a validly signed token just past it is refused unread */
	tok = token_of_length(JWT_MAX_LEN + 2);
	ck_assert_ptr_nonnull(tok);
	EXPECT(tok, JWT_TOO_LONG);
	free(tok);
	/* and so is junk */
	junk = malloc(JWT_MAX_LEN + 2);
	memset(junk, 'A', JWT_MAX_LEN + 1);
	junk[JWT_MAX_LEN + 1] = '\0';
	EXPECT(junk, JWT_TOO_LONG);
	free(junk);
}
END_TEST

START_TEST(test_fail_str)
{
	static const enum jwt_fail all[] = {
		JWT_OK, JWT_TOO_LONG, JWT_MALFORMED, JWT_BAD_ALG, JWT_UNKNOWN_ISSUER,
		JWT_BAD_SIGNATURE, JWT_NO_EXP, JWT_EXPIRED, JWT_NOT_YET_VALID,
		JWT_BAD_AUDIENCE, JWT_NO_SUBJECT,
	};
	size_t n = sizeof(all) / sizeof(all[0]);

	for (size_t i = 0; i < n; i++) {
		const char *s = jwt_fail_str(all[i]);

		ck_assert_ptr_nonnull(s);
		ck_assert_str_ne(s, "unknown");
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(s, jwt_fail_str(all[j]));
	}
	ck_assert_str_eq(jwt_fail_str(JWT_OK), "ok");
	ck_assert_str_eq(jwt_fail_str((enum jwt_fail)999), "unknown");
}
END_TEST

START_TEST(test_sign_appends_and_cap)
{
	json_t *claims = base_claims();
	mp_errbuf e = { "" };
	struct jwt_claims c;
	struct buf b;

	/* the token is appended after what the buffer holds */
	buf_init(&b, 0);
	ck_assert_int_eq(buf_adds(&b, "Bearer "), MP_OK);
	ck_assert_int_eq(jwt_sign_rs256(key_a, NULL, claims, &b, &e), MP_OK);
	ck_assert_int_eq(strncmp(b.data, "Bearer ", 7), 0);
	ck_assert_int_eq(jwt_verify(issuers, 1, b.data + 7, b.len - 7, NOW, SKEW, &c), JWT_OK);
	buf_release(&b);

	/* too small a cap: an error with detail, and the buffer as it was */
	buf_init(&b, 100);
	ck_assert_int_eq(buf_adds(&b, "Bearer "), MP_OK);
	ck_assert_int_eq(jwt_sign_rs256(key_a, NULL, claims, &b, &e), MP_ETOOBIG);
	ck_assert_str_eq(b.data, "Bearer ");
	ck_assert_uint_eq(b.len, 7);
	ck_assert_str_ne(e.msg, "");
	buf_release(&b);
	json_decref(claims);
}
END_TEST

/* ---- pkey: JWKS -------------------------------------------------------- */

/* Base64url of an RSA parameter (n or e) of k. */
static char *rsa_param_b64(EVP_PKEY *k, const char *name)
{
	BIGNUM *bn = NULL;
	unsigned char bin[1024];
	int n;
	char *out;

	ck_assert_int_eq(EVP_PKEY_get_bn_param(k, name, &bn), 1);
	ck_assert_int_le(BN_num_bytes(bn), (int)sizeof(bin));
	n = BN_bn2bin(bn, bin);
	ck_assert_int_gt(n, 0);
	out = b64_of(bin, (size_t)n);
	BN_free(bn);
	return out;
}

/* A JWK object for RSA key k; kid/use/alg are left out when NULL. */
static json_t *rsa_jwk(EVP_PKEY *k, const char *kid, const char *use, const char *alg)
{
	char *n = rsa_param_b64(k, OSSL_PKEY_PARAM_RSA_N);
	char *e = rsa_param_b64(k, OSSL_PKEY_PARAM_RSA_E);
	json_t *jwk = json_pack("{s:s, s:s, s:s}", "kty", "RSA", "n", n, "e", e);

	ck_assert_ptr_nonnull(jwk);
	if (kid)
		json_object_set_new(jwk, "kid", json_string(kid));
	if (use)
		json_object_set_new(jwk, "use", json_string(use));
	if (alg)
		json_object_set_new(jwk, "alg", json_string(alg));
	free(n);
	free(e);
	return jwk;
}

/* Runs pkey_read_jwks on the JSON text of doc (takes the reference). */
static int read_jwks(json_t *doc, struct jwt_key **keys, size_t *nkeys, mp_errbuf *e)
{
	char *text = json_dumps(doc, JSON_COMPACT);
	int rc;

	ck_assert_ptr_nonnull(text);
	rc = pkey_read_jwks(text, strlen(text), keys, nkeys, e);
	free(text);
	json_decref(doc);
	return rc;
}

START_TEST(test_jwks_verify)
{
	json_t *doc = json_pack("{s:[o]}", "keys", rsa_jwk(key_a, "jw1", "sig", "RS256"));
	struct jwt_key *keys = NULL;
	struct jwt_issuer is;
	struct jwt_claims c;
	mp_errbuf e = { "" };
	size_t nkeys = 0;
	char *tok;

	ck_assert_int_eq(read_jwks(doc, &keys, &nkeys, &e), MP_OK);
	ck_assert_uint_eq(nkeys, 1);
	ck_assert_ptr_nonnull(keys);
	ck_assert_str_eq(keys[0].kid, "jw1");
	ck_assert_int_eq(EVP_PKEY_eq(keys[0].pkey, key_a), 1);
	ck_assert_int_eq(EVP_PKEY_get_bits(keys[0].pkey), 2048);

	/* an issuer that owns everything, released with jwt_issuer_release */
	is.name = strdup("jwks");
	is.iss = strdup(ISS);
	is.aud = strdup(AUD);
	is.keys = keys;
	is.nkeys = nkeys;
	tok = sign_claims(key_a, "jw1", base_claims());
	ck_assert_int_eq(jwt_verify(&is, 1, tok, strlen(tok), NOW, SKEW, &c), JWT_OK);
	ck_assert_str_eq(c.sub, "user-123");
	free(tok);
	tok = sign_claims(key_a, NULL, base_claims());
	ck_assert_int_eq(jwt_verify(&is, 1, tok, strlen(tok), NOW, SKEW, &c), JWT_OK);
	free(tok);
	tok = sign_claims(key_b, "jw1", base_claims());
	ck_assert_int_eq(jwt_verify(&is, 1, tok, strlen(tok), NOW, SKEW, &c), JWT_BAD_SIGNATURE);
	free(tok);
	jwt_issuer_release(&is);
	ck_assert_ptr_null(is.keys);
	ck_assert_ptr_null(is.iss);
	ck_assert_uint_eq(is.nkeys, 0);
}
END_TEST

START_TEST(test_jwks_skips_others)
{
	json_t *ec = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kty", "EC", "crv", "P-256", "x",
			       "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y",
			       "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", "kid", "ec1");
	json_t *doc = json_pack("{s:[o,o,o,o,o]}", "keys", ec,
				rsa_jwk(key_b, "enc1", "enc", NULL),
				rsa_jwk(key_b, "rs512", NULL, "RS512"),
				rsa_jwk(key_a, NULL, NULL, NULL),
				rsa_jwk(key_b, "b", "sig", NULL));
	struct jwt_key *keys = NULL;
	mp_errbuf e = { "" };
	size_t nkeys = 0;

	ck_assert_int_eq(read_jwks(doc, &keys, &nkeys, &e), MP_OK);
	ck_assert_uint_eq(nkeys, 2);
	ck_assert_ptr_null(keys[0].kid);
	ck_assert_int_eq(EVP_PKEY_eq(keys[0].pkey, key_a), 1);
	ck_assert_str_eq(keys[1].kid, "b");
	ck_assert_int_eq(EVP_PKEY_eq(keys[1].pkey, key_b), 1);
	jwt_keys_free(keys, nkeys);
}
END_TEST

static void expect_jwks_error_at(const char *text, int line)
{
	static struct jwt_key sentinel;
	struct jwt_key *keys = &sentinel;
	mp_errbuf e = { "" };
	size_t nkeys = 99;

	ck_assert_msg(pkey_read_jwks(text, strlen(text), &keys, &nkeys, &e) == MP_EINVAL,
		      "line %d: JWKS accepted", line);
	ck_assert_ptr_null(keys);
	ck_assert_uint_eq(nkeys, 0);
	ck_assert_msg(e.msg[0] != '\0', "line %d: no detail", line);
}

#define EXPECT_JWKS_ERROR(text) expect_jwks_error_at((text), __LINE__)

START_TEST(test_jwks_errors)
{
	EVP_PKEY *small;
	json_t *doc;
	char *text, *n;
	mp_errbuf e = { "" };

	EXPECT_JWKS_ERROR("{\"keys\":[");
	EXPECT_JWKS_ERROR("");
	EXPECT_JWKS_ERROR("not json");
	EXPECT_JWKS_ERROR("{\"keys\":[],\"keys\":[]}");
	EXPECT_JWKS_ERROR("[]");
	EXPECT_JWKS_ERROR("{}");
	EXPECT_JWKS_ERROR("{\"keys\":{}}");
	EXPECT_JWKS_ERROR("{\"keys\":[]}");
	EXPECT_JWKS_ERROR("{\"keys\":[1,\"x\",null]}");
	/* no RSA key at all */
	EXPECT_JWKS_ERROR("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"},"
			  "{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}");
	/* RSA members that are not valid */
	EXPECT_JWKS_ERROR("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"!!!!\",\"e\":\"AQAB\"}]}");
	EXPECT_JWKS_ERROR("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"\",\"e\":\"AQAB\"}]}");
	EXPECT_JWKS_ERROR("{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\"}]}");
	n = rsa_param_b64(key_a, OSSL_PKEY_PARAM_RSA_N);
	doc = json_pack("{s:[{s:s,s:s}]}", "keys", "kty", "RSA", "n", n);
	text = json_dumps(doc, JSON_COMPACT);
	EXPECT_JWKS_ERROR(text);
	free(text);
	json_decref(doc);
	doc = json_pack("{s:[{s:s,s:s,s:s}]}", "keys", "kty", "RSA", "n", n, "e", "AQAB==");
	text = json_dumps(doc, JSON_COMPACT);
	EXPECT_JWKS_ERROR(text);
	free(text);
	json_decref(doc);
	free(n);
	/* a 1024-bit RSA key is too short */
	small = pkey_generate_rsa(1024, &e);
	ck_assert_ptr_nonnull(small);
	doc = json_pack("{s:[o]}", "keys", rsa_jwk(small, "small", "sig", "RS256"));
	text = json_dumps(doc, JSON_COMPACT);
	EXPECT_JWKS_ERROR(text);
	free(text);
	json_decref(doc);
	EVP_PKEY_free(small);
}
END_TEST

/* ---- pkey: PEM files --------------------------------------------------- */

/* dir/name as a malloc'd string. */
static char *path_in(const char *dir, const char *name)
{
	struct buf b;

	buf_init(&b, 4096);
	ck_assert_int_eq(buf_addf(&b, "%s/%s", dir, name), MP_OK);
	return buf_detach(&b, NULL);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

START_TEST(test_pem_roundtrip)
{
	char tmpl[] = "/tmp/mp-unit-pkey-XXXXXX";
	char *dir = mkdtemp(tmpl);
	char *priv, *pub, *missing;
	EVP_PKEY *k;
	struct stat st;
	mp_errbuf e = { "" };
	char *tok;

	ck_assert_ptr_nonnull(dir);
	umask(022);
	priv = path_in(dir, "jwt.key");
	pub = path_in(dir, "jwt.pub");
	missing = path_in(dir, "missing.pem");

	ck_assert_int_eq(pkey_write_private(priv, key_a, &e), MP_OK);
	ck_assert_int_eq(stat(priv, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(pkey_write_public(pub, key_a, &e), MP_OK);
	ck_assert_int_eq(stat(pub, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	/* atomic writes leave no temporary files behind */
	ck_assert_int_eq(count_entries(dir), 2);
	/* overwriting an existing key file works and keeps the mode */
	ck_assert_int_eq(pkey_write_private(priv, key_a, &e), MP_OK);
	ck_assert_int_eq(stat(priv, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(count_entries(dir), 2);

	k = pkey_read_private(priv, &e);
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(EVP_PKEY_eq(k, key_a), 1);
	/* a token signed with the re-read key verifies against the original */
	tok = sign_claims(k, NULL, base_claims());
	EXPECT(tok, JWT_OK);
	free(tok);
	EVP_PKEY_free(k);

	k = pkey_read_public(pub, &e);
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(EVP_PKEY_eq(k, key_a), 1);
	ck_assert_int_ne(EVP_PKEY_eq(k, key_b), 1);
	EVP_PKEY_free(k);

	/* a private key file is not a public key PEM */
	e.msg[0] = '\0';
	ck_assert_ptr_null(pkey_read_public(priv, &e));
	ck_assert_str_ne(e.msg, "");
	/* a public key is not a private key */
	ck_assert_ptr_null(pkey_read_private(pub, &e));
	/* a missing file names the path */
	ck_assert_ptr_null(pkey_read_private(missing, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "missing.pem"));
	ck_assert_ptr_null(pkey_read_public(missing, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "missing.pem"));

	ck_assert_int_eq(unlink(priv), 0);
	ck_assert_int_eq(unlink(pub), 0);
	ck_assert_int_eq(rmdir(dir), 0);
	free(priv);
	free(pub);
	free(missing);
}
END_TEST

/* A PEM held in memory that is not NUL-terminated must not be read past len. */
START_TEST(test_public_from_pem_len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	mp_errbuf e = { "" };
	char *pem = NULL, *exact;
	EVP_PKEY *k;
	long n;

	ck_assert_int_eq(PEM_write_bio_PUBKEY(bio, key_b), 1);
	n = BIO_get_mem_data(bio, &pem);
	ck_assert_int_gt(n, 0);
	exact = malloc((size_t)n);
	ck_assert_ptr_nonnull(exact);
	memcpy(exact, pem, (size_t)n);
	k = pkey_public_from_pem(exact, (size_t)n, &e);
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(EVP_PKEY_eq(k, key_b), 1);
	EVP_PKEY_free(k);
	/* garbage is refused with detail */
	ck_assert_ptr_null(pkey_public_from_pem("garbage", 7, &e));
	ck_assert_str_ne(e.msg, "");
	free(exact);
	BIO_free(bio);
}
END_TEST

START_TEST(test_public_from_certificate)
{
	X509 *x = X509_new();
	BIO *bio = BIO_new(BIO_s_mem());
	mp_errbuf e = { "" };
	char *pem = NULL, *text;
	EVP_PKEY *k;
	long n;

	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(X509_set_version(x, 2), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
						    (const unsigned char *)"test", -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, X509_get_subject_name(x)), 1);
	ck_assert_int_eq(X509_set_pubkey(x, key_a), 1);
	ck_assert_int_gt(X509_sign(x, key_a, EVP_sha256()), 0);
	ck_assert_int_eq(PEM_write_bio_X509(bio, x), 1);
	n = BIO_get_mem_data(bio, &pem);
	text = strndup(pem, (size_t)n);
	k = pkey_public_from_pem(text, strlen(text), &e);
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(EVP_PKEY_eq(k, key_a), 1);
	EVP_PKEY_free(k);
	free(text);
	BIO_free(bio);
	X509_free(x);
}
END_TEST

START_TEST(test_fingerprint)
{
	char fa[65], fa2[65], fb[65], want[65];
	unsigned char *der = NULL, md[32];
	BIO *bio = BIO_new(BIO_s_mem());
	mp_errbuf e = { "" };
	EVP_PKEY *pub;
	char *pem = NULL;
	long n;
	int dlen;

	ck_assert_int_eq(pkey_fingerprint(key_a, fa), MP_OK);
	ck_assert_int_eq(pkey_fingerprint(key_b, fb), MP_OK);
	ck_assert_uint_eq(strlen(fa), 64);
	ck_assert_uint_eq(strspn(fa, "0123456789abcdef"), 64);
	ck_assert_str_ne(fa, fb);
	/* the SHA-256 of the DER SubjectPublicKeyInfo */
	dlen = i2d_PUBKEY(key_a, &der);
	ck_assert_int_gt(dlen, 0);
	SHA256(der, (size_t)dlen, md);
	OPENSSL_free(der);
	for (int i = 0; i < 32; i++)
		snprintf(want + 2 * i, 3, "%02x", md[i]);
	ck_assert_str_eq(fa, want);
	/* the public half alone has the same fingerprint */
	ck_assert_int_eq(PEM_write_bio_PUBKEY(bio, key_a), 1);
	n = BIO_get_mem_data(bio, &pem);
	pub = pkey_public_from_pem(pem, (size_t)n, &e);
	ck_assert_ptr_nonnull(pub);
	ck_assert_int_eq(pkey_fingerprint(pub, fa2), MP_OK);
	ck_assert_str_eq(fa, fa2);
	EVP_PKEY_free(pub);
	BIO_free(bio);
}
END_TEST

START_TEST(test_file_io)
{
	char tmpl[] = "/tmp/mp-unit-file-XXXXXX";
	char *dir = mkdtemp(tmpl);
	char *path, *missing, *data = NULL;
	mp_errbuf e = { "" };
	struct stat st;
	size_t len = 0;

	ck_assert_ptr_nonnull(dir);
	umask(022);
	path = path_in(dir, "f.bin");
	missing = path_in(dir, "nope");
	ck_assert_int_eq(file_write_atomic(path, "ab\0cd", 5, 0640, &e), MP_OK);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert_int_eq(file_read_all(path, 5, &data, &len, &e), MP_OK);
	ck_assert_uint_eq(len, 5);
	ck_assert_mem_eq(data, "ab\0cd", 6);
	free(data);
	/* over the cap */
	ck_assert_int_eq(file_read_all(path, 4, &data, &len, &e), MP_ETOOBIG);
	ck_assert_ptr_null(data);
	ck_assert_int_eq(file_read_all(missing, 100, &data, &len, &e), MP_EIO);
	ck_assert_ptr_null(data);
	ck_assert_ptr_nonnull(strstr(e.msg, "nope"));
	/* empty file */
	ck_assert_int_eq(file_write_atomic(path, "", 0, 0600, &e), MP_OK);
	ck_assert_int_eq(file_read_all(path, 10, &data, &len, &e), MP_OK);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(data, "");
	free(data);
	/* a directory that does not exist */
	ck_assert_int_eq(file_write_atomic("/nonexistent-dir/x", "x", 1, 0600, &e), MP_EIO);
	ck_assert_int_eq(count_entries(dir), 1);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
	free(path);
	free(missing);
}
END_TEST

static Suite *jwt_suite(void)
{
	Suite *s = suite_create("jwt");
	TCase *tc = tcase_create("verify");
	TCase *tp = tcase_create("pkey");

	tcase_set_timeout(tc, 60);
	tcase_set_timeout(tp, 60);
	tcase_add_test(tc, test_valid);
	tcase_add_test(tc, test_second_issuer);
	tcase_add_test(tc, test_email_optional);
	tcase_add_test(tc, test_failure_clears_claims);
	tcase_add_test(tc, test_exp);
	tcase_add_test(tc, test_exp_far_future);
	tcase_add_test(tc, test_nbf);
	tcase_add_test(tc, test_iat);
	tcase_add_test(tc, test_audience);
	tcase_add_test(tc, test_issuer);
	tcase_add_test(tc, test_subject);
	tcase_add_test(tc, test_other_key);
	tcase_add_test(tc, test_tampered);
	tcase_add_test(tc, test_ec_key_not_rs256);
	tcase_add_test(tc, test_kid);
	tcase_add_test(tc, test_kid_not_string);
	tcase_add_test(tc, test_raw_signer_sane);
	tcase_add_test(tc, test_alg_none);
	tcase_add_test(tc, test_alg_missing_or_odd);
	tcase_add_test(tc, test_hs256_confusion);
	tcase_add_test(tc, test_other_algs);
	tcase_add_test(tc, test_crit);
	tcase_add_test(tc, test_malformed_base64);
	tcase_add_test(tc, test_noncanonical_signature);
	tcase_add_test(tc, test_not_json);
	tcase_add_test(tc, test_not_object);
	tcase_add_test(tc, test_duplicate_claims);
	tcase_add_test(tc, test_dots);
	tcase_add_test(tc, test_embedded_nul);
	tcase_add_test(tc, test_too_long);
	tcase_add_test(tc, test_fail_str);
	tcase_add_test(tc, test_sign_appends_and_cap);
	suite_add_tcase(s, tc);

	tcase_add_test(tp, test_jwks_verify);
	tcase_add_test(tp, test_jwks_skips_others);
	tcase_add_test(tp, test_jwks_errors);
	tcase_add_test(tp, test_pem_roundtrip);
	tcase_add_test(tp, test_public_from_pem_len);
	tcase_add_test(tp, test_public_from_certificate);
	tcase_add_test(tp, test_fingerprint);
	tcase_add_test(tp, test_file_io);
	suite_add_tcase(s, tp);
	return s;
}

int main(void)
{
	mp_errbuf e = { "" };
	SRunner *sr;
	int failed;

	key_a = pkey_generate_rsa(2048, &e);
	key_b = pkey_generate_rsa(2048, &e);
	key_ec = pkey_generate_p256(&e);
	if (key_a == NULL || key_b == NULL || key_ec == NULL) {
		fprintf(stderr, "test_jwt: cannot generate keys: %s\n", e.msg);
		EVP_PKEY_free(key_a);
		EVP_PKEY_free(key_b);
		EVP_PKEY_free(key_ec);
		return EXIT_FAILURE;
	}
	keys_a[0].pkey = key_a;
	keys_b[0].pkey = key_b;
	issuers[0] = (struct jwt_issuer){ name_a, iss_a, aud_a, keys_a, 1 };
	issuers[1] = (struct jwt_issuer){ name_b, iss_b, aud_b, keys_b, 1 };

	sr = srunner_create(jwt_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	EVP_PKEY_free(key_a);
	EVP_PKEY_free(key_b);
	EVP_PKEY_free(key_ec);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
