/*
 * container.c: container_config.yaml: the strict check, one task's command,
 * environment and volumes, and shlex-style splitting of string commands
 * (see container.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/yaml.h"
#include "runner/container.h"
#include "runner/mlcube.h"

static const char *const type_names[] = {
	[CT_DOCKER_IMAGE] = "DockerImage",
	[CT_DOCKER_ARCHIVE] = "DockerArchive",
	[CT_ENC_DOCKER_ARCHIVE] = "EncryptedDockerArchive",
	[CT_SINGULARITY_FILE] = "SingularityFile",
	[CT_ENC_SINGULARITY_FILE] = "EncryptedSingularityFile",
	[CT_NATIVE_ARCHIVE] = "NativeArchive",
};

const char *container_type_name(enum container_type t)
{
	return t < CT_INVALID ? type_names[t] : "?";
}

int container_type_encrypted(enum container_type t)
{
	return t == CT_ENC_DOCKER_ARCHIVE || t == CT_ENC_SINGULARITY_FILE;
}

int container_has_task(const json_t *cfg, const char *task)
{
	return json_object_get(json_object_get(cfg, "tasks"), task) != NULL;
}

/*
 * The mounts MedPerf supplies to each task it runs (reference 3.2):
 * inputs and outputs it provides, and those a container must declare.
 */
struct task_mounts {
	const char *task;
	const char *inputs;     /* space-separated keys MedPerf can supply */
	const char *outputs;
	const char *needed_out; /* outputs a container must declare */
};

static const struct task_mounts known_tasks[] = {
	{"prepare", "data_path labels_path parameters_file additional_files",
	 "output_path output_labels_path metadata_path report_file", "output_path"},
	{"sanity_check", "data_path labels_path metadata_path parameters_file additional_files",
	 "", ""},
	{"statistics", "data_path labels_path metadata_path parameters_file additional_files",
	 "output_path", "output_path"},
	{"infer", "data_path parameters_file additional_files", "output_path", "output_path"},
	{"evaluate", "predictions labels parameters_file additional_files",
	 "output_path local_outputs_path", "output_path"},
	{"run_script", "data_path labels_path model_files parameters_file additional_files",
	 "results_path", "results_path"},
};

static const char *const run_args_allowed[] = {"command", "entrypoint", "environment", "gpus",
	"shm_size", NULL};
static const char *const top_allowed[] = {"container_type", "image", "tasks", NULL};

static int in_list(const char *word, const char *list)
{
	size_t n = strlen(word);

	for (const char *p = list; *p;) {
		const char *sp = strchr(p, ' ');
		size_t len = sp ? (size_t)(sp - p) : strlen(p);
		if (len == n && strncmp(p, word, n) == 0)
			return 1;
		p += len + (sp != NULL);
	}
	return 0;
}

static int in_array(const char *word, const char *const *arr)
{
	for (; *arr; arr++)
		if (strcmp(*arr, word) == 0)
			return 1;
	return 0;
}

/* Appends the escaped key to a JSON pointer. */
static void ptr_add(char *ptr, size_t cap, const char *key)
{
	size_t n = strlen(ptr);

	if (n + 1 < cap)
		ptr[n++] = '/';
	for (; *key && n + 2 < cap; key++) {
		if (*key == '~' || *key == '/') {
			ptr[n++] = '~';
			ptr[n++] = *key == '~' ? '0' : '1';
		} else {
			ptr[n++] = *key;
		}
	}
	ptr[n] = '\0';
}

#define BAD(ptr_, ...) do_bad(e, file, doc, ptr_, __VA_ARGS__)

