/*
 * cmd_container.c: `medperf container ls|view|submit` (alias `mlcube`).
 * submit reads and checks container_config.yaml and parameters.yaml,
 * fetches and hashes the image file and the additional-files tarball, and
 * registers the container; a container with an `infer` task is a model and
 * is registered as one (POST /models/), as MedPerf does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/cube_config.h"
#include "client/entity.h"
#include "client/fetch.h"
#include "core/pkey.h"
#include "core/yaml.h"

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
	enum cube_type type;
	/* hash holds a file's hex digest or a DockerImage's "sha256:<hex>" digest */
	char hash[HASH_HEX + 64], addh[HASH_HEX] = "";
	mp_errbuf e;
	int rc;

	*body = NULL;
	if (yaml_load_file(cfg_file, 1 << 20, &cfg, &doc, &e) != 0)
		return fail(EXIT_FAIL, "%s", e.msg);
	if (cube_config_check(cfg, doc, cfg_file, &type, &e) != 0) {
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
	if (cube_type_encrypted(type) != (key != NULL)) {
		rc = fail(EXIT_USAGE, key ? "--decryption-key is only for encrypted images (this is "
				      "a %s)" : "a %s needs --decryption-key", cube_type_name(type));
		goto out;
	}
	if (key && access(key, R_OK) != 0) {
		rc = fail(EXIT_FAIL, "--decryption-key: cannot read '%s': %s", key, strerror(errno));
		goto out;
	}
	if (type == CUBE_DOCKER_IMAGE) {
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
		rc = fetch_resource(c, "image", json_string_value(json_object_get(cfg, "image")),
				    img_hash, hash, NULL);
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
	*is_model = cube_has_task(cfg, "infer");
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

static const struct cmd cube_cmds[] = {
	{"ls", ls, ls_opts, CMD_SERVER | CMD_LOGIN, "list containers", NULL},
	{"view", view, view_opts, CMD_SERVER | CMD_LOGIN, "show containers in detail", NULL},
	{"submit", submit, submit_opts, CMD_SERVER | CMD_LOGIN, "register a container",
	 "Checks the container configuration (and parameters), fetches and hashes the image\n"
	 "file and the additional files, then registers the container. A container with an\n"
	 "'infer' task is a model: it is registered as one (see 'medperf model')."},
	{NULL, NULL, NULL, 0, NULL, NULL},
};

const struct group group_container = {"container", "mlcube", cube_cmds,
	"containers (data preparation, models, evaluators): list, view, register"};
