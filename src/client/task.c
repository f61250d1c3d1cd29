/*
 * task.c: one task of a container, run for a client command (see task.h):
 * image resolution per container type, mount binding as MedPerf does it
 * (a declared key MedPerf does not supply is an error, a supplied key the
 * task does not declare is not mounted), limits from the profile, the run,
 * and the cleanup of the private /tmp.
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/fetch.h"
#include "client/task.h"
#include "core/buf.h"
#include "runner/archive.h"
#include "runner/container.h"

/*
 * The interrupt flag: a signal handler can only reach a file-scope flag.
 * The client is single-threaded where it catches interrupts.
 */
static volatile sig_atomic_t interrupt_flag;
static int catching;
static struct sigaction saved_int, saved_term;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupt_flag = 1;
}

void task_catch_interrupts(int on)
{
	struct sigaction sa;

	if (on && catching++ == 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_interrupt;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, &saved_int);
		sigaction(SIGTERM, &sa, &saved_term);
	} else if (!on && catching > 0 && --catching == 0) {
		sigaction(SIGINT, &saved_int, NULL);
		sigaction(SIGTERM, &saved_term, NULL);
	}
}

int task_interrupted(void)
{
	return interrupt_flag;
}

const char *task_platform(const struct ctx *c, const char *requested)
{
	const char *p = requested && *requested ? requested : profile_str(c->profile, "platform");

	return *p ? p : "native";
}

uint64_t task_size_value(const char *s)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return 0;
	errno = 0;
	v = strtod(s, &end);
	if (errno || v <= 0)
		return 0;
	switch (*end) {
	case 'k': case 'K': v *= 1024.0; end++; break;
	case 'm': case 'M': v *= 1048576.0; end++; break;
	case 'g': case 'G': v *= 1073741824.0; end++; break;
	case 't': case 'T': v *= 1099511627776.0; end++; break;
	default: break;
	}
	if (*end == 'i' || *end == 'b' || *end == 'B')
		end++;
	if (*end == 'B')
		end++;
	return *end ? 0 : (uint64_t)v;
}

/* A profile number (integer or string); 0 when absent. */
static double profile_num(const struct ctx *c, const char *key)
{
	json_t *v = json_object_get(c->profile, key);

	if (json_is_number(v))
		return json_number_value(v);
	if (json_is_string(v))
		return strtod(json_string_value(v), NULL);
	return 0;
}

