/*
 * http.h: the HTTP(S) server layer, a thin shell over libmicrohttpd.
 *
 * It accepts connections (TLS through MHD's GnuTLS support, or plain HTTP),
 * gathers each request body up to a size cap, hands the complete request to
 * one application callback on a worker thread, sends the response it fills
 * in, and writes one access-log line per request (method, path, status,
 * duration, user id; never bodies, query strings or headers).
 *
 * It knows nothing of routes, JSON or users: that is the server layer's job.
 */
#ifndef MP_HTTP_H
#define MP_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"

struct MHD_Connection;

struct http_request {
	struct arena *arena;      /* freed when the request ends */
	const char *method;
	const char *path;         /* without the query string */
	const char *body;         /* NUL-terminated; body_len bytes */
	size_t body_len;
	int tls;                  /* 1 when the connection is HTTPS */
	int64_t user_id;          /* set by the application for the access log */
	struct MHD_Connection *conn;
};

#define HTTP_MAX_HEADERS 8

struct http_response {
	int status;
	struct buf body;
	const char *content_type; /* default "application/json" */
	int nheaders;
	struct {
		const char *name;
		const char *value;  /* must outlive the callback: use the arena */
	} headers[HTTP_MAX_HEADERS];
};

/* Request headers and query parameters (NULL when absent). */
const char *http_header(const struct http_request *r, const char *name);
const char *http_query(const struct http_request *r, const char *name);
/* Calls fn for every query parameter in order; stops when fn returns non-zero. */
void http_query_each(const struct http_request *r,
		     int (*fn)(void *cls, const char *key, const char *value), void *cls);
/* Adds a response header (ignored beyond HTTP_MAX_HEADERS). */
void http_set_header(struct http_response *w, const char *name, const char *value);

typedef void (*http_handler_fn)(void *app, struct http_request *req, struct http_response *w);

struct http_opts {
	const char *addr;         /* numeric IPv4 or IPv6 address */
	uint16_t port;            /* 0: an ephemeral port (see http_port) */
	int threads;              /* worker threads (>= 1) */
	const char *tls_cert_pem; /* NULL: plain HTTP */
	const char *tls_key_pem;
	unsigned conn_limit;
	unsigned conn_timeout_s;
	size_t max_body;          /* larger bodies get 413 */
	int access_log_fd;        /* -1: none */
	http_handler_fn handler;
	void *app;
};

struct http_server;

int http_start(const struct http_opts *o, struct http_server **out, mp_errbuf *e);
uint16_t http_port(const struct http_server *s);
/*
 * Graceful stop: stops accepting, lets requests in flight finish (up to
 * grace_ms), then closes every connection and frees the server.
 */
void http_stop(struct http_server *s, int grace_ms);
/* Requests currently being handled (for tests and shutdown). */
int http_inflight(const struct http_server *s);

/* 1 when addr is a loopback address (127.0.0.0/8 or ::1). */
int http_addr_is_loopback(const char *addr);

#endif
