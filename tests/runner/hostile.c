/*
 * hostile.c: the task of tests/runner: one static program, one subcommand
 * per attack on the sandbox it runs in. Each attack prints exactly one line
 *
 *     RESULT <attack> <ok|fail> <errno-name or -> [key=value ...]
 *
 * so that a test asserts the specific way an attempt failed (EPERM from the
 * seccomp filter, EROFS from a read-only mount, ENOENT for what is not in the
 * sandbox, ...), not just a non-zero exit. "hostile multi 'a x' 'b y'" runs
 * several subcommands (words split on spaces) in one process, in order.
 *
 * Every attack is harmless when it succeeds (so a sandbox that fails to
 * block it breaks nothing): network attempts only ever target 127.0.0.1 and
 * ::1 on a port the test gives (its own listener), reboot and module calls
 * use invalid arguments, mounts go on a fresh folder of the task's /tmp.
 *
 * Built by the tests with `cc -static -O1` (it needs nothing from the
 * sandbox or the image: it also runs alone in a FROM scratch OCI image).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef AF_PACKET
#define AF_PACKET 17
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

static const char *self_exe = "/proc/self/exe";

static const char *ename(int e)
{
	const char *n = e ? strerrorname_np(e) : NULL;
	static char b[32];

	if (n)
		return n;
	snprintf(b, sizeof(b), "E%d", e);
	return b;
}

/* One result line; extra is "" or " key=value ...". Flushed at once (the task may die next). */
static void result(const char *attack, int ok, int err, const char *extra)
{
	printf("RESULT %s %s %s%s\n", attack, ok ? "ok" : "fail", ok ? "-" : ename(err),
	       extra ? extra : "");
	fflush(stdout);
}

/* rc < 0 means failed with errno. */
/*
 * A whole decimal number from the command line (or a /proc/self/fd name):
 * anything else, or a value past [lo, hi], ends the program with status 2,
 * so a test never runs with a silently wrong count.
 */
static long num(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "hostile: '%s' is not a number from %ld to %ld\n", s, lo, hi);
		exit(2);
	}
	return v;
}

static void by_rc(const char *attack, long rc)
{
	result(attack, rc >= 0, rc >= 0 ? 0 : errno, NULL);
}

static void named(char *out, size_t n, const char *what, const char *arg)
{
	snprintf(out, n, "%s:%s", what, arg);
}

/* ---- network: only to the loopback listener of the test ---- */

static int loopback(int family, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (port <= 0 || port > 65535)
		return -1;
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* 127.0.0.1, nothing else */
		*len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		a->sin6_addr = in6addr_loopback; /* ::1, nothing else */
		*len = sizeof(*a);
	}
	return 0;
}

static void net(const char *attack, int family, int type, const char *port_s)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int s, port = (int)num(port_s, 1, 65535);

	if (loopback(family, port, &ss, &len) != 0) {
		result(attack, 0, EINVAL, " stage=args");
		return;
	}
	s = socket(family, type | SOCK_CLOEXEC, 0);
	if (s < 0) {
		result(attack, 0, errno, " stage=socket");
		return;
	}
	if (type == SOCK_STREAM) {
		if (connect(s, (struct sockaddr *)&ss, len) != 0) {
			result(attack, 0, errno, " stage=connect");
		} else if (write(s, "hostile\n", 8) != 8) {
			result(attack, 0, errno, " stage=send");
		} else {
			result(attack, 1, 0, " stage=connected");
		}
	} else {
		if (sendto(s, "hostile\n", 8, 0, (struct sockaddr *)&ss, len) != 8)
			result(attack, 0, errno, " stage=send");
		else
			result(attack, 1, 0, " stage=sent");
	}
	close(s);
}

static void sock(const char *attack, int family, int type, int proto)
{
	int s = socket(family, type | SOCK_CLOEXEC, proto);

	if (s < 0) {
		result(attack, 0, errno, NULL);
		return;
	}
	if (family == AF_NETLINK) {
		/* what a netlink socket can see: the interfaces of this network namespace */
		result(attack, 1, 0, " stage=socket");
	} else {
		result(attack, 1, 0, NULL);
	}
	close(s);
}

static void unixpair(void)
{
	int sv[2];
	char b[8] = "";

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		result("unixpair", 0, errno, NULL);
		return;
	}
	if (write(sv[0], "ping", 4) != 4 || read(sv[1], b, sizeof(b)) != 4 || memcmp(b, "ping", 4))
		result("unixpair", 0, errno ? errno : EIO, " stage=io");
	else
		result("unixpair", 1, 0, NULL);
	close(sv[0]);
	close(sv[1]);
}

/*
 * The same socket() through another system call table: the 32-bit one
 * (int 0x80, i386 socket = 359) and x32 (41 | 0x40000000). The filter is
 * for x86-64 calls; calls of another ABI must not slip past it (they kill
 * the task, or the kernel does not offer them: ENOSYS).
 */
