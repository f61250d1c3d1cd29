/*
 * jsonerr.h: the message Python's json module gives for malformed JSON, so
 * that a 400 for a bad body reads as the original server's does:
 * "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)".
 * Used only after jansson has refused a document, to describe why.
 */
#ifndef MP_JSONERR_H
#define MP_JSONERR_H

#include <stddef.h>

/*
 * Scans text (len bytes) as Python's json.loads would. Returns 1 and writes
 * the message into msg when it finds an error, 0 when Python would accept it
 * (then the caller uses its own parser's message).
 */
int json_python_error(const char *text, size_t len, char *msg, size_t cap);

#endif
