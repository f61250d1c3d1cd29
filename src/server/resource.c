/*
 * resource.c: the generic parts of REST resources: loading an object with
 * the original's 403-versus-404 behaviour, lists with filters, ordering and
 * LimitOffset pagination, and the absolute next/previous links.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonw.h"
#include "server/policy.h"
#include "server/server.h"

#define MAX_FILTERS 12

int64_t row_int(json_t *row, const char *field)
{
	json_t *v = json_object_get(row, field);

	return json_is_integer(v) ? json_integer_value(v) : 0;
}

const char *row_str(json_t *row, const char *field)
{
	const char *s = json_string_value(json_object_get(row, field));

	return s ? s : "";
}

int row_bool(json_t *row, const char *field)
{
	return json_is_true(json_object_get(row, field));
}

json_t *api_get(struct api *a, enum entity_id ent, int64_t id)
{
	json_t *row = NULL;

	if (store_get(a->st, ent, id, &row) != 0)
		return NULL;
	return arena_keep(a->arena, row);
}

int api_require(struct api *a, unsigned allow, unsigned held)
{
	if (policy_allows(allow, held))
		return 0;
	api_forbidden(a);
	return -1;
}

int api_load(struct api *a, enum entity_id ent, int64_t id, unsigned allow, json_t **row)
{
	int rc = store_get(a->st, ent, id, row);

	if (rc == MP_ENOTFOUND) {
		if (policy_allows(allow, policy_base(a->user.id, a->user.is_admin)))
			api_not_found(a);
		else
			api_forbidden(a);
		return -1;
	}
	if (rc) {
		api_store_error(a, rc);
		return -1;
	}
	arena_keep(a->arena, *row);
	return 0;
}

/* ---------------------------------------------------------------------
 * Pagination
 * ------------------------------------------------------------------- */

/* Python int() of a query value: optional blanks and sign, digits. */
static int parse_qint(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (s == NULL)
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	if (errno || *end || end == s)
		return -1;
	*out = v;
	return 0;
}

void api_page(struct api *a, int64_t *limit, int64_t *offset)
{
	const struct server_config *c = &a->srv->cfg;
	int64_t v;

	*limit = c->default_page_limit;
	*offset = 0;
	if (parse_qint(http_query(a->req, "limit"), &v) == 0 && v > 0)
		*limit = v > c->max_page_limit ? c->max_page_limit : v;
	if (parse_qint(http_query(a->req, "offset"), &v) == 0 && v >= 0)
		*offset = v;
}

struct qparam {
	const char *key;
	const char *value;
};

struct qlist {
	struct qparam p[64];
	int n;
};

static int collect_param(void *cls, const char *key, const char *value)
{
	struct qlist *q = cls;

	if (q->n < 64 && strcmp(key, "limit") != 0 && strcmp(key, "offset") != 0) {
		q->p[q->n].key = key;
		q->p[q->n].value = value;
		q->n++;
	}
	return 0;
}

/* Python's quote_plus: unreserved bytes stay, space is '+', the rest %XX. */
static void add_quoted(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '.' || c == '-' || c == '~') {
			buf_addch(b, (char)c);
		} else if (c == ' ') {
			buf_addch(b, '+');
		} else {
			char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
			buf_add(b, esc, 3);
		}
	}
}

static int cmp_key(const void *x, const void *y)
{
	const struct qparam *p = x, *q = y;
	int c = strcmp(p->key, q->key);

	/* stable for equal keys: keep the original order */
	return c ? c : (p < q ? -1 : p > q);
}

