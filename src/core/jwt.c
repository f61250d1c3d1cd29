/* jwt.c: RS256 JWT signing and verification with OpenSSL (see jwt.h). */
#include <stdlib.h>
#include <string.h>

#include <openssl/rsa.h>

#include "core/b64.h"
#include "core/jsonw.h"
#include "core/jwt.h"

static const char *const fail_str[] = {
	[JWT_OK] = "ok",
	[JWT_TOO_LONG] = "token too long",
	[JWT_MALFORMED] = "malformed token",
	[JWT_BAD_ALG] = "algorithm not allowed",
	[JWT_UNKNOWN_ISSUER] = "unknown issuer",
	[JWT_BAD_SIGNATURE] = "bad signature",
	[JWT_NO_EXP] = "no exp claim",
	[JWT_EXPIRED] = "token expired",
	[JWT_NOT_YET_VALID] = "token not yet valid",
	[JWT_BAD_AUDIENCE] = "wrong audience",
	[JWT_NO_SUBJECT] = "no subject",
};

const char *jwt_fail_str(enum jwt_fail f)
{
	if ((size_t)f >= sizeof(fail_str) / sizeof(fail_str[0]))
		return "unknown";
	return fail_str[f];
}

void jwt_keys_free(struct jwt_key *keys, size_t n)
{
	if (keys == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(keys[i].kid);
		EVP_PKEY_free(keys[i].pkey);
	}
	free(keys);
}

void jwt_issuer_release(struct jwt_issuer *is)
{
	free(is->name);
	free(is->iss);
	free(is->aud);
	jwt_keys_free(is->keys, is->nkeys);
	memset(is, 0, sizeof(*is));
}

static json_t *decode_part(const char *s, size_t len)
{
	struct buf raw;
	json_t *v = NULL;

	buf_init(&raw, JWT_MAX_LEN);
	if (b64url_decode(&raw, s, len) == 0)
		v = json_loadb(raw.data, raw.len, JSON_REJECT_DUPLICATES, NULL);
	buf_release(&raw);
	if (v && !json_is_object(v)) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

static int rs256_verify(EVP_PKEY *k, const char *msg, size_t mlen,
			const unsigned char *sig, size_t slen)
{
	EVP_MD_CTX *ctx;
	EVP_PKEY_CTX *pctx = NULL;
	int ok = 0;

	if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA)
		return 0;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return 0;
	if (EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), NULL, k) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1)
		ok = EVP_DigestVerify(ctx, sig, slen, (const unsigned char *)msg, mlen) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* A NumericDate: a JSON number; fractions are truncated. */
static int numeric_date(json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 1;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d > -9.2e18 && d < 9.2e18) {
			*out = (int64_t)d;
			return 1;
		}
	}
	return 0;
}

static int audience_ok(json_t *aud, const char *want)
{
	size_t i;
	json_t *a;

	if (json_is_string(aud))
		return strcmp(json_string_value(aud), want) == 0;
	if (json_is_array(aud))
		json_array_foreach(aud, i, a)
			if (json_is_string(a) && strcmp(json_string_value(a), want) == 0)
				return 1;
	return 0;
}

static int copy_claim(char *dst, size_t cap, json_t *v)
{
	const char *s = json_string_value(v);
	size_t n;

	if (s == NULL)
		return 0;
	n = json_string_length(v);
	if (n >= cap || memchr(s, '\0', n))
		return 0;
	memcpy(dst, s, n + 1);
	return 1;
}