static void other_abi(const char *which)
{
#if defined(__x86_64__)
	long rc;
	if (strcmp(which, "int80") == 0) {
		result("int80-socket", 1, 0, " stage=trying");
		__asm__ volatile("int $0x80"
				 : "=a"(rc)
				 : "a"(359L), "b"((long)AF_INET), "c"((long)SOCK_STREAM), "d"(0L)
				 : "memory");
	} else {
		result("x32-socket", 1, 0, " stage=trying");
		rc = syscall(41 | 0x40000000L, AF_INET, SOCK_STREAM, 0);
		if (rc < 0)
			rc = -errno;
	}
	/* still alive: what the kernel answered */
	if (rc >= 0)
		close((int)rc);
	result(strcmp(which, "int80") == 0 ? "int80-socket-done" : "x32-socket-done", rc >= 0,
	       rc < 0 ? (int)-rc : 0, NULL);
#else
	result(which, 0, ENOSYS, " stage=not-x86-64");
#endif
}

/* Connects to a unix socket: "@name" is abstract (per network namespace), else a path. */
static void unixconnect(const char *name)
{
	char a[600];
	struct sockaddr_un {
		sa_family_t sun_family;
		char sun_path[108];
	} sa;
	socklen_t len;
	size_t n = strlen(name);
	int s;

	named(a, sizeof(a), "unixconnect", name);
	if (n >= sizeof(sa.sun_path)) {
		result(a, 0, ENAMETOOLONG, NULL);
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (name[0] == '@' ? 0 : 1));
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		result(a, 0, errno, " stage=socket");
		return;
	}
	if (connect(s, (struct sockaddr *)&sa, len) != 0)
		result(a, 0, errno, " stage=connect");
	else
		result(a, 1, 0, " stage=connected");
	close(s);
}

/* The descriptors this process has: "fds=0:/dev/null,1:pipe:[..],..." */
static void fds(void)
{
	char extra[4096];
	size_t k = (size_t)snprintf(extra, sizeof(extra), " fds=");
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0, me = d ? dirfd(d) : -1;

	if (d == NULL) {
		result("fds", 0, errno, NULL);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char p[64], t[256];
		ssize_t m;
		if (de->d_name[0] == '.' || num(de->d_name, 0, INT_MAX) == me)
			continue;
		snprintf(p, sizeof(p), "/proc/self/fd/%.20s", de->d_name);
		m = readlink(p, t, sizeof(t) - 1);
		t[m > 0 ? m : 0] = '\0';
		for (char *q = t; *q; q++)
			if (*q == ' ' || *q == ',')
				*q = '_';
		if (k < sizeof(extra))
			k += (size_t)snprintf(extra + k, sizeof(extra) - k, "%s%s:%s", n ? "," : "",
					      de->d_name, t);
		n++;
	}
	closedir(d);
	result("fds", 1, 0, extra);
}

/* ---- files ---- */

