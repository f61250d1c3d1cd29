/*
 * mlcube.c: legacy mlcube.yaml files: recognising one, the strict check
 * with the conversion into a container_config, and a task's workspace
 * defaults (see mlcube.h and docs/mlcube-legacy.md).
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/yaml.h"
#include "runner/mlcube.h"

/* The longest parameter or task name (they become flags and mount folders). */
#define NAME_MAX_LEN 64

/* Where problems are reported: the file, its node positions, the caller's buffer. */
struct where {
	const struct yaml_doc *doc;
	const char *file;
	mp_errbuf *e;
};

/* The path of a node, as the keys leading to it (NULL-terminated). */
#define AT(...) ((const char *const[]){__VA_ARGS__, NULL})

static const char *const top_keys[] = {"name", "description", "authors", "platform", "docker",
	"singularity", "tasks", NULL};
static const char *const author_keys[] = {"name", "email", "org", NULL};
static const char *const docker_keys[] = {"image", "build_context", "build_file", NULL};
static const char *const singularity_keys[] = {"image", NULL};
static const char *const task_keys[] = {"parameters", NULL};
static const char *const parameters_keys[] = {"inputs", "outputs", NULL};
static const char *const param_keys[] = {"type", "default", NULL};

/* platform: each key with the kind of value it takes */
enum value_kind { V_COUNT, V_TEXT, V_NUMBER, V_BOOL };
static const struct {
	const char *key;
	enum value_kind kind;
} platform_keys[] = {
	{"accelerator_count", V_COUNT},
	{"accelerator_maker", V_TEXT},
	{"accelerator_model", V_TEXT},
	{"host_memory_gb", V_NUMBER},
	{"host_disk_space_gb", V_NUMBER},
	{"need_internet_access", V_BOOL},
};

static int in_array(const char *word, const char *const *arr)
{
	for (; *arr; arr++)
		if (strcmp(*arr, word) == 0)
			return 1;
	return 0;
}

/* Appends one JSON-pointer component ('~' and '/' escaped). */
static int ptr_add(struct buf *ptr, const char *key)
{
	int rc = buf_addch(ptr, '/');

	for (; *key && rc == MP_OK; key++) {
		if (*key == '~')
			rc = buf_adds(ptr, "~0");
		else if (*key == '/')
			rc = buf_adds(ptr, "~1");
		else
			rc = buf_addch(ptr, *key);
	}
	return rc;
}

/*
 * Refuses the node at path `at`: "FILE:LINE: a.b: problem", the line being
 * that of the node (or of its closest ancestor in the file) and a.b the
 * first `shown` keys of its path.
 */
static int vbad(const struct where *w, const char *const *at, size_t shown, const char *fmt,
		va_list ap) __attribute__((format(printf, 4, 0)));

static int vbad(const struct where *w, const char *const *at, size_t shown, const char *fmt,
		va_list ap)
{
	struct buf ptr, dots;
	char msg[200];
	int line, rc = MP_OK, cut = 0;

	buf_init(&ptr, 4096);
	buf_init(&dots, 120);
	for (size_t i = 0; at[i] && rc == MP_OK; i++) {
		rc = ptr_add(&ptr, at[i]);
		/* the dotted name is for people: cut short (with "...") rather than fail */
		if (i < shown && !cut && buf_addf(&dots, "%s%s", i ? "." : "", at[i]) != MP_OK) {
			cut = 1;
			buf_adds(&dots, "...");
		}
	}
	line = rc == MP_OK ? yaml_line(w->doc, ptr.data) : 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line > 0)
		rc = mp_seterr(w->e, MP_EINVAL, "%s:%d: %s%s%s", w->file, line, dots.data,
			       dots.len ? ": " : "", msg);
	else
		rc = mp_seterr(w->e, MP_EINVAL, "%s: %s%s%s", w->file, dots.data,
			       dots.len ? ": " : "", msg);
	buf_release(&ptr);
	buf_release(&dots);
	return rc;
}

