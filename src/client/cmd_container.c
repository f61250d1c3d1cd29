/*
 * cmd_container.c: `medperf container ls|view|submit` (alias `mlcube`).
 * submit reads and checks container_config.yaml and parameters.yaml,
 * fetches and hashes the image file and the additional-files tarball, and
 * registers the container; a container with an `infer` task is a model and
 * is registered as one (POST /models/), as MedPerf does. run_test runs one
 * task of a local configuration through the runner (client/task.c).
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/entity.h"
#include "client/fetch.h"
#include "client/task.h"
#include "core/pkey.h"
#include "core/yaml.h"
#include "runner/archive.h"
#include "runner/container.h"
#include "runner/mlcube.h"

static const struct column cube_cols[] = {
	{"UID", "id", COL_INT},
	{"Name", "name", COL_TEXT},
	{"State", "state", COL_TEXT},
	{"Registered", "id", COL_REGISTERED},
	{NULL, NULL, 0},
};

const struct entity_kind kind_container = {"container", "/mlcubes/", "/me/mlcubes/", "cubes",
	"mlcube-meta.yaml", cube_cols, 0};

int container_body(struct ctx *c, struct args *a, json_t **body, int *is_model)
{
	const char *cfg_file = arg(c, a, "container-config-file");
	const char *params_file = arg(c, a, "parameters-file");
	const char *add = arg(c, a, "additional-file"), *add_hash = arg(c, a, "additional-hash");
	const char *img_hash = arg(c, a, "image-hash"), *key = arg(c, a, "decryption-key");
	struct yaml_doc *doc = NULL;
	json_t *cfg = NULL, *params = NULL;
	enum container_type type;
	/* hash holds a file's hex digest or a DockerImage's "sha256:<hex>" digest */
	char hash[HASH_HEX + 64], addh[HASH_HEX] = "";
	mp_errbuf e;
	int rc;

	*body = NULL;
	if (yaml_load_file(cfg_file, 1 << 20, &cfg, &doc, &e) != 0)
		return fail(EXIT_FAIL, "%s", e.msg);
	if (container_config_check(cfg, doc, cfg_file, &type, &e) != 0) {
		rc = fail(EXIT_FAIL, "%s", e.msg);
		goto out;
	}
	if (params_file) {
		if (yaml_load_file(params_file, 1 << 20, &params, NULL, &e) != 0) {
			rc = fail(EXIT_FAIL, "%s", e.msg);
			goto out;
		}
		if (json_is_null(params)) {
			json_decref(params);
			params = json_object();
		}
		if (!json_is_object(params)) {
			rc = fail(EXIT_FAIL, "%s: the parameters must be a mapping", params_file);
			goto out;
		}
	} else {
		params = json_object();
	}
	if (container_type_encrypted(type) != (key != NULL)) {
		rc = fail(EXIT_USAGE, key ? "--decryption-key is only for encrypted images (this is "
				      "a %s)" : "a %s needs --decryption-key", container_type_name(type));
		goto out;
	}
	if (key && access(key, R_OK) != 0) {
		rc = fail(EXIT_FAIL, "--decryption-key: cannot read '%s': %s", key, strerror(errno));
		goto out;
	}
	if (type == CT_DOCKER_IMAGE) {
		/* the registry digest needs an engine to pull the image */
		if (img_hash == NULL) {
			rc = fail(EXIT_USAGE, "a DockerImage's hash is its registry digest, which "
				  "needs a container engine to read: give --image-hash sha256:...");
			goto out;
		}
		if (strlen(img_hash) >= sizeof(hash)) {
			rc = fail(EXIT_USAGE, "--image-hash: '%s' is too long for a digest", img_hash);
			goto out;
		}
		snprintf(hash, sizeof(hash), "%s", img_hash);
	} else {
		char *file = NULL, *tree = NULL;
		rc = fetch_resource(c, "image", json_string_value(json_object_get(cfg, "image")),
				    img_hash, hash, type == CT_NATIVE_ARCHIVE ? &file : NULL);
		/* a program tree is extracted (safely) now: a bad archive is refused before
		 * it is registered, and the first run finds it ready */
		if (rc == EXIT_OK && type == CT_NATIVE_ARCHIVE)
			rc = task_program_tree(c, file, hash, &tree);
		free(file);
		free(tree);
		if (rc)
			goto out;
	}
	if (add) {
		rc = fetch_resource(c, "additional files", add, add_hash, addh, NULL);
		if (rc)
			goto out;
		if (!fetch_is_remote(add))
			note("note: the additional files are a local file: sites other than this one "
			     "cannot download '%s'", add);
	} else if (add_hash) {
		rc = fail(EXIT_USAGE, "--additional-hash needs --additional-file");
		goto out;
	}
	*is_model = container_has_task(cfg, "infer");
	*body = json_pack("{s:s,s:O,s:O,s:s,s:s,s:s,s:s}",
		"name", arg(c, a, "name"),
		"container_config", cfg,
		"parameters_config", params,
		"image_hash", hash,
		"additional_files_tarball_url", add ? add : "",
		"additional_files_tarball_hash", addh,
		"state", arg_flag(c, a, "operational") ? "OPERATION" : "DEVELOPMENT");
	rc = *body ? EXIT_OK : fail(EXIT_FAIL, "out of memory");
