/*
 * jsonw.h: writes jansson values as compact JSON text, byte for byte the way
 * the original server (Python's json with DRF's compact renderer) writes it:
 * no spaces, UTF-8 left as is, floats in Python's shortest repr (0.61, 1e-05,
 * 1.0), U+2028/U+2029 escaped. We do not use json_dumps because jansson prints
 * 0.61 as 0.60999999999999999.
 */
#ifndef MP_JSONW_H
#define MP_JSONW_H

#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"

int jsonw_value(struct buf *b, const json_t *v);
int jsonw_string(struct buf *b, const char *s, size_t len);
int jsonw_int(struct buf *b, int64_t v);
/* Python repr of a finite double, e.g. 0.1 -> "0.1", 1e16 -> "1e+16". */
int jsonw_double(struct buf *b, double d);
/* Dumps v into a new malloc'd string (caller frees); NULL on failure. */
char *jsonw_dumps(const json_t *v);

#endif
