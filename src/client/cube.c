/*
 * cube.c: containers made ready to run at this site (see cube.h): the
 * configuration checked as at submission, parameters.yaml rewritten before
 * the runs, the additional-files tarball fetched, verified against its
 * registered hash and extracted safely once (a cached extraction is kept
 * while .cache_metadata.yaml records the same hash), and the task run
 * through task_run with the two mounts MedPerf always adds.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "client/cube.h"
#include "client/entity.h"
#include "client/fetch.h"
#include "client/tree.h"
#include "core/yaml.h"
#include "runner/archive.h"
#include "runner/container.h"

static int out_of_memory(void)
{
	return fail(EXIT_FAIL, "out of memory");
}

/* cubes/<srv>/<key>/ with the parameters file written from params (NULL: {}). */
static int cube_dir(struct ctx *c, struct cube *cb, const json_t *params)
{
	json_t *empty = NULL;
	mp_errbuf e;
	int rc = EXIT_OK;

	cb->dir = storage_entity_dir(c, "cubes", cb->key);
	if (cb->dir == NULL)
		return out_of_memory();
	if (mkdirs(cb->dir, 0700) != 0)
		return fail(EXIT_FAIL, "cannot create '%s': %s", cb->dir, strerror(errno));
	if (cb->params)
		return EXIT_OK;
	cb->params = path_join(cb->dir, "parameters.yaml");
	if (cb->params == NULL)
		return out_of_memory();
	if (!json_is_object(params))
		params = empty = json_object();
	if (yaml_write_file(cb->params, params, 0644, &e) != 0)
		rc = fail(EXIT_FAIL, "%s: %s", cb->label, e.msg);
	json_decref(empty);
	return rc;
}

/* The hash recorded for the extracted additional files ("" when none). */
static void cached_hash(const struct cube *cb, char out[HASH_HEX])
{
	char *meta = path_join(cb->dir, ".cache_metadata.yaml");
	json_t *v = NULL;
	mp_errbuf e;

	out[0] = '\0';
	if (meta && yaml_load_file(meta, 1 << 16, &v, NULL, &e) == 0)
		snprintf(out, HASH_HEX, "%s",
			 profile_str(v, "additional_files_cached_hash"));
	json_decref(v);
	free(meta);
}

/*
 * additional_files/: empty when the container has none; else the tarball
 * fetched (and checked against its registered hash) and extracted safely,
 * once per hash.
 */
static int additional_files(struct ctx *c, struct cube *cb)
{
	const char *url = profile_str(cb->entity, "additional_files_tarball_url");
	const char *want = profile_str(cb->entity, "additional_files_tarball_hash");
	char have[HASH_HEX], got[HASH_HEX], what[240], *file = NULL, *tmp = NULL;
	json_t *meta = NULL;
	mp_errbuf e;
	int rc;

	cb->additional = path_join(cb->dir, "additional_files");
	if (cb->additional == NULL)
		return out_of_memory();
	if (*url == '\0') {
		if (mkdirs(cb->additional, 0755) != 0)
			return fail(EXIT_FAIL, "cannot create '%s': %s", cb->additional,
				    strerror(errno));
		return EXIT_OK;
	}
	cached_hash(cb, have);
	if (*want && strcasecmp(have, want) == 0 && path_is_dir(cb->additional))
		return EXIT_OK;
	snprintf(what, sizeof(what), "the additional files of %s", cb->label);
	rc = fetch_resource(c, what, url, *want ? want : NULL, got, &file);
	if (rc)
		return rc;
	if (asprintf(&tmp, "%s/additional_files.new", cb->dir) < 0) {
		free(file);
		return out_of_memory();
	}
	tree_remove(tmp);
	if (archive_extract_safe(file, tmp, NULL, NULL, &e) != 0)
		rc = fail(EXIT_FAIL, "%s: %s", what, e.msg);
	else if (tree_replace(tmp, cb->additional) != 0)
		rc = fail(EXIT_FAIL, "cannot move '%s' into place: %s", tmp, strerror(errno));
	if (rc == EXIT_OK) {
		char *mp = path_join(cb->dir, ".cache_metadata.yaml");
		meta = json_pack("{s:s}", "additional_files_cached_hash", got);
		if (mp == NULL || yaml_write_file(mp, meta, 0600, &e) != 0)
			rc = fail(EXIT_FAIL, "%s: cannot record the cache: %s", cb->label,
				  mp ? e.msg : "out of memory");
		free(mp);
	}
	json_decref(meta);
	free(tmp);
	free(file);
	return rc;
}

/* Checks the configuration as `container submit` does. */
static int check_config(const struct cube *cb)
{
	enum container_type type;
	mp_errbuf e;

	if (!json_is_object(cb->cfg))
		return fail(EXIT_FAIL, "%s has no container configuration", cb->label);
	if (container_config_check(cb->cfg, NULL, cb->label, &type, &e) != 0)
		return fail(EXIT_FAIL, "%s", e.msg);
	return EXIT_OK;
}

/* Takes a reference to the container entity ent and makes it ready. */
static int from_entity(struct ctx *c, json_t *ent, struct cube *cb)
{
	int rc;

	cb->entity = json_incref(ent);
	cb->id = json_integer_value(json_object_get(ent, "id"));
	snprintf(cb->key, sizeof(cb->key), "%lld", (long long)cb->id);
	snprintf(cb->label, sizeof(cb->label), "container %lld (%.120s)", (long long)cb->id,
		 profile_str(ent, "name"));
	if (!json_is_true(json_object_get(ent, "is_valid")))
		return fail(EXIT_FAIL, "%s has been invalidated: it cannot be run", cb->label);
	cb->cfg = json_incref(json_object_get(ent, "container_config"));
	cb->image_hash = json_string_value(json_object_get(ent, "image_hash"));
	if (cb->image_hash && *cb->image_hash == '\0')
		cb->image_hash = NULL;
	rc = check_config(cb);
	if (rc == EXIT_OK)
		rc = entity_save_local(c, &kind_container, ent);
	if (rc == EXIT_OK)
		rc = cube_dir(c, cb, json_object_get(ent, "parameters_config"));
	if (rc == EXIT_OK)
		rc = additional_files(c, cb);
	return rc;
}