static void do_read(const char *path)
{
	char a[600], b[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	named(a, sizeof(a), "read", path);
	if (fd < 0) {
		result(a, 0, errno, NULL);
		return;
	}
	/* a folder opens too; reading it fails with EISDIR, which still means "visible" */
	if (read(fd, b, sizeof(b)) < 0 && errno != EISDIR)
		result(a, 0, errno, " stage=read");
	else
		result(a, 1, 0, NULL);
	close(fd);
}

static void do_stat(const char *path)
{
	char a[600];
	struct stat st;

	char extra[128];

	named(a, sizeof(a), "stat", path);
	if (lstat(path, &st) != 0) {
		result(a, 0, errno, NULL);
		return;
	}
	snprintf(extra, sizeof(extra), " mode=%o uid=%u gid=%u size=%lld", (unsigned)st.st_mode,
		 (unsigned)st.st_uid, (unsigned)st.st_gid, (long long)st.st_size);
	result(a, 1, 0, extra);
}

/* Creates (or truncates) path and writes a line. */
static void do_write(const char *path)
{
	char a[600];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	named(a, sizeof(a), "write", path);
	if (fd < 0) {
		result(a, 0, errno, NULL);
		return;
	}
	if (write(fd, "hostile\n", 8) != 8)
		result(a, 0, errno, " stage=write");
	else
		result(a, 1, 0, NULL);
	close(fd);
}

/* Opens an existing file for writing, writes nothing (sysrq-trigger and the like). */
static void do_openw(const char *path)
{
	char a[600];
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	named(a, sizeof(a), "openw", path);
	if (fd < 0) {
		result(a, 0, errno, NULL);
		return;
	}
	result(a, 1, 0, NULL);
	close(fd);
}

static void do_mkdir(const char *path)
{
	char a[600];
	named(a, sizeof(a), "mkdir", path);
	by_rc(a, mkdir(path, 0755));
}

static void do_unlink(const char *path)
{
	char a[600];
	named(a, sizeof(a), "unlink", path);
	by_rc(a, unlink(path));
}

static void do_symlink(const char *target, const char *link)
{
	char a[600];
	named(a, sizeof(a), "symlink", link);
	by_rc(a, symlink(target, link));
}

static void do_link(const char *from, const char *to)
{
	char a[600];
	named(a, sizeof(a), "link", to);
	by_rc(a, link(from, to));
}

static void do_rename(const char *from, const char *to)
{
	char a[600];
	named(a, sizeof(a), "rename", to);
	by_rc(a, rename(from, to));
}

static void do_mkfifo(const char *path)
{
	char a[600];
	named(a, sizeof(a), "mkfifo", path);
	by_rc(a, mkfifo(path, 0644));
}

static void do_mknod(const char *path)
{
	char a[600];
	named(a, sizeof(a), "mknod", path);
	by_rc(a, mknod(path, S_IFCHR | 0666, makedev(1, 3)));
}

/* Copies this program to path with mode (octal), e.g. a setuid copy in an output. */
static void copyself(const char *path, const char *mode_s)
{
	char a[600], b[65536];
	int in = open(self_exe, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;
	mode_t mode = (mode_t)strtoul(mode_s, NULL, 8);

	named(a, sizeof(a), "copyself", path);
	if (in < 0) {
		result(a, 0, errno, " stage=open-self");
		return;
	}
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0) {
		result(a, 0, errno, NULL);
		close(in);
		return;
	}
	while ((n = read(in, b, sizeof(b))) > 0)
		if (write(out, b, (size_t)n) != n)
			break;
	close(in);
	if (n != 0 || fchmod(out, mode) != 0)
		result(a, 0, errno, " stage=copy");
	else
		result(a, 1, 0, NULL);
	close(out);
}

/* Prints a (small) file: "LINE <path> <text>" per line, then its RESULT. */
static void do_cat(const char *path)
{
	char a[600], line[512];
	FILE *f = fopen(path, "r");

	named(a, sizeof(a), "cat", path);
	if (f == NULL) {
		result(a, 0, errno, NULL);
		return;
	}
	for (int n = 0; n < 200 && fgets(line, sizeof(line), f); n++) {
		line[strcspn(line, "\n")] = '\0';
		printf("LINE %s %s\n", path, line);
	}
	fclose(f);
	result(a, 1, 0, NULL);
}

/* Lists a folder: RESULT ls:PATH ok - n=N names=a,b,c */
static void do_ls(const char *path)
{
	char a[600], extra[4096];
	DIR *d = opendir(path);
	struct dirent *de;
	size_t k;
	int n = 0;

	named(a, sizeof(a), "ls", path);
	if (d == NULL) {
		result(a, 0, errno, NULL);
		return;
	}
	k = (size_t)snprintf(extra, sizeof(extra), " names=");
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (k < sizeof(extra))
			k += (size_t)snprintf(extra + k, sizeof(extra) - k, "%s%s", n ? "," : "",
					      de->d_name);
		n++;
	}
	closedir(d);
	if (k < sizeof(extra))
		snprintf(extra + k, sizeof(extra) - k, " n=%d", n);
	result(a, 1, 0, extra);
}

/* ---- limits ---- */

static void forkbomb(const char *n_s)
{
	int n = (int)num(n_s, 0, 1000000), count = 0, err = 0;
	pid_t *kids = calloc((size_t)(n > 0 ? n : 1), sizeof(pid_t));
	char extra[64];

	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0) {
			for (;;)
				pause();
		}
		if (p < 0) {
			err = errno;
			break;
		}
		kids[count++] = p;
	}
	snprintf(extra, sizeof(extra), " count=%d", count);
	result("fork", err == 0, err, extra);
	for (int i = 0; i < count; i++)
		kill(kids[i], SIGKILL);
	for (int i = 0; i < count; i++)
		waitpid(kids[i], NULL, 0);
	free(kids);
}

/* Maps and touches MiB one at a time; on failure says so the way programs do. */
static void alloc(const char *mib_s, int quiet)
{
	long mib = num(mib_s, 0, 1L << 20), got = 0;
	char extra[64];

	for (; got < mib; got++) {
		void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		if (p == MAP_FAILED) {
			int err = errno;
			snprintf(extra, sizeof(extra), " mib=%ld", got);
			result("alloc", 0, err, extra);
			if (!quiet) {
				fprintf(stderr, "hostile: out of memory after %ld MiB\n", got);
				exit(3);
			}
			return;
		}
		memset(p, 0x5a, 1 << 20);
	}
	snprintf(extra, sizeof(extra), " mib=%ld", got);
	result("alloc", 1, 0, extra);
}

/* Writes MiB to path, 64 KiB at a time. */
static void fsize(const char *path, const char *mib_s, int ignore_xfsz)
{
	static char b[65536];
	long total = num(mib_s, 0, 1L << 20) << 20, done = 0;
	char extra[64];
	int fd;

	if (ignore_xfsz)
		signal(SIGXFSZ, SIG_IGN);
	memset(b, 'x', sizeof(b));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		result("fsize", 0, errno, " stage=open");
		return;
	}
	while (done < total) {
		ssize_t w = write(fd, b, sizeof(b));
		if (w <= 0) {
			snprintf(extra, sizeof(extra), " bytes=%ld", done);
			result("fsize", 0, w < 0 ? errno : EIO, extra);
			close(fd);
			return;
		}
		done += w;
	}
	snprintf(extra, sizeof(extra), " bytes=%ld", done);
	result("fsize", 1, 0, extra);
	close(fd);
}

