/*
 * apierr.c: how handlers answer: JSON bodies in the original's (DRF) shapes,
 * the standard detail messages, and the mapping of store errors to statuses.
 */
#include <string.h>

#include "core/jsonw.h"
#include "server/server.h"

void api_reply(struct api *a, int status, json_t *body)
{
	struct http_response *w = a->w;

	a->answered = 1;
	w->status = status;
	buf_reset(&w->body);
	if (body == NULL) {
		if (status != 204) {
			w->status = 500;
			buf_adds(&w->body, "{\"detail\":\"A server error occurred.\"}");
		}
		return;
	}
	if (jsonw_value(&w->body, body) != 0) {
		buf_reset(&w->body);
		w->status = 500;
		buf_adds(&w->body, "{\"detail\":\"A server error occurred.\"}");
	}
	json_decref(body);
}

void api_reply_text(struct api *a, int status, struct buf *text)
{
	a->answered = 1;
	a->w->status = status;
	buf_release(&a->w->body);
	a->w->body = *text;
	buf_init(text, text->max);
}

void api_detail(struct api *a, int status, const char *detail)
{
	api_reply(a, status, json_pack("{s:s}", "detail", detail));
}

void api_forbidden(struct api *a)
{
	api_detail(a, 403, "You do not have permission to perform this action.");
}

void api_not_found(struct api *a)
{
	api_detail(a, 404, "Not found.");
}

void err_add(json_t *errors, const char *field, const char *msg)
{
	json_t *list = json_object_get(errors, field);

	if (list == NULL) {
		list = json_array();
		json_object_set_new(errors, field, list);
	}
	json_array_append_new(list, json_string(msg));
}

void api_field_errors(struct api *a, json_t *errors)
{
	api_reply(a, 400, errors);
}

void api_field_error(struct api *a, const char *field, const char *msg)
{
	json_t *e = json_object();

	err_add(e, field, msg);
	api_field_errors(a, e);
}

void api_non_field(struct api *a, const char *msg)
{
	api_field_error(a, "non_field_errors", msg);
}

void api_store_error(struct api *a, int rc)
{
	switch (rc) {
	case MP_ENOTFOUND:
		api_not_found(a);
		break;
	case MP_EBUSY:
		api_detail(a, 503, "The database is busy; please retry.");
		break;
	case MP_ECONSTRAINT:
		api_non_field(a, "Database Integrity Error");
		break;
	default:
		api_detail(a, 500, "A server error occurred.");
	}
}
