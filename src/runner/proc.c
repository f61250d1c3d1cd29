/*
 * proc.c: one command as a supervised process tree (see proc.h): a child in
 * its own session with its output on a pipe, limits applied before exec,
 * a poll loop that copies output to the capped log, waits for the exit on a
 * pidfd and enforces the wall-clock limit, SIGINT/SIGTERM/SIGHUP taken as
 * "stop the task", and the report of how it ended.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner/proc.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

extern char **environ;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int pidfd_of(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void set_limit(int res, uint64_t v)
{
	struct rlimit rl = {(rlim_t)v, (rlim_t)v};
	setrlimit(res, &rl);
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child(const struct proc_opts *o, int out, int errpipe, const sigset_t *mask)
{
	int err, nul = open("/dev/null", O_RDONLY);
	struct sigaction dfl;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	/* medperf ignores these; the task must get the default behaviour */
	sigaction(SIGPIPE, &dfl, NULL);
	sigaction(SIGXFSZ, &dfl, NULL);
	sigaction(SIGINT, &dfl, NULL);
	sigaction(SIGTERM, &dfl, NULL);
	sigaction(SIGHUP, &dfl, NULL);
	sigprocmask(SIG_SETMASK, mask, NULL);
	{
		/* the caller may hold these blocked around the run: the task gets them */
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, SIGINT);
		sigaddset(&s, SIGTERM);
		sigaddset(&s, SIGHUP);
		sigprocmask(SIG_UNBLOCK, &s, NULL);
	}
	setsid();
	if (nul < 0 || dup2(nul, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		goto fail;
	if (o->cwd && chdir(o->cwd) != 0)
		goto fail;
	/* passed descriptors: first out of the way (>= 100), then into place */
	for (size_t i = 0; i < o->n_fd_map; i++) {
		int t = fcntl(o->fd_map[i][0], F_DUPFD, 100 + (int)i);
		if (t < 0 || dup2(t, 100 + (int)i) < 0)
			goto fail;
	}
	for (size_t i = 0; i < o->n_fd_map; i++)
		if (dup2(100 + (int)i, o->fd_map[i][1]) < 0)
			goto fail;
	/* everything else closes on exec (the error pipe included) */
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
		for (int fd = 3; fd < 1024; fd++)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	for (size_t i = 0; i < o->n_fd_map; i++)
		fcntl(o->fd_map[i][1], F_SETFD, 0);
	if (o->set_rlimits && o->limits) {
		const struct run_limits *l = o->limits;
		if (l->cpu_seconds > 0) {
			/*
			 * soft < hard: at the limit the kernel sends SIGXCPU, which the
			 * report recognises through bwrap's exit status. With soft ==
			 * hard it sends SIGKILL, and the task's CPU time is not in the
			 * rusage we get (it is reaped inside the sandbox's PID
			 * namespace): the stop would read "killed by signal 9".
			 * A task that catches SIGXCPU is killed one second later.
			 */
			struct rlimit rl;
			rl.rlim_cur = (rlim_t)(l->cpu_seconds + 0.999);
			rl.rlim_max = rl.rlim_cur + 1;
			setrlimit(RLIMIT_CPU, &rl);
		}
		if (l->memory_bytes)
			set_limit(RLIMIT_AS, l->memory_bytes);
		if (l->processes > 0)
			set_limit(RLIMIT_NPROC, (uint64_t)l->processes);
		if (l->file_bytes)
			set_limit(RLIMIT_FSIZE, l->file_bytes);
		if (l->open_files > 0)
			set_limit(RLIMIT_NOFILE, (uint64_t)l->open_files);
		set_limit(RLIMIT_CORE, 0);
	}
	if (o->drop_privileges) {
		if (setgroups(0, NULL) != 0 || setresgid(o->gid, o->gid, o->gid) != 0 ||
		    setresuid(o->uid, o->uid, o->uid) != 0)
			goto fail;
	}
	execvpe(o->argv[0], o->argv, o->envp ? o->envp : environ);
fail:
	err = errno;
	if (write(errpipe, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

/* A signal number hidden in an exit status: bwrap and the engines exit 128+N. */
static int status_signal(int code)
{
	static const int sigs[] = {SIGKILL, SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL,
				   SIGXCPU, SIGXFSZ, SIGTERM, SIGSYS};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (code == 128 + sigs[i])
			return sigs[i];
	return 0;
}

/* What programs print when an allocation fails, in the last bytes of output. */
static int says_out_of_memory(const char *tail)
{
	static const char *const phrases[] = {
		"Cannot allocate memory", "cannot allocate memory", "out of memory",
		"Out of memory", "MemoryError", "bad_alloc", "memory exhausted",
		"failed to allocate", "Failed to allocate", "malloc failed",
	};
	for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++)
		if (strstr(tail, phrases[i]))
			return 1;
	return 0;
}

static void classify(const struct proc_opts *o, int status, const struct rusage *ru,
		     const char *tail, struct run_report *rep)
{
	const struct run_limits *l = o->limits;
	double cpu = (double)ru->ru_utime.tv_sec + (double)ru->ru_stime.tv_sec +
		     ((double)ru->ru_utime.tv_usec + (double)ru->ru_stime.tv_usec) / 1e6;
	int sig = 0;

	rep->max_rss_kib = (uint64_t)ru->ru_maxrss;
	if (rep->stop == RUN_TIMEOUT) {
		snprintf(rep->detail, sizeof(rep->detail), "stopped at the time limit of %g s",
			 l ? l->wall_seconds : 0.0);
		return;
	}
	if (rep->stop == RUN_INTERRUPTED) {
		snprintf(rep->detail, sizeof(rep->detail), "interrupted: the task was stopped "
			 "after %.2f s", rep->seconds);
		return;
	}
	if (WIFSIGNALED(status))
		sig = WTERMSIG(status);
	else if (WIFEXITED(status))
		sig = status_signal(WEXITSTATUS(status));
	rep->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + sig;
	rep->signal = sig;
	if (sig == SIGXCPU || (sig == SIGKILL && l && l->cpu_seconds > 0 && cpu >= l->cpu_seconds)) {
		rep->stop = RUN_CPU;
		snprintf(rep->detail, sizeof(rep->detail), "stopped at the CPU time limit of %g s",
			 l ? l->cpu_seconds : 0.0);
	} else if (sig == SIGXFSZ) {
		rep->stop = RUN_FILE_SIZE;
		snprintf(rep->detail, sizeof(rep->detail), "stopped: it wrote past the file size "
			 "limit of %llu bytes", l ? (unsigned long long)l->file_bytes : 0ULL);
	} else if (l && l->memory_bytes && (sig || rep->exit_code != 0) &&
		   says_out_of_memory(tail)) {
		rep->stop = RUN_MEMORY;
		snprintf(rep->detail, sizeof(rep->detail), "ran out of memory at the limit of "
			 "%llu MiB (exit status %d)", (unsigned long long)(l->memory_bytes >> 20),
			 rep->exit_code);
	} else if (sig) {
		rep->stop = RUN_SIGNAL;
		snprintf(rep->detail, sizeof(rep->detail), "killed by signal %d (%s)", sig,
			 strsignal(sig));
	} else {
		rep->stop = RUN_EXITED;
		snprintf(rep->detail, sizeof(rep->detail), "exited with status %d after %.2f s",
			 rep->exit_code, rep->seconds);
	}
}

static void ignore(ssize_t r)
{
	(void)r;
}

/* Copies one chunk of output to the log (up to its cap) and to stderr. */
static void take_output(const struct proc_opts *o, int logfd, const char *b, size_t n,
			struct run_report *rep, char *tail, size_t tail_cap)
{
	uint64_t cap = o->limits && o->limits->log_bytes ? o->limits->log_bytes : UINT64_MAX;
	size_t keep;

	if (rep->output_bytes < cap) {
		size_t w = (uint64_t)n < cap - rep->output_bytes ? n : (size_t)(cap - rep->output_bytes);
		/* a full disk must not stop the task: the report still counts */
		ignore(write(logfd, b, w));
	}
	if (rep->output_bytes + n > cap && !rep->log_truncated) {
		char note[96];
		int k = snprintf(note, sizeof(note), "\n[medperf: log truncated at %llu bytes]\n",
				 (unsigned long long)cap);
		ignore(write(logfd, note, (size_t)k));
		rep->log_truncated = 1;
	}
	rep->output_bytes += n;
	if (o->stream)
		ignore(write(2, b, n));
	/* the last bytes (NULs made spaces), for the out-of-memory check */
	if (n > tail_cap - 1) {
		b += n - (tail_cap - 1);
		n = tail_cap - 1;
	}
	keep = strlen(tail);
	if (keep + n > tail_cap - 1) {
		memmove(tail, tail + (keep + n - (tail_cap - 1)), tail_cap - 1 - n);
		keep = tail_cap - 1 - n;
	}
	for (size_t i = 0; i < n; i++)
		tail[keep + i] = b[i] ? b[i] : ' ';
	tail[keep + n] = '\0';
}

int proc_run(const struct proc_opts *o, struct run_report *rep, mp_errbuf *e)
{
	int out[2] = {-1, -1}, errp[2] = {-1, -1}, logfd, sfd = -1, pfd = -1, status = 0;
	int exited = 0, eof = 0, stopped = 0, rc = MP_OK, err = 0;
	double start, deadline, drain_until = 0;
	sigset_t block, old;
	struct rusage ru;
	char tail[4096] = "";
	pid_t pid;

	memset(rep, 0, sizeof(*rep));
	memset(&ru, 0, sizeof(ru));
	rep->stop = RUN_NOT_STARTED;
	logfd = open(o->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (logfd < 0) {
		rc = mp_seterr(e, MP_EIO, "cannot create the log '%s': %s", o->log_path,
			       strerror(errno));
		snprintf(rep->detail, sizeof(rep->detail), "%s", e ? e->msg : "no log");
		return rc;
	}
	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
		rc = mp_seterr(e, MP_EIO, "cannot make a pipe: %s", strerror(errno));
		goto done;
	}
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	sfd = signalfd(-1, &block, SFD_CLOEXEC | SFD_NONBLOCK);
	start = now();
	pid = fork();
	if (pid < 0) {
		rc = mp_seterr(e, MP_EIO, "cannot start '%s': %s", o->argv[0], strerror(errno));
		sigprocmask(SIG_SETMASK, &old, NULL);
		goto done;
	}
	if (pid == 0)
		child(o, out[1], errp[1], &old);
	close(out[1]);
	close(errp[1]);
	out[1] = errp[1] = -1;
	if (read(errp[0], &err, sizeof(err)) == (ssize_t)sizeof(err)) {
		/* exec failed: the child wrote errno and exits 127 */
		waitpid(pid, &status, 0);
		sigprocmask(SIG_SETMASK, &old, NULL);
		rc = mp_seterr(e, MP_ENOTFOUND, "cannot run '%s': %s", o->argv[0], strerror(err));
		snprintf(rep->detail, sizeof(rep->detail), "%s", e ? e->msg : "not started");
		goto done;
	}
	pfd = pidfd_of(pid);
	deadline = o->limits && o->limits->wall_seconds > 0 ? start + o->limits->wall_seconds : 0;
	rep->stop = RUN_EXITED;
	while (!exited || !eof) {
		struct pollfd p[3] = {{out[0], POLLIN, 0}, {sfd, POLLIN, 0}, {pfd, POLLIN, 0}};
		double t = now(), until = 0;
		int ms = -1, n;

		if (eof)
			p[0].fd = -1;
		if (exited)
			p[2].fd = -1;
		if (deadline && !stopped)
			until = deadline;
		if (exited && (until == 0 || drain_until < until))
			until = drain_until;
		if (until)
			ms = until > t ? (int)((until - t) * 1000) + 1 : 0;
		if (pfd < 0 && !exited && (ms < 0 || ms > 50))
			ms = 50; /* no pidfd (old kernel): look every 50 ms */
		n = poll(p, 3, ms);
		if (n < 0 && errno != EINTR)
			break;
		if (p[0].revents) {
			char b[65536];
			ssize_t r = read(out[0], b, sizeof(b));
			if (r > 0)
				take_output(o, logfd, b, (size_t)r, rep, tail, sizeof(tail));
			else if (r == 0 || (errno != EINTR && errno != EAGAIN))
				eof = 1;
		}
		if (p[1].revents) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				;
			if (!stopped && !exited) {
				stopped = 1;
				rep->stop = RUN_INTERRUPTED;
				if (o->on_stop)
					o->on_stop(o->arg);
				kill(-pid, SIGKILL);
			}
		}
		if (!exited && (p[2].revents || pfd < 0)) {
			pid_t w = wait4(pid, &status, WNOHANG, &ru);
			if (w == pid) {
				exited = 1;
				rep->seconds = now() - start;
				/* leftovers in the group (an engine client's helpers) go too */
				kill(-pid, SIGKILL);
				drain_until = now() + 2.0;
			}
		}
		t = now();
		if (!stopped && !exited && deadline && t >= deadline) {
			stopped = 1;
			rep->stop = RUN_TIMEOUT;
			if (o->on_stop)
				o->on_stop(o->arg);
			kill(-pid, SIGKILL);
		}
		if (exited && !eof && t >= drain_until)
			break; /* someone kept the pipe open: enough */
	}
	if (!exited) {
		kill(-pid, SIGKILL);
		wait4(pid, &status, 0, &ru);
		rep->seconds = now() - start;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	classify(o, status, &ru, tail, rep);
done:
	if (sfd >= 0)
		close(sfd);
	if (pfd >= 0)
		close(pfd);
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	close(logfd);
	return rc;
}

/* Reads what is there on fd into b (capped); 1 at EOF. */
static int drain(int fd, char **b, size_t *len, size_t max)
{
	char chunk[8192];
	ssize_t r = read(fd, chunk, sizeof(chunk));

	if (r <= 0)
		return r == 0 || (errno != EINTR && errno != EAGAIN);
	if (b && *len < max) {
		size_t k = (size_t)r < max - *len ? (size_t)r : max - *len;
		char *nb = realloc(*b, *len + k + 1);
		if (nb) {
			memcpy(nb + *len, chunk, k);
			*len += k;
			nb[*len] = '\0';
			*b = nb;
		}
	}
	return 0;
}

int proc_capture(char *const *argv, double timeout_s, size_t max, char **out, char **err_out,
		 mp_errbuf *e)
{
	int po[2], pe[2], errp[2], status = 0, err = 0, done_o = 0, done_e = 0;
	size_t lo = 0, le = 0;
	char *bo = NULL, *be = NULL;
	double deadline = now() + timeout_s;
	pid_t pid;

	if (out)
		*out = NULL;
	if (err_out)
		*err_out = NULL;
	if (pipe2(po, O_CLOEXEC) != 0)
		return mp_seterr(e, MP_EIO, "cannot make a pipe: %s", strerror(errno));
	if (pipe2(pe, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
		close(po[0]);
		close(po[1]);
		return mp_seterr(e, MP_EIO, "cannot make a pipe: %s", strerror(errno));
	}
	pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		struct sigaction dfl;
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		sigaction(SIGPIPE, &dfl, NULL);
		setsid();
		if (nul >= 0)
			dup2(nul, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		execvp(argv[0], argv);
		err = errno;
		if (write(errp[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	close(errp[1]);
	if (pid < 0 || read(errp[0], &err, sizeof(err)) == (ssize_t)sizeof(err)) {
		if (pid > 0)
			waitpid(pid, &status, 0);
		close(po[0]);
		close(pe[0]);
		close(errp[0]);
		return mp_seterr(e, MP_ENOTFOUND, "cannot run '%s': %s", argv[0],
				 strerror(pid < 0 ? errno : err));
	}
	close(errp[0]);
	while (!done_o || !done_e) {
		struct pollfd p[2] = {{done_o ? -1 : po[0], POLLIN, 0}, {done_e ? -1 : pe[0], POLLIN, 0}};
		double t = now();
		if (t >= deadline) {
			kill(-pid, SIGKILL);
			break;
		}
		if (poll(p, 2, (int)((deadline - t) * 1000) + 1) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			done_o = drain(po[0], out ? &bo : NULL, &lo, max);
		if (p[1].revents)
			done_e = drain(pe[0], err_out ? &be : NULL, &le, max);
	}
	close(po[0]);
	close(pe[0]);
	if (now() >= deadline)
		kill(-pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (out)
		*out = bo ? bo : strdup("");
	else
		free(bo);
	if (err_out)
		*err_out = be ? be : strdup("");
	else
		free(be);
	if (now() >= deadline && !(WIFEXITED(status)))
		return mp_seterr(e, MP_EIO, "'%s' did not finish within %g s", argv[0], timeout_s);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
