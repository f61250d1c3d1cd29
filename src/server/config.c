/* config.c: reading and checking config.json and the token keys (see config.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/pkey.h"
#include "server/config.h"

static const char default_text[] =
	"{\n"
	"  \"listen\": \"127.0.0.1:8000\",\n"
	"  \"threads\": 2,\n"
	"  \"max_body_bytes\": 1048576,\n"
	"  \"connection_limit\": 1024,\n"
	"  \"connection_timeout_seconds\": 60,\n"
	"  \"default_page_limit\": 32,\n"
	"  \"max_page_limit\": 1000,\n"
	"  \"clock_skew_seconds\": 60,\n"
	"  \"durability\": \"normal\",\n"
	"  \"trust_forwarded_headers\": false,\n"
	"  \"token_issuer\": \"medperf-server\",\n"
	"  \"token_audience\": \"medperf-api\",\n"
	"  \"auto_approve_benchmarks_from\": [],\n"
	"  \"trusted_issuers\": []\n"
	"}\n";

const char *cfg_default_text(void)
{
	return default_text;
}

char *cfg_path(const char *data_dir, const char *name)
{
	struct buf b;

	if (name[0] == '/')
		return strdup(name);
	buf_init(&b, 4096);
	if (buf_addf(&b, "%s/%s", data_dir, name)) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

int cfg_parse_listen(const char *s, char **addr, uint16_t *port, mp_errbuf *e)
{
	const char *colon, *hs = s, *he;
	char *end;
	long p;

	*addr = NULL;
	if (s[0] == '[') {
		he = strchr(s, ']');
		if (he == NULL || he[1] != ':')
			return mp_seterr(e, MP_EINVAL, "bad listen address '%s' (want [ADDR]:PORT)", s);
		hs = s + 1;
		colon = he + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return mp_seterr(e, MP_EINVAL, "bad listen address '%s' (want ADDR:PORT)", s);
		he = colon;
	}
	p = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end || p < 0 || p > 65535)
		return mp_seterr(e, MP_EINVAL, "bad port in listen address '%s'", s);
	*addr = he == hs ? strdup("127.0.0.1") : strndup(hs, (size_t)(he - hs));
	if (*addr == NULL)
		return MP_ENOMEM;
	*port = (uint16_t)p;
	return MP_OK;
}

/* ---- typed getters that name the offending key ---- */

static int get_int(json_t *o, const char *k, int64_t lo, int64_t hi, int64_t *out, mp_errbuf *e)
{
	json_t *v = json_object_get(o, k);

	if (v == NULL)
		return MP_OK;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return mp_seterr(e, MP_EINVAL, "config: \"%s\" must be an integer from %lld to %lld",
				 k, (long long)lo, (long long)hi);
	*out = json_integer_value(v);
	return MP_OK;
}

static int get_str(json_t *o, const char *k, const char **out, mp_errbuf *e)
{
	json_t *v = json_object_get(o, k);

	if (v == NULL)
		return MP_OK;
	if (!json_is_string(v) || json_string_length(v) == 0)
		return mp_seterr(e, MP_EINVAL, "config: \"%s\" must be a non-empty string", k);
	*out = json_string_value(v);
	return MP_OK;
}

static int get_bool(json_t *o, const char *k, int *out, mp_errbuf *e)
{
	json_t *v = json_object_get(o, k);

	if (v == NULL)
		return MP_OK;
	if (!json_is_boolean(v))
		return mp_seterr(e, MP_EINVAL, "config: \"%s\" must be true or false", k);
	*out = json_is_true(v);
	return MP_OK;
}

static const char *const known_keys[] = {
	"listen", "threads", "max_body_bytes", "connection_limit",
	"connection_timeout_seconds", "default_page_limit", "max_page_limit",
	"clock_skew_seconds", "durability", "trust_forwarded_headers", "token_issuer",
	"token_audience", "auto_approve_benchmarks_from", "trusted_issuers", NULL
};

static int check_keys(json_t *o, const char *const *known, const char *where, mp_errbuf *e)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		int ok = 0;
		for (const char *const *p = known; *p; p++)
			ok |= strcmp(*p, k) == 0;
		if (!ok)
			return mp_seterr(e, MP_EINVAL, "config: unknown key \"%s\"%s", k, where);
	}
	return MP_OK;
}

static const char *const issuer_keys[] = {
	"name", "issuer", "audience", "public_key_file", "jwks_file", NULL
};