static void busy(void)
{
	volatile unsigned long x = 0;
	result("cpu", 1, 0, " stage=spinning");
	for (;;)
		x++;
}

static void sleeper(const char *secs, const char *marker, const char *who)
{
	double end;
	struct timespec ts;

	(void)marker;
	(void)who;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = (double)ts.tv_sec + atof(secs);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if ((double)ts.tv_sec >= end)
			break;
		sleep(1);
	}
}

/*
 * A tree that tries to outlive its time limit: this process (sleeping), a
 * child that ignores SIGTERM, SIGHUP and SIGINT, and a grandchild in a
 * session of its own. Each carries marker in its argv (the test looks for it).
 */
static void sleeptree(const char *secs, const char *marker)
{
	pid_t c = fork();

	if (c == 0) {
		pid_t g;
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		g = fork();
		if (g == 0) {
			setsid();
			execl(self_exe, "hostile", "sleeper", secs, marker, "grandchild", (char *)NULL);
			_exit(127);
		}
		execl(self_exe, "hostile", "sleeper", secs, marker, "child", (char *)NULL);
		_exit(127);
	}
	result("sleeptree", c > 0, c > 0 ? 0 : errno, NULL);
	execl(self_exe, "hostile", "sleeper", secs, marker, "parent", (char *)NULL);
	sleeper(secs, marker, "parent");
}

/*
 * A task that exits at once, leaving a daemon behind (its own session, no
 * descriptor on the output pipe) that keeps writing into path: after medperf
 * reported, nothing of the task may still be running or writing.
 */
static void linger(const char *path, const char *secs, const char *marker)
{
	pid_t c = fork();

	if (c == 0) {
		int nul = open("/dev/null", O_RDWR);
		struct timespec t0, t;
		long n = 0;
		setsid();
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
		if (fork() != 0)
			_exit(0);
		(void)marker;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (;;) {
			char b[64];
			int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			int k = snprintf(b, sizeof(b), "%ld\n", ++n);
			if (fd >= 0) {
				if (write(fd, b, (size_t)k) < 0)
					n += 0;
				close(fd);
			}
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec - t0.tv_sec >= num(secs, 0, 86400))
				_exit(0);
		}
	}
	waitpid(c, NULL, 0);
	usleep(50000);
	result("linger", c > 0, c > 0 ? 0 : errno, NULL);
}

/* ---- other processes ---- */

static pid_t spawn_pauser(void)
{
	pid_t p = fork();
	if (p == 0) {
		for (;;)
			pause();
	}
	return p;
}

static void reap(pid_t p)
{
	if (p > 0) {
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
	}
}

static void trace(const char *attack, pid_t target)
{
	long rc = ptrace(PTRACE_ATTACH, target, NULL, NULL);
	int err = errno;

	if (rc == 0) {
		waitpid(target, NULL, __WALL);
		ptrace(PTRACE_DETACH, target, NULL, NULL);
	}
	result(attack, rc == 0, err, NULL);
}

static void vmread(const char *attack, pid_t target)
{
	char local[16];
	static char remote_var[16] = "secret";
	struct iovec l = {local, sizeof(local)}, r = {remote_var, sizeof(remote_var)};
	ssize_t n = process_vm_readv(target, &l, 1, &r, 1, 0);

	result(attack, n >= 0, n >= 0 ? 0 : errno, NULL);
}

/* ---- system calls that change the kernel, namespaces or mounts ---- */

/* Runs a system call in a child (namespace changes would stay with us); errno comes back as status. */
static void in_child(const char *attack, long (*fn)(void))
{
	int st = 0;
	pid_t p = fork();

	if (p == 0) {
		long rc = fn();
		_exit(rc < 0 ? (errno & 0x7f) : 0);
	}
	if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st)) {
		result(attack, 0, p < 0 ? errno : ECHILD, " stage=child");
		return;
	}
	result(attack, WEXITSTATUS(st) == 0, WEXITSTATUS(st), NULL);
}

static long c_unshare_user(void) { return unshare(CLONE_NEWUSER); }
static long c_unshare_net(void) { return unshare(CLONE_NEWNET); }
static long c_unshare_mnt(void) { return unshare(CLONE_NEWNS); }

static long c_setns(void)
{
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	return setns(fd, CLONE_NEWNET);
}

static long c_mount(void)
{
	char dir[] = "/tmp/hostile-mnt-XXXXXX";
	long rc;
	if (mkdtemp(dir) == NULL)
		return -1;
	rc = mount("none", dir, "tmpfs", 0, "size=1m");
	if (rc == 0)
		umount2(dir, MNT_DETACH);
	return rc;
}

static long c_chroot(void) { return chroot("/tmp"); }

static long clone_flags(unsigned long flags)
{
	long p = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
	if (p == 0)
		_exit(0);
	if (p > 0)
		waitpid((pid_t)p, NULL, 0);
	return p < 0 ? -1 : 0;
}

static long c_clone_newnet(void) { return clone_flags(CLONE_NEWNET); }
static long c_clone_newuser(void) { return clone_flags(CLONE_NEWUSER); }
static long c_clone_newns(void) { return clone_flags(CLONE_NEWNS); }

