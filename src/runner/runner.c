/*
 * runner.c: the table of backends and the names of how tasks end.
 */
#include <string.h>

#include "runner/runner.h"

static const struct {
	const char *name;
	const struct runner_backend *backend;
} backends[] = {
	{"native", &runner_native},
	{"podman", &runner_podman},
	{"docker", &runner_docker},
	{"singularity", &runner_singularity},
	{"apptainer", &runner_singularity},
};

const struct runner_backend *runner_find(const char *name)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(name, backends[i].name) == 0)
			return backends[i].backend;
	return NULL;
}

const char *run_stop_name(enum run_stop s)
{
	static const char *const names[] = {
		[RUN_EXITED] = "exited",
		[RUN_TIMEOUT] = "timeout",
		[RUN_CPU] = "cpu",
		[RUN_FILE_SIZE] = "file size",
		[RUN_MEMORY] = "memory",
		[RUN_SIGNAL] = "signal",
		[RUN_INTERRUPTED] = "interrupted",
		[RUN_NOT_STARTED] = "not started",
	};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}
