/*
 * cmd_init.c: `medperf-server init`: creates a data directory with its
 * config, database (schema migrated), token signing keys and self-signed
 * TLS certificate, and prints what it made.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/pkey.h"
#include "server/cmds.h"
#include "server/config.h"
#include "server/tlsgen.h"
#include "store/store.h"

static const char init_usage[] =
	"usage: medperf-server init --data-dir DIR [--force] [--listen ADDR:PORT]\n"
	"                           [--san NAMES] [--cert-days N]\n"
	"\n"
	"Creates DIR (mode 0700) with:\n"
	"  config.json        settings; edit it to add trusted token issuers\n"
	"  medperf.db         the SQLite database, schema migrated\n"
	"  token-key.pem      RSA key the server signs its own tokens with (0600)\n"
	"  token-key.pub.pem  its public half\n"
	"  tls-cert.pem       self-signed certificate (clients pin this file)\n"
	"  tls-key.pem        its key (0600)\n"
	"\n"
	"options:\n"
	"  --data-dir DIR     the directory to create (or $MEDPERF_SERVER_DATA_DIR)\n"
	"  --force            replace an existing data directory's files, database included\n"
	"  --listen ADDR:PORT address written to config.json (default 127.0.0.1:8000)\n"
	"  --san NAMES        certificate names (default DNS:localhost,IP:127.0.0.1,IP:::1)\n"
	"  --cert-days N      certificate validity in days (default 825)\n"
	"  -h, --help         show this help\n";

static const char *const data_files[] = {
	CFG_FILE, CFG_DB, CFG_DB "-wal", CFG_DB "-shm", CFG_TOKEN_KEY, CFG_TOKEN_PUB,
	CFG_TLS_CERT, CFG_TLS_KEY, NULL,
};

static int exists(const char *dir, const char *name)
{
	char *p = cfg_path(dir, name);
	int r = p && access(p, F_OK) == 0;

	free(p);
	return r;
}

static int remove_file(const char *dir, const char *name)
{
	char *p = cfg_path(dir, name);
	int r = (p && (unlink(p) == 0 || errno == ENOENT)) ? 0 : -1;

	free(p);
	return r;
}

static int write_config(const char *dir, const char *listen, mp_errbuf *e)
{
	const char *text = cfg_default_text();
	struct buf b;
	char *path = cfg_path(dir, CFG_FILE);
	const char *at;
	int rc;

	buf_init(&b, 1 << 16);
	at = strstr(text, "127.0.0.1:8000");
	if (listen && at) {
		buf_add(&b, text, (size_t)(at - text));
		buf_adds(&b, listen);
		buf_adds(&b, at + strlen("127.0.0.1:8000"));
	} else {
		buf_adds(&b, text);
	}
	rc = path ? file_write_atomic(path, b.data, b.len, 0600, e) : MP_ENOMEM;
	buf_release(&b);
	free(path);
	return rc;
}

static int make_db(const char *dir, mp_errbuf *e)
{
	struct store_opts o = {.create = 1};
	struct store *st;
	char *path = cfg_path(dir, CFG_DB);
	int rc, from, to;

	if (path == NULL)
		return MP_ENOMEM;
	o.path = path;
	rc = store_open(&o, &st, e);
	free(path);
	if (rc)
		return rc;
	rc = store_migrate(st, &from, &to, e);
	store_close(st);
	return rc;
}

static int make_token_keys(const char *dir, mp_errbuf *e)
{
	EVP_PKEY *k = pkey_generate_rsa(2048, e);
	char *priv = cfg_path(dir, CFG_TOKEN_KEY), *pub = cfg_path(dir, CFG_TOKEN_PUB);
	int rc = MP_ENOMEM;

	if (k && priv && pub) {
		rc = pkey_write_private(priv, k, e);
		if (rc == 0)
			rc = pkey_write_public(pub, k, e);
	} else if (k == NULL) {
		rc = MP_ECRYPTO;
	}
	EVP_PKEY_free(k);
	free(priv);
	free(pub);
	return rc;
}

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data-dir", required_argument, NULL, 'd'},
		{"force", no_argument, NULL, 'f'},
		{"listen", required_argument, NULL, 'l'},
		{"san", required_argument, NULL, 's'},
		{"cert-days", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir_opt = NULL, *listen = NULL, *dir;
	const char *san = "DNS:localhost,IP:127.0.0.1,IP:::1";
	char *addr = NULL, *cert = NULL, *key = NULL, *end;
	long days = 825;
	int force = 0, c, rc;
	uint16_t port;
	mp_errbuf e = {""};

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir_opt = optarg; break;
		case 'f': force = 1; break;
		case 'l': listen = optarg; break;
		case 's': san = optarg; break;
		case 'c':
			days = strtol(optarg, &end, 10);
			if (*end || days < 1 || days > 36500) {
				fprintf(stderr, "medperf-server init: --cert-days must be 1 to 36500\n");
				return 2;
			}
			break;
		case 'h': fputs(init_usage, stdout); return 0;
		default: fputs(init_usage, stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "medperf-server init: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	dir = cmd_data_dir(dir_opt);
	if (dir == NULL)
		return 2;
	if (listen && cfg_parse_listen(listen, &addr, &port, &e)) {
		fprintf(stderr, "medperf-server init: %s\n", e.msg);
		return 2;
	}
	free(addr);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "medperf-server init: cannot create '%s': %s\n", dir, strerror(errno));
		return 1;
	}
	for (const char *const *f = data_files; *f; f++) {
		if (!exists(dir, *f))
			continue;
		if (!force) {
			fprintf(stderr, "medperf-server init: '%s' already holds a data directory "
				"('%s' exists); use --force to replace it, database included\n", dir, *f);
			return 1;
		}
		if (remove_file(dir, *f)) {
			fprintf(stderr, "medperf-server init: cannot remove '%s/%s': %s\n", dir, *f,
				strerror(errno));
			return 1;
		}
	}
	cert = cfg_path(dir, CFG_TLS_CERT);
	key = cfg_path(dir, CFG_TLS_KEY);
	rc = (cert && key) ? MP_OK : MP_ENOMEM;
	if (rc == 0)
		rc = write_config(dir, listen, &e);
	if (rc == 0)
		rc = make_db(dir, &e);
	if (rc == 0)
		rc = make_token_keys(dir, &e);
	if (rc == 0)
		rc = tls_selfsigned(cert, key, san, (int)days, &e);
	free(cert);
	free(key);
	if (rc) {
		fprintf(stderr, "medperf-server init: %s\n", e.msg[0] ? e.msg : mp_strerror(rc));
		return 1;
	}
	printf("created data directory %s\n"
	       "  %-18s settings (listen %s)\n"
	       "  %-18s SQLite database, schema version %d\n"
	       "  %-18s token signing key (RSA 2048, RS256)\n"
	       "  %-18s its public key\n"
	       "  %-18s self-signed certificate for %s, %ld days\n"
	       "  %-18s its key (P-256)\n"
	       "next: medperf-server token create --data-dir %s --email you@example.org --admin\n"
	       "      medperf-server serve --data-dir %s\n",
	       dir, CFG_FILE, listen ? listen : "127.0.0.1:8000", CFG_DB,
	       store_latest_schema_version(), CFG_TOKEN_KEY, CFG_TOKEN_PUB, CFG_TLS_CERT, san,
	       days, CFG_TLS_KEY, dir, dir);
	return 0;
}
