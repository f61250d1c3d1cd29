/*
 * ui.c: serves the embedded web UI under /ui/ (see ui.h): an exact lookup in
 * the table ui/embed.py generated, so no path can reach the file system;
 * security headers on every answer, the API's own headers left untouched.
 */
#include <string.h>

#include "server/ui.h"

int ui_owns(const char *path)
{
	return strcmp(path, "/ui") == 0 || strncmp(path, "/ui/", 4) == 0;
}

const char *ui_content_type(const char *name)
{
	static const char *const types[][2] = {
		{".html", "text/html; charset=utf-8"},
		{".css", "text/css; charset=utf-8"},
		{".js", "text/javascript; charset=utf-8"},
		{".svg", "image/svg+xml"},
		{".json", "application/json"},
		{".ico", "image/x-icon"},
		{".png", "image/png"},
		{".txt", "text/plain; charset=utf-8"},
	};
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t e = strlen(types[i][0]);
		if (n > e && strcmp(name + n - e, types[i][0]) == 0)
			return types[i][1];
	}
	return NULL;
}

/* A name as embed.py accepts them: [A-Za-z0-9._-] segments, none empty or starting with '.'. */
static int name_ok(const char *s)
{
	int seg_start = 1;

	if (*s == '\0')
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '/') {
			if (seg_start)
				return 0;
			seg_start = 1;
			continue;
		}
		if (seg_start && c == '.')
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
		seg_start = 0;
	}
	return !seg_start;
}

static const struct ui_asset *find_asset(const char *name)
{
	if (!name_ok(name))
		return NULL;
	for (int i = 0; i < ui_nassets; i++)
		if (strcmp(ui_assets[i].name, name) == 0)
			return &ui_assets[i];
	return NULL;
}

static void security_headers(struct http_response *w)
{
	http_set_header(w, "Content-Security-Policy", UI_CSP);
	http_set_header(w, "X-Content-Type-Options", "nosniff");
	http_set_header(w, "X-Frame-Options", "DENY");
	http_set_header(w, "Referrer-Policy", "no-referrer");
	http_set_header(w, "Cross-Origin-Opener-Policy", "same-origin");
	http_set_header(w, "Cache-Control", "no-cache");
}

static void text_answer(struct http_response *w, int status, const char *text)
{
	w->status = status;
	w->content_type = "text/plain; charset=utf-8";
	buf_reset(&w->body);
	buf_adds(&w->body, text);
}

void ui_serve(const struct http_request *req, struct http_response *w)
{
	const struct ui_asset *f;
	const char *name;

	security_headers(w);
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		http_set_header(w, "Allow", "GET, HEAD");
		text_answer(w, 405, "Method not allowed.\n");
		return;
	}
	if (strcmp(req->path, "/ui") == 0) {
		http_set_header(w, "Location", "/ui/");
		text_answer(w, 301, "Moved to /ui/.\n");
		return;
	}
	name = req->path + 4;
	f = find_asset(*name ? name : "index.html");
	if (f == NULL) {
		text_answer(w, 404, "Not found.\n");
		return;
	}
	w->status = 200;
	w->content_type = ui_content_type(f->name);
	buf_reset(&w->body);
	if (buf_add(&w->body, f->data, f->len) != 0)
		text_answer(w, 500, "A server error occurred.\n");
}