static long c_clone3(void)
{
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	} args;
	long p;
	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	p = syscall(SYS_clone3, &args, sizeof(args));
	if (p == 0)
		_exit(0);
	if (p > 0)
		waitpid((pid_t)p, NULL, 0);
	return p < 0 ? -1 : 0;
}

static void kernel_calls(const char *which)
{
	long rc;

	if (strcmp(which, "bpf") == 0) {
		union bpf_attr attr;
		memset(&attr, 0, sizeof(attr));
		attr.map_type = BPF_MAP_TYPE_ARRAY;
		attr.key_size = 4;
		attr.value_size = 4;
		attr.max_entries = 1;
		rc = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
		if (rc >= 0)
			close((int)rc);
		by_rc("bpf", rc);
	} else if (strcmp(which, "keyctl") == 0) {
		by_rc("keyctl", syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID,
					KEY_SPEC_SESSION_KEYRING, 0));
	} else if (strcmp(which, "add_key") == 0) {
		by_rc("add_key", syscall(SYS_add_key, "user", "hostile", "x", 1,
					 KEY_SPEC_PROCESS_KEYRING));
	} else if (strcmp(which, "perf_event_open") == 0) {
		struct perf_event_attr pa;
		memset(&pa, 0, sizeof(pa));
		pa.type = PERF_TYPE_SOFTWARE;
		pa.size = sizeof(pa);
		pa.config = PERF_COUNT_SW_CPU_CLOCK;
		pa.disabled = 1;
		pa.exclude_kernel = 1;
		pa.exclude_hv = 1;
		rc = syscall(SYS_perf_event_open, &pa, 0, -1, -1, 0);
		if (rc >= 0)
			close((int)rc);
		by_rc("perf_event_open", rc);
	} else if (strcmp(which, "userfaultfd") == 0) {
		rc = syscall(SYS_userfaultfd, O_CLOEXEC);
		if (rc >= 0)
			close((int)rc);
		by_rc("userfaultfd", rc);
	} else if (strcmp(which, "init_module") == 0) {
		/* no image: EFAULT/ENOEXEC if it were allowed */
		by_rc("init_module", syscall(SYS_init_module, NULL, 0, ""));
	} else if (strcmp(which, "finit_module") == 0) {
		by_rc("finit_module", syscall(SYS_finit_module, -1, "", 0));
	} else if (strcmp(which, "delete_module") == 0) {
		by_rc("delete_module", syscall(SYS_delete_module, "hostile_no_such_module", 0));
	} else if (strcmp(which, "reboot") == 0) {
		/* invalid magic numbers: EINVAL even if it were allowed, never a reboot */
		by_rc("reboot", syscall(SYS_reboot, 0, 0, 0, NULL));
	} else if (strcmp(which, "kexec_load") == 0) {
		by_rc("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0xffffffffUL));
	} else if (strcmp(which, "syslog") == 0) {
		char b[64];
		by_rc("syslog", syscall(SYS_syslog, 3 /* READ_ALL */, b, sizeof(b)));
	} else if (strcmp(which, "acct") == 0) {
		by_rc("acct", syscall(SYS_acct, NULL)); /* turning accounting off, if anything */
	} else if (strcmp(which, "io_uring_setup") == 0) {
		char params[120];
		memset(params, 0, sizeof(params));
		rc = syscall(SYS_io_uring_setup, 1, params);
		if (rc >= 0)
			close((int)rc);
		by_rc("io_uring_setup", rc);
	} else if (strcmp(which, "open_by_handle_at") == 0) {
		struct {
			unsigned int bytes;
			int type;
			unsigned char h[8];
		} fh = {8, 1, {2, 0, 0, 0, 0, 0, 0, 0}}; /* the "shocker" call: the root inode */
		int mfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		rc = syscall(SYS_open_by_handle_at, mfd, &fh, O_RDONLY);
		if (rc >= 0)
			close((int)rc);
		by_rc("open_by_handle_at", rc);
		if (mfd >= 0)
			close(mfd);
	} else if (strcmp(which, "tiocsti") == 0) {
		char c = '\n';
		by_rc("tiocsti", ioctl(0, TIOCSTI, &c)); /* stdin: nothing to type into, anyway */
	} else if (strcmp(which, "pidfd_getfd") == 0) {
		int pfd = (int)syscall(SYS_pidfd_open, getppid() > 0 ? getppid() : 1, 0);
		if (pfd < 0) {
			result("pidfd_getfd", 0, errno, " stage=pidfd_open");
			return;
		}
		rc = syscall(SYS_pidfd_getfd, pfd, 0, 0);
		if (rc >= 0)
			close((int)rc);
		by_rc("pidfd_getfd", rc);
		close(pfd);
	} else if (strcmp(which, "setuid0") == 0) {
		by_rc("setuid0", setresuid(0, 0, 0) == 0 ? 0 : -1);
	} else if (strcmp(which, "setgroups") == 0) {
		gid_t g = 0;
		by_rc("setgroups", setgroups(1, &g));
	} else if (strcmp(which, "unshare-user") == 0) {
		in_child("unshare-user", c_unshare_user);
	} else if (strcmp(which, "unshare-net") == 0) {
		in_child("unshare-net", c_unshare_net);
	} else if (strcmp(which, "unshare-mnt") == 0) {
		in_child("unshare-mnt", c_unshare_mnt);
	} else if (strcmp(which, "setns") == 0) {
		in_child("setns", c_setns);
	} else if (strcmp(which, "mount") == 0) {
		in_child("mount", c_mount);
	} else if (strcmp(which, "chroot") == 0) {
		in_child("chroot", c_chroot);
	} else if (strcmp(which, "clone-newnet") == 0) {
		in_child("clone-newnet", c_clone_newnet);
	} else if (strcmp(which, "clone-newuser") == 0) {
		in_child("clone-newuser", c_clone_newuser);
	} else if (strcmp(which, "clone-newns") == 0) {
		in_child("clone-newns", c_clone_newns);
	} else if (strcmp(which, "clone3") == 0) {
		in_child("clone3", c_clone3);
	} else {
		result(which, 0, EINVAL, " stage=unknown-call");
	}
}

