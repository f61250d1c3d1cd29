/*
 * engine.h: what the three container-engine backends share (podman.c,
 * docker.c, apptainer.c): checking a spec before it becomes a command line,
 * the user a task runs as, mounts made ready and handed to that user and
 * back, the GPU request parsed, the tag inside a `docker save` archive, the
 * seccomp profile of OCI tasks, and the supervised run of an OCI engine
 * (podman, docker) with its stop, out-of-memory check and removal. It also
 * declares the pieces of the backends that the unit tests call directly
 * with chosen inputs (the caller's ids, the engine's flavour), so that every
 * command line can be compared word by word whoever runs the tests.
 *
 * Nothing here prints; errors are a negative mp_err with one line in e.
 */
#ifndef MP_ENGINE_H
#define MP_ENGINE_H

#include <sys/types.h>

#include "core/err.h"
#include "core/strv.h"
#include "runner/runner.h"

/* The user a task runs as inside an engine, and whether medperf is root. */
struct engine_ids {
	uid_t uid;
	gid_t gid;
	int root;   /* 1: medperf runs as root; outputs are handed to uid:gid and back */
};

/*
 * The rule: not root, the task runs as the caller (getuid():getgid()); as
 * root, as run_uid:run_gid when both are set (non-zero), otherwise as
 * nobody (65534:65534). A task never runs as root.
 */
void engine_task_ids(const struct run_spec *s, struct engine_ids *ids);

/*
 * The checks every engine makes before building a line: a container name
 * ([A-Za-z0-9][A-Za-z0-9_.-]*), an image that cannot pass for an option,
 * NAME=VALUE environment entries with portable names, a shm size such as
 * "64m" or "1gb", absolute mount paths free of ':' and ',' (the -v and
 * --bind syntax cannot carry them), a /tmp folder.
 */
int engine_check_spec(const struct run_spec *s, mp_errbuf *e);

/* A GPU request (reference 3.4): none, all, a count, or a list of devices. */
enum gpu_kind { GPU_NONE, GPU_ALL, GPU_COUNT, GPU_DEVICES };
struct gpu_request {
	enum gpu_kind kind;
	long count;            /* GPU_COUNT */
	const char *devices;   /* GPU_DEVICES: "0,2" inside the caller's string */
};

/* NULL, "" and "0": none; "all"; "N" (N >= 1); "device=ID[,ID...]" (IDs of [A-Za-z0-9-]). */
int engine_parse_gpus(const char *gpus, struct gpu_request *g, mp_errbuf *e);

/*
 * Inputs must exist with their declared type (file or folder); outputs are
 * created (folders, or empty files, with their parent folders) so that the
 * engine binds them as what they are.
 */
int engine_prepare_mounts(const struct run_spec *s, mp_errbuf *e);

/* chown -R of every output and of /tmp's folder (links not followed): to the task and back. */
int engine_hand_over(const struct run_spec *s, uid_t uid, gid_t gid, mp_errbuf *e);

/*
 * The first RepoTags entry of manifest.json in a `docker save` archive
 * (malloc'd into *tag). An archive saved without a tag is an error.
 */
int engine_archive_tag(const char *archive, char **tag, mp_errbuf *e);

/* The value an engine's limit flag gets: the limit, never above this process's hard rlimit. */
unsigned long long engine_rlimit_value(int resource, unsigned long long want);

/* ---- the OCI engines (podman, docker) ---- */

/*
 * The seccomp profile of podman and docker tasks reaches the engine's client
 * as this descriptor: `--security-opt seccomp=/dev/fd/10` (fixed, so that
 * command lines are exact).
 */
enum { ENGINE_FD_SECCOMP = 10 };

/*
 * The OCI seccomp profile (JSON, malloc'd into *json): everything allowed
 * but what native tasks are refused too (sandbox.h's list: other processes,
 * mounts and namespaces, the kernel's configuration) with EPERM, clone3
 * and io_uring with ENOSYS, clone with a namespace flag and the TIOCSTI and
 * TIOCLINUX ioctls with EPERM. Network sockets stay: --network none leaves
 * only the container's own loopback.
 */
