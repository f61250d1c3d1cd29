/* runner/native.c: (being written) */
#include "runner/runner.h"

static int unavailable(mp_errbuf *e)
{
	return mp_seterr(e, MP_ENOTFOUND, "the native backend is not written yet");
}

const struct runner_backend runner_native = {"native", unavailable, NULL, NULL};
