/* dispatch.c: from an assembled HTTP request to a handler's answer (see dispatch.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/auth.h"
#include "server/dispatch.h"

static void close_store(void *p)
{
	store_close(p);
}

int dispatch_init(struct server *srv)
{
	return pthread_key_create(&srv->store_key, close_store) == 0 ? 0 : MP_ENOMEM;
}

static struct store *thread_store(struct server *srv)
{
	struct store *st = pthread_getspecific(srv->store_key);
	mp_errbuf e;

	if (st)
		return st;
	if (store_open(&srv->sopts, &st, &e) != 0) {
		fprintf(stderr, "medperf-server: %s\n", e.msg);
		return NULL;
	}
	pthread_setspecific(srv->store_key, st);
	return st;
}

int route_match(const char *pattern, const char *path, int64_t ids[2])
{
	const char *p = pattern, *s = path;
	int nid = 0;

	while (*p) {
		if (p[0] == '{') {
			char *end;
			long long v;
			if (*s < '1' || *s > '9' || nid >= 2)
				return 0;
			errno = 0;
			v = strtoll(s, &end, 10);
			if (errno || end - s > 18)
				return 0;
			ids[nid++] = v;
			s = end;
			p = strchr(p, '}') + 1;
			continue;
		}
		if (*p != *s) {
			/* the same path without its trailing slash matches too */
			return p[0] == '/' && p[1] == '\0' && *s == '\0';
		}
		p++;
		s++;
	}
	/* "/version" also answers "/version/" */
	return *s == '\0' || (s[0] == '/' && s[1] == '\0' && p[-1] != '/');
}

/* The methods of every route whose pattern is the one matched, as an Allow header. */
static const char *allow_header(struct api *a, const char *pattern)
{
	struct buf b;
	int get = 0;
	char *s;

	buf_init(&b, 256);
	for (int i = 0; i < nroutes; i++) {
		if (strcmp(routes[i].pattern, pattern) != 0)
			continue;
		buf_addf(&b, "%s%s", b.len ? ", " : "", routes[i].method);
		get |= strcmp(routes[i].method, "GET") == 0;
	}
	buf_addf(&b, "%sOPTIONS", get ? ", HEAD, " : ", ");
	s = arena_strdup(a->arena, b.data);
	buf_release(&b);
	return s;
}

static void common_headers(struct api *a, const char *allow)
{
	http_set_header(a->w, "Vary", "Accept, Origin");
	if (allow)
		http_set_header(a->w, "Allow", allow);
	http_set_header(a->w, "X-Frame-Options", "DENY");
	http_set_header(a->w, "X-Content-Type-Options", "nosniff");
	http_set_header(a->w, "Referrer-Policy", "same-origin");
}

/* ---------------------------------------------------------------------
 * Body errors in the original's words. DRF decodes the body with a codecs
 * StreamReader (UTF-8, not final: an incomplete sequence at the very end is
 * dropped) and parses it with Python's json module; its messages are
 * reproduced here. Positions count characters, as Python's do.
 * ------------------------------------------------------------------- */

#define PY_CONT(c) (((unsigned char)(c) & 0xc0) == 0x80)

/*
 * CPython's UTF-8 decoder. Returns 0 and the decodable length in *usable, or
 * -1 with UnicodeDecodeError's text in msg.
 */
