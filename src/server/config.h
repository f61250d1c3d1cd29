/*
 * config.h: the server's configuration: what lives in a data directory,
 * how config.json is read and checked, and the immutable struct that every
 * worker thread shares once serving starts.
 *
 * Data directory layout (created by `medperf-server init`):
 *   config.json           settings (see docs/api.md, "Configuration")
 *   medperf.db            SQLite database (+ -wal, -shm)
 *   token-key.pem         private key the server signs its own tokens with (0600)
 *   token-key.pub.pem     its public half
 *   tls-cert.pem          self-signed certificate for localhost and 127.0.0.1
 *   tls-key.pem           its private key (0600)
 */
#ifndef MP_SERVER_CONFIG_H
#define MP_SERVER_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/jwt.h"

#define CFG_FILE "config.json"
#define CFG_DB "medperf.db"
#define CFG_TOKEN_KEY "token-key.pem"
#define CFG_TOKEN_PUB "token-key.pub.pem"
#define CFG_TLS_CERT "tls-cert.pem"
#define CFG_TLS_KEY "tls-key.pem"

struct server_config {
	char *data_dir;
	char *listen_addr;          /* numeric address */
	uint16_t port;
	int threads;
	size_t max_body;
	unsigned conn_limit;
	unsigned conn_timeout_s;
	int64_t default_page_limit;
	int64_t max_page_limit;
	int64_t clock_skew_s;
	int sync_full;
	int trust_forwarded;        /* honour X-Forwarded-Proto/Host in links */
	char *token_issuer;         /* "iss" of the server's own tokens */
	char *token_audience;       /* "aud" of the server's own tokens */
	char **auto_approve_benchmarks_from;  /* emails */
	size_t n_auto_approve;
	struct jwt_issuer *issuers; /* [0] = the server itself, then trusted_issuers */
	size_t nissuers;
};

/* Joins data_dir and name into a new malloc'd path (NULL when out of memory). */
char *cfg_path(const char *data_dir, const char *name);
/* Reads DATA_DIR/config.json and the server's public key; checks everything. */
int cfg_load(const char *data_dir, struct server_config *c, mp_errbuf *e);
void cfg_release(struct server_config *c);
/* Parses "ADDR:PORT", "[V6]:PORT" or ":PORT"; addr is malloc'd. */
int cfg_parse_listen(const char *s, char **addr, uint16_t *port, mp_errbuf *e);
/* The default config.json written by init. */
const char *cfg_default_text(void);
/* 1 when email is in auto_approve_benchmarks_from. */
int cfg_auto_approve_benchmark(const struct server_config *c, const char *email);

#endif
