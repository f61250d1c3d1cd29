/*
 * proc.h: start one command as a supervised process tree: its output to a
 * capped log (and to stderr when asked), resource limits set in the child
 * before exec, a wall-clock timeout that kills the whole tree, Ctrl-C
 * handled the same way, and a report of how it ended. Every backend runs
 * its command line through proc_run.
 */
#ifndef MP_PROC_H
#define MP_PROC_H

#include <stddef.h>
#include <sys/types.h>

#include "runner/runner.h"

struct proc_opts {
	char *const *argv;            /* argv[0] is looked up in PATH */
	char *const *envp;            /* NULL: this process's environment */
	const struct run_limits *limits; /* wall_seconds and log_bytes always apply */
	int set_rlimits;              /* 1: also apply cpu/memory/processes/file/open-files limits
				       * as rlimits in the child (native); engines pass their own flags */
	int drop_privileges;          /* 1: setgroups(0), setgid(gid), setuid(uid) in the child */
	uid_t uid;
	gid_t gid;
	/* descriptors passed to the child: fd_map[i][0] in this process becomes
	 * fd_map[i][1] (>= 3) in the child; every other descriptor is closed */
	const int (*fd_map)[2];
	size_t n_fd_map;
	const char *log_path;         /* created (0600) or truncated */
	int stream;                   /* copy output to stderr too */
	/* called once when the timeout or an interrupt stops the run, before the
	 * tree is killed (engines: stop the container by name); may be NULL */
	void (*on_stop)(void *arg);
	void *arg;
	const char *cwd;              /* NULL: this process's; else the child's working folder
				       * (engines: where conmon drops its "oom" marker) */
};

/*
 * Runs o->argv, waits for it and fills rep (stop, exit code, signal,
 * seconds, output bytes, max RSS, detail). MP_OK when the command ran,
 * whatever its outcome; an error (and RUN_NOT_STARTED in rep) when it could
 * not be started (no such program, no log file, fork failed).
 */
int proc_run(const struct proc_opts *o, struct run_report *rep, mp_errbuf *e);

/*
 * Runs a short helper command (podman load, docker stop, --version) with no
 * input, capturing at most max bytes of its standard output into *out
 * (malloc'd, NUL-terminated; may be NULL to discard) and discarding stderr
 * unless err_out is given. Returns the exit status (0-255), or a negative
 * mp_err when it could not run; times out after timeout_s seconds.
 */
int proc_capture(char *const *argv, double timeout_s, size_t max, char **out, char **err_out,
		 mp_errbuf *e);

#endif
