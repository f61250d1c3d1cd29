/*
 * docker.c: the docker backend: MedPerf's `docker run` line (reference 3.4:
 * name, user, read-only inputs, read-write outputs, the task's /tmp, no
 * network, --gpus, shm size, environment, entrypoint) plus the hardening
 * the Docker engine supports (an init as PID 1, no capabilities, no new
 * privileges, medperf's seccomp profile, a read-only root file system, no
 * log copy in the daemon, memory without swap, a pids limit, rlimits),
 * `docker load -i` for archives and `docker stop -t 0` at the time limit
 * (engine.c runs it). available() tells a client without an engine from no
 * docker at all.
 */
#include <stdlib.h>
#include <string.h>

#include "runner/engine.h"
#include "runner/proc.h"

static int available(mp_errbuf *e)
{
	char *version[] = {"docker", "--version", NULL};
	char *server[] = {"docker", "version", "--format", "{{.Server.Version}}", NULL};
	int rc = proc_capture(version, 30, 4096, NULL, NULL, e);

	if (rc != 0)
		return mp_seterr(e, MP_ENOTFOUND, "the docker runner needs docker ('docker --version' "
				 "%s)", rc < 0 ? "cannot run" : "failed");
	/* the client answers alone; the server's version needs a running engine */
	rc = proc_capture(server, 15, 4096, NULL, NULL, e);
	if (rc != 0)
		return mp_seterr(e, MP_ENOTFOUND, "docker is installed but no Docker engine is running "
				 "(start dockerd, or use --platform podman or native)");
	return MP_OK;
}

int docker_command_as(const struct run_spec *s, const struct engine_ids *ids, struct strv *a,
		      mp_errbuf *e)
{
	const struct run_limits *l = &s->limits;
	struct gpu_request g;
	char *tag = NULL;
	const char *image = s->image;
	int rc;

	rc = engine_oci_prepare("docker", s, &g, &tag, e);
	if (rc != MP_OK)
		return rc;
	if (tag)
		image = tag;
	{
		const char *w[] = {"docker", "run", "--pull=never", "--name", s->name, NULL};
		rc = strv_pushv(a, w);
	}
	rc |= strv_push(a, "--user") | strv_pushf(a, "%u:%u", (unsigned)ids->uid, (unsigned)ids->gid);
	{
		/* --init (docker-init, shipped with the engine): the task is not PID 1, which the
		 * kernel's SIGXFSZ and SIGXCPU cannot kill */
		const char *w[] = {"--init", "--network", "none", "--cap-drop", "all",
				   "--security-opt", "no-new-privileges", "--security-opt", NULL};
		const char *w2[] = {"--read-only", "--log-driver", "none", NULL};
		rc |= strv_pushv(a, w) | strv_pushf(a, "seccomp=/dev/fd/%d", ENGINE_FD_SECCOMP) |
		      strv_pushv(a, w2);
	}
	if (l->memory_bytes)
		rc |= strv_push(a, "--memory") | strv_pushf(a, "%llu", (unsigned long long)l->memory_bytes) |
		      strv_push(a, "--memory-swap") |
		      strv_pushf(a, "%llu", (unsigned long long)l->memory_bytes);
	if (l->processes > 0)
		rc |= strv_push(a, "--pids-limit") | strv_pushf(a, "%ld", l->processes);
	/* the daemon sets these rlimits: no clamp to this process's own */
	rc |= strv_push(a, "--ulimit") | strv_push(a, "core=0:0");
	if (l->open_files > 0)
		rc |= strv_push(a, "--ulimit") | strv_pushf(a, "nofile=%ld:%ld", l->open_files,
							    l->open_files);
	if (l->file_bytes)
		rc |= strv_push(a, "--ulimit") |
		      strv_pushf(a, "fsize=%llu:%llu", (unsigned long long)l->file_bytes,
				 (unsigned long long)l->file_bytes);
	if (l->cpu_seconds > 0) {
		/* SIGXCPU at the limit; SIGKILL a second later for a task that ignores it */
		unsigned long long cpu = (unsigned long long)(l->cpu_seconds + 0.999);
		rc |= strv_push(a, "--ulimit") | strv_pushf(a, "cpu=%llu:%llu", cpu, cpu + 1);
	}
	rc |= engine_oci_volumes(a, s);
	if (g.kind == GPU_ALL)
		rc |= strv_push(a, "--gpus") | strv_push(a, "all");
	else if (g.kind == GPU_COUNT)
		rc |= strv_push(a, "--gpus") | strv_pushf(a, "%ld", g.count);
	else if (g.kind == GPU_DEVICES)
		/* --gpus is CSV: a list of devices must be one quoted field */
		rc |= strv_push(a, "--gpus") |
		      (strchr(g.devices, ',') ? strv_pushf(a, "\"device=%s\"", g.devices)
					      : strv_pushf(a, "device=%s", g.devices));
	rc |= engine_oci_tail(a, s, image);
	free(tag);
	return rc ? mp_seterr(e, MP_ENOMEM, "cannot build the command line") : MP_OK;
}

static int command(const struct run_spec *s, struct strv *a, mp_errbuf *e)
{
	struct engine_ids ids;

	engine_task_ids(s, &ids);
	return docker_command_as(s, &ids, a, e);
}

static int run(const struct run_spec *s, struct run_report *rep, mp_errbuf *e)
{
	return engine_oci_run(&runner_docker, "docker", s, rep, e);
}

const struct runner_backend runner_docker = {"docker", available, command, run};
