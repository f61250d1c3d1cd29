/*
 * native.c: the engine-free backend: a task runs under bubblewrap with its
 * own mount, PID, IPC, UTS, cgroup and network namespaces (no network at
 * all), the seccomp filter of seccomp.c, resource limits, and nothing of the
 * host but the read-only system runtime (/usr and friends, the loader's
 * files in /etc), its program tree, its inputs (read-only), its outputs and
 * a private /tmp. As root, bwrap keeps only the capabilities needed to
 * switch users and medperf-sandbox-init makes the task the sandbox user
 * (nobody by default) for real; otherwise a user namespace keeps the
 * caller's own unprivileged id. Docs: docs/containers.md, docs/security.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "runner/proc.h"
#include "runner/runner.h"
#include "runner/sandbox.h"

/* Where the program tree and the init program appear inside. */
#define PROGRAM_DIR "/project"
#define INIT_PATH "/.medperf/init"

/* The host's top-level links or folders of the system runtime. */
static const char *const runtime_dirs[] = {"/bin", "/sbin", "/lib", "/lib32", "/lib64",
					   "/libx32", NULL};
/* The few files of /etc that programs need to start (the loader, time zone, alternatives). */
static const char *const etc_files[] = {"/etc/ld.so.cache", "/etc/ld.so.conf",
					"/etc/ld.so.conf.d", "/etc/alternatives", "/etc/localtime",
					NULL};

/* The executable file named name in PATH (malloc'd), or NULL. */
static char *in_path(const char *name)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL, *found = NULL;

	if (path == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	copy = strdup(path);
	for (dir = copy ? strtok_r(copy, ":", &save) : NULL; dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char full[PATH_MAX];
		if ((size_t)snprintf(full, sizeof(full), "%s/%s", dir, name) < sizeof(full) &&
		    access(full, X_OK) == 0)
			found = strdup(full);
	}
	free(copy);
	return found;
}

/* medperf-sandbox-init: $MEDPERF_SANDBOX_INIT, or beside the running program. */
static char *init_program(void)
{
	const char *env = getenv("MEDPERF_SANDBOX_INIT");
	char self[PATH_MAX], *slash;
	ssize_t n;

	if (env && *env)
		return access(env, X_OK) == 0 ? strdup(env) : NULL;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash == NULL || (size_t)(slash - self) + sizeof("/medperf-sandbox-init") > sizeof(self))
		return NULL;
	memcpy(slash, "/medperf-sandbox-init", sizeof("/medperf-sandbox-init"));
	return access(self, X_OK) == 0 ? strdup(self) : in_path("medperf-sandbox-init");
}

static int available(mp_errbuf *e)
{
	char *bwrap = in_path("bwrap"), *init = init_program();
	int rc = MP_OK;

	if (bwrap == NULL)
		rc = mp_seterr(e, MP_ENOTFOUND, "the native runner needs bubblewrap ('bwrap' is not "
			       "in PATH; Debian: apt-get install bubblewrap)");
	else if (init == NULL)
		rc = mp_seterr(e, MP_ENOTFOUND, "the native runner needs medperf-sandbox-init beside "
			       "medperf (or MEDPERF_SANDBOX_INIT)");
	free(bwrap);
	free(init);
	return rc;
}

static int as_root(const struct run_spec *s)
{
	(void)s;
	return geteuid() == 0;
}

static int push_env(struct strv *a, const char *kv, mp_errbuf *e)
{
	const char *eq = strchr(kv, '=');
	char name[256];

	if (eq == NULL || eq == kv || (size_t)(eq - kv) >= sizeof(name))
		return mp_seterr(e, MP_EINVAL, "environment entry '%s' is not NAME=VALUE", kv);
	memcpy(name, kv, (size_t)(eq - kv));
	name[eq - kv] = '\0';
	if (strv_push(a, "--setenv") || strv_push(a, name) || strv_push(a, eq + 1))
		return MP_ENOMEM;
	return MP_OK;
}

/*
 * bwrap makes missing parent folders with mode 0700 (root's): the task could
 * not reach its mounts. Every parent is made first, 0755, once.
 */
