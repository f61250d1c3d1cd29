/*
 * apptainer.c: the singularity/apptainer backend (runner_singularity, named
 * "singularity" and "apptainer"): reference 3.5's line, `run -eC --bind
 * host:target:ro|rw ... [--nv ...] --net --network none image.sif cmd`
 * (`exec` when the task has an entrypoint), the task's variables passed as
 * APPTAINERENV_/SINGULARITYENV_ in the engine's environment, Docker images
 * and archives converted once into <image_cache>/<sha256>.sif, plus the
 * hardening the engine supports: no home folder, no privileges, cgroup
 * memory and pids limits, rlimits for CPU, file size and open files, and
 * as root the engine itself run as the task's unprivileged user.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/hash.h"
#include "runner/engine.h"
#include "runner/proc.h"

#define BUILD_SECONDS 3600.0

extern char **environ;

/* ---- which engine ---- */

/* "apptainer version 1.2.5", "singularity-ce version 3.11.4-jammy", "singularity version 3.8.7" */
static int parse_version(const char *exe, const char *out, struct sing_flavor *f)
{
	const char *v = strstr(out, "version ");
	char *end;

	if (v == NULL)
		return -1;
	f->apptainer = strncmp(out, "apptainer", 9) == 0;
	f->exe = exe;
	f->env_prefix = f->apptainer ? "APPTAINERENV_" : "SINGULARITYENV_";
	v += 8;
	f->major = (int)strtol(v, &end, 10);
	f->minor = *end == '.' ? (int)strtol(end + 1, NULL, 10) : 0;
	return end == v ? -1 : 0;
}

/* apptainer first, then singularity (which may be apptainer's compatibility name) */
static int find_flavor(struct sing_flavor *f, mp_errbuf *e)
{
	static const char *const names[] = {"apptainer", "singularity", NULL};

	for (const char *const *n = names; *n; n++) {
		char *argv[] = {(char *)*n, "--version", NULL};
		char *out = NULL;
		mp_errbuf e2;
		int rc = proc_capture(argv, 30, 4096, &out, NULL, &e2);
		int ok = rc == 0 && out && parse_version(*n, out, f) == 0;
		free(out);
		if (ok)
			return MP_OK;
	}
	return mp_seterr(e, MP_ENOTFOUND, "the singularity runner needs apptainer or singularity, "
			 "and neither is installed here ('apptainer --version' and 'singularity "
			 "--version' fail)");
}

static int available(mp_errbuf *e)
{
	struct sing_flavor f;

	return find_flavor(&f, e);
}

/* ---- images ---- */

int sing_sif_path(const struct run_spec *s, char **sif, mp_errbuf *e)
{
	char hex[HASH_HEX];
	struct buf b;
	int rc;

	*sif = NULL;
	if (s->kind == IMG_SINGULARITY_FILE) {
		*sif = strdup(s->image);
		return *sif ? MP_OK : mp_seterr(e, MP_ENOMEM, "out of memory");
	}
	if (s->kind == IMG_NATIVE_ARCHIVE)
		return mp_seterr(e, MP_EINVAL, "a NativeArchive runs on --platform native, not "
				 "singularity");
	if (s->image_cache == NULL || s->image_cache[0] != '/')
		return mp_seterr(e, MP_EINVAL, "the singularity runner needs a folder for images "
				 "converted from Docker ones (image_cache, an absolute path)");
	if (s->kind == IMG_DOCKER_ARCHIVE) {
		rc = hash_file(s->image, hex, e);
		if (rc != MP_OK)
			return rc;
	} else {
		/* a reference names its image: pin it with @sha256: for a cache that cannot go stale */
		sha256_hex(s->image, strlen(s->image), hex);
	}
	buf_init(&b, PATH_MAX);
	if (buf_addf(&b, "%s/%s.sif", s->image_cache, hex) != MP_OK) {
		buf_release(&b);
		return mp_seterr(e, MP_ETOOBIG, "image_cache path too long");
	}
	*sif = buf_detach(&b, NULL);
	return MP_OK;
}

int sing_build_command(const struct sing_flavor *f, enum image_kind kind, const char *image,
		       const char *sif, struct strv *a, mp_errbuf *e)
{
	const char *scheme;

	if (kind == IMG_DOCKER_IMAGE)
		scheme = "docker://";
	else if (kind == IMG_DOCKER_ARCHIVE)
		scheme = "docker-archive://";
	else
		return mp_seterr(e, MP_EINVAL, "only Docker images and archives are converted");
	if (image == NULL || *image == '\0' || *image == '-')
		return mp_seterr(e, MP_EINVAL, "image '%s' is not an image reference or file",
				 image ? image : "");
	if (strv_push(a, f->exe) | strv_push(a, "build") | strv_push(a, sif) |
	    strv_pushf(a, "%s%s", scheme, image))
		return mp_seterr(e, MP_ENOMEM, "cannot build the command line");
	return MP_OK;
}

