/*
 * engine.c: the parts the container-engine backends share (see engine.h):
 * spec checks, the task's user, GPU requests, mounts made ready and handed
 * over, the tag of a `docker save` archive, the OCI seccomp profile, and
 * the supervised run of a podman or docker container from image check to
 * removal. The command lines themselves live in podman.c, docker.c and
 * apptainer.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "runner/archive.h"
#include "runner/engine.h"
#include "runner/proc.h"
#include "runner/sandbox.h"

#define NOBODY 65534
#define MANIFEST_MAX ((size_t)1 << 20)
#define LOAD_SECONDS 3600.0    /* `load -i` of a multi-GB archive */
#define HELPER_SECONDS 120.0   /* inspect, stop, rm */

void engine_task_ids(const struct run_spec *s, struct engine_ids *ids)
{
	ids->root = geteuid() == 0;
	if (!ids->root) {
		ids->uid = getuid();
		ids->gid = getgid();
	} else if (s->run_uid != 0 && s->run_gid != 0) {
		ids->uid = s->run_uid;
		ids->gid = s->run_gid;
	} else {
		ids->uid = NOBODY;
		ids->gid = NOBODY;
	}
}

/* ---- checks ---- */

static int is_name_char(char c, int first)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return 1;
	return !first && (c == '_' || c == '.' || c == '-');
}

static int check_name(const char *name, mp_errbuf *e)
{
	if (name == NULL || *name == '\0')
		return mp_seterr(e, MP_EINVAL, "the task has no container name");
	for (const char *p = name; *p; p++)
		if (!is_name_char(*p, p == name))
			return mp_seterr(e, MP_EINVAL, "container name '%s': only letters, digits, "
					 "'_', '.' and '-' (not first) are allowed", name);
	return MP_OK;
}

static int check_env(const char *kv, mp_errbuf *e)
{
	const char *eq = strchr(kv, '=');

	if (eq == NULL || eq == kv)
		return mp_seterr(e, MP_EINVAL, "environment entry '%s' is not NAME=VALUE", kv);
	for (const char *p = kv; p < eq; p++) {
		int ok = *p == '_' || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			 (p > kv && *p >= '0' && *p <= '9');
		if (!ok)
			return mp_seterr(e, MP_EINVAL, "environment variable '%.*s': a name is "
					 "letters, digits and '_', not starting with a digit",
					 (int)(eq - kv), kv);
	}
	return MP_OK;
}

/* "64m", "1g", "1.5gb", "268435456": digits[.digits][kmgtp][i][b], as docker reads it. */
static int check_size(const char *s, mp_errbuf *e)
{
	const char *p = s;

	if (*p < '0' || *p > '9')
		goto bad;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			goto bad;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p && strchr("kKmMgGtTpP", *p))
		p++;
	if (*p == 'i' || *p == 'I')
		p++;
	if (*p == 'b' || *p == 'B')
		p++;
	if (*p == '\0')
		return MP_OK;
bad:
	return mp_seterr(e, MP_EINVAL, "shm_size '%s' is not a size (like 64m or 1g)", s);
}

static int check_path(const char *what, const char *key, const char *p, mp_errbuf *e)
{
	if (p == NULL || p[0] != '/')
		return mp_seterr(e, MP_EINVAL, "mount %s: the %s path '%s' is not absolute", key, what,
				 p ? p : "");
	if (strpbrk(p, ":,\n") != NULL)
		return mp_seterr(e, MP_EINVAL, "mount %s: the %s path '%s' holds ':' or ',', which "
				 "container engines cannot bind", key, what, p);
	return MP_OK;
}

int engine_check_spec(const struct run_spec *s, mp_errbuf *e)
{
	int rc = check_name(s->name, e);

	if (rc == MP_OK && (s->image == NULL || s->image[0] == '\0' || s->image[0] == '-' ||
			    strpbrk(s->image, " \t\n") != NULL))
		rc = mp_seterr(e, MP_EINVAL, "image '%s' is not an image reference or file",
			       s->image ? s->image : "");
	if (rc == MP_OK && s->entrypoint && s->entrypoint[0] == '\0')
		rc = mp_seterr(e, MP_EINVAL, "the entrypoint is empty");
	for (const char *const *env = s->env; rc == MP_OK && env && *env; env++)
		rc = check_env(*env, e);
	if (rc == MP_OK && s->shm_size && *s->shm_size)
		rc = check_size(s->shm_size, e);
	if (rc == MP_OK)
		rc = check_path("host", "/tmp", s->tmp_dir, e);
	for (size_t i = 0; rc == MP_OK && i < s->n_mounts; i++) {
		const struct run_mount *m = &s->mounts[i];
		rc = check_path("host", m->key, m->host, e);
		if (rc == MP_OK)
			rc = check_path("container", m->key, m->target, e);
	}
	return rc;
}

