/*
 * ui.h: the web UI's static files, embedded in the binary at build time
 * (ui/embed.py writes ui_assets.c from the files of ui/), served under /ui/
 * with a strict Content-Security-Policy. See docs/ui.md.
 */
#ifndef MP_SERVER_UI_H
#define MP_SERVER_UI_H

#include <stddef.h>

#include "http/http.h"

struct ui_asset {
	const char *name;          /* relative to ui/: "index.html", "js/app.js" */
	const unsigned char *data;
	size_t len;
};

extern const struct ui_asset ui_assets[];
extern const int ui_nassets;

/* The headers every /ui/ answer carries (also for tests and docs). */
#define UI_CSP "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; " \
	"form-action 'self'; frame-ancestors 'none'"

/* 1 when path is "/ui" or under "/ui/" (the UI answers it), else 0. */
int ui_owns(const char *path);
/*
 * Answers a request for a path ui_owns: GET/HEAD of a known file (index.html
 * for "/ui/"), 301 from "/ui" to "/ui/", 405 for other methods, 404 for
 * anything else. Nothing is read from the file system.
 */
void ui_serve(const struct http_request *req, struct http_response *w);
/* The content type for a file name by its extension (NULL: unknown). */
const char *ui_content_type(const char *name);

#endif
