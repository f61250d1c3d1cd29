/*
 * server.h: what the server's parts share: the running server (immutable
 * once serving), the per-request API context handed to every handler, the
 * route table, and the helpers handlers answer with.
 *
 * A request's life: http.c assembles it -> dispatch.c matches a route, checks
 * authentication, content type and JSON, opens the thread's store -> the
 * route's handler (api_*.c) loads objects, asks policy.c, validates with
 * validate.c, writes through the store and answers with serialize.c.
 */
#ifndef MP_SERVER_H
#define MP_SERVER_H

#include <pthread.h>
#include <stdint.h>

#include <jansson.h>

#include "http/http.h"
#include "server/config.h"
#include "store/store.h"

struct server {
	struct server_config cfg;
	struct store_opts sopts;
	char *db_path;
	pthread_key_t store_key;   /* each worker thread's own connection */
	/*
	 * Write transactions of this process take turns here rather than in
	 * SQLite's busy handler, which sleeps and polls: waiting writers wake as
	 * soon as the lock is free. Other processes still meet busy_timeout.
	 */
	pthread_mutex_t write_lock;
};

struct user {
	int64_t id;                /* 0: anonymous */
	int is_admin;
	const char *username;
	const char *email;
};

struct route;

/* Everything a handler sees. Memory hangs off arena; json kept there too. */
struct api {
	struct server *srv;
	struct http_request *req;
	struct http_response *w;
	struct arena *arena;
	struct store *st;
	struct user user;
	const struct route *route;
	int64_t id[2];             /* integer path parameters, in order */
	json_t *body;              /* parsed JSON body (POST/PUT), else NULL */
	int answered;
};

typedef void (*api_fn)(struct api *a);

/* Route flags. */
#define RT_PUBLIC  0x1u   /* no authentication */
#define RT_BODY    0x2u   /* takes a JSON body */
#define RT_WRITE   0x4u   /* runs in one write transaction (committed below 400) */

/* Roles a caller can hold toward an object (policy.h); allow masks use them. */
struct route {
	const char *method;
	const char *pattern;       /* "/api/v0/benchmarks/{id}/models/" */
	api_fn fn;
	unsigned flags;
	unsigned allow;            /* roles admitted (documentation and OpenAPI) */
	const char *summary;       /* one line for the OpenAPI description */
	int response;              /* enum entity_id of the answer, or -1 */
	int list;                  /* 1: a paginated list */
};

extern const struct route routes[];
extern const int nroutes;

/* ---- answering (apierr.c) ---- */
void api_reply(struct api *a, int status, json_t *body);    /* steals body */
void api_reply_text(struct api *a, int status, struct buf *text); /* takes the text */
void api_detail(struct api *a, int status, const char *detail);
void api_forbidden(struct api *a);
void api_not_found(struct api *a);
void api_field_error(struct api *a, const char *field, const char *msg);
void api_field_errors(struct api *a, json_t *errors);        /* steals errors */
void api_non_field(struct api *a, const char *msg);
void api_store_error(struct api *a, int rc);
/* Appends msg to errors[field] (creating the list). */
void err_add(json_t *errors, const char *field, const char *msg);

/* ---- loading objects with the original's 403/404 rules (resource.c) ---- */
/*
 * Loads row id of ent. When it does not exist, answers 404 if the caller's
 * base roles (authenticated, admin) already satisfy allow, otherwise 403,
 * as the original's permission classes do. Returns 0 when *row was loaded;
 * the row is kept by the request arena.
 */
int api_load(struct api *a, enum entity_id ent, int64_t id, unsigned allow, json_t **row);
/* Answers 403 unless held satisfies allow. Returns 0 when allowed. */
int api_require(struct api *a, unsigned allow, unsigned held);
/* Row fetch without answering; NULL when missing (kept by the arena). */
json_t *api_get(struct api *a, enum entity_id ent, int64_t id);
/* Integer value of field in row (0 when absent or null). */
int64_t row_int(json_t *row, const char *field);
const char *row_str(json_t *row, const char *field);
int row_bool(json_t *row, const char *field);

/* A paginated list of ent rows. */
struct list_spec {
	enum entity_id ent;
	const char *const *filters;        /* query filters honoured (NULL: none) */
	int ordering;                      /* honour ?ordering= */
	const struct store_cond *conds;    /* fixed scope */
	int nconds;
	int public_view;                   /* serializer without private fields */
	/* optional projection of each row (returns a new reference) */
	json_t *(*project)(struct api *a, json_t *row);
};
void api_list(struct api *a, const struct list_spec *ls);
/* Paging parameters of the request (DRF LimitOffsetPagination rules). */
void api_page(struct api *a, int64_t *limit, int64_t *offset);
/* Answers {"count","next","previous","results"} for one page. */
void api_page_reply(struct api *a, int64_t count, int64_t limit, int64_t offset,
		    json_t *results);

/* ---- serializing rows (serialize.c) ---- */
#define SER_PUBLIC 0x1   /* leave out FF_PRIVATE fields */
#define SER_FLAT   0x2   /* nested fields as ids, after the others (model PUT) */
/* New object for row in wire order; nested objects expanded. */
json_t *ser_row(struct api *a, enum entity_id ent, json_t *row, int flags);
/* {id, username, email, first_name, last_name, metadata} of a user row. */
json_t *ser_user(json_t *row);
/* What a view of ent leaves out and writes as {} (the rules ser_row applies). */
void ser_view(enum entity_id ent, int flags, struct store_view *v);
/* 1 when rows of ent can be rendered by the store directly (no nested fields). */
int ser_renderable(enum entity_id ent);