enum jwt_fail jwt_verify(const struct jwt_issuer *issuers, size_t niss, const char *token,
			 size_t len, int64_t now, int64_t skew, struct jwt_claims *out)
{
	const char *dot1, *dot2, *kid = NULL, *alg, *iss;
	json_t *hdr = NULL, *pl = NULL, *v;
	struct buf sig;
	enum jwt_fail f = JWT_MALFORMED;
	int64_t t;
	int matched = 0, verified = 0;

	memset(out, 0, sizeof(*out));
	buf_init(&sig, JWT_MAX_LEN);
	if (len > JWT_MAX_LEN)
		return JWT_TOO_LONG;
	dot1 = memchr(token, '.', len);
	dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
	if (dot1 == NULL || dot2 == NULL || dot1 == token || dot2 == dot1 + 1 ||
	    dot2 + 1 == token + len || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
		goto out;
	hdr = decode_part(token, (size_t)(dot1 - token));
	pl = decode_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	if (hdr == NULL || pl == NULL ||
	    b64url_decode(&sig, dot2 + 1, len - (size_t)(dot2 + 1 - token)) != 0)
		goto out;
	alg = json_string_value(json_object_get(hdr, "alg"));
	if (alg == NULL || strcmp(alg, "RS256") != 0 || json_object_get(hdr, "crit")) {
		f = JWT_BAD_ALG;
		goto out;
	}
	v = json_object_get(hdr, "kid");
	if (v && !json_is_string(v))
		goto out;
	kid = json_string_value(v);
	iss = json_string_value(json_object_get(pl, "iss"));
	f = JWT_UNKNOWN_ISSUER;
	if (iss == NULL)
		goto out;
	for (size_t i = 0; i < niss && !verified; i++) {
		if (strcmp(issuers[i].iss, iss) != 0)
			continue;
		matched = 1;
		for (size_t k = 0; k < issuers[i].nkeys && !verified; k++) {
			const struct jwt_key *key = &issuers[i].keys[k];
			if (kid && key->kid && strcmp(kid, key->kid) != 0)
				continue;
			if (rs256_verify(key->pkey, token, (size_t)(dot2 - token),
					 (const unsigned char *)sig.data, sig.len)) {
				verified = 1;
				out->issuer = i;
			}
		}
	}
	if (!matched)
		goto out;
	f = JWT_BAD_SIGNATURE;
	if (!verified)
		goto out;
	f = JWT_NO_EXP;
	if (!numeric_date(json_object_get(pl, "exp"), &out->exp))
		goto out;
	f = JWT_EXPIRED;
	if (out->exp < now - skew) /* not exp + skew: exp may be near INT64_MAX */
		goto out;
	f = JWT_NOT_YET_VALID;
	v = json_object_get(pl, "nbf");
	if (v && (!numeric_date(v, &t) || t > now + skew))
		goto out;
	v = json_object_get(pl, "iat");
	if (v && (!numeric_date(v, &t) || t > now + skew))
		goto out;
	f = JWT_BAD_AUDIENCE;
	if (!audience_ok(json_object_get(pl, "aud"), issuers[out->issuer].aud))
		goto out;
	f = JWT_NO_SUBJECT;
	if (!copy_claim(out->sub, sizeof(out->sub), json_object_get(pl, "sub")) ||
	    out->sub[0] == '\0')
		goto out;
	v = json_object_get(pl, JWT_EMAIL_CLAIM);
	if (v && !copy_claim(out->email, sizeof(out->email), v))
		out->email[0] = '\0';
	f = JWT_OK;
out:
	json_decref(hdr);
	json_decref(pl);
	buf_release(&sig);
	return f;
}

int jwt_sign_rs256(EVP_PKEY *key, const char *kid, const json_t *claims, struct buf *out,
		   mp_errbuf *e)
{
	json_t *hdr = json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT");
	char *h = NULL, *p = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0, start = out->len;
	EVP_MD_CTX *ctx = NULL;
	int rc = MP_ECRYPTO;

	if (hdr && kid)
		json_object_set_new(hdr, "kid", json_string(kid));
	h = hdr ? jsonw_dumps(hdr) : NULL;
	p = jsonw_dumps(claims);
	if (h == NULL || p == NULL) {
		rc = MP_ENOMEM;
		goto out;
	}
	if (b64url_encode(out, h, strlen(h)) || buf_addch(out, '.') ||
	    b64url_encode(out, p, strlen(p))) {
		rc = MP_ETOOBIG;
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (unsigned char *)out->data + start,
			   out->len - start) != 1)
		goto out;
	sig = malloc(siglen);
	if (sig == NULL ||
	    EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)out->data + start,
			   out->len - start) != 1)
		goto out;
	if (buf_addch(out, '.') || b64url_encode(out, sig, siglen)) {
		rc = MP_ETOOBIG;
		goto out;
	}
	rc = MP_OK;
out:
	if (rc) {
		mp_seterr(e, rc, "cannot sign token: %s", mp_strerror(rc));
		out->len = start;
		out->data[start] = '\0';
	}
	EVP_MD_CTX_free(ctx);
	free(sig);
	free(h);
	free(p);
	json_decref(hdr);
	return rc;
}
