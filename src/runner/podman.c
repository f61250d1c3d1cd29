/*
 * podman.c: the podman backend: one task as one `podman run` of an OCI image
 * (a local reference, or a `docker save` archive loaded first), never
 * pulled, with MedPerf's docker flags (reference 3.4: name, user, read-only
 * inputs, read-write outputs, the task's /tmp, no network, GPUs, shm size,
 * environment, entrypoint) plus the hardening podman supports: an init as
 * PID 1, no capabilities, no new privileges, medperf's seccomp profile, a
 * read-only root file system, no log copy in podman's store, memory without
 * swap, a pids limit and rlimits. The run itself (image check, seccomp
 * descriptor, stop, out-of-memory check, removal) is engine.c's.
 * docs/containers.md ("Engines") explains each flag.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "runner/engine.h"
#include "runner/proc.h"

/*
 * rlimits podman can give without CAP_SYS_RESOURCE: never above the hard
 * limits it inherits from us, and for nproc never above 32768, where podman
 * (4.x) lowers its own limit when it starts (its --help shows the default).
 */
#define DEFAULT_NOFILE 1048576ULL
#define DEFAULT_NPROC 32768ULL

static const char *const runc_paths[] = {"/usr/bin/runc", "/usr/sbin/runc", "/usr/local/bin/runc",
					 "/usr/local/sbin/runc", "/bin/runc", "/sbin/runc", NULL};
/* where podman looks for the init of --init (its init_path default, and packagers' choices) */
static const char *const init_paths[] = {"/usr/libexec/podman/catatonit",
					 "/usr/lib/podman/catatonit",
					 "/usr/local/libexec/podman/catatonit", NULL};

static int any_executable(const char *const *paths)
{
	for (const char *const *p = paths; *p; p++)
		if (access(*p, X_OK) == 0)
			return 1;
	return 0;
}

static int available(mp_errbuf *e)
{
	char *argv[] = {"podman", "--version", NULL};
	char *out = NULL;
	int rc = proc_capture(argv, 30, 4096, &out, NULL, e);

	if (rc != 0 || out == NULL || strncmp(out, "podman version", 14) != 0) {
		free(out);
		return mp_seterr(e, MP_ENOTFOUND, "the podman runner needs podman ('podman --version' "
				 "%s; Debian: apt-get install podman runc)",
				 rc < 0 ? "cannot run" : "failed");
	}
	free(out);
	if (!any_executable(runc_paths))
		return mp_seterr(e, MP_ENOTFOUND, "the podman runner needs runc (crun cannot run on "
				 "hybrid cgroup v1 machines; Debian: apt-get install runc)");
	if (!any_executable(init_paths))
		return mp_seterr(e, MP_ENOTFOUND, "the podman runner needs catatonit for podman --init "
				 "(Debian: apt-get install catatonit)");
	return MP_OK;
}

static int push_ulimit(struct strv *a, const char *name, int resource, unsigned long long soft,
		       unsigned long long hard)
{
	return strv_push(a, "--ulimit") |
	       strv_pushf(a, "%s=%llu:%llu", name, engine_rlimit_value(resource, soft),
			  engine_rlimit_value(resource, hard));
}

static int push_gpus(struct strv *a, const struct gpu_request *g)
{
	int rc = 0;

	if (g->kind == GPU_ALL)
		rc |= strv_push(a, "--device") | strv_push(a, "nvidia.com/gpu=all");
	for (long i = 0; g->kind == GPU_COUNT && i < g->count; i++)
		rc |= strv_push(a, "--device") | strv_pushf(a, "nvidia.com/gpu=%ld", i);
	if (g->kind == GPU_DEVICES) {
		const char *p = g->devices;
		while (*p) {
			size_t n = strcspn(p, ",");
			rc |= strv_push(a, "--device") | strv_pushf(a, "nvidia.com/gpu=%.*s", (int)n, p);
			p += n + (p[n] == ',');
		}
	}
	return rc;
}

