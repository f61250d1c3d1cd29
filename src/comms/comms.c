/*
 * comms.c: JSON requests to a MedPerf server (see comms.h): the handle and
 * its checks (https, or plain http only to a loopback address), one request
 * with its retries, pagination, and the server's error bodies in one line.
 * Also the helpers download.c shares (comms_int.h). Downloads themselves
 * are in download.c.
 *
 * Retry policy. GET, PUT and DELETE are idempotent: they are tried again on
 * network errors that may be transient (no connection, timeouts, broken
 * connections, failed TLS handshakes, but never a certificate that does not
 * verify) and on 502/503/504, up to opts.retries more times, sleeping
 * backoff_ms, 2 * backoff_ms, ... (at most 30 s) in between. POST (and
 * PATCH) is not idempotent: once it may have reached the server it is never
 * sent again, whatever the answer; it is retried only when no connection
 * could be made at all (CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST),
 * since then not one byte of it left this machine.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "comms/comms.h"
#include "comms/comms_int.h"
#include "core/buf.h"
#include "core/jsonw.h"

#define COMMS_USER_AGENT "medperf-c/" MEDPERF_VERSION
#define LIST_PAGE 32
#define LIST_MAX_ITEMS 1000000u

/* ----------------------------------------------------------------------- */
/* Shared helpers (comms_int.h)                                              */
/* ----------------------------------------------------------------------- */

enum comms_retry comms_classify(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return RETRY_ALWAYS;
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return RETRY_IDEMPOTENT;
	default:
		return RETRY_NEVER;
	}
}

int comms_setup(struct comms *c, int pinned)
{
	CURL *h = c->curl;
	int ok = 1;

	curl_easy_reset(h);
	c->errbuf[0] = '\0';
	ok &= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_USERAGENT, COMMS_USER_AGENT) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->connect_timeout_s) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK;
	if (pinned && c->ca_file) {
		/* only the pinned certificate: not also the built-in directory (/etc/ssl/certs) */
		ok &= curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file) == CURLE_OK;
		ok &= curl_easy_setopt(h, CURLOPT_CAPATH, NULL) == CURLE_OK;
	}
	return ok ? 0 : -1;
}

/* Was a timeout spent connecting (rather than waiting for the answer)? */
static int timed_out_connecting(const char *errbuf)
{
	return strncasecmp(errbuf, "Connection timed out", 20) == 0 ||
	       strncasecmp(errbuf, "Failed to connect", 17) == 0 ||
	       strncasecmp(errbuf, "Resolving timed out", 19) == 0;
}

void comms_net_message(struct comms *c, CURLcode cc, const char *who, int pinned, long stall_s,
		       char *out, size_t cap)
{
	const char *detail = c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc);
	const char *pin = pinned ? c->ca_file : NULL;
	long oserr = 0;

	switch (cc) {
	case CURLE_COULDNT_CONNECT:
		if (curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &oserr) == CURLE_OK && oserr)
			detail = strerror((int)oserr);
		snprintf(out, cap, "cannot connect to %s: %s", who, detail);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(out, cap, "cannot connect to %s: the host name does not resolve", who);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		if (timed_out_connecting(c->errbuf))
			snprintf(out, cap, "cannot connect to %s: timed out after %ld s", who,
				 c->connect_timeout_s);
		else if (stall_s)
			snprintf(out, cap, "timed out after %ld s without data from %s", stall_s, who);
		else
			snprintf(out, cap, "timed out after %ld s waiting for %s", c->timeout_s, who);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		if (pin)
			snprintf(out, cap, "TLS: the server's certificate is not trusted (pinned "
				 "certificate %s): %s", pin, detail);
		else
			snprintf(out, cap, "TLS: the certificate of %s is not trusted (system CA "
				 "store): %s", who, detail);
		break;
	case CURLE_SSL_CACERT_BADFILE:
		snprintf(out, cap, "TLS: cannot use the pinned certificate %s: %s",
			 pin ? pin : "(none)", detail);
		break;
	case CURLE_SSL_CONNECT_ERROR:
		snprintf(out, cap, "TLS handshake with %s failed: %s", who, detail);
		break;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		snprintf(out, cap, "connection to %s broken: %s", who, detail);
		break;
	case CURLE_GOT_NOTHING:
		snprintf(out, cap, "%s closed the connection without answering", who);
		break;
	case CURLE_PARTIAL_FILE:
		snprintf(out, cap, "%s closed the connection before the end of the answer", who);
		break;
	case CURLE_TOO_MANY_REDIRECTS:
		snprintf(out, cap, "too many redirects from %s", who);
		break;
	case CURLE_FILESIZE_EXCEEDED:
		snprintf(out, cap, "the answer from %s is larger than %zu MiB", who,
			 COMMS_MAX_ANSWER >> 20);
		break;
	default:
		snprintf(out, cap, "%s: %s", who, detail);
		break;
	}
	comms_clean_line(c, out);
}