/* ---- the run line and its environment ---- */

static int push_gpus(const struct sing_flavor *f, const struct gpu_request *g, struct strv *a,
		     mp_errbuf *e)
{
	if (g->kind == GPU_COUNT)
		return mp_seterr(e, MP_EINVAL, "%s cannot take a number of GPUs (gpus: %ld); use all "
				 "or device=ID[,ID...]", f->exe, g->count);
	if (g->kind == GPU_DEVICES && !f->apptainer &&
	    (f->major < 3 || (f->major == 3 && f->minor < 10)))
		return mp_seterr(e, MP_EINVAL, "choosing GPUs (device=%s) needs singularity 3.10 or "
				 "later, or apptainer; this is %s %d.%d", g->devices, f->exe,
				 f->major, f->minor);
	if (g->kind == GPU_ALL && strv_push(a, "--nv"))
		return MP_ENOMEM;
	if (g->kind == GPU_DEVICES) {
		/* nvidia-container-cli exposes only NVIDIA_VISIBLE_DEVICES (sing_env_for) */
		const char *w[] = {"--nv", "--nvccli", "-c", "--writable-tmpfs", NULL};
		if (strv_pushv(a, w))
			return MP_ENOMEM;
	}
	return MP_OK;
}

int sing_command_for(const struct sing_flavor *f, const struct run_spec *s, const char *sif,
		     struct strv *a, mp_errbuf *e)
{
	const struct run_limits *l = &s->limits;
	struct gpu_request g;
	int rc;

	rc = engine_check_spec(s, e);
	if (rc == MP_OK)
		rc = engine_parse_gpus(s->gpus, &g, e);
	if (rc != MP_OK)
		return rc;
	if (s->kind == IMG_NATIVE_ARCHIVE)
		return mp_seterr(e, MP_EINVAL, "a NativeArchive runs on --platform native, not "
				 "singularity");
	{
		/* -e: clean environment; -C: contain file systems, PID, IPC and environment */
		const char *w[] = {f->exe, s->entrypoint ? "exec" : "run", "-eC", "--no-home",
				   "--no-privs", NULL};
		rc = strv_pushv(a, w);
	}
	rc |= strv_push(a, "--bind") | strv_pushf(a, "%s:/tmp:rw", s->tmp_dir);
	for (size_t i = 0; i < s->n_mounts; i++)
		rc |= strv_push(a, "--bind") |
		      strv_pushf(a, "%s:%s:%s", s->mounts[i].host, s->mounts[i].target,
				 s->mounts[i].output ? "rw" : "ro");
	if (rc)
		return mp_seterr(e, MP_ENOMEM, "cannot build the command line");
	rc = push_gpus(f, &g, a, e);
	if (rc != MP_OK)
		return rc == MP_ENOMEM ? mp_seterr(e, rc, "cannot build the command line") : rc;
	{
		const char *w[] = {"--net", "--network", "none", NULL};
		rc |= strv_pushv(a, w);
	}
	if (l->memory_bytes)
		rc |= strv_push(a, "--memory") | strv_pushf(a, "%llu", (unsigned long long)l->memory_bytes) |
		      strv_push(a, "--memory-swap") |
		      strv_pushf(a, "%llu", (unsigned long long)l->memory_bytes);
	if (l->processes > 0)
		rc |= strv_push(a, "--pids-limit") | strv_pushf(a, "%ld", l->processes);
	rc |= strv_push(a, sif);
	if (s->entrypoint)
		rc |= strv_push(a, s->entrypoint);
	rc |= strv_pushv(a, s->command);
	return rc ? mp_seterr(e, MP_ENOMEM, "cannot build the command line") : MP_OK;
}

/* The engine's own settings (binds, environment) must not reach a task from medperf's environment. */
static int engine_setting(const char *kv)
{
	static const char *const kept[] = {"APPTAINER_CACHEDIR=", "APPTAINER_TMPDIR=",
					   "SINGULARITY_CACHEDIR=", "SINGULARITY_TMPDIR=", NULL};

	if (strncmp(kv, "APPTAINER", 9) != 0 && strncmp(kv, "SINGULARITY", 11) != 0)
		return 0;
	for (const char *const *k = kept; *k; k++)
		if (strncmp(kv, *k, strlen(*k)) == 0)
			return 0;
	return 1;
}

int sing_env_for(const struct sing_flavor *f, const struct run_spec *s, char *const *base,
		 struct strv *env, mp_errbuf *e)
{
	struct gpu_request g;
	int rc = engine_parse_gpus(s->gpus, &g, e);

	if (rc)
		return rc;
	for (char *const *kv = base; kv && *kv; kv++) {
		if (engine_setting(*kv))
			continue;
		if (g.kind == GPU_DEVICES && strncmp(*kv, "NVIDIA_VISIBLE_DEVICES=", 23) == 0)
			continue;
		rc |= strv_push(env, *kv);
	}
	for (const char *const *kv = s->env; kv && *kv; kv++)
		rc |= strv_pushf(env, "%s%s", f->env_prefix, *kv);
	if (g.kind == GPU_DEVICES)
		rc |= strv_pushf(env, "NVIDIA_VISIBLE_DEVICES=%s", g.devices);
	return rc ? mp_seterr(e, MP_ENOMEM, "out of memory") : MP_OK;
}