static int py_utf8(const char *s, size_t n, size_t *usable, char *msg, size_t cap)
{
	size_t i = 0, bad = 0;
	const char *why = NULL;

	while (i < n) {
		unsigned c = (unsigned char)s[i];
		size_t need, left = n - i;
		unsigned c2;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c < 0xc2 || c > 0xf4) {
			why = "invalid start byte";
			bad = 1;
			break;
		}
		need = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		if (left >= 2) {
			c2 = (unsigned char)s[i + 1];
			if (!PY_CONT(c2) || (c == 0xe0 && c2 < 0xa0) || (c == 0xed && c2 >= 0xa0) ||
			    (c == 0xf0 && c2 < 0x90) || (c == 0xf4 && c2 >= 0x90)) {
				/* a truncated surrogate at the very end waits for more data */
				if (c == 0xed && left == 2 && PY_CONT(c2))
					break;
				why = "invalid continuation byte";
				bad = 1;
				break;
			}
		}
		if (need >= 3 && left >= 3 && !PY_CONT(s[i + 2])) {
			why = "invalid continuation byte";
			bad = 2;
			break;
		}
		if (need == 4 && left >= 4 && !PY_CONT(s[i + 3])) {
			why = "invalid continuation byte";
			bad = 3;
			break;
		}
		if (left < need)
			break; /* incomplete at the end: not an error, not decoded */
		i += need;
	}
	*usable = i;
	if (why == NULL)
		return 0;
	if (bad == 1)
		snprintf(msg, cap, "'utf-8' codec can't decode byte 0x%02x in position %zu: %s",
			 (unsigned char)s[i], i, why);
	else
		snprintf(msg, cap, "'utf-8' codec can't decode bytes in position %zu-%zu: %s", i,
			 i + bad - 1, why);
	return -1;
}

struct pyscan {
	const char *s;
	size_t n;
	size_t pos;       /* byte offset of the error */
	const char *msg;  /* NULL: no error found */
	const char *constant;
	int depth;
};

static int py_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t py_skip(const struct pyscan *p, size_t i)
{
	while (i < p->n && py_ws(p->s[i]))
		i++;
	return i;
}

static int py_fail(struct pyscan *p, const char *msg, size_t pos)
{
	p->msg = msg;
	p->pos = pos;
	return -1;
}