static int bad(const struct where *w, const char *const *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(const struct where *w, const char *const *at, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vbad(w, at, (size_t)-1, fmt, ap);
	va_end(ap);
	return rc;
}

/* bad() at a member key, named in the message by its mapping's path. */
static int bad_key(const struct where *w, const char *const *at, const char *key,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int bad_key(const struct where *w, const char *const *at, const char *key,
		   const char *fmt, ...)
{
	const char *p[8];
	size_t n = 0;
	va_list ap;
	int rc;

	for (; at[n] && n < 6; n++)
		p[n] = at[n];
	p[n] = key;
	p[n + 1] = NULL;
	va_start(ap, fmt);
	rc = vbad(w, p, n, fmt, ap);
	va_end(ap);
	return rc;
}

/* Every key of obj (a mapping) is in allowed; otherwise the first other one is refused. */
static int only_keys(const struct where *w, const json_t *obj, const char *const *at,
		     const char *const *allowed, const char *allowed_text)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		if (!in_array(key, allowed))
			return bad_key(w, at, key, "unknown key '%.60s' (allowed here: %s)", key,
				       allowed_text);
	}
	return MP_OK;
}

/* An optional member that, when present, must be a string. */
static int opt_string(const struct where *w, const json_t *obj, const char *key,
		      const char *const *at)
{
	json_t *v = json_object_get(obj, key);

	if (v != NULL && !json_is_string(v))
		return bad(w, at, "must be a string");
	return MP_OK;
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A task or parameter name: [A-Za-z0-9_][A-Za-z0-9_.-]*, at most NAME_MAX_LEN bytes. */
static int good_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_MAX_LEN || !(is_alpha(s[0]) || is_digit(s[0]) || s[0] == '_'))
		return 0;
	for (; *s; s++)
		if (!(is_alpha(*s) || is_digit(*s) || *s == '_' || *s == '.' || *s == '-'))
			return 0;
	return 1;
}

/*
 * The type rule for a path written without one: its last component has an
 * extension when it holds a '.' after its first character followed by 1 to
 * 8 letters and digits, at least one of them a letter ("valid.csv",
 * "scan.nii.gz", but not "CheXpert-v1.0-small" nor "v1.0").
 */
static int has_extension(const char *path)
{
	const char *base = strrchr(path, '/'), *dot;
	size_t n;
	int letter = 0;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	if (dot == NULL || dot == base)
		return 0;
	n = strlen(dot + 1);
	if (n < 1 || n > 8)
		return 0;
	for (const char *p = dot + 1; *p; p++) {
		if (!is_alpha(*p) && !is_digit(*p))
			return 0;
		letter |= is_alpha(*p);
	}
	return letter;
}

/* NULL when path is an acceptable workspace path, else what is wrong with it. */
static const char *path_problem(const json_t *v)
{
	const char *s = json_string_value(v);

	if (s == NULL)
		return "the path must be a string";
	if (*s == '\0')
		return "the path is empty";
	if (strlen(s) != json_string_length(v))
		return "the path holds a NUL character";
	if (s[0] == '/')
		return "the path must be relative to the workspace folder, not absolute";
	if (strstr(s, "${") != NULL)
		return "interpolation (${...}) is not supported: write the path itself";
	for (const char *p = s; *p;) {
		size_t len = strcspn(p, "/");
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return "the path must stay inside the workspace folder (no '..')";
		p += len;
		while (*p == '/')
			p++;
	}
	return NULL;
}

/* json_object_set_new that reports a failure (the value is released either way). */
static int put(json_t *obj, const char *key, json_t *v)
{
	return v != NULL && json_object_set_new(obj, key, v) == 0 ? MP_OK : MP_ENOMEM;
}

/* One task being converted. */
struct conv_task {
	const char *name;
	json_t *command;        /* [task, "--key=mount", ...] */
	json_t *vols[2];        /* input_volumes, output_volumes */
};