out:
	yaml_doc_free(doc);
	json_decref(cfg);
	json_decref(params);
	return rc;
}

/* Keeps the decryption key of container id where later runs find it. */
static int keep_key(struct ctx *c, const char *key, json_int_t id)
{
	char dir[4096], path[4200], *text;
	size_t len;
	mp_errbuf e;
	int rc;

	snprintf(dir, sizeof(dir), "%s/.container_keys/%lld", c->config_dir, (long long)id);
	snprintf(path, sizeof(path), "%s/container.key", dir);
	if (mkdirs(dir, 0700) != 0)
		return fail(EXIT_FAIL, "cannot create '%s': %s", dir, strerror(errno));
	if (file_read_all(key, 1 << 20, &text, &len, &e) != 0)
		return fail(EXIT_FAIL, "%s", e.msg);
	rc = file_write_atomic(path, text, len, 0600, &e);
	explicit_bzero(text, len);
	free(text);
	return rc ? fail(EXIT_FAIL, "%s", e.msg) : EXIT_OK;
}

/* Registers body as a container, or as a model wrapping it. */
int container_register(struct ctx *c, struct args *a, json_t *body, int is_model)
{
	struct comms_result r = {0};
	json_t *send = body, *cube;
	int rc;

	if (is_model)
		send = json_pack("{s:O,s:s,s:O,s:O}", "name", json_object_get(body, "name"),
				 "type", "CONTAINER", "state", json_object_get(body, "state"),
				 "container", body);
	rc = confirm_send(c, is_model ? "The model to register (its container has an infer "
				  "task)" : "The container to register", send);
	if (rc == EXIT_OK && comms_request(c->comms, "POST", is_model ? "/models/" : "/mlcubes/",
					  send, &r) != 0)
		rc = fail_comms(&r);
	if (rc == EXIT_OK) {
		cube = is_model ? json_object_get(r.body, "container") : r.body;
		entity_save_local(c, &kind_container, cube);
		if (is_model)
			entity_save_local(c, &kind_model, r.body);
		if (arg(c, a, "decryption-key"))
			rc = keep_key(c, arg(c, a, "decryption-key"),
				      json_integer_value(json_object_get(cube, "id")));
		if (c->json)
			print_json(r.body);
		if (is_model)
			done_msg(c, "Registered model %lld '%s' with its container %lld",
				 (long long)json_integer_value(json_object_get(r.body, "id")),
				 json_string_value(json_object_get(r.body, "name")),
				 (long long)json_integer_value(json_object_get(cube, "id")));
		else
			done_msg(c, "Registered container %lld '%s'",
				 (long long)json_integer_value(json_object_get(r.body, "id")),
				 json_string_value(json_object_get(r.body, "name")));
	}
	comms_result_release(&r);
	if (send != body)
		json_decref(send);
	return rc;
}