/* ---- validating bodies (validate.c) ---- */
enum val_mode { VAL_CREATE, VAL_UPDATE };
/*
 * Checks body against ent's fields the way the original's serializers do and
 * returns the accepted values (new reference) with string, integer and
 * boolean inputs converted, in field order. Unknown and read-only keys are
 * dropped. On failure answers 400 with the field errors and returns NULL.
 * self_id excludes the object itself from uniqueness checks on update.
 */
json_t *val_body(struct api *a, enum entity_id ent, enum val_mode mode, json_t *body,
		 int64_t self_id);
/* The same, collecting errors into errors (under prefix when nested) without answering. */
json_t *val_collect(struct api *a, enum entity_id ent, enum val_mode mode, json_t *body,
		    int64_t self_id, json_t *errors);
/* Python's name for the type of v ("str", "int", "list", ...). */
const char *val_pytype(const json_t *v);

/* ---- generic handlers shared by the resources (crud.c) ---- */
/* Checks that add field errors (return -1 when they did). */
typedef int (*field_check_fn)(struct api *a, json_t *row, json_t *values, json_t *errors);
/* Object-level checks (DRF validate()); return a message or NULL. */
typedef const char *(*object_check_fn)(struct api *a, json_t *row, json_t *values);

struct write_spec {
	enum entity_id ent;
	field_check_fn field_check;      /* after the generic field checks */
	object_check_fn object_check;    /* after the OPERATION edit rule */
	/* last changes before the write (owner, derived fields); -1 after answering */
	int (*prepare)(struct api *a, json_t *row, json_t *values);
	int ser_flags;                   /* how the answer is serialized */
};
/* GET detail open to any authenticated user: 404 when missing. */
void crud_get(struct api *a, enum entity_id ent, int ser_flags);
/* POST: validate, check, insert with owner = caller, answer 201. */
void crud_create(struct api *a, const struct write_spec *ws);
/* PUT (partial) on a row the caller must hold a role for (allow). */
void crud_update(struct api *a, const struct write_spec *ws, unsigned allow, unsigned held_extra);
/* DELETE by admin: 204, 404 when missing, 409 when other rows refer to it. */
void crud_delete(struct api *a, enum entity_id ent);
/* Roles of the caller toward an owned row: base, plus ROLE_OWNER. */
unsigned crud_owner_roles(struct api *a, json_t *row);

/* ---- checks shared between resources ---- */
/* Container (mlcube) object checks: unique set and URL/hash pairing. */
const char *mlcube_object_check(struct api *a, json_t *row, json_t *values);
/* The model wrapping container or asset id as a nested object, or NULL. */
json_t *model_wrapping(struct api *a, const char *field, int64_t id);

/* ---- the handlers (api_*.c), registered in routes.c ---- */
void api_version(struct api *a);
void api_schema(struct api *a);
void users_list(struct api *a);
void users_get(struct api *a);
void users_put(struct api *a);
void users_delete(struct api *a);
void users_metadata(struct api *a);
void me_get(struct api *a);
void me_benchmarks(struct api *a);
void me_mlcubes(struct api *a);
void me_assets(struct api *a);
void me_models(struct api *a);
void me_datasets(struct api *a);
void me_results(struct api *a);
void me_dataset_assocs(struct api *a);
void me_model_assocs(struct api *a);
void mlcubes_list(struct api *a);
void mlcubes_create(struct api *a);
void mlcubes_get(struct api *a);
void mlcubes_put(struct api *a);
void mlcubes_delete(struct api *a);
void mlcubes_datasets(struct api *a);
void mlcubes_model(struct api *a);
void assets_list(struct api *a);
void assets_create(struct api *a);
void assets_get(struct api *a);
void assets_put(struct api *a);
void assets_delete(struct api *a);
void assets_model(struct api *a);
void models_list(struct api *a);
void models_create(struct api *a);
void models_get(struct api *a);
void models_put(struct api *a);
void models_delete(struct api *a);
void benchmarks_list(struct api *a);
void benchmarks_create(struct api *a);
void benchmarks_get(struct api *a);
void benchmarks_put(struct api *a);
void benchmarks_delete(struct api *a);
void benchmarks_models(struct api *a);
void benchmarks_datasets(struct api *a);
void benchmarks_results(struct api *a);
void benchmarks_participants(struct api *a);
void benchmarks_leaderboard(struct api *a);
void datasets_list(struct api *a);
void datasets_create(struct api *a);
void datasets_get(struct api *a);
void datasets_put(struct api *a);
void datasets_delete(struct api *a);
void dassoc_create(struct api *a);
void dassoc_list(struct api *a);
void dassoc_get(struct api *a);
void dassoc_put(struct api *a);
void dassoc_delete(struct api *a);
void massoc_create(struct api *a);
void massoc_list(struct api *a);
void massoc_get(struct api *a);
void massoc_put(struct api *a);
void massoc_delete(struct api *a);
void results_list(struct api *a);
void results_create(struct api *a);
void results_get(struct api *a);
void results_put(struct api *a);
void results_delete(struct api *a);

#endif