static int py_hex4(const struct pyscan *p, size_t i, unsigned *out)
{
	unsigned v = 0;

	for (size_t k = 0; k < 4; k++) {
		char c = p->s[i + k];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* scanstring_unicode: i is just past the opening quote; *end past the closing one. */
static int py_string(struct pyscan *p, size_t i, size_t *end)
{
	size_t begin = i - 1;

	for (;;) {
		char c = 0;
		while (i < p->n) {
			c = p->s[i];
			if (c == '"' || c == '\\')
				break;
			if ((unsigned char)c <= 0x1f)
				return py_fail(p, "Invalid control character at", i);
			i++;
		}
		if (i >= p->n)
			return py_fail(p, "Unterminated string starting at", begin);
		if (c == '"') {
			*end = i + 1;
			return 0;
		}
		i++; /* past the backslash */
		if (i >= p->n)
			return py_fail(p, "Unterminated string starting at", begin);
		c = p->s[i];
		if (c != 'u') {
			if (!strchr("\"\\/bfnrt", c) || c == '\0')
				return py_fail(p, "Invalid \\escape", i - 1);
			i++;
			continue;
		}
		{
			size_t e = i + 5; /* past the 4 digits */
			unsigned v, v2;
			if (e >= p->n)
				return py_fail(p, "Invalid \\uXXXX escape", i);
			if (py_hex4(p, i + 1, &v))
				return py_fail(p, "Invalid \\uXXXX escape", i);
			i = e;
			if (v >= 0xd800 && v <= 0xdbff && e + 6 < p->n && p->s[e] == '\\' &&
			    p->s[e + 1] == 'u') {
				if (py_hex4(p, e + 2, &v2))
					return py_fail(p, "Invalid \\uXXXX escape", e + 1);
				if (v2 >= 0xdc00 && v2 <= 0xdfff)
					i = e + 6;
			}
		}
	}
}

static int py_value(struct pyscan *p, size_t i, size_t *end);

static int py_number(struct pyscan *p, size_t i, size_t *end)
{
	size_t start = i, n = p->n;

	if (p->s[i] == '-') {
		i++;
		if (i >= n)
			return py_fail(p, "Expecting value", start);
	}
	if (p->s[i] >= '1' && p->s[i] <= '9') {
		i++;
		while (i < n && p->s[i] >= '0' && p->s[i] <= '9')
			i++;
	} else if (p->s[i] == '0') {
		i++;
	} else {
		return py_fail(p, "Expecting value", start);
	}
	if (i + 1 < n && p->s[i] == '.' && p->s[i + 1] >= '0' && p->s[i + 1] <= '9') {
		i += 2;
		while (i < n && p->s[i] >= '0' && p->s[i] <= '9')
			i++;
	}
	if (i + 1 < n && (p->s[i] == 'e' || p->s[i] == 'E')) {
		size_t e = i++;
		if (i + 1 < n && (p->s[i] == '-' || p->s[i] == '+'))
			i++;
		while (i < n && p->s[i] >= '0' && p->s[i] <= '9')
			i++;
		if (!(p->s[i - 1] >= '0' && p->s[i - 1] <= '9'))
			i = e;
	}
	*end = i;
	return 0;
}

static int py_word(const struct pyscan *p, size_t i, const char *w)
{
	size_t k = strlen(w);

	return i + k <= p->n && memcmp(p->s + i, w, k) == 0;
}

static int py_container(struct pyscan *p, size_t i, size_t *end, int object)
{
	char close = object ? '}' : ']';

	if (++p->depth > 1000) /* Python: RecursionError; answered as a parse error */
		return py_fail(p, "maximum recursion depth exceeded", i);
	i = py_skip(p, i);
	if (i < p->n && p->s[i] == close) {
		p->depth--;
		*end = i + 1;
		return 0;
	}
	for (;;) {
		if (object) {
			if (i >= p->n || p->s[i] != '"')
				return py_fail(p, "Expecting property name enclosed in double quotes", i);
			if (py_string(p, i + 1, &i))
				return -1;
			i = py_skip(p, i);
			if (i >= p->n || p->s[i] != ':')
				return py_fail(p, "Expecting ':' delimiter", i);
			i = py_skip(p, i + 1);
		}
		if (py_value(p, i, &i))
			return -1;
		i = py_skip(p, i);
		if (i < p->n && p->s[i] == close)
			break;
		if (i >= p->n || p->s[i] != ',')
			return py_fail(p, "Expecting ',' delimiter", i);
		i = py_skip(p, i + 1);
	}
	p->depth--;
	*end = i + 1;
	return 0;
}

/* scan_once_unicode */
static int py_value(struct pyscan *p, size_t i, size_t *end)
{
	static const char *const constants[] = {"NaN", "Infinity", "-Infinity"};

	if (i >= p->n)
		return py_fail(p, "Expecting value", i);
	switch (p->s[i]) {
	case '"':
		return py_string(p, i + 1, end);
	case '{':
		return py_container(p, i + 1, end, 1);
	case '[':
		return py_container(p, i + 1, end, 0);
	}
	if (py_word(p, i, "null") || py_word(p, i, "true")) {
		*end = i + 4;
		return 0;
	}
	if (py_word(p, i, "false")) {
		*end = i + 5;
		return 0;
	}
	for (int k = 0; k < 3; k++) {
		if (py_word(p, i, constants[k])) {
			/* DRF's strict_constant */
			p->constant = constants[k];
			return py_fail(p, "Out of range float values are not JSON compliant", i);
		}
	}
	return py_number(p, i, end);
}

/* Python's message for the first error in s (JSONDecodeError or ValueError); 0 if none. */
static int py_json_error(const char *s, size_t n, char *msg, size_t cap)
{
	struct pyscan p = {s, n, 0, NULL, NULL, 0};
	size_t end, line = 1, col, chars = 0, line_start = 0;

	if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		py_fail(&p, "Unexpected UTF-8 BOM (decode using utf-8-sig)", 0);
	} else if (py_value(&p, py_skip(&p, 0), &end) == 0) {
		end = py_skip(&p, end);
		if (end != n)
			py_fail(&p, "Extra data", end);
	}
	if (p.msg == NULL)
		return 0;
	if (p.constant) {
		snprintf(msg, cap, "%s: '%s'", p.msg, p.constant);
		return 1;
	}
	for (size_t k = 0; k < p.pos; k++) {
		if (((unsigned char)s[k] & 0xc0) == 0x80)
			continue;
		/* 4-byte sequences are one character (Python strings are code points) */
		chars++;
		if (s[k] == '\n') {
			line++;
			line_start = chars;
		}
	}
	col = chars - line_start + 1;
	snprintf(msg, cap, "%s: line %zu column %zu (char %zu)", p.msg, line, col, chars);
	return 1;
}

/* Parses the JSON body into a->body. Returns 0, or -1 after answering. */
static int read_body(struct api *a)
{
	const char *ct = http_header(a->req, "Content-Type");
	json_error_t jerr;
	char msg[300];
	size_t n;

	if (a->req->body_len == 0 || ct == NULL) {
		/* as DRF: no body (or no media type) reads as an empty object */
		a->body = arena_keep(a->arena, json_object());
		return 0;
	}
	n = strcspn(ct, ";");
	while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	if (n != strlen("application/json") || strncasecmp(ct, "application/json", n) != 0) {
		char detail[300];
		snprintf(detail, sizeof(detail), "Unsupported media type \"%.200s\" in request.", ct);
		api_detail(a, 415, detail);
		return -1;
	}
	a->body = NULL;
	if (py_utf8(a->req->body, a->req->body_len, &n, msg, sizeof(msg)) == 0) {
		a->body = json_loadb(a->req->body, n, JSON_DECODE_ANY, &jerr);
		if (a->body == NULL && !py_json_error(a->req->body, n, msg, sizeof(msg)))
			/* valid for Python, not for jansson (say, a huge integer) */
			snprintf(msg, sizeof(msg), "%.200s: line %d column %d (char %d)",
				 jerr.text, jerr.line, jerr.column, jerr.position);
	}
	if (a->body == NULL) {
		char detail[400];
		snprintf(detail, sizeof(detail), "JSON parse error - %s", msg);
		api_detail(a, 400, detail);
		return -1;
	}
	arena_keep(a->arena, a->body);
	return 0;
}

/*
 * Routes whose permission classes read the request body (facts §1.1): the
 * body is parsed in the permission phase, so for an anonymous caller a
 * malformed body (400) or a wrong media type (415) comes before the 401.
 */
static const char *const body_first[][2] = {
	{"PUT", "/api/v0/benchmarks/{id}/"},
	{"PUT", "/api/v0/models/{id}/benchmarks/{id}/"},
	{"POST", "/api/v0/datasets/benchmarks/"},
	{"POST", "/api/v0/models/benchmarks/"},
	{"POST", "/api/v0/results/"},
};

static int reads_body_first(const struct route *rt)
{
	for (size_t i = 0; i < sizeof(body_first) / sizeof(body_first[0]); i++)
		if (strcmp(rt->method, body_first[i][0]) == 0 &&
		    strcmp(rt->pattern, body_first[i][1]) == 0)
			return 1;
	return 0;
}

/*
 * Views whose permission classes are set on the class, not per method: for
 * any other method (and OPTIONS) they still apply, and only an admin passes
 * them without a body, so others get 403 where an admin gets 405 (facts §1.1).
 */
static int class_admin_only(const char *pattern)
{
	return strcmp(pattern, "/api/v0/datasets/benchmarks/") == 0 ||
	       strcmp(pattern, "/api/v0/models/benchmarks/") == 0;
}

static void options_reply(struct api *a, const struct route *rt)
{
	api_reply(a, 200, json_pack("{s:s,s:s,s:[s],s:[s]}", "name", rt->summary,
				    "description", "", "renders", "application/json",
				    "parses", "application/json"));
}

static void dispatch_route(struct api *a, const struct route *rt, const char *method);

void dispatch(void *app, struct http_request *req, struct http_response *w)
{
	struct server *srv = app;
	struct api a;
	const struct route *rt = NULL, *any = NULL;
	const char *method = req->method, *allow = NULL;
	struct http_request canon;
	int64_t ids[2] = {0, 0};
	size_t plen;
	int rc, public;

	memset(&a, 0, sizeof(a));
	a.srv = srv;
	a.req = req;
	a.w = w;
	a.arena = req->arena;
	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	for (int i = 0; i < nroutes; i++) {
		int64_t tmp[2] = {0, 0};
		if (!route_match(routes[i].pattern, req->path, tmp))
			continue;
		if (any == NULL)
			any = &routes[i];
		if (strcmp(routes[i].method, method) == 0 ||
		    (strcmp(method, "OPTIONS") == 0 && rt == NULL)) {
			rt = &routes[i];
			ids[0] = tmp[0];
			ids[1] = tmp[1];
			if (strcmp(method, "OPTIONS") != 0)
				break;
		}
	}
	if (any)
		allow = allow_header(&a, any->pattern);
	common_headers(&a, allow);
	if (any == NULL) {
		api_not_found(&a);
		return;
	}
	a.st = thread_store(srv);
	if (a.st == NULL) {
		api_detail(&a, 503, "The database is unavailable.");
		return;
	}
	/*
	 * As DRF: authentication and the permission check come before the
	 * method lookup, so an undefined method is 401 for an anonymous caller
	 * (or a bad token) and 405 only once that has passed.
	 */
	public = ((rt ? rt : any)->flags & RT_PUBLIC) != 0;
	rc = public ? 1 : auth_request(&a);
	if (rc < 0)
		return;
	if (rc > 0 && !public) {
		if (rt && (rt->flags & RT_BODY) && reads_body_first(rt) && read_body(&a))
			return;
		auth_challenge(&a);
		return;
	}
	if ((rt == NULL || strcmp(method, "OPTIONS") == 0) && !public && !a.user.is_admin &&
	    class_admin_only(any->pattern)) {
		api_forbidden(&a);
		return;
	}
	if (rt == NULL) {
		char detail[80];
		snprintf(detail, sizeof(detail), "Method \"%.20s\" not allowed.", req->method);
		api_detail(&a, 405, detail);
		return;
	}
	a.route = rt;
	a.id[0] = ids[0];
	a.id[1] = ids[1];
	/*
	 * A path matched without its trailing slash is served as the slashed one
	 * (the original redirects there), so pagination links name the canonical
	 * URL. The access log keeps the path as requested.
	 */
	plen = strlen(req->path);
	if (plen && req->path[plen - 1] != '/' && rt->pattern[strlen(rt->pattern) - 1] == '/') {
		char *slashed = arena_alloc(a.arena, plen + 2);
		if (slashed == NULL) {
			api_detail(&a, 500, "A server error occurred.");
			return;
		}
		memcpy(slashed, req->path, plen);
		slashed[plen] = '/';
		slashed[plen + 1] = '\0';
		canon = *req;
		canon.path = slashed;
		a.req = &canon;
	}
	dispatch_route(&a, rt, method);
	req->user_id = a.req->user_id;
}

/* Runs the matched route: options, body, transaction, handler. */
static void dispatch_route(struct api *a, const struct route *rt, const char *method)
{
	struct http_response *w = a->w;
	int rc;

	if (strcmp(method, "OPTIONS") == 0) {
		options_reply(a, rt);
		return;
	}
	if ((rt->flags & RT_BODY) && read_body(a))
		return;
	if (rt->flags & RT_WRITE) {
		rc = store_begin(a->st);
		if (rc) {
			api_store_error(a, rc);
			return;
		}
	}
	rt->fn(a);
	if (!a->answered)
		api_detail(a, 500, "A server error occurred.");
	if (rt->flags & RT_WRITE) {
		if (w->status < 400) {
			rc = store_commit(a->st);
			if (rc) {
				store_rollback(a->st);
				api_store_error(a, rc);
			}
		} else {
			store_rollback(a->st);
		}
	}
}
