/* err.c: strings for enum mp_err and the errbuf helper. */
#include <stdarg.h>
#include <stdio.h>

#include "core/err.h"

static const char *const err_names[] = {
	[0] = "success",
	[1] = "out of memory",
	[2] = "invalid input",
	[3] = "too large",
	[4] = "input/output error",
	[5] = "not found",
	[6] = "already exists",
	[7] = "cryptographic failure",
	[8] = "database error",
	[9] = "authentication failed",
	[10] = "database busy",
	[11] = "constraint violation",
};

const char *mp_strerror(int err)
{
	if (err > 0 || err < MP_ERR_MIN)
		return "unknown error";
	return err_names[-err];
}

int mp_seterr(mp_errbuf *e, int err, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return err;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return err;
}
