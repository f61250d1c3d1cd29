/* entity.c: shared `ls`/`view` logic and local copies of entities (see entity.h). */
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/entity.h"
#include "core/jsonw.h"
#include "core/yaml.h"

void query_add(struct buf *b, const char *key, const char *value)
{
	char *enc = curl_easy_escape(NULL, value, 0);

	buf_addf(b, "%c%s=%s", strchr(b->data, '?') ? '&' : '?', key, enc ? enc : "");
	curl_free(enc);
}

static const char *cell(json_t *item, const struct column *col, char tmp[64])
{
	json_t *v = json_object_get(item, col->field);

	switch (col->kind) {
	case COL_INT:
		if (json_is_integer(v)) {
			snprintf(tmp, 64, "%lld", (long long)json_integer_value(v));
			return tmp;
		}
		return json_is_null(v) ? "-" : "";
	case COL_BOOL:
		return json_is_true(v) ? "True" : json_is_false(v) ? "False" : "";
	case COL_REGISTERED:
		return json_is_integer(v) ? "True" : "False";
	case COL_DICT:
		if (json_is_object(v)) {
			struct buf b;
			const char *key;
			json_t *x;
			buf_init(&b, 62);
			json_object_foreach(v, key, x) {
				buf_addf(&b, "%s%s: ", b.len ? "; " : "", key);
				if (json_is_string(x))
					buf_adds(&b, json_string_value(x));
				else
					jsonw_value(&b, x);
			}
			snprintf(tmp, 64, "%s", b.data);
			buf_release(&b);
			return tmp;
		}
		return "";
	case COL_TIME:
		return json_is_string(v) ? local_time(json_string_value(v), tmp) : "-";
	case COL_TEXT:
	default:
		if (json_is_string(v))
			return json_string_value(v);
		if (json_is_null(v) || v == NULL)
			return "";
		{
			struct buf b;
			buf_init(&b, 60);
			jsonw_value(&b, v);
			snprintf(tmp, 64, "%s", b.data);
			buf_release(&b);
			return tmp;
		}
	}
}

void entity_print_list(struct ctx *c, const struct entity_kind *k, json_t *items)
{
	const char *head[32], *row[32];
	char tmp[32][64];
	struct table *t;
	json_t *item;
	size_t i;
	int n = 0;

	if (c->json) {
		print_json(items);
		return;
	}
	while (k->cols[n].header && n < 32) {
		head[n] = k->cols[n].header;
		n++;
	}
	t = table_new(head, n);
	json_array_foreach(items, i, item) {
		for (int j = 0; j < n; j++)
			row[j] = cell(item, &k->cols[j], tmp[j]);
		table_add(t, row);
	}
	table_print(c, t);
	table_free(t);
}

/*
 * 1 when item passes the exact-match filters of query ("k=v&k=v", URL-encoded),
 * compared as the server compares them: booleans as True/False, integers in
 * decimal, strings as they are. A key the item does not have is no filter.
 */
static int query_matches(json_t *item, const char *query)
{
	char *q = strdup(query), *save = NULL, *kv;
	int ok = q != NULL;

	for (kv = q ? strtok_r(q, "&", &save) : NULL; kv && ok; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '='), *val, num[32];
		json_t *v;
		if (eq == NULL)
			continue;
		*eq = '\0';
		v = json_object_get(item, kv);
		if (v == NULL)
			continue;
		val = curl_easy_unescape(NULL, eq + 1, 0, NULL);
		if (val == NULL) {
			ok = 0;
		} else if (json_is_boolean(v)) {
			ok = strcasecmp(val, json_is_true(v) ? "true" : "false") == 0;
		} else if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
			ok = strcmp(val, num) == 0;
		} else {
			ok = json_is_string(v) && strcmp(val, json_string_value(v)) == 0;
		}
		curl_free(val);
	}
	free(q);
	return ok;
}

int entity_ls(struct ctx *c, const struct entity_kind *k, const char *path)
{
	struct comms_result r;
	json_t *items = NULL;
	const char *query = strchr(path, '?');
	int rc;

	rc = comms_list_all(c->comms, path, &items, &r);
	if (rc) {
		rc = fail_comms(&r);
		comms_result_release(&r);
		return rc;
	}
	comms_result_release(&r);
	/* the /me/ lists take no filters (as the original's): apply them here */
	if (query && strncmp(path, k->me_path, strlen(k->me_path)) == 0) {
		json_t *kept = json_array(), *it;
		size_t i;
		json_array_foreach(items, i, it)
			if (query_matches(it, query + 1))
				json_array_append(kept, it);
		json_decref(items);
		items = kept;
	}
	entity_print_list(c, k, items);
	json_decref(items);
	return EXIT_OK;
}

