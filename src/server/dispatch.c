/* dispatch.c: from an assembled HTTP request to a handler's answer (see dispatch.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/jsonerr.h"
#include "server/auth.h"
#include "server/dispatch.h"
#include "server/ui.h"

static void close_store(void *p)
{
	store_close(p);
}

int dispatch_init(struct server *srv)
{
	if (pthread_mutex_init(&srv->write_lock, NULL) != 0)
		return MP_ENOMEM;
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
	if (json_utf8_prefix(a->req->body, a->req->body_len, &n, msg, sizeof(msg)) == 0) {
		a->body = json_loadb(a->req->body, n, JSON_DECODE_ANY, &jerr);
		if (a->body == NULL && !json_python_error(a->req->body, n, msg, sizeof(msg)))
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

	/* the web UI's static files: no store, no authentication (ui.c) */
	if (ui_owns(req->path)) {
		ui_serve(req, w);
		return;
	}
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
	/* reads share one transaction: one snapshot and one lock for auth and handler */
	if (!(rt && (rt->flags & RT_WRITE)) && store_begin_read(a.st)) {
		api_detail(&a, 503, "The database is busy; please retry.");
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
		goto out;
	if (rc > 0 && !public) {
		if (rt && (rt->flags & RT_BODY) && reads_body_first(rt) && read_body(&a))
			goto out;
		auth_challenge(&a);
		goto out;
	}
	if ((rt == NULL || strcmp(method, "OPTIONS") == 0) && !public && !a.user.is_admin &&
	    class_admin_only(any->pattern)) {
		api_forbidden(&a);
		goto out;
	}
	if (rt == NULL) {
		char detail[80];
		snprintf(detail, sizeof(detail), "Method \"%.20s\" not allowed.", req->method);
		api_detail(&a, 405, detail);
		goto out;
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
			goto out;
		}
		memcpy(slashed, req->path, plen);
		slashed[plen] = '/';
		slashed[plen + 1] = '\0';
		canon = *req;
		canon.path = slashed;
		a.req = &canon;
	}
	dispatch_route(&a, rt, method);
out:
	if (store_in_transaction(a.st) && !(a.route && (a.route->flags & RT_WRITE)))
		store_commit(a.st);
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
		pthread_mutex_lock(&a->srv->write_lock);
		rc = store_begin(a->st);
		if (rc) {
			pthread_mutex_unlock(&a->srv->write_lock);
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
		pthread_mutex_unlock(&a->srv->write_lock);
	}
}
