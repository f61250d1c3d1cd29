/*
 * entity.h: the `ls` and `view` commands every entity group shares:
 * fetching (all pages), the table columns of each kind, JSON and YAML
 * output, and the local copies in the storage layout (reference 2.4).
 */
#ifndef MP_CLIENT_ENTITY_H
#define MP_CLIENT_ENTITY_H

#include "client/cli.h"

enum col_kind {
	COL_TEXT,
	COL_INT,
	COL_BOOL,       /* True / False, as MedPerf prints them */
	COL_TIME,       /* local time */
	COL_REGISTERED, /* True when the entity has a server id */
	COL_DICT,       /* a mapping as "key: value; ..." */
};

struct column {
	const char *header;
	const char *field;
	enum col_kind kind;
};

struct entity_kind {
	const char *noun;        /* "benchmark" */
	const char *path;        /* "/benchmarks/" */
	const char *me_path;     /* "/me/benchmarks/" */
	const char *local_kind;  /* storage folder: "benchmarks" */
	const char *local_file;  /* "benchmark.yaml" */
	const struct column *cols; /* ends with {NULL} */
	int mine_default;        /* `view` without an id lists only mine */
};

/* Prints items (a JSON array) as a table of kind's columns, or JSON. */
void entity_print_list(struct ctx *c, const struct entity_kind *k, json_t *items);
/*
 * Lists kind: all pages of path (query included); prints them. Returns the
 * exit status.
 */
int entity_ls(struct ctx *c, const struct entity_kind *k, const char *path);
/* GET one entity by id into *out (caller decrefs). Returns the exit status. */
int entity_get(struct ctx *c, const struct entity_kind *k, int64_t id, json_t **out);
/*
 * `view`: with an id, that entity; without, every one (all pages of the
 * list, or of /me/ with --mine). -f yaml|json (default yaml), --json, and
 * --output FILE. Returns the exit status.
 */
int entity_view(struct ctx *c, const struct entity_kind *k, struct args *a);
/* Saves the entity as its local copy (storage/kind/server/id/file). */
int entity_save_local(struct ctx *c, const struct entity_kind *k, const json_t *e);
/* Adds "&key=value" (URL-encoded) to a query being built in b. */
void query_add(struct buf *b, const char *key, const char *value);
/* Shows body (YAML) and asks before sending; EXIT_OK to go on, EXIT_CANCELLED. */
int confirm_send(struct ctx *c, const char *what, const json_t *body);

/* The kinds, for groups that refer to each other's entities. */
extern const struct entity_kind kind_benchmark, kind_container, kind_model, kind_dataset,
	kind_result;

/*
 * A container's registration body from the container options (config file,
 * parameters, image, additional files, hashes): reads and checks the files,
 * fetches and hashes what must be hashed. *is_model is 1 when the config
 * has an `infer` task. Returns an exit status.
 */
int container_body(struct ctx *c, struct args *a, json_t **body, int *is_model);
/* Shows, confirms and registers a container body (as a model when is_model). */
int container_register(struct ctx *c, struct args *a, json_t *body, int is_model);
/* Options of container_body, for the tables of `container submit` and `model submit`. */
#define CONTAINER_OPTS(required) \
	{'m', "container-config-file", OPT_VALUE, "FILE", "the container_config.yaml", required}, \
	{'p', "parameters-file", OPT_VALUE, "FILE", "the parameters.yaml (optional)", 0}, \
	{'a', "additional-file", OPT_VALUE, "URL", "additional files tarball (URL, direct:URL "\
	 "or a local file)", 0}, \
	{0, "additional-hash", OPT_VALUE, "SHA256", "expected SHA-256 of the additional files", 0}, \
	{0, "image-hash", OPT_VALUE, "HASH", "the image's hash (required for DockerImage: "\
	 "the registry digest, sha256:...)", 0}, \
	{'d', "decryption-key", OPT_VALUE, "FILE", "key of an encrypted image", 0}, \
	{0, "operational", OPT_FLAG, NULL, "register in OPERATION state", 0}

#endif