int podman_command_as(const struct run_spec *s, const struct engine_ids *ids, struct strv *a,
		      mp_errbuf *e)
{
	const struct run_limits *l = &s->limits;
	struct gpu_request g;
	char *tag = NULL;
	const char *image = s->image;
	int rc;

	rc = engine_oci_prepare("podman", s, &g, &tag, e);
	if (rc != MP_OK)
		return rc;
	if (tag)
		image = tag;
	{
		/* runc: crun fails on hybrid cgroup v1 machines ("cgroups in hybrid mode") */
		const char *w[] = {"podman", "--runtime", "runc", "run", "--pull=never", "--name",
				   s->name, NULL};
		rc = strv_pushv(a, w);
	}
	rc |= strv_push(a, "--user") | strv_pushf(a, "%u:%u", (unsigned)ids->uid, (unsigned)ids->gid);
	if (!ids->root)
		/* rootless: the caller's id maps to itself, so outputs stay the caller's */
		rc |= strv_push(a, "--userns") | strv_push(a, "keep-id");
	{
		/* --init: the task is not the namespace's PID 1, which the kernel's SIGXFSZ and
		 * SIGXCPU cannot kill */
		const char *w[] = {"--init", "--network", "none", "--cap-drop", "all",
				   "--security-opt", "no-new-privileges", "--security-opt", NULL};
		const char *w2[] = {"--read-only", "--read-only-tmpfs=false", "--cgroupns",
				    "private", "--http-proxy=false", "--log-driver", "none", NULL};
		rc |= strv_pushv(a, w) | strv_pushf(a, "seccomp=/dev/fd/%d", ENGINE_FD_SECCOMP) |
		      strv_pushv(a, w2);
	}
	if (l->memory_bytes)
		rc |= strv_push(a, "--memory") | strv_pushf(a, "%llu", (unsigned long long)l->memory_bytes) |
		      strv_push(a, "--memory-swap") |
		      strv_pushf(a, "%llu", (unsigned long long)l->memory_bytes);
	if (l->processes > 0)
		rc |= strv_push(a, "--pids-limit") | strv_pushf(a, "%ld", l->processes);
	/* podman's own defaults (nofile 1048576, nproc 4194304 as root) fail without CAP_SYS_RESOURCE */
	rc |= push_ulimit(a, "core", RLIMIT_CORE, 0, 0);
	{
		unsigned long long nofile = l->open_files > 0 ? (unsigned long long)l->open_files
							      : DEFAULT_NOFILE;
		rc |= push_ulimit(a, "nofile", RLIMIT_NOFILE, nofile, nofile);
	}
	rc |= push_ulimit(a, "nproc", RLIMIT_NPROC, DEFAULT_NPROC, DEFAULT_NPROC);
	if (l->file_bytes)
		rc |= push_ulimit(a, "fsize", RLIMIT_FSIZE, l->file_bytes, l->file_bytes);
	if (l->cpu_seconds > 0) {
		/* SIGXCPU at the limit; SIGKILL a second later for a task that ignores it */
		unsigned long long cpu = (unsigned long long)(l->cpu_seconds + 0.999);
		rc |= push_ulimit(a, "cpu", RLIMIT_CPU, cpu, cpu + 1);
	}
	rc |= engine_oci_volumes(a, s);
	rc |= push_gpus(a, &g);
	rc |= engine_oci_tail(a, s, image);
	free(tag);
	return rc ? mp_seterr(e, MP_ENOMEM, "cannot build the command line") : MP_OK;
}

static int command(const struct run_spec *s, struct strv *a, mp_errbuf *e)
{
	struct engine_ids ids;

	engine_task_ids(s, &ids);
	return podman_command_as(s, &ids, a, e);
}

static int run(const struct run_spec *s, struct run_report *rep, mp_errbuf *e)
{
	return engine_oci_run(&runner_podman, "podman", s, rep, e);
}

const struct runner_backend runner_podman = {"podman", available, command, run};