static int do_bad(mp_errbuf *e, const char *file, const struct yaml_doc *doc, const char *ptr,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int do_bad(mp_errbuf *e, const char *file, const struct yaml_doc *doc, const char *ptr,
		  const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	int line = yaml_line(doc, ptr);

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		return mp_seterr(e, MP_EINVAL, "%s:%d: %s", file, line, msg);
	return mp_seterr(e, MP_EINVAL, "%s: %s", file, msg);
}

static int check_volumes(const json_t *vols, const char *task, const char *kind,
			 const struct task_mounts *known, const char *base, const char *file,
			 const struct yaml_doc *doc, mp_errbuf *e)
{
	const char *key;
	json_t *v;
	char ptr[512];

	if (vols == NULL || json_is_null(vols))
		return MP_OK;
	snprintf(ptr, sizeof(ptr), "%s", base);
	if (!json_is_object(vols))
		return BAD(ptr, "tasks.%s.%s must be a mapping of mount keys", task, kind);
	json_object_foreach((json_t *)vols, key, v) {
		const char *mp, *type;
		const char *allowed = known ? (strcmp(kind, "input_volumes") == 0 ? known->inputs
										    : known->outputs)
					    : NULL;
		snprintf(ptr, sizeof(ptr), "%s", base);
		ptr_add(ptr, sizeof(ptr), key);
		if (!json_is_object(v))
			return BAD(ptr, "tasks.%s.%s.%s must be a mapping with mount_path and type",
				   task, kind, key);
		mp = json_string_value(json_object_get(v, "mount_path"));
		type = json_string_value(json_object_get(v, "type"));
		if (mp == NULL && json_object_get(v, "mount_path") != NULL) {
			ptr_add(ptr, sizeof(ptr), "mount_path");
			return BAD(ptr, "tasks.%s.%s.%s: mount_path must be a string", task, kind, key);
		}
		if (type == NULL && json_object_get(v, "type") != NULL) {
			ptr_add(ptr, sizeof(ptr), "type");
			return BAD(ptr, "tasks.%s.%s.%s: type must be a string (file or directory)",
				   task, kind, key);
		}
		if (mp == NULL)
			return BAD(ptr, "tasks.%s.%s.%s has no mount_path", task, kind, key);
		if (mp[0] != '/')
			return BAD(ptr, "tasks.%s.%s.%s: mount_path '%s' must be an absolute path",
				   task, kind, key, mp);
		if (type == NULL)
			return BAD(ptr, "tasks.%s.%s.%s has no type (file or directory)", task, kind,
				   key);
		if (strcmp(type, "file") != 0 && strcmp(type, "directory") != 0)
			return BAD(ptr, "tasks.%s.%s.%s: type must be file or directory, not '%s'",
				   task, kind, key, type);
		if (allowed && !in_list(key, allowed))
			return BAD(ptr, "tasks.%s.%s: '%s' is not a mount MedPerf provides to %s "
				   "(it provides: %s)", task, kind, key, task,
				   allowed[0] ? allowed : "none");
	}
	return MP_OK;
}

int container_config_check(const json_t *cfg, const struct yaml_doc *doc, const char *file,
		      enum container_type *type, mp_errbuf *e)
{
	const char *key, *tname;
	json_t *v, *tasks, *image;
	char ptr[512];
	int rc;

	*type = CT_INVALID;
	if (!json_is_object(cfg) || json_object_size(cfg) == 0)
		return BAD("", "the container configuration is empty or not a mapping");
	json_object_foreach((json_t *)cfg, key, v) {
		if (!in_array(key, top_allowed)) {
			snprintf(ptr, sizeof(ptr), "%s", "");
			ptr_add(ptr, sizeof(ptr), key);
			return BAD(ptr, "unknown key '%s' (expected container_type, image, tasks)", key);
		}
	}
	v = json_object_get(cfg, "container_type");
	if (v == NULL) /* MedPerf refuses it too: "should contain a 'container_type' field" */
		return BAD("", "'container_type' is missing (one of DockerImage, DockerArchive, "
			   "EncryptedDockerArchive, SingularityFile, EncryptedSingularityFile, "
			   "NativeArchive)");
	tname = json_string_value(v);
	for (int t = 0; tname && t < CT_INVALID; t++)
		if (strcmp(tname, type_names[t]) == 0)
			*type = (enum container_type)t;
	if (*type == CT_INVALID)
		return BAD("/container_type", "container_type must be one of DockerImage, "
			   "DockerArchive, EncryptedDockerArchive, SingularityFile, "
			   "EncryptedSingularityFile, NativeArchive");
	image = json_object_get(cfg, "image");
	if (!json_is_string(image) || json_string_length(image) == 0)
		return BAD(image ? "/image" : "", "'image' must be given as a non-empty string");
	tasks = json_object_get(cfg, "tasks");
	if (!json_is_object(tasks) || json_object_size(tasks) == 0)
		return BAD(tasks ? "/tasks" : "", "'tasks' must be a mapping with at least one task");
	json_object_foreach(tasks, key, v) {
		const struct task_mounts *known = NULL;
		json_t *ra;
		char base[256];
		for (size_t i = 0; i < sizeof(known_tasks) / sizeof(known_tasks[0]); i++)
			if (strcmp(known_tasks[i].task, key) == 0)
				known = &known_tasks[i];
		snprintf(base, sizeof(base), "/tasks");
		ptr_add(base, sizeof(base), key);
		if (json_is_null(v))
			continue;
		if (!json_is_object(v))
			return BAD(base, "task '%s' must be a mapping", key);
		json_object_foreach(v, tname, ra) {
			if (strcmp(tname, "run_args") && strcmp(tname, "input_volumes") &&
			    strcmp(tname, "output_volumes")) {
				snprintf(ptr, sizeof(ptr), "%s", base);
				ptr_add(ptr, sizeof(ptr), tname);
				return BAD(ptr, "task '%s': unknown key '%s' (expected run_args, "
					   "input_volumes, output_volumes)", key, tname);
			}
		}
		ra = json_object_get(v, "run_args");
		if (ra && !json_is_null(ra)) {
			const char *rk;
			json_t *rv;
			snprintf(ptr, sizeof(ptr), "%s/run_args", base);
			if (!json_is_object(ra))
				return BAD(ptr, "task '%s': run_args must be a mapping", key);
			json_object_foreach(ra, rk, rv) {
				if (!in_array(rk, run_args_allowed)) {
					char p2[600];
					snprintf(p2, sizeof(p2), "%s", ptr);
					ptr_add(p2, sizeof(p2), rk);
					return BAD(p2, "task '%s': run_args key '%s' is not allowed "
						   "(allowed: command, entrypoint, environment, gpus, "
						   "shm_size)", key, rk);
				}
				if (strcmp(rk, "command") == 0 && !json_is_string(rv) &&
				    !json_is_array(rv))
					return BAD(ptr, "task '%s': run_args.command must be a string or "
						   "a list", key);
				if (strcmp(rk, "environment") == 0 && !json_is_object(rv))
					return BAD(ptr, "task '%s': run_args.environment must be a "
						   "mapping", key);
			}
		}
		snprintf(ptr, sizeof(ptr), "%s/input_volumes", base);
		rc = check_volumes(json_object_get(v, "input_volumes"), key, "input_volumes", known,
				   ptr, file, doc, e);
		if (rc)
			return rc;
		snprintf(ptr, sizeof(ptr), "%s/output_volumes", base);
		rc = check_volumes(json_object_get(v, "output_volumes"), key, "output_volumes",
				   known, ptr, file, doc, e);
		if (rc)
			return rc;
		if (known && known->needed_out[0]) {
			json_t *outs = json_object_get(v, "output_volumes");
			const char *p = known->needed_out;
			while (*p) {
				const char *sp = strchr(p, ' ');
				char need[64];
				size_t len = sp ? (size_t)(sp - p) : strlen(p);
				snprintf(need, sizeof(need), "%.*s", (int)len, p);
				if (json_object_get(outs, need) == NULL)
					return BAD(base, "task '%s' must declare the output volume '%s'",
						   key, need);
				p += len + (sp != NULL);
			}
		}
	}
	return MP_OK;
}

int container_config_load(const char *path, json_t **cfg, struct yaml_doc **docp,
			  enum container_type *type, mp_errbuf *e)
{
	const char *file = path, *tname, *key;
	struct yaml_doc *doc = NULL;
	json_t *root = NULL, *conv = NULL, *task, *v;
	int rc, legacy;

	*cfg = NULL;
	if (docp)
		*docp = NULL;
	*type = CT_INVALID;
	rc = yaml_load_file(path, 1 << 20, &root, &doc, e);
	legacy = rc == MP_OK && mlcube_detect(path, root);
	if (legacy) {
		rc = mlcube_convert(root, doc, path, &conv, e);
		json_decref(root);
		root = conv;
	}
	/*
	 * The mounts MedPerf supplies (known_tasks), said in the MLCube file's
	 * terms and at its lines; container_config_check says it again below
	 * for container_config files.
	 */
	json_object_foreach(legacy && rc == MP_OK ? json_object_get(root, "tasks") : NULL, tname,
			    task) {
		const struct task_mounts *known = NULL;
		char ptr[512];
		for (size_t i = 0; i < sizeof(known_tasks) / sizeof(known_tasks[0]); i++)
			if (strcmp(known_tasks[i].task, tname) == 0)
				known = &known_tasks[i];
		for (int io = 0; known && io < 2 && rc == MP_OK; io++) {
			const char *allowed = io ? known->outputs : known->inputs;
			json_object_foreach(json_object_get(task, io ? "output_volumes"
								 : "input_volumes"), key, v) {
				if (in_list(key, allowed))
					continue;
				snprintf(ptr, sizeof(ptr), "/tasks");
				ptr_add(ptr, sizeof(ptr), tname);
				ptr_add(ptr, sizeof(ptr), "parameters");
				ptr_add(ptr, sizeof(ptr), io ? "outputs" : "inputs");
				ptr_add(ptr, sizeof(ptr), key);
				rc = BAD(ptr, "tasks.%s.parameters.%s: '%s' is not a parameter MedPerf "
					 "passes to %s (it passes: %s)", tname, io ? "outputs" : "inputs",
					 key, tname, allowed[0] ? allowed : "none");
				break;
			}
		}
		for (const char *p = known ? known->needed_out : ""; *p && rc == MP_OK;) {
			size_t len = strcspn(p, " ");
			char need[64];
			snprintf(need, sizeof(need), "%.*s", (int)len, p);
			if (json_object_get(json_object_get(task, "output_volumes"), need) == NULL) {
				snprintf(ptr, sizeof(ptr), "/tasks");
				ptr_add(ptr, sizeof(ptr), tname);
				rc = BAD(ptr, "task '%s' must have the output parameter '%s'", tname, need);
			}
			p += len + (p[len] == ' ');
		}
		if (rc)
			break;
	}
	if (rc == MP_OK)
		rc = container_config_check(root, doc, path, type, e);
	if (rc != MP_OK) {
		*type = CT_INVALID;
		json_decref(root);
		yaml_doc_free(doc);
		return rc;
	}
	*cfg = root;
	if (docp)
		*docp = doc;
	else
		yaml_doc_free(doc);
	return MP_OK;
}

enum container_type container_type_of(const json_t *cfg)
{
	const char *name = json_string_value(json_object_get(cfg, "container_type"));

	for (int t = 0; name && t < CT_INVALID; t++)
		if (strcmp(name, type_names[t]) == 0)
			return (enum container_type)t;
	return CT_INVALID;
}

enum image_kind container_image_kind(enum container_type t)
{
	static const enum image_kind kinds[] = {
		[CT_DOCKER_IMAGE] = IMG_DOCKER_IMAGE,
		[CT_DOCKER_ARCHIVE] = IMG_DOCKER_ARCHIVE,
		[CT_ENC_DOCKER_ARCHIVE] = IMG_DOCKER_ARCHIVE,
		[CT_SINGULARITY_FILE] = IMG_SINGULARITY_FILE,
		[CT_ENC_SINGULARITY_FILE] = IMG_SINGULARITY_FILE,
		[CT_NATIVE_ARCHIVE] = IMG_NATIVE_ARCHIVE,
	};
	return t < CT_INVALID ? kinds[t] : IMG_DOCKER_IMAGE;
}

int shell_split(const char *s, struct strv *out, mp_errbuf *e)
{
	enum { OUT, WORD, SQ, DQ } st = OUT;
	struct buf w;
	int rc = MP_OK;

	buf_init(&w, 0);
	for (const char *p = s; *p && rc == MP_OK; p++) {
		char c = *p;
		switch (st) {
		case SQ:
			if (c == '\'')
				st = WORD;
			else
				rc = buf_addch(&w, c);
			break;
		case DQ:
			if (c == '"') {
				st = WORD;
			} else if (c == '\\' && (p[1] == '\\' || p[1] == '"')) {
				rc = buf_addch(&w, *++p);
			} else {
				rc = buf_addch(&w, c);
			}
			break;
		default:
			if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
				if (st == WORD)
					rc = strv_push(out, w.data);
				buf_reset(&w);
				st = OUT;
			} else if (c == '\'') {
				st = SQ;
			} else if (c == '"') {
				st = DQ;
			} else if (c == '\\') {
				if (p[1] == '\0') {
					rc = mp_seterr(e, MP_EINVAL, "command '%s': no escaped character "
						       "after the last backslash", s);
					break;
				}
				rc = buf_addch(&w, *++p);
				st = WORD;
			} else {
				rc = buf_addch(&w, c);
				st = WORD;
			}
		}
	}
	if (rc == MP_OK && (st == SQ || st == DQ))
		rc = mp_seterr(e, MP_EINVAL, "command '%s': no closing quotation", s);
	if (rc == MP_OK && st == WORD)
		rc = strv_push(out, w.data);
	buf_release(&w);
	return rc;
}

