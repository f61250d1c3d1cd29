/* auth.c: bearer-token authentication and users created on first sight (see auth.h). */
#include <string.h>

#include <openssl/sha.h>

#include "core/timeutil.h"
#include "server/auth.h"
#include "server/policy.h"

#define CACHE_SLOTS 256

struct cached_token {
	unsigned char hash[SHA256_DIGEST_LENGTH];
	int64_t exp;
	int64_t verified_at;
	struct jwt_claims claims;
	int used;
};

/* Per worker thread: no locking, no sharing. */
static _Thread_local struct cached_token token_cache[CACHE_SLOTS];

static void set_challenge(struct api *a)
{
	http_set_header(a->w, "WWW-Authenticate", "Bearer realm=\"api\"");
}

void auth_challenge(struct api *a)
{
	api_detail(a, 401, "Authentication credentials were not provided.");
	set_challenge(a);
}

static void invalid_token(struct api *a)
{
	api_reply(a, 401, json_pack("{s:s,s:s,s:[{s:s,s:s,s:s}]}",
		"detail", "Given token not valid for any token type",
		"code", "token_not_valid",
		"messages", "token_class", "AccessToken", "token_type", "access",
		"message", "Token is invalid or expired"));
	set_challenge(a);
}

static void auth_fail(struct api *a, const char *detail, const char *code)
{
	api_reply(a, 401, json_pack("{s:s,s:s}", "detail", detail, "code", code));
	set_challenge(a);
}

/* Verifies tok, consulting the thread's cache first. JWT_OK when valid. */
static enum jwt_fail verify(struct api *a, const char *tok, size_t len, struct jwt_claims *cl)
{
	const struct server_config *c = &a->srv->cfg;
	unsigned char h[SHA256_DIGEST_LENGTH];
	struct cached_token *slot;
	int64_t now = tm_now_us() / 1000000;
	enum jwt_fail f;

	SHA256((const unsigned char *)tok, len, h);
	slot = &token_cache[(h[0] << 8 | h[1]) % CACHE_SLOTS];
	if (slot->used && memcmp(slot->hash, h, sizeof(h)) == 0 &&
	    now <= slot->exp + c->clock_skew_s && now - slot->verified_at < 300) {
		*cl = slot->claims;
		return JWT_OK;
	}
	f = jwt_verify(c->issuers, c->nissuers, tok, len, now, c->clock_skew_s, cl);
	if (f != JWT_OK)
		return f;
	memcpy(slot->hash, h, sizeof(h));
	slot->exp = cl->exp;
	slot->verified_at = now;
	slot->claims = *cl;
	slot->used = 1;
	return JWT_OK;
}

static int find_or_create_user(struct api *a, const struct jwt_claims *cl, json_t **row)
{
	json_t *sub = json_string(cl->sub), *vals;
	struct store_cond cond = {"username", sub};
	int rc = store_find(a->st, ENT_USER, &cond, 1, row), reading;

	if (rc != MP_ENOTFOUND) {
		json_decref(sub);
		return rc;
	}
	if (cl->email[0] == '\0') {
		json_decref(sub);
		return MP_EINVAL;
	}
	/* a first sight writes: leave the request's read transaction for it */
	reading = store_in_transaction(a->st);
	if (reading)
		store_commit(a->st);
	vals = json_pack("{s:o,s:s}", "username", sub, "email", cl->email);
	rc = store_insert(a->st, ENT_USER, vals, NULL);
	json_decref(vals);
	if (reading)
		store_begin_read(a->st);
	/* a concurrent first request may have created it: look again either way */
	if (rc == 0 || rc == MP_ECONSTRAINT) {
		sub = json_string(cl->sub);
		cond.value = sub;
		rc = store_find(a->st, ENT_USER, &cond, 1, row);
		json_decref(sub);
	}
	return rc;
}

/*
 * Users last found by this thread, by sub. An entry serves only while the
 * database is unchanged since it was read (store_generation), so a change
 * of the admin flag or of is_active is seen on the very next request.
 */
#define USER_SLOTS 64

struct cached_user {
	char sub[256];
	char email[256];
	int64_t gen;
	int64_t id;
	int is_admin;
	int is_active;
};

static _Thread_local struct cached_user user_cache[USER_SLOTS];

static struct cached_user *user_slot(const char *sub)
{
	uint32_t h = 2166136261u;

	for (const char *p = sub; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return &user_cache[h % USER_SLOTS];
}

/* Fills a->user for the token's subject: from the cache, or the store. 0 or an mp_err. */
static int load_user(struct api *a, const struct jwt_claims *cl, int *active)
{
	struct cached_user *c = user_slot(cl->sub);
	int64_t gen = store_generation(a->st);
	json_t *row = NULL;
	int rc;

	if (gen >= 0 && c->gen == gen && strcmp(c->sub, cl->sub) == 0) {
		a->user.id = c->id;
		a->user.is_admin = c->is_admin;
		a->user.username = arena_strdup(a->arena, c->sub);
		a->user.email = arena_strdup(a->arena, c->email);
		*active = c->is_active;
		return MP_OK;
	}
	rc = find_or_create_user(a, cl, &row);
	if (rc)
		return rc;
	arena_keep(a->arena, row);
	a->user.id = row_int(row, "id");
	a->user.is_admin = row_bool(row, "is_admin");
	a->user.username = row_str(row, "username");
	a->user.email = row_str(row, "email");
	*active = row_bool(row, "is_active");
	if (gen >= 0 && strlen(a->user.email) < sizeof(c->email)) {
		/* gen was taken before the read: a change since then misses next time */
		memcpy(c->sub, cl->sub, strlen(cl->sub) + 1);
		memcpy(c->email, a->user.email, strlen(a->user.email) + 1);
		c->gen = gen;
		c->id = a->user.id;
		c->is_admin = a->user.is_admin;
		c->is_active = *active;
	}
	return MP_OK;
}

int auth_request(struct api *a)
{
	const char *h = http_header(a->req, "Authorization");
	const char *tok, *sp;
	struct jwt_claims cl;
	enum jwt_fail f;
	int rc, active = 0;

	if (h == NULL || strncmp(h, "Bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\0'))
		return 1;
	tok = h + 6;
	while (*tok == ' ')
		tok++;
	sp = strchr(tok, ' ');
	if (*tok == '\0' || (sp && sp[strspn(sp, " ")] != '\0')) {
		auth_fail(a, "Authorization header must contain two space-delimited values",
			  "bad_authorization_header");
		return -1;
	}
	f = verify(a, tok, sp ? (size_t)(sp - tok) : strlen(tok), &cl);
	if (f == JWT_NO_SUBJECT) {
		/* a valid token without "sub": the original's get_user() message */
		auth_fail(a, "Token contained no recognizable user identification",
			  "token_not_valid");
		return -1;
	}
	if (f != JWT_OK) {
		invalid_token(a);
		return -1;
	}
	rc = load_user(a, &cl, &active);
	if (rc == MP_EINVAL) {
		auth_fail(a, "Token must contain the user email address", "token_not_valid");
		return -1;
	}
	if (rc) {
		api_store_error(a, rc);
		return -1;
	}
	if (!active) {
		auth_fail(a, "User is inactive", "user_inactive");
		return -1;
	}
	a->req->user_id = a->user.id;
	return 0;
}