/* One parameter of io (0: inputs, 1: outputs) into a volume and a flag. */
static int convert_param(const struct where *w, struct conv_task *t, int io, const char *key,
			 const json_t *v)
{
	const char *ios = io ? "outputs" : "inputs", *type = NULL, *path, *problem, *base;
	const json_t *pathv = v;
	json_t *vol;
	char mount[sizeof(MLCUBE_IO_PREFIX) + 2 * NAME_MAX_LEN + PATH_MAX];
	int rc, n;

	if (!good_name(key))
		return bad(w, AT("tasks", t->name, "parameters", ios, key), "a parameter name is 1 "
			   "to %d letters, digits, '_', '.' or '-', not starting with '.' or '-'",
			   NAME_MAX_LEN);
	if (json_object_get(t->vols[!io], key) != NULL)
		return bad(w, AT("tasks", t->name, "parameters", ios, key), "'%s' is both an input "
			   "and an output", key);
	if (json_is_object(v)) {
		const json_t *tv = json_object_get(v, "type");
		rc = only_keys(w, v, AT("tasks", t->name, "parameters", ios, key), param_keys,
			       "type, default");
		if (rc)
			return rc;
		if (tv != NULL) {
			type = json_string_value(tv);
			if (type == NULL || (strcmp(type, "file") && strcmp(type, "directory")))
				return bad(w, AT("tasks", t->name, "parameters", ios, key, "type"),
					   "type must be file or directory");
		}
		pathv = json_object_get(v, "default");
		if (pathv == NULL)
			return bad(w, AT("tasks", t->name, "parameters", ios, key), "no default "
				   "(the path, relative to the workspace folder)");
		problem = path_problem(pathv);
		if (problem)
			return bad(w, AT("tasks", t->name, "parameters", ios, key, "default"), "%s",
				   problem);
	} else if (!json_is_string(v)) {
		return bad(w, AT("tasks", t->name, "parameters", ios, key), "must be a path or a "
			   "mapping {type: file|directory, default: path}");
	} else {
		problem = path_problem(v);
		if (problem)
			return bad(w, AT("tasks", t->name, "parameters", ios, key), "%s", problem);
	}
	path = json_string_value(pathv);
	if (type == NULL && path[strlen(path) - 1] == '/')
		type = "directory";
	if (type == NULL && io == 1)
		return bad(w, AT("tasks", t->name, "parameters", ios, key), "is it a file or a "
			   "directory? Write {type: file, default: %.60s}, or end a directory "
			   "with '/'", path);
	if (type == NULL)
		type = has_extension(path) ? "file" : "directory";
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (strcmp(type, "file") == 0 && (*base == '\0' || strcmp(base, ".") == 0))
		return bad(w, AT("tasks", t->name, "parameters", ios, key), "a file path must end "
			   "with a file name, not '%.60s'", path);
	if (strcmp(type, "file") == 0)
		n = snprintf(mount, sizeof(mount), "%s/%s/%s", MLCUBE_IO_PREFIX, key, base);
	else
		n = snprintf(mount, sizeof(mount), "%s/%s", MLCUBE_IO_PREFIX, key);
	if (n < 0 || (size_t)n >= sizeof(mount))
		return bad(w, AT("tasks", t->name, "parameters", ios, key), "the file name is too "
			   "long");
	vol = json_pack("{s:s,s:s}", "mount_path", mount, "type", type);
	if (put(t->vols[io], key, vol) != MP_OK ||
	    json_array_append_new(t->command, json_sprintf("--%s=%s", key, mount)) != 0)
		return mp_seterr(w->e, MP_ENOMEM, "out of memory");
	return MP_OK;
}