/* Builds the absolute URL of this list with limit and offset (offset < 0: none). */
static json_t *page_link(struct api *a, int64_t limit, int64_t offset)
{
	const struct server_config *c = &a->srv->cfg;
	const char *host = NULL, *proto = NULL;
	struct qlist q = {.n = 0};
	struct qparam all[66];
	struct buf b;
	int n = 0;
	char lim[24], off[24];
	json_t *v;

	if (c->trust_forwarded) {
		host = http_header(a->req, "X-Forwarded-Host");
		proto = http_header(a->req, "X-Forwarded-Proto");
	}
	if (host == NULL)
		host = http_header(a->req, "Host");
	if (proto == NULL || (strcmp(proto, "https") != 0 && strcmp(proto, "http") != 0))
		proto = a->req->tls ? "https" : "http";
	http_query_each(a->req, collect_param, &q);
	snprintf(lim, sizeof(lim), "%lld", (long long)limit);
	snprintf(off, sizeof(off), "%lld", (long long)offset);
	for (int i = 0; i < q.n; i++)
		all[n++] = q.p[i];
	all[n++] = (struct qparam){"limit", lim};
	if (offset >= 0)
		all[n++] = (struct qparam){"offset", off};
	qsort(all, (size_t)n, sizeof(all[0]), cmp_key);
	buf_init(&b, 16384);
	if (host)
		buf_addf(&b, "%s://%s%s", proto, host, a->req->path);
	else
		buf_addf(&b, "%s://%s:%u%s", proto, c->listen_addr, (unsigned)c->port,
			 a->req->path);
	for (int i = 0; i < n; i++) {
		buf_addch(&b, i ? '&' : '?');
		add_quoted(&b, all[i].key);
		buf_addch(&b, '=');
		add_quoted(&b, all[i].value);
	}
	v = json_stringn(b.data, b.len);
	buf_release(&b);
	return v ? v : json_null();
}

/* Appends {"count":N,"next":...,"previous":...,"results": (the caller closes it). */
static int page_head(struct api *a, int64_t count, int64_t limit, int64_t offset,
		     struct buf *out)
{
	json_t *next, *prev;
	int rc;

	if (offset + limit >= count)
		next = json_null();
	else
		next = page_link(a, limit, offset + limit);
	if (offset <= 0)
		prev = json_null();
	else if (offset - limit <= 0)
		prev = page_link(a, limit, -1);
	else
		prev = page_link(a, limit, offset - limit);
	buf_adds(out, "{\"count\":");
	jsonw_int(out, count);
	buf_adds(out, ",\"next\":");
	jsonw_value(out, next);
	buf_adds(out, ",\"previous\":");
	jsonw_value(out, prev);
	rc = buf_adds(out, ",\"results\":");
	json_decref(next);
	json_decref(prev);
	return rc;
}

void api_page_reply(struct api *a, int64_t count, int64_t limit, int64_t offset,
		    json_t *results)
{
	struct buf out;

	buf_init(&out, BUF_MAX_DEFAULT);
	if (page_head(a, count, limit, offset, &out) || jsonw_value(&out, results) ||
	    buf_addch(&out, '}')) {
		buf_release(&out);
		json_decref(results);
		api_store_error(a, MP_ETOOBIG);
		return;
	}
	json_decref(results);
	api_reply_text(a, 200, &out);
}

/* ---------------------------------------------------------------------
 * Lists with filters and ordering
 * ------------------------------------------------------------------- */

static const char choice_msg[] =
	"Select a valid choice. That choice is not one of the available choices.";

/*
 * Turns the query's filter parameters into conditions. Returns 0, or -1
 * after answering 400. Values are kept by the arena.
 */
static int parse_filters(struct api *a, const struct list_spec *ls, struct store_cond *conds,
			 int *n)
{
	json_t *errors = NULL;

	for (const char *const *f = ls->filters; f && *f; f++) {
		const struct field *fd = entity_get_field(ls->ent, *f);
		const char *v = http_query(a->req, *f);
		json_t *val = NULL;
		int64_t id;

		if (fd == NULL || v == NULL || v[0] == '\0' || *n >= MAX_FILTERS)
			continue;
		switch (fd->type) {
		case FT_BOOL:
			if (!strcmp(v, "True") || !strcmp(v, "true") || !strcmp(v, "1"))
				val = json_true();
			else if (!strcmp(v, "False") || !strcmp(v, "false") || !strcmp(v, "0"))
				val = json_false();
			break; /* anything else: no filter, as django-filter does */
		case FT_FK:
			if (parse_qint(v, &id) == 0 && api_get(a, fd->fk, id))
				val = json_integer(id);
			else {
				if (errors == NULL)
					errors = json_object();
				err_add(errors, *f, choice_msg);
			}
			break;
		case FT_ENUM: {
			int ok = 0;
			for (const char *const *c = fd->choices; *c; c++)
				ok |= strcmp(*c, v) == 0;
			if (ok) {
				val = json_string(v);
			} else {
				char msg[300];
				snprintf(msg, sizeof(msg), "Select a valid choice. %.100s is not "
					 "one of the available choices.", v);
				if (errors == NULL)
					errors = json_object();
				err_add(errors, *f, msg);
			}
			break;
		}
		case FT_INT:
		case FT_ID:
			if (parse_qint(v, &id) == 0)
				val = json_integer(id);
			else {
				if (errors == NULL)
					errors = json_object();
				err_add(errors, *f, "Enter a number.");
			}
			break;
		default:
			val = json_string(v);
		}
		if (val) {
			conds[*n].field = fd->name;
			conds[*n].value = arena_keep(a->arena, val);
			(*n)++;
		}
	}
	if (errors) {
		api_field_errors(a, errors);
		return -1;
	}
	return 0;
}

