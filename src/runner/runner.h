/*
 * runner.h: run one task of one container, locked down, on one backend.
 *
 * The caller (the client) says what to run: the image, the command, the
 * mounts (key -> host path -> path inside), the environment and the limits.
 * A backend turns that into a command line (bubblewrap, podman, docker,
 * singularity/apptainer); proc.c starts it, captures its output to a capped
 * log, enforces the wall-clock timeout on the whole process tree, and fills
 * a report saying how the task ended.
 *
 * The runner never prints: messages go into mp_errbuf and the report; the
 * task's own output goes to the log (and to stderr when stream is set).
 */
#ifndef MP_RUNNER_H
#define MP_RUNNER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/err.h"
#include "core/strv.h"

/* What the image is (container_config.yaml's container_type, plus ours). */
enum image_kind {
	IMG_DOCKER_IMAGE,       /* image = a reference ("repo/name:tag" or "...@sha256:...") */
	IMG_DOCKER_ARCHIVE,     /* image = a local `docker save` tarball */
	IMG_SINGULARITY_FILE,   /* image = a local .sif */
	IMG_NATIVE_ARCHIVE,     /* image = a local folder: the extracted program tree */
};

/* One mount: mount key, host path, path inside. */
struct run_mount {
	const char *key;        /* the mount key ("data_path"), for messages */
	const char *host;       /* absolute host path; inputs must exist, outputs are created */
	const char *target;     /* absolute path inside the sandbox (mount_path) */
	int output;             /* 1: read-write output; 0: read-only input */
	int is_file;            /* 1: type file; 0: type directory */
};

/* Limits; 0 means "no limit" for each. */
struct run_limits {
	double wall_seconds;    /* killed (whole process tree) after this */
	double cpu_seconds;     /* RLIMIT_CPU */
	uint64_t memory_bytes;  /* RLIMIT_AS (native), --memory (engines) */
	long processes;         /* RLIMIT_NPROC (native), --pids-limit (engines) */
	uint64_t file_bytes;    /* RLIMIT_FSIZE: the largest file the task may write */
	long open_files;        /* RLIMIT_NOFILE */
	uint64_t log_bytes;     /* the log file's cap; the rest of the output is counted, not kept */
};

/* Everything a backend needs to run one task. Strings are borrowed. */
struct run_spec {
	enum image_kind kind;
	const char *image;
	const char *const *command;   /* NULL-terminated tokens; NULL or empty: the image's default */
	const char *entrypoint;       /* run_args.entrypoint, or NULL */
	const char *const *env;       /* "KEY=VALUE" strings, NULL-terminated, or NULL */
	const struct run_mount *mounts;
	size_t n_mounts;
	const char *tmp_dir;          /* host folder mounted read-write at /tmp (exists) */
	struct run_limits limits;
	const char *gpus;             /* NULL or "": none; "all"; "N"; "device=0,2" */
	const char *shm_size;         /* run_args.shm_size, or NULL */
	const char *name;             /* a unique name, "medperf-<task>-<16 hex>" (engines name containers) */
	const char *log_path;         /* the task's output goes here (created, capped) */
	int stream;                   /* also copy the output to stderr as it comes */
	/* when medperf runs as root, the task runs as this user and group (native, podman,
	 * docker; the engines take 0 as nobody, 65534) */
	uid_t run_uid;
	gid_t run_gid;
	/* singularity only: the folder of images converted from Docker ones (<hash>.sif) */
	const char *image_cache;
};

/* How a task ended. */
enum run_stop {
	RUN_EXITED,        /* it exited by itself: exit_code says how */
	RUN_TIMEOUT,       /* the wall-clock limit killed it */
	RUN_CPU,           /* RLIMIT_CPU (SIGXCPU or SIGKILL at the hard limit) */
	RUN_FILE_SIZE,     /* SIGXFSZ: wrote past the file-size limit */
	RUN_MEMORY,        /* killed for memory (engine OOM, or out of memory under RLIMIT_AS) */
	RUN_SIGNAL,        /* another signal killed it */
	RUN_INTERRUPTED,   /* the caller asked to stop (SIGINT/SIGTERM to medperf) */
	RUN_NOT_STARTED,   /* the backend could not start it (detail says why) */
};

struct run_report {
	enum run_stop stop;
	int exit_code;          /* RUN_EXITED: the task's exit status */
	int signal;             /* RUN_SIGNAL, RUN_CPU, RUN_FILE_SIZE: the signal */
	double seconds;         /* wall time from start to the end of the process tree */
	uint64_t output_bytes;  /* all output the task wrote */
	int log_truncated;      /* 1 when output_bytes passed limits.log_bytes */
	uint64_t max_rss_kib;   /* the largest resident size of any process of the task */
	char detail[256];       /* one line: how it ended, for people */
};

/* A backend: one file each (native.c, podman.c, docker.c, apptainer.c). */
struct runner_backend {
	const char *name;
	/* MP_OK when it can run here; otherwise what is missing, in e. */
	int (*available)(mp_errbuf *e);
	/*
	 * The command line that runs the task (what proc.c executes). Exact and
	 * deterministic for a given spec: the unit tests compare it word by word.
	 */
	int (*command)(const struct run_spec *s, struct strv *argv, mp_errbuf *e);
	/* Runs the task and fills rep. MP_OK when it ran (whatever its exit). */
	int (*run)(const struct run_spec *s, struct run_report *rep, mp_errbuf *e);
};

extern const struct runner_backend runner_native, runner_podman, runner_docker,
	runner_singularity;

/* The backend named name ("native", "podman", "docker", "singularity"; "apptainer" too). */
const struct runner_backend *runner_find(const char *name);

/* One line describing rep ("exited with 0 after 1.2 s", "killed at the 10 s time limit"). */
const char *run_stop_name(enum run_stop s);

#endif
