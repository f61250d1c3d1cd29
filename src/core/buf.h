/*
 * buf.h: the growable byte buffer used for every string the project builds.
 *
 * Invariants: data is never NULL and always NUL-terminated; len excludes the
 * NUL. Every buffer has a size cap (max, in bytes excluding the NUL): an
 * append that would pass it fails with MP_ETOOBIG and leaves the buffer as it
 * was. There is no silent truncation.
 *
 * Lifecycle: buf_init (no allocation) -> appends -> buf_release (frees) or
 * buf_detach (the caller owns the malloc'd string and must free() it).
 */
#ifndef MP_BUF_H
#define MP_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;  /* allocated bytes; 0 while data points at the shared "" */
	size_t max;
};

#define BUF_MAX_DEFAULT ((size_t)64 << 20)

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);           /* len = 0, keeps memory */
char *buf_detach(struct buf *b, size_t *len); /* caller frees; never NULL */
int buf_grow(struct buf *b, size_t extra);
int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addch(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Wipes the contents (for secrets) before releasing. */
void buf_wipe(struct buf *b);

#endif