/* ---- what the task is and sees ---- */

static void whoami(void)
{
	uid_t r, e, s;
	gid_t rg, eg, sg, groups[64];
	int n = getgroups(64, groups);
	char extra[512];
	size_t k;

	getresuid(&r, &e, &s);
	getresgid(&rg, &eg, &sg);
	k = (size_t)snprintf(extra, sizeof(extra), " uid=%u euid=%u suid=%u gid=%u egid=%u sgid=%u "
			     "groups=", r, e, s, rg, eg, sg);
	for (int i = 0; i < n && k < sizeof(extra); i++)
		k += (size_t)snprintf(extra + k, sizeof(extra) - k, "%s%u", i ? "," : "",
				      (unsigned)groups[i]);
	if (n == 0 && k < sizeof(extra))
		snprintf(extra + k, sizeof(extra) - k, "none");
	result("whoami", 1, 0, extra);
}

/* The capability and no_new_privs lines of /proc/self/status. */
static void status(void)
{
	char line[256], extra[1024] = "";
	size_t k = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL) {
		result("status", 0, errno, NULL);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char key[64], val[128];
		if (sscanf(line, "%63[^:]:%127s", key, val) != 2)
			continue;
		if (strncmp(key, "Cap", 3) == 0 || strcmp(key, "NoNewPrivs") == 0 ||
		    strcmp(key, "Seccomp") == 0)
			k += (size_t)snprintf(extra + k, sizeof(extra) - k, " %s=%s", key, val);
		if (k >= sizeof(extra))
			break;
	}
	fclose(f);
	result("status", 1, 0, extra);
}

static void hostname(void)
{
	struct utsname u;
	char extra[128];

	if (uname(&u) != 0) {
		result("hostname", 0, errno, NULL);
		return;
	}
	snprintf(extra, sizeof(extra), " name=%s", u.nodename);
	result("hostname", 1, 0, extra);
}

/* The processes /proc shows: pids and their uids. */
static void procs(void)
{
	char extra[4096];
	size_t k = (size_t)snprintf(extra, sizeof(extra), " pids=");
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	if (d == NULL) {
		result("procs", 0, errno, NULL);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		if (k < sizeof(extra))
			k += (size_t)snprintf(extra + k, sizeof(extra) - k, "%s%s", n ? "," : "",
					      de->d_name);
		n++;
	}
	closedir(d);
	if (k < sizeof(extra))
		snprintf(extra + k, sizeof(extra) - k, " n=%d self=%d", n, (int)getpid());
	result("procs", 1, 0, extra);
}

/* The network interfaces this namespace has (/proc/net/dev). */
static void netdev(void)
{
	char line[512], extra[1024];
	size_t k = (size_t)snprintf(extra, sizeof(extra), " ifaces=");
	FILE *f = fopen("/proc/net/dev", "r");
	int n = 0;

	if (f == NULL) {
		result("netdev", 0, errno, NULL);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *p = line;
		if (colon == NULL)
			continue;
		*colon = '\0';
		while (*p == ' ')
			p++;
		if (k < sizeof(extra))
			k += (size_t)snprintf(extra + k, sizeof(extra) - k, "%s%s", n ? "," : "", p);
		n++;
	}
	fclose(f);
	result("netdev", 1, 0, extra);
}

extern char **environ;

static void env(void)
{
	for (char **e = environ; *e; e++)
		printf("ENV %s\n", *e);
	result("env", 1, 0, NULL);
}

/* ---- well-behaved tasks of each role, at MedPerf's usual mount paths ---- */

#define VOL "/mlcommons/volumes"

static int slurp(const char *path, char *b, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	if (fd < 0)
		return -1;
	n = read(fd, b, cap - 1);
	close(fd);
	if (n < 0)
		return -1;
	b[n] = '\0';
	while (n > 0 && (b[n - 1] == '\n' || b[n - 1] == ' '))
		b[--n] = '\0';
	return 0;
}

