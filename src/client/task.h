/*
 * task.h: run one task of a container for a client command (container
 * run_test; through cube.c, dataset prepare, compatibility tests and
 * benchmark runs): the image fetched, verified and (for native archives)
 * extracted into the program cache, the mounts MedPerf supplies bound to the volumes
 * the task declares, the profile's platform and limits, a private /tmp, a
 * log under the storage folder, and one line saying how it ended.
 */
#ifndef MP_CLIENT_TASK_H
#define MP_CLIENT_TASK_H

#include <jansson.h>

#include "client/cli.h"
#include "runner/runner.h"

/* A host path MedPerf supplies for a mount key. */
struct task_mount {
	const char *key;
	const char *host;
};

struct task_request {
	const json_t *cfg;              /* a checked container_config */
	const char *cfg_file;           /* where it came from (relative image paths), or NULL */
	const char *task;               /* "prepare", "infer", ... */
	const struct task_mount *mounts; /* what MedPerf supplies for this task */
	size_t n_mounts;
	const char *image_hash;         /* expected hash of an image file, or NULL */
	const char *platform;           /* NULL: the profile's (native by default) */
	double timeout;                 /* seconds; 0: the profile's <task>_timeout, or none */
	/* limits over the profile's and the defaults (docs/containers.md); 0: not set here */
	uint64_t memory_bytes;
	uint64_t file_bytes;
	long processes;
	double cpu_seconds;
	const char *const *extra_env;   /* KEY=VALUE added to the task's own */
	const char *log_path;           /* NULL: <storage>/logs/<name>.log */
	int stream;                     /* show the output as it comes */
	int quiet;                      /* a task that ran and failed is not reported here: the
					 * caller says so (rep tells how it ended) */
};

/*
 * Runs the task; fills rep. Returns an exit status: EXIT_OK when the task
 * ran and exited 0, EXIT_FAIL (with rep's detail printed) otherwise, or the
 * status of what kept it from starting (image download, hash mismatch).
 */
int task_run(struct ctx *c, const struct task_request *t, struct run_report *rep,
	     char **log_path);

/*
 * The program tree of a NativeArchive: the archive (hash: its SHA-256)
 * extracted safely into <storage>/.programs/<hash>, once. *dir is malloc'd.
 */
int task_program_tree(struct ctx *c, const char *archive, const char *hash, char **dir);

/*
 * Ctrl-C (SIGINT) and SIGTERM while a command runs tasks: between
 * task_catch_interrupts(1) and (0) (calls nest) they only raise a flag, so
 * that the command can say "interrupted" to the server and stop cleanly;
 * task_run then starts no task and reports RUN_INTERRUPTED. During a task
 * the runner itself stops the task on them.
 */
void task_catch_interrupts(int on);
/* 1 when an interrupt was caught. */
int task_interrupted(void);

/* A size with an optional K, M, G or T suffix (powers of 1024); 0 when it is not one. */
uint64_t task_size_value(const char *s);

/* The platform a request will use (the argument, the profile's, or "native"). */
const char *task_platform(const struct ctx *c, const char *requested);

#endif
