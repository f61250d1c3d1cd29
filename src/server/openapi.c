/*
 * openapi.c: the OpenAPI 3 description served at /api/v0/schema/, built from
 * the routing table and the entity tables, so it cannot drift from them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/openapi.h"
#include "server/policy.h"
#include "server/server.h"

static const char *const method_keys[][2] = {
	{"GET", "get"}, {"POST", "post"}, {"PUT", "put"}, {"DELETE", "delete"},
};

static const char *lower_method(const char *m)
{
	for (size_t i = 0; i < sizeof(method_keys) / sizeof(method_keys[0]); i++)
		if (strcmp(method_keys[i][0], m) == 0)
			return method_keys[i][1];
	return "get";
}

/* "/a/{id}/b/{id}/" -> "/a/{id}/b/{bid}/" (OpenAPI needs distinct names). */
static char *openapi_path(const char *pattern, int *nparams)
{
	struct buf b;
	const char *p;
	int n = 0;

	buf_init(&b, 1024);
	for (p = pattern; *p; p++) {
		if (strncmp(p, "{id}", 4) == 0) {
			buf_adds(&b, n ? "{bid}" : "{id}");
			n++;
			p += 3;
		} else {
			buf_addch(&b, *p);
		}
	}
	*nparams = n;
	return buf_detach(&b, NULL);
}

static json_t *field_schema(const struct field *f)
{
	json_t *s = json_object();

	switch (f->type) {
	case FT_ID:
	case FT_INT:
	case FT_FK:
		json_object_set_new(s, "type", json_string("integer"));
		json_object_set_new(s, "format", json_string("int64"));
		break;
	case FT_STR:
		json_object_set_new(s, "type", json_string("string"));
		json_object_set_new(s, "maxLength", json_integer(f->maxlen));
		break;
	case FT_TEXT:
		json_object_set_new(s, "type", json_string("string"));
		break;
	case FT_BOOL:
		json_object_set_new(s, "type", json_string("boolean"));
		break;
	case FT_DT:
		json_object_set_new(s, "type", json_string("string"));
		json_object_set_new(s, "format", json_string("date-time"));
		break;
	case FT_ENUM: {
		json_t *e = json_array();
		for (const char *const *c = f->choices; *c; c++)
			json_array_append_new(e, json_string(*c));
		json_object_set_new(s, "type", json_string("string"));
		json_object_set_new(s, "enum", e);
		break;
	}
	case FT_JSON:
		json_object_set_new(s, "description", json_string("any JSON value"));
		break;
	}
	if (f->flags & FF_READONLY)
		json_object_set_new(s, "readOnly", json_true());
	if (f->flags & FF_NULLABLE)
		json_object_set_new(s, "nullable", json_true());
	return s;
}

static json_t *entity_schema(enum entity_id ent)
{
	const struct entity *en = &entities[ent];
	json_t *props = json_object(), *req = json_array();

	for (int i = 0; i < en->nfields; i++) {
		const struct field *f = &en->fields[i];
		if (f->flags & FF_HIDDEN)
			continue;
		json_object_set_new(props, f->name, field_schema(f));
		if (f->flags & FF_REQUIRED)
			json_array_append_new(req, json_string(f->name));
	}
	return json_pack("{s:s,s:o,s:o}", "type", "object", "properties", props, "required", req);
}

static const char *schema_name(int ent)
{
	static const char *const names[ENT__MAX] = {
		"User", "Container", "Asset", "Model", "Benchmark", "Dataset",
		"DatasetAssociation", "ModelAssociation", "Result",
	};
	return ent >= 0 && ent < ENT__MAX ? names[ent] : "Object";
}

static json_t *ref(int ent)
{
	char r[96];

	if (ent < 0)
		return json_pack("{s:s}", "type", "object");
	snprintf(r, sizeof(r), "#/components/schemas/%s", schema_name(ent));
	return json_pack("{s:s}", "$ref", r);
}

static json_t *json_content(json_t *schema)
{
	return json_pack("{s:{s:{s:o}}}", "content", "application/json", "schema", schema);
}