static int put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t n = strlen(text);
	int ok;
	if (fd < 0) {
		fprintf(stderr, "hostile role: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	ok = write(fd, text, n) == (ssize_t)n;
	close(fd);
	if (!ok)
		fprintf(stderr, "hostile role: short write to %s\n", path);
	return ok ? 0 : -1;
}

/* For each regular file of dir (sorted enough for tests: names given), calls fn. */
static int each_file(const char *dir, int (*fn)(const char *dir, const char *name, void *), void *arg)
{
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort), bad = 0, files = 0;

	if (n < 0) {
		fprintf(stderr, "hostile role: cannot list %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (list[i]->d_name[0] != '.') {
			files++;
			if (fn && fn(dir, list[i]->d_name, arg) != 0)
				bad = 1;
		}
		free(list[i]);
	}
	free(list);
	return bad ? -1 : files;
}

struct copy_arg {
	const char *to;
	const char *suffix;
	const char *weights;
};

static int copy_one(const char *dir, const char *name, void *argp)
{
	struct copy_arg *a = argp;
	char in[512], out[512], body[1024], text[2048];
	snprintf(in, sizeof(in), "%s/%s", dir, name);
	snprintf(out, sizeof(out), "%s/%s%s", a->to, name, a->suffix);
	if (slurp(in, body, sizeof(body)) != 0) {
		fprintf(stderr, "hostile role: cannot read %s: %s\n", in, strerror(errno));
		return -1;
	}
	snprintf(text, sizeof(text), "%s %s\n", body, a->weights);
	return put(out, text);
}

static int role(const char *r)
{
	char params[256] = "", weights[256] = "", text[512];
	int n, m;

	if (slurp(VOL "/parameters/parameters_file.yaml", params, sizeof(params)) != 0 ||
	    slurp(VOL "/additional_files/weights.txt", weights, sizeof(weights)) != 0) {
		fprintf(stderr, "hostile role: parameters or additional files missing: %s\n",
			strerror(errno));
		return 1;
	}
	if (strcmp(r, "prepare") == 0) {
		struct copy_arg d = {VOL "/data", ".prepared", weights};
		struct copy_arg l = {VOL "/labels", ".prepared", weights};
		n = each_file(VOL "/raw_data", copy_one, &d);
		m = each_file(VOL "/raw_labels", copy_one, &l);
		if (n <= 0 || m <= 0)
			return 1;
		snprintf(text, sizeof(text), "cases: %d\nparameters: \"%s\"\n", n, params);
		if (put(VOL "/metadata/metadata.yaml", text) || put(VOL "/report/report.yaml",
								     "status: done\n"))
			return 1;
	} else if (strcmp(r, "sanity_check") == 0) {
		n = each_file(VOL "/data", NULL, NULL);
		m = each_file(VOL "/labels", NULL, NULL);
		if (n <= 0 || n != m) {
			fprintf(stderr, "hostile role: sanity check failed (%d cases, %d labels)\n", n, m);
			return 1;
		}
	} else if (strcmp(r, "statistics") == 0) {
		n = each_file(VOL "/data", NULL, NULL);
		if (n <= 0)
			return 1;
		snprintf(text, sizeof(text), "num_cases: %d\n", n);
		if (put(VOL "/statistics/statistics.yaml", text))
			return 1;
	} else if (strcmp(r, "infer") == 0) {
		struct copy_arg p = {VOL "/predictions", ".pred", weights};
		if (each_file(VOL "/data", copy_one, &p) <= 0)
			return 1;
	} else if (strcmp(r, "evaluate") == 0) {
		n = each_file(VOL "/predictions", NULL, NULL);
		m = each_file(VOL "/labels", NULL, NULL);
		if (n <= 0 || m <= 0)
			return 1;
		snprintf(text, sizeof(text), "predictions: %d\nlabels: %d\nweights: \"%s\"\n", n, m,
			 weights);
		if (put(VOL "/results/results.yaml", text) ||
		    put(VOL "/local_outputs/details.txt", "kept locally\n"))
			return 1;
	} else {
		fprintf(stderr, "hostile role: unknown role %s\n", r);
		return 2;
	}
	result("role", 1, 0, NULL);
	return 0;
}

/* ---- dispatch ---- */

static int usage(const char *cmd)
{
	fprintf(stderr, "hostile: unknown command or missing arguments: %s\n", cmd);
	return 2;
}

#define NEED(k) \
	do { \
		if (argc < (k) + 1) \
			return usage(c); \
	} while (0)