/* A scalar of run_args as text: strings as they are, numbers as Python prints them. */
static const char *scalar_text(json_t *v, char *buf, size_t cap)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	return NULL;
}

static int add_volumes(struct container_task *t, json_t *vols, int output)
{
	const char *key;
	json_t *v;

	json_object_foreach(vols, key, v) {
		struct container_volume *nv = realloc(t->volumes, (t->n_volumes + 1) * sizeof(*nv));
		if (nv == NULL)
			return MP_ENOMEM;
		t->volumes = nv;
		nv[t->n_volumes].key = key;
		nv[t->n_volumes].mount_path = json_string_value(json_object_get(v, "mount_path"));
		nv[t->n_volumes].is_file = strcmp(json_string_value(json_object_get(v, "type")),
						  "file") == 0;
		nv[t->n_volumes].output = output;
		t->n_volumes++;
	}
	return MP_OK;
}

int container_task_get(const json_t *cfg, const char *name, struct container_task *t,
		       mp_errbuf *e)
{
	json_t *task = json_object_get(json_object_get(cfg, "tasks"), name), *ra, *cmd, *env, *v;
	const char *key;
	int rc = MP_OK;

	memset(t, 0, sizeof(*t));
	if (task == NULL)
		return mp_seterr(e, MP_ENOTFOUND, "the container has no task '%s'", name);
	ra = json_object_get(task, "run_args");
	cmd = json_object_get(ra, "command");
	if (json_is_string(cmd)) {
		rc = shell_split(json_string_value(cmd), &t->command, e);
	} else if (json_is_array(cmd)) {
		size_t i;
		json_array_foreach(cmd, i, v) {
			char num[32];
			const char *w = scalar_text(v, num, sizeof(num));
			if (w == NULL) {
				rc = mp_seterr(e, MP_EINVAL, "task '%s': run_args.command item %zu is "
					       "not a string", name, i + 1);
				break;
			}
			rc = strv_push(&t->command, w);
			if (rc)
				break;
		}
	}
	t->entrypoint = json_string_value(json_object_get(ra, "entrypoint"));
	env = json_object_get(ra, "environment");
	json_object_foreach(env, key, v) {
		char num[32];
		const char *val = scalar_text(v, num, sizeof(num));
		if (rc)
			break;
		if (val == NULL && json_is_boolean(v))
			val = json_is_true(v) ? "True" : "False";
		if (val == NULL && json_is_real(v)) {
			snprintf(num, sizeof(num), "%.17g", json_real_value(v));
			val = num;
		}
		if (val == NULL || strchr(key, '=') || *key == '\0')
			rc = mp_seterr(e, MP_EINVAL, "task '%s': environment variable '%s' must be "
				       "a NAME without '=' and a scalar value", name, key);
		else
			rc = strv_pushf(&t->env, "%s=%s", key, val);
	}
	t->gpus = scalar_text(json_object_get(ra, "gpus"), t->scalar[0], sizeof(t->scalar[0]));
	t->shm_size = scalar_text(json_object_get(ra, "shm_size"), t->scalar[1],
				  sizeof(t->scalar[1]));
	if (rc == MP_OK)
		rc = add_volumes(t, json_object_get(task, "input_volumes"), 0);
	if (rc == MP_OK)
		rc = add_volumes(t, json_object_get(task, "output_volumes"), 1);
	if (rc)
		container_task_free(t);
	return rc;
}

void container_task_free(struct container_task *t)
{
	strv_free(&t->command);
	strv_free(&t->env);
	free(t->volumes);
	memset(t, 0, sizeof(*t));
}