static int parse_ordering(struct api *a, enum entity_id ent, struct store_order *order)
{
	const char *q = http_query(a->req, "ordering");
	char *copy, *tok, *save = NULL;
	int n = 0;

	if (q == NULL)
		return 0;
	copy = arena_strdup(a->arena, q);
	for (tok = strtok_r(copy, ",", &save); tok && n < 4; tok = strtok_r(NULL, ",", &save)) {
		const struct field *f;
		int desc = 0;
		while (*tok == ' ')
			tok++;
		if (*tok == '-') {
			desc = 1;
			tok++;
		}
		f = entity_get_field(ent, tok);
		if (f == NULL || (f->flags & (FF_HIDDEN | FF_NESTED)))
			continue;
		order[n].field = f->name;
		order[n].desc = desc;
		n++;
	}
	return n;
}

void api_list(struct api *a, const struct list_spec *ls)
{
	struct store_cond conds[MAX_FILTERS + 8];
	struct store_order order[4];
	struct store_query q = {0};
	json_t *rows = NULL, *out, *row;
	int64_t limit, offset, count = 0;
	size_t i;
	int n = 0, rc;

	for (int k = 0; k < ls->nconds && n < 8; k++)
		conds[n++] = ls->conds[k];
	if (parse_filters(a, ls, conds, &n))
		return;
	api_page(a, &limit, &offset);
	q.conds = conds;
	q.nconds = n;
	q.norder = ls->ordering ? parse_ordering(a, ls->ent, order) : 0;
	q.order = q.norder ? order : NULL;
	q.limit = limit;
	q.offset = offset;
	q.count = 1;
	if (ls->project == NULL && ser_renderable(ls->ent)) {
		/* fast path: the store writes the rows' JSON itself */
		struct store_view view;
		struct buf rows_text, page;

		ser_view(ls->ent, ls->public_view ? SER_PUBLIC : 0, &view);
		buf_init(&rows_text, BUF_MAX_DEFAULT);
		buf_init(&page, BUF_MAX_DEFAULT);
		rc = store_list_json(a->st, ls->ent, &q, &view, &rows_text, &count);
		if (rc == 0)
			rc = page_head(a, count, limit, offset, &page);
		if (rc == 0)
			rc = buf_add(&page, rows_text.data, rows_text.len);
		if (rc == 0)
			rc = buf_addch(&page, '}');
		buf_release(&rows_text);
		if (rc) {
			buf_release(&page);
			api_store_error(a, rc);
			return;
		}
		api_reply_text(a, 200, &page);
		return;
	}
	rc = store_list(a->st, ls->ent, &q, &rows, &count);
	if (rc) {
		api_store_error(a, rc);
		return;
	}
	arena_keep(a->arena, rows);
	out = json_array();
	json_array_foreach(rows, i, row) {
		json_t *o = ls->project ? ls->project(a, row)
				       : ser_row(a, ls->ent, row, ls->public_view ? SER_PUBLIC : 0);
		json_array_append_new(out, o ? o : json_null());
	}
	api_page_reply(a, count, limit, offset, out);
}