/* The defaults of docs/containers.md, then the profile's settings. */
static void limits_for(const struct ctx *c, const struct task_request *t, struct run_limits *l)
{
	char key[64];

	memset(l, 0, sizeof(*l));
	l->processes = 1024;
	l->open_files = 4096;
	l->log_bytes = 64ULL << 20;
	l->memory_bytes = task_size_value(profile_str(c->profile, "task_memory"));
	l->file_bytes = task_size_value(profile_str(c->profile, "task_file_size"));
	l->cpu_seconds = profile_num(c, "task_cpu_time");
	if (profile_num(c, "task_processes") > 0)
		l->processes = (long)profile_num(c, "task_processes");
	if (t->memory_bytes)
		l->memory_bytes = t->memory_bytes;
	if (t->file_bytes)
		l->file_bytes = t->file_bytes;
	if (t->processes)
		l->processes = t->processes;
	if (t->cpu_seconds > 0)
		l->cpu_seconds = t->cpu_seconds;
	snprintf(key, sizeof(key), "%s_timeout", t->task);
	l->wall_seconds = t->timeout > 0 ? t->timeout : profile_num(c, key);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void remove_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* A relative local image path is taken from the config file's folder, as MedPerf does. */
static char *local_image_path(const struct task_request *t, const char *image)
{
	const char *slash;
	char *out = NULL;

	if (image[0] == '/' || t->cfg_file == NULL || (slash = strrchr(t->cfg_file, '/')) == NULL)
		return strdup(image);
	if (asprintf(&out, "%.*s/%s", (int)(slash - t->cfg_file), t->cfg_file, image) < 0)
		return NULL;
	return out;
}

int task_program_tree(struct ctx *c, const char *archive, const char *hash, char **dir)
{
	char *parent = NULL;
	struct stat st;
	mp_errbuf e;
	int rc = EXIT_OK;

	*dir = NULL;
	if (asprintf(dir, "%s/.programs/%s", c->storage, hash) < 0)
		return fail(EXIT_FAIL, "out of memory");
	if (stat(*dir, &st) == 0 && S_ISDIR(st.st_mode))
		return EXIT_OK;
	if (asprintf(&parent, "%s/.programs", c->storage) < 0 || mkdirs(parent, 0755) != 0)
		rc = fail(EXIT_FAIL, "cannot create '%s': %s", parent ? parent : "?",
			  strerror(errno));
	else if (archive_extract_safe(archive, *dir, NULL, NULL, &e) != 0)
		rc = fail(EXIT_FAIL, "image: %s", e.msg);
	free(parent);
	if (rc) {
		free(*dir);
		*dir = NULL;
	}
	return rc;
}

/*
 * The image as the runner wants it: a reference, a local file, or (native)
 * the extracted program tree in <storage>/.programs/<sha256>.
 */
static int resolve_image(struct ctx *c, const struct task_request *t, enum container_type type,
			 char **image)
{
	const char *name = json_string_value(json_object_get(t->cfg, "image"));
	char hash[HASH_HEX], *file = NULL, *local = NULL, *dir = NULL;
	struct stat st;
	int rc;

	*image = NULL;
	if (type == CT_DOCKER_IMAGE) {
		*image = strdup(name);
		return *image ? EXIT_OK : fail(EXIT_FAIL, "out of memory");
	}
	if (container_type_encrypted(type))
		return fail(EXIT_FAIL, "encrypted containers (%s) need MedPerf's key exchange for "
			    "private models, which this version does not have",
			    container_type_name(type));
	if (!fetch_is_remote(name)) {
		local = local_image_path(t, name);
		if (local == NULL)
			return fail(EXIT_FAIL, "out of memory");
		/* a program tree given as a folder: for developers (run_test), used as it is */
		if (type == CT_NATIVE_ARCHIVE && stat(local, &st) == 0 && S_ISDIR(st.st_mode)) {
			*image = local;
			return EXIT_OK;
		}
	}
	rc = fetch_resource(c, "image", local ? local : name, t->image_hash, hash, &file);
	free(local);
	if (rc)
		return rc;
	if (type != CT_NATIVE_ARCHIVE) {
		*image = file;
		return EXIT_OK;
	}
	rc = task_program_tree(c, file, hash, &dir);
	free(file);
	if (rc)
		return rc;
	*image = dir;
	return EXIT_OK;
}

/*
 * What a task leaves in its outputs is read by medperf later (results,
 * statistics): nothing there may point outside or block a reader. A file
 * output must be a regular file; in a folder output, symbolic links must
 * stay inside it and there may be no FIFOs, sockets or devices.
 */
static const char *walk_root;
static char walk_bad[600];

static int check_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)f;
	if (flag == FTW_SL) {
		char target[4096], resolved[4096], *joined = NULL;
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		const char *slash = strrchr(path, '/');
		size_t rl = strlen(walk_root);
		int outside;
		if (n < 0 || slash == NULL)
			return 0;
		target[n] = '\0';
		if (target[0] == '/')
			outside = 1; /* names a path of the sandbox, or of the host: either way out */
		else if (asprintf(&joined, "%.*s/%s", (int)(slash - path), path, target) < 0)
			outside = 1;
		else if (realpath(joined, resolved) == NULL)
			outside = strstr(target, "..") != NULL; /* dangling: judged by its text */
		else
			outside = strncmp(resolved, walk_root, rl) != 0 ||
				  (resolved[rl] != '/' && resolved[rl] != '\0');
		free(joined);
		if (outside) {
			snprintf(walk_bad, sizeof(walk_bad), "'%.300s' is a symbolic link leaving the "
				 "output ('%.200s')", path, target);
			return 1;
		}
		return 0;
	}
	if (flag == FTW_F && !S_ISREG(st->st_mode)) {
		snprintf(walk_bad, sizeof(walk_bad), "'%s' is not a regular file", path);
		return 1;
	}
	return 0;
}

