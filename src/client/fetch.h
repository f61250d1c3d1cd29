/*
 * fetch.h: resources named by MedPerf entities (a URL, "direct:URL", or a
 * local file path): fetched into the content-addressed cache
 * (storage/.hashed_files/<sha256>) with the hash checked as it streams, and
 * a progress bar on a terminal.
 */
#ifndef MP_CLIENT_FETCH_H
#define MP_CLIENT_FETCH_H

#include "client/cli.h"
#include "core/hash.h"

/*
 * Gets resource res (what names it in messages: "the image", "the
 * additional files"). When expected is not NULL the digest must match it
 * (else nothing is kept, and the message says both hashes: EXIT_INTEGRITY).
 * hash receives the digest; *path (malloc'd, may be NULL) the local file to
 * use: the given file for a local path, the cached copy for a download.
 * Returns an exit status.
 */
int fetch_resource(struct ctx *c, const char *what, const char *res, const char *expected,
		   char hash[HASH_HEX], char **path);
/* 1 when res names a download rather than a local file. */
int fetch_is_remote(const char *res);

#endif
