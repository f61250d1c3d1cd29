/*
 * test_comms.c: unit tests for comms (the client's side of the wire) against
 * a small HTTP server run in the test process with libmicrohttpd on
 * 127.0.0.1 (an ephemeral port; plain http, which comms allows on loopback;
 * one test also serves HTTPS with certificates made here).
 *
 * What they prove: the handle's URL checks; the headers sent (the token to
 * the API only, never to downloads); keep-alive; error bodies in one line
 * (pure cases and over the wire); 204 and non-JSON answers; the 64 MiB cap;
 * retries of GET/PUT/DELETE on 503 and timeouts but not of POST; messages
 * for a refused connection and an untrusted certificate; pagination and its
 * guards; downloads: hashing, Range resume after a broken transfer, restart
 * when the server ignores or botches ranges, hash mismatch and HTTP errors
 * leaving neither dest nor .part, redirects, progress.
 *
 * Every server lives in the forked child of its test (checked fixtures), so
 * counters start at zero. No network beyond 127.0.0.1, no long sleeps.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "comms/comms.h"
#include "core/err.h"

#define TOKEN "tok-secret-1234567890"
#define DATA_N ((size_t)(1 << 20) + 123) /* download size: not a multiple of anything */
#define LIST_N 69                        /* three pages of 32 */

/* ----------------------------------------------------------------------- */
/* The test server                                                          */
/* ----------------------------------------------------------------------- */

static struct MHD_Daemon *srv;
static char base[64];           /* "http://127.0.0.1:PORT" */
static unsigned char *data;     /* DATA_N bytes that /dl/ routes serve */
static char data_hex[65];
static char tmpdir[64];

static atomic_int n_conn;         /* TCP connections accepted */
static atomic_int n_api_auth;     /* API requests that carried the right token */
static atomic_int n_dl;           /* requests to /dl/ routes */
static atomic_int n_dl_auth;      /* ... that carried an Authorization header */
static atomic_int n_flaky;        /* hits of /api/v0/flaky/ */
static atomic_int n_slow;         /* hits of /api/v0/slow/ */
static atomic_int n_pages_valid;  /* pages of /items/ asked with is_valid=True and limit=32 */
static atomic_int n_flaky_dl;     /* hits of the breaking download routes */
static atomic_int n_missing;      /* hits of /dl/missing */
static atomic_llong last_range;   /* start of the last Range asked (-1: none) */

/* One request's body while it arrives. */
struct req {
	char body[8192];
	size_t len;
};

static void sha_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	int i;

	ck_assert_int_eq(EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL), 1);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
			     const char *body)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	if (ctype)
		MHD_add_response_header(resp, "Content-Type", ctype);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_json(struct MHD_Connection *conn, unsigned status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	enum MHD_Result ret = reply(conn, status, "application/json", s);

	free(s);
	json_decref(j);
	return ret;
}

