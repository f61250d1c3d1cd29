/*
 * timeutil.h: wall-clock time in microseconds and its ISO-8601 form.
 * The wire form is UTC with microseconds and a Z: 2025-01-01T10:00:00.123456Z.
 */
#ifndef MP_TIMEUTIL_H
#define MP_TIMEUTIL_H

#include <stdint.h>

#define TM_ISO_LEN 28 /* "YYYY-MM-DDTHH:MM:SS.ffffffZ" + NUL */

int64_t tm_now_us(void);   /* CLOCK_REALTIME, microseconds since the epoch */
int64_t tm_mono_us(void);  /* CLOCK_MONOTONIC, for durations */
/* Formats us as ISO-8601 UTC into out (TM_ISO_LEN bytes). */
void tm_iso(int64_t us, char out[TM_ISO_LEN]);
/* Parses the form tm_iso writes (fraction optional, Z or +00:00). 0 or MP_EINVAL. */
int tm_parse_iso(const char *s, int64_t *us);

#endif
