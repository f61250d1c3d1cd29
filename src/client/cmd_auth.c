/*
 * cmd_auth.c: `medperf auth login|logout|status`. A login takes an access
 * token (from --token, --token-file or standard input), checks it with the
 * server (GET /me/), stores it under the configuration folder with mode
 * 0600 and records who is logged in in the profile. Tokens are never
 * printed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client/cli.h"
#include "core/b64.h"
#include "core/jwt.h"
#include "core/pkey.h"
#include "core/timeutil.h"

/* The claims of a token, read without verifying (the server verifies). */
static json_t *token_claims(const char *tok)
{
	const char *d1 = strchr(tok, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	struct buf raw;
	json_t *v = NULL;

	if (d2 == NULL)
		return NULL;
	buf_init(&raw, 16384);
	if (b64url_decode(&raw, d1 + 1, (size_t)(d2 - d1 - 1)) == 0)
		v = json_loadb(raw.data, raw.len, 0, NULL);
	buf_release(&raw);
	if (v && !json_is_object(v)) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

/* Reads the token from its option, its file or standard input (malloc'd). */
static char *read_token(struct ctx *c, struct args *a, int *code)
{
	const char *tok = arg(c, a, "token"), *file = arg(c, a, "token-file");
	char *text = NULL;
	size_t len = 0;
	mp_errbuf e;

	*code = EXIT_OK;
	if (tok && file) {
		*code = fail(EXIT_USAGE, "give the token with --token or --token-file, not both");
		return NULL;
	}
	if (tok) {
		text = strdup(tok);
		len = strlen(tok);
	} else if (file) {
		if (file_read_all(file, JWT_MAX_LEN + 64, &text, &len, &e) != 0) {
			*code = fail(EXIT_FAIL, "%s", e.msg);
			return NULL;
		}
	} else {
		struct buf b;
		char chunk[1024];
		size_t n;
		if (isatty(0))
			fprintf(stderr, "Paste your access token and press Enter: ");
		buf_init(&b, JWT_MAX_LEN + 64);
		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
			if (buf_add(&b, chunk, n)) {
				buf_wipe(&b);
				*code = fail(EXIT_FAIL, "the token is longer than %d bytes", JWT_MAX_LEN);
				return NULL;
			}
			if (memchr(chunk, '\n', n) && isatty(0))
				break;
		}
		text = buf_detach(&b, &len);
	}
	if (text == NULL) {
		*code = fail(EXIT_FAIL, "out of memory");
		return NULL;
	}
	/* trim blanks and newlines around it */
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' ' ||
		       text[len - 1] == '\t'))
		text[--len] = '\0';
	{
		size_t lead = strspn(text, " \t\r\n");
		memmove(text, text + lead, len - lead + 1);
		len -= lead;
	}
	if (len == 0 || strchr(text, ' ') || strchr(text, '\n')) {
		explicit_bzero(text, len);
		free(text);
		*code = fail(EXIT_USAGE, len ? "the token contains blanks: give exactly one token"
					     : "no token given (use --token-file FILE or pipe it in)");
		return NULL;
	}
	return text;
}

static int write_token(struct ctx *c, const char *email, const char *tok)
{
	char *path = token_path(c, email), *slash;
	mp_errbuf e;
	int rc;

	if (path == NULL)
		return fail(EXIT_FAIL, "out of memory");
	slash = strrchr(path, '/');
	*slash = '\0';
	if (mkdirs(path, 0700) != 0) {
		rc = fail(EXIT_FAIL, "cannot create '%s': %s", path, strerror(errno));
		free(path);
		return rc;
	}
	*slash = '/';
	rc = file_write_atomic(path, tok, strlen(tok), 0600, &e);
	free(path);
	if (rc)
		return fail(EXIT_FAIL, "cannot store the token: %s", e.msg);
	return EXIT_OK;
}