static const char *hdr(struct MHD_Connection *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

static const char *arg(struct MHD_Connection *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
}

static long arg_long(struct MHD_Connection *conn, const char *name, long dflt)
{
	const char *s = arg(conn, name);
	char *end;
	long v;

	if (s == NULL)
		return dflt;
	v = strtol(s, &end, 10);
	return *end ? dflt : v;
}

/* One page of a list of LIST_N objects {"id": i}, with "next" like DRF's. */
static enum MHD_Result route_items(struct MHD_Connection *conn, const char *url, long total,
				   int endless)
{
	long limit = arg_long(conn, "limit", 32), offset = arg_long(conn, "offset", 0), i;
	const char *valid = arg(conn, "is_valid");
	json_t *results = json_array(), *next = json_null();
	char link[256];

	if (valid && strcmp(valid, "True") == 0 && limit == 32)
		atomic_fetch_add(&n_pages_valid, 1);
	for (i = offset; i < total && i < offset + limit; i++)
		json_array_append_new(results, json_pack("{s:I}", "id", (json_int_t)(i + 1)));
	if (endless || offset + limit < total) {
		snprintf(link, sizeof(link), "%s%s?limit=%ld&offset=%ld", base, url, limit,
			 offset + limit);
		next = json_string(link);
	}
	return reply_json(conn, 200, json_pack("{s:I,s:o,s:n,s:o}", "count", (json_int_t)total,
					       "next", next, "previous", "results", results));
}

/* The first half of the data, then the connection is closed. */
static ssize_t half_then_break(void *cls, uint64_t pos, char *buf, size_t max)
{
	size_t half = DATA_N / 2, n;

	(void)cls;
	if (pos >= half)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = half - (size_t)pos < max ? half - (size_t)pos : max;
	memcpy(buf, data + pos, n);
	return (ssize_t)n;
}

static enum MHD_Result reply_breaking(struct MHD_Connection *conn)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_callback(DATA_N, 32 * 1024, half_then_break, NULL, NULL);
	ret = MHD_queue_response(conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Bytes [from, DATA_N) of the data: 200 from 0, 206 otherwise; cr overrides Content-Range. */
static enum MHD_Result reply_data(struct MHD_Connection *conn, size_t from, const char *cr)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char range[96];

	resp = MHD_create_response_from_buffer(DATA_N - from, data + from, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(resp, "Content-Type", "application/octet-stream");
	MHD_add_response_header(resp, "Accept-Ranges", "bytes");
	if (from || cr) {
		snprintf(range, sizeof(range), "bytes %zu-%zu/%zu", from, DATA_N - 1, DATA_N);
		MHD_add_response_header(resp, "Content-Range", cr ? cr : range);
	}
	ret = MHD_queue_response(conn, from || cr ? 206 : 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The start of "Range: bytes=N-" (-1 when absent or malformed); remembered in last_range. */
static long long range_start(struct MHD_Connection *conn)
{
	const char *r = hdr(conn, "Range");
	char *end;
	long long v = -1;

	if (r && strncmp(r, "bytes=", 6) == 0) {
		v = strtoll(r + 6, &end, 10);
		if (end == r + 6 || *end != '-' || end[1] != '\0' || v < 0 || (size_t)v >= DATA_N)
			v = -1;
	}
	atomic_store(&last_range, v);
	return v;
}

static enum MHD_Result route_dl(struct MHD_Connection *conn, const char *url)
{
	long long from;
	int hit;
	char loc[128];
	struct MHD_Response *resp;
	enum MHD_Result ret;

	atomic_fetch_add(&n_dl, 1);
	if (hdr(conn, "Authorization"))
		atomic_fetch_add(&n_dl_auth, 1);
	from = range_start(conn);
	if (strcmp(url, "/dl/data") == 0)
		return reply_data(conn, from > 0 ? (size_t)from : 0, NULL);
	if (strcmp(url, "/dl/empty") == 0)
		return reply(conn, 200, "application/octet-stream", "");
	if (strcmp(url, "/dl/missing") == 0) {
		atomic_fetch_add(&n_missing, 1);
		return reply(conn, 404, "text/html", "<html>not here</html>");
	}
	if (strcmp(url, "/dl/unavailable") == 0)
		return reply(conn, 503, "text/plain", "later");
	if (strcmp(url, "/dl/redirect") == 0) {
		snprintf(loc, sizeof(loc), "%s/dl/data", base);
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(resp, "Location", loc);
		ret = MHD_queue_response(conn, 302, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	hit = atomic_fetch_add(&n_flaky_dl, 1) + 1;
	if (strcmp(url, "/dl/always-broken") == 0 || hit == 1)
		return reply_breaking(conn);
	if (strcmp(url, "/dl/flaky") == 0)
		return reply_data(conn, from > 0 ? (size_t)from : 0, NULL);
	if (strcmp(url, "/dl/flaky-norange") == 0)
		return reply_data(conn, 0, NULL);
	if (strcmp(url, "/dl/flaky-badrange") == 0 && from > 0) /* a 206 for the wrong range */
		return reply_data(conn, 0, "bytes 0-1/2");
	if (strcmp(url, "/dl/flaky-badrange") == 0)
		return reply_data(conn, 0, NULL);
	return reply(conn, 404, "text/plain", "no such route");
}

static ssize_t spaces(void *cls, uint64_t pos, char *buf, size_t max)
{
	uint64_t total = *(const uint64_t *)cls;
	size_t n = total - pos < max ? (size_t)(total - pos) : max;

	if (pos >= total)
		return MHD_CONTENT_READER_END_OF_STREAM;
	memset(buf, ' ', n);
	return (ssize_t)n;
}

static enum MHD_Result reply_huge(struct MHD_Connection *conn, int chunked)
{
	static const uint64_t total = ((uint64_t)64 << 20) + 1;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_callback(chunked ? MHD_SIZE_UNKNOWN : total, 64 * 1024,
						 spaces, (void *)&total, NULL);
	ret = MHD_queue_response(conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result route_api(struct MHD_Connection *conn, const char *url, const char *method,
				 const struct req *rq)
{
	const char *auth = hdr(conn, "Authorization");
	struct timespec ts = { 1, 500000000L };
	char buf[512];

	if (auth && strcmp(auth, "Bearer " TOKEN) == 0)
		atomic_fetch_add(&n_api_auth, 1);
	if (strcmp(url, "/api/v0/echo/") == 0) {
		json_t *j = json_pack("{s:s,s:s?,s:s?,s:s?,s:s?,s:s%}", "method", method,
				      "auth", auth, "accept", hdr(conn, "Accept"),
				      "ct", hdr(conn, "Content-Type"), "ua", hdr(conn, "User-Agent"),
				      "body", rq->body, rq->len);
		return reply_json(conn, 200, j);
	}
	if (strcmp(url, "/api/v0/detail/") == 0)
		return reply(conn, 200, "application/json", "{\"id\":1,\"name\":\"chestxray\"}");
	if (strcmp(url, "/api/v0/moved") == 0) {
		struct MHD_Response *resp;
		enum MHD_Result ret;

		snprintf(buf, sizeof(buf), "%s/api/v0/detail/", base);
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(resp, "Location", buf);
		ret = MHD_queue_response(conn, 301, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	if (strcmp(url, "/api/v0/items/") == 0)
		return route_items(conn, url, LIST_N, 0);
	if (strcmp(url, "/api/v0/endless/") == 0)
		return route_items(conn, url, 32, 1);
	if (strcmp(url, "/api/v0/brokenlist/") == 0 && arg_long(conn, "offset", 0) >= 32)
		return reply(conn, 403, "application/json",
			     "{\"detail\":\"You do not have permission to perform this action.\"}");
	if (strcmp(url, "/api/v0/brokenlist/") == 0)
		return route_items(conn, url, LIST_N, 0);
	if (strcmp(url, "/api/v0/history/") == 0)
		return reply(conn, 200, "application/json", "[{\"id\":7},{\"id\":8}]");
	if (strcmp(url, "/api/v0/err/400") == 0)
		return reply(conn, 400, "application/json",
			     "{\"name\":[\"benchmark with this name already exists.\"]}");
	if (strcmp(url, "/api/v0/err/400-many") == 0)
		return reply(conn, 400, "application/json",
			     "{\"name\":[\"This field may not be null.\"],\"non_field_errors\":"
			     "[\"User can own at most one pending benchmark\"]}");
	if (strcmp(url, "/api/v0/err/nested") == 0)
		return reply(conn, 400, "application/json",
			     "{\"container\":{\"name\":[\"This field is required.\"]}}");
	if (strcmp(url, "/api/v0/err/401") == 0)
		return reply(conn, 401, "application/json",
			     "{\"detail\":\"Authentication credentials were not provided.\"}");
	if (strcmp(url, "/api/v0/err/403") == 0)
		return reply(conn, 403, "application/json",
			     "{\"detail\":\"You do not have permission to perform this action.\"}");
	if (strcmp(url, "/api/v0/err/404") == 0)
		return reply(conn, 404, "application/json", "{\"detail\":\"Not found.\"}");
	if (strcmp(url, "/api/v0/err/500") == 0)
		return reply(conn, 500, "text/html",
			     "<!doctype html>\n<html><body><h1>Server Error (500)</h1></body></html>");
	if (strcmp(url, "/api/v0/err/echo-token") == 0) {
		snprintf(buf, sizeof(buf), "{\"detail\":\"bad header %s\"}", auth ? auth : "");
		return reply(conn, 400, "application/json", buf);
	}
	if (strcmp(url, "/api/v0/flaky/") == 0) {
		if (atomic_fetch_add(&n_flaky, 1) < 2)
			return reply(conn, 503, "application/json", "{\"detail\":\"try later\"}");
		return reply(conn, 200, "application/json", "{\"ok\":true}");
	}
	if (strcmp(url, "/api/v0/slow/") == 0) {
		atomic_fetch_add(&n_slow, 1);
		nanosleep(&ts, NULL);
		return reply(conn, 200, "application/json", "{\"ok\":true}");
	}
	if (strcmp(url, "/api/v0/nocontent/") == 0)
		return reply(conn, 204, NULL, "");
	if (strcmp(url, "/api/v0/notjson/") == 0)
		return reply(conn, 200, "text/plain", "hello, world");
	if (strcmp(url, "/api/v0/huge/") == 0)
		return reply_huge(conn, 0);
	if (strcmp(url, "/api/v0/huge-chunked/") == 0)
		return reply_huge(conn, 1);
	return reply(conn, 404, "application/json", "{\"detail\":\"Not found.\"}");
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	struct req *rq = *con_cls;
	size_t room;

	(void)cls;
	(void)version;
	if (rq == NULL) {
		rq = calloc(1, sizeof(*rq));
		if (rq == NULL)
			return MHD_NO;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		room = sizeof(rq->body) - 1 - rq->len;
		if (*upload_size < room)
			room = *upload_size;
		memcpy(rq->body + rq->len, upload, room);
		rq->len += room;
		*upload_size = 0;
		return MHD_YES;
	}
	if (strncmp(url, "/dl/", 4) == 0)
		return route_dl(conn, url);
	return route_api(conn, url, method, rq);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

static void notify_conn(void *cls, struct MHD_Connection *conn, void **socket_context,
			enum MHD_ConnectionNotificationCode toe)
{
	(void)cls;
	(void)conn;
	(void)socket_context;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		atomic_fetch_add(&n_conn, 1);
}

/* Starts a server on 127.0.0.1:0 (TLS when cert is not NULL); *port gets the port. */
static struct MHD_Daemon *start_server(const char *cert, const char *key, unsigned short *port)
{
	struct sockaddr_in sin;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (cert)
		flags |= MHD_USE_TLS;
	d = MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
			     MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
			     MHD_OPTION_NOTIFY_CONNECTION, notify_conn, NULL,
			     cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
			     MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
	ck_assert_ptr_nonnull(d);
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	ck_assert_ptr_nonnull(info);
	*port = info->port;
	ck_assert_uint_ne(*port, 0);
	return d;
}

static void setup(void)
{
	unsigned short port;
	size_t i;

	data = malloc(DATA_N);
	ck_assert_ptr_nonnull(data);
	for (i = 0; i < DATA_N; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	sha_hex(data, DATA_N, data_hex);
	atomic_store(&n_conn, 0);
	atomic_store(&n_api_auth, 0);
	atomic_store(&n_dl, 0);
	atomic_store(&n_dl_auth, 0);
	atomic_store(&n_flaky, 0);
	atomic_store(&n_slow, 0);
	atomic_store(&n_pages_valid, 0);
	atomic_store(&n_flaky_dl, 0);
	atomic_store(&n_missing, 0);
	atomic_store(&last_range, -1);
	srv = start_server(NULL, NULL, &port);
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", (unsigned)port);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_comms.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[128];

	MHD_stop_daemon(srv);
	srv = NULL;
	free(data);
	data = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* ----------------------------------------------------------------------- */
/* Helpers                                                                  */
/* ----------------------------------------------------------------------- */

static struct comms *open_comms(const char *token, int retries, long timeout_s)
{
	struct comms_opts o = { 0 };
	struct comms *c = NULL;
	mp_errbuf e = { { 0 } };

	o.server = base;
	o.token = token;
	o.retries = retries;
	o.backoff_ms = 1;
	o.timeout_s = timeout_s;
	ck_assert_msg(comms_open(&o, &c, &e) == MP_OK, "comms_open: %s", e.msg);
	ck_assert_ptr_nonnull(c);
	return c;
}

static char *path_in(const char *name)
{
	static char p[4][128];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tmpdir, name);
	return p[i];
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Asserts path holds exactly n bytes equal to p. */
static void assert_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *got = malloc(n + 1);
	size_t r;

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(got);
	r = fread(got, 1, n + 1, f);
	fclose(f);
	ck_assert_uint_eq(r, n);
	ck_assert(memcmp(got, p, n) == 0);
	free(got);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A port on 127.0.0.1 where nothing listens (bound, then closed). */
static unsigned short closed_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

/* ----------------------------------------------------------------------- */
/* comms_open                                                               */
/* ----------------------------------------------------------------------- */

START_TEST(test_open_checks)
{
	static const struct {
		const char *server;
		int ok;
	} cases[] = {
		{ "https://medperf.example.org", 1 },
		{ "https://medperf.example.org:8443/", 1 },
		{ "http://127.0.0.1:8000", 1 },
		{ "http://127.1.2.3:8000/", 1 },
		{ "http://localhost:8000", 1 },
		{ "http://[::1]:8000", 1 },
		{ "http://medperf.example.org", 0 },
		{ "http://128.0.0.1:8000", 0 },
		{ "http://[::2]:8000", 0 },
		{ "ftp://127.0.0.1/", 0 },
		{ "medperf.example.org", 0 },
		{ "https://medperf.example.org/?x=1", 0 },
		{ "https://user@medperf.example.org/", 0 },
		{ "", 0 },
	};
	struct comms_opts o = { 0 };
	struct comms *c;
	mp_errbuf e;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o.server = cases[i].server;
		e.msg[0] = '\0';
		c = (struct comms *)&o; /* must be overwritten */
		if (cases[i].ok) {
			ck_assert_msg(comms_open(&o, &c, &e) == MP_OK, "%s: %s", o.server, e.msg);
			ck_assert_ptr_nonnull(c);
		} else {
			ck_assert_msg(comms_open(&o, &c, &e) == MP_EINVAL, "%s accepted", o.server);
			ck_assert_ptr_null(c);
			ck_assert_msg(e.msg[0] != '\0', "%s: no message", o.server);
		}
		comms_close(c);
	}
	o.server = "http://medperf.example.org";
	comms_open(&o, &c, &e);
	ck_assert_msg(strstr(e.msg, "https") != NULL, "%s", e.msg);

	o.server = "https://medperf.example.org";
	o.token = "abc\r\nX-Evil: 1";
	ck_assert_int_eq(comms_open(&o, &c, &e), MP_EINVAL);
	ck_assert_ptr_null(c);
	o.token = NULL;
	o.ca_file = "/nonexistent/cert.pem";
	ck_assert_int_eq(comms_open(&o, &c, &e), MP_EIO);
	ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/cert.pem"));
	comms_close(NULL);
}
END_TEST

/* ----------------------------------------------------------------------- */
/* comms_error_line                                                         */
/* ----------------------------------------------------------------------- */

START_TEST(test_error_line)
{
	static const struct {
		long status;
		const char *body; /* NULL: no body */
		const char *want;
	} cases[] = {
		{ 404, "{\"detail\":\"Not found.\"}", "Not found." },
		{ 401, "{\"detail\":\"Given token not valid for any token type\",\"code\":"
		       "\"token_not_valid\",\"messages\":[{\"message\":\"x\"}]}",
		  "Given token not valid for any token type" },
		{ 400, "{\"name\":[\"benchmark with this name already exists.\"]}",
		  "name: benchmark with this name already exists." },
		{ 400, "{\"name\":[\"a\",\"b\"],\"non_field_errors\":[\"c\"]}", "name: a; b; c" },
		{ 400, "{\"non_field_errors\":[\"c\"],\"name\":[\"a\"]}", "c; name: a" },
		{ 400, "{\"z\":[\"1\"],\"a\":[\"2\"]}", "z: 1; a: 2" },
		{ 400, "{\"container\":{\"name\":[\"This field is required.\"]}}",
		  "container.name: This field is required." },
		{ 400, "{\"container\":{\"non_field_errors\":[\"bad\"],\"image\":{\"tag\":[\"x\"]}}}",
		  "container: bad; container.image.tag: x" },
		{ 400, "{\"items\":[{},{\"name\":[\"bad\"]}]}", "items[1].name: bad" },
		{ 400, "{\"name\":\"plain string\"}", "name: plain string" },
		{ 400, "[\"first\",\"second\"]", "first; second" },
		{ 400, "{\"a\":[\"line\\none\\rtwo\"]}", "a: line one two" },
		{ 400, "{}", "HTTP 400" },
		{ 400, "[]", "HTTP 400" },
		{ 500, "42", "HTTP 500" },
		{ 500, "\"text\"", "HTTP 500" },
		{ 502, NULL, "HTTP 502" },
		{ 400, "{\"detail\":[\"not a string\"]}", "detail: not a string" },
	};
	char out[256];
	json_t *j;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		j = cases[i].body ? json_loads(cases[i].body, JSON_DECODE_ANY, NULL) : NULL;
		ck_assert_msg(cases[i].body == NULL || j != NULL, "case %zu: bad JSON", i);
		comms_error_line(cases[i].status, j, out, sizeof(out));
		ck_assert_msg(strcmp(out, cases[i].want) == 0, "case %zu: got '%s', want '%s'", i,
			      out, cases[i].want);
		json_decref(j);
	}
	/* a small buffer truncates, always terminated */
	j = json_loads("{\"name\":[\"benchmark with this name already exists.\"]}", 0, NULL);
	memset(out, 'x', sizeof(out));
	comms_error_line(400, j, out, 8);
	ck_assert_str_eq(out, "name: b");
	ck_assert_int_eq(out[8], 'x');
	json_decref(j);
}
END_TEST

/* ----------------------------------------------------------------------- */
/* comms_request                                                            */
/* ----------------------------------------------------------------------- */

START_TEST(test_headers_and_methods)
{
	struct comms *c = open_comms(TOKEN, 0, 0);
	struct comms *anon = open_comms(NULL, 0, 0);
	struct comms_result r;
	json_t *body = json_pack("{s:i,s:s}", "a", 1, "b", "é");
	const char *methods[] = { "POST", "PUT", "DELETE", "PATCH" };
	json_t *sent;
	size_t i;

	ck_assert_int_eq(comms_request(c, "GET", "/echo/", NULL, &r), MP_OK);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.fail, COMMS_OK);
	ck_assert_str_eq(json_string_value(json_object_get(r.body, "method")), "GET");
	ck_assert_str_eq(json_string_value(json_object_get(r.body, "auth")), "Bearer " TOKEN);
	ck_assert_str_eq(json_string_value(json_object_get(r.body, "accept")), "application/json");
	ck_assert_str_eq(json_string_value(json_object_get(r.body, "ua")), "medperf-c/" MEDPERF_VERSION);
	ck_assert_ptr_null(json_string_value(json_object_get(r.body, "ct")));
	ck_assert_str_eq(json_string_value(json_object_get(r.body, "body")), "");
	comms_result_release(&r);
	ck_assert_ptr_null(r.body);

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		ck_assert_int_eq(comms_request(c, methods[i], "/echo/", body, &r), MP_OK);
		ck_assert_str_eq(json_string_value(json_object_get(r.body, "method")), methods[i]);
		ck_assert_str_eq(json_string_value(json_object_get(r.body, "ct")),
				 "application/json");
		sent = json_loads(json_string_value(json_object_get(r.body, "body")), 0, NULL);
		ck_assert_msg(json_equal(sent, body), "body not sent as JSON");
		json_decref(sent);
		comms_result_release(&r);
	}
	/* DELETE and POST without a body */
	ck_assert_int_eq(comms_request(c, "DELETE", "/echo/", NULL, &r), MP_OK);
	ck_assert_str_eq(json_string_value(json_object_get(r.body, "method")), "DELETE");
	comms_result_release(&r);
	ck_assert_int_eq(comms_request(c, "POST", "/echo/", NULL, &r), MP_OK);
	ck_assert_str_eq(json_string_value(json_object_get(r.body, "method")), "POST");
	ck_assert_str_eq(json_string_value(json_object_get(r.body, "body")), "");
	comms_result_release(&r);

	/* anonymous: no Authorization at all */
	ck_assert_int_eq(comms_request(anon, "GET", "/echo/", NULL, &r), MP_OK);
	ck_assert_ptr_null(json_string_value(json_object_get(r.body, "auth")));
	comms_result_release(&r);

	/* what comms refuses before sending */
	ck_assert_int_eq(comms_request(c, "FETCH", "/echo/", NULL, &r), MP_EINVAL);
	ck_assert_int_eq(comms_request(c, "GET", "echo/", NULL, &r), MP_EINVAL);
	ck_assert_int_eq(comms_request(c, "GET", "/echo/ HTTP/1.0\r\nX: y", NULL, &r), MP_EINVAL);
	ck_assert_int_eq(comms_request(c, "GET", "/echo/", body, &r), MP_EINVAL);
	ck_assert_ptr_null(r.body);
	json_decref(body);
	comms_close(anon);
	comms_close(c);
}
END_TEST

START_TEST(test_keepalive_and_redirect)
{
	struct comms *c = open_comms(TOKEN, 0, 0);
	struct comms_result r;
	int i;

	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(comms_request(c, "GET", "/detail/", NULL, &r), MP_OK);
		ck_assert_str_eq(json_string_value(json_object_get(r.body, "name")), "chestxray");
		comms_result_release(&r);
	}
	ck_assert_int_eq(atomic_load(&n_conn), 1);
	ck_assert_int_eq(atomic_load(&n_api_auth), 5);
	/* a GET follows Django's 301 to the slashed URL */
	ck_assert_int_eq(comms_request(c, "GET", "/moved", NULL, &r), MP_OK);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(r.body, "name")), "chestxray");
	comms_result_release(&r);
	comms_close(c);
}
END_TEST

START_TEST(test_answers)
{
	struct comms *c = open_comms(TOKEN, 0, 0);
	struct comms_result r;

	ck_assert_int_eq(comms_request(c, "DELETE", "/nocontent/", NULL, &r), MP_OK);
	ck_assert_int_eq(r.status, 204);
	ck_assert_ptr_null(r.body);
	comms_result_release(&r);

	ck_assert_int_eq(comms_request(c, "GET", "/notjson/", NULL, &r), MP_EINVAL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.fail, COMMS_BAD_ANSWER);
	ck_assert_msg(strstr(r.message, "not JSON") != NULL, "%s", r.message);
	comms_result_release(&r);

	ck_assert_int_eq(comms_request(c, "GET", "/huge/", NULL, &r), MP_EINVAL);
	ck_assert_int_eq(r.fail, COMMS_BAD_ANSWER);
	ck_assert_msg(strstr(r.message, "larger than 64 MiB") != NULL, "%s", r.message);
	ck_assert_ptr_null(r.body);
	ck_assert_int_eq(comms_request(c, "GET", "/huge-chunked/", NULL, &r), MP_EINVAL);
	ck_assert_int_eq(r.fail, COMMS_BAD_ANSWER);
	ck_assert_msg(strstr(r.message, "larger than 64 MiB") != NULL, "%s", r.message);
	comms_close(c);
}
END_TEST

START_TEST(test_http_errors)
{
	static const struct {
		const char *path;
		long status;
		const char *message;
	} cases[] = {
		{ "/err/400", 400, "HTTP 400: name: benchmark with this name already exists." },
		{ "/err/400-many", 400, "HTTP 400: name: This field may not be null.; User can own "
					"at most one pending benchmark" },
		{ "/err/nested", 400, "HTTP 400: container.name: This field is required." },
		{ "/err/401", 401, "HTTP 401: Authentication credentials were not provided." },
		{ "/err/403", 403, "HTTP 403: You do not have permission to perform this action." },
		{ "/err/404", 404, "HTTP 404: Not found." },
		{ "/err/500", 500, "HTTP 500" },
		{ "/no/such/route/", 404, "HTTP 404: Not found." },
	};
	struct comms *c = open_comms(TOKEN, 0, 0);
	struct comms_result r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(comms_request(c, "GET", cases[i].path, NULL, &r), MP_EINVAL);
		ck_assert_int_eq(r.status, cases[i].status);
		ck_assert_int_eq(r.fail, COMMS_HTTP);
		ck_assert_str_eq(r.message, cases[i].message);
		if (cases[i].status == 500)
			ck_assert_ptr_null(r.body);
		else
			ck_assert_ptr_nonnull(r.body);
		comms_result_release(&r);
	}
	/* a server that echoes the token does not get it into the message */
	ck_assert_int_eq(comms_request(c, "GET", "/err/echo-token", NULL, &r), MP_EINVAL);
	ck_assert_ptr_null(strstr(r.message, TOKEN));
	ck_assert_msg(strstr(r.message, "HTTP 400: bad header Bearer ***") == r.message, "%s",
		      r.message);
	comms_result_release(&r);
	comms_close(c);
}
END_TEST

START_TEST(test_retry_503)
{
	struct comms *c = open_comms(TOKEN, 3, 0);
	struct comms *once = open_comms(TOKEN, -1, 0);
	struct comms_result r;
	const char *idempotent[] = { "GET", "PUT", "DELETE" };
	json_t *body = json_object();
	size_t i;

	for (i = 0; i < sizeof(idempotent) / sizeof(idempotent[0]); i++) {
		atomic_store(&n_flaky, 0);
		ck_assert_int_eq(comms_request(c, idempotent[i], "/flaky/",
					       strcmp(idempotent[i], "PUT") ? NULL : body, &r),
				 MP_OK);
		ck_assert_int_eq(r.status, 200);
		ck_assert_int_eq(atomic_load(&n_flaky), 3);
		comms_result_release(&r);
	}
	/* POST may have reached the server: never sent twice */
	atomic_store(&n_flaky, 0);
	ck_assert_int_eq(comms_request(c, "POST", "/flaky/", body, &r), MP_EINVAL);
	ck_assert_int_eq(r.status, 503);
	ck_assert_int_eq(r.fail, COMMS_HTTP);
	ck_assert_str_eq(r.message, "HTTP 503: try later");
	ck_assert_int_eq(atomic_load(&n_flaky), 1);
	comms_result_release(&r);
	/* retries < 0: no retry at all */
	atomic_store(&n_flaky, 0);
	ck_assert_int_eq(comms_request(once, "GET", "/flaky/", NULL, &r), MP_EINVAL);
	ck_assert_int_eq(r.status, 503);
	ck_assert_int_eq(atomic_load(&n_flaky), 1);
	comms_result_release(&r);
	/* errors that are not transient are not retried */
	ck_assert_int_eq(comms_request(c, "GET", "/err/500", NULL, &r), MP_EINVAL);
	comms_result_release(&r);
	json_decref(body);
	comms_close(once);
	comms_close(c);
}
END_TEST

START_TEST(test_timeout)
{
	struct comms *c = open_comms(TOKEN, -1, 1);
	struct comms *again = open_comms(TOKEN, 1, 1);
	struct comms_result r;
	double t0 = now_s();

	ck_assert_int_eq(comms_request(c, "GET", "/slow/", NULL, &r), MP_EINVAL);
	ck_assert_int_eq(r.fail, COMMS_NETWORK);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.message, "timed out after 1 s") != NULL, "%s", r.message);
	ck_assert_msg(strstr(r.message, base) != NULL, "%s", r.message);
	ck_assert_double_lt(now_s() - t0, 1.45);
	ck_assert_int_eq(atomic_load(&n_slow), 1);
	/* a GET is retried after a timeout, a POST is not */
	atomic_store(&n_slow, 0);
	ck_assert_int_eq(comms_request(again, "GET", "/slow/", NULL, &r), MP_EINVAL);
	ck_assert_int_eq(atomic_load(&n_slow), 2);
	atomic_store(&n_slow, 0);
	ck_assert_int_eq(comms_request(again, "POST", "/slow/", NULL, &r), MP_EINVAL);
	ck_assert_int_eq(atomic_load(&n_slow), 1);
	comms_close(again);
	comms_close(c);
}
END_TEST

START_TEST(test_connection_refused)
{
	struct comms_opts o = { 0 };
	struct comms *c = NULL;
	struct comms_result r;
	mp_errbuf e;
	char server[64], want[128];
	double t0;

	snprintf(server, sizeof(server), "https://127.0.0.1:%u", (unsigned)closed_port());
	o.server = server;
	o.token = TOKEN;
	o.retries = 2;
	o.backoff_ms = 50;
	ck_assert_int_eq(comms_open(&o, &c, &e), MP_OK);
	t0 = now_s();
	ck_assert_int_eq(comms_request(c, "GET", "/me/", NULL, &r), MP_EINVAL);
	ck_assert_int_eq(r.fail, COMMS_NETWORK);
	ck_assert_int_eq(r.status, 0);
	snprintf(want, sizeof(want), "cannot connect to %s: Connection refused", server);
	ck_assert_str_eq(r.message, want);
	ck_assert_double_ge(now_s() - t0, 0.14); /* 50 + 100 ms of back-off: retried twice */
	/* no connection at all: even a POST is tried again */
	t0 = now_s();
	ck_assert_int_eq(comms_request(c, "POST", "/benchmarks/", NULL, &r), MP_EINVAL);
	ck_assert_str_eq(r.message, want);
	ck_assert_double_ge(now_s() - t0, 0.14);
	comms_close(c);
}
END_TEST

/* ----------------------------------------------------------------------- */
/* TLS: a pinned certificate, right and wrong                               */
/* ----------------------------------------------------------------------- */

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return 0;
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return 1;
}

static char *bio_string(BIO *bio)
{
	char *p, *s;
	long n = BIO_get_mem_data(bio, &p);

	s = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(s);
	memcpy(s, p, (size_t)n);
	s[n] = '\0';
	return s;
}

/* A self-signed P-256 certificate for san; PEMs in *cert and *key (malloc'd). */
static void make_cert(const char *san, char **cert, char **key)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	BIO *bc = BIO_new(BIO_s_mem()), *bk = BIO_new(BIO_s_mem());

	ck_assert(k && x && bc && bk);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(now_s() * 1000) & 0x7fffffff);
	X509_set_version(x, 2);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"test", -1, -1,
				   0);
	X509_set_issuer_name(x, name);
	ck_assert(add_ext(x, NID_basic_constraints, "critical,CA:TRUE"));
	ck_assert(add_ext(x, NID_key_usage, "critical,digitalSignature,keyCertSign"));
	ck_assert(add_ext(x, NID_ext_key_usage, "serverAuth"));
	ck_assert(add_ext(x, NID_subject_alt_name, san));
	ck_assert(X509_sign(x, k, EVP_sha256()));
	ck_assert(PEM_write_bio_X509(bc, x));
	ck_assert(PEM_write_bio_PrivateKey(bk, k, NULL, NULL, 0, NULL, NULL));
	*cert = bio_string(bc);
	*key = bio_string(bk);
	BIO_free(bc);
	BIO_free(bk);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(s, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* GET /detail/ on https://127.0.0.1:port pinning ca (NULL: system store). */
static int tls_get(unsigned short port, const char *ca, struct comms_result *r)
{
	struct comms_opts o = { 0 };
	struct comms *c = NULL;
	mp_errbuf e;
	char server[64];
	int rc;

	snprintf(server, sizeof(server), "https://127.0.0.1:%u", (unsigned)port);
	o.server = server;
	o.ca_file = ca;
	o.token = TOKEN;
	o.retries = 3;
	o.backoff_ms = 1;
	ck_assert_msg(comms_open(&o, &c, &e) == MP_OK, "%s", e.msg);
	rc = comms_request(c, "GET", "/detail/", NULL, r);
	comms_close(c);
	return rc;
}

START_TEST(test_tls_pinning)
{
	char *cert_a, *key_a, *cert_b, *key_b, *cert_c, *key_c;
	char *pin_a = path_in("a.pem"), *pin_b = path_in("b.pem"), *pin_c = path_in("c.pem");
	struct MHD_Daemon *tls_a, *tls_c;
	unsigned short port_a, port_c;
	struct comms_result r;
	char want[256];

	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		fprintf(stderr, "test_tls_pinning: libmicrohttpd without TLS, skipped\n");
		return;
	}
	make_cert("IP:127.0.0.1", &cert_a, &key_a);
	make_cert("IP:127.0.0.1", &cert_b, &key_b);
	make_cert("DNS:example.org", &cert_c, &key_c);
	write_file(pin_a, cert_a);
	write_file(pin_b, cert_b);
	write_file(pin_c, cert_c);
	tls_a = start_server(cert_a, key_a, &port_a);
	tls_c = start_server(cert_c, key_c, &port_c);

	/* the right pin: works, hostname verified against the IP SAN */
	ck_assert_int_eq(tls_get(port_a, pin_a, &r), MP_OK);
	ck_assert_str_eq(json_string_value(json_object_get(r.body, "name")), "chestxray");
	comms_result_release(&r);
	/* another self-signed certificate: refused with a clear message, and not retried */
	atomic_store(&n_conn, 0);
	ck_assert_int_eq(tls_get(port_a, pin_b, &r), MP_EINVAL);
	ck_assert_int_eq(r.fail, COMMS_NETWORK);
	snprintf(want, sizeof(want), "TLS: the server's certificate is not trusted (pinned "
		 "certificate %s)", pin_b);
	ck_assert_msg(strncmp(r.message, want, strlen(want)) == 0, "%s", r.message);
	ck_assert_int_eq(atomic_load(&n_conn), 1);
	/* the pinned certificate, but for another name: hostname verification stays on */
	ck_assert_int_eq(tls_get(port_c, pin_c, &r), MP_EINVAL);
	ck_assert_int_eq(r.fail, COMMS_NETWORK);
	ck_assert_msg(strstr(r.message, "not trusted") != NULL, "%s", r.message);
	/* no pin: the system store does not know it */
	ck_assert_int_eq(tls_get(port_a, NULL, &r), MP_EINVAL);
	ck_assert_msg(strstr(r.message, "not trusted (system CA store)") != NULL, "%s", r.message);
	ck_assert_ptr_null(strstr(r.message, TOKEN));

	MHD_stop_daemon(tls_a);
	MHD_stop_daemon(tls_c);
	free(cert_a);
	free(key_a);
	free(cert_b);
	free(key_b);
	free(cert_c);
	free(key_c);
}
END_TEST