int engine_parse_gpus(const char *gpus, struct gpu_request *g, mp_errbuf *e)
{
	memset(g, 0, sizeof(*g));
	g->kind = GPU_NONE;
	if (gpus == NULL || *gpus == '\0' || strcmp(gpus, "0") == 0)
		return MP_OK;
	if (strcmp(gpus, "all") == 0) {
		g->kind = GPU_ALL;
		return MP_OK;
	}
	if (*gpus >= '1' && *gpus <= '9') {
		char *end;
		errno = 0;
		g->count = strtol(gpus, &end, 10);
		if (errno || *end != '\0' || g->count < 1 || g->count > 1024)
			return mp_seterr(e, MP_EINVAL, "gpus '%s' is not a GPU count", gpus);
		g->kind = GPU_COUNT;
		return MP_OK;
	}
	if (strncmp(gpus, "device=", 7) == 0 && gpus[7] != '\0') {
		const char *p = gpus + 7;
		int item = 0;
		for (; *p; p++) {
			int ok = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
				 (*p >= 'A' && *p <= 'Z') || *p == '-';
			if (*p == ',' && item) {
				item = 0;
				continue;
			}
			if (!ok)
				break;
			item = 1;
		}
		if (*p == '\0' && item) {
			g->kind = GPU_DEVICES;
			g->devices = gpus + 7;
			return MP_OK;
		}
	}
	return mp_seterr(e, MP_EINVAL, "gpus '%s': expected all, a count, or device=ID[,ID...]",
			 gpus);
}

unsigned long long engine_rlimit_value(int resource, unsigned long long want)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
	    (unsigned long long)rl.rlim_max < want)
		return (unsigned long long)rl.rlim_max;
	return want;
}

/* ---- mounts ---- */

/* mkdir -p (0755) */
static int make_dirs(const char *path, mp_errbuf *e)
{
	char p[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(p))
		return mp_seterr(e, MP_ETOOBIG, "path too long: '%s'", path);
	memcpy(p, path, n + 1);
	for (char *q = p + 1;; q++) {
		if (*q != '/' && *q != '\0')
			continue;
		char c = *q;
		*q = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			return mp_seterr(e, MP_EIO, "cannot create the folder '%s': %s", p,
					 strerror(errno));
		*q = c;
		if (c == '\0')
			break;
	}
	return MP_OK;
}

