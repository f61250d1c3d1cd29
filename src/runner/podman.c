/* runner/podman.c: (being written) */
#include "runner/runner.h"

static int unavailable(mp_errbuf *e)
{
	return mp_seterr(e, MP_ENOTFOUND, "the podman backend is not written yet");
}

const struct runner_backend runner_podman = {"podman", unavailable, NULL, NULL};