static int check_outputs(const struct container_task *ct, const struct run_mount *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		char root[4096];
		if (!m[i].output)
			continue;
		if (lstat(m[i].host, &st) != 0)
			continue;
		if (m[i].is_file) {
			if (!S_ISREG(st.st_mode))
				return fail(EXIT_FAIL, "output %s: '%s' is not a regular file (a link "
					    "or a device): refused", m[i].key, m[i].host);
			continue;
		}
		if (realpath(m[i].host, root) == NULL)
			continue;
		walk_root = root;
		walk_bad[0] = '\0';
		if (nftw(root, check_entry, 16, FTW_PHYS | FTW_MOUNT) != 0 && walk_bad[0])
			return fail(EXIT_FAIL, "output %s: %s: refused", m[i].key, walk_bad);
	}
	(void)ct;
	return EXIT_OK;
}

static int sandbox_ids(const struct ctx *c, uid_t *uid, gid_t *gid)
{
	const char *user = profile_str(c->profile, "sandbox_user");
	struct passwd *pw;

	if (geteuid() != 0) {
		*uid = getuid();
		*gid = getgid();
		return EXIT_OK;
	}
	pw = getpwnam(*user ? user : "nobody");
	if (pw == NULL)
		return fail(EXIT_FAIL, "the sandbox user '%s' does not exist (profile setting "
			    "sandbox_user)", *user ? user : "nobody");
	if (pw->pw_uid == 0 || pw->pw_gid == 0)
		return fail(EXIT_FAIL, "the sandbox user '%s' must not be root", pw->pw_name);
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return EXIT_OK;
}

/*
 * One line per task run in <storage>/logs/tasks.tsv: when it ended (UTC), the
 * platform, the task, its wall time in seconds (start to the end of its
 * process tree), how it ended and its exit status. For people (what ran, how
 * long) and for bench/demo (time inside tasks). Nothing of the data.
 */
static void record_task(const char *logs, const char *platform, const char *task,
			const struct run_report *rep)
{
	char path[PATH_MAX], when[32];
	time_t now = time(NULL);
	struct tm tm;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/tasks.tsv", logs) >= (int)sizeof(path))
		return;
	f = fopen(path, "ae");
	if (f == NULL)
		return;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "%s\t%s\t%s\t%.6f\t%s\t%d\n", when, platform, task, rep->seconds,
		run_stop_name(rep->stop), rep->exit_code);
	fclose(f);
}