static int convert_task(const struct where *w, const char *name, const json_t *task,
			json_int_t gpus, json_t *out)
{
	struct conv_task t = {name, NULL, {NULL, NULL}};
	const json_t *params;
	json_t *conv = NULL, *ra = NULL;
	int rc;

	if (!good_name(name))
		return bad(w, AT("tasks", name), "a task name is 1 to %d letters, digits, '_', '.' "
			   "or '-', not starting with '.' or '-'", NAME_MAX_LEN);
	if (!json_is_object(task))
		return bad(w, AT("tasks", name), "a task must be a mapping (with parameters)");
	rc = only_keys(w, task, AT("tasks", name), task_keys, "parameters");
	if (rc)
		return rc;
	params = json_object_get(task, "parameters");
	if (params != NULL && !json_is_null(params) && !json_is_object(params))
		return bad(w, AT("tasks", name, "parameters"), "must be a mapping with inputs and "
			   "outputs");
	rc = json_is_object(params) ? only_keys(w, params, AT("tasks", name, "parameters"),
						 parameters_keys, "inputs, outputs")
				    : MP_OK;
	t.command = json_array();
	t.vols[0] = json_object();
	t.vols[1] = json_object();
	conv = json_object();
	ra = json_object();
	if (rc == MP_OK && (!t.command || !t.vols[0] || !t.vols[1] || !conv || !ra ||
			    json_array_append_new(t.command, json_string(name)) != 0))
		rc = mp_seterr(w->e, MP_ENOMEM, "out of memory");
	for (int io = 0; io < 2 && rc == MP_OK; io++) {
		const char *ios = io ? "outputs" : "inputs", *key;
		const json_t *list = json_object_get(params, ios);
		json_t *v;
		if (list != NULL && !json_is_null(list) && !json_is_object(list)) {
			rc = bad(w, AT("tasks", name, "parameters", ios), "must be a mapping of "
				 "parameter names to paths");
			break;
		}
		json_object_foreach((json_t *)list, key, v) {
			rc = convert_param(w, &t, io, key, v);
			if (rc)
				break;
		}
	}
	if (rc == MP_OK && gpus > 0 && put(ra, "gpus", json_integer(gpus)) != MP_OK)
		rc = mp_seterr(w->e, MP_ENOMEM, "out of memory");
	/* volumes only when there are some, as people write container_config.yaml */
	if (rc == MP_OK && (put(ra, "command", json_incref(t.command)) != MP_OK ||
			    put(conv, "run_args", json_incref(ra)) != MP_OK ||
			    (json_object_size(t.vols[0]) &&
			     put(conv, "input_volumes", json_incref(t.vols[0])) != MP_OK) ||
			    (json_object_size(t.vols[1]) &&
			     put(conv, "output_volumes", json_incref(t.vols[1])) != MP_OK) ||
			    put(out, name, json_incref(conv)) != MP_OK))
		rc = mp_seterr(w->e, MP_ENOMEM, "out of memory");
	json_decref(t.command);
	json_decref(t.vols[0]);
	json_decref(t.vols[1]);
	json_decref(ra);
	json_decref(conv);
	return rc;
}

static int check_authors(const struct where *w, const json_t *authors)
{
	size_t i;
	json_t *a;

	if (authors == NULL)
		return MP_OK;
	if (!json_is_array(authors))
		return bad(w, AT("authors"), "must be a list of {name, email, org}");
	json_array_foreach(authors, i, a) {
		char idx[24];
		int rc;
		snprintf(idx, sizeof(idx), "%zu", i);
		if (!json_is_object(a))
			return bad(w, AT("authors", idx), "an author is a mapping {name, email, org}");
		rc = only_keys(w, a, AT("authors", idx), author_keys, "name, email, org");
		for (size_t k = 0; author_keys[k] && rc == MP_OK; k++)
			rc = opt_string(w, a, author_keys[k], AT("authors", idx, author_keys[k]));
		if (rc)
			return rc;
	}
	return MP_OK;
}

/* platform: the known keys with their types; *gpus = accelerator_count (0 when absent). */
static int check_platform(const struct where *w, const json_t *platform, json_int_t *gpus)
{
	const char *key;
	json_t *v;

	*gpus = 0;
	if (platform == NULL)
		return MP_OK;
	if (!json_is_object(platform))
		return bad(w, AT("platform"), "must be a mapping (accelerator_count, ...)");
	json_object_foreach((json_t *)platform, key, v) {
		size_t i, n = sizeof(platform_keys) / sizeof(platform_keys[0]);
		for (i = 0; i < n && strcmp(platform_keys[i].key, key); i++)
			;
		if (i == n)
			return bad_key(w, AT("platform"), key, "unknown key '%.60s' (allowed here: "
				   "accelerator_count, accelerator_maker, accelerator_model, "
				   "host_memory_gb, host_disk_space_gb, need_internet_access)", key);
		switch (platform_keys[i].kind) {
		case V_COUNT:
			if (!json_is_integer(v) || json_integer_value(v) < 0)
				return bad(w, AT("platform", key), "must be a whole number, 0 or more");
			*gpus = json_integer_value(v);
			break;
		case V_NUMBER:
			if (!json_is_number(v) || json_number_value(v) < 0)
				return bad(w, AT("platform", key), "must be a number, 0 or more");
			break;
		case V_BOOL:
			if (!json_is_boolean(v))
				return bad(w, AT("platform", key), "must be true or false");
			break;
		case V_TEXT:
			if (!json_is_string(v))
				return bad(w, AT("platform", key), "must be a string");
		}
	}
	return MP_OK;
}

