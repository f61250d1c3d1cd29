/*
 * strv.h: a growable, NULL-terminated vector of malloc'd strings: argv and
 * environment lists built piece by piece (command lines of the runners).
 *
 * Invariant: v[n] == NULL whenever v != NULL. After a failed push the vector
 * is unchanged. strv_free releases every string and the array.
 */
#ifndef MP_STRV_H
#define MP_STRV_H

#include <stddef.h>

struct strv {
	char **v;
	size_t n, cap;
};

#define STRV_INIT {NULL, 0, 0}

int strv_push(struct strv *s, const char *str);
int strv_pushf(struct strv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Pushes every string of a NULL-terminated list (NULL list: nothing). */
int strv_pushv(struct strv *s, const char *const *list);
void strv_free(struct strv *s);
/* One line for messages and tests: words joined by spaces, quoted with ''
 * when they hold anything but [A-Za-z0-9_@%+=:,./-]. Caller frees. */
char *strv_join_shell(const struct strv *s);

#endif