int task_run(struct ctx *c, const struct task_request *t, struct run_report *rep,
	     char **log_out)
{
	const char *platform = task_platform(c, t->platform);
	const struct runner_backend *b = runner_find(platform);
	enum container_type type = container_type_of(t->cfg);
	struct container_task ct;
	struct run_mount *mounts = NULL;
	struct run_spec s;
	struct strv env = STRV_INIT;
	char *image = NULL, *tmp = NULL, *logs = NULL, *log = NULL, name[64];
	sigset_t block, old_mask;
	unsigned char rnd[8];
	size_t n = 0;
	mp_errbuf e;
	int rc;

	memset(rep, 0, sizeof(*rep));
	rep->stop = RUN_NOT_STARTED;
	if (log_out)
		*log_out = NULL;
	if (interrupt_flag) {
		rep->stop = RUN_INTERRUPTED;
		snprintf(rep->detail, sizeof(rep->detail), "interrupted before it started");
		return EXIT_INTERRUPTED;
	}
	if (b == NULL)
		return fail(EXIT_USAGE, "unknown platform '%s' (native, podman, docker, singularity)",
			    platform);
	if (b->available(&e) != 0)
		return fail(EXIT_FAIL, "%s", e.msg);
	if (container_task_get(t->cfg, t->task, &ct, &e) != 0)
		return fail(EXIT_FAIL, "%s", e.msg);
	mounts = calloc(ct.n_volumes + 1, sizeof(*mounts));
	if (mounts == NULL) {
		container_task_free(&ct);
		return fail(EXIT_FAIL, "out of memory");
	}
	rc = EXIT_OK;
	for (size_t i = 0; i < ct.n_volumes && rc == EXIT_OK; i++) {
		const struct container_volume *v = &ct.volumes[i];
		const char *host = NULL;
		for (size_t k = 0; k < t->n_mounts && !host; k++)
			if (strcmp(t->mounts[k].key, v->key) == 0)
				host = t->mounts[k].host;
		if (host == NULL) {
			rc = fail(EXIT_FAIL, "task '%s' declares the %s volume '%s', which medperf does "
				  "not supply for this task", t->task, v->output ? "output" : "input",
				  v->key);
			break;
		}
		mounts[n++] = (struct run_mount){v->key, host, v->mount_path, v->output, v->is_file};
	}
	if (rc == EXIT_OK)
		rc = resolve_image(c, t, type, &image);
	if (rc == EXIT_OK &&
	    (asprintf(&tmp, "%s/.tmp/task-XXXXXX", c->storage) < 0 ||
	     asprintf(&logs, "%s/logs", c->storage) < 0))
		rc = fail(EXIT_FAIL, "out of memory");
	if (rc == EXIT_OK) {
		char *base = strdup(tmp);
		char *slash = base ? strrchr(base, '/') : NULL;
		if (slash)
			*slash = '\0';
		if (base == NULL || mkdirs(base, 0700) != 0 || mkdtemp(tmp) == NULL ||
		    mkdirs(logs, 0700) != 0)
			rc = fail(EXIT_FAIL, "cannot create '%s': %s", tmp, strerror(errno));
		free(base);
	}
	if (rc == EXIT_OK) {
		FILE *r = fopen("/dev/urandom", "rb");
		if (r == NULL || fread(rnd, 1, sizeof(rnd), r) != sizeof(rnd))
			memset(rnd, 0, sizeof(rnd));
		if (r)
			fclose(r);
		snprintf(name, sizeof(name), "medperf-%s-%02x%02x%02x%02x%02x%02x%02x%02x", t->task,
			 rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
		if (t->log_path)
			log = strdup(t->log_path);
		else if (asprintf(&log, "%s/%s.log", logs, name) < 0)
			log = NULL;
		if (log == NULL)
			rc = fail(EXIT_FAIL, "out of memory");
	}
	if (rc == EXIT_OK && (strv_pushv(&env, (const char *const *)ct.env.v) ||
			      strv_pushv(&env, t->extra_env)))
		rc = fail(EXIT_FAIL, "out of memory");
	if (rc == EXIT_OK) {
		memset(&s, 0, sizeof(s));
		s.kind = container_image_kind(type);
		s.image = image;
		s.command = (const char *const *)ct.command.v;
		s.entrypoint = ct.entrypoint;
		s.env = (const char *const *)env.v;
		s.mounts = mounts;
		s.n_mounts = n;
		s.tmp_dir = tmp;
		limits_for(c, t, &s.limits);
		s.gpus = *profile_str(c->profile, "gpus") ? profile_str(c->profile, "gpus") : ct.gpus;
		s.shm_size = ct.shm_size;
		s.name = name;
		s.log_path = log;
		s.stream = t->stream;
		rc = sandbox_ids(c, &s.run_uid, &s.run_gid);
	}
	/*
	 * From the last look at the flag to the supervisor's signalfd, Ctrl-C stays
	 * pending instead of reaching the handler: the supervisor then sees it at
	 * once and stops the task (it would otherwise run to its end).
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old_mask);
	if (rc == EXIT_OK && interrupt_flag) {
		rep->stop = RUN_INTERRUPTED;
		snprintf(rep->detail, sizeof(rep->detail), "interrupted before it started");
		rc = EXIT_INTERRUPTED;
	} else if (rc == EXIT_OK) {
		int ran = b->run(&s, rep, &e) == 0;
		if (ran)
			record_task(logs, platform, t->task, rep);
		if (!ran)
			rc = fail(EXIT_FAIL, "task '%s' did not start: %s", t->task, e.msg);
		else if (rep->stop != RUN_EXITED || rep->exit_code != 0)
			rc = t->quiet ? EXIT_FAIL : fail(EXIT_FAIL, "task '%s' %s (log: %s)", t->task,
							 rep->detail, log);
		else
			rc = check_outputs(&ct, mounts, n);
	}
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	if (tmp && rc != EXIT_USAGE && access(tmp, F_OK) == 0)
		remove_tree(tmp);
	if (log_out)
		*log_out = log;
	else
		free(log);
	strv_free(&env);
	container_task_free(&ct);
	free(mounts);
	free(image);
	free(tmp);
	free(logs);
	return rc;
}