static int prepare_output(const struct run_mount *m, mp_errbuf *e)
{
	struct stat st;
	int rc, fd;

	if (!m->is_file) {
		rc = make_dirs(m->host, e);
		if (rc != MP_OK)
			return rc;
		if (stat(m->host, &st) != 0 || !S_ISDIR(st.st_mode))
			return mp_seterr(e, MP_EIO, "output %s: '%s' is not a folder", m->key, m->host);
		return MP_OK;
	}
	{
		const char *slash = strrchr(m->host, '/');
		if (slash && slash != m->host) {
			char dir[PATH_MAX];
			size_t n = (size_t)(slash - m->host);
			if (n >= sizeof(dir))
				return mp_seterr(e, MP_ETOOBIG, "path too long: '%s'", m->host);
			memcpy(dir, m->host, n);
			dir[n] = '\0';
			rc = make_dirs(dir, e);
			if (rc != MP_OK)
				return rc;
		}
	}
	fd = open(m->host, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return mp_seterr(e, MP_EIO, "output %s: cannot create '%s': %s", m->key, m->host,
				 strerror(errno));
	rc = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	close(fd);
	return rc ? MP_OK : mp_seterr(e, MP_EIO, "output %s: '%s' is not a file", m->key, m->host);
}

int engine_prepare_mounts(const struct run_spec *s, mp_errbuf *e)
{
	struct stat st;
	int rc;

	if (stat(s->tmp_dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return mp_seterr(e, MP_ENOTFOUND, "the /tmp folder '%s' does not exist", s->tmp_dir);
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct run_mount *m = &s->mounts[i];
		if (m->output) {
			rc = prepare_output(m, e);
			if (rc != MP_OK)
				return rc;
			continue;
		}
		if (stat(m->host, &st) != 0)
			return mp_seterr(e, MP_ENOTFOUND, "input %s: '%s': %s", m->key, m->host,
					 strerror(errno));
		if (m->is_file ? !S_ISREG(st.st_mode) : !S_ISDIR(st.st_mode))
			return mp_seterr(e, MP_EINVAL, "input %s: '%s' is not a %s", m->key, m->host,
					 m->is_file ? "file" : "folder");
	}
	return MP_OK;
}

/* nftw has no user pointer: the owner being set, for one walk at a time (runs are sequential). */
static uid_t walk_uid;
static gid_t walk_gid;

static int chown_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return lchown(path, walk_uid, walk_gid) != 0 && errno != ENOENT ? -1 : 0;
}

static int chown_tree(const char *path, uid_t uid, gid_t gid, mp_errbuf *e)
{
	walk_uid = uid;
	walk_gid = gid;
	if (nftw(path, chown_entry, 16, FTW_PHYS | FTW_MOUNT) != 0)
		return mp_seterr(e, MP_EIO, "cannot give '%s' to %u:%u: %s", path, (unsigned)uid,
				 (unsigned)gid, strerror(errno));
	return MP_OK;
}

int engine_hand_over(const struct run_spec *s, uid_t uid, gid_t gid, mp_errbuf *e)
{
	int rc = chown_tree(s->tmp_dir, uid, gid, e);

	for (size_t i = 0; i < s->n_mounts && rc == MP_OK; i++)
		if (s->mounts[i].output)
			rc = chown_tree(s->mounts[i].host, uid, gid, e);
	return rc;
}

/* ---- docker save archives ---- */

int engine_archive_tag(const char *archive, char **tag, mp_errbuf *e)
{
	char *text = NULL;
	size_t len = 0;
	json_t *root = NULL, *tags;
	json_error_t je;
	const char *t;
	int rc;

	*tag = NULL;
	rc = archive_read_member(archive, "manifest.json", MANIFEST_MAX, &text, &len, e);
	if (rc == MP_ENOTFOUND)
		return mp_seterr(e, MP_EINVAL, "'%s' is not a docker image archive (no manifest.json; "
				 "make one with 'docker save' or 'podman save')", archive);
	if (rc)
		return rc;
	root = json_loadb(text, len, 0, &je);
	free(text);
	if (root == NULL)
		return mp_seterr(e, MP_EINVAL, "'%s': manifest.json line %d: %s", archive, je.line,
				 je.text);
	tags = json_object_get(json_array_get(root, 0), "RepoTags");
	t = json_string_value(json_array_get(tags, 0));
	if (t == NULL || *t == '\0' || *t == '-' || strpbrk(t, " \t\n") != NULL) {
		rc = mp_seterr(e, MP_EINVAL, "'%s' holds no image tag (manifest.json has no RepoTags; "
			       "save the image by name:tag, not by id)", archive);
	} else {
		*tag = strdup(t);
		if (*tag == NULL)
			rc = mp_seterr(e, MP_ENOMEM, "out of memory");
	}
	json_decref(root);
	return rc;
}

/* ---- the seccomp profile ---- */

/* HOME and TMPDIR: the root file system is read-only, /tmp is the task's own folder. */
const char *const engine_task_env[] = {"HOME=/tmp", "TMPDIR=/tmp", "LANG=C.UTF-8", NULL};

int engine_oci_prepare(const char *engine, const struct run_spec *s, struct gpu_request *g,
		       char **tag, mp_errbuf *e)
{
	int rc;

	*tag = NULL;
	rc = engine_check_spec(s, e);
	if (rc == MP_OK)
		rc = engine_parse_gpus(s->gpus, g, e);
	if (rc != MP_OK)
		return rc;
	if (s->kind == IMG_SINGULARITY_FILE || s->kind == IMG_NATIVE_ARCHIVE)
		return mp_seterr(e, MP_EINVAL, "%s runs Docker images and archives; a %s needs "
				 "--platform %s", engine, s->kind == IMG_SINGULARITY_FILE ?
				 "SingularityFile" : "NativeArchive",
				 s->kind == IMG_SINGULARITY_FILE ? "singularity" : "native");
	if (s->kind == IMG_DOCKER_ARCHIVE)
		return engine_archive_tag(s->image, tag, e);
	return MP_OK;
}

int engine_oci_volumes(struct strv *a, const struct run_spec *s)
{
	int rc = 0;

	rc |= strv_push(a, "--volume") | strv_pushf(a, "%s:/tmp:rw", s->tmp_dir);
	for (size_t i = 0; i < s->n_mounts; i++)
		rc |= strv_push(a, "--volume") |
		      strv_pushf(a, "%s:%s:%s", s->mounts[i].host, s->mounts[i].target,
				 s->mounts[i].output ? "rw" : "ro");
	return rc ? -1 : 0;
}

int engine_oci_tail(struct strv *a, const struct run_spec *s, const char *image)
{
	int rc = 0;

	if (s->shm_size && *s->shm_size)
		rc |= strv_push(a, "--shm-size") | strv_push(a, s->shm_size);
	for (const char *const *env = engine_task_env; *env; env++)
		rc |= strv_push(a, "--env") | strv_push(a, *env);
	for (const char *const *env = s->env; env && *env; env++)
		rc |= strv_push(a, "--env") | strv_push(a, *env);
	if (s->entrypoint)
		rc |= strv_push(a, "--entrypoint") | strv_push(a, s->entrypoint);
	rc |= strv_push(a, image);
	rc |= strv_pushv(a, s->command);
	return rc ? -1 : 0;
}

/* ENOSYS: their arguments live in memory, out of the filter's sight; libraries fall back. */
static const char *const nosys_calls[] = {"clone3", "io_uring_setup", "io_uring_enter",
					  "io_uring_register", NULL};

static const unsigned long namespace_flags[] = {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET,
						CLONE_NEWPID, CLONE_NEWIPC, CLONE_NEWUTS,
						CLONE_NEWCGROUP};

static json_t *names_of(const char *const *list)
{
	json_t *a = json_array();

	for (; a && *list; list++)
		json_array_append_new(a, json_string(*list));
	return a;
}

/* One rule: names, an errno, and at most one argument condition (MASKED_EQ or NE). */
static json_t *rule(json_t *names, int err, int index, const char *op, unsigned long value,
		    unsigned long two)
{
	json_t *r = json_pack("{s:o, s:s, s:i}", "names", names, "action", "SCMP_ACT_ERRNO",
			      "errnoRet", err);

	if (r && op) {
		json_t *arg = json_pack("{s:i, s:I, s:I, s:s}", "index", index, "value",
					(json_int_t)value, "valueTwo", (json_int_t)two, "op", op);
		json_object_set_new(r, "args", json_pack("[o]", arg));
	}
	return r;
}

static json_t *one_name(const char *name)
{
	return json_pack("[s]", name);
}

int engine_seccomp_profile(char **json, mp_errbuf *e)
{
	json_t *calls = json_array(), *root;

	*json = NULL;
	json_array_append_new(calls, rule(names_of(sandbox_refused_syscalls), EPERM, 0, NULL, 0, 0));
	json_array_append_new(calls, rule(names_of(nosys_calls), ENOSYS, 0, NULL, 0, 0));
	for (size_t i = 0; i < sizeof(namespace_flags) / sizeof(namespace_flags[0]); i++)
		json_array_append_new(calls, rule(one_name("clone"), EPERM, 0, "SCMP_CMP_MASKED_EQ",
						  namespace_flags[i], namespace_flags[i]));
	json_array_append_new(calls, rule(one_name("ioctl"), EPERM, 1, "SCMP_CMP_MASKED_EQ",
					  0xffffffffUL, TIOCSTI));
	json_array_append_new(calls, rule(one_name("ioctl"), EPERM, 1, "SCMP_CMP_MASKED_EQ",
					  0xffffffffUL, TIOCLINUX));
	root = json_pack("{s:s, s:o}", "defaultAction", "SCMP_ACT_ALLOW", "syscalls", calls);
	if (root)
		*json = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return *json ? MP_OK : mp_seterr(e, MP_ENOMEM, "cannot make the seccomp profile");
}

/* The profile in a memfd at its start, for ENGINE_FD_SECCOMP. */
static int seccomp_fd(mp_errbuf *e)
{
	char *json = NULL;
	size_t n;
	int rc = engine_seccomp_profile(&json, e), fd;

	if (rc != MP_OK)
		return rc;
	n = strlen(json);
	fd = memfd_create("medperf-seccomp.json", MFD_CLOEXEC);
	if (fd < 0 || write(fd, json, n) != (ssize_t)n || lseek(fd, 0, SEEK_SET) != 0) {
		rc = mp_seterr(e, MP_EIO, "cannot write the seccomp profile: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = rc;
	}
	free(json);
	return fd;
}

/* ---- the run of an OCI engine ---- */

/* Runs `exe words...` as a short helper; the exit status, or a negative mp_err. */
static int helper(const char *exe, const char *const *words, double timeout, char **out,
		  char **err, mp_errbuf *e)
{
	struct strv a = STRV_INIT;
	int rc;

	if (strv_push(&a, exe) || strv_pushv(&a, words)) {
		strv_free(&a);
		return mp_seterr(e, MP_ENOMEM, "out of memory");
	}
	rc = proc_capture(a.v, timeout, 64 * 1024, out, err, e);
	strv_free(&a);
	return rc;
}

/* The last non-empty line of a helper's error output, for a message (in place). */
static const char *last_line(char *text)
{
	char *end, *start;

	if (text == NULL)
		return "";
	end = text + strlen(text);
	while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		*--end = '\0';
	start = strrchr(text, '\n');
	start = start ? start + 1 : text;
	if (strlen(start) > 160)
		start[160] = '\0';
	return start;
}

struct stop_ctx {
	const char *exe;
	const char *name;
};

static void stop_container(void *arg)
{
	const struct stop_ctx *c = arg;
	const char *w[] = {"stop", "-t", "0", c->name, NULL};
	mp_errbuf e;

	helper(c->exe, w, HELPER_SECONDS, NULL, NULL, &e);
}

/* The image is there (archive loaded now; a reference must be present already). */
static int ready_image(const char *exe, const struct run_spec *s, mp_errbuf *e)
{
	char *err = NULL;
	int rc;

	if (s->kind == IMG_DOCKER_ARCHIVE) {
		const char *w[] = {"load", "-i", s->image, NULL};
		rc = helper(exe, w, LOAD_SECONDS, NULL, &err, e);
		if (rc > 0)
			rc = mp_seterr(e, MP_EIO, "%s load -i '%s' failed: %s", exe, s->image,
				       last_line(err));
	} else {
		const char *w[] = {"image", "inspect", "--format", "{{.Id}}", s->image, NULL};
		rc = helper(exe, w, HELPER_SECONDS, NULL, &err, e);
		if (rc > 0 && err && !strcasestr(err, "not known") && !strcasestr(err, "no such"))
			rc = mp_seterr(e, MP_EIO, "%s image inspect '%s' failed: %s", exe, s->image,
				       last_line(err));
		else if (rc > 0)
			rc = mp_seterr(e, MP_ENOTFOUND, "image '%s' is not in %s's local store, and "
				       "medperf never pulls: load it with '%s load -i FILE' or pull "
				       "it yourself with '%s pull %s'", s->image, exe, exe, exe,
				       s->image);
	}
	free(err);
	return rc < 0 ? rc : MP_OK;
}

/* After an exit by SIGKILL under a memory limit: did the kernel's OOM killer do it? */
static int oom_killed(const char *exe, const char *name, const char *workdir)
{
	const char *w[] = {"container", "inspect", "--format", "{{.State.OOMKilled}}", name, NULL};
	char marker[PATH_MAX], *out = NULL;
	mp_errbuf e;
	int yes;

	/* conmon (podman) writes "oom" into its working folder: ours, private to this run */
	snprintf(marker, sizeof(marker), "%s/oom", workdir);
	if (access(marker, F_OK) == 0)
		return 1;
	yes = helper(exe, w, HELPER_SECONDS, &out, NULL, &e) == 0 && out &&
	      strncmp(out, "true", 4) == 0;
	free(out);
	return yes;
}

static void remove_container(const char *exe, const char *name)
{
	const char *pw[] = {"rm", "-f", "-t", "0", name, NULL};
	const char *dw[] = {"rm", "-f", name, NULL};
	mp_errbuf e;

	helper(exe, strcmp(exe, "podman") == 0 ? pw : dw, HELPER_SECONDS, NULL, NULL, &e);
}

/* A private working folder for the engine client (and conmon) of one run. */
static char *make_workdir(mp_errbuf *e)
{
	const char *base = getenv("TMPDIR");
	struct buf b;
	char *dir;

	if (base == NULL || base[0] != '/')
		base = "/tmp";
	buf_init(&b, PATH_MAX);
	if (buf_addf(&b, "%s/medperf-engine-XXXXXX", base) != MP_OK) {
		buf_release(&b);
		mp_seterr(e, MP_ETOOBIG, "TMPDIR is too long");
		return NULL;
	}
	dir = buf_detach(&b, NULL);
	if (mkdtemp(dir) == NULL) {
		mp_seterr(e, MP_EIO, "cannot create a folder in '%s': %s", base, strerror(errno));
		free(dir);
		return NULL;
	}
	return dir;
}

static void drop_workdir(char *dir)
{
	char marker[PATH_MAX];

	if (dir == NULL)
		return;
	snprintf(marker, sizeof(marker), "%s/oom", dir);
	unlink(marker);
	rmdir(dir);
	free(dir);
}

static void not_started(struct run_report *rep, const mp_errbuf *e)
{
	rep->stop = RUN_NOT_STARTED;
	snprintf(rep->detail, sizeof(rep->detail), "%s", e ? e->msg : "not started");
}

int engine_oci_run(const struct runner_backend *b, const char *exe, const struct run_spec *s,
		   struct run_report *rep, mp_errbuf *e)
{
	struct strv argv = STRV_INIT;
	struct engine_ids ids;
	struct stop_ctx stop = {exe, s->name};
	char *workdir = NULL;
	int rc, handed = 0, started = 0, sfd = -1;

	memset(rep, 0, sizeof(*rep));
	rep->stop = RUN_NOT_STARTED;
	engine_task_ids(s, &ids);
	rc = b->available(e);
	if (rc == MP_OK)
		rc = engine_check_spec(s, e);
	if (rc == MP_OK)
		rc = engine_prepare_mounts(s, e);
	if (rc == MP_OK && (s->kind == IMG_DOCKER_IMAGE || s->kind == IMG_DOCKER_ARCHIVE))
		rc = ready_image(exe, s, e);
	if (rc == MP_OK)
		rc = b->command(s, &argv, e);
	if (rc == MP_OK) {
		workdir = make_workdir(e);
		if (workdir == NULL)
			rc = MP_EIO;
	}
	if (rc == MP_OK) {
		sfd = seccomp_fd(e);
		if (sfd < 0)
			rc = sfd;
	}
	if (rc == MP_OK && ids.root) {
		handed = 1;
		rc = engine_hand_over(s, ids.uid, ids.gid, e);
	}
	if (rc == MP_OK) {
		const int map[1][2] = {{sfd, ENGINE_FD_SECCOMP}};
		struct proc_opts o;
		memset(&o, 0, sizeof(o));
		o.argv = argv.v;
		o.fd_map = map;
		o.n_fd_map = 1;
		o.limits = &s->limits;
		o.log_path = s->log_path;
		o.stream = s->stream;
		o.on_stop = stop_container;
		o.arg = &stop;
		o.cwd = workdir;
		rc = proc_run(&o, rep, e);
		started = rc == MP_OK;
	} else {
		not_started(rep, e);
	}
	if (started && s->limits.memory_bytes && rep->stop != RUN_TIMEOUT &&
	    rep->stop != RUN_INTERRUPTED && (rep->exit_code == 128 + SIGKILL) &&
	    oom_killed(exe, s->name, workdir)) {
		rep->stop = RUN_MEMORY;
		rep->signal = SIGKILL;
		snprintf(rep->detail, sizeof(rep->detail), "killed by the kernel at the memory "
			 "limit of %llu MiB", (unsigned long long)(s->limits.memory_bytes >> 20));
	}
	if (argv.n)
		remove_container(exe, s->name);
	if (handed) {
		/* back to medperf's own user, whatever happened */
		mp_errbuf e2;
		engine_hand_over(s, geteuid(), getegid(), &e2);
	}
	if (sfd >= 0)
		close(sfd);
	drop_workdir(workdir);
	strv_free(&argv);
	return rc;
}
