/*
 * dispatch.h: the server's request entry point, called by http.c for every
 * complete request: route match (404/405), the worker thread's store,
 * authentication (401), content type and JSON body (415/400), the write
 * transaction, the handler, and the headers every answer carries.
 */
#ifndef MP_SERVER_DISPATCH_H
#define MP_SERVER_DISPATCH_H

#include "server/server.h"

void dispatch(void *app, struct http_request *req, struct http_response *w);
/* Creates the thread-store key; call once before serving. */
int dispatch_init(struct server *srv);
/* Matches path against pattern, filling ids; 1 on match. (For tests.) */
int route_match(const char *pattern, const char *path, int64_t ids[2]);

#endif
