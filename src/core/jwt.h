/*
 * jwt.h: RS256 JSON Web Tokens: signing (for tokens the server mints) and
 * verification against a set of trusted issuers.
 *
 * Verification accepts only alg RS256 (never "none", never HS*), requires a
 * valid signature from a key of an issuer whose "iss" matches, then checks
 * "exp" (required), "nbf" and "iat" (if present) with a clock-skew allowance,
 * and that "aud" (string or array) contains the issuer's audience.
 * Issuers and keys are immutable after loading and safe to share across
 * threads.
 */
#ifndef MP_JWT_H
#define MP_JWT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "core/buf.h"
#include "core/err.h"

#define JWT_MAX_LEN 8192             /* longer tokens are rejected unread */
#define JWT_EMAIL_CLAIM "https://medperf.org/email"

struct jwt_key {
	char *kid;        /* NULL: matches any token kid */
	EVP_PKEY *pkey;   /* RSA public (or private) key */
};

struct jwt_issuer {
	char *name;       /* label for messages */
	char *iss;        /* required "iss" */
	char *aud;        /* required member of "aud" */
	struct jwt_key *keys;
	size_t nkeys;
};

struct jwt_claims {
	char sub[256];
	char email[256];  /* "" when the token has no email claim */
	int64_t exp;
	size_t issuer;    /* index into the issuer array */
};

/* Why a token was refused (for tests and logs; never sent to clients). */
enum jwt_fail {
	JWT_OK = 0,
	JWT_TOO_LONG,
	JWT_MALFORMED,
	JWT_BAD_ALG,
	JWT_UNKNOWN_ISSUER,
	JWT_BAD_SIGNATURE,
	JWT_NO_EXP,
	JWT_EXPIRED,
	JWT_NOT_YET_VALID,
	JWT_BAD_AUDIENCE,
	JWT_NO_SUBJECT,
};

/*
 * Verifies token (len bytes) at time now (seconds) with skew seconds of
 * tolerance. Returns JWT_OK and fills *out, or the reason for refusal.
 */
enum jwt_fail jwt_verify(const struct jwt_issuer *iss, size_t niss, const char *token,
			 size_t len, int64_t now, int64_t skew, struct jwt_claims *out);
const char *jwt_fail_str(enum jwt_fail f);

/* Signs claims with key (RS256; kid may be NULL) and appends the token to out. */
int jwt_sign_rs256(EVP_PKEY *key, const char *kid, const json_t *claims, struct buf *out,
		   mp_errbuf *e);

void jwt_keys_free(struct jwt_key *keys, size_t n);
void jwt_issuer_release(struct jwt_issuer *is);

#endif
