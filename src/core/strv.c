/*
 * strv.c: growable NULL-terminated string vectors (see strv.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/strv.h"

static int take(struct strv *s, char *str)
{
	if (str == NULL)
		return MP_ENOMEM;
	if (s->n + 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char **v = realloc(s->v, cap * sizeof(*v));
		if (v == NULL) {
			free(str);
			return MP_ENOMEM;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
	return MP_OK;
}

int strv_push(struct strv *s, const char *str)
{
	return take(s, strdup(str));
}

int strv_pushf(struct strv *s, const char *fmt, ...)
{
	va_list ap;
	char *str = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&str, fmt, ap);
	va_end(ap);
	return take(s, n < 0 ? NULL : str);
}

int strv_pushv(struct strv *s, const char *const *list)
{
	for (; list && *list; list++)
		if (strv_push(s, *list) != MP_OK)
			return MP_ENOMEM;
	return MP_OK;
}

void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int plain(const char *w)
{
	if (*w == '\0')
		return 0;
	for (; *w; w++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-",
			    *w))
			return 0;
	return 1;
}

char *strv_join_shell(const struct strv *s)
{
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < s->n; i++) {
		const char *w = s->v[i];
		if (i)
			buf_addch(&b, ' ');
		if (plain(w)) {
			buf_adds(&b, w);
			continue;
		}
		buf_addch(&b, '\'');
		for (; *w; w++)
			if (*w == '\'')
				buf_adds(&b, "'\\''");
			else
				buf_addch(&b, *w);
		buf_addch(&b, '\'');
	}
	return buf_detach(&b, NULL);
}