int engine_seccomp_profile(char **json, mp_errbuf *e);

/* The variables every OCI task starts with (before its own, which may change them). */
extern const char *const engine_task_env[];

/* The end of a podman or docker run line: --shm-size, the task environment
 * (engine_task_env, then the spec's), --entrypoint, the image and the
 * command. Returns 0, or -1 when out of memory. */
int engine_oci_tail(struct strv *a, const struct run_spec *s, const char *image);

/* What a podman or docker line needs first: the spec checked, the GPU request
 * parsed into *g, images this engine cannot run refused, and for a
 * DockerArchive the tag it loads as in *tag (malloc'd; NULL otherwise). */
int engine_oci_prepare(const char *engine, const struct run_spec *s, struct gpu_request *g,
		       char **tag, mp_errbuf *e);

/* --volume for the task's /tmp, then for each mount (inputs :ro, outputs :rw).
 * Returns 0, or -1 when out of memory. */
int engine_oci_volumes(struct strv *a, const struct run_spec *s);

/* The podman and docker command lines, for the given task user (runner.h's command() use these). */
int podman_command_as(const struct run_spec *s, const struct engine_ids *ids, struct strv *a,
		      mp_errbuf *e);
int docker_command_as(const struct run_spec *s, const struct engine_ids *ids, struct strv *a,
		      mp_errbuf *e);

/*
 * The run of a podman or docker task (exe "podman" or "docker"; b the
 * backend, for available() and command()): the image loaded (archive) or
 * found locally (never pulled), mounts prepared and handed to the task
 * user, the line run in a private working folder with `exe stop -t 0 NAME`
 * on timeout or interrupt, then an exit by SIGKILL under a memory limit
 * checked for the kernel's out-of-memory kill (conmon's "oom" marker or
 * State.OOMKilled), the container removed (`exe rm -f NAME`), and the
 * outputs given back to medperf's user.
 */
int engine_oci_run(const struct runner_backend *b, const char *exe, const struct run_spec *s,
		   struct run_report *rep, mp_errbuf *e);

/* ---- singularity / apptainer ---- */

/* Which program, and how it passes environment variables. */
struct sing_flavor {
	const char *exe;         /* "apptainer" or "singularity" (the word run) */
	const char *env_prefix;  /* "APPTAINERENV_" or "SINGULARITYENV_" */
	int apptainer;           /* 1: Apptainer (any version takes device lists) */
	int major, minor;        /* the version (SingularityCE/Singularity >= 3.10 for device lists) */
};

/* The SIF a task runs: the image itself (SingularityFile) or <image_cache>/<sha256>.sif (Docker kinds). */
int sing_sif_path(const struct run_spec *s, char **sif, mp_errbuf *e);

/* `<exe> build <sif> docker://<image>` or `... docker-archive://<file>`: the one-time conversion. */
int sing_build_command(const struct sing_flavor *f, enum image_kind kind, const char *image,
		       const char *sif, struct strv *a, mp_errbuf *e);

/* The run line (`run -eC ...`, or `exec` with an entrypoint) for a given flavour and SIF. */
int sing_command_for(const struct sing_flavor *f, const struct run_spec *s, const char *sif,
		     struct strv *a, mp_errbuf *e);

/*
 * The environment apptainer/singularity runs with: base (this process's
 * environment) without the engine's own configuration variables (APPTAINER_*,
 * SINGULARITY_*, and their *ENV_ forms, which could add binds or
 * variables; *_CACHEDIR and *_TMPDIR are kept), then the task's variables as
 * <prefix>NAME=VALUE, then NVIDIA_VISIBLE_DEVICES for a device list.
 */
int sing_env_for(const struct sing_flavor *f, const struct run_spec *s, char *const *base,
		 struct strv *env, mp_errbuf *e);

#endif
