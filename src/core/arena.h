/*
 * arena.h: per-request memory. Everything allocated from an arena, and every
 * jansson value handed to it with arena_keep(), is released at once by
 * arena_free() when the request ends, so handlers cannot leak.
 */
#ifndef MP_ARENA_H
#define MP_ARENA_H

#include <stddef.h>

#include <jansson.h>

struct arena;

struct arena *arena_new(void);
void arena_free(struct arena *a);
/* Zeroed memory, 16-byte aligned; NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* Takes ownership of one reference to v (may be NULL) and returns v. */
json_t *arena_keep(struct arena *a, json_t *v);

#endif
