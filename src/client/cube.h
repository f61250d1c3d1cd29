/*
 * cube.h: a container made ready to run at this site: a registered one
 * (GET /mlcubes/{id}/, or the container of a model), or a local
 * container_config.yaml (compatibility tests of work in progress). Ready
 * means: its configuration checked, parameters.yaml written from
 * parameters_config, its additional files downloaded, verified and
 * extracted safely once (cubes/<srv>/<id>/additional_files/, reference
 * 2.7), and its image verified against the registered hash on every run
 * (by task_run, client/task.c).
 *
 * Lifecycle: cube_load / cube_of_model / cube_load_local fill a zeroed
 * struct cube; cube_run runs its tasks; cube_release frees it.
 */
#ifndef MP_CLIENT_CUBE_H
#define MP_CLIENT_CUBE_H

#include <jansson.h>

#include "client/cli.h"
#include "client/task.h"

struct cube {
	int64_t id;             /* the container's server id; 0: a local configuration */
	char key[80];           /* its name in local paths: the id, or "local-<12 hex>" */
	char label[200];        /* "container 3 (name)", for messages */
	json_t *entity;         /* the server's container (owned), or NULL */
	json_t *cfg;            /* its container_config (owned reference) */
	char *cfg_file;         /* a local configuration's file (images are relative to it) */
	const char *image_hash; /* the registered image hash (in entity); NULL: local */
	char *dir;              /* cubes/<srv>/<key>/ */
	char *params;           /* the parameters.yaml mounted as parameters_file */
	char *additional;       /* the folder mounted as additional_files */
};

/* The registered container id, made ready. Returns an exit status. */
int cube_load(struct ctx *c, int64_t id, struct cube *cb);
/* The container of a model entity (type CONTAINER; an ASSET is refused), made ready. */
int cube_of_model(struct ctx *c, const json_t *model, struct cube *cb);
/*
 * A local container_config.yaml (or legacy mlcube.yaml), made ready: its
 * parameters.yaml and additional_files/ folder are taken from beside it
 * when they exist (else empty ones).
 */
int cube_load_local(struct ctx *c, const char *cfg_file, struct cube *cb);
/* A server id ("3") or a local configuration's path: cube_load or cube_load_local. */
int cube_resolve(struct ctx *c, const char *what, const char *ref, struct cube *cb);
void cube_release(struct cube *cb);

/* 1 when task declares the mount key (as an output when output, else as an input). */
int cube_declares(const struct cube *cb, const char *task, const char *key, int output);
/* 1 when the configuration has task. */
int cube_has_task(const struct cube *cb, const char *task);

/*
 * Runs task with the mounts given plus parameters_file and additional_files,
 * the profile's <task>_timeout, its log at log_path (NULL: under
 * <storage>/logs/). quiet: see task_request. Returns task_run's status.
 */
int cube_run(struct ctx *c, const struct cube *cb, const char *task,
	     const struct task_mount *mounts, size_t n, const char *log_path, int quiet,
	     struct run_report *rep);

#endif