static int push_parents(struct strv *a, const char *target)
{
	char p[PATH_MAX];
	int rc = 0;

	if (strlen(target) >= sizeof(p))
		return -1;
	snprintf(p, sizeof(p), "%s", target);
	for (char *q = p + 1; *q && rc == 0; q++) {
		int seen = 0;
		if (*q != '/')
			continue;
		*q = '\0';
		for (size_t i = 0; i + 1 < a->n && !seen; i++)
			seen = strcmp(a->v[i], "--dir") == 0 && strcmp(a->v[i + 1], p) == 0;
		if (!seen)
			rc |= strv_push(a, "--perms") | strv_push(a, "0755") | strv_push(a, "--dir") |
			      strv_push(a, p);
		*q = '/';
	}
	return rc;
}

static int command(const struct run_spec *s, struct strv *a, mp_errbuf *e)
{
	const char *const *cmd = s->command;
	char *init = init_program();
	int rc = MP_OK, root = as_root(s);

	if (init == NULL)
		return available(e);
	if ((cmd == NULL || cmd[0] == NULL) && s->entrypoint == NULL) {
		free(init);
		return mp_seterr(e, MP_EINVAL, "the task has no command (run_args.command)");
	}
	if (s->kind != IMG_NATIVE_ARCHIVE) {
		free(init);
		return mp_seterr(e, MP_EINVAL, "the native runner runs NativeArchive containers; "
				 "this one needs a container engine (--platform podman, docker or "
				 "singularity)");
	}
	if (root && (s->run_uid == 0 || s->run_gid == 0)) {
		free(init);
		return mp_seterr(e, MP_EINVAL, "refusing to run a task as root: set the sandbox "
				 "user (an unprivileged uid and gid)");
	}
	rc |= strv_push(a, "bwrap");
	if (root) {
		/* no user namespace: it would map the task to host root; a real drop instead */
		const char *w[] = {"--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
				   "--unshare-cgroup-try", "--cap-drop", "ALL", "--cap-add",
				   "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add",
				   "CAP_SETPCAP", NULL};
		rc |= strv_pushv(a, w);
	} else {
		const char *w[] = {"--unshare-all", "--disable-userns", NULL};
		rc |= strv_pushv(a, w);
	}
	{
		const char *w[] = {"--die-with-parent", "--new-session", "--hostname", "medperf",
				   "--clearenv", "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin",
				   "--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp",
				   "--setenv", "LANG", "C.UTF-8", "--ro-bind", "/usr", "/usr", NULL};
		rc |= strv_pushv(a, w);
	}
	for (const char *const *d = runtime_dirs; *d; d++) {
		struct stat st;
		char target[PATH_MAX];
		ssize_t n;
		if (lstat(*d, &st) != 0)
			continue;
		if (S_ISLNK(st.st_mode) && (n = readlink(*d, target, sizeof(target) - 1)) > 0) {
			target[n] = '\0';
			rc |= strv_push(a, "--symlink") | strv_push(a, target) | strv_push(a, *d);
		} else if (S_ISDIR(st.st_mode)) {
			rc |= strv_push(a, "--ro-bind") | strv_push(a, *d) | strv_push(a, *d);
		}
	}
	rc |= push_parents(a, "/etc/passwd");
	for (const char *const *f = etc_files; *f; f++)
		if (access(*f, F_OK) == 0)
			rc |= strv_push(a, "--ro-bind") | strv_push(a, *f) | strv_push(a, *f);
	rc |= strv_push(a, "--perms") | strv_push(a, "0644") | strv_push(a, "--ro-bind-data") |
	      strv_pushf(a, "%d", SANDBOX_FD_PASSWD) | strv_push(a, "/etc/passwd");
	rc |= strv_push(a, "--perms") | strv_push(a, "0644") | strv_push(a, "--ro-bind-data") |
	      strv_pushf(a, "%d", SANDBOX_FD_GROUP) | strv_push(a, "/etc/group");
	{
		const char *w[] = {"--proc", "/proc", "--dev", "/dev", NULL};
		rc |= strv_pushv(a, w);
	}
	rc |= strv_push(a, "--bind") | strv_push(a, s->tmp_dir) | strv_push(a, "/tmp");
	rc |= strv_push(a, "--ro-bind") | strv_push(a, s->image) | strv_push(a, PROGRAM_DIR);
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct run_mount *m = &s->mounts[i];
		rc |= push_parents(a, m->target);
		rc |= strv_push(a, m->output ? "--bind" : "--ro-bind") | strv_push(a, m->host) |
		      strv_push(a, m->target);
	}
	rc |= push_parents(a, INIT_PATH);
	rc |= strv_push(a, "--ro-bind") | strv_push(a, init) | strv_push(a, INIT_PATH);
	for (const char *const *env = s->env; env && *env; env++) {
		int er = push_env(a, *env, e);
		if (er) {
			free(init);
			return er;
		}
	}
	rc |= strv_push(a, "--remount-ro") | strv_push(a, "/");
	rc |= strv_push(a, "--chdir") | strv_push(a, PROGRAM_DIR);
	rc |= strv_push(a, "--seccomp") | strv_pushf(a, "%d", SANDBOX_FD_SECCOMP);
	rc |= strv_push(a, "--") | strv_push(a, INIT_PATH);
	if (root)
		rc |= strv_push(a, "--uid") | strv_pushf(a, "%u", (unsigned)s->run_uid) |
		      strv_push(a, "--gid") | strv_pushf(a, "%u", (unsigned)s->run_gid);
	rc |= strv_push(a, "--");
	if (s->entrypoint)
		rc |= strv_push(a, s->entrypoint);
	rc |= strv_pushv(a, cmd);
	free(init);
	return rc ? mp_seterr(e, MP_ENOMEM, "cannot build the command line") : MP_OK;
}