static int submit(struct ctx *c, struct args *a)
{
	json_t *body;
	int is_model = 0, rc = container_body(c, a, &body, &is_model);

	if (rc)
		return rc;
	rc = container_register(c, a, body, is_model);
	json_decref(body);
	return rc;
}

static int ls(struct ctx *c, struct args *a)
{
	struct buf path;
	int rc;

	buf_init(&path, 8192);
	buf_adds(&path, arg_flag(c, a, "mine") ? kind_container.me_path : kind_container.path);
	query_add(&path, "is_valid", arg_flag(c, a, "invalid") ? "False" : "True");
	if (arg(c, a, "name"))
		query_add(&path, "name", arg(c, a, "name"));
	if (arg(c, a, "owner"))
		query_add(&path, "owner", arg(c, a, "owner"));
	if (arg(c, a, "state"))
		query_add(&path, "state", arg(c, a, "state"));
	if (arg_flag(c, a, "valid") && arg_flag(c, a, "invalid"))
		rc = fail(EXIT_USAGE, "--valid and --invalid exclude each other");
	else
		rc = entity_ls(c, &kind_container, path.data);
	buf_release(&path);
	return rc;
}

static int view(struct ctx *c, struct args *a)
{
	return entity_view(c, &kind_container, a);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void remove_scratch(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* An absolute form of a path that may not exist yet (outputs). */
static char *absolute(const char *path)
{
	char cwd[4096], *out = NULL;

	if (path[0] == '/')
		return strdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL || asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

/* "k=v,k=v" into a list; returns EXIT_OK or a usage error naming the option. */
static int split_pairs(const char *opt, const char *text, struct strv *keys, struct strv *vals,
		       int paths)
{
	char *copy = strdup(text ? text : ""), *item, *save = NULL;
	int rc = copy ? EXIT_OK : fail(EXIT_FAIL, "out of memory");

	for (item = copy ? strtok_r(copy, ",", &save) : NULL; item && rc == EXIT_OK;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '='), *v;
		if (eq == NULL || eq == item || eq[1] == '\0') {
			rc = fail(EXIT_USAGE, "--%s: '%s' is not KEY=VALUE", opt, item);
			break;
		}
		*eq = '\0';
		v = paths ? absolute(eq + 1) : strdup(eq + 1);
		if (v == NULL || strv_push(keys, item) || strv_push(vals, v))
			rc = fail(EXIT_FAIL, "out of memory");
		free(v);
	}
	free(copy);
	return rc;
}

/*
 * `container run_test`: one task of a local container configuration, with
 * the mounts given on the command line, on the chosen platform: what a
 * model developer runs before registering.
 */
static int run_test(struct ctx *c, struct args *a)
{
	const char *cfg_file = arg(c, a, "container-config-file"), *task = arg(c, a, "task");
	const char *params = arg(c, a, "parameters-file"), *add = arg(c, a, "additional-file");
	struct strv keys = STRV_INIT, hosts = STRV_INIT, envk = STRV_INIT, envv = STRV_INIT;
	struct strv env = STRV_INIT;
	struct task_mount *tm = NULL;
	struct task_request req;
	struct run_report rep;
	struct yaml_doc *doc = NULL;
	enum container_type type;
	json_t *cfg = NULL;
	char *scratch = NULL, *log = NULL;
	mp_errbuf e;
	int rc;

	if (arg_flag(c, a, "allow_network"))
		return fail(EXIT_USAGE, "--allow_network: tasks never get a network in this version "
			    "of medperf");
	/* a container_config.yaml, or a legacy mlcube.yaml converted (runner/mlcube.h) */
	if (container_config_load(cfg_file, &cfg, &doc, &type, &e) != 0)
		return fail(EXIT_FAIL, "%s", e.msg);
	rc = EXIT_OK;
	if (!container_has_task(cfg, task))
		rc = fail(EXIT_FAIL, "%s: there is no task '%s'", cfg_file, task);
	if (rc == EXIT_OK)
		rc = split_pairs("mounts", arg(c, a, "mounts"), &keys, &hosts, 1);
	if (rc == EXIT_OK) {
		/* legacy MLCube: what is not given comes from its workspace, as MLCube does */
		const char *given[3] = {NULL, NULL, NULL};
		size_t n = 0;
		if (params)
			given[n++] = "parameters_file";
		if (add)
			given[n++] = "additional_files";
		if (mlcube_workspace_mounts(cfg_file, task, given, &keys, &hosts, &e) != 0)
			rc = fail(EXIT_FAIL, "%s", e.msg);
	}
	if (rc == EXIT_OK)
		rc = split_pairs("env", arg(c, a, "env"), &envk, &envv, 0);
	for (size_t i = 0; rc == EXIT_OK && i < envk.n; i++)
		if (strv_pushf(&env, "%s=%s", envk.v[i], envv.v[i]))
			rc = fail(EXIT_FAIL, "out of memory");
	/* MedPerf always supplies parameters_file and additional_files */
	if (rc == EXIT_OK && (asprintf(&scratch, "%s/.tmp/run_test-XXXXXX", c->storage) < 0 ||
			      mkdirs(c->storage, 0700) != 0))
		rc = fail(EXIT_FAIL, "cannot prepare '%s'", c->storage);
	if (rc == EXIT_OK) {
		char *tmpdir = NULL;
		if (asprintf(&tmpdir, "%s/.tmp", c->storage) < 0 || mkdirs(tmpdir, 0700) != 0 ||
		    mkdtemp(scratch) == NULL)
			rc = fail(EXIT_FAIL, "cannot create '%s': %s", scratch, strerror(errno));
		free(tmpdir);
	}
	if (rc == EXIT_OK) {
		char *pf = NULL, *af = NULL;
		if (params) {
			pf = absolute(params);
		} else if (asprintf(&pf, "%s/parameters.yaml", scratch) >= 0 &&
			   file_write_atomic(pf, "{}\n", 3, 0644, &e) != 0) {
			rc = fail(EXIT_FAIL, "%s", e.msg);
		}
		if (add) {
			struct stat st;
			if (stat(add, &st) == 0 && S_ISDIR(st.st_mode)) {
				af = absolute(add);
			} else if (asprintf(&af, "%s/additional_files", scratch) >= 0) {
				char hash[HASH_HEX], *file = NULL;
				rc = rc ? rc : fetch_resource(c, "additional files", add, NULL, hash, &file);
				if (rc == EXIT_OK && archive_extract_safe(file, af, NULL, NULL, &e) != 0)
					rc = fail(EXIT_FAIL, "additional files: %s", e.msg);
				free(file);
			}
		} else if (asprintf(&af, "%s/additional_files", scratch) >= 0 && mkdir(af, 0755) != 0) {
			rc = fail(EXIT_FAIL, "cannot create '%s': %s", af, strerror(errno));
		}
		if (pf == NULL || af == NULL || strv_push(&keys, "parameters_file") ||
		    strv_push(&hosts, pf) || strv_push(&keys, "additional_files") ||
		    strv_push(&hosts, af))
			rc = rc ? rc : fail(EXIT_FAIL, "out of memory");
		free(pf);
		free(af);
	}
	if (rc == EXIT_OK && (tm = calloc(keys.n + 1, sizeof(*tm))) == NULL)
		rc = fail(EXIT_FAIL, "out of memory");
	if (rc == EXIT_OK) {
		static const char *const sizes[] = {"memory", "file-size"};
		for (size_t i = 0; i < keys.n; i++)
			tm[i] = (struct task_mount){keys.v[i], hosts.v[i]};
		memset(&req, 0, sizeof(req));
		req.cfg = cfg;
		req.cfg_file = cfg_file;
		req.task = task;
		req.mounts = tm;
		req.n_mounts = keys.n;
		req.platform = arg(c, a, "platform");
		req.timeout = arg(c, a, "timeout") ? (double)arg_int(c, a, "timeout") : 0;
		req.cpu_seconds = arg(c, a, "cpu-time") ? (double)arg_int(c, a, "cpu-time") : 0;
		req.processes = arg(c, a, "processes") ? (long)arg_int(c, a, "processes") : 0;
		req.extra_env = (const char *const *)env.v;
		req.log_path = arg(c, a, "log");
		req.stream = !arg_flag(c, a, "quiet") && !c->json;
		for (size_t i = 0; i < 2 && rc == EXIT_OK; i++) {
			const char *v = arg(c, a, sizes[i]);
			uint64_t n = v ? task_size_value(v) : 0;
			if (v && n == 0)
				rc = fail(EXIT_USAGE, "--%s: '%s' is not a size (e.g. 512M, 4G)",
					  sizes[i], v);
			if (i == 0)
				req.memory_bytes = n;
			else
				req.file_bytes = n;
		}
		if ((req.timeout < 0 || req.cpu_seconds < 0 || req.processes < 0) && rc == EXIT_OK)
			rc = fail(EXIT_USAGE, "--timeout, --cpu-time and --processes must be positive");
		memset(&rep, 0, sizeof(rep));
		rep.stop = RUN_NOT_STARTED;
		if (rc == EXIT_OK)
			rc = task_run(c, &req, &rep, &log);
		if (rep.stop != RUN_NOT_STARTED) {
			if (c->json) {
				json_t *o = json_pack("{s:s,s:s,s:i,s:i,s:f,s:I,s:b,s:s,s:s}",
					"task", task, "stop", run_stop_name(rep.stop),
					"exit_code", rep.exit_code, "signal", rep.signal,
					"seconds", rep.seconds, "output_bytes",
					(json_int_t)rep.output_bytes, "log_truncated",
					rep.log_truncated, "detail", rep.detail, "log",
					log ? log : "");
				print_json(o);
				json_decref(o);
			} else if (rc == EXIT_OK) {
				done_msg(c, "Task %s %s (log: %s)", task, rep.detail, log ? log : "-");
			}
		}
	}
	if (scratch && access(scratch, F_OK) == 0)
		remove_scratch(scratch); /* parameters and additional files of this run only */
	free(scratch);
	free(log);
	free(tm);
	strv_free(&keys);
	strv_free(&hosts);
	strv_free(&envk);
	strv_free(&envv);
	strv_free(&env);
	yaml_doc_free(doc);
	json_decref(cfg);
	return rc;
}

#define END {0, NULL, 0, NULL, NULL, 0}
static const struct opt ls_opts[] = {
	{0, "mine", OPT_FLAG, NULL, "only the containers I own", 0},
	{0, "name", OPT_VALUE, "NAME", "only the container with this name", 0},
	{0, "owner", OPT_VALUE, "ID", "only containers of this user id", 0},
	{0, "state", OPT_VALUE, "STATE", "DEVELOPMENT or OPERATION", 0},
	{0, "valid", OPT_FLAG, NULL, "only valid containers (the default)", 0},
	{0, "invalid", OPT_FLAG, NULL, "only invalidated containers", 0},
	{0, "json", OPT_FLAG, NULL, "print JSON instead of a table", 0},
	END,
};
static const struct opt view_opts[] = {
	{0, "id", OPT_POS, "ID", "the container (default: all)", 0},
	{'f', "format", OPT_VALUE, "yaml|json", "output format (default yaml)", 0},
	{0, "mine", OPT_FLAG, NULL, "without ID: only mine", 0},
	{'o', "output", OPT_VALUE, "FILE", "write to FILE instead of the screen", 0},
	{0, "json", OPT_FLAG, NULL, "same as --format json", 0},
	END,
};
static const struct opt submit_opts[] = {
	{'n', "name", OPT_VALUE, "NAME", "name of the container", 1},
	CONTAINER_OPTS(1),
	{'y', "yes", OPT_FLAG, NULL, "do not ask for confirmation", 0},
	{0, "json", OPT_FLAG, NULL, "print what was registered as JSON", 0},
	END,
};

static const struct opt run_test_opts[] = {
	{'m', "container-config-file", OPT_VALUE, "FILE", "the container_config.yaml (or a legacy "
	 "mlcube.yaml)", 1},
	{'t', "task", OPT_VALUE, "TASK", "the task to run (prepare, infer, evaluate, ...)", 1},
	{'p', "parameters-file", OPT_VALUE, "FILE", "parameters.yaml mounted as parameters_file "
	 "(default: an empty one)", 0},
	{'a', "additional-file", OPT_VALUE, "FILE|DIR", "additional files: a tarball (extracted "
	 "safely) or a folder", 0},
	{0, "mounts", OPT_VALUE, "K=PATH,...", "host paths for the task's mount keys, e.g. "
	 "data_path=./data,output_path=./out", 0},
	{0, "env", OPT_VALUE, "K=V,...", "extra environment variables for the task", 0},
	{0, "platform", OPT_VALUE, "NAME", "native (default), podman, docker or singularity", 0},
	{0, "timeout", OPT_INT, "SECONDS", "stop the task after this many seconds", 0},
	{0, "memory", OPT_VALUE, "SIZE", "memory limit (address space), e.g. 512M or 4G", 0},
	{0, "file-size", OPT_VALUE, "SIZE", "the largest file the task may write, e.g. 1G", 0},
	{0, "processes", OPT_INT, "N", "the most processes the task may have (default 1024)", 0},
	{0, "cpu-time", OPT_INT, "SECONDS", "CPU time limit", 0},
	{0, "log", OPT_VALUE, "FILE", "where the task's output goes (default: under the storage "
	 "folder's logs/)", 0},
	{'q', "quiet", OPT_FLAG, NULL, "do not show the task's output as it comes", 0},
	{0, "allow_network", OPT_FLAG, NULL, "refused: tasks never get a network", 0},
	{0, "json", OPT_FLAG, NULL, "print the report as JSON", 0},
	END,
};

static const struct cmd cube_cmds[] = {
	{"ls", ls, ls_opts, CMD_SERVER | CMD_LOGIN, "list containers", NULL},
	{"view", view, view_opts, CMD_SERVER | CMD_LOGIN, "show containers in detail", NULL},
	{"submit", submit, submit_opts, CMD_SERVER | CMD_LOGIN, "register a container",
	 "Checks the container configuration (and parameters), fetches and hashes the image\n"
	 "file and the additional files, then registers the container. A container with an\n"
	 "'infer' task is a model: it is registered as one (see 'medperf model')."},
	{"run_test", run_test, run_test_opts, 0, "run one task of a local container, locked down",
	 "Runs one task of the container described by a local container_config.yaml, with\n"
	 "the mounts given here, on the chosen platform (native: bubblewrap, no engine\n"
	 "needed), as medperf runs tasks at a site: no network, read-only inputs, limits.\n"
	 "A legacy MLCube mlcube.yaml is converted first (docs/mlcube-legacy.md); a mount\n"
	 "not given then defaults to its path in the MLCube's workspace folder.\n"
	 "The exit status is 0 when the task exited 0."},
	{NULL, NULL, NULL, 0, NULL, NULL},
};

const struct group group_container = {"container", "mlcube", cube_cmds,
	"containers (data preparation, models, evaluators): list, view, register"};