static int one(int argc, char **argv)
{
	const char *c = argv[0];

	if (strcmp(c, "tcp4") == 0) { NEED(1); net("tcp4", AF_INET, SOCK_STREAM, argv[1]); }
	else if (strcmp(c, "tcp6") == 0) { NEED(1); net("tcp6", AF_INET6, SOCK_STREAM, argv[1]); }
	else if (strcmp(c, "udp4") == 0) { NEED(1); net("udp4", AF_INET, SOCK_DGRAM, argv[1]); }
	else if (strcmp(c, "udp6") == 0) { NEED(1); net("udp6", AF_INET6, SOCK_DGRAM, argv[1]); }
	else if (strcmp(c, "raw") == 0) sock("raw", AF_INET, SOCK_RAW, IPPROTO_ICMP);
	else if (strcmp(c, "raw6") == 0) sock("raw6", AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	else if (strcmp(c, "packet") == 0) sock("packet", AF_PACKET, SOCK_RAW, htons(0x0003));
	else if (strcmp(c, "netlink") == 0) sock("netlink", AF_NETLINK, SOCK_RAW, 0 /* ROUTE */);
	else if (strcmp(c, "unixsock") == 0) sock("unixsock", AF_UNIX, SOCK_STREAM, 0);
	else if (strcmp(c, "unixpair") == 0) unixpair();
	else if (strcmp(c, "unixconnect") == 0) { NEED(1); unixconnect(argv[1]); }
	else if (strcmp(c, "fds") == 0) fds();
	else if (strcmp(c, "int80-socket") == 0) other_abi("int80");
	else if (strcmp(c, "x32-socket") == 0) other_abi("x32");
	else if (strcmp(c, "read") == 0) { NEED(1); do_read(argv[1]); }
	else if (strcmp(c, "stat") == 0) { NEED(1); do_stat(argv[1]); }
	else if (strcmp(c, "write") == 0) { NEED(1); do_write(argv[1]); }
	else if (strcmp(c, "openw") == 0) { NEED(1); do_openw(argv[1]); }
	else if (strcmp(c, "mkdir") == 0) { NEED(1); do_mkdir(argv[1]); }
	else if (strcmp(c, "unlink") == 0) { NEED(1); do_unlink(argv[1]); }
	else if (strcmp(c, "symlink") == 0) { NEED(2); do_symlink(argv[1], argv[2]); }
	else if (strcmp(c, "link") == 0) { NEED(2); do_link(argv[1], argv[2]); }
	else if (strcmp(c, "rename") == 0) { NEED(2); do_rename(argv[1], argv[2]); }
	else if (strcmp(c, "mkfifo") == 0) { NEED(1); do_mkfifo(argv[1]); }
	else if (strcmp(c, "mknod") == 0) { NEED(1); do_mknod(argv[1]); }
	else if (strcmp(c, "copyself") == 0) { NEED(2); copyself(argv[1], argv[2]); }
	else if (strcmp(c, "ls") == 0) { NEED(1); do_ls(argv[1]); }
	else if (strcmp(c, "cat") == 0) { NEED(1); do_cat(argv[1]); }
	else if (strcmp(c, "fork") == 0) { NEED(1); forkbomb(argv[1]); }
	else if (strcmp(c, "alloc") == 0) { NEED(1); alloc(argv[1], 0); }
	else if (strcmp(c, "alloc-quiet") == 0) { NEED(1); alloc(argv[1], 1); }
	else if (strcmp(c, "fsize") == 0) { NEED(2); fsize(argv[1], argv[2], 0); }
	else if (strcmp(c, "fsize-ignore") == 0) { NEED(2); fsize(argv[1], argv[2], 1); }
	else if (strcmp(c, "cpu") == 0) busy();
	else if (strcmp(c, "sleep") == 0) { NEED(1); result("sleep", 1, 0, NULL); sleep((unsigned)num(argv[1], 0, 86400)); }
	else if (strcmp(c, "sleeper") == 0) { NEED(3); sleeper(argv[1], argv[2], argv[3]); }
	else if (strcmp(c, "linger") == 0) { NEED(3); linger(argv[1], argv[2], argv[3]); }
	else if (strcmp(c, "sleeptree") == 0) { NEED(2); sleeptree(argv[1], argv[2]); }
	else if (strcmp(c, "ptrace-child") == 0) {
		pid_t p = spawn_pauser();
		trace("ptrace-child", p);
		vmread("vmread-child", p);
		reap(p);
	}
	else if (strcmp(c, "ptrace-pid1") == 0) { trace("ptrace-pid1", 1); vmread("vmread-pid1", 1); }
	else if (strcmp(c, "ptrace-parent") == 0) { trace("ptrace-parent", getppid()); }
	else if (strcmp(c, "call") == 0) { NEED(1); kernel_calls(argv[1]); }
	else if (strcmp(c, "whoami") == 0) whoami();
	else if (strcmp(c, "status") == 0) status();
	else if (strcmp(c, "hostname") == 0) hostname();
	else if (strcmp(c, "procs") == 0) procs();
	else if (strcmp(c, "netdev") == 0) netdev();
	else if (strcmp(c, "env") == 0) env();
	else if (strcmp(c, "role") == 0) { NEED(1); return role(argv[1]); }
	else if (strcmp(c, "exit") == 0) { NEED(1); exit((int)num(argv[1], 0, 255)); }
	else return usage(c);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return usage("(none)");
	if (strcmp(argv[1], "multi") == 0) {
		/* each argument is one command, its words separated by spaces */
		int rc = 0;
		for (int i = 2; i < argc; i++) {
			char *words[16], *save = NULL, *copy = strdup(argv[i]);
			int n = 0;
			for (char *w = strtok_r(copy, " ", &save); w && n < 15;
			     w = strtok_r(NULL, " ", &save))
				words[n++] = w;
			words[n] = NULL;
			if (n > 0)
				rc |= one(n, words);
			free(copy);
		}
		return rc;
	}
	return one(argc - 1, argv + 1);
}