/* A memfd holding text, at its start. */
static int data_fd(const char *name, const char *text, mp_errbuf *e)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	size_t n = strlen(text);

	if (fd < 0 || write(fd, text, n) != (ssize_t)n || lseek(fd, 0, SEEK_SET) != 0) {
		if (fd >= 0)
			close(fd);
		return mp_seterr(e, MP_EIO, "cannot prepare %s: %s", name, strerror(errno));
	}
	return fd;
}

/* mkdir -p for an absolute path (mode 0755). */
static int make_dirs(const char *path)
{
	char p[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(p))
		return -1;
	memcpy(p, path, n + 1);
	for (char *q = p + 1; *q; q++) {
		if (*q != '/')
			continue;
		*q = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			return -1;
		*q = '/';
	}
	return mkdir(p, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* Inputs exist with the declared type; outputs are created (folders, or empty files). */
static int prepare_mounts(const struct run_spec *s, mp_errbuf *e)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct run_mount *m = &s->mounts[i];
		struct stat st;
		if (m->host[0] != '/' || m->target[0] != '/')
			return mp_seterr(e, MP_EINVAL, "mount %s: paths must be absolute ('%s' -> "
					 "'%s')", m->key, m->host, m->target);
		if (!m->output) {
			if (stat(m->host, &st) != 0)
				return mp_seterr(e, MP_ENOTFOUND, "input %s: '%s': %s", m->key, m->host,
						 strerror(errno));
			if (m->is_file ? !S_ISREG(st.st_mode) : !S_ISDIR(st.st_mode))
				return mp_seterr(e, MP_EINVAL, "input %s: '%s' is not a %s", m->key,
						 m->host, m->is_file ? "file" : "folder");
			continue;
		}
		if (m->is_file) {
			char dir[PATH_MAX];
			char *slash;
			int fd;
			snprintf(dir, sizeof(dir), "%s", m->host);
			slash = strrchr(dir, '/');
			if (slash && slash != dir) {
				*slash = '\0';
				if (make_dirs(dir) != 0)
					return mp_seterr(e, MP_EIO, "output %s: cannot create '%s': %s",
							 m->key, dir, strerror(errno));
			}
			fd = open(m->host, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
				int err = errno;
				if (fd >= 0)
					close(fd);
				return mp_seterr(e, MP_EIO, "output %s: '%s' is not a file%s%s", m->key,
						 m->host, fd < 0 ? ": " : "",
						 fd < 0 ? strerror(err) : "");
			}
			close(fd);
		} else if (make_dirs(m->host) != 0 || stat(m->host, &st) != 0 ||
			   !S_ISDIR(st.st_mode)) {
			return mp_seterr(e, MP_EIO, "output %s: cannot create the folder '%s'", m->key,
					 m->host);
		}
	}
	return MP_OK;
}