/* docker (required, with image) and singularity; *image is docker.image. */
static int check_images(const struct where *w, const json_t *mlcube, const char **image)
{
	const json_t *docker = json_object_get(mlcube, "docker");
	const json_t *sing = json_object_get(mlcube, "singularity");
	const char *img;
	int rc;

	if (docker == NULL)
		return bad(w, AT(NULL), "'docker' with its image is missing (docker: {image: "
			   "NAME:TAG})");
	if (!json_is_object(docker))
		return bad(w, AT("docker"), "must be a mapping with image");
	rc = only_keys(w, docker, AT("docker"), docker_keys, "image, build_context, build_file");
	if (rc == MP_OK)
		rc = opt_string(w, docker, "build_context", AT("docker", "build_context"));
	if (rc == MP_OK)
		rc = opt_string(w, docker, "build_file", AT("docker", "build_file"));
	if (rc)
		return rc;
	img = json_string_value(json_object_get(docker, "image"));
	if (img == NULL)
		return bad(w, AT("docker", json_object_get(docker, "image") ? "image" : NULL),
			   "docker.image must be given as a string (NAME:TAG)");
	if (*img == '\0' || *img == '-' || strlen(img) != json_string_length(json_object_get(
			docker, "image")) || strpbrk(img, " \t\r\n\v\f") != NULL)
		return bad(w, AT("docker", "image"), "'%.60s' is not an image name", img);
	if (sing != NULL && !json_is_object(sing))
		return bad(w, AT("singularity"), "must be a mapping with image");
	rc = sing ? only_keys(w, sing, AT("singularity"), singularity_keys, "image") : MP_OK;
	if (rc == MP_OK && sing)
		rc = opt_string(w, sing, "image", AT("singularity", "image"));
	*image = img;
	return rc;
}

int mlcube_convert(const json_t *mlcube, const struct yaml_doc *doc, const char *file,
		   json_t **config, mp_errbuf *e)
{
	struct where w = {doc, file ? file : "mlcube.yaml", e};
	const json_t *tasks;
	const char *image = NULL, *key;
	json_t *cfg = NULL, *out = NULL, *v;
	json_int_t gpus = 0;
	int rc;

	*config = NULL;
	if (!json_is_object(mlcube) || json_object_size(mlcube) == 0)
		return bad(&w, AT(NULL), "the MLCube file is empty or not a mapping");
	rc = only_keys(&w, mlcube, AT(NULL), top_keys, "name, description, authors, platform, "
		       "docker, singularity, tasks");
	if (rc == MP_OK)
		rc = opt_string(&w, mlcube, "name", AT("name"));
	if (rc == MP_OK)
		rc = opt_string(&w, mlcube, "description", AT("description"));
	if (rc == MP_OK)
		rc = check_authors(&w, json_object_get(mlcube, "authors"));
	if (rc == MP_OK)
		rc = check_platform(&w, json_object_get(mlcube, "platform"), &gpus);
	if (rc == MP_OK)
		rc = check_images(&w, mlcube, &image);
	if (rc)
		return rc;
	tasks = json_object_get(mlcube, "tasks");
	if (!json_is_object(tasks) || json_object_size(tasks) == 0)
		return bad(&w, AT(tasks ? "tasks" : NULL), "'tasks' must be a mapping with at least "
			   "one task");
	cfg = json_object();
	out = json_object();
	if (cfg == NULL || out == NULL) {
		rc = mp_seterr(e, MP_ENOMEM, "out of memory");
		goto out;
	}
	json_object_foreach((json_t *)tasks, key, v) {
		rc = convert_task(&w, key, v, gpus, out);
		if (rc)
			goto out;
	}
	if (put(cfg, "container_type", json_string("DockerImage")) != MP_OK ||
	    put(cfg, "image", json_string(image)) != MP_OK ||
	    put(cfg, "tasks", json_incref(out)) != MP_OK) {
		rc = mp_seterr(e, MP_ENOMEM, "out of memory");
		goto out;
	}
	*config = cfg;
	cfg = NULL;
out:
	json_decref(out);
	json_decref(cfg);
	return rc;
}