/* ----------------------------------------------------------------------- */
/* comms_list_all                                                           */
/* ----------------------------------------------------------------------- */

START_TEST(test_list_pages)
{
	struct comms *c = open_comms(TOKEN, 0, 0);
	struct comms_result r;
	json_t *items = NULL;
	size_t i;

	ck_assert_int_eq(comms_list_all(c, "/items/?is_valid=True", &items, &r), MP_OK);
	ck_assert_int_eq(r.fail, COMMS_OK);
	ck_assert_uint_eq(json_array_size(items), LIST_N);
	for (i = 0; i < LIST_N; i++)
		ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(items, i), "id")),
				 (json_int_t)i + 1);
	ck_assert_int_eq(atomic_load(&n_pages_valid), 3);
	json_decref(items);
	comms_result_release(&r);

	/* without a query of its own */
	ck_assert_int_eq(comms_list_all(c, "/items/", &items, &r), MP_OK);
	ck_assert_uint_eq(json_array_size(items), LIST_N);
	json_decref(items);

	/* "next" never null, but an empty page ends it */
	ck_assert_int_eq(comms_list_all(c, "/endless/", &items, &r), MP_OK);
	ck_assert_uint_eq(json_array_size(items), 32);
	json_decref(items);

	/* a list that is not paginated is taken whole */
	ck_assert_int_eq(comms_list_all(c, "/history/", &items, &r), MP_OK);
	ck_assert_uint_eq(json_array_size(items), 2);
	json_decref(items);
	comms_close(c);
}
END_TEST