/* chown -R without following links (outputs and /tmp, given to the sandbox user and back). */
static uid_t walk_uid;
static gid_t walk_gid;

static int chown_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return lchown(path, walk_uid, walk_gid) != 0 && errno != ENOENT ? -1 : 0;
}

static int chown_tree(const char *path, uid_t uid, gid_t gid)
{
	walk_uid = uid;
	walk_gid = gid;
	return nftw(path, chown_one, 16, FTW_PHYS | FTW_MOUNT);
}

static int give(const struct run_spec *s, uid_t uid, gid_t gid, mp_errbuf *e)
{
	if (chown_tree(s->tmp_dir, uid, gid) != 0)
		return mp_seterr(e, MP_EIO, "cannot hand '%s' to the sandbox user: %s", s->tmp_dir,
				 strerror(errno));
	for (size_t i = 0; i < s->n_mounts; i++)
		if (s->mounts[i].output && chown_tree(s->mounts[i].host, uid, gid) != 0)
			return mp_seterr(e, MP_EIO, "cannot hand '%s' to the sandbox user: %s",
					 s->mounts[i].host, strerror(errno));
	return MP_OK;
}

static int run(const struct run_spec *s, struct run_report *rep, mp_errbuf *e)
{
	struct strv argv = STRV_INIT;
	int root = as_root(s), sfd = -1, pfd = -1, gfd = -1, rc;
	uid_t uid = root ? s->run_uid : getuid();
	gid_t gid = root ? s->run_gid : getgid();
	char users[512], groups[512];

	memset(rep, 0, sizeof(*rep));
	rep->stop = RUN_NOT_STARTED;
	rc = available(e);
	if (rc == MP_OK)
		rc = prepare_mounts(s, e);
	if (rc == MP_OK)
		rc = command(s, &argv, e);
	if (rc == MP_OK && root)
		rc = give(s, uid, gid, e);
	if (rc == MP_OK && (sfd = sandbox_seccomp_fd(e)) < 0)
		rc = sfd;
	snprintf(users, sizeof(users), "root:x:0:0:root:/root:/usr/sbin/nologin\n"
		 "%s:x:%u:%u:medperf task:/tmp:/usr/sbin/nologin\n",
		 uid == 65534 ? "nobody" : "medperf", (unsigned)uid, (unsigned)gid);
	snprintf(groups, sizeof(groups), "root:x:0:\n%s:x:%u:\n",
		 gid == 65534 ? "nogroup" : "medperf", (unsigned)gid);
	if (rc == MP_OK && (pfd = data_fd("passwd", users, e)) < 0)
		rc = pfd;
	if (rc == MP_OK && (gfd = data_fd("group", groups, e)) < 0)
		rc = gfd;
	if (rc == MP_OK) {
		const int map[3][2] = {{sfd, SANDBOX_FD_SECCOMP}, {pfd, SANDBOX_FD_PASSWD},
				       {gfd, SANDBOX_FD_GROUP}};
		struct proc_opts o;
		memset(&o, 0, sizeof(o));
		o.argv = argv.v;
		o.envp = NULL;
		o.limits = &s->limits;
		o.set_rlimits = 1;
		o.fd_map = map;
		o.n_fd_map = 3;
		o.log_path = s->log_path;
		o.stream = s->stream;
		rc = proc_run(&o, rep, e);
	} else {
		snprintf(rep->detail, sizeof(rep->detail), "%s", e ? e->msg : "not started");
	}
	if (root) {
		/* back to medperf's own user, whatever happened */
		mp_errbuf e2;
		give(s, geteuid(), getegid(), &e2);
	}
	if (sfd >= 0)
		close(sfd);
	if (pfd >= 0)
		close(pfd);
	if (gfd >= 0)
		close(gfd);
	strv_free(&argv);
	return rc;
}

const struct runner_backend runner_native = {"native", available, command, run};
