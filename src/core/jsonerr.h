/*
 * jsonerr.h: the messages the original server (Python's json module behind
 * DRF) gives for a malformed request body, so that a 400 reads the same:
 * "JSON parse error - Expecting property name enclosed in double quotes:
 * line 1 column 2 (char 1)". Used only after jansson has refused a body.
 */
#ifndef MP_JSONERR_H
#define MP_JSONERR_H

#include <stddef.h>

/*
 * Python's UTF-8 decoding of a request body: returns 0 with the length that
 * decodes in *usable (an incomplete sequence at the very end is dropped), or
 * -1 with UnicodeDecodeError's text in msg.
 */
int json_utf8_prefix(const char *s, size_t n, size_t *usable, char *msg, size_t cap);
/*
 * Python's json.loads (strict constants) on s: returns 1 with the message
 * of its first error in msg, or 0 when Python accepts s.
 */
int json_python_error(const char *s, size_t n, char *msg, size_t cap);

#endif