static json_t *operation(const struct route *rt, int nparams, const char *op_id)
{
	json_t *op = json_object(), *params = json_array(), *resp = json_object(), *sch;
	static const char *const pnames[] = {"id", "bid"};
	struct buf roles;

	json_object_set_new(op, "summary", json_string(rt->summary));
	json_object_set_new(op, "operationId", json_string(op_id));
	buf_init(&roles, 1024);
	for (unsigned bit = 1; bit <= ROLE_PREP_OWNER; bit <<= 1)
		if (rt->allow & bit)
			buf_addf(&roles, "%s%s", roles.len ? ", " : "", policy_role_name(bit));
	json_object_set_new(op, "description", json_string(rt->flags & RT_PUBLIC ?
		"No authentication." : roles.data));
	buf_release(&roles);
	for (int i = 0; i < nparams; i++)
		json_array_append_new(params, json_pack("{s:s,s:s,s:b,s:{s:s}}", "name", pnames[i],
			"in", "path", "required", 1, "schema", "type", "integer"));
	if (rt->list) {
		json_array_append_new(params, json_pack("{s:s,s:s,s:{s:s}}", "name", "limit", "in",
							"query", "schema", "type", "integer"));
		json_array_append_new(params, json_pack("{s:s,s:s,s:{s:s}}", "name", "offset", "in",
							"query", "schema", "type", "integer"));
	}
	json_object_set_new(op, "parameters", params);
	if (rt->flags & RT_BODY)
		json_object_set_new(op, "requestBody", json_content(ref(rt->response)));
	if (rt->list)
		sch = json_pack("{s:s,s:{s:{s:s},s:{s:s,s:b},s:{s:s,s:b},s:{s:s,s:o}}}",
				"type", "object", "properties",
				"count", "type", "integer",
				"next", "type", "string", "nullable", 1,
				"previous", "type", "string", "nullable", 1,
				"results", "type", "array", "items", ref(rt->response));
	else
		sch = ref(rt->response);
	if (strcmp(rt->method, "DELETE") == 0) {
		json_decref(sch);
		json_object_set_new(resp, "204", json_pack("{s:s}", "description", "Deleted"));
	} else {
		json_t *r = json_content(sch);
		json_object_set_new(r, "description", json_string("Success"));
		json_object_set_new(resp, strcmp(rt->method, "POST") == 0 ? "201" : "200", r);
	}
	if (rt->flags & RT_BODY)
		json_object_set_new(resp, "400", json_pack("{s:s}", "description",
			"Invalid body: {\"field\": [\"message\"]} or {\"non_field_errors\": [...]}"));
	if (!(rt->flags & RT_PUBLIC)) {
		json_object_set_new(resp, "401", json_pack("{s:s}", "description",
							   "Missing or invalid token"));
		json_object_set_new(resp, "403", json_pack("{s:s}", "description",
							   "Not permitted"));
		json_object_set_new(op, "security", json_pack("[{s:[]}]", "bearerAuth"));
	}
	if (nparams)
		json_object_set_new(resp, "404", json_pack("{s:s}", "description", "Not found"));
	json_object_set_new(op, "responses", resp);
	return op;
}

json_t *openapi_document(void)
{
	json_t *doc, *paths = json_object(), *schemas = json_object();

	for (int i = 0; i < nroutes; i++) {
		const struct route *rt = &routes[i];
		int np;
		char *path = openapi_path(rt->pattern, &np);
		char op_id[160];
		json_t *item = json_object_get(paths, path);

		if (item == NULL) {
			item = json_object();
			json_object_set_new(paths, path, item);
		}
		snprintf(op_id, sizeof(op_id), "%s_%d", lower_method(rt->method), i);
		json_object_set_new(item, lower_method(rt->method), operation(rt, np, op_id));
		free(path);
	}
	for (int e = 0; e < ENT__MAX; e++)
		json_object_set_new(schemas, schema_name(e), entity_schema((enum entity_id)e));
	doc = json_pack("{s:s,s:{s:s,s:s,s:s},s:o,s:{s:o,s:{s:{s:s,s:s,s:s}}}}",
			"openapi", "3.0.3",
			"info", "title", "MedPerf API (MedPerf in C)", "version", "v0",
			"description", "Wire-compatible with the MedPerf REST API v0.",
			"paths", paths,
			"components", "schemas", schemas, "securitySchemes", "bearerAuth",
			"type", "http", "scheme", "bearer", "bearerFormat", "JWT");
	return doc;
}
