/* arena.c: chunked bump allocator with a list of jansson values (see arena.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"

#define ARENA_CHUNK 8192

struct chunk {
	struct chunk *next;
	size_t used, size;
	_Alignas(16) unsigned char mem[];
};

struct arena {
	struct chunk *head;
	json_t **kept;
	size_t nkept, capkept;
};

struct arena *arena_new(void)
{
	return calloc(1, sizeof(struct arena));
}

void arena_free(struct arena *a)
{
	struct chunk *c, *n;

	if (a == NULL)
		return;
	for (size_t i = 0; i < a->nkept; i++)
		json_decref(a->kept[i]);
	free(a->kept);
	for (c = a->head; c; c = n) {
		n = c->next;
		free(c);
	}
	free(a);
}

void *arena_alloc(struct arena *a, size_t n)
{
	struct chunk *c = a->head;
	size_t need = (n + 15) & ~(size_t)15;
	void *p;

	if (n > SIZE_MAX - sizeof(*c) - 15)
		return NULL; /* rounding up or adding the chunk header would wrap */
	if (n == 0 || need < n)
		need = 16;
	if (c == NULL || c->size - c->used < need) {
		size_t sz = need > ARENA_CHUNK ? need : ARENA_CHUNK;
		c = malloc(sizeof(*c) + sz);
		if (c == NULL)
			return NULL;
		c->used = 0;
		c->size = sz;
		c->next = a->head;
		a->head = c;
	}
	p = c->mem + c->used;
	c->used += need;
	memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

json_t *arena_keep(struct arena *a, json_t *v)
{
	if (v == NULL)
		return NULL;
	if (a->nkept == a->capkept) {
		size_t nc = a->capkept ? a->capkept * 2 : 16;
		json_t **k = realloc(a->kept, nc * sizeof(*k));
		if (k == NULL) {
			/* cannot track it: drop it now rather than leak; caller sees NULL */
			json_decref(v);
			return NULL;
		}
		a->kept = k;
		a->capkept = nc;
	}
	a->kept[a->nkept++] = v;
	return v;
}