int entity_get(struct ctx *c, const struct entity_kind *k, int64_t id, json_t **out)
{
	struct comms_result r;
	char path[128];
	int rc;

	*out = NULL;
	snprintf(path, sizeof(path), "%s%lld/", k->path, (long long)id);
	rc = comms_request(c->comms, "GET", path, NULL, &r);
	if (rc) {
		if (r.status == 404)
			rc = fail(EXIT_SERVER, "there is no %s %lld on %s", k->noun, (long long)id,
				  profile_str(c->profile, "server"));
		else
			rc = fail_comms(&r);
		comms_result_release(&r);
		return rc;
	}
	*out = r.body;
	return EXIT_OK;
}

int entity_view(struct ctx *c, const struct entity_kind *k, struct args *a)
{
	const char *fmt = arg(c, a, "format"), *file = arg(c, a, "output");
	struct comms_result r;
	json_t *v = NULL;
	struct buf text;
	int rc = EXIT_OK;

	if (fmt && strcmp(fmt, "yaml") != 0 && strcmp(fmt, "json") != 0)
		return fail(EXIT_USAGE, "--format must be yaml or json, not '%s'", fmt);
	if (c->json)
		fmt = "json";
	if (arg(c, a, "id")) {
		rc = entity_get(c, k, arg_int(c, a, "id"), &v);
		if (rc)
			return rc;
	} else {
		const char *path = (k->mine_default || arg_flag(c, a, "mine")) ? k->me_path : k->path;
		if (comms_list_all(c->comms, path, &v, &r)) {
			rc = fail_comms(&r);
			comms_result_release(&r);
			return rc;
		}
		comms_result_release(&r);
	}
	buf_init(&text, 0);
	if (fmt && strcmp(fmt, "json") == 0) {
		/* the pretty printer writes to stdout; for a file, write compact JSON */
		if (file == NULL)
			print_json(v);
		else
			jsonw_value(&text, v);
	} else if (file == NULL) {
		print_yaml(v);
	} else {
		yaml_dump(&text, v);
	}
	if (file) {
		FILE *f = fopen(file, "w");
		if (f == NULL || fwrite(text.data, 1, text.len, f) != text.len || fclose(f) != 0)
			rc = fail(EXIT_FAIL, "cannot write '%s': %s", file, strerror(errno));
		else
			note("Saved to %s", file);
	}
	buf_release(&text);
	json_decref(v);
	return rc;
}

int entity_save_local(struct ctx *c, const struct entity_kind *k, const json_t *e)
{
	char id[32], *dir, *path;
	mp_errbuf err;
	int rc = EXIT_OK;

	snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(e, "id")));
	dir = storage_entity_dir(c, k->local_kind, id);
	if (dir == NULL || mkdirs(dir, 0700) != 0) {
		rc = fail(EXIT_FAIL, "cannot create '%s': %s", dir ? dir : "?", strerror(errno));
		free(dir);
		return rc;
	}
	path = malloc(strlen(dir) + strlen(k->local_file) + 2);
	if (path) {
		snprintf(path, strlen(dir) + strlen(k->local_file) + 2, "%s/%s", dir, k->local_file);
		if (yaml_write_file(path, e, 0600, &err) != 0)
			rc = fail(EXIT_FAIL, "cannot save the local copy: %s", err.msg);
	}
	free(path);
	free(dir);
	return rc;
}

int confirm_send(struct ctx *c, const char *what, const json_t *body)
{
	char q[200];

	if (!c->yes) {
		struct buf y;
		buf_init(&y, 0);
		yaml_dump(&y, body);
		fprintf(stderr, "%s:\n%s", what, y.data);
		buf_release(&y);
	}
	snprintf(q, sizeof(q), "Send this to %s?", profile_str(c->profile, "server"));
	return confirm(c, q) ? EXIT_OK : fail(EXIT_CANCELLED, "cancelled: nothing was sent");
}
