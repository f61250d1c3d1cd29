/*
 * auth.h: who is calling. Reads "Authorization: Bearer <JWT>", verifies the
 * token against the configured issuers (caching verified tokens per worker
 * thread by their SHA-256), and finds the user by "sub", creating it on
 * first sight with the email claim, as the original does.
 */
#ifndef MP_SERVER_AUTH_H
#define MP_SERVER_AUTH_H

#include "server/server.h"

/*
 * Fills a->user. Returns 0 when authenticated; 1 when no credentials were
 * given (anonymous); -1 after answering 401 (or 5xx on a store failure).
 */
int auth_request(struct api *a);

/* Answers 401 "Authentication credentials were not provided." */
void auth_challenge(struct api *a);

#endif
