/*
 * err.h: the project's one error enum, its strerror, and the caller-owned
 * message buffer that carries detail (which file, which field, which byte).
 *
 * Functions return int: MP_OK (0) on success or a negative mp_err. They
 * never overwrite a lower layer's code; they add detail to the errbuf only
 * when they are the first to see the failure.
 */
#ifndef MP_ERR_H
#define MP_ERR_H

#include <stddef.h>

/* Append-only: values are part of logs and tests. */
enum mp_err {
	MP_OK = 0,
	MP_ENOMEM = -1,     /* allocation failed */
	MP_EINVAL = -2,     /* malformed input (detail says what) */
	MP_ETOOBIG = -3,    /* input or output over its size cap */
	MP_EIO = -4,        /* read/write/open failed (detail has the path) */
	MP_ENOTFOUND = -5,  /* no such object */
	MP_EEXISTS = -6,    /* object already exists / unique violation */
	MP_ECRYPTO = -7,    /* a cryptographic operation failed */
	MP_EDB = -8,        /* the database reported an error */
	MP_EAUTH = -9,      /* credentials missing, invalid or expired */
	MP_EBUSY = -10,     /* database locked beyond the busy timeout */
	MP_ECONSTRAINT = -11, /* a database constraint refused the write */
	MP_ERR_MIN = -11
};

const char *mp_strerror(int err);

/* Detail for an error, owned by the caller. Always NUL-terminated. */
typedef struct mp_errbuf {
	char msg[256];
} mp_errbuf;

/* Formats detail into e (if e is not NULL) and returns err. */
int mp_seterr(mp_errbuf *e, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