int cube_load(struct ctx *c, int64_t id, struct cube *cb)
{
	json_t *ent = NULL;
	int rc;

	memset(cb, 0, sizeof(*cb));
	rc = entity_get(c, &kind_container, id, &ent);
	if (rc == EXIT_OK)
		rc = from_entity(c, ent, cb);
	json_decref(ent);
	return rc;
}

int cube_of_model(struct ctx *c, const json_t *model, struct cube *cb)
{
	json_t *ct = json_object_get(model, "container");
	long long id = (long long)json_integer_value(json_object_get(model, "id"));

	memset(cb, 0, sizeof(*cb));
	if (strcmp(profile_str(model, "type"), "CONTAINER") != 0)
		return fail(EXIT_FAIL, "model %lld is a %s model: this version of medperf runs "
			    "container models only", id, profile_str(model, "type"));
	if (!json_is_true(json_object_get(model, "is_valid")))
		return fail(EXIT_FAIL, "model %lld has been invalidated: it cannot be run", id);
	if (json_is_integer(ct))
		return cube_load(c, json_integer_value(ct), cb);
	if (!json_is_object(ct))
		return fail(EXIT_FAIL, "model %lld has no container", id);
	return from_entity(c, ct, cb);
}

int cube_load_local(struct ctx *c, const char *cfg_file, struct cube *cb)
{
	char abs[PATH_MAX], hash[HASH_HEX], *beside;
	enum container_type type;
	mp_errbuf e;
	int rc;

	memset(cb, 0, sizeof(*cb));
	if (realpath(cfg_file, abs) == NULL)
		return fail(EXIT_FAIL, "cannot find '%s': %s", cfg_file, strerror(errno));
	if (container_config_load(abs, &cb->cfg, NULL, &type, &e) != 0)
		return fail(EXIT_FAIL, "%s", e.msg);
	cb->cfg_file = strdup(abs);
	if (cb->cfg_file == NULL)
		return out_of_memory();
	if (hash_file(abs, hash, &e) != 0)
		return fail(EXIT_FAIL, "%s", e.msg);
	snprintf(cb->key, sizeof(cb->key), "local-%.12s", hash);
	snprintf(cb->label, sizeof(cb->label), "the local container %.150s", abs);
	*strrchr(abs, '/') = '\0';
	beside = path_join(abs, "parameters.yaml");
	if (beside && access(beside, R_OK) == 0)
		cb->params = beside;
	else
		free(beside);
	rc = cube_dir(c, cb, NULL);
	if (rc)
		return rc;
	cb->additional = path_join(abs, "additional_files");
	if (cb->additional && !path_is_dir(cb->additional)) {
		free(cb->additional);
		cb->additional = path_join(cb->dir, "additional_files");
		if (cb->additional && mkdirs(cb->additional, 0755) != 0)
			return fail(EXIT_FAIL, "cannot create '%s': %s", cb->additional,
				    strerror(errno));
	}
	return cb->additional ? EXIT_OK : out_of_memory();
}

int cube_resolve(struct ctx *c, const char *what, const char *ref, struct cube *cb)
{
	char *end;
	long long id;

	memset(cb, 0, sizeof(*cb));
	errno = 0;
	id = strtoll(ref, &end, 10);
	if (*ref && *end == '\0' && errno == 0) {
		if (id <= 0)
			return fail(EXIT_USAGE, "%s: '%s' is not a container id", what, ref);
		return cube_load(c, id, cb);
	}
	return cube_load_local(c, ref, cb);
}

void cube_release(struct cube *cb)
{
	json_decref(cb->entity);
	json_decref(cb->cfg);
	free(cb->cfg_file);
	free(cb->dir);
	free(cb->params);
	free(cb->additional);
	memset(cb, 0, sizeof(*cb));
}

int cube_has_task(const struct cube *cb, const char *task)
{
	return container_has_task(cb->cfg, task);
}

int cube_declares(const struct cube *cb, const char *task, const char *key, int output)
{
	json_t *t = json_object_get(json_object_get(cb->cfg, "tasks"), task);

	return json_object_get(json_object_get(t, output ? "output_volumes" : "input_volumes"),
			       key) != NULL;
}

int cube_run(struct ctx *c, const struct cube *cb, const char *task,
	     const struct task_mount *mounts, size_t n, const char *log_path, int quiet,
	     struct run_report *rep)
{
	struct task_mount *all = calloc(n + 2, sizeof(*all));
	struct task_request req;
	int rc;

	if (all == NULL)
		return out_of_memory();
	memcpy(all, mounts, n * sizeof(*all));
	all[n] = (struct task_mount){"parameters_file", cb->params};
	all[n + 1] = (struct task_mount){"additional_files", cb->additional};
	memset(&req, 0, sizeof(req));
	req.cfg = cb->cfg;
	req.cfg_file = cb->cfg_file;
	req.task = task;
	req.mounts = all;
	req.n_mounts = n + 2;
	req.image_hash = cb->image_hash;
	req.log_path = log_path;
	req.stream = isatty(2);
	req.quiet = quiet;
	rc = task_run(c, &req, rep, NULL);
	free(all);
	return rc;
}
