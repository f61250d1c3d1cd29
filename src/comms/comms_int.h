/*
 * comms_int.h: what comms.c (JSON requests) and download.c (verified
 * downloads) share and nothing else sees: the handle's layout, the libcurl
 * set-up every transfer starts from, how a libcurl failure is classified
 * (may it be retried?) and put into words, and the back-off between tries.
 *
 * It is not part of the module's interface: include comms/comms.h instead.
 */
#ifndef MP_COMMS_INT_H
#define MP_COMMS_INT_H

#include <stddef.h>

#include <curl/curl.h>

#include "comms/comms.h"

/* JSON answers larger than this are refused (not truncated). */
#define COMMS_MAX_ANSWER ((size_t)64 << 20)
/* No back-off sleeps longer than this, however many retries. */
#define COMMS_MAX_BACKOFF_MS 30000L

/*
 * Everything comms_open() decided, immutable afterwards except for the
 * easy handle (whose connection cache gives keep-alive) and its error
 * buffer. Owned by the caller of comms_open(); comms_close() frees it.
 */
struct comms {
	CURL *curl;
	char *server;              /* as given, without trailing "/" (for messages) */
	char *api;                 /* server + "/api/v0" */
	char *origin;              /* "scheme://host:port" of server (same-origin downloads) */
	char *ca_file;             /* pinned certificate; NULL: the system store */
	char *token;               /* NULL: anonymous; wiped on close */
	struct curl_slist *hdr;    /* API headers without a body (Authorization inside) */
	struct curl_slist *hdr_body; /* the same plus Content-Type */
	int allow_http;            /* the server is plain http on a loopback address */
	long connect_timeout_s;
	long timeout_s;
	int retries;
	long backoff_ms;
	char errbuf[CURL_ERROR_SIZE];
};

/* May a failed transfer be tried again? */
enum comms_retry {
	RETRY_NEVER,       /* permanent (certificate, bad URL, our own write error, ...) */
	RETRY_IDEMPOTENT,  /* the request may have reached the server: GET/PUT/DELETE only */
	RETRY_ALWAYS,      /* the request never left (no connection): even POST */
};

enum comms_retry comms_classify(CURLcode cc);

/*
 * Resets c->curl to the options every transfer shares (user agent, no
 * signals, connect timeout, TLS 1.2 or later with verification on, error
 * buffer) and, when pinned is set and a certificate was given, the pinned
 * certificate. Keeps the live connections. 0 or -1 (libcurl refused).
 */
int comms_setup(struct comms *c, int pinned);

/*
 * Puts a libcurl failure of a transfer to who (a URL without secrets) into
 * one line: "cannot connect to https://h:1: Connection refused", "TLS: the
 * server's certificate is not trusted (pinned certificate F): ...".
 * pinned says whether c->ca_file was in use; stall_s is not 0 for
 * transfers limited by a stall time instead of a total timeout.
 */
void comms_net_message(struct comms *c, CURLcode cc, const char *who, int pinned, long stall_s,
		       char *out, size_t cap);

/* Sleeps before retry number attempt + 1: backoff_ms << attempt, capped. */
void comms_backoff(const struct comms *c, int attempt);

/*
 * "scheme://host:port" of url (default port made explicit, lowercase
 * scheme), malloc'd, or NULL when url is not an absolute http(s) URL.
 */
char *comms_origin(const char *url);

/* url without user info, query and fragment (for messages), malloc'd or NULL. */
char *comms_display_url(const char *url);

/* Turns control characters into spaces and hides the token: one safe line. */
void comms_clean_line(const struct comms *c, char *s);

#endif
