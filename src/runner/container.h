/*
 * container.h: container_config.yaml (reference section 3.1, 3.2): the
 * strict check made before anything is sent or run (the keys MedPerf knows,
 * the container types, run_args, and for the tasks MedPerf runs, that every
 * mount is one MedPerf provides and the ones it needs are there; messages
 * name the file and line), and what one task of a checked config says to
 * run: its command, environment and volumes.
 */
#ifndef MP_RUNNER_CONTAINER_H
#define MP_RUNNER_CONTAINER_H

#include <jansson.h>

#include "core/err.h"
#include "core/strv.h"
#include "runner/runner.h"

struct yaml_doc;

/* The container types: MedPerf's five, and ours for sites without an engine. */
enum container_type {
	CT_DOCKER_IMAGE,
	CT_DOCKER_ARCHIVE,
	CT_ENC_DOCKER_ARCHIVE,
	CT_SINGULARITY_FILE,
	CT_ENC_SINGULARITY_FILE,
	CT_NATIVE_ARCHIVE,      /* a .tar.gz of a program tree, run by the native runner */
	CT_INVALID,
};

/*
 * Checks cfg (parsed from file, positions in doc; doc may be NULL).
 * Returns MP_OK with *type set, or MP_EINVAL with "FILE:LINE: problem" in e.
 */
int container_config_check(const json_t *cfg, const struct yaml_doc *doc, const char *file,
			   enum container_type *type, mp_errbuf *e);
/*
 * Loads path and checks it: a container_config.yaml as it is, or a legacy
 * MLCube file (mlcube_detect, runner/mlcube.h) converted first, with
 * MedPerf's mounts of each task checked in the MLCube file's terms. On
 * success *cfg is the (converted) configuration, *doc the positions of
 * path's nodes (doc may be NULL), *type its container type; the caller
 * frees them (json_decref, yaml_doc_free). On failure they are NULL and
 * CT_INVALID and e says "FILE:LINE: problem" about path.
 */
int container_config_load(const char *path, json_t **cfg, struct yaml_doc **doc,
			  enum container_type *type, mp_errbuf *e);
/* 1 when the config has task name. */
int container_has_task(const json_t *cfg, const char *task);
int container_type_encrypted(enum container_type t);
const char *container_type_name(enum container_type t);
/* The type named by a checked config's container_type. */
enum container_type container_type_of(const json_t *cfg);
/* What the runner gets for a type (encrypted types: what the decrypted file is). */
enum image_kind container_image_kind(enum container_type t);

/* One volume a task declares. */
struct container_volume {
	const char *key;         /* mount key, e.g. "data_path" */
	const char *mount_path;  /* absolute path inside */
	int is_file;
	int output;
};

/* What one task of a checked config runs. Strings point into the config (keep it alive). */
struct container_task {
	struct strv command;     /* run_args.command, split as Python's shlex.split when a string */
	const char *entrypoint;  /* run_args.entrypoint or NULL */
	struct strv env;         /* run_args.environment as KEY=VALUE */
	const char *gpus;        /* run_args.gpus as text, or NULL */
	const char *shm_size;    /* run_args.shm_size as text, or NULL */
	struct container_volume *volumes;
	size_t n_volumes;
	char scalar[2][32];      /* text of numeric gpus / shm_size */
};

/* Fills t from task name of a checked config. MP_ENOTFOUND when there is no such task. */
int container_task_get(const json_t *cfg, const char *name, struct container_task *t,
		       mp_errbuf *e);
void container_task_free(struct container_task *t);

/*
 * Splits s into words as Python's shlex.split does (POSIX mode: quotes,
 * backslashes, no comments). MP_EINVAL on an unfinished quote or escape.
 */
int shell_split(const char *s, struct strv *out, mp_errbuf *e);

#endif