START_TEST(test_list_errors)
{
	struct comms *c = open_comms(TOKEN, 0, 0);
	struct comms_result r;
	json_t *sentinel = json_array(), *items = sentinel; /* must be overwritten */

	/* the second page fails */
	ck_assert_int_eq(comms_list_all(c, "/brokenlist/", &items, &r), MP_EINVAL);
	ck_assert_ptr_null(items);
	ck_assert_int_eq(r.status, 403);
	ck_assert_int_eq(r.fail, COMMS_HTTP);
	ck_assert_str_eq(r.message, "HTTP 403: You do not have permission to perform this action.");
	comms_result_release(&r);
	/* the first page fails */
	ck_assert_int_eq(comms_list_all(c, "/err/401", &items, &r), MP_EINVAL);
	ck_assert_ptr_null(items);
	ck_assert_int_eq(r.status, 401);
	comms_result_release(&r);
	/* an object that is not a page */
	ck_assert_int_eq(comms_list_all(c, "/detail/", &items, &r), MP_EINVAL);
	ck_assert_ptr_null(items);
	ck_assert_int_eq(r.fail, COMMS_BAD_ANSWER);
	comms_result_release(&r);
	json_decref(sentinel);
	comms_close(c);
}
END_TEST

/* ----------------------------------------------------------------------- */
/* comms_download                                                           */
/* ----------------------------------------------------------------------- */