static int load_issuer(const char *dir, json_t *o, size_t idx, struct jwt_issuer *is,
		       mp_errbuf *e)
{
	const char *name = NULL, *iss = NULL, *aud = NULL, *pem = NULL, *jwks = NULL;
	char where[64], *path = NULL, *text = NULL;
	size_t len;
	int rc;

	snprintf(where, sizeof(where), " in trusted_issuers[%zu]", idx);
	if (!json_is_object(o))
		return mp_seterr(e, MP_EINVAL, "config: trusted_issuers[%zu] must be an object", idx);
	rc = check_keys(o, issuer_keys, where, e);
	rc = rc ? rc : get_str(o, "name", &name, e);
	rc = rc ? rc : get_str(o, "issuer", &iss, e);
	rc = rc ? rc : get_str(o, "audience", &aud, e);
	rc = rc ? rc : get_str(o, "public_key_file", &pem, e);
	rc = rc ? rc : get_str(o, "jwks_file", &jwks, e);
	if (rc)
		return rc;
	if (iss == NULL || aud == NULL || (pem == NULL) == (jwks == NULL))
		return mp_seterr(e, MP_EINVAL, "config: trusted_issuers[%zu] needs \"issuer\", "
				 "\"audience\" and exactly one of \"public_key_file\" and "
				 "\"jwks_file\"", idx);
	path = cfg_path(dir, pem ? pem : jwks);
	if (path == NULL)
		return MP_ENOMEM;
	if (pem) {
		is->keys = calloc(1, sizeof(*is->keys));
		if (is->keys == NULL) {
			rc = MP_ENOMEM;
			goto out;
		}
		is->keys[0].pkey = pkey_read_public(path, e);
		if (is->keys[0].pkey == NULL) {
			rc = MP_EINVAL;
			goto out;
		}
		is->nkeys = 1;
		if (EVP_PKEY_get_base_id(is->keys[0].pkey) != EVP_PKEY_RSA ||
		    EVP_PKEY_get_bits(is->keys[0].pkey) < 2048) {
			rc = mp_seterr(e, MP_EINVAL, "config: '%s' is not an RSA key of at least "
				       "2048 bits (only RS256 is accepted)", path);
			goto out;
		}
	} else {
		rc = file_read_all(path, 1 << 20, &text, &len, e);
		if (rc == 0)
			rc = pkey_read_jwks(text, len, &is->keys, &is->nkeys, e);
		if (rc) {
			char msg[sizeof(e->msg)];
			snprintf(msg, sizeof(msg), "%s", e ? e->msg : "");
			mp_seterr(e, rc, "config: '%s': %s", path, msg);
			goto out;
		}
	}
	is->name = strdup(name ? name : iss);
	is->iss = strdup(iss);
	is->aud = strdup(aud);
	if (is->name == NULL || is->iss == NULL || is->aud == NULL)
		rc = MP_ENOMEM;
out:
	free(path);
	free(text);
	return rc;
}

static int load_self_issuer(struct server_config *c, mp_errbuf *e)
{
	struct jwt_issuer *is = &c->issuers[0];
	char *path = cfg_path(c->data_dir, CFG_TOKEN_PUB);
	char kid[65];

	if (path == NULL)
		return MP_ENOMEM;
	is->keys = calloc(1, sizeof(*is->keys));
	if (is->keys == NULL) {
		free(path);
		return MP_ENOMEM;
	}
	is->keys[0].pkey = pkey_read_public(path, e);
	free(path);
	if (is->keys[0].pkey == NULL)
		return MP_EINVAL;
	is->nkeys = 1;
	if (pkey_fingerprint(is->keys[0].pkey, kid) == 0)
		is->keys[0].kid = strndup(kid, 16);
	is->name = strdup("medperf-server");
	is->iss = strdup(c->token_issuer);
	is->aud = strdup(c->token_audience);
	return (is->name && is->iss && is->aud) ? MP_OK : MP_ENOMEM;
}