/* ---- the run ---- */

/* Docker kinds: <image_cache>/<sha256>.sif made once (built beside it, then renamed). */
static int convert(const struct sing_flavor *f, const struct run_spec *s, const char *sif,
		   mp_errbuf *e)
{
	struct strv a = STRV_INIT;
	struct buf part;
	char *err = NULL;
	int rc;

	if (s->kind == IMG_SINGULARITY_FILE || access(sif, R_OK) == 0)
		return MP_OK;
	if (mkdir(s->image_cache, 0755) != 0 && errno != EEXIST)
		return mp_seterr(e, MP_EIO, "cannot create '%s': %s", s->image_cache, strerror(errno));
	buf_init(&part, PATH_MAX);
	if (buf_addf(&part, "%s.%s.part", sif, s->name) != MP_OK) {
		buf_release(&part);
		return mp_seterr(e, MP_ETOOBIG, "image_cache path too long");
	}
	rc = sing_build_command(f, s->kind, s->image, part.data, &a, e);
	if (rc == MP_OK) {
		rc = proc_capture(a.v, BUILD_SECONDS, 64 * 1024, NULL, &err, e);
		if (rc > 0) {
			char *nl = err ? strrchr(err, '\n') : NULL;
			while (nl && nl > err && nl[1] == '\0') {
				*nl = '\0';
				nl = strrchr(err, '\n');
			}
			rc = mp_seterr(e, MP_EIO, "%s build of '%s' failed: %.160s", f->exe, s->image,
				       nl ? nl + 1 : (err ? err : ""));
		}
	}
	if (rc == MP_OK && (chmod(part.data, 0644) != 0 || rename(part.data, sif) != 0))
		rc = mp_seterr(e, MP_EIO, "cannot store '%s': %s", sif, strerror(errno));
	if (rc != MP_OK)
		unlink(part.data);
	free(err);
	buf_release(&part);
	strv_free(&a);
	return rc;
}

static int command(const struct run_spec *s, struct strv *a, mp_errbuf *e)
{
	struct sing_flavor f;
	char *sif = NULL;
	int rc = find_flavor(&f, e);

	if (rc == MP_OK)
		rc = sing_sif_path(s, &sif, e);
	if (rc == MP_OK)
		rc = sing_command_for(&f, s, sif, a, e);
	free(sif);
	return rc;
}

static int run(const struct run_spec *s, struct run_report *rep, mp_errbuf *e)
{
	struct strv argv = STRV_INIT, env = STRV_INIT;
	struct sing_flavor f;
	struct engine_ids ids;
	struct run_limits rl = s->limits;
	char *sif = NULL;
	int rc, handed = 0;

	memset(rep, 0, sizeof(*rep));
	rep->stop = RUN_NOT_STARTED;
	engine_task_ids(s, &ids);
	rc = find_flavor(&f, e);
	if (rc == MP_OK)
		rc = engine_check_spec(s, e);
	if (rc == MP_OK)
		rc = engine_prepare_mounts(s, e);
	if (rc == MP_OK)
		rc = sing_sif_path(s, &sif, e);
	if (rc == MP_OK)
		rc = convert(&f, s, sif, e);
	if (rc == MP_OK)
		rc = sing_command_for(&f, s, sif, &argv, e);
	if (rc == MP_OK)
		rc = sing_env_for(&f, s, environ, &env, e);
	if (rc == MP_OK && ids.root) {
		handed = 1;
		rc = engine_hand_over(s, ids.uid, ids.gid, e);
	}
	if (rc == MP_OK) {
		struct proc_opts o;
		/* memory and processes are the engine's cgroup flags; the rest are rlimits */
		rl.memory_bytes = 0;
		rl.processes = 0;
		memset(&o, 0, sizeof(o));
		o.argv = argv.v;
		o.envp = env.v;
		o.limits = &rl;
		o.set_rlimits = 1;
		/* as root the engine itself runs as the task's user: no user flag exists */
		o.drop_privileges = ids.root;
		o.uid = ids.uid;
		o.gid = ids.gid;
		o.log_path = s->log_path;
		o.stream = s->stream;
		rc = proc_run(&o, rep, e);
	} else {
		snprintf(rep->detail, sizeof(rep->detail), "%s", e ? e->msg : "not started");
	}
	if (handed) {
		mp_errbuf e2;
		engine_hand_over(s, geteuid(), getegid(), &e2);
	}
	free(sif);
	strv_free(&argv);
	strv_free(&env);
	return rc;
}

const struct runner_backend runner_singularity = {"singularity", available, command, run};