int mlcube_detect(const char *path, const json_t *root)
{
	const char *base, *key;
	json_t *t;

	if (!json_is_object(root) || json_object_get(root, "container_type") != NULL)
		return 0;
	if (path != NULL) {
		base = strrchr(path, '/');
		if (strcmp(base ? base + 1 : path, "mlcube.yaml") == 0)
			return 1;
	}
	if (json_object_get(root, "docker") || json_object_get(root, "platform") ||
	    json_object_get(root, "singularity"))
		return 1;
	json_object_foreach(json_object_get(root, "tasks"), key, t)
		if (json_object_get(t, "parameters") != NULL)
			return 1;
	return 0;
}

/* The absolute workspace folder of the MLCube file at path: <its folder>/workspace. */
static char *workspace_of(const char *path, mp_errbuf *e)
{
	const char *slash = strrchr(path, '/');
	char *dir, real[PATH_MAX], *ws = NULL;
	struct buf b;

	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL) {
		mp_seterr(e, MP_ENOMEM, "out of memory");
		return NULL;
	}
	if (realpath(dir, real) == NULL) {
		mp_seterr(e, MP_EIO, "%s: cannot find its folder", path);
		free(dir);
		return NULL;
	}
	free(dir);
	buf_init(&b, PATH_MAX);
	if (buf_addf(&b, "%s/workspace", strcmp(real, "/") ? real : "") == MP_OK)
		ws = buf_detach(&b, NULL);
	else
		mp_seterr(e, MP_ETOOBIG, "%s: its workspace path is too long", path);
	buf_release(&b);
	return ws;
}

static int listed(const char *key, const struct strv *keys, const char *const *given)
{
	for (size_t i = 0; i < keys->n; i++)
		if (strcmp(keys->v[i], key) == 0)
			return 1;
	return given != NULL && in_array(key, given);
}

int mlcube_workspace_mounts(const char *path, const char *task, const char *const *given,
			    struct strv *keys, struct strv *hosts, mp_errbuf *e)
{
	json_t *root = NULL, *conv = NULL, *params;
	struct yaml_doc *doc = NULL;
	char *ws = NULL;
	int rc;

	rc = yaml_load_file(path, 1 << 20, &root, &doc, e);
	if (rc != MP_OK || !mlcube_detect(path, root))
		goto out;
	rc = mlcube_convert(root, doc, path, &conv, e); /* every path checked */
	params = json_object_get(json_object_get(json_object_get(root, "tasks"), task),
				 "parameters");
	if (rc != MP_OK || params == NULL)
		goto out;
	ws = workspace_of(path, e);
	if (ws == NULL) {
		rc = MP_EIO;
		goto out;
	}
	for (int io = 0; io < 2 && rc == MP_OK; io++) {
		const char *key;
		json_t *v;
		json_object_foreach(json_object_get(params, io ? "outputs" : "inputs"), key, v) {
			const char *p = json_is_string(v) ? json_string_value(v)
							  : json_string_value(json_object_get(v, "default"));
			size_t len = strlen(p);
			if (listed(key, keys, given))
				continue;
			while (len > 1 && p[len - 1] == '/')
				len--;
			if (strcmp(p, ".") == 0 || strcmp(p, "./") == 0)
				len = 0;
			if (strv_push(keys, key) != MP_OK ||
			    strv_pushf(hosts, "%s%s%.*s", ws, len ? "/" : "", (int)len, p) != MP_OK) {
				rc = mp_seterr(e, MP_ENOMEM, "out of memory");
				break;
			}
		}
	}
out:
	free(ws);
	json_decref(conv);
	json_decref(root);
	yaml_doc_free(doc);
	return rc;
}
