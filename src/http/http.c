/* http.c: libmicrohttpd glue: request assembly, responses, access log (see http.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "core/timeutil.h"
#include "http/http.h"

/*
 * Per-connection memory of libmicrohttpd (request line, headers, read
 * buffer). It is zeroed for every request, so it costs time: large enough
 * for an 8 KiB token and ordinary headers, no larger.
 */
#define HTTP_CONN_MEMORY ((size_t)20 * 1024)

struct http_server {
	struct MHD_Daemon *d;
	http_handler_fn handler;
	void *app;
	size_t max_body;
	int log_fd;
	int tls;
	atomic_int inflight;
	atomic_int stopping;
};

/* Per-request state kept by MHD between callbacks (its *con_cls). */
struct reqctx {
	struct http_request req;
	struct buf body;
	int too_big;
	int status;
	int64_t t0;
};

const char *http_header(const struct http_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_query(const struct http_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct each_ctx {
	int (*fn)(void *, const char *, const char *);
	void *cls;
};

static enum MHD_Result each_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	struct each_ctx *c = cls;

	(void)kind;
	return c->fn(c->cls, key, value ? value : "") ? MHD_NO : MHD_YES;
}

void http_query_each(const struct http_request *r,
		     int (*fn)(void *cls, const char *key, const char *value), void *cls)
{
	struct each_ctx c = {fn, cls};

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, each_arg, &c);
}

void http_set_header(struct http_response *w, const char *name, const char *value)
{
	if (w->nheaders < HTTP_MAX_HEADERS) {
		w->headers[w->nheaders].name = name;
		w->headers[w->nheaders].value = value;
		w->nheaders++;
	}
}

int http_addr_is_loopback(const char *addr)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, addr, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

static void reqctx_free(struct reqctx *rc)
{
	arena_free(rc->req.arena);
	buf_release(&rc->body);
	free(rc);
}

/* One line per request; a single write() so lines never interleave. */
static void access_log(struct http_server *s, struct reqctx *rc)
{
	char iso[TM_ISO_LEN], line[600], user[24] = "-";
	double ms = (double)(tm_mono_us() - rc->t0) / 1000.0;
	const char *path = rc->req.path ? rc->req.path : "?";
	int n;

	if (s->log_fd < 0)
		return;
	tm_iso(tm_now_us(), iso);
	if (rc->req.user_id > 0)
		snprintf(user, sizeof(user), "%lld", (long long)rc->req.user_id);
	n = snprintf(line, sizeof(line), "%s %s %.200s %d %.3fms user=%s\n", iso,
		     rc->req.method ? rc->req.method : "?", path, rc->status, ms, user);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	/* user-controlled path: no control characters reach the log */
	for (int i = 0; i < n - 1; i++)
		if ((unsigned char)line[i] < 0x20)
			line[i] = '?';
	if (write(s->log_fd, line, (size_t)n) < 0) {
		/* nothing sensible to do when the log cannot be written */
	}
}

