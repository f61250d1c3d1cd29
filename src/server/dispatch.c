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

/* Parses the JSON body into a->body. Returns 0, or -1 after answering. */
static int read_body(struct api *a)
{
	const char *ct = http_header(a->req, "Content-Type");
	json_error_t jerr;
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
	a->body = json_loadb(a->req->body, a->req->body_len, JSON_DECODE_ANY, &jerr);
	if (a->body == NULL) {
		char detail[300];
		snprintf(detail, sizeof(detail), "JSON parse error - %.200s: line %d column %d "
			 "(char %d)", jerr.text, jerr.line, jerr.column, jerr.position);
		api_detail(a, 400, detail);
		return -1;
	}
	arena_keep(a->arena, a->body);
	return 0;
}

static void options_reply(struct api *a, const struct route *rt)
{
	api_reply(a, 200, json_pack("{s:s,s:s,s:[s],s:[s]}", "name", rt->summary,
				    "description", "", "renders", "application/json",
				    "parses", "application/json"));
}

void dispatch(void *app, struct http_request *req, struct http_response *w)
{
	struct server *srv = app;
	struct api a;
	const struct route *rt = NULL, *any = NULL;
	const char *method = req->method, *allow = NULL;
	int64_t ids[2] = {0, 0};
	int rc;

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
	if (rt == NULL) {
		char detail[80];
		snprintf(detail, sizeof(detail), "Method \"%.20s\" not allowed.", req->method);
		api_detail(&a, 405, detail);
		return;
	}
	a.route = rt;
	a.id[0] = ids[0];
	a.id[1] = ids[1];
	a.st = thread_store(srv);
	if (a.st == NULL) {
		api_detail(&a, 503, "The database is unavailable.");
		return;
	}
	rc = (rt->flags & RT_PUBLIC) ? 1 : auth_request(&a);
	if (rc < 0)
		return;
	if (rc > 0 && !(rt->flags & RT_PUBLIC)) {
		auth_challenge(&a);
		return;
	}
	if (strcmp(method, "OPTIONS") == 0) {
		options_reply(&a, rt);
		return;
	}
	if ((rt->flags & RT_BODY) && read_body(&a))
		return;
	if (rt->flags & RT_WRITE) {
		rc = store_begin(a.st);
		if (rc) {
			api_store_error(&a, rc);
			return;
		}
	}
	rt->fn(&a);
	if (!a.answered)
		api_detail(&a, 500, "A server error occurred.");
	if (rt->flags & RT_WRITE) {
		if (w->status < 400) {
			rc = store_commit(a.st);
			if (rc) {
				store_rollback(a.st);
				api_store_error(&a, rc);
			}
		} else {
			store_rollback(a.st);
		}
	}
}