void comms_backoff(const struct comms *c, int attempt)
{
	long ms = c->backoff_ms;
	struct timespec ts, rem;
	int i;

	for (i = 0; i < attempt && ms < COMMS_MAX_BACKOFF_MS; i++)
		ms *= 2;
	if (ms > COMMS_MAX_BACKOFF_MS)
		ms = COMMS_MAX_BACKOFF_MS;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &rem) == -1 && errno == EINTR)
		ts = rem;
}

char *comms_origin(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *out = NULL, *p;
	struct buf b;

	if (u == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
		goto out;
	if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)
		goto out;
	buf_init(&b, 2048);
	if (buf_addf(&b, "%s://%s:%s", scheme, host, port) == MP_OK) {
		for (p = b.data; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		out = buf_detach(&b, NULL);
	} else {
		buf_release(&b);
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return out;
}

char *comms_display_url(const char *url)
{
	CURLU *u = curl_url();
	char *s = NULL, *out = NULL;

	if (u == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_USER, NULL, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_OPTIONS, NULL, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_QUERY, NULL, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK)
		out = strdup(s);
	curl_free(s);
	curl_url_cleanup(u);
	return out;
}

void comms_clean_line(const struct comms *c, char *s)
{
	size_t tl = c && c->token ? strlen(c->token) : 0;
	char *p;

	for (p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	if (tl == 0)
		return;
	for (p = strstr(s, c->token); p; p = strstr(p + tl, c->token))
		memset(p, '*', tl);
}

/* ----------------------------------------------------------------------- */
/* The handle                                                               */
/* ----------------------------------------------------------------------- */

static int host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	char tmp[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(host);

	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(tmp)) {
		memcpy(tmp, host + 1, n - 2);
		tmp[n - 2] = '\0';
		host = tmp;
	}
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* Checks that server is https (or http to loopback) with nothing after the path. */
static int check_server(const char *server, int *allow_http, mp_errbuf *e)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *extra = NULL;
	int rc = MP_EINVAL;

	*allow_http = 0;
	if (u == NULL)
		return mp_seterr(e, MP_ENOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, server, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		mp_seterr(e, rc, "server '%s' is not a URL (like https://host:port)", server);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_QUERY, &extra, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &extra, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_USER, &extra, 0) == CURLUE_OK) {
		mp_seterr(e, rc, "server '%s' must not have a query, fragment or user name",
			  server);
		goto out;
	}
	if (strcmp(scheme, "http") == 0 && host_is_loopback(host)) {
		*allow_http = 1;
	} else if (strcmp(scheme, "https") != 0) {
		mp_seterr(e, rc, "server '%s' must use https (plain http only to a loopback "
			  "address)", server);
		goto out;
	}
	rc = MP_OK;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(extra);
	curl_url_cleanup(u);
	return rc;
}

static int has_crlf(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

/* The API headers; with_body adds Content-Type. NULL when out of memory. */
static struct curl_slist *api_headers(const char *token, int with_body)
{
	struct curl_slist *l = NULL, *t;
	struct buf b;
	int ok = 1;

	buf_init(&b, 16384);
	l = curl_slist_append(NULL, "Accept: application/json");
	if (l == NULL)
		return NULL;
	if (with_body) {
		t = curl_slist_append(l, "Content-Type: application/json");
		ok &= t != NULL;
		/* no "Expect: 100-continue" round trip for large bodies */
		t = ok ? curl_slist_append(l, "Expect:") : NULL;
		ok &= t != NULL;
	}
	if (ok && token) {
		ok &= buf_addf(&b, "Authorization: Bearer %s", token) == MP_OK;
		t = ok ? curl_slist_append(l, b.data) : NULL;
		ok &= t != NULL;
	}
	buf_wipe(&b);
	if (!ok) {
		curl_slist_free_all(l);
		return NULL;
	}
	return l;
}

/* Frees a header list after wiping it (it may hold the token). */
static void wipe_headers(struct curl_slist *l)
{
	struct curl_slist *p;

	for (p = l; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

static char *dup_str(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

int comms_open(const struct comms_opts *o, struct comms **out, mp_errbuf *e)
{
	struct comms *c = NULL;
	const char *tok = o->token && o->token[0] ? o->token : NULL;
	size_t n;
	struct buf b;
	int rc;

	*out = NULL;
	if (o->server == NULL || o->server[0] == '\0')
		return mp_seterr(e, MP_EINVAL, "no server given");
	n = strlen(o->server);
	while (n > 0 && o->server[n - 1] == '/')
		n--;
	if (tok && has_crlf(tok))
		return mp_seterr(e, MP_EINVAL, "the token has a line break in it");
	if (o->ca_file && access(o->ca_file, R_OK) != 0)
		return mp_seterr(e, MP_EIO, "cannot read the server certificate '%s': %s",
				 o->ca_file, strerror(errno));
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return mp_seterr(e, MP_ENOMEM, "cannot initialize libcurl");
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		curl_global_cleanup();
		return mp_seterr(e, MP_ENOMEM, "out of memory");
	}
	rc = MP_ENOMEM;
	c->server = dup_str(o->server, n);
	if (c->server == NULL)
		goto fail;
	rc = check_server(c->server, &c->allow_http, e);
	if (rc)
		goto fail;
	rc = MP_ENOMEM;
	buf_init(&b, 0);
	if (buf_addf(&b, "%s/api/v0", c->server)) {
		buf_release(&b);
		goto fail;
	}
	c->api = buf_detach(&b, NULL);
	c->origin = comms_origin(c->server);
	c->ca_file = o->ca_file ? strdup(o->ca_file) : NULL;
	c->token = tok ? strdup(tok) : NULL;
	c->hdr = api_headers(tok, 0);
	c->hdr_body = api_headers(tok, 1);
	c->curl = curl_easy_init();
	if (c->api == NULL || c->origin == NULL || (o->ca_file && c->ca_file == NULL) ||
	    (tok && c->token == NULL) || c->hdr == NULL || c->hdr_body == NULL ||
	    c->curl == NULL)
		goto fail;
	c->connect_timeout_s = o->connect_timeout_s > 0 ? o->connect_timeout_s : 10;
	c->timeout_s = o->timeout_s > 0 ? o->timeout_s : 60;
	c->retries = o->retries < 0 ? 0 : o->retries == 0 ? 3 : o->retries;
	c->backoff_ms = o->backoff_ms > 0 ? o->backoff_ms : 200;
	*out = c;
	return MP_OK;
fail:
	if (rc == MP_ENOMEM)
		mp_seterr(e, rc, "out of memory");
	comms_close(c);
	return rc;
}

void comms_close(struct comms *c)
{
	if (c == NULL)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	wipe_headers(c->hdr);
	wipe_headers(c->hdr_body);
	if (c->token) {
		explicit_bzero(c->token, strlen(c->token));
		free(c->token);
	}
	free(c->ca_file);
	free(c->origin);
	free(c->api);
	free(c->server);
	free(c);
	curl_global_cleanup();
}

/* ----------------------------------------------------------------------- */
/* Requests                                                                 */
/* ----------------------------------------------------------------------- */

/* The methods comms_request knows, sorted; idempotent ones are retried. */
static const struct method {
	const char *name;
	int idempotent;
} methods[] = {
	{ "DELETE", 1 },
	{ "GET", 1 },
	{ "PATCH", 0 },
	{ "POST", 0 },
	{ "PUT", 1 },
};

static const struct method *find_method(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(methods[i].name, name) == 0)
			return &methods[i];
	return NULL;
}

/* Where an answer goes while it arrives. */
struct sink {
	struct buf b;
	int too_big;
	int nomem;
};

static size_t sink_write(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	int rc = buf_add(&s->b, p, size * n);

	if (rc == MP_ETOOBIG)
		s->too_big = 1;
	else if (rc)
		s->nomem = 1;
	return rc ? 0 : size * n;
}

/* One try: sets up c->curl for method url (payload may be NULL) and runs it. */
static CURLcode try_once(struct comms *c, const struct method *m, const char *url,
			 const char *payload, struct sink *s, long *status)
{
	CURL *h = c->curl;
	const char *protos = c->allow_http ? "http,https" : "https";
	CURLcode cc;
	int ok;

	buf_reset(&s->b);
	s->too_big = 0;
	s->nomem = 0;
	*status = 0;
	if (comms_setup(c, 1))
		return CURLE_FAILED_INIT;
	ok = curl_easy_setopt(h, CURLOPT_URL, url) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, protos) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout_s) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
			       (curl_off_t)COMMS_MAX_ANSWER) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_WRITEDATA, s) == CURLE_OK;
	ok &= curl_easy_setopt(h, CURLOPT_HTTPHEADER, payload ? c->hdr_body : c->hdr) == CURLE_OK;
	if (strcmp(m->name, "GET") == 0) {
		/* Django's APPEND_SLASH answers 301; libcurl keeps the token on the same host only */
		ok &= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L) == CURLE_OK;
		ok &= curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L) == CURLE_OK;
		ok &= curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, protos) == CURLE_OK;
	} else if (strcmp(m->name, "POST") != 0) {
		ok &= curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m->name) == CURLE_OK;
	}
	if (payload) {
		ok &= curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload) == CURLE_OK;
		ok &= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				       (curl_off_t)strlen(payload)) == CURLE_OK;
	} else if (strcmp(m->name, "POST") == 0) {
		ok &= curl_easy_setopt(h, CURLOPT_POSTFIELDS, "") == CURLE_OK;
		ok &= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0) == CURLE_OK;
	}
	if (!ok)
		return CURLE_FAILED_INIT;
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	return cc;
}

