/*
 * cmd_token.c: `medperf-server token create`: mints an RS256 access token
 * signed with the data directory's key, with the claims the original's
 * clients and servers use (sub, https://medperf.org/email, iss, aud, iat,
 * exp). The user is recorded at once so that --admin can take effect.
 * The token goes to standard output and nowhere else.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jwt.h"
#include "core/pkey.h"
#include "core/timeutil.h"
#include "server/cmds.h"
#include "server/config.h"
#include "store/store.h"

static const char token_usage[] =
	"usage: medperf-server token create --data-dir DIR --email EMAIL [--sub SUBJECT]\n"
	"                                   [--admin] [--days N]\n"
	"\n"
	"Prints a new access token for EMAIL on standard output.\n"
	"\n"
	"options:\n"
	"  --data-dir DIR   data directory (or $MEDPERF_SERVER_DATA_DIR)\n"
	"  --email EMAIL    the user's email (claim https://medperf.org/email)\n"
	"  --sub SUBJECT    the user's stable id, the token's \"sub\" (default: EMAIL)\n"
	"  --admin          make the user a platform admin (kept in the database)\n"
	"  --days N         validity in days (default 30, at most 3650)\n"
	"  -h, --help       show this help\n";

/* Creates the user of sub if missing; sets admin when asked. */
static int record_user(const char *dir, const char *sub, const char *email, int admin)
{
	struct store *st;
	json_t *v = json_string(sub), *row = NULL;
	struct store_cond c = {"username", v};
	int rc;

	if (cmd_open_store(dir, &st)) {
		json_decref(v);
		return -1;
	}
	rc = store_find(st, ENT_USER, &c, 1, &row);
	if (rc == MP_ENOTFOUND) {
		json_t *vals = json_pack("{s:s,s:s,s:b}", "username", sub, "email", email,
					 "is_admin", admin);
		rc = store_insert(st, ENT_USER, vals, NULL);
		json_decref(vals);
	} else if (rc == 0) {
		if (strcmp(json_string_value(json_object_get(row, "email")), email) != 0)
			fprintf(stderr, "medperf-server token: note: user '%s' is recorded with "
				"email '%s'; the server keeps the first email it saw\n", sub,
				json_string_value(json_object_get(row, "email")));
		if (admin) {
			json_t *ch = json_pack("{s:b}", "is_admin", 1);
			rc = store_update(st, ENT_USER, json_integer_value(json_object_get(row, "id")),
					  ch);
			json_decref(ch);
		}
	}
	json_decref(row);
	json_decref(v);
	store_close(st);
	if (rc) {
		fprintf(stderr, "medperf-server token: cannot record the user: %s\n",
			mp_strerror(rc));
		return -1;
	}
	return 0;
}

int cmd_token(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data-dir", required_argument, NULL, 'd'},
		{"email", required_argument, NULL, 'e'},
		{"sub", required_argument, NULL, 's'},
		{"admin", no_argument, NULL, 'a'},
		{"days", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir_opt = NULL, *email = NULL, *sub = NULL, *dir;
	struct server_config cfg;
	EVP_PKEY *key = NULL;
	json_t *claims = NULL;
	struct buf tok;
	char *keypath = NULL, *end, kid[65];
	long days = 30;
	int admin = 0, c, rc = 1;
	int64_t now = tm_now_us() / 1000000;
	mp_errbuf e;

	if (argc < 2 || (strcmp(argv[1], "create") != 0)) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			fputs(token_usage, stdout);
			return 0;
		}
		fputs(token_usage, stderr);
		return 2;
	}
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir_opt = optarg; break;
		case 'e': email = optarg; break;
		case 's': sub = optarg; break;
		case 'a': admin = 1; break;
		case 'n':
			days = strtol(optarg, &end, 10);
			if (*end || days < 1 || days > 3650) {
				fprintf(stderr, "medperf-server token: --days must be 1 to 3650\n");
				return 2;
			}
			break;
		case 'h': fputs(token_usage, stdout); return 0;
		default: fputs(token_usage, stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "medperf-server token: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (email == NULL || strchr(email, '@') == NULL || strlen(email) > 254) {
		fprintf(stderr, "medperf-server token: --email must be an email address\n");
		return 2;
	}
	if (sub == NULL)
		sub = email;
	if (strlen(sub) > 150 || sub[0] == '\0') {
		fprintf(stderr, "medperf-server token: --sub must be 1 to 150 characters\n");
		return 2;
	}
	dir = cmd_data_dir(dir_opt);
	if (dir == NULL)
		return 2;
	if (cfg_load(dir, &cfg, &e)) {
		fprintf(stderr, "medperf-server token: %s\n", e.msg);
		return 1;
	}
	buf_init(&tok, JWT_MAX_LEN);
	keypath = cfg_path(dir, CFG_TOKEN_KEY);
	key = keypath ? pkey_read_private(keypath, &e) : NULL;
	if (key == NULL) {
		fprintf(stderr, "medperf-server token: %s\n", e.msg);
		goto out;
	}
	if (record_user(dir, sub, email, admin))
		goto out;
	claims = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", JWT_EMAIL_CLAIM, email, "iss",
			   cfg.token_issuer, "sub", sub, "aud", cfg.token_audience, "iat",
			   (json_int_t)now, "exp", (json_int_t)(now + days * 86400));
	if (pkey_fingerprint(key, kid) || claims == NULL) {
		fprintf(stderr, "medperf-server token: cannot build the token\n");
		goto out;
	}
	kid[16] = '\0';
	if (jwt_sign_rs256(key, kid, claims, &tok, &e)) {
		fprintf(stderr, "medperf-server token: %s\n", e.msg);
		goto out;
	}
	printf("%s\n", tok.data);
	rc = 0;
out:
	buf_wipe(&tok);
	json_decref(claims);
	EVP_PKEY_free(key);
	free(keypath);
	cfg_release(&cfg);
	return rc;
}
