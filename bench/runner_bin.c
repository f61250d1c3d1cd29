/*
 * runner_bin.c: the timing driver of bench/runner. Runs /true of a program
 * tree N times through the native backend (runner_native.run: the floor's
 * bwrap plus everything medperf adds: seccomp export, supervision, log,
 * report) and N times as a bare bwrap call with the same command line and
 * descriptors (the floor), and prints the median milliseconds of each.
 *
 *   runner_bin TREE N
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner/runner.h"
#include "runner/sandbox.h"

extern char **environ;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int memfd_text(const char *text)
{
	int fd = memfd_create("bench", 0);
	if (fd < 0 || write(fd, text, strlen(text)) < 0 || lseek(fd, 0, SEEK_SET) != 0)
		return -1;
	return fd;
}

int main(int argc, char **argv)
{
	const char *cmd[] = {"/project/true", NULL};
	struct run_spec s;
	struct run_report rep;
	struct strv a = STRV_INIT;
	mp_errbuf e;
	char tmp[] = "/tmp/medperf-bench-runner-XXXXXX", log[64];
	char *end = NULL;
	long n = argc > 2 ? strtol(argv[2], &end, 10) : 0;
	double *ours, *floor_ms;

	if (argc < 3 || end == argv[2] || *end != '\0' || n < 1 || n > 100000 ||
	    mkdtemp(tmp) == NULL) {
		fprintf(stderr, "usage: runner_bin TREE N\n");
		return 2;
	}
	ours = calloc((size_t)n, sizeof(double));
	floor_ms = calloc((size_t)n, sizeof(double));
	snprintf(log, sizeof(log), "%s.log", tmp);
	memset(&s, 0, sizeof(s));
	s.kind = IMG_NATIVE_ARCHIVE;
	s.image = argv[1];
	s.command = cmd;
	s.tmp_dir = tmp;
	s.limits.processes = 1024;
	s.limits.open_files = 4096;
	s.limits.log_bytes = 1 << 20;
	s.log_path = log;
	s.name = "medperf-bench";
	s.run_uid = 65534;
	s.run_gid = 65534;
	if (runner_native.command(&s, &a, &e) != 0) {
		fprintf(stderr, "runner_bin: %s\n", e.msg);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		double t = now_ms();
		if (runner_native.run(&s, &rep, &e) != 0 || rep.stop != RUN_EXITED ||
		    rep.exit_code != 0) {
			fprintf(stderr, "runner_bin: native run failed: %s %s\n", e.msg, rep.detail);
			return 1;
		}
		ours[i] = now_ms() - t;
	}
	for (int i = 0; i < n; i++) {
		/* the floor: the same bwrap command line and descriptors, spawned and waited */
		posix_spawn_file_actions_t fa;
		int sfd = sandbox_seccomp_fd(&e), pfd, gfd, status;
		pid_t pid;
		double t = now_ms();
		pfd = memfd_text("root:x:0:0::/:/bin/false\nnobody:x:65534:65534::/tmp:/bin/false\n");
		gfd = memfd_text("root:x:0:\nnogroup:x:65534:\n");
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, sfd, SANDBOX_FD_SECCOMP);
		posix_spawn_file_actions_adddup2(&fa, pfd, SANDBOX_FD_PASSWD);
		posix_spawn_file_actions_adddup2(&fa, gfd, SANDBOX_FD_GROUP);
		if (posix_spawnp(&pid, "bwrap", &fa, NULL, a.v, environ) != 0 ||
		    waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			fprintf(stderr, "runner_bin: bare bwrap failed\n");
			return 1;
		}
		floor_ms[i] = now_ms() - t;
		posix_spawn_file_actions_destroy(&fa);
		close(sfd);
		close(pfd);
		close(gfd);
	}
	printf("native %.3f\nfloor %.3f\n", median(ours, (int)n), median(floor_ms, (int)n));
	strv_free(&a);
	unlink(log);
	rmdir(tmp);
	return 0;
}