static enum MHD_Result send_response(struct http_server *s, struct MHD_Connection *c,
				     struct reqctx *rc, struct http_response *w)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len;
	char *data = buf_detach(&w->body, &len);

	if (data == NULL)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				w->content_type ? w->content_type : "application/json");
	for (int i = 0; i < w->nheaders; i++)
		MHD_add_response_header(resp, w->headers[i].name, w->headers[i].value);
	if (atomic_load(&s->stopping))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	rc->status = w->status;
	ret = MHD_queue_response(c, (unsigned)w->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void simple_error(struct http_response *w, int status, const char *detail)
{
	w->status = status;
	buf_addf(&w->body, "{\"detail\":\"%s\"}", detail);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct http_server *s = cls;
	struct reqctx *rc = *con_cls;
	struct http_response w;
	const char *cl;
	enum MHD_Result ret;

	(void)version;
	if (rc == NULL) {
		rc = calloc(1, sizeof(*rc));
		if (rc == NULL)
			return MHD_NO;
		rc->req.arena = arena_new();
		if (rc->req.arena == NULL) {
			free(rc);
			return MHD_NO;
		}
		rc->t0 = tm_mono_us();
		rc->status = 0;
		buf_init(&rc->body, s->max_body);
		rc->req.method = arena_strdup(rc->req.arena, method);
		rc->req.path = arena_strdup(rc->req.arena, url);
		rc->req.conn = c;
		rc->req.tls = s->tls;
		*con_cls = rc;
		atomic_fetch_add(&s->inflight, 1);
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						 MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl) {
			char *end;
			unsigned long long n;
			errno = 0;
			n = strtoull(cl, &end, 10);
			/*
			 * Too big: the body is read and dropped, and the 413 goes out
			 * once it has arrived. Answering at once would close the
			 * connection under a client still sending, which then sees a
			 * reset instead of the 413.
			 */
			if (errno || *end || n > s->max_body)
				rc->too_big = 1;
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!rc->too_big && buf_add(&rc->body, upload_data, *upload_data_size))
			rc->too_big = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (rc->status)
		return MHD_YES; /* already answered */
	memset(&w, 0, sizeof(w));
	buf_init(&w.body, BUF_MAX_DEFAULT);
	if (rc->too_big) {
		simple_error(&w, 413, "Request body is larger than the server accepts.");
	} else {
		rc->req.body = rc->body.data;
		rc->req.body_len = rc->body.len;
		w.status = 500;
		s->handler(s->app, &rc->req, &w);
	}
	ret = send_response(s, c, rc, &w);
	buf_release(&w.body);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct reqctx *rc = *con_cls;

	(void)c;
	if (rc == NULL)
		return;
	if (rc->status == 0 && toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		rc->status = 499; /* client went away before an answer */
	access_log(s, rc);
	reqctx_free(rc);
	*con_cls = NULL;
	atomic_fetch_sub(&s->inflight, 1);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The decoding of %HH in paths and query arguments, as libmicrohttpd's own
 * but for %00, which stays as written: a decoded NUL would end the string
 * early, so that "/ui/index.html%00.js" would be taken for "/ui/index.html".
 */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *w = s;
	const char *r = s;

	(void)cls;
	(void)c;
	while (*r) {
		int hi, lo;
		if (r[0] == '%' && (hi = hexval(r[1])) >= 0 && (lo = hexval(r[2])) >= 0 &&
		    (hi | lo) != 0) {
			*w++ = (char)(hi * 16 + lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	int n;

	(void)cls;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n > 0)
		fprintf(stderr, "medperf-server: http: %s%s", msg,
			msg[strlen(msg) - 1] == '\n' ? "" : "\n");
}

int http_start(const struct http_opts *o, struct http_server **out, mp_errbuf *e)
{
	struct http_server *s;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr *sa;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			 MHD_USE_ERROR_LOG;
	unsigned threads = o->threads > 0 ? (unsigned)o->threads : 1;

	*out = NULL;
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, o->addr, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons(o->port);
		sa = (struct sockaddr *)&sin;
	} else if (inet_pton(AF_INET6, o->addr, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(o->port);
		sa = (struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	} else {
		return mp_seterr(e, MP_EINVAL, "'%s' is not a numeric IPv4 or IPv6 address",
				 o->addr);
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return MP_ENOMEM;
	s->handler = o->handler;
	s->app = o->app;
	s->max_body = o->max_body;
	s->log_fd = o->access_log_fd;
	s->tls = o->tls_cert_pem != NULL;
	if (s->tls)
		flags |= MHD_USE_TLS;
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_SOCK_ADDR, sa,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_LIMIT, o->conn_limit ? o->conn_limit : 1024u,
		MHD_OPTION_CONNECTION_TIMEOUT, o->conn_timeout_s ? o->conn_timeout_s : 60u,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
		s->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, o->tls_cert_pem,
		MHD_OPTION_HTTPS_MEM_KEY, o->tls_key_pem,
		MHD_OPTION_HTTPS_PRIORITIES, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
		MHD_OPTION_END);
	if (s->d == NULL) {
		free(s);
		return mp_seterr(e, MP_EIO, "cannot listen on %s port %u (address in use, or "
				 "bad TLS key/certificate)", o->addr, (unsigned)o->port);
	}
	*out = s;
	return MP_OK;
}

uint16_t http_port(const struct http_server *s)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);

	return i ? i->port : 0;
}

int http_inflight(const struct http_server *s)
{
	return atomic_load(&((struct http_server *)s)->inflight);
}

void http_stop(struct http_server *s, int grace_ms)
{
	struct timespec ts = {0, 10 * 1000 * 1000};
	int waited = 0, quiet = 0;
	MHD_socket lfd;

	if (s == NULL)
		return;
	atomic_store(&s->stopping, 1);
	/*
	 * The listening socket is ours once quiesced: closing it refuses new
	 * connections at once, where an open one would queue them in its backlog
	 * until the process exits and then reset them.
	 */
	lfd = MHD_quiesce_daemon(s->d);
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd);
	/*
	 * Wait until no request has been in flight for a short while, not just
	 * for one instant: a client on a keep-alive connection may have sent its
	 * next request already. It is answered (with "Connection: close") instead
	 * of being cut off when the daemon stops.
	 */
	while (waited < grace_ms) {
		if (atomic_load(&s->inflight) > 0)
			quiet = 0;
		else if (quiet >= 100)
			break;
		nanosleep(&ts, NULL);
		waited += 10;
		quiet += 10;
	}
	MHD_stop_daemon(s->d);
	free(s);
}