static int login(struct ctx *c, struct args *a)
{
	const char *want = arg(c, a, "email");
	struct comms_opts o = {0};
	struct comms_result r;
	struct comms *cm = NULL;
	json_t *claims, *me = NULL, *cred;
	const char *email;
	char *tok, when[32];
	int code, rc;
	mp_errbuf e;

	if (json_object_get(c->profile, "credentials"))
		return fail(EXIT_FAIL, "You are already logged in as %s. Logout before logging in "
			    "again", profile_str(json_object_get(c->profile, "credentials"), "email"));
	tok = read_token(c, a, &code);
	if (tok == NULL)
		return code;
	claims = token_claims(tok);
	if (claims == NULL) {
		code = fail(EXIT_USAGE, "this is not a JSON Web Token (three base64url parts)");
		goto out;
	}
	{
		/* an expired token: say so here, the server would only say "not valid" */
		json_t *exp = json_object_get(claims, "exp");
		if (json_is_integer(exp) && json_integer_value(exp) < tm_now_us() / 1000000) {
			time_t t = (time_t)json_integer_value(exp);
			struct tm tm;
			localtime_r(&t, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
			code = fail(EXIT_AUTH, "this token expired at %s: get a new one", when);
			goto out;
		}
	}
	o.server = profile_str(c->profile, "server");
	o.ca_file = profile_str(c->profile, "certificate")[0] ? profile_str(c->profile,
									     "certificate") : NULL;
	o.token = tok;
	if (comms_open(&o, &cm, &e) != 0) {
		code = fail(EXIT_FAIL, "%s", e.msg);
		goto out;
	}
	rc = comms_request(cm, "GET", "/me/", NULL, &r);
	if (rc) {
		code = fail_comms(&r);
		comms_result_release(&r);
		goto out;
	}
	me = r.body;
	email = json_string_value(json_object_get(me, "email"));
	if (email == NULL || email[0] == '\0') {
		code = fail(EXIT_FAIL, "the server did not say who this token belongs to");
		goto out;
	}
	/* as MedPerf, which lower-cases the typed email: the case does not matter */
	if (want && strcasecmp(want, email) != 0) {
		code = fail(EXIT_AUTH, "this token belongs to %s, not %s", email, want);
		goto out;
	}
	{
		/*
		 * The stored token is per email (MedPerf's layout), so another profile
		 * logged in as the same user on another server would be left with this
		 * server's token: refuse rather than break that login silently.
		 */
		json_t *profiles = json_object_get(c->config, "profiles"), *p;
		const char *name;
		json_object_foreach(profiles, name, p) {
			json_t *pc = json_object_get(p, "credentials");
			if (p == c->profile || strcasecmp(profile_str(pc, "email"), email) != 0 ||
			    strcmp(profile_str(p, "server"), o.server) == 0)
				continue;
			code = fail(EXIT_FAIL, "profile '%s' is logged in as %s on %s, and a user has one "
				    "stored token: log out there first ('medperf --profile %s auth "
				    "logout')", name, email, profile_str(p, "server"), name);
			goto out;
		}
	}
	code = write_token(c, email, tok);
	if (code)
		goto out;
	{
		/* MedPerf's credential keys: expiry = token_issued_at + token_expires_in */
		int64_t now = tm_now_us() / 1000000;
		json_t *iat = json_object_get(claims, "iat"), *exp = json_object_get(claims, "exp");
		int64_t issued = json_is_integer(iat) ? json_integer_value(iat) : now;
		int64_t expires = json_is_integer(exp) ? json_integer_value(exp) - issued : 0;
		cred = json_pack("{s:s,s:I,s:I,s:I,s:O}", "email", email,
				 "token_issued_at", (json_int_t)issued,
				 "token_expires_in", (json_int_t)expires,
				 "logged_in_at", (json_int_t)now, "medperf_user", me);
	}
	json_object_set_new(c->profile, "credentials", cred);
	code = config_save(c);
	if (code == EXIT_OK) {
		json_t *exp = json_object_get(claims, "exp");
		when[0] = '\0';
		if (json_is_integer(exp)) {
			time_t t = (time_t)json_integer_value(exp);
			struct tm tm;
			localtime_r(&t, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		}
		done_msg(c, "Logged in as %s (user %lld) on %s%s%s", email,
			 (long long)json_integer_value(json_object_get(me, "id")), o.server,
			 when[0] ? "; the token expires at " : "", when);
	}
out:
	comms_close(cm);
	json_decref(me);
	json_decref(claims);
	explicit_bzero(tok, strlen(tok));
	free(tok);
	return code;
}

static int logout(struct ctx *c, struct args *a)
{
	json_t *cred = json_object_get(c->profile, "credentials");
	const char *email = json_string_value(json_object_get(cred, "email"));
	char *path;

	(void)a;
	if (email == NULL)
		return fail(EXIT_AUTH, "You are not logged in");
	/* another profile logged in as the same user keeps the stored token */
	{
		json_t *profiles = json_object_get(c->config, "profiles"), *p;
		const char *name;
		json_object_foreach(profiles, name, p) {
			if (p != c->profile &&
			    strcmp(profile_str(json_object_get(p, "credentials"), "email"), email) == 0) {
				done_msg(c, "Logged out %s (profile %s)", email, c->profile_name);
				json_object_del(c->profile, "credentials");
				return config_save(c);
			}
		}
	}
	path = token_path(c, email);
	if (path && unlink(path) != 0 && errno != ENOENT) {
		int rc = fail(EXIT_FAIL, "cannot remove the stored token '%s': %s", path,
			      strerror(errno));
		free(path);
		return rc;
	}
	free(path);
	done_msg(c, "Logged out %s (profile %s)", email, c->profile_name);
	json_object_del(c->profile, "credentials");
	return config_save(c);
}

static int status(struct ctx *c, struct args *a)
{
	json_t *cred = json_object_get(c->profile, "credentials");
	const char *email = json_string_value(json_object_get(cred, "email"));
	int64_t exp = credentials_expiry(cred), now = tm_now_us() / 1000000;
	char *tok = token_load(c);
	int in = email != NULL && tok != NULL, expired = exp > 0 && exp < now;
	char when[32] = "";

	(void)a;
	if (exp > 0) {
		time_t t = (time_t)exp;
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	}
	if (c->json) {
		json_t *o = json_pack("{s:s,s:s,s:b}", "profile", c->profile_name, "server",
				      profile_str(c->profile, "server"), "logged_in", in);
		if (in) {
			json_object_set_new(o, "email", json_string(email));
			json_object_set(o, "user", json_object_get(cred, "medperf_user"));
			json_object_set_new(o, "token_expires_at", exp > 0 ? json_integer(exp)
									    : json_null());
			json_object_set_new(o, "expired", json_boolean(expired));
		}
		print_json(o);
		json_decref(o);
	} else if (!in) {
		printf("You are not logged in\n");
	} else {
		printf("Logged in user email address: %s\n", email);
		printf("Server: %s (profile %s), user id %lld\n", profile_str(c->profile, "server"),
		       c->profile_name, (long long)json_integer_value(json_object_get(
				json_object_get(cred, "medperf_user"), "id")));
		if (when[0])
			printf(expired ? "The token EXPIRED at %s: log in again.\n"
				       : "The token expires at %s.\n", when);
	}
	if (tok) {
		explicit_bzero(tok, strlen(tok));
		free(tok);
	}
	return EXIT_OK;
}

static const struct opt login_opts[] = {
	{'t', "token", OPT_VALUE, "TOKEN", "the access token (visible to other users of this "
	 "machine in the process list: prefer --token-file or standard input)", 0},
	{'f', "token-file", OPT_VALUE, "FILE", "read the access token from FILE", 0},
	{'e', "email", OPT_VALUE, "EMAIL", "the email associated with your account (checked "
	 "against the token's)", 0},
	{0, NULL, 0, NULL, NULL, 0},
};
static const struct opt status_opts[] = {
	{0, "json", OPT_FLAG, NULL, "print JSON", 0},
	{0, NULL, 0, NULL, NULL, 0},
};
static const struct opt no_opts[] = {{0, NULL, 0, NULL, NULL, 0}};

static const struct cmd auth_cmds[] = {
	{"login", login, login_opts, 0, "log in with an access token",
	 "Checks the token with the server (GET /me/), then stores it in the configuration\n"
	 "folder (mode 0600) for the active profile. Without --token or --token-file the\n"
	 "token is read from standard input."},
	{"logout", logout, no_opts, 0, "forget the stored token of the active profile", NULL},
	{"status", status, status_opts, 0, "show who is logged in and when the token expires",
	 NULL},
	{NULL, NULL, NULL, 0, NULL, NULL},
};

const struct group group_auth = {"auth", NULL, auth_cmds, "log in and out"};