static int retry_status(long status)
{
	return status == 502 || status == 503 || status == 504;
}

/* Fills r from a finished exchange; returns MP_OK for a 2xx JSON answer. */
static int finish(struct comms *c, CURLcode cc, long status, struct sink *s,
		  struct comms_result *r)
{
	json_error_t jerr;
	char line[400];

	r->status = status;
	if (cc == CURLE_WRITE_ERROR && s->nomem) {
		snprintf(r->message, sizeof(r->message), "out of memory reading the answer");
		r->fail = COMMS_BAD_ANSWER;
		return MP_ENOMEM;
	}
	if ((cc == CURLE_WRITE_ERROR && s->too_big) || cc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(r->message, sizeof(r->message), "the answer from %s is larger than %zu MiB",
			 c->server, COMMS_MAX_ANSWER >> 20);
		r->fail = COMMS_BAD_ANSWER;
		return MP_EINVAL;
	}
	if (cc != CURLE_OK) {
		comms_net_message(c, cc, c->server, 1, 0, r->message, sizeof(r->message));
		r->fail = COMMS_NETWORK;
		return MP_EINVAL;
	}
	if (s->b.len > 0 && status != 204)
		r->body = json_loadb(s->b.data, s->b.len, JSON_DECODE_ANY, &jerr);
	if (status >= 200 && status < 300) {
		if (s->b.len > 0 && status != 204 && r->body == NULL) {
			snprintf(r->message, sizeof(r->message), "the answer from %s is not JSON "
				 "(line %d: %s)", c->server, jerr.line, jerr.text);
			r->fail = COMMS_BAD_ANSWER;
			comms_clean_line(c, r->message);
			return MP_EINVAL;
		}
		return MP_OK;
	}
	r->fail = COMMS_HTTP;
	comms_error_line(status, r->body, line, sizeof(line));
	if (strncmp(line, "HTTP ", 5) == 0)
		snprintf(r->message, sizeof(r->message), "HTTP %ld", status);
	else
		snprintf(r->message, sizeof(r->message), "HTTP %ld: %s", status, line);
	comms_clean_line(c, r->message);
	return MP_EINVAL;
}

