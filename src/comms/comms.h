/*
 * comms.h: the client's side of the wire (libcurl, HTTPS): JSON requests to
 * a MedPerf server with the profile's token and pinned certificate, retries
 * of idempotent requests on transient failures, pagination, the server's
 * error bodies turned into one line, and verified downloads.
 *
 * It prints nothing: progress goes to a callback the caller provides.
 */
#ifndef MP_COMMS_H
#define MP_COMMS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "core/hash.h"

struct comms;

struct comms_opts {
	const char *server;      /* "https://host:port" (a trailing "/" is fine) */
	const char *ca_file;     /* PEM to trust (pinned certificate); NULL: system store */
	const char *token;       /* bearer token; NULL: anonymous */
	long connect_timeout_s;  /* 0: 10 s */
	long timeout_s;          /* whole request; 0: 60 s */
	int retries;             /* extra attempts for idempotent requests; <0: 0; 0 default 3 */
	long backoff_ms;         /* first retry delay, doubled each time; 0: 200 ms */
};

/* Why a request failed (beyond MP_* codes). */
enum comms_fail {
	COMMS_OK = 0,
	COMMS_NETWORK,      /* could not connect, TLS failure, timeout */
	COMMS_HTTP,         /* the server answered with a status >= 400 */
	COMMS_BAD_ANSWER,   /* the answer was not the JSON expected */
};

struct comms_result {
	long status;             /* HTTP status (0 when no answer) */
	json_t *body;            /* parsed JSON answer (NULL when none or not JSON); caller decrefs */
	enum comms_fail fail;
	char message[512];       /* one line: what went wrong, for the user */
};

/*
 * Checks o->server (https, or plain http only to 127.0.0.0/8, ::1 or
 * localhost) and copies what it needs from o (the caller may wipe its token
 * at once). No connection is made yet. A handle is one libcurl easy handle
 * (connections are kept alive between requests): use it from one thread at
 * a time. comms_close wipes the token and frees c (NULL is fine).
 */
int comms_open(const struct comms_opts *o, struct comms **out, mp_errbuf *e);
void comms_close(struct comms *c);

/*
 * Sends method path (relative to the server's /api/v0, e.g. "/benchmarks/1/",
 * query string included) with body as JSON (NULL: none). Returns MP_OK when
 * the status is 2xx, else MP_EINVAL (r->fail and r->message say why).
 * GET, PUT and DELETE are retried on network errors and 502/503/504.
 * POST and PATCH are sent again only when no connection could be made at
 * all: once they may have reached the server, never. A GET follows
 * redirects (libcurl drops the token when the host changes). Answers over
 * 64 MiB are refused. r->message never holds the token.
 */
int comms_request(struct comms *c, const char *method, const char *path, const json_t *body,
		  struct comms_result *r);
/* Frees r->body. */
void comms_result_release(struct comms_result *r);

/*
 * Fetches every page of a list ("/benchmarks/?is_valid=True"): limit=32 and
 * offset=k until "next" is null. *items receives one array of all results.
 * It stops at an empty page; more than a million items is MP_ETOOBIG. An
 * answer that is a plain array (a list the server does not paginate) is
 * taken whole. On failure *items is NULL and r is that of the failing page.
 */
int comms_list_all(struct comms *c, const char *path, json_t **items, struct comms_result *r);

/*
 * One line for a failed answer, in the server's words: {"detail": "..."}
 * gives the detail; {"field": ["msg"], "non_field_errors": [...]} gives
 * "field: msg; msg"; nested objects give "container.name: msg". Falls back
 * to "HTTP <status>".
 */
void comms_error_line(long status, const json_t *body, char *out, size_t cap);

/* Called as a download progresses (total 0 when unknown). */
typedef void (*comms_progress_fn)(void *cls, uint64_t done, uint64_t total);

/*
 * Downloads url ("https://...", "http://..." or "direct:URL") to dest: into
 * dest + ".part" first, hashing as it streams; a transfer that breaks is
 * resumed (HTTP Range) or retried. When expected is not NULL and differs
 * from the digest, nothing is left in place and the result says both
 * hashes. On success dest exists and got holds the digest.
 *
 * No Authorization header is sent. The pinned certificate is used only
 * when url has the server's origin. progress (may be NULL) is called at
 * most about ten times a second and once at the end with (size, size).
 * On failure dest is as it was and no .part is left; a local error (the
 * file cannot be written) is MP_EIO with r->fail COMMS_OK.
 */
int comms_download(struct comms *c, const char *url, const char *dest, const char *expected,
		   char got[HASH_HEX], comms_progress_fn progress, void *cls,
		   struct comms_result *r);

#endif