struct progress {
	int calls;
	uint64_t done, total;
	int backwards;
};

static void on_progress(void *cls, uint64_t done, uint64_t total)
{
	struct progress *p = cls;

	p->calls++;
	if (done < p->done)
		p->backwards++;
	p->done = done;
	p->total = total;
}

static char *url_of(const char *path)
{
	static char u[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(u[i], sizeof(u[i]), "%s%s", base, path);
	return u[i];
}

/* Asserts a failed download left neither dest nor dest.part. */
static void assert_nothing_left(const char *dest)
{
	char part[256];

	snprintf(part, sizeof(part), "%s.part", dest);
	ck_assert_msg(!exists(dest), "%s exists", dest);
	ck_assert_msg(!exists(part), "%s exists", part);
}

START_TEST(test_download_ok)
{
	struct comms *c = open_comms(TOKEN, 0, 0);
	struct comms_result r;
	struct progress p = { 0 };
	char got[HASH_HEX], upper[HASH_HEX], part[256];
	char *dest = path_in("data.bin");
	size_t i;

	/* the token reaches the API ... */
	ck_assert_int_eq(comms_request(c, "GET", "/detail/", NULL, &r), MP_OK);
	comms_result_release(&r);
	ck_assert_int_eq(atomic_load(&n_api_auth), 1);

	ck_assert_int_eq(comms_download(c, url_of("/dl/data"), dest, data_hex, got, on_progress,
					&p, &r), MP_OK);
	ck_assert_int_eq(r.fail, COMMS_OK);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(got, data_hex);
	assert_file(dest, data, DATA_N);
	snprintf(part, sizeof(part), "%s.part", dest);
	ck_assert(!exists(part));
	ck_assert_int_ge(p.calls, 1);
	ck_assert_int_le(p.calls, 50);
	ck_assert_int_eq(p.backwards, 0);
	ck_assert_uint_eq(p.done, DATA_N);
	ck_assert_uint_eq(p.total, DATA_N);

	/* ... and never a download, even from the same server */
	ck_assert_int_eq(atomic_load(&n_dl), 1);
	ck_assert_int_eq(atomic_load(&n_dl_auth), 0);

	/* expected in upper case, "direct:", no expected hash, no progress: all fine */
	for (i = 0; i < 64; i++)
		upper[i] = (char)(data_hex[i] >= 'a' ? data_hex[i] - 'a' + 'A' : data_hex[i]);
	upper[64] = '\0';
	dest = path_in("upper.bin");
	ck_assert_int_eq(comms_download(c, url_of("/dl/data"), dest, upper, got, NULL, NULL, &r),
			 MP_OK);
	ck_assert_str_eq(got, data_hex);
	{
		char direct[300];

		snprintf(direct, sizeof(direct), "direct:%s", url_of("/dl/data"));
		dest = path_in("direct2.bin");
		ck_assert_int_eq(comms_download(c, direct, dest, NULL, got, NULL, NULL, &r), MP_OK);
		ck_assert_str_eq(got, data_hex);
		assert_file(dest, data, DATA_N);
	}
	/* redirects are followed */
	dest = path_in("redirected.bin");
	ck_assert_int_eq(comms_download(c, url_of("/dl/redirect"), dest, data_hex, got, NULL, NULL,
					&r), MP_OK);
	assert_file(dest, data, DATA_N);
	/* an empty file */
	dest = path_in("empty.bin");
	ck_assert_int_eq(comms_download(c, url_of("/dl/empty"), dest,
					"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
					got, NULL, NULL, &r), MP_OK);
	assert_file(dest, "", 0);
	ck_assert_int_eq(atomic_load(&n_dl_auth), 0);
	comms_close(c);
}
END_TEST

START_TEST(test_download_resume)
{
	struct comms *c = open_comms(TOKEN, 2, 0);
	struct comms_result r;
	struct progress p = { 0 };
	char got[HASH_HEX];
	char *dest = path_in("resumed.bin");
	long long from;

	ck_assert_int_eq(comms_download(c, url_of("/dl/flaky"), dest, data_hex, got, on_progress,
					&p, &r), MP_OK);
	ck_assert_msg(r.message[0] == '\0', "%s", r.message);
	ck_assert_int_eq(r.status, 206);
	ck_assert_int_eq(atomic_load(&n_flaky_dl), 2);
	from = atomic_load(&last_range);
	ck_assert_msg(from > 0 && (size_t)from <= DATA_N / 2, "resumed from %lld", from);
	ck_assert_str_eq(got, data_hex);
	assert_file(dest, data, DATA_N);
	ck_assert_uint_eq(p.done, DATA_N);
	ck_assert_uint_eq(p.total, DATA_N);
	ck_assert_int_eq(atomic_load(&n_dl_auth), 0);
	comms_close(c);
}
END_TEST

START_TEST(test_download_restart)
{
	struct comms *c = open_comms(TOKEN, 3, 0);
	struct comms_result r;
	char got[HASH_HEX];
	char *dest;

	/* the server ignores Range (200 with everything): start over */
	dest = path_in("norange.bin");
	ck_assert_int_eq(comms_download(c, url_of("/dl/flaky-norange"), dest, data_hex, got, NULL,
					NULL, &r), MP_OK);
	ck_assert_int_eq(atomic_load(&n_flaky_dl), 2);
	ck_assert_int_gt(atomic_load(&last_range), 0); /* it was asked for the rest */
	ck_assert_str_eq(got, data_hex);
	assert_file(dest, data, DATA_N);

	/* the server answers 206 for another range: refused, then a plain GET from 0 */
	atomic_store(&n_flaky_dl, 0);
	dest = path_in("badrange.bin");
	ck_assert_int_eq(comms_download(c, url_of("/dl/flaky-badrange"), dest, data_hex, got, NULL,
					NULL, &r), MP_OK);
	ck_assert_int_eq(atomic_load(&n_flaky_dl), 3);
	ck_assert_int_eq(atomic_load(&last_range), -1); /* the last try asked for no range */
	ck_assert_str_eq(got, data_hex);
	assert_file(dest, data, DATA_N);
	comms_close(c);
}
END_TEST

START_TEST(test_download_failures)
{
	struct comms *c = open_comms(TOKEN, 1, 0);
	struct comms_result r;
	char got[HASH_HEX], want[512], zeros[65];
	char *dest = path_in("kept.bin");

	/* hash mismatch: dest untouched, no .part */
	memset(zeros, '0', 64);
	zeros[64] = '\0';
	write_file(dest, "old contents");
	ck_assert_int_eq(comms_download(c, url_of("/dl/data"), dest, zeros, got, NULL, NULL, &r),
			 MP_EINVAL);
	snprintf(want, sizeof(want), "hash mismatch for %s: expected %s, got %s",
		 url_of("/dl/data"), zeros, data_hex);
	ck_assert_str_eq(r.message, want);
	assert_file(dest, "old contents", 12);
	dest = path_in("mismatch.bin");
	ck_assert_int_eq(comms_download(c, url_of("/dl/data"), dest, zeros, got, NULL, NULL, &r),
			 MP_EINVAL);
	assert_nothing_left(dest);

	/* 404: not retried, the status in the message, the query (a signature?) not */
	dest = path_in("missing.bin");
	ck_assert_int_eq(comms_download(c, url_of("/dl/missing?sig=SECRET"), dest, NULL, got, NULL,
					NULL, &r), MP_EINVAL);
	ck_assert_int_eq(r.status, 404);
	ck_assert_int_eq(r.fail, COMMS_HTTP);
	snprintf(want, sizeof(want), "HTTP 404 for %s", url_of("/dl/missing"));
	ck_assert_str_eq(r.message, want);
	ck_assert_int_eq(atomic_load(&n_missing), 1);
	assert_nothing_left(dest);

	/* 503 on every try */
	ck_assert_int_eq(comms_download(c, url_of("/dl/unavailable"), dest, NULL, got, NULL, NULL,
					&r), MP_EINVAL);
	ck_assert_int_eq(r.status, 503);
	assert_nothing_left(dest);

	/* broken on every try: after the retries, nothing left behind */
	dest = path_in("broken.bin");
	ck_assert_int_eq(comms_download(c, url_of("/dl/always-broken"), dest, NULL, got, NULL,
					NULL, &r), MP_EINVAL);
	ck_assert_int_eq(r.fail, COMMS_NETWORK);
	ck_assert_int_eq(atomic_load(&n_flaky_dl), 2);
	ck_assert_msg(strstr(r.message, "closed the connection") != NULL ||
		      strstr(r.message, "broken") != NULL, "%s", r.message);
	assert_nothing_left(dest);

	/* nobody listens */
	snprintf(want, sizeof(want), "direct:http://127.0.0.1:%u/x", (unsigned)closed_port());
	ck_assert_int_eq(comms_download(c, want, dest, NULL, got, NULL, NULL, &r), MP_EINVAL);
	ck_assert_int_eq(r.fail, COMMS_NETWORK);
	ck_assert_msg(strstr(r.message, "cannot connect to http://127.0.0.1:") == r.message, "%s",
		      r.message);
	assert_nothing_left(dest);

	/* what cannot be downloaded at all */
	ck_assert_int_eq(comms_download(c, "synapse:syn123", dest, NULL, got, NULL, NULL, &r),
			 MP_EINVAL);
	ck_assert_int_eq(comms_download(c, "ftp://127.0.0.1/x", dest, NULL, got, NULL, NULL, &r),
			 MP_EINVAL);
	assert_nothing_left(dest);
	ck_assert_int_eq(comms_download(c, url_of("/dl/data"), "/nonexistent-dir/x.bin", NULL, got,
					NULL, NULL, &r), MP_EIO);
	ck_assert_msg(strstr(r.message, "/nonexistent-dir/x.bin.part") != NULL, "%s", r.message);
	ck_assert_int_eq(atomic_load(&n_dl_auth), 0);
	comms_close(c);
}
END_TEST

static Suite *comms_suite(void)
{
	Suite *s = suite_create("comms");
	TCase *pure = tcase_create("pure");
	TCase *wire = tcase_create("wire");
	TCase *dl = tcase_create("download");

	tcase_add_test(pure, test_open_checks);
	tcase_add_test(pure, test_error_line);
	suite_add_tcase(s, pure);

	tcase_add_checked_fixture(wire, setup, teardown);
	tcase_set_timeout(wire, 60);
	tcase_add_test(wire, test_headers_and_methods);
	tcase_add_test(wire, test_keepalive_and_redirect);
	tcase_add_test(wire, test_answers);
	tcase_add_test(wire, test_http_errors);
	tcase_add_test(wire, test_retry_503);
	tcase_add_test(wire, test_timeout);
	tcase_add_test(wire, test_connection_refused);
	tcase_add_test(wire, test_tls_pinning);
	tcase_add_test(wire, test_list_pages);
	tcase_add_test(wire, test_list_errors);
	suite_add_tcase(s, wire);

	tcase_add_checked_fixture(dl, setup, teardown);
	tcase_set_timeout(dl, 60);
	tcase_add_test(dl, test_download_ok);
	tcase_add_test(dl, test_download_resume);
	tcase_add_test(dl, test_download_restart);
	tcase_add_test(dl, test_download_failures);
	suite_add_tcase(s, dl);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(comms_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
