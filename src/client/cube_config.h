/*
 * cube_config.h: checks a container_config.yaml (reference section 3.1,
 * 3.2) before anything is sent: the keys MedPerf knows, the container
 * types, run_args, and for the tasks MedPerf runs, that every mount is one
 * MedPerf provides and the ones it needs are there. Messages name the file
 * and line.
 */
#ifndef MP_CLIENT_CUBE_CONFIG_H
#define MP_CLIENT_CUBE_CONFIG_H

#include <jansson.h>

#include "core/err.h"

struct yaml_doc;

/* The container types MedPerf knows. */
enum cube_type {
	CUBE_DOCKER_IMAGE,
	CUBE_DOCKER_ARCHIVE,
	CUBE_ENC_DOCKER_ARCHIVE,
	CUBE_SINGULARITY_FILE,
	CUBE_ENC_SINGULARITY_FILE,
	CUBE_TYPE_INVALID,
};

/*
 * Checks cfg (parsed from file, positions in doc; doc may be NULL).
 * Returns MP_OK with *type set, or MP_EINVAL with "FILE:LINE: problem" in e.
 */
int cube_config_check(const json_t *cfg, const struct yaml_doc *doc, const char *file,
		      enum cube_type *type, mp_errbuf *e);
/* 1 when the config has task name. */
int cube_has_task(const json_t *cfg, const char *task);
int cube_type_encrypted(enum cube_type t);
const char *cube_type_name(enum cube_type t);

#endif