/* Rejects paths that would change the request line (they must be escaped). */
static int path_ok(const char *path)
{
	const unsigned char *p = (const unsigned char *)path;

	if (*p != '/')
		return 0;
	for (; *p; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

int comms_request(struct comms *c, const char *method, const char *path, const json_t *body,
		  struct comms_result *r)
{
	const struct method *m = find_method(method);
	char *payload = NULL;
	struct sink s;
	struct buf url;
	CURLcode cc = CURLE_OK;
	long status = 0;
	int attempt, retry, rc;

	memset(r, 0, sizeof(*r));
	buf_init(&s.b, COMMS_MAX_ANSWER);
	buf_init(&url, 0);
	if (m == NULL || !path_ok(path) || (body && strcmp(method, "GET") == 0)) {
		snprintf(r->message, sizeof(r->message), "bad request: %s %s", method, path);
		comms_clean_line(c, r->message);
		r->fail = COMMS_BAD_ANSWER;
		return MP_EINVAL;
	}
	rc = MP_ENOMEM;
	if (buf_addf(&url, "%s%s", c->api, path))
		goto out;
	if (body) {
		payload = jsonw_dumps(body); /* floats as MedPerf's Python client writes them */
		if (payload == NULL)
			goto out;
	}
	for (attempt = 0;; attempt++) {
		cc = try_once(c, m, url.data, payload, &s, &status);
		if (cc != CURLE_OK) {
			enum comms_retry how = comms_classify(cc);
			retry = how == RETRY_ALWAYS || (how == RETRY_IDEMPOTENT && m->idempotent);
		} else {
			retry = m->idempotent && retry_status(status);
		}
		if (!retry || attempt >= c->retries)
			break;
		comms_backoff(c, attempt);
	}
	rc = finish(c, cc, status, &s, r);
out:
	if (rc == MP_ENOMEM && r->message[0] == '\0')
		snprintf(r->message, sizeof(r->message), "out of memory");
	if (payload) {
		explicit_bzero(payload, strlen(payload));
		free(payload);
	}
	buf_release(&url);
	buf_release(&s.b);
	return rc;
}

void comms_result_release(struct comms_result *r)
{
	json_decref(r->body);
	r->body = NULL;
}

/* ----------------------------------------------------------------------- */
/* Pagination                                                               */
/* ----------------------------------------------------------------------- */

int comms_list_all(struct comms *c, const char *path, json_t **items, struct comms_result *r)
{
	json_t *all = json_array(), *results, *next;
	char sep = strchr(path, '?') ? '&' : '?';
	size_t offset = 0, n;
	struct buf url;
	int rc, more;

	*items = NULL;
	memset(r, 0, sizeof(*r));
	buf_init(&url, 0);
	if (all == NULL) {
		snprintf(r->message, sizeof(r->message), "out of memory");
		return MP_ENOMEM;
	}
	for (;;) {
		buf_reset(&url);
		if (buf_addf(&url, "%s%climit=%d&offset=%zu", path, sep, LIST_PAGE, offset)) {
			snprintf(r->message, sizeof(r->message), "out of memory");
			rc = MP_ENOMEM;
			goto out;
		}
		rc = comms_request(c, "GET", url.data, NULL, r);
		if (rc)
			goto out;
		if (offset == 0 && json_is_array(r->body)) {
			/* not paginated (the association history lists): the whole list */
			json_decref(all);
			all = r->body;
			r->body = NULL;
			break;
		}
		results = json_object_get(r->body, "results");
		if (!json_is_array(results)) {
			snprintf(r->message, sizeof(r->message), "the answer from %s to GET %s is "
				 "not a page of a list", c->server, path);
			comms_clean_line(c, r->message);
			r->fail = COMMS_BAD_ANSWER;
			rc = MP_EINVAL;
			goto out;
		}
		n = json_array_size(results);
		if (json_array_size(all) + n > LIST_MAX_ITEMS) {
			snprintf(r->message, sizeof(r->message), "the list at %s has more than %u "
				 "items", path, LIST_MAX_ITEMS);
			comms_clean_line(c, r->message);
			r->fail = COMMS_BAD_ANSWER;
			rc = MP_ETOOBIG;
			goto out;
		}
		if (json_array_extend(all, results)) {
			snprintf(r->message, sizeof(r->message), "out of memory");
			rc = MP_ENOMEM;
			goto out;
		}
		next = json_object_get(r->body, "next");
		more = n > 0 && next != NULL && !json_is_null(next);
		comms_result_release(r); /* next is gone with the page */
		if (!more)
			break;
		offset += n;
	}
	*items = all;
	all = NULL;
	rc = MP_OK;
out:
	json_decref(all);
	buf_release(&url);
	return rc;
}

/* ----------------------------------------------------------------------- */
/* Error bodies                                                             */
/* ----------------------------------------------------------------------- */

#define ERR_MAX_DEPTH 8

/* Appends "prefix: msg" (or msg) to b, "; "-separated. */
static void err_add(struct buf *b, const char *prefix, const char *msg)
{
	if (b->len)
		buf_adds(b, "; ");
	if (prefix && prefix[0]) {
		buf_adds(b, prefix);
		buf_adds(b, ": ");
	}
	buf_adds(b, msg);
}

static void err_walk(struct buf *b, const char *prefix, const json_t *v, int depth);

/* prefix + "." + key (or prefix + "[i]"), or NULL when out of room. */
static char *err_prefix(const char *prefix, const char *key, size_t index)
{
	struct buf p;

	buf_init(&p, 1024);
	if (key && prefix && prefix[0])
		buf_addf(&p, "%s.%s", prefix, key);
	else if (key)
		buf_adds(&p, key);
	else
		buf_addf(&p, "%s[%zu]", prefix ? prefix : "", index);
	return buf_detach(&p, NULL);
}

static void err_walk_object(struct buf *b, const char *prefix, const json_t *v, int depth)
{
	const char *key;
	json_t *val;
	char *sub;

	json_object_foreach((json_t *)v, key, val) {
		if (strcmp(key, "non_field_errors") == 0) {
			err_walk(b, prefix, val, depth + 1);
			continue;
		}
		sub = err_prefix(prefix, key, 0);
		if (sub)
			err_walk(b, sub, val, depth + 1);
		free(sub);
	}
}

static void err_walk(struct buf *b, const char *prefix, const json_t *v, int depth)
{
	size_t i;
	json_t *item;
	int first = 1;
	char *sub;

	if (depth > ERR_MAX_DEPTH)
		return;
	if (json_is_string(v)) {
		err_add(b, prefix, json_string_value(v));
	} else if (json_is_object(v)) {
		err_walk_object(b, prefix, v, depth);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item) {
			if (json_is_string(item)) {
				err_add(b, first ? prefix : NULL, json_string_value(item));
				first = 0;
			} else if (json_is_object(item) && json_object_size(item)) {
				sub = err_prefix(prefix, NULL, i);
				if (sub)
					err_walk(b, sub, item, depth + 1);
				free(sub);
			}
		}
	}
}

void comms_error_line(long status, const json_t *body, char *out, size_t cap)
{
	const json_t *detail = json_object_get(body, "detail");
	struct buf b;

	if (cap == 0)
		return;
	buf_init(&b, 8192);
	if (json_is_string(detail))
		buf_adds(&b, json_string_value(detail));
	else if (json_is_object(body) || json_is_array(body))
		err_walk(&b, NULL, body, 0);
	if (b.len == 0)
		snprintf(out, cap, "HTTP %ld", status);
	else
		snprintf(out, cap, "%s", b.data);
	buf_release(&b);
	comms_clean_line(NULL, out);
}