int cfg_load(const char *data_dir, struct server_config *c, mp_errbuf *e)
{
	json_error_t jerr;
	json_t *doc = NULL, *v;
	char *path = cfg_path(data_dir, CFG_FILE);
	const char *listen = "127.0.0.1:8000", *durability = "normal";
	const char *issuer = "medperf-server", *audience = "medperf-api";
	int64_t threads = 2, max_body = 1 << 20, conn_limit = 1024, timeout = 60;
	int64_t def_limit = 32, max_limit = 1000, skew = 60;
	size_t i;
	int rc;

	memset(c, 0, sizeof(*c));
	if (path == NULL)
		return MP_ENOMEM;
	doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		rc = mp_seterr(e, MP_EINVAL, "cannot read '%s': %s (line %d); is '%s' a data "
			       "directory made by 'medperf-server init'?", path, jerr.text,
			       jerr.line, data_dir);
		goto out;
	}
	if (!json_is_object(doc)) {
		rc = mp_seterr(e, MP_EINVAL, "'%s' must hold a JSON object", path);
		goto out;
	}
	rc = check_keys(doc, known_keys, "", e);
	rc = rc ? rc : get_str(doc, "listen", &listen, e);
	rc = rc ? rc : get_int(doc, "threads", 1, 256, &threads, e);
	rc = rc ? rc : get_int(doc, "max_body_bytes", 1024, 1 << 30, &max_body, e);
	rc = rc ? rc : get_int(doc, "connection_limit", 1, 1000000, &conn_limit, e);
	rc = rc ? rc : get_int(doc, "connection_timeout_seconds", 1, 86400, &timeout, e);
	rc = rc ? rc : get_int(doc, "default_page_limit", 1, 1000000, &def_limit, e);
	rc = rc ? rc : get_int(doc, "max_page_limit", 1, 1000000, &max_limit, e);
	rc = rc ? rc : get_int(doc, "clock_skew_seconds", 0, 3600, &skew, e);
	rc = rc ? rc : get_str(doc, "durability", &durability, e);
	rc = rc ? rc : get_bool(doc, "trust_forwarded_headers", &c->trust_forwarded, e);
	rc = rc ? rc : get_str(doc, "token_issuer", &issuer, e);
	rc = rc ? rc : get_str(doc, "token_audience", &audience, e);
	if (rc)
		goto out;
	if (strcmp(durability, "normal") != 0 && strcmp(durability, "full") != 0) {
		rc = mp_seterr(e, MP_EINVAL, "config: \"durability\" must be \"normal\" or \"full\"");
		goto out;
	}
	if (def_limit > max_limit) {
		rc = mp_seterr(e, MP_EINVAL, "config: \"default_page_limit\" exceeds "
			       "\"max_page_limit\"");
		goto out;
	}
	rc = cfg_parse_listen(listen, &c->listen_addr, &c->port, e);
	if (rc)
		goto out;
	c->data_dir = strdup(data_dir);
	c->threads = (int)threads;
	c->max_body = (size_t)max_body;
	c->conn_limit = (unsigned)conn_limit;
	c->conn_timeout_s = (unsigned)timeout;
	c->default_page_limit = def_limit;
	c->max_page_limit = max_limit;
	c->clock_skew_s = skew;
	c->sync_full = strcmp(durability, "full") == 0;
	c->token_issuer = strdup(issuer);
	c->token_audience = strdup(audience);
	if (c->data_dir == NULL || c->token_issuer == NULL || c->token_audience == NULL) {
		rc = MP_ENOMEM;
		goto out;
	}
	v = json_object_get(doc, "auto_approve_benchmarks_from");
	if (v && !json_is_array(v)) {
		rc = mp_seterr(e, MP_EINVAL, "config: \"auto_approve_benchmarks_from\" must be a "
			       "list of emails");
		goto out;
	}
	c->auto_approve_benchmarks_from = calloc(json_array_size(v) + 1, sizeof(char *));
	if (c->auto_approve_benchmarks_from == NULL) {
		rc = MP_ENOMEM;
		goto out;
	}
	for (i = 0; i < json_array_size(v); i++) {
		json_t *s = json_array_get(v, i);
		if (!json_is_string(s)) {
			rc = mp_seterr(e, MP_EINVAL, "config: auto_approve_benchmarks_from[%zu] "
				       "must be a string", i);
			goto out;
		}
		c->auto_approve_benchmarks_from[c->n_auto_approve++] = strdup(json_string_value(s));
	}
	v = json_object_get(doc, "trusted_issuers");
	if (v && !json_is_array(v)) {
		rc = mp_seterr(e, MP_EINVAL, "config: \"trusted_issuers\" must be a list");
		goto out;
	}
	c->issuers = calloc(json_array_size(v) + 1, sizeof(*c->issuers));
	if (c->issuers == NULL) {
		rc = MP_ENOMEM;
		goto out;
	}
	c->nissuers = 1;
	rc = load_self_issuer(c, e);
	for (i = 0; rc == 0 && i < json_array_size(v); i++) {
		rc = load_issuer(data_dir, json_array_get(v, i), i, &c->issuers[i + 1], e);
		c->nissuers++;
	}
out:
	json_decref(doc);
	free(path);
	if (rc)
		cfg_release(c);
	return rc;
}

void cfg_release(struct server_config *c)
{
	free(c->data_dir);
	free(c->listen_addr);
	free(c->token_issuer);
	free(c->token_audience);
	for (size_t i = 0; i < c->n_auto_approve; i++)
		free(c->auto_approve_benchmarks_from[i]);
	free(c->auto_approve_benchmarks_from);
	for (size_t i = 0; i < c->nissuers; i++)
		jwt_issuer_release(&c->issuers[i]);
	free(c->issuers);
	memset(c, 0, sizeof(*c));
}

int cfg_auto_approve_benchmark(const struct server_config *c, const char *email)
{
	for (size_t i = 0; i < c->n_auto_approve; i++)
		if (strcmp(c->auto_approve_benchmarks_from[i], email) == 0)
			return 1;
	return 0;
}
